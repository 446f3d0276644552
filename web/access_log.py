"""``GET /audit/access``: who looked at which child's record, when, and why."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate, validates_schema

from application.access_log import ACCESS_LOG_QUERY, AccessFilter, who_looked
from web.openapi import parameters, problems
from web.query_strings import check_in_order
from web.requests import current_actor
from web.schemas import MAX_INTEGER
from web.security import PURPOSE_PARAMETERS, access_log, pseudonym_key, stated_purpose

blp = Blueprint("access_log", __name__, url_prefix="/audit",
                description="The access log: every look at a child's record")


class AccessQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    child_id = fields.UUID(metadata={"description": "looks at this child's record"})
    actor = fields.String(validate=validate.Length(max=200), metadata={
        "description": "looks by this user id (or its pseudonym)"})
    since = fields.AwareDateTime(default_timezone=None, metadata={
        "description": "looks at or after this moment (UTC when no offset)"})
    until = fields.AwareDateTime(default_timezone=None, metadata={
        "description": "looks before this moment (UTC when no offset)"})
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_INTEGER),
                           metadata={"description": "the next_after of the previous page"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))

    @validates_schema
    def _period_in_order(self, data: dict[str, Any], **_: Any) -> None:
        check_in_order(data, "since", "until")


class LookActorSchema(Schema):
    user_id = fields.String(required=True)
    role = fields.String(required=True)
    organisation = fields.String(required=True)


class LookSchema(Schema):
    position = fields.Integer(required=True)
    child_id = fields.UUID(allow_none=True)
    kind = fields.String(required=True, metadata={
        "description": "state, journey, history, export, integrity or access-log"})
    actor = fields.Nested(LookActorSchema, required=True)
    purpose = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    route = fields.String(allow_none=True)
    inspection_id = fields.UUID(allow_none=True, metadata={
        "description": "the inspection an inspector read the record under"})
    at = fields.AwareDateTime(required=True)


class LooksSchema(Schema):
    items = fields.List(fields.Nested(LookSchema), required=True)
    next_after = fields.Integer(allow_none=True)
    identifiers = fields.String(required=True, metadata={
        "description": "clear, or pseudonymised (state a purpose to unlock)"})




@blp.route("/access")
class AccessLookups(MethodView):
    @blp.arguments(AccessQuerySchema, location="query")
    @blp.response(200, LooksSchema)
    @parameters(blp, PURPOSE_PARAMETERS)
    @problems(blp, 401, 403, 422, 500)
    def get(self, query: dict[str, Any]) -> Any:
        """Answer "who looked at this child's record?": looks by child, actor and period."""
        actor, purpose = current_actor(), stated_purpose()
        answer = who_looked(access_log(), actor=actor, where=AccessFilter(**query),
                            purpose=purpose, pseudonym_key=pseudonym_key())
        access_log().record(query.get("child_id"), kind=ACCESS_LOG_QUERY, actor=actor,
                            purpose=purpose)
        return answer
