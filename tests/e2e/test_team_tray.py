"""A manager's team tray (``GET /worktray/team``) and bulk reassignment
(``POST /assignments``: each child its own ``CaseAssigned`` against its own version, all
or none), on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

Auth = Callable[..., dict[str, str]]


def register(client: FlaskClient, auth: Auth, org: str = "LA-901") -> str:
    answer = client.post("/children", json={"date_of_birth": "2015-03-02"},
                         headers=auth(org=org))
    assert answer.status_code == 201, answer.json
    return str(answer.json["child_id"])


def version(client: FlaskClient, auth: Auth, child_id: str, org: str = "LA-901") -> int:
    return int(client.get(f"/children/{child_id}", headers=auth(org=org)).json["version"])


def bulk(client: FlaskClient, auth: Auth, items: list[dict[str, Any]],
         role: str = "manager") -> Any:
    return client.post("/assignments", json={"assignments": items},
                       headers=auth(role=role, sub="mgr-bulk"))


def item(child_id: str, worker: str, at: int = 1) -> dict[str, Any]:
    return {"child_id": child_id, "version": at, "assigned_to": worker,
            "assigned_organisation": "LA-901"}


@pytest.fixture
def worker() -> str:
    return f"cw-bulk-{uuid.uuid4().hex[:8]}"  # the PostgreSQL database is the run's


def test_a_bulk_reassignment_records_one_case_assigned_per_child(
        client: FlaskClient, auth: Auth, worker: str) -> None:
    first, second = register(client, auth), register(client, auth)
    answer = bulk(client, auth, [item(first, worker), item(second, worker)])
    assert answer.status_code == 200, answer.json
    assigned = {a["child_id"]: a for a in answer.json["assigned"]}
    assert {a["version"] for a in assigned.values()} == {2}
    assert len({a["position"] for a in assigned.values()}) == 2
    for child_id in (first, second):
        state = client.get(f"/children/{child_id}", headers=auth()).json
        assert state["episodes"]["governance"]["assignment"]["assigned_to"] == worker
        history = client.get(f"/children/{child_id}/history", headers=auth()).json
        assert [e["type"] for e in history["items"]][-1] == "CaseAssigned"


def test_one_stale_version_refuses_the_whole_list_and_records_nothing(
        client: FlaskClient, auth: Auth, worker: str) -> None:
    fresh, moved = register(client, auth), register(client, auth)
    assert bulk(client, auth, [item(moved, "cw-first")]).status_code == 200  # now v2
    answer = bulk(client, auth, [item(fresh, worker), item(moved, worker, at=1)])
    assert answer.status_code == 412, answer.json
    assert (version(client, auth, fresh), version(client, auth, moved)) == (1, 2)


@pytest.mark.parametrize("case", ["other-authority", "same-holder", "caseworker"])
def test_a_refused_child_or_caller_records_nothing_for_any_child(
        client: FlaskClient, auth: Auth, worker: str, case: str) -> None:
    mine = register(client, auth)
    if case == "other-authority":
        other = register(client, auth, org="LA-902")
        answer = bulk(client, auth, [item(mine, worker), item(other, worker)])
        assert answer.status_code == 403
        assert version(client, auth, other, org="LA-902") == 1
    elif case == "same-holder":
        held = register(client, auth)
        assert bulk(client, auth, [item(held, worker)]).status_code == 200
        answer = bulk(client, auth, [item(mine, worker), item(held, worker, at=2)])
        assert answer.status_code == 409
        assert answer.json["code"] == "case-assignment-changes"
    else:
        assert bulk(client, auth, [item(mine, worker)], role="caseworker").status_code == 403
    assert version(client, auth, mine) == 1


@pytest.mark.parametrize("body, field", [
    ({"assignments": []}, "assignments"),
    ({"assignments": "all"}, "assignments"),
    ({"assignments": [{"child_id": "x", "version": 1}]}, "child_id"),
    ({"assignments": [{**item(str(uuid.UUID(int=1)), "cw"), "team": "east"}]}, "team"),
    ({"assignments": [{**item(str(uuid.UUID(int=1)), "cw"), "version": 0}]}, "version"),
    ({"assignments": [], "when": "now"}, "when"),
])
def test_bad_bulk_bodies_name_the_field(client: FlaskClient, auth: Auth,
                                        body: dict[str, Any], field: str) -> None:
    answer = client.post("/assignments", json=body, headers=auth(role="manager"))
    assert answer.status_code == 422, answer.json
    assert field in str(answer.json)


def test_a_child_named_twice_is_refused_and_nothing_is_recorded(
        client: FlaskClient, auth: Auth, worker: str) -> None:
    child_id = register(client, auth)
    answer = bulk(client, auth, [item(child_id, worker), item(child_id, "cw-else")])
    assert answer.status_code == 422
    assert "assignments" in str(answer.json)
    assert version(client, auth, child_id) == 1


def keyed_bulk(client: FlaskClient, auth: Auth, items: list[dict[str, Any]], key: str,
               sub: str = "mgr-bulk") -> Any:
    return client.post("/assignments", json={"assignments": items},
                       headers=auth(role="manager", sub=sub, **{"Idempotency-Key": key}))


def case_assigned_count(client: FlaskClient, auth: Auth, child_id: str) -> int:
    history = client.get(f"/children/{child_id}/history", headers=auth()).json
    return [e["type"] for e in history["items"]].count("CaseAssigned")


def test_the_same_key_and_body_answer_the_first_answer_and_record_once(
        client: FlaskClient, auth: Auth, worker: str) -> None:
    first, second = register(client, auth), register(client, auth)
    items = [item(first, worker), {**item(second, worker), "reason": "Caseload balancing"}]
    key = f"bulk-{uuid.uuid4()}"
    answer = keyed_bulk(client, auth, items, key)
    assert answer.status_code == 200, answer.json
    assert "Idempotency-Replayed" not in answer.headers
    again = keyed_bulk(client, auth, items, key)
    assert again.status_code == 200, again.json
    assert again.headers["Idempotency-Replayed"] == "true"
    assert [(a["child_id"], a["version"]) for a in again.json["assigned"]] == [
        (a["child_id"], a["version"]) for a in answer.json["assigned"]]
    # A replay's position is the log's then: at or after the first answer's.
    assert min(a["position"] for a in again.json["assigned"]) >= max(
        a["position"] for a in answer.json["assigned"])
    assert (version(client, auth, first), version(client, auth, second)) == (2, 2)
    assert case_assigned_count(client, auth, first) == case_assigned_count(
        client, auth, second) == 1


def test_the_same_key_with_another_body_is_422_and_records_nothing(
        client: FlaskClient, auth: Auth, worker: str) -> None:
    first, second = register(client, auth), register(client, auth)
    key = f"bulk-{uuid.uuid4()}"
    assert keyed_bulk(client, auth, [item(first, worker)], key).status_code == 200
    for changed in ([item(first, "cw-someone-else")],  # stale now, and not the same
                    [item(second, worker)]):  # would be recorded, but not under this key
        answer = keyed_bulk(client, auth, changed, key)
        assert answer.status_code == 422, answer.json
        assert answer.json["errors"][0]["pointer"] == "/headers/Idempotency-Key"
    assert (version(client, auth, first), version(client, auth, second)) == (2, 1)


def test_a_key_belongs_to_its_manager(client: FlaskClient, auth: Auth, worker: str) -> None:
    first, second = register(client, auth), register(client, auth)
    key = f"bulk-{uuid.uuid4()}"
    assert keyed_bulk(client, auth, [item(first, worker)], key).status_code == 200
    other = keyed_bulk(client, auth, [item(second, worker)], key, sub="mgr-other")
    assert other.status_code == 200, other.json
    assert "Idempotency-Replayed" not in other.headers
    assert version(client, auth, second) == 2


def test_once_a_child_is_erased_the_first_request_can_no_longer_be_compared(
        client: FlaskClient, auth: Auth, worker: str) -> None:
    kept, erased = register(client, auth), register(client, auth)
    items = [item(kept, worker), {**item(erased, worker), "reason": "Family asked for it"}]
    key = f"bulk-{uuid.uuid4()}"
    assert keyed_bulk(client, auth, items, key).status_code == 200
    shredded = client.post(f"/children/{erased}/erasure", headers=auth(role="admin"),
                           json={"basis": "erasure_request"})
    assert shredded.status_code == 200, shredded.json
    again = keyed_bulk(client, auth, items, key)
    assert again.status_code == 409, again.json
    assert again.json["code"] == "personal-data-erased"
    assert version(client, auth, kept) == 2


def test_the_spec_declares_the_idempotency_key_on_bulk_reassignment(
        client: FlaskClient) -> None:
    operation = client.get("/openapi.json").json["paths"]["/assignments"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in operation["parameters"]}


def all_unassigned(client: FlaskClient, auth: Auth, position: int, org: str = "LA-901",
                   limit: int = 500) -> list[str]:
    """Every unassigned case of ``org``, page after page (``next_after``)."""
    found: list[str] = []
    after: int | None = 0
    while after is not None:
        page = client.get(f"/worktray/team?consistent_after={position}&after={after}"
                          f"&limit={limit}", headers=auth(role="manager", org=org))
        assert page.status_code == 200, page.json
        assert len(page.json["unassigned"]) <= limit
        found += [i["child_id"] for i in page.json["unassigned"]]
        after = page.json["next_after"]
    return found


@pytest.mark.usefixtures("read_side")
def test_the_team_tray_counts_cases_per_holder_and_lists_the_unassigned(
        client: FlaskClient, auth: Auth, worker: str) -> None:
    held = [register(client, auth) for _ in range(3)]
    loose = register(client, auth)
    answer = bulk(client, auth, [item(c, worker) for c in held])
    position = max(a["position"] for a in answer.json["assigned"])
    team = client.get(f"/worktray/team?consistent_after={position}",
                      headers=auth(role="manager"))
    assert team.status_code == 200, team.json
    counts = {(c["assigned_organisation"], c["assigned_to"]): c["cases"]
              for c in team.json["caseworkers"]}
    assert counts[("LA-901", worker)] == 3
    unassigned = all_unassigned(client, auth, position)
    assert loose in unassigned
    assert not set(held) & set(unassigned)
    mine = client.get(f"/worktray?consistent_after={position}", headers=auth(sub=worker))
    assert sorted(i["child_id"] for i in mine.json["items"]) == sorted(held)


@pytest.mark.parametrize("role", ["caseworker", "inspector", "auditor", "admin"])
def test_only_managers_see_the_team_tray(client: FlaskClient, auth: Auth, role: str) -> None:
    assert client.get("/worktray/team", headers=auth(role=role)).status_code == 403


def test_the_team_tray_takes_no_clock_or_body_filter(client: FlaskClient, auth: Auth) -> None:
    answer = client.get("/worktray/team?clock=K1", headers=auth(role="manager"))
    assert answer.status_code == 422
    assert "clock" in str(answer.json)


@pytest.mark.usefixtures("read_side")
def test_the_unassigned_cases_come_in_pages_that_together_are_the_whole_list(
        client: FlaskClient, auth: Auth) -> None:
    """after/limit/next_after as the other lists: pages in the list's order, none lost or
    repeated, null after the last (an authority of this test's own: the database is the
    run's)."""
    org = f"LA-P{uuid.uuid4().hex[:6]}"
    children = [register(client, auth, org=org) for _ in range(5)]
    position = client.get("/readyz").json["position"]
    whole = client.get(f"/worktray/team?consistent_after={position}&limit=500",
                       headers=auth(role="manager", org=org))
    assert whole.status_code == 200, whole.json
    assert whole.json["next_after"] is None
    order = [i["child_id"] for i in whole.json["unassigned"]]
    assert sorted(order) == sorted(children)
    first = client.get("/worktray/team?limit=2", headers=auth(role="manager", org=org)).json
    assert [i["child_id"] for i in first["unassigned"]] == order[:2]
    assert first["next_after"] == 2
    assert all_unassigned(client, auth, position, org=org, limit=2) == order
    last = client.get("/worktray/team?after=4&limit=2", headers=auth(role="manager", org=org))
    assert [i["child_id"] for i in last.json["unassigned"]] == order[4:]
    assert last.json["next_after"] is None
    beyond = client.get("/worktray/team?after=9", headers=auth(role="manager", org=org))
    assert beyond.json["unassigned"] == [] and beyond.json["next_after"] is None


@pytest.mark.parametrize(("query", "named"), [
    ("limit=0", "limit"), ("limit=501", "limit"), ("limit=many", "limit"),
    ("after=-1", "after"), ("after=x", "after"), ("page=2", "page"), ("cursor=abc", "cursor"),
])
def test_bad_paging_of_the_team_tray_names_the_parameter(
        client: FlaskClient, auth: Auth, query: str, named: str) -> None:
    answer = client.get(f"/worktray/team?{query}", headers=auth(role="manager"))
    assert answer.status_code in (400, 422), answer.json
    assert named in str(answer.json)


def test_the_spec_pages_the_unassigned_cases(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").json
    operation = spec["paths"]["/worktray/team"]["get"]
    assert {"after", "limit"} <= {p["name"] for p in operation["parameters"]}
    assert "next_after" in spec["components"]["schemas"]["Team"]["properties"]
