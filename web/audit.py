"""The audit trail across children: who recorded or changed what, when (JSON or CSV)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from flask import Response, request, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate, validates_schema

from application.access import ROLES
from application.pseudonyms import audit_page, audit_stream
from application.queries import MAX_LIMIT, EventFilter
from domain.events import EVENT_TYPES
from web.openapi import parameters, problems
from web.query_strings import OneOfNow, check_in_order
from web.requests import current_actor, read_model_answer
from web.schemas import MAX_INTEGER
from web.security import PURPOSE_PARAMETERS, naming
from web.services import services

blp = Blueprint("audit", __name__, url_prefix="/audit",
                description="The audit trail across children (auditors and managers)")

CSV_COLUMNS = ("position", "child_id", "version", "type", "authority", "actor_user_id",
               "actor_role", "actor_organisation", "responsible", "occurred_on",
               "recorded_at", "corrects_version", "correction_kind", "corrected_by_version",
               "request_id")


class AuditQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    actor = fields.String(validate=validate.Length(max=100), metadata={
        "description": "the user id that recorded the event, or its pseudonym"})
    role = fields.String(validate=validate.OneOf(sorted(ROLES)))
    organisation = fields.String(validate=validate.Length(max=100))
    type = fields.String(validate=OneOfNow(lambda: EVENT_TYPES, "event type"))
    child_id = fields.UUID()
    occurred_from = fields.Date()
    occurred_to = fields.Date()
    recorded_from = fields.AwareDateTime(default_timezone=None)
    recorded_to = fields.AwareDateTime(default_timezone=None)
    corrections_only = fields.Boolean(load_default=False)
    after = fields.Integer(validate=validate.Range(min=0, max=MAX_INTEGER),
                           metadata={"description": "the next_after of the previous page"})
    limit = fields.Integer(validate=validate.Range(min=1, max=MAX_LIMIT), metadata={
        "description": "page size (JSON default 50; CSV streams every row unless given)"})
    consistent_after = fields.Integer(validate=validate.Range(min=0, max=MAX_INTEGER), metadata={
        "description": "wait (bounded) until the read models include this log position"})

    @validates_schema
    def _ranges_in_order(self, data: dict[str, Any], **_: Any) -> None:
        check_in_order(data, "occurred_from", "occurred_to")
        check_in_order(data, "recorded_from", "recorded_to")


class AuditActorSchema(Schema):
    user_id = fields.String(required=True)
    role = fields.String(required=True)
    organisation = fields.String(required=True)


class AuditEventSchema(Schema):
    position = fields.Integer(required=True)
    child_id = fields.UUID(required=True)
    version = fields.Integer(required=True)
    type = fields.String(required=True)
    authority = fields.String(required=True)
    actor = fields.Nested(AuditActorSchema, required=True)
    responsible = fields.String(required=True)
    occurred_on = fields.Date(required=True)
    recorded_at = fields.AwareDateTime(required=True)
    corrects_version = fields.Integer(allow_none=True)
    correction_kind = fields.String(allow_none=True)
    corrected_by_version = fields.Integer(allow_none=True)
    request_id = fields.String(allow_none=True)


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEventSchema), required=True)
    next_after = fields.Integer(allow_none=True)
    identifiers = fields.String(required=True, metadata={
        "enum": ["clear", "pseudonymised"],
        "description": "pseudonymised for an auditor who states no purpose"})
    position = fields.Integer(required=True, metadata={
        "description": "the log position the read models reflect"})


@blp.route("/events")
class AuditEvents(MethodView):
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditPageSchema, description=(
        "A page of events; with `Accept: text/csv` every matching row streams as CSV"))
    @blp.doc(responses={"200": {"content": {
        "application/json": {"schema": AuditPageSchema},
        "text/csv": {"schema": {"type": "string"}}}}})
    @parameters(blp, PURPOSE_PARAMETERS)
    @problems(blp, 401, 403, 422, 500, 503)
    def get(self, query: dict[str, Any]) -> Any:
        """Query every event across children by actor, role, organisation, type, child,
        occurrence and recording dates, or corrections only; keyset paginated. An auditor
        who states no purpose sees staff user ids as pseudonyms (and may filter by one)."""
        consistent_after = query.pop("consistent_after", None)
        if "child_id" in query:
            query["child_id"] = str(query["child_id"])
        store = services().read_models
        names = naming()
        if _wants_csv():
            position, rows = audit_stream(
                store, actor=current_actor(), where=EventFilter(**query), naming=names,
                consistent_after=consistent_after, head=_head())
            return Response(stream_with_context(_csv_lines(rows)), mimetype="text/csv",
                            headers={"Cache-Control": "no-store",
                                     "Content-Disposition":
                                         'attachment; filename="audit-events.csv"',
                                     "X-Casetrack-Position": str(position),
                                     "X-Casetrack-Identifiers": names.label})
        result = audit_page(store, actor=current_actor(),
                            where=EventFilter(**{"limit": 50, **query}), naming=names,
                            consistent_after=consistent_after, head=_head())
        return read_model_answer(result)


def _head() -> Any:
    return services().tracking.max_position


def _wants_csv() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    return best == "text/csv" and request.accept_mimetypes["text/csv"] > \
        request.accept_mimetypes["application/json"]


def _csv_lines(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(_cell(v) for v in (
            row["position"], row["child_id"], row["version"], row["type"], row["authority"],
            row["actor"]["user_id"], row["actor"]["role"], row["actor"]["organisation"],
            row["responsible"], row["occurred_on"].isoformat(), row["recorded_at"].isoformat(),
            row["corrects_version"], row["correction_kind"], row["corrected_by_version"],
            row["request_id"]))
        if buffer.tell() > 16_384:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _cell(value: Any) -> Any:
    """Return a cell value spreadsheets will not run as a formula."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
