"""Children's journeys: register, record events, read the current state."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from application.kept_views import KeptAnswer
from application.tracking import CaseTracking, WriteResult
from domain.personal_data import IDENTIFIER_FIELDS
from web.context import request_globals
from web.dumping import kept_json
from web.openapi import IDEMPOTENCY_KEY, event_request_body, journey_links, problems
from web.requests import (
    current_actor,
    event_body,
    idempotency,
    if_match_version,
    json_object,
    load,
    require_if_match,
)
from web.schemas import JourneySchema, RegisterChildSchema, WriteResultSchema, write_answer
from web.security import record_admitted_look
from web.services import services

# One instance for every request (loading keeps no state on a schema).
REGISTER_CHILD = RegisterChildSchema()
JOURNEY_SCHEMA = JourneySchema()  # the state answer's, encoded once per kept view (kept_json)

blp = Blueprint("children", __name__, url_prefix="/children",
                description="Children's SEND journeys")


def tracking() -> CaseTracking:
    app_tracking: CaseTracking = services().tracking
    return app_tracking


def written(result: WriteResult) -> tuple[Response, int, dict[str, str]]:
    """Answer a write: WriteResultSchema's dump (schemas.write_answer), 201, its headers."""
    headers = {"ETag": f'"{result.version}"', "Location": f"/children/{result.child_id}"}
    if result.replayed:
        headers["Idempotency-Replayed"] = "true"
    return jsonify(write_answer(result)), 201, headers


@blp.route("")
class Children(MethodView):
    @blp.response(201, WriteResultSchema)
    @blp.doc(**journey_links())
    @blp.doc(requestBody={"required": True, "content": {
        "application/json": {"schema": RegisterChildSchema}}},
        parameters=[IDEMPOTENCY_KEY])
    @problems(blp, 400, 401, 403, 409, 413, 415, 422, 500)
    def post(self) -> Any:
        """Register a child's journey with the caller's authority."""
        body = json_object()
        data = load(REGISTER_CHILD, body)
        actor = current_actor()
        identifiers = {name: data.pop(name) for name in IDENTIFIER_FIELDS if name in data}
        return written(tracking().register_child(
            authority=data.pop("authority", actor.organisation), actor=actor,
            request_id=request_globals().request_id, idempotency=idempotency(body),
            identifiers=identifiers, **data))


@blp.route("/<uuid:child_id>/events")
class ChildEvents(MethodView):
    @blp.response(201, WriteResultSchema)
    @blp.doc(**journey_links())
    @blp.doc(requestBody=event_request_body(), parameters=[
        IDEMPOTENCY_KEY,
        {"in": "header", "name": "If-Match", "required": False,
         "description": "the journey version (ETag) the write is made against; required "
                        "for EntryCorrected and EntryRetracted", "schema": {"type": "string"}},
    ])
    @problems(blp, 400, 401, 403, 404, 409, 412, 413, 415, 422, 428, 500)
    def post(self, child_id: UUID) -> Any:
        """Record one event of the child's journey, selected by ``type``."""
        raw = json_object()
        body = event_body(tracking(), child_id, raw)
        return written(tracking().record_event(
            child_id, body.type_name, body.payload, actor=current_actor(),
            occurred_on=body.occurred_on, evidence=body.evidence,
            expected_version=require_if_match() if body.is_amendment else if_match_version(),
            request_id=request_globals().request_id, idempotency=idempotency(raw)))


@blp.route("/<uuid:child_id>")
class Child(MethodView):
    @blp.response(200, JourneySchema)
    @problems(blp, 401, 403, 404, 500)
    def get(self, child_id: UUID) -> Any:
        """Return the journey's current state with its clocks and what is due next."""
        view = tracking().get_journey(child_id, actor=current_actor(),
                                      admitted=record_admitted_look)
        headers = {"ETag": f'"{view["version"]}"', "Cache-Control": "no-store"}
        if type(view) is KeptAnswer:  # every reader's same answer: encoded once, kept
            return kept_json(view, JOURNEY_SCHEMA), 200, headers
        return view, 200, headers
