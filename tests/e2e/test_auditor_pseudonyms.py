"""Auditors read history, the audit trail and the access log with every personal identifier
pseudonymised, unless a stated purpose unlocks them (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import AUTHORITY
from tests.e2e.test_personal_data import identifiers, markers

pytestmark = pytest.mark.usefixtures("read_side")

Auth = Callable[..., dict[str, str]]
PURPOSE = "complaint: 2024/17 about delayed assessment"
WRITER = "cw-writer-17"
LAST: list[int] = [0]


def caught_up() -> str:
    return f"&consistent_after={LAST[0]}"


def registered(client: FlaskClient, auth: Auth) -> tuple[str, str, dict[str, str]]:
    """Register a child with identifiers and one event; return its id, case ref and
    identifiers (``LAST[0]`` is the log position of the event)."""
    case_ref = f"PS-{uuid.uuid4().hex[:8]}"
    held = identifiers(markers())
    answer = client.post("/children", headers=auth(sub=WRITER), json={
        "date_of_birth": "2015-03-02", "case_ref": case_ref, **held})
    assert answer.status_code == 201, answer.json
    child_id = str(answer.json["child_id"])
    event = client.post(f"/children/{child_id}/events", headers=auth(sub=WRITER), json={
        "type": "EHCNeedsAssessmentRequested", "occurred_on": "2024-01-08",
        "requester_role": "Parent", "request_source": "1"})
    assert event.status_code == 201, event.json
    LAST[:] = [event.json["position"]]
    return child_id, case_ref, {**held, "postcode": "SW1A 1AA"}


def auditor(auth: Auth, purpose: str | None = None, sub: str = "aud-9",
            org: str = "IG-1") -> dict[str, str]:
    extra = {"X-Access-Purpose": purpose} if purpose else {}
    return auth(role="auditor", org=org, sub=sub, **extra)


def get(client: FlaskClient, path: str, headers: dict[str, str]) -> dict[str, Any]:
    answer = client.get(path, headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json  # type: ignore[no-any-return]


def test_an_auditor_without_a_purpose_reads_history_with_every_identifier_pseudonymised(
        client: FlaskClient, auth: Auth) -> None:
    child_id, case_ref, held = registered(client, auth)
    history = client.get(f"/children/{child_id}/history", headers=auditor(auth))
    assert history.status_code == 200
    body = history.json
    assert body["identifiers"] == "pseudonymised"
    users = {item["actor"]["user_id"] for item in body["items"]}
    assert len(users) == 1 and users.pop().startswith("pseudo-")
    assert body["child"]["case_ref"].startswith("pseudo-")
    assert body["child"]["identifiers"] is None
    text = history.get_data(as_text=True)
    for value in (WRITER, case_ref, held["given_name"], held["family_name"], held["upn"],
                  held["nhs_number"]):
        assert value not in text


@pytest.mark.parametrize(("purpose", "why"), [
    ("audit", "not a lawful purpose"),
    ("0123456789", "not a lawful purpose"),
    ("complaint", "state the reference"),
    ("complaint: ab", "state the reference"),
    ("complaint: " + "x" * 300, "at most 300 characters"),
])
def test_a_purpose_that_is_not_lawful_is_refused_saying_why(
        client: FlaskClient, auth: Auth, purpose: str, why: str) -> None:
    """Issue 12.3: never a silent downgrade to pseudonyms, never cut."""
    child_id, case_ref, _ = registered(client, auth)
    for headers, path in ((auditor(auth, purpose), f"/children/{child_id}/history"),
                          (auditor(auth), f"/children/{child_id}/history?purpose={purpose}"),
                          (auth(), f"/children/{child_id}?purpose={purpose}")):
        refused = client.get(path, headers=headers)
        assert refused.status_code == 422, refused.json
        assert why in refused.json["detail"]
        assert case_ref not in refused.get_data(as_text=True)


def test_a_purpose_reveals_no_identifiers_of_another_authoritys_child(
        client: FlaskClient, auth: Auth) -> None:
    """Issue 12.3: an auditor of another organisation is refused, saying why."""
    child_id, case_ref, held = registered(client, auth)
    refused = client.get(f"/children/{child_id}/history", headers=auditor(auth, PURPOSE))
    assert refused.status_code == 403
    assert "own authority only" in refused.json["detail"]
    for value in (case_ref, held["given_name"], held["nhs_number"]):
        assert value not in refused.get_data(as_text=True)
    assert get(client, f"/children/{child_id}/history",
               auditor(auth))["identifiers"] == "pseudonymised"


def test_the_same_person_has_the_same_pseudonym_in_history_audit_trail_and_access_log(
        client: FlaskClient, auth: Auth) -> None:
    child_id, _, _ = registered(client, auth)
    client.get(f"/children/{child_id}", headers=auth(sub=WRITER))
    in_history = get(client, f"/children/{child_id}/history",
                     auditor(auth))["items"][0]["actor"]["user_id"]
    trail = get(client, f"/audit/events?child_id={child_id}" + caught_up(), auditor(auth))
    assert trail["identifiers"] == "pseudonymised"
    assert {row["actor"]["user_id"] for row in trail["items"]} == {in_history}
    looks = get(client, f"/audit/access?child_id={child_id}", auditor(auth))["items"]
    assert in_history in {look["actor"]["user_id"] for look in looks}


def test_the_audit_trail_filters_by_a_pseudonym_page_by_page(
        client: FlaskClient, auth: Auth) -> None:
    child_id, _, _ = registered(client, auth)
    registered(client, auth)  # another child by the same writer, later in the log
    other = client.post("/children", headers=auth(sub="someone-else"),
                        json={"date_of_birth": "2016-01-01"})
    assert other.status_code == 201
    LAST[:] = [other.json["position"]]
    named = get(client, f"/audit/events?actor={WRITER}" + caught_up(), auditor(auth, PURPOSE))
    assert named["identifiers"] == "clear"
    positions = [row["position"] for row in named["items"]]
    assert len(positions) >= 4
    pseudonym = get(client, f"/audit/events?child_id={child_id}",
                    auditor(auth))["items"][0]["actor"]["user_id"]

    found, after = [], None
    while True:
        query = f"/audit/events?actor={pseudonym}&limit=3" + (
            f"&after={after}" if after is not None else "")
        page = get(client, query, auditor(auth))
        assert page["identifiers"] == "pseudonymised"
        assert {row["actor"]["user_id"] for row in page["items"]} <= {pseudonym}
        found += [row["position"] for row in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert found == positions

    as_csv = client.get(f"/audit/events?actor={pseudonym}&limit=2",
                        headers={**auditor(auth), "Accept": "text/csv"})
    assert as_csv.headers["X-Casetrack-Identifiers"] == "pseudonymised"
    rows = list(csv.DictReader(io.StringIO(as_csv.get_data(as_text=True))))
    assert [int(r["position"]) for r in rows] == positions[:2]
    assert {r["actor_user_id"] for r in rows} == {pseudonym}
    with_purpose = client.get(f"/audit/events?actor={WRITER}",
                              headers={**auditor(auth, PURPOSE), "Accept": "text/csv"})
    assert WRITER in with_purpose.get_data(as_text=True)


def test_staff_who_read_journeys_see_history_in_clear_but_only_managers_see_identifiers(
        client: FlaskClient, auth: Auth) -> None:
    child_id, case_ref, held = registered(client, auth)
    caseworker = get(client, f"/children/{child_id}/history", auth(sub="cw-2"))
    assert caseworker["identifiers"] == "clear"
    assert caseworker["items"][0]["actor"]["user_id"] == WRITER
    assert caseworker["child"] == {"case_ref": case_ref, "identifiers": None}
    manager = get(client, f"/children/{child_id}/history", auth(role="manager"))
    assert manager["child"]["identifiers"] == held
    managers_trail = get(client, f"/audit/events?child_id={child_id}" + caught_up(),
                         auth(role="manager"))
    assert managers_trail["identifiers"] == "clear"
    assert {row["actor"]["user_id"] for row in managers_trail["items"]} == {WRITER}


def test_after_erasure_a_purpose_shows_no_identifiers(client: FlaskClient, auth: Auth) -> None:
    child_id, case_ref, _ = registered(client, auth)
    erased = client.post(f"/children/{child_id}/erasure", headers=auth(role="admin"),
                         json={"basis": "erasure_request"})
    assert erased.status_code == 200, erased.json
    body = get(client, f"/children/{child_id}/history", auditor(auth, PURPOSE, org=AUTHORITY))
    assert body["identifiers"] == "clear"
    assert body["child"] == {"case_ref": case_ref, "identifiers": None}
