"""``PUT /children/{id}/assignment``: a manager hands a child's case to a caseworker."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from application.assignment import Reassignment, assign_case, assign_cases
from web.openapi import IDEMPOTENCY_KEY, problems
from web.requests import current_actor, idempotency, json_object, load, require_if_match
from web.schemas import StrictDate, Text
from web.services import services

blp = Blueprint("assignment", __name__, url_prefix="/children",
                description="Who holds a child's case: assignment by a manager")
bulk = Blueprint("assignments", __name__, url_prefix="/assignments",
                 description="Reassigning many cases at once, all or none (issue 16)")
MAX_BULK = 500

_ONE_WORD = validate.Regexp(r"^\S+$", error="one word: no spaces, not blank")


class AssignmentSchema(Schema):
    class Meta:
        unknown = RAISE

    assigned_to = Text(required=True, max_length=200, validate=_ONE_WORD, metadata={
        "description": "the caseworker's staff user id (the token's sub)"})
    assigned_organisation = Text(required=True, max_length=100, validate=_ONE_WORD,
                                 metadata={"description": "the caseworker's organisation"})
    reason = Text(max_length=1000)
    occurred_on = StrictDate(metadata={"description": "when it was assigned (default today)"})


class AssignmentResultSchema(Schema):
    child_id = fields.UUID(required=True)
    version = fields.Integer(required=True)
    position = fields.Integer(required=True)
    event = fields.Dict(required=True)


@blp.route("/<uuid:child_id>/assignment")
class Assignment(MethodView):
    @blp.response(200, AssignmentResultSchema)
    @blp.doc(requestBody={"required": True, "content": {
        "application/json": {"schema": AssignmentSchema}}}, parameters=[
        {"in": "header", "name": "If-Match", "required": True,
         "description": "the journey version (ETag) the assignment is made against",
         "schema": {"type": "string"}}])
    @problems(blp, 400, 401, 403, 404, 409, 412, 413, 415, 422, 428, 500)
    def put(self, child_id: UUID) -> Any:
        """Assign the child's case to a caseworker and organisation (a manager of the
        authority); recorded as a ``CaseAssigned`` event, shown in the journey's state."""
        data = load(AssignmentSchema(), json_object())
        expected = require_if_match()
        result = assign_case(
            services().tracking, child_id, actor=current_actor(),
            expected_version=expected, request_id=g.get("request_id"), **data)
        return result, 200, {"ETag": f'"{result.version}"'}


class ReassignmentSchema(Schema):
    class Meta:
        unknown = RAISE

    child_id = fields.UUID(required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1),
                             metadata={"description": "the journey version the manager "
                                       "saw (If-Match, per child)"})
    assigned_to = Text(required=True, max_length=200, validate=_ONE_WORD)
    assigned_organisation = Text(required=True, max_length=100, validate=_ONE_WORD)
    reason = Text(max_length=1000)


class BulkAssignmentSchema(Schema):
    class Meta:
        unknown = RAISE

    assignments = fields.List(fields.Nested(ReassignmentSchema), required=True,
                              validate=validate.Length(min=1, max=MAX_BULK))
    occurred_on = StrictDate(metadata={"description": "when they were assigned (default "
                                       "today)"})

    @validates_schema
    def each_child_once(self, data: dict[str, Any], **_: Any) -> None:
        ids = [item["child_id"] for item in data.get("assignments", [])]
        if len(set(ids)) != len(ids):
            raise ValidationError("each child may appear once", "assignments")


class BulkResultItemSchema(Schema):
    child_id = fields.UUID(required=True)
    version = fields.Integer(required=True)
    position = fields.Integer(required=True)


class BulkResultSchema(Schema):
    assigned = fields.List(fields.Nested(BulkResultItemSchema), required=True)


@bulk.route("")
class BulkAssignment(MethodView):
    @bulk.response(200, BulkResultSchema)
    @bulk.doc(requestBody={"required": True, "content": {
        "application/json": {"schema": BulkAssignmentSchema}}}, parameters=[IDEMPOTENCY_KEY])
    @problems(bulk, 400, 401, 403, 404, 409, 412, 413, 415, 422, 500)
    def post(self) -> Any:
        """Reassign many cases (a manager of the authority): each recorded as its own
        ``CaseAssigned`` against its own version; all are recorded or none. The same
        Idempotency-Key with the same body answers the first answer and records nothing."""
        body = json_object()
        data = load(BulkAssignmentSchema(), body)
        items = [Reassignment(**item) for item in data["assignments"]]
        result = assign_cases(services().tracking, items, actor=current_actor(),
                              occurred_on=data.get("occurred_on"),
                              request_id=g.get("request_id"), idempotency=idempotency(body))
        headers = {"Idempotency-Replayed": "true"} if result.replayed else {}
        return {"assigned": result.assigned}, 200, headers
