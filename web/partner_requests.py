"""``GET /partner/requests``: what is asked of the caller's organisation (issue 16)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from application.partner_requests import (
    KINDS,
    MAX_LIMIT,
    STATES,
    RequestFilter,
    requests_addressed,
)
from web.openapi import problems
from web.requests import current_actor, read_model_answer
from web.schemas import MAX_INTEGER
from web.services import services

blp = Blueprint("partner_requests", __name__, url_prefix="/partner",
                description="A partner's requests: advice and consultations asked of it")


class RequestQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    state = fields.String(validate=validate.OneOf(STATES), metadata={
        "description": "only open (not yet answered) or only answered requests"})
    kind = fields.String(validate=validate.OneOf(KINDS), metadata={
        "description": "advice (reg 6, clock K2) or consultation (s.39(2), clock K6)"})
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_INTEGER),
                           metadata={"description": "the next_after of the previous page"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=MAX_LIMIT))
    consistent_after = fields.Integer(validate=validate.Range(min=0, max=MAX_INTEGER), metadata={
        "description": "wait (bounded) until the read models include this log position"})


class AnswerWithSchema(Schema):
    type = fields.String(required=True, metadata={
        "description": "the event the partner records to answer"})
    advice_request_id = fields.String(metadata={"description": "for AdviceReceived"})
    setting_ref = fields.String(metadata={"description": "for SettingConsultationResponded"})


class PartnerRequestSchema(Schema):
    request_id = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(KINDS)})
    child_id = fields.UUID(required=True)
    authority = fields.String(required=True, metadata={"description": "who asked"})
    case_ref = fields.String(allow_none=True, metadata={
        "description": "the authority's case reference, as its request quotes it"})
    advice_type = fields.String(allow_none=True)
    requested_on = fields.Date(required=True)
    due_on = fields.Date(allow_none=True, metadata={
        "description": "as the domain's clock set it (K2: 6 weeks from receipt; K6: 15 "
                       "days); null where no time limit applies"})
    status = fields.String(required=True, metadata={
        "description": "the clock's status today: running, late, done..."})
    days_late = fields.Integer(allow_none=True)
    clock = fields.String(allow_none=True)
    answered_on = fields.Date(allow_none=True)
    answer_with = fields.Nested(AnswerWithSchema, required=True, metadata={
        "description": "what to POST to /children/{child_id}/events to answer"})


class PartnerRequestsSchema(Schema):
    items = fields.List(fields.Nested(PartnerRequestSchema), required=True, metadata={
        "description": "open first by due date, then answered, latest first"})
    open = fields.Integer(required=True, metadata={
        "description": "how many of the requests asked about are open"})
    as_at = fields.Date(required=True)
    next_after = fields.Integer(allow_none=True)
    position = fields.Integer(required=True)


@blp.route("/requests")
class PartnerRequests(MethodView):
    @blp.arguments(RequestQuerySchema, location="query")
    @blp.response(200, PartnerRequestsSchema)
    @problems(blp, 401, 403, 422, 500, 503)
    def get(self, query: dict[str, Any]) -> Any:
        """List the requests addressed to the caller's organisation (advice, consultations
        on naming a setting), open ones first with their due dates."""
        consistent_after = query.pop("consistent_after", None)
        tracking = services().tracking
        result = requests_addressed(services().read_models, actor=current_actor(),
                                    where=RequestFilter(**query), today=tracking.today(),
                                    consistent_after=consistent_after,
                                    head=tracking.max_position)
        return read_model_answer(result)
