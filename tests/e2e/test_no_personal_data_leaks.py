"""No personal data in logs or error answers.

A journey is recorded with marker values in every personal field (names, address,
postcode-bearing address, UPN, ULN, NHS number, free text); every endpoint that reads a
child is called, requests that fail are sent with the markers in their bodies, and every
captured log line (structlog and the standard library) and every error answer is searched
for the markers.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import structlog
from flask import Flask
from flask.testing import FlaskClient

from domain.personal_data import nhs_number_check_digit, upn_check_letter
from tests.e2e.journeys import NOTICE

Auth = Callable[..., dict[str, str]]


def _nhs_number() -> str:
    for serial in range(100):
        check = nhs_number_check_digit(f"9990{serial:05d}")
        if check is not None:
            return f"9990{serial:05d}{check}"
    raise AssertionError("no synthetic NHS number")


def _uln() -> str:
    first_nine = "712345670"
    remainder = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True)) % 11
    return first_nine + str(10 - remainder)


TAG = uuid.uuid4().hex[:8].upper()
UPN = upn_check_letter("902001234567") + "902001234567"
MARKERS = {
    "given_name": f"Leakgiven{TAG}", "family_name": f"Leakfamily{TAG}",
    "address": f"7 Leakaddress{TAG} Road", "upn": UPN, "uln": _uln(),
    "nhs_number": _nhs_number(), "reasons": f"Leakreasons{TAG}",
    "reason": f"Leakreason{TAG}", "summary": f"Leaksummary{TAG}",
    "notes": f"Leaknotes{TAG}", "hold": f"Leakhold{TAG}", "correction": f"Leakfix{TAG}",
    # Free text inside structures: a need's description, plan sections, amendments.
    "description": f"Leakdescription{TAG}", "section_a": f"Leaksectiona{TAG}",
    "provision": f"Leakprovision{TAG}", "change": f"Leakchange{TAG}",
}
# The NHS number also appears spaced; the postcode is too common a shape to be a marker.
SEARCHED = [*MARKERS.values(), f"{MARKERS['nhs_number'][:3]} {MARKERS['nhs_number'][3:6]}"]


def leaks(text: str) -> list[str]:
    return [marker for marker in SEARCHED if marker in text]


@pytest.fixture
def captured(caplog: pytest.LogCaptureFixture) -> Any:
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as logs:
        yield logs


def test_no_marker_reaches_a_log_line_or_an_error_answer(
        app: Flask, client: FlaskClient, auth: Auth, captured: list[dict[str, Any]],
        caplog: pytest.LogCaptureFixture) -> None:
    errors: list[str] = []
    answers: list[str] = []

    def call(method: str, path: str, *, headers: dict[str, str] | None = None,
             **kwargs: Any) -> Any:
        response = client.open(path, method=method,
                               headers=auth() if headers is None else headers, **kwargs)
        body = response.get_data(as_text=True)
        (errors if response.status_code >= 400 else answers).append(body)
        return response

    identifiers = {k: MARKERS[k] for k in ("given_name", "family_name", "address", "upn",
                                           "uln", "nhs_number")}
    registered = call("POST", "/children", json={
        "date_of_birth": "2020-02-10", "occurred_on": "2023-02-20", "postcode": "M1 1AE",
        "case_ref": f"LEAK-{TAG}", **identifiers})
    assert registered.status_code == 201, registered.json
    child = registered.json["child_id"]
    events = f"/children/{child}/events"
    for step in (
        {"type": "ChildBroughtToLAAttention", "occurred_on": "2023-03-06",
         "brought_by": "health", "consent_known": True},
        {"type": "DecisionNotToAssessMade", "occurred_on": "2023-04-14",
         "reasons": MARKERS["reasons"], "notice_includes": NOTICE, "partners_notified": True},
        {"type": "EHCNeedsAssessmentRequested", "occurred_on": "2024-01-15",
         "requester_role": "Parent", "request_source": "1"},
        {"type": "AssessmentRequestWithdrawn", "occurred_on": "2024-02-01",
         "withdrawn_by": "parent", "reason": MARKERS["reason"]},
        {"type": "ChildViewsRecorded", "occurred_on": "2024-02-20", "document_ref": "doc-1",
         "method": "drawing", "about": "assessment", "summary": MARKERS["summary"]},
        {"type": "NeedsRecorded", "occurred_on": "2024-02-20", "source": "assessment",
         "needs": [{"code": "SLCN", "rank": 1, "description": MARKERS["description"]}]},
    ):
        assert call("POST", events, json=step).status_code == 201
    assert call("POST", events, headers=auth(role="manager", **{"If-Match": '"7"'}), json={
        "type": "EntryCorrected", "occurred_on": "2024-02-21", "target_version": 6,
        "changes": {"summary": MARKERS["correction"]}, "reason": MARKERS["correction"]},
    ).status_code == 201
    assert call("POST", f"/children/{child}/legal-holds", headers=auth(role="manager"), json={
        "hold_ref": "H-1", "basis": "complaint", "reason": MARKERS["hold"]}).status_code == 201

    # Requests that fail, with the markers in their bodies.
    failing = [
        ("POST", "/children", {"date_of_birth": "2020-02-10", "upn": MARKERS["given_name"]}),
        ("POST", "/children", {"date_of_birth": "2020-02-10",
                               "nhs_number": MARKERS["nhs_number"][:9] + "0"
                               if MARKERS["nhs_number"][9] != "0" else MARKERS["nhs_number"][:9]
                               + "1", "given_name": MARKERS["given_name"]}),
        ("POST", "/children", {"date_of_birth": "not-a-date", **identifiers}),
        ("POST", "/children", {"date_of_birth": "2020-02-10", "postcode": MARKERS["address"]}),
        ("POST", "/children", {"date_of_birth": "2020-02-10", "middle_name": MARKERS["notes"],
                               **identifiers}),
        ("POST", "/children", {"date_of_birth": "2020-02-10",
                               "given_name": MARKERS["given_name"] * 20}),
        ("POST", "/children", {"date_of_birth": "2020-02-10",
                               "family_name": MARKERS["family_name"] + "\x07"}),
        ("POST", events, {"type": "AssessmentObservationRecorded", "occurred_on": "2031-01-01",
                          "kind": "appointment_missed", "notes": MARKERS["notes"]}),
        ("POST", events, {"type": "ChildViewsRecorded", "occurred_on": "2024-03-01",
                          "document_ref": "d", "method": "drawing", "about": "plan",
                          "summary": MARKERS["summary"] * 20}),
        ("POST", events, {"type": "AssessmentRequestWithdrawn", "occurred_on": "2024-03-01",
                          "withdrawn_by": "parent", "reason": MARKERS["reason"]}),
        ("POST", events, {"type": "DecisionNotToAssessMade", "occurred_on": "2024-03-01",
                          "reasons": 42, "notes": MARKERS["notes"]}),
        ("POST", f"/children/{uuid.uuid4()}/events",
         {"type": "ChildViewsRecorded", "occurred_on": "2024-03-01", "document_ref": "d",
          "method": "drawing", "about": "plan", "summary": MARKERS["summary"]}),
        ("POST", events, {"type": "DraftPlanIssued", "occurred_on": "2024-03-01",
                          "sections": {"A": MARKERS["section_a"], "B": [
                              {"need": "SLCN", "description": MARKERS["description"]}],
                              "F": [{"need": "SLCN", "provision": MARKERS["provision"]}]}}),
        ("POST", events, {"type": "AmendmentNoticeIssued",
                          "setting_request_right": True, "meeting_right": True,
    "occurred_on": "2024-03-01",
                          "trigger": "reg28",
                          "proposed_amendments": [{"section": "F",
                                                   "change": MARKERS["change"]}]}),
        ("POST", events, {"type": "NeedsRecorded", "occurred_on": "2024-03-01",
                          "needs": [{"code": "NOT-A-NEED", "rank": 1,
                                     "description": MARKERS["description"]}]}),
        ("POST", f"/children/{child}/erasure", {"basis": "erasure_request"}),
        ("POST", f"/children/{child}/legal-holds", {"hold_ref": "H-1", "basis": "complaint",
                                                   "reason": MARKERS["hold"]}),
    ]
    for method, path, body in failing:
        headers = auth(role="admin") if path.endswith("/erasure") else auth(role="manager")
        response = call(method, path, headers=headers, json=body)
        assert response.status_code >= 400, (path, response.status_code)
    malformed = call("POST", "/children", data='{"given_name": "' + MARKERS["given_name"],
                     content_type="application/json")
    assert malformed.status_code == 400
    assert call("POST", "/children", json={"date_of_birth": "2020-02-10", **identifiers},
                headers=auth(role="inspector")).status_code == 403
    assert call("POST", "/children", json=identifiers, headers={}).status_code == 401

    # Every read of this child, by every role.
    readers = [rule.rule for rule in app.url_map.iter_rules()
               if "GET" in (rule.methods or ()) and rule.rule.startswith("/children/<uuid")]
    assert "/children/<uuid:child_id>/export" in readers
    for role in ("caseworker", "manager", "inspector", "auditor", "admin"):
        for rule in readers:
            call("GET", rule.replace("<uuid:child_id>", child), headers=auth(role=role))
    export = client.get(f"/children/{child}/export", headers=auth(role="manager"))
    assert MARKERS["given_name"] in export.get_data(as_text=True)  # the export is readable

    log_text = json.dumps(captured, default=str) + caplog.text
    assert len(captured) > len(failing)  # the capture saw the requests
    assert leaks(log_text) == []
    assert leaks("\n".join(errors)) == []
    assert len(errors) > len(failing)
