"""Reading requests: JSON objects, event bodies by type, and the If-Match precondition."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from flask import request
from marshmallow import ValidationError

from application.idempotency import fingerprint, key_hash
from application.tracking import CaseTracking, Idempotency
from domain.actors import Actor
from domain.catalogue.registration import EntryCorrected
from domain.events import EVENT_TYPES
from web.context import current_request, request_globals
from web.problems import Problem, pointers, validation_problem
from web.schemas import event_request_schema, partial_schema


def current_actor() -> Actor:
    actor: Actor = request_globals().actor
    return actor


def authority_asked(query: dict[str, Any]) -> str:
    """Return the authority a question names, else the caller's own organisation.

    One rule for every question of an authority (lists, reports, the SEND list, SEN2): an
    inspector belongs to an inspectorate, not an authority, so an inspector must name the
    authority under inspection — without it the answer is a 422 saying so, never a 403
    for asking about the inspectorate itself."""
    named: str | None = query.pop("authority", None)
    if named is not None:
        return named
    actor = current_actor()
    if actor.role == "inspector":
        raise validation_problem([{
            "pointer": "/query/authority",
            "detail": "an inspector names the authority under inspection"}])
    return actor.organisation


def read_model_answer(result: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Answer a read-model question: never cached, with the log position it reflects."""
    return result, 200, {"Cache-Control": "no-store",
                         "X-Casetrack-Position": str(result["position"])}


def json_object() -> dict[str, Any]:
    """Return the body as a JSON object: 400 malformed, 415 not JSON, 422 not an object."""
    asked = current_request()
    mimetype = asked.mimetype
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise Problem(415, "unsupported-media-type", "Unsupported Media Type",
                      "send the body as application/json")
    raw = asked.get_data(cache=True)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Problem(400, "malformed-json", "Bad Request", "the body is not valid JSON"
                      ) from None
    if not isinstance(body, dict):
        raise validation_problem([{"pointer": "/", "detail": "the body must be a JSON object"}])
    return body


def idempotency(body: dict[str, Any]) -> Idempotency | None:
    """Return the request's Idempotency-Key (hashed) with its fingerprint, if one was sent."""
    asked = current_request()
    key = asked.headers.get("Idempotency-Key")
    if key is None:
        return None
    return Idempotency(key_hash=key_hash(key),
                       fingerprint=fingerprint(asked.method, asked.path, body))


def require_if_match() -> int | None:
    """Return the If-Match version, answering 428 when the header is absent."""
    if not request.if_match or request.if_match.star_tag:
        # ``*`` names no version: the rule is that the writer saw the version they amend
        # (ADR 0002), so it does not satisfy the precondition.
        raise Problem(428, "precondition-required", "Precondition Required",
                      "corrections and assignments must name the journey version they were "
                      "made against: send If-Match: \"<version>\" (the ETag of the "
                      "journey); * names no version")
    return if_match_version()


def load(schema: Any, data: dict[str, Any]) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ValidationError as error:
        raise validation_problem(pointers(error.messages)) from None
    return loaded


@dataclass(frozen=True)
class EventBody:
    """An event request, parsed: its type, when it happened, evidence and fields."""

    type_name: str
    occurred_on: date
    evidence: list[dict[str, str]]
    payload: dict[str, Any]

    @property
    def is_amendment(self) -> bool:
        return self.type_name in ("EntryCorrected", "EntryRetracted")


def event_body(tracking: CaseTracking, child_id: UUID, body: dict[str, Any]) -> EventBody:
    """Parse an event request with the schema of its ``type``."""
    type_name = body.get("type")
    if not isinstance(type_name, str) or not type_name:
        raise validation_problem([{"pointer": "/type",
                                   "detail": "type is required and must be an event type name"}])
    cls = EVENT_TYPES.get(type_name)
    if cls is None or type_name == "ChildRegistered":
        raise validation_problem([{"pointer": "/type",
                                   "detail": f"unknown event type {type_name!r}"}])
    data = load(event_request_schema(cls), body)
    data.pop("type")
    occurred_on, evidence = data.pop("occurred_on"), data.pop("evidence")
    if cls is EntryCorrected:
        data["changes"] = _correction_changes(tracking, child_id, data)
    return EventBody(type_name, occurred_on, evidence, data)


def _correction_changes(tracking: CaseTracking, child_id: UUID, data: dict[str, Any]
                        ) -> dict[str, Any]:
    """Type the corrected fields with the corrected event's own schema."""
    target_type = tracking.event_type_at(child_id, data["target_version"])
    changes = dict(data["changes"])
    if target_type is None:
        return changes  # the domain refuses the missing target with its rule code
    occurred_on = changes.pop("occurred_on", None)
    try:
        typed: dict[str, Any] = partial_schema(EVENT_TYPES[target_type]).load(
            {"type": target_type, **changes})
    except ValidationError as error:
        raise validation_problem(pointers(error.messages, "/changes")) from None
    typed.pop("type", None)
    typed.pop("evidence", None)
    if occurred_on is not None:
        typed["occurred_on"] = load(partial_schema(EVENT_TYPES[target_type]),
                                    {"occurred_on": occurred_on})["occurred_on"]
    return typed


MAX_VERSION_DIGITS = 18  # below 2**63: the stores' integers


def if_match_version() -> int | None:
    """Return the version named by If-Match, None when absent or ``*``."""
    if_match = current_request().if_match
    if not if_match:
        return None
    if if_match.star_tag:
        return None
    tags = [tag for tag in if_match.as_set(include_weak=False) if tag]
    if len(tags) != 1 or not tags[0].isdigit() or len(tags[0]) > MAX_VERSION_DIGITS:
        raise Problem(412, "stale-version", "Precondition failed",
                      "If-Match must name one journey version, e.g. \"3\"")
    return int(tags[0])
