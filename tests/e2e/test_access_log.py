"""Every look at a child's record is recorded before the answer leaves, and
``GET /audit/access`` answers who looked (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.access_log import AccessLog
from web.services import services_of

Auth = Callable[..., dict[str, str]]
PURPOSE = "complaint: 2024/17 about delayed assessment"
# Reads of a child's record that show no case content, so are not looks.
NOT_LOOKS = {"GET /children/{child_id}/integrity"}


def register(client: FlaskClient, headers: dict[str, str]) -> str:
    answer = client.post("/children", json={"date_of_birth": "2015-03-02"}, headers=headers)
    assert answer.status_code == 201, answer.json
    return str(answer.json["child_id"])


def looks(client: FlaskClient, auth: Auth, query: str = "", **headers: str
          ) -> dict[str, Any]:
    answer = client.get(f"/audit/access{query}", headers=auth(role="auditor", sub="aud-1",
                                                              **headers))
    assert answer.status_code == 200, answer.json
    return answer.json  # type: ignore[no-any-return]


def reads(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in items if i["kind"] != "access-log"]


def test_each_read_of_a_record_is_recorded_with_who_role_organisation_purpose_and_when(
        client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth())
    before = datetime.now(UTC)
    state = client.get(f"/children/{child_id}", headers=auth(sub="cw-7"))
    journey = client.get(f"/children/{child_id}/journey?purpose=tribunal%3A%20TRB-2025-7",
                         headers=auth(role="manager", sub="mgr-2"))
    history = client.get(f"/children/{child_id}/history",
                         headers=auth(role="auditor", sub="aud-3",
                                      **{"X-Access-Purpose": PURPOSE}))
    assert [state.status_code, journey.status_code, history.status_code] == [200, 200, 200]

    found = reads(looks(client, auth, f"?child_id={child_id}",
                        **{"X-Access-Purpose": PURPOSE})["items"])
    assert [(i["kind"], i["actor"], i["purpose"]) for i in found] == [
        ("state", {"user_id": "cw-7", "role": "caseworker", "organisation": "LA-901"}, None),
        ("journey", {"user_id": "mgr-2", "role": "manager", "organisation": "LA-901"},
         "tribunal: TRB-2025-7"),
        ("history", {"user_id": "aud-3", "role": "auditor", "organisation": "LA-901"},
         PURPOSE),
    ]
    assert all(before <= datetime.fromisoformat(i["at"]) <= datetime.now(UTC) for i in found)
    assert found[0]["request_id"] == state.headers["X-Request-ID"]
    assert found[0]["route"] == "/children/<uuid:child_id>"


def test_looks_are_found_by_child_by_actor_and_by_period(
        client: FlaskClient, auth: Auth) -> None:
    first, second = register(client, auth()), register(client, auth())
    client.get(f"/children/{first}", headers=auth(sub="alice"))
    middle = datetime.now(UTC)
    client.get(f"/children/{second}", headers=auth(sub="bob"))
    client.get(f"/children/{first}", headers=auth(sub="bob"))

    by_child = reads(looks(client, auth, f"?child_id={first}", **{
        "X-Access-Purpose": PURPOSE})["items"])
    assert [i["actor"]["user_id"] for i in by_child] == ["alice", "bob"]
    by_actor = looks(client, auth, "?actor=bob", **{"X-Access-Purpose": PURPOSE})["items"]
    assert [i["child_id"] for i in by_actor] == [second, first]
    since = middle.isoformat().replace("+00:00", "Z")
    in_period = reads(looks(client, auth, f"?since={since}&child_id={first}", **{
        "X-Access-Purpose": PURPOSE})["items"])
    assert [i["actor"]["user_id"] for i in in_period] == ["bob"]


def test_an_auditor_without_a_purpose_sees_pseudonyms_and_a_purpose_unlocks_names(
        client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth())
    client.get(f"/children/{child_id}", headers=auth(sub="carol"))
    hidden = looks(client, auth, f"?child_id={child_id}")
    assert hidden["identifiers"] == "pseudonymised"
    pseudonym = reads(hidden["items"])[0]["actor"]["user_id"]
    assert re.fullmatch(r"pseudo-[0-9a-f]{16}", pseudonym)
    assert "carol" not in str(hidden)
    # The same person has the same pseudonym, and the pseudonym finds them.
    # (Other tests' looks by the same user may share the store: ask for this child too.)
    found = reads(looks(client, auth, f"?actor={pseudonym}&child_id={child_id}")["items"])
    assert [look["child_id"] for look in found] == [child_id]
    shown = looks(client, auth, f"?child_id={child_id}&purpose={PURPOSE}")
    assert shown["identifiers"] == "clear"
    assert reads(shown["items"])[0]["actor"]["user_id"] == "carol"
    # The unlocking query itself is in the log, with its purpose.
    queries = [i for i in looks(client, auth, f"?child_id={child_id}")["items"]
               if i["kind"] == "access-log"]
    assert PURPOSE in [q["purpose"] for q in queries]


def test_only_auditors_read_the_access_log(client: FlaskClient, auth: Auth) -> None:
    for role in ("caseworker", "manager", "inspector", "admin"):
        assert client.get("/audit/access", headers=auth(role=role)).status_code == 403
    assert client.get("/audit/access").status_code == 401


def test_a_read_that_cannot_be_recorded_is_withheld(
        app: Flask, client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth())

    def broken(*_: Any, **__: Any) -> int:
        raise OSError("disk full")

    log: AccessLog = services_of(app).access_log
    log.record = broken  # type: ignore[method-assign]
    answer = client.get(f"/children/{child_id}", headers=auth())
    assert answer.status_code == 503
    assert answer.mimetype == "application/problem+json"
    assert "date_of_birth" not in answer.get_data(as_text=True)


def test_the_look_is_stored_before_the_answer_is_returned(
        app: Flask, client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth())
    log: AccessLog = services_of(app).access_log
    seen_when_answered: list[int] = []
    original = log.record

    def spy(*args: Any, **kwargs: Any) -> int:
        position = original(*args, **kwargs)
        seen_when_answered.append(log.max_position())
        return position

    log.record = spy  # type: ignore[method-assign]
    answer = client.get(f"/children/{child_id}", headers=auth())
    assert answer.status_code == 200
    assert seen_when_answered and seen_when_answered[0] >= 1
    # A second application over the same store sees the look: it is durable.
    settings = services_of(app).settings
    other = AccessLog(env=settings.access_log_env())
    try:
        from application.access_log import AccessFilter

        assert [r["kind"] for r in other.looks(AccessFilter(child_id=UUID(child_id)))] == [
            "state"]
    finally:
        other.close()


READS_RECORDED_ON_ADMISSION = {
    "state": "", "journey": "/journey", "history": "/history", "bundle": "/bundle",
    "bundle.html": "/bundle.html", "document": "/documents/{document}"}


def test_a_look_is_recorded_once_the_read_is_admitted_on_the_request_s_own_thread(
        app: Flask, client: FlaskClient, auth: Auth) -> None:
    """The state, the timeline, the history, the bundle (JSON and the family's page) and a
    document's download record their look once the access checks passed, on the request's
    own thread (ADR 0028), once; a refused read records none."""
    from tests.e2e.test_documents import upload

    child_id = register(client, auth())
    document = upload(client, child_id, auth()).json["event"]["data"]["document_id"]
    log: AccessLog = services_of(app).access_log
    original = log.record
    committed: list[threading.Thread] = []

    def spy(*args: Any, **kwargs: Any) -> int:
        position = original(*args, **kwargs)
        committed.append(threading.current_thread())
        return position

    log.record = spy  # type: ignore[method-assign]
    paths = [p.format(document=document) for p in READS_RECORDED_ON_ADMISSION.values()]
    for path in paths:
        committed.clear()
        answer = client.get(f"/children/{child_id}{path}", headers=auth(role="manager"))
        assert answer.status_code == 200, (path, answer.data[:300])
        assert committed == [threading.current_thread()], (path, committed)
    committed.clear()
    for path in paths:
        assert client.get(f"/children/{child_id}{path}", headers=auth(
            role="manager", org="LA-999")).status_code == 403, path
        assert client.get(f"/children/{UUID(int=7)}{path}", headers=auth(
            role="manager")).status_code == 404, path
    assert client.get(f"/children/{child_id}/documents/{UUID(int=7)}", headers=auth(
        role="manager")).status_code == 404
    assert committed == []
    found = reads(looks(client, auth, f"?child_id={child_id}")["items"])
    assert [i["kind"] for i in found] == [
        "document-upload", "state", "journey", "history", "bundle", "bundle", "document"]


def test_a_read_whose_look_fails_on_admission_is_withheld_and_its_answer_never_built(
        app: Flask, client: FlaskClient, auth: Auth, monkeypatch: pytest.MonkeyPatch) -> None:
    from application import tracking
    from tests.e2e.test_documents import upload

    child_id = register(client, auth())
    document = upload(client, child_id, auth()).json["event"]["data"]["document_id"]
    built: list[object] = []
    build = tracking.journey_now
    monkeypatch.setattr(tracking, "journey_now",
                        lambda *args: built.append(args) or build(*args))

    def broken(*_: Any, **__: Any) -> int:
        raise OSError("disk full")

    log: AccessLog = services_of(app).access_log
    log.record = broken  # type: ignore[method-assign]
    for path in READS_RECORDED_ON_ADMISSION.values():
        answer = client.get(f"/children/{child_id}{path.format(document=document)}",
                            headers=auth(role="manager"))
        assert answer.status_code == 503, path
        assert answer.mimetype == "application/problem+json"
        assert answer.json["type"].endswith("access-not-recorded")
        assert answer.headers["Retry-After"] == "5"
        assert "2015-03-02" not in answer.get_data(as_text=True)
    assert built == []  # the state's answer was never built


def test_a_read_whose_view_recorded_its_look_is_no_inspectors_report() -> None:
    """The after-request hook records nothing more for a look a view recorded
    (web.security._record_read): the endpoints that record one are none of those an
    inspector's report is recorded for, so such a read has that one look and no other."""
    from web.security import INSPECTED_REPORT_ENDPOINTS, READ_ENDPOINTS

    assert INSPECTED_REPORT_ENDPOINTS.isdisjoint(READ_ENDPOINTS)


def test_every_read_of_a_childs_record_in_the_spec_is_recorded(
        app: Flask, client: FlaskClient, auth: Auth) -> None:
    """A new endpoint reading one child's record must record the look (or be listed here)."""
    spec = services_of(app).api.spec.to_dict()
    paths = [p for p, ops in spec["paths"].items() if "get" in ops and "{child_id}" in p
             and f"GET {p}" not in NOT_LOOKS and p.count("{") == 1]
    assert "/children/{child_id}" in paths
    unrecorded = []
    for path in paths:
        child_id = register(client, auth())
        answer = client.get(path.replace("{child_id}", child_id),
                            headers=auth(role="manager", sub="walker"))
        assert answer.status_code == 200, (path, answer.json)
        recorded = reads(looks(client, auth, f"?child_id={child_id}")["items"])
        if len(recorded) != 1:
            unrecorded.append(path)
    assert unrecorded == []


@pytest.mark.parametrize("query", ["?limit=0", "?since=yesterday", "?child_id=nope"])
def test_bad_access_queries_are_refused_with_pointers(
        client: FlaskClient, auth: Auth, query: str) -> None:
    answer = client.get(f"/audit/access{query}", headers=auth(role="auditor"))
    assert answer.status_code == 422
    assert answer.json["errors"][0]["pointer"].startswith("/query/")


def test_pages_follow_on_without_gaps(client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth())
    for _ in range(5):
        client.get(f"/children/{child_id}", headers=auth(sub="pager"))
    seen: list[int] = []
    after = 0
    while True:
        page = looks(client, auth, f"?actor=pager&limit=2&after={after}",
                     **{"X-Access-Purpose": PURPOSE})
        seen.extend(i["position"] for i in page["items"])
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert len(seen) == 5 and seen == sorted(set(seen))
