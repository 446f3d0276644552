"""Bulk import (``casetrack import FILE.jsonl`` and ``POST /imports``), one JSON object a line.

A line is ``{"case_ref": ..., "type": ..., "occurred_on": "YYYY-MM-DD", ...fields}``; the
first line of a new case reference is ``"type": "ChildRegistered"`` with ``date_of_birth``
(and optionally ``sex``, ``ethnicity``). Every line passes the same schemas as the API.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, ValidationError, fields

from application.imports import (
    ImportLine,
    ImportReport,
    Refusal,
    import_children,
    line_key,
)
from application.progress import SILENT, Progress
from application.tracking import CaseTracking
from domain.actors import Actor
from domain.events import EVENT_TYPES
from domain.personal_data import IDENTIFIER_FIELDS
from web.openapi import problems
from web.problems import Problem, pointers
from web.requests import current_actor
from web.schemas import RegisterChildSchema, StrictDate, Text, event_request_schema
from web.services import services

NDJSON = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines")


class RegistrationLineSchema(RegisterChildSchema):
    class Meta:
        unknown = RAISE
        # Identifiers are not imported yet: they go to the vault through POST /children.
        exclude = ("authority", "case_ref", *IDENTIFIER_FIELDS)

    type = Text(required=True)
    occurred_on = StrictDate(required=True)


REGISTRATION_LINE = RegistrationLineSchema()  # one for every line (loading keeps no state)


def parse_lines(text_lines: Iterable[str], report: ImportReport) -> dict[str, list[ImportLine]]:
    """Parse lines into each child's lines, in file order; record refusals in ``report``."""
    children: dict[str, list[ImportLine]] = {}
    seen: set[str] = set()
    broken: set[str] = set()
    occurrences: dict[str, int] = {}
    for number, text in enumerate(text_lines, start=1):
        if not text.strip():
            continue
        report.lines += 1
        try:
            raw = json.loads(text)
        except ValueError:
            report.refused.append(Refusal(number, None, "the line is not valid JSON"))
            continue
        case_ref = raw.get("case_ref") if isinstance(raw, dict) else None
        if not isinstance(case_ref, str) or not case_ref.strip() or len(case_ref) > 60:
            report.refused.append(Refusal(number, None, "case_ref is required (a string of "
                                          "at most 60 characters)", pointer="/case_ref"))
            continue
        seen.add(case_ref)
        canonical = json.dumps(raw, sort_keys=True)
        occurrences[canonical] = occurrences.get(canonical, 0) + 1
        try:
            line = _parse(number, case_ref, raw, line_key(raw, occurrences[canonical]))
        except ValidationError as error:
            first = pointers(error.messages)[0]
            report.refused.append(Refusal(number, case_ref, first["detail"],
                                          pointer=first["pointer"]))
            broken.add(case_ref)
            continue
        children.setdefault(case_ref, []).append(line)
    for case_ref in broken:
        for line in children.pop(case_ref, []):
            report.refused.append(Refusal(line.number, case_ref, "not applied: another line "
                                          "of the same child was refused"))
    report.children = len(seen)
    return children


def _parse(number: int, case_ref: str, raw: dict[str, Any], key: str) -> ImportLine:
    body = {k: v for k, v in raw.items() if k != "case_ref"}
    type_name = body.get("type")
    if type_name == "ChildRegistered":
        data = REGISTRATION_LINE.load(body)
        return ImportLine(number, case_ref, "ChildRegistered", data.pop("occurred_on"),
                          {k: v for k, v in data.items() if k != "type"}, [], key)
    cls = EVENT_TYPES.get(type_name) if isinstance(type_name, str) else None
    if cls is None or not isinstance(type_name, str):
        raise ValidationError({"type": [f"unknown event type {type_name!r}"]})
    if type_name == "EntryCorrected":
        raise ValidationError({"type": ["corrections are recorded through the API, where "
                                        "they name the version they correct"]})
    data = event_request_schema(cls).load(body)
    data.pop("type")
    return ImportLine(number, case_ref, type_name, data.pop("occurred_on"), data,
                      data.pop("evidence"), key)


def run_import(tracking: CaseTracking, actor: Actor, text_lines: Iterable[str],
               progress: Progress = SILENT) -> ImportReport:
    report = ImportReport()
    import_children(tracking, actor, parse_lines(text_lines, report), report, progress)
    return report


class ImportReportSchema(Schema):
    lines = fields.Integer(required=True)
    children = fields.Integer(required=True)
    children_imported = fields.Integer(required=True)
    events_recorded = fields.Integer(required=True)
    lines_already_imported = fields.Integer(required=True)
    refused = fields.List(fields.Dict(), required=True)


blp = Blueprint("imports", __name__, url_prefix="/imports",
                description="Bulk import of journeys (JSON lines)")


@blp.route("")
class Imports(MethodView):
    @blp.response(200, ImportReportSchema)
    @blp.doc(requestBody={"required": True, "content": {"application/x-ndjson": {
        "schema": {"type": "string"},
        "example": '{"case_ref": "IMP-1", "type": "ChildRegistered", "occurred_on": '
                   '"2024-01-02", "date_of_birth": "2015-03-02"}\n'}}})
    @problems(blp, 400, 401, 403, 413, 415, 500)
    def post(self) -> Any:
        """Import journeys: each child's lines are applied all or none; reruns add nothing."""
        if request.mimetype not in NDJSON:
            raise Problem(415, "unsupported-media-type", "Unsupported Media Type",
                          "send JSON lines as application/x-ndjson")
        text = request.get_data(as_text=True)
        return run_import(services().tracking, current_actor(),
                          text.splitlines()).as_dict()
