"""``GET /notifications``: reminders from the clocks, specific to the step, the case, the
body responsible and the date, for the caseworker holding the case and for the child's
family, on SQLite and on PostgreSQL; the days late agree with the journey's own clocks."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import TEST_SECRET
from web.auth import mint_token

Auth = Callable[..., dict[str, str]]


def long_date(on: str) -> str:
    day = date.fromisoformat(on)
    return f"{day.day} {day:%B %Y}"


def start(client: FlaskClient, auth: Auth, ref: str, days_ago: int, worker: str) -> str:
    child_id = client.post("/children", json={"date_of_birth": "2015-03-02", "case_ref": ref},
                           headers=auth()).json["child_id"]
    client.post(f"/children/{child_id}/events", headers=auth(), json={
        "type": "EHCNeedsAssessmentRequested", "requester_role": "Parent",
        "request_source": "1",
        "occurred_on": (date.today() - timedelta(days=days_ago)).isoformat()})
    answer = client.put(f"/children/{child_id}/assignment", json={
        "assigned_to": worker, "assigned_organisation": "LA-901"},
        headers=auth(role="manager", sub="mgr-1", **{"If-Match": '"2"'}))
    assert answer.status_code == 200, answer.json
    return str(child_id)


@pytest.fixture
def cases(client: FlaskClient, auth: Auth) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    worker = f"cw-note-{run}"
    late = start(client, auth, f"NOTE-LATE-{run}", 50, worker)
    soon = start(client, auth, f"NOTE-SOON-{run}", 40, worker)  # K1 due in about 2 days
    return {"run": run, "worker": worker, "late": late, "soon": soon}


def k1(client: FlaskClient, auth: Auth, child_id: str) -> dict[str, Any]:
    clocks = client.get(f"/children/{child_id}", headers=auth()).json["clocks"]
    return next(c for c in clocks if c["clock"] == "K1")


@pytest.mark.usefixtures("read_side")
def test_a_caseworker_is_told_what_is_late_and_what_falls_due_in_words(
        client: FlaskClient, auth: Auth, cases: dict[str, Any]) -> None:
    waited = _until_both(client, auth, cases)
    late, soon = k1(client, auth, cases["late"]), k1(client, auth, cases["soon"])
    k1s = [n for n in waited if n["clock"] == "K1"]
    assert [(n["child_id"], n["kind"]) for n in k1s] == [
        (cases["late"], "late"), (cases["soon"], "due")]
    run = cases["run"]
    assert k1s[0]["days_late"] == late["days_late"] > 0
    assert k1s[0]["message"] == (
        f"Decision whether to assess (LA-901) for NOTE-LATE-{run} is late by "
        f"{late['days_late']} days: it was due on {long_date(late['due_on'])} "
        f"(6 weeks from {long_date(late['started_on'])}; {late['citation']})")
    assert k1s[1]["message"] == (
        f"Decision whether to assess (LA-901) for NOTE-SOON-{run} is due on "
        f"{long_date(soon['due_on'])} (6 weeks from {long_date(soon['started_on'])}; "
        f"{soon['citation']})")


def _until_both(client: FlaskClient, auth: Auth, cases: dict[str, Any]) -> list[Any]:
    """Ask after the last write's position (the assignment of the second case)."""
    history = client.get(f"/children/{cases['soon']}/history", headers=auth()).json
    position = max(e["position"] for e in history["items"])
    answer = client.get(f"/notifications?consistent_after={position}",
                        headers=auth(sub=cases["worker"]))
    assert answer.status_code == 200, answer.json
    return list(answer.json["items"])


@pytest.mark.usefixtures("read_side")
def test_a_narrow_window_leaves_out_what_is_not_yet_due_but_never_what_is_late(
        client: FlaskClient, auth: Auth, cases: dict[str, Any]) -> None:
    _until_both(client, auth, cases)
    answer = client.get("/notifications?due_within=0d", headers=auth(sub=cases["worker"]))
    kinds = {(n["child_id"], n["clock"]): n["kind"] for n in answer.json["items"]}
    assert kinds[(cases["late"], "K1")] == "late"
    assert (cases["soon"], "K1") not in kinds


@pytest.mark.usefixtures("read_side")
def test_a_family_hears_about_its_own_child_only(
        client: FlaskClient, auth: Auth, cases: dict[str, Any]) -> None:
    _until_both(client, auth, cases)
    token = mint_token(TEST_SECRET, subject="parent-1", role="family",
                       organisation="LA-901", child=cases["late"])
    answer = client.get("/notifications", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.json
    assert {n["child_id"] for n in answer.json["items"]} == {cases["late"]}
    assert "K1" in {n["clock"] for n in answer.json["items"]}


@pytest.mark.parametrize("role", ["inspector", "auditor", "admin"])
def test_others_receive_no_reminders(client: FlaskClient, auth: Auth, role: str) -> None:
    assert client.get("/notifications", headers=auth(role=role)).status_code == 403


@pytest.mark.parametrize("query", ["?due_within=soon", "?clock=K1", "?since=2024-01-01"])
def test_bad_notification_queries_are_refused(client: FlaskClient, auth: Auth,
                                              query: str) -> None:
    assert client.get(f"/notifications{query}", headers=auth()).status_code == 422
