"""One child's journey from the event store: replay at a point with its timeline, and the log."""

from __future__ import annotations

from datetime import UTC, date
from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate, validates_schema
from marshmallow.exceptions import ValidationError

from application.history import journey_at, journey_history
from application.kept_views import KeptAnswer
from application.pseudonyms import named_history
from infrastructure.projections import journey_notifications
from web.dumping import DumpedList, kept_json
from web.openapi import parameters, problems
from web.requests import current_actor
from web.schemas import MAX_INTEGER, JourneySchema
from web.security import PURPOSE_PARAMETERS, naming, record_admitted_look
from web.services import services

blp = Blueprint("journeys", __name__, url_prefix="/children",
                description="Replay a child's journey and read its event log")


class ActorSchema(Schema):
    user_id = fields.String(required=True)
    role = fields.String(required=True)
    organisation = fields.String(required=True)


class ClockEffectSchema(Schema):
    clock = fields.String(required=True)
    episode = fields.String(required=True)
    change = fields.String(required=True, metadata={"enum": ["started", "stopped", "changed"]})
    due_on = fields.Date(allow_none=True)
    stopped_on = fields.Date(allow_none=True)
    status = fields.String(required=True)
    responsible = fields.String(required=True)


class AmendmentSchema(Schema):
    version = fields.Integer(required=True)
    type = fields.String(required=True)
    recorded_at = fields.AwareDateTime(required=True)
    actor = fields.Nested(ActorSchema, required=True)
    reason = fields.String(required=True)
    changes = fields.Dict(allow_none=True)


class AttachedDocumentSchema(Schema):
    document_id = fields.String(required=True, metadata={
        "description": "GET /children/{child_id}/documents/{document_id} downloads it"})
    title = fields.String(required=True)
    media_type = fields.String(required=True)
    sha256 = fields.String(required=True, metadata={"description": "of the clear bytes"})
    size = fields.Integer(required=True)
    attached_version = fields.Integer(required=True, metadata={
        "description": "the version of its DocumentAttached entry"})
    attached_on = fields.Date(required=True)
    in_force = fields.Boolean(required=True, metadata={
        "description": "false when the attachment was retracted"})


class TimelineEntrySchema(Schema):
    version = fields.Integer(required=True)
    type = fields.String(required=True)
    occurred_on = fields.Date(required=True, metadata={
        "description": "when it happened, as now corrected (the timeline's order); "
                       "data holds the entry as first recorded"})
    recorded_at = fields.AwareDateTime(required=True)
    recorded_days_after = fields.Integer(
        required=True, metadata={"description": "days between occurrence and recording"})
    actor = fields.Nested(ActorSchema, required=True)
    responsible = fields.String(required=True)
    data = fields.Dict(required=True)
    in_force = fields.Boolean(required=True,
                              metadata={"description": "false when retracted"})
    as_corrected = fields.Dict(allow_none=True, metadata={
        "description": "the fields as now corrected, occurred_on included"})
    corrects_version = fields.Integer(allow_none=True)
    amended_by = fields.List(fields.Nested(AmendmentSchema), required=True)
    clock_effects = fields.List(fields.Nested(ClockEffectSchema), required=True)
    documents = fields.List(fields.Nested(AttachedDocumentSchema), required=True, metadata={
        "description": "the documents attached to this entry (advice, plans, letters)"})


class JourneyAtSchema(JourneySchema):
    # Hundreds of entries: dumped by web.dumping (the same output as List(Nested), faster).
    timeline = DumpedList(fields.Nested(TimelineEntrySchema), required=True)
    events_known = fields.Integer(required=True)


JOURNEY_AT = JourneyAtSchema()  # the current timeline's, encoded once per kept answer


class JourneyPointSchema(Schema):
    class Meta:
        unknown = RAISE

    as_at = fields.Date(metadata={"description": "as it stood in the world on this date"})
    known_at = fields.DateTime(metadata={
        "description": "as the system knew it at this moment (UTC when no offset)"})
    version = fields.Integer(strict=False, validate=validate.Range(min=1, max=MAX_INTEGER))

    @validates_schema
    def _one_point_in_versions(self, data: dict[str, Any], **_: Any) -> None:
        if "version" in data and ("as_at" in data or "known_at" in data):
            raise ValidationError("give version alone, or as_at and/or known_at", "version")


class HistoryQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_INTEGER),
                           metadata={"description": "the last version of the previous page"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class HistoryEntrySchema(Schema):
    version = fields.Integer(required=True)
    position = fields.Integer(required=True)
    topic = fields.String(required=True)
    type = fields.String(required=True)
    occurred_on = fields.Date(allow_none=True)
    recorded_at = fields.AwareDateTime(required=True)
    actor = fields.Nested(ActorSchema, allow_none=True)
    request_id = fields.String(allow_none=True)
    hash = fields.String(allow_none=True)
    prev_hash = fields.String(allow_none=True)
    stored_sha256 = fields.String(required=True)


class ChildIdentifiersSchema(Schema):
    given_name = fields.String()
    family_name = fields.String()
    address = fields.String()
    postcode = fields.String()
    upn = fields.String()
    uln = fields.String()
    nhs_number = fields.String()


class HistoryChildSchema(Schema):
    case_ref = fields.String(allow_none=True, metadata={
        "description": "the case reference, or its pseudonym"})
    identifiers = fields.Nested(ChildIdentifiersSchema, allow_none=True, metadata={
        "description": "the child's identifiers from the vault: for an auditor who states "
                       "a purpose, and a manager; null otherwise and once erased"})


class HistorySchema(Schema):
    child_id = fields.UUID(required=True)
    child = fields.Nested(HistoryChildSchema, required=True)
    identifiers = fields.String(required=True, metadata={
        "enum": ["clear", "pseudonymised"],
        "description": "pseudonymised for an auditor who states no lawful purpose "
                       "(X-Access-Purpose or ?purpose=, '<purpose>: <reference>')"})
    items = fields.List(fields.Nested(HistoryEntrySchema), required=True)
    next_after = fields.Integer(allow_none=True)


def _today() -> date:
    tracking = services().tracking
    return tracking.today()


@blp.route("/<uuid:child_id>/journey")
class Journey(MethodView):
    @blp.arguments(JourneyPointSchema, location="query")
    @blp.response(200, JourneyAtSchema)
    @problems(blp, 401, 403, 404, 422, 500)
    def get(self, point: dict[str, Any], child_id: UUID) -> Any:
        """Replay the journey as it stood on ``as_at``, as known at ``known_at``, or at
        ``version``: its state then, and every event in order of occurrence."""
        known_at = point.get("known_at")
        if known_at is not None and known_at.tzinfo is None:
            known_at = known_at.replace(tzinfo=UTC)
        view = journey_at(services().tracking, child_id,
                          actor=current_actor(), today=_today(), as_at=point.get("as_at"),
                          known_at=known_at, version=point.get("version"),
                          admitted=record_admitted_look)
        if type(view) is KeptAnswer:  # every such reader's same answer: encoded once, kept
            return kept_json(view, JOURNEY_AT), 200, {"Cache-Control": "no-store"}
        return view, 200, {"Cache-Control": "no-store"}


@blp.route("/<uuid:child_id>/history")
class History(MethodView):
    @blp.arguments(HistoryQuerySchema, location="query")
    @blp.response(200, HistorySchema)
    @parameters(blp, PURPOSE_PARAMETERS)
    @problems(blp, 401, 403, 404, 422, 500)
    def get(self, page: dict[str, Any], child_id: UUID) -> Any:
        """Return the raw event log in recorded order, keyset paginated by version."""
        tracking = services().tracking
        result = journey_history(tracking, child_id, actor=current_actor(),
                                 after=page["after"], limit=page["limit"],
                                 journey_notifications=journey_notifications,
                                 admitted=record_admitted_look)
        return named_history(result, reader=current_actor(), naming=naming(),
                             identifiers=_vault_identifiers(tracking)), 200, {
            "Cache-Control": "no-store"}


def _vault_identifiers(tracking: Any) -> Any:
    vault = tracking.vault
    return (lambda _: None) if vault is None else vault.identifiers
