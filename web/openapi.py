"""OpenAPI additions: one component per event type, the discriminated request body, and
the problem responses of every operation (the pages that show it: web/docs.py)."""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from typing import Any

from flask import Flask
from flask_smorest import Api
from marshmallow import Schema, fields

from application.idempotency import MAX_KEY_LENGTH
from domain.events import EVENT_TYPES
from web.problems import PROBLEM_JSON
from web.schemas import event_schema, recordable_types
from web.services import services_of

ERROR_DESCRIPTIONS = {
    400: "Malformed JSON or a malformed header",
    401: "No valid bearer token",
    403: "The token's role or organisation may not do this",
    404: "No such child (or journey version, inspection, report)",
    405: "Method not allowed",
    409: "Refused by a statutory rule or journey invariant (code and citation given)",
    412: "If-Match names a version that is no longer current",
    413: "The body is too large",
    415: "The body is not application/json",
    422: "Validation failed; each error names its field with a JSON pointer",
    428: "This write must name the version it was made against (If-Match)",
    500: "Unexpected error; quote the request id",
    503: "Not ready, or the read models have not caught up yet (Retry-After)",
}


class ProblemErrorSchema(Schema):
    pointer = fields.String(metadata={"description": "JSON pointer to the field"})
    detail = fields.String()


class ProblemSchema(Schema):
    """RFC 9457 problem details, with casetrack's extension members."""

    type = fields.String(required=True, metadata={"example": "/problems/rule-violation"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    request_id = fields.String()
    code = fields.String(metadata={"description": "stable rule code (409)",
                                   "example": "final-plan-needs-draft"})
    citation = fields.String(metadata={"description": "the rule's legal source (409)",
                                       "example": "SEND Regulations 2014, reg 13"})
    errors = fields.List(fields.Nested(ProblemErrorSchema))
    # Extension members (RFC 9457 §3.2) some answers carry.
    event_version = fields.Integer(metadata={
        "description": "the journey version whose event a rule refers to (409)"})
    current_version = fields.Integer(metadata={
        "description": "the journey's current version, to retry against (412)"})
    questions = fields.List(fields.String(), metadata={
        "description": "the report questions there are (404 unknown-report-question)"})
    lists = fields.List(fields.String(), metadata={
        "description": "the code lists there are (404 unknown-reference-list)"})
    retry_after = fields.Integer(metadata={
        "description": "seconds until the rate limit lets the caller in again (429)"})


# The key's own rule (application.idempotency.key_hash): 1 to MAX_KEY_LENGTH printable ASCII
# characters; HTTP strips spaces at either end, so the spec allows none there.
IDEMPOTENCY_KEY = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "description": "replays of the same request answer the first answer (1 to 200 "
                   "printable ASCII characters)",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH,
               "pattern": "^[\\x21-\\x7e]([\\x20-\\x7e]*[\\x21-\\x7e])?$"}}

EXTRA_PARAMETERS = "casetrack_parameters"


def parameters(blp: Any, extra: list[dict[str, Any]]) -> Callable[[Any], Any]:
    """Document ``extra`` parameters beside the ones ``@blp.arguments`` generates
    (``@blp.doc(parameters=...)`` would replace those: a list is not merged)."""
    if _add_parameters not in blp._prepare_doc_cbks:  # noqa: SLF001
        blp._prepare_doc_cbks.append(_add_parameters)  # noqa: SLF001

    def decorate(view: Any) -> Any:
        apidoc = getattr(view, "_apidoc", {})
        apidoc[EXTRA_PARAMETERS] = [*apidoc.get(EXTRA_PARAMETERS, []), *extra]
        view._apidoc = apidoc
        return view

    return decorate


def _add_parameters(doc: dict[str, Any], doc_info: dict[str, Any], **_: Any
                    ) -> dict[str, Any]:
    extra = doc_info.get(EXTRA_PARAMETERS)
    if extra:
        doc["parameters"] = [*doc.get("parameters", []), *deepcopy(extra)]
    return doc


def _ref(path: str, method: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


# OpenAPI links from a write's answer to what a client does next with the journey, so a
# stateful client (and schemathesis's stateful phase) can follow them.
JOURNEY_LINKS = {
    name: {"operationRef": _ref(path, method),
           "parameters": {"child_id": "$response.body#/child_id"}}
    for name, path, method in (
        ("GetChild", "/children/{child_id}", "get"),
        ("GetJourney", "/children/{child_id}/journey", "get"),
        ("GetHistory", "/children/{child_id}/history", "get"),
        ("RecordEvent", "/children/{child_id}/events", "post"),
        ("CheckIntegrity", "/children/{child_id}/integrity", "get"),
    )
}


def journey_links(status: int = 201) -> dict[str, Any]:
    """The ``@blp.doc`` arguments adding ``JOURNEY_LINKS`` to a write's answer."""
    return {"responses": {str(status): {"links": deepcopy(JOURNEY_LINKS)}}}


def problems(blp: Any, *codes: int) -> Callable[[Any], Any]:
    """Document the problem responses a view can answer.

    flask-smorest's ``alt_response`` documents by wrapping the view in a function that only
    calls it: a dozen calls a request for nothing. The view is documented the same (the
    wrappers' ``_apidoc``) and answers without them."""

    def decorate(view: Any) -> Any:
        documented = view
        for code in codes:
            documented = blp.alt_response(
                code, schema=ProblemSchema, content_type=PROBLEM_JSON,
                description=ERROR_DESCRIPTIONS[code])(documented)
        view._apidoc = documented._apidoc
        return view

    return decorate


def event_request_body() -> dict[str, Any]:
    """Return the requestBody of POST /children/{id}/events: oneOf, discriminated by type."""
    mapping = {name: f"#/components/schemas/{name}" for name in recordable_types()}
    return {
        "required": True,
        "content": {"application/json": {
            "schema": {"oneOf": [{"$ref": ref} for ref in mapping.values()],
                       "discriminator": {"propertyName": "type", "mapping": mapping}},
            "examples": {
                "request": {"summary": "A parent asks for an EHC needs assessment", "value": {
                    "type": "EHCNeedsAssessmentRequested", "occurred_on": "2024-01-08",
                    "requester_role": "Parent", "request_source": "1"}},
                "decision": {"summary": "The LA decides to assess", "value": {
                    "type": "DecisionToAssessMade", "assessment_test_met": True,
    "occurred_on": "2024-02-16",
                    "reasons": "The child may have SEN and may need a plan"}},
            },
        }},
    }


def register_event_components(api: Api) -> None:
    for name in recordable_types():
        api.spec.components.schema(name, schema=event_schema(EVENT_TYPES[name]))


def init_app(app: Flask, api: Api) -> None:
    services_of(app).api = api
    register_event_components(api)
