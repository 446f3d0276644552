"""Journey replay, history, lists and audit over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

REQUEST = {"type": "EHCNeedsAssessmentRequested", "occurred_on": "2024-01-08",
           "requester_role": "Parent", "request_source": "1"}
DECISION = {"type": "DecisionToAssessMade", "assessment_test_met": True,
            "occurred_on": "2024-02-16",
            "reasons": "The child may have SEN and may need a plan"}



def post(client: FlaskClient, path: str, body: dict[str, Any], headers: dict[str, str],
         version: int | None = None) -> dict[str, Any]:
    extra = {"If-Match": f'"{version}"'} if version else {}
    response = client.post(path, json=body, headers={**headers, **extra})
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


@pytest.mark.usefixtures("read_side")
class TestJourneyReads:
    def test_the_timeline_shows_free_text_opened_for_the_caseworker(
            self, client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
        headers = auth()
        child = post(client, "/children", {"date_of_birth": "2015-03-02"}, headers)["child_id"]
        post(client, f"/children/{child}/events", REQUEST, headers)
        post(client, f"/children/{child}/events", DECISION, headers)
        journey = client.get(f"/children/{child}/journey", headers=headers).json
        decision = next(e for e in journey["timeline"] if e["version"] == 3)
        assert decision["data"]["reasons"] == DECISION["reasons"]
        assert "sealed:" not in str(journey)

    def test_as_at_and_known_at_differ_where_late_recording_and_corrections_say(
            self, client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
        headers = auth()
        child = post(client, "/children", {"date_of_birth": "2015-03-02",
                                           "occurred_on": "2024-01-02"}, headers)["child_id"]
        post(client, f"/children/{child}/events", REQUEST, headers)
        before_decision = datetime.now(UTC)
        post(client, f"/children/{child}/events", DECISION, headers)  # recorded late
        post(client, f"/children/{child}/events", {
            "type": "EntryCorrected", "occurred_on": "2024-03-01", "target_version": 3,
            "changes": {"occurred_on": "2024-02-14"}, "reason": "date mistyped"}, headers, 3)
        base = f"/children/{child}/journey"

        on_feb_15 = client.get(f"{base}?as_at=2024-02-15", headers=headers).json
        assert on_feb_15["stage"] == "assessment"  # the corrected date counts in the world
        known_then = client.get(f"{base}?known_at={quote(before_decision.isoformat())}",
                                headers=headers).json
        assert known_then["stage"] == "assessment_requested"  # not yet recorded then
        assert known_then["events_known"] == 2
        both = client.get(f"{base}?as_at=2024-02-15&known_at="
                          f"{quote(before_decision.isoformat())}", headers=headers).json
        assert both["stage"] == "assessment_requested"
        decision = next(e for e in on_feb_15["timeline"] if e["version"] == 3)
        assert decision["recorded_days_after"] > 300  # late recording is visible
        assert decision["amended_by"][0]["version"] == 4
        assert decision["as_corrected"] is not None
        request = next(e for e in on_feb_15["timeline"] if e["version"] == 2)
        assert {"clock": "K1", "change": "started"}.items() <= \
            request["clock_effects"][0].items()
        at_version = client.get(f"{base}?version=2", headers=headers).json
        assert at_version["version"] == 2 and len(at_version["timeline"]) == 2
        assert client.get(f"{base}?version=2&as_at=2024-01-01",
                          headers=headers).status_code == 422
        assert client.get(base, headers=auth(org="LA-902")).status_code == 403

    def test_history_pages_by_version_with_positions(
            self, client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
        headers = auth()
        child = post(client, "/children", {"date_of_birth": "2015-03-02"}, headers)["child_id"]
        written = post(client, f"/children/{child}/events", REQUEST, headers)
        first = client.get(f"/children/{child}/history?limit=1", headers=headers).json
        assert [e["version"] for e in first["items"]] == [1]
        assert first["next_after"] == 1
        second = client.get(f"/children/{child}/history?after=1&limit=1",
                            headers=headers).json
        assert second["items"][0]["position"] == written["position"]
        assert second["items"][0]["topic"].endswith(":EHCNeedsAssessmentRequested")
        assert second["next_after"] is None

    def test_lists_and_audit_reflect_a_write_when_asked_to(
            self, client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
        headers = auth(sub="writer-7")
        child = post(client, "/children", {"date_of_birth": "2015-03-02",
                                           "case_ref": f"CR-{id(self)}"}, headers)["child_id"]
        written = post(client, f"/children/{child}/events", REQUEST, headers)
        listed = client.get(f"/children?case_ref=CR-{id(self)}&consistent_after="
                            f"{written['position']}", headers=headers)
        assert listed.status_code == 200
        assert listed.json["position"] >= written["position"]
        assert [c["child_id"] for c in listed.json["items"]] == [child]
        assert listed.json["items"][0]["stage"] == "assessment_requested"
        none = client.get(f"/children?case_ref=CR-{id(self)}&stage=plan_issued",
                          headers=headers)
        assert none.json["items"] == []

        auditor = auth(role="auditor", org="IG-1")
        query = f"/audit/events?actor=writer-7&child_id={child}&consistent_after=" \
                f"{written['position']}"
        page = client.get(query, headers=auditor)
        assert page.status_code == 200
        assert [e["type"] for e in page.json["items"]] == [
            "ChildRegistered", "EHCNeedsAssessmentRequested"]
        as_csv = client.get(query, headers={**auditor, "Accept": "text/csv"})
        assert as_csv.mimetype == "text/csv"
        rows = list(csv.DictReader(io.StringIO(as_csv.get_data(as_text=True))))
        assert [int(r["position"]) for r in rows] == [e["position"] for e in page.json["items"]]
        assert client.get(query, headers=headers).status_code == 403  # caseworkers may not
        past_head = client.get(f"/audit/events?consistent_after={written['position'] + 10**6}",
                               headers=auditor)
        assert past_head.status_code == 422
