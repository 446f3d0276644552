"""Lists of children across journeys, from the case-summary read model."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from application.queries import AGE_BANDS, MAX_LIMIT, ChildFilter, list_children
from domain.clocks import CLOCK_SPECS
from domain.reference import codes_ever
from domain.state import STAGES
from web.openapi import problems
from web.query_strings import OneOfNow, placement_types
from web.requests import authority_asked, current_actor, read_model_answer
from web.schemas import MAX_INTEGER
from web.services import services

blp = Blueprint("listing", __name__, url_prefix="/children",
                description="Lists of children, filtered (read models)")


class ChildListQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    authority = fields.String(validate=validate.Length(max=40), metadata={
        "description": "defaults to the caller's organisation"})
    stage = fields.String(validate=validate.OneOf(STAGES))
    primary_need = fields.String(validate=OneOfNow(lambda: codes_ever("needs"),
                                                   "primary need code"))
    age_band = fields.String(validate=validate.OneOf(list(AGE_BANDS)))
    overdue = fields.String(validate=OneOfNow(lambda: {"any", *CLOCK_SPECS}, "clock"), metadata={
        "description": "a clock id (K1..K27) or 'any': an open clock past its due date"})
    placement_type = fields.String(validate=OneOfNow(placement_types, "placement type"),
                                   metadata={"description": "a placement's sen_setting code"})
    plan_names_type_only = fields.Boolean(metadata={
        "description": "plans naming a type of setting but no setting"})
    case_ref = fields.String(validate=validate.Length(max=60))
    assigned_to = fields.String(validate=validate.Length(max=200), metadata={
        "description": "cases assigned to this staff user id (PUT /children/{id}/assignment)"})
    after = fields.String(validate=validate.Length(max=36),
                          metadata={"description": "the next_after of the previous page"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_LIMIT))
    consistent_after = fields.Integer(validate=validate.Range(min=0, max=MAX_INTEGER), metadata={
        "description": "wait (bounded) until the read models include this log position"})


class ClockSummarySchema(Schema):
    clock = fields.String(required=True)
    episode = fields.String(required=True)
    status = fields.String(required=True)
    due_on = fields.String(allow_none=True)
    stopped_on = fields.String(allow_none=True)
    responsible = fields.String(required=True)


class ChildSummarySchema(Schema):
    child_id = fields.UUID(required=True)
    authority = fields.String(required=True)
    case_ref = fields.String(allow_none=True)
    date_of_birth = fields.Date(required=True)
    status = fields.String(required=True)
    stage = fields.String(required=True)
    primary_need = fields.String(allow_none=True)
    needs = fields.List(fields.Dict(), required=True)
    steps = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                        metadata={"description": "first date each step happened"})
    clocks = fields.List(fields.Nested(ClockSummarySchema), required=True)
    overdue_clocks = fields.List(fields.String(), required=True)
    placement_type = fields.String(allow_none=True)
    placement_ref = fields.String(allow_none=True)
    plan_named_setting = fields.String(allow_none=True)
    plan_setting_type = fields.String(allow_none=True)
    plan_names_type_only = fields.Boolean(required=True)
    assigned_to = fields.String(allow_none=True)
    assigned_organisation = fields.String(allow_none=True)
    last_recorded_by = fields.String(allow_none=True)
    last_event_on = fields.Date(allow_none=True)
    version = fields.Integer(required=True)
    position = fields.Integer(required=True)


class ChildListSchema(Schema):
    items = fields.List(fields.Nested(ChildSummarySchema), required=True)
    next_after = fields.String(allow_none=True)
    position = fields.Integer(required=True, metadata={
        "description": "the log position the read models reflect"})


@blp.route("")
class ChildList(MethodView):
    @blp.arguments(ChildListQuerySchema, location="query")
    @blp.response(200, ChildListSchema)
    @problems(blp, 401, 403, 422, 500, 503)
    def get(self, query: dict[str, Any]) -> Any:
        """List the authority's children, filtered; keyset paginated by child id."""
        actor = current_actor()
        consistent_after = query.pop("consistent_after", None)
        overdue = query.pop("overdue", None)
        where = ChildFilter(authority=authority_asked(query),
                            overdue_clock=overdue, **query)
        tracking = services().tracking
        result = list_children(services().read_models, actor=actor,
                               where=where, today=tracking.today(),
                               consistent_after=consistent_after,
                               head=tracking.max_position)
        return read_model_answer(result)
