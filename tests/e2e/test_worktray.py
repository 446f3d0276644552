"""``GET /worktray``: a caseworker's cases ordered by the next due date, on SQLite and on
PostgreSQL, from the work-tray read model; what is due agrees with the journey's own
``next_due`` and clocks (one definition)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

Auth = Callable[..., dict[str, str]]
SAME = ("clock", "episode", "due_on", "status", "days_late", "responsible",
        "responsible_name", "citation")


def register(client: FlaskClient, auth: Auth, case_ref: str) -> str:
    answer = client.post("/children", json={"date_of_birth": "2015-03-02",
                                            "case_ref": case_ref}, headers=auth())
    assert answer.status_code == 201, answer.json
    return str(answer.json["child_id"])


def request_received(client: FlaskClient, auth: Auth, child_id: str, days_ago: int) -> None:
    on = (date.today() - timedelta(days=days_ago)).isoformat()
    answer = client.post(f"/children/{child_id}/events", headers=auth(), json={
        "type": "EHCNeedsAssessmentRequested", "occurred_on": on,
        "requester_role": "Parent", "request_source": "1"})
    assert answer.status_code == 201, answer.json


def assign(client: FlaskClient, auth: Auth, child_id: str, worker: str) -> int:
    version = client.get(f"/children/{child_id}", headers=auth()).json["version"]
    answer = client.put(f"/children/{child_id}/assignment", json={
        "assigned_to": worker, "assigned_organisation": "LA-901"},
        headers=auth(role="manager", sub="mgr-1", **{"If-Match": f'"{version}"'}))
    assert answer.status_code == 200, answer.json
    return int(answer.json["position"])


def tray_of(client: FlaskClient, auth: Auth, worker: str, query: str = "") -> Any:
    return client.get(f"/worktray{query}", headers=auth(sub=worker))


def mine(client: FlaskClient, auth: Auth, caseload: dict[str, Any], query: str) -> Any:
    return tray_of(client, auth, caseload["worker"], query)


@pytest.fixture
def caseload(client: FlaskClient, auth: Auth) -> dict[str, Any]:
    """Three cases of the worker (late, running, nothing due) and one of a colleague."""
    # The PostgreSQL database is the run's: each test's references and workers are its own.
    run = uuid.uuid4().hex[:8]
    worker, colleague = f"cw-tray-{run}", f"cw-other-{run}"
    late, running, quiet, theirs = (register(client, auth, f"{ref}-{run}") for ref in (
        "TRAY-LATE", "TRAY-RUNNING", "TRAY-QUIET", "TRAY-THEIRS"))
    request_received(client, auth, late, days_ago=50)  # K1 (6 weeks) past due
    request_received(client, auth, running, days_ago=10)  # K1 due in about 32 days
    request_received(client, auth, theirs, days_ago=60)
    for child_id in (late, running, quiet):
        position = assign(client, auth, child_id, worker)
    position = max(position, assign(client, auth, theirs, colleague))
    return {"late": late, "running": running, "quiet": quiet, "theirs": theirs,
            "after": f"consistent_after={position}", "worker": worker,
            "colleague": colleague}


@pytest.mark.usefixtures("read_side")
def test_the_tray_orders_the_callers_cases_by_next_due_as_the_journey_says(
        client: FlaskClient, auth: Auth, caseload: dict[str, Any]) -> None:
    answer = mine(client, auth, caseload, f"?{caseload['after']}")
    assert answer.status_code == 200, answer.json
    items = answer.json["items"]
    assert [i["child_id"] for i in items] == [
        caseload["late"], caseload["running"], caseload["quiet"]]
    assert answer.json["as_at"] == date.today().isoformat()
    for item in items[:2]:
        journey = client.get(f"/children/{item['child_id']}", headers=auth()).json
        assert {k: item["next_due"][k] for k in SAME} == {
            k: journey["next_due"][k] for k in SAME}
    late = items[0]["next_due"]
    assert (late["clock"], late["status"]) == ("K1", "late")
    assert late["days_late"] > 0
    assert late["responsible"] == "local_authority"
    assert late["responsible_name"] == "LA-901"
    assert [c["clock"] for c in items[0]["late"]] == ["K1"]
    assert items[1]["next_due"]["status"] == "running"
    assert items[1]["next_due"]["days_late"] == 0
    assert items[2]["next_due"] is None
    assert items[2]["late"] == items[2]["due_soon"] == []


@pytest.mark.usefixtures("read_side")
def test_the_window_says_which_running_clocks_fall_due_soon(
        client: FlaskClient, auth: Auth, caseload: dict[str, Any]) -> None:
    running = caseload["running"]
    due_on = client.get(f"/children/{running}", headers=auth()).json["next_due"]["due_on"]
    days = (date.fromisoformat(due_on) - date.today()).days
    by_id = {i["child_id"]: i for i in tray_of(
        client, auth, caseload["worker"], f"?{caseload['after']}").json["items"]}
    assert by_id[running]["due_soon"] == []  # 14 days by default
    wide = mine(client, auth, caseload, f"?{caseload['after']}&due_within={days}d").json
    assert wide["due_within_days"] == days
    assert [c["due_on"] for c in {i["child_id"]: i for i in wide["items"]}[running][
        "due_soon"]] == [due_on]
    narrow = mine(client, auth, caseload, f"?{caseload['after']}&due_within={days - 1}d").json
    assert {i["child_id"]: i for i in narrow["items"]}[running]["due_soon"] == []


@pytest.mark.usefixtures("read_side")
def test_the_filters_narrow_the_tray_to_a_clock_a_stage_and_a_body(
        client: FlaskClient, auth: Auth, caseload: dict[str, Any]) -> None:
    after = caseload["after"]
    k1 = [i["child_id"] for i in mine(
        client, auth, caseload, f"?{after}&clock=K1").json["items"]]
    assert k1 == [caseload["late"], caseload["running"]]
    # K7 (the annual review) runs only once a plan is issued: no case here has it open.
    assert mine(client, auth, caseload, f"?{after}&clock=K7").json["items"] == []
    assert mine(client, auth, caseload, f"?{after}&responsible=family").json["items"] == []
    by_la = mine(client, auth, caseload, f"?{after}&responsible=local_authority").json["items"]
    assert [i["child_id"] for i in by_la] == [caseload["late"], caseload["running"]]
    stage = client.get(f"/children/{caseload['quiet']}", headers=auth()).json["stage"]
    staged = mine(client, auth, caseload, f"?{after}&stage={stage}").json["items"]
    assert caseload["quiet"] in [i["child_id"] for i in staged]
    assert all(i["stage"] == stage for i in staged)
    theirs = tray_of(client, auth, caseload["colleague"], f"?{after}").json["items"]
    assert [i["child_id"] for i in theirs] == [caseload["theirs"]]


@pytest.mark.parametrize("query, field", [
    ("?due_within=2w", "due_within"), ("?due_within=-1d", "due_within"),
    ("?due_within=400d", "due_within"), ("?clock=K99", "clock"),
    ("?responsible=nobody", "responsible"), ("?stage=nowhere", "stage"),
    ("?asat=2024-01-01", "asat"),
])
def test_bad_tray_queries_are_refused_naming_the_parameter(
        client: FlaskClient, auth: Auth, query: str, field: str) -> None:
    answer = tray_of(client, auth, "cw-tray", query)
    assert answer.status_code == 422, answer.json
    assert field in str(answer.json)


@pytest.mark.parametrize("role", ["inspector", "auditor", "admin"])
def test_only_local_authority_staff_have_a_tray(
        client: FlaskClient, auth: Auth, role: str) -> None:
    assert client.get("/worktray", headers=auth(role=role)).status_code == 403
