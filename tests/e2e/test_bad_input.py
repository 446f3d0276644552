"""Bad input that once gave 500 is a 4xx problem and stores nothing (issue 12.6-12.11,
12.13, 12.15), on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import settings_for
from web import bodies, create_app
from web.bodies import MAX_JSON_DEPTH, body_problem
from web.services import services_of

Auth = Callable[..., dict[str, str]]
JSON = {"Content-Type": "application/json"}
CORRECTION = {"type": "EntryCorrected", "occurred_on": "2024-01-02", "target_version": 1,
              "changes": {"case_ref": "BI-renamed"}, "reason": "typo"}


def register(client: FlaskClient, auth: Auth) -> str:
    answer = client.post("/children", json={"date_of_birth": "2015-03-02",
                                             "case_ref": f"BI-{uuid.uuid4().hex[:8]}"},
                         headers=auth())
    assert answer.status_code == 201, answer.json
    return str(answer.json["child_id"])


def version_of(client: FlaskClient, auth: Auth, child_id: str) -> int:
    return int(client.get(f"/children/{child_id}", headers=auth()).json["version"])


def assert_problem(answer: Any, status: int = 422) -> dict[str, Any]:
    assert answer.status_code == status, (answer.status_code, answer.get_data()[:300])
    assert answer.mimetype == "application/problem+json"
    return answer.json  # type: ignore[no-any-return]


def json_endpoints(child_id: str) -> list[tuple[str, str]]:
    return [("POST", "/children"), ("POST", f"/children/{child_id}/events"),
            ("PUT", f"/children/{child_id}/assignment"),
            ("POST", f"/children/{child_id}/legal-holds"),
            ("POST", f"/children/{child_id}/legal-holds/H-1/release"),
            ("POST", f"/children/{child_id}/erasure"), ("POST", "/inspections"),
            ("POST", f"/inspections/{uuid.uuid4()}/sample")]


def test_deeply_nested_json_is_refused_unread_on_every_json_endpoint(
        client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth)
    deep = "[" * 5000 + "]" * 5000
    for method, path in json_endpoints(child_id):
        answer = client.open(path, method=method, data=deep,
                             headers=auth(role="manager", **JSON, **{"If-Match": '"1"'}))
        assert "deeper than" in assert_problem(answer)["detail"], path
    imported = client.post("/imports", data=deep + "\n", headers=auth(
        **{"Content-Type": "application/x-ndjson"}))
    assert "deeper than" in assert_problem(imported)["detail"]
    assert version_of(client, auth, child_id) == 1


def test_the_depth_bound_counts_brackets_outside_strings_only() -> None:
    nested = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert body_problem(nested.encode()) is None
    assert body_problem(("[" + nested + "]").encode()) is not None
    assert body_problem(json.dumps({"note": "[" * 1000}).encode()) is None
    assert body_problem(b'{"a": "\\\\ud800 is text"}') is None
    assert body_problem(b'{"a": "\\ud83d\\ude00"}') is None


def _every_scan(body: bytes) -> str | None:
    """body_problem without its shortcuts: every scan over every body."""
    if bodies.json_depth(body) > MAX_JSON_DEPTH:
        return f"JSON nests deeper than {MAX_JSON_DEPTH} levels"
    if bodies._LONE_SURROGATE.search(body):
        return "a string holds a lone UTF-16 surrogate (\\ud800-\\udfff without its pair)"
    if bodies._NUL.search(body):
        return "a string holds a NUL character (\\u0000)"
    return None


_PIECES = [b"[", b"]", b"{", b"}", b'"', b"\\", b"\\u", b"d8", b"dc", b"00", b"0",
           b"\\ud800", b"\\udc00", b"\\u0000", b"a", b":", b","]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=120),
       st.integers(min_value=0, max_value=2 * MAX_JSON_DEPTH))
def test_the_shortcuts_answer_as_every_scan_would(pieces: list[bytes], depth: int) -> None:
    body = b"[" * depth + b"".join(pieces) + b"]" * depth
    assert body_problem(body) == _every_scan(body)


@pytest.mark.usefixtures("read_side")
@pytest.mark.parametrize("field", ["case_ref", "given_name", "family_name"])
def test_a_lone_surrogate_in_any_string_is_refused_and_nothing_is_stored(
        client: FlaskClient, auth: Auth, field: str) -> None:
    body = '{"date_of_birth": "2015-03-02", "FIELD": "A\\ud800B"}'.replace("FIELD", field)
    assert "surrogate" in assert_problem(client.post("/children", data=body,
                                                     headers=auth(**JSON)))["detail"]
    low = '{"date_of_birth": "2015-03-02", "FIELD": "\\udc00"}'.replace("FIELD", field)
    assert_problem(client.post("/children", data=low, headers=auth(**JSON)))
    listed = client.get("/children?limit=200", headers=auth()).json["items"]
    assert all("\ud800" not in json.dumps(item) for item in listed)


def test_a_lone_surrogate_inside_an_events_nested_list_is_refused(
        client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth)
    body = json.dumps({"type": "EHCNeedsAssessmentRequested", "occurred_on": "2024-01-08",
                       "requester_role": "Parent", "request_source": "1",
                       "evidence": [{"title": "X", "document_ref": "D"}]}).replace(
        '"X"', '"\\ud800"')
    assert_problem(client.post(f"/children/{child_id}/events", data=body,
                               headers=auth(**JSON)))
    assert version_of(client, auth, child_id) == 1


def test_known_at_before_registration_is_a_problem_naming_the_parameter(
        client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth)
    problem = assert_problem(client.get(
        f"/children/{child_id}/journey?known_at=2000-01-01T00:00:00Z", headers=auth()))
    assert problem["errors"][0]["pointer"] == "/query/known_at"


@pytest.mark.parametrize("query", ["/children/{c}/history?after=9223372036854775808",
                                   "/children/{c}/journey?version=9223372036854775808",
                                   "/audit/events?after=9223372036854775808",
                                   "/audit/access?after=99999999999999999999",
                                   "/children?consistent_after=9223372036854775808"])
def test_integers_past_the_stores_range_are_refused(
        client: FlaskClient, auth: Auth, query: str) -> None:
    child_id = register(client, auth)
    role = "auditor" if query.startswith("/audit/access") else "manager"
    assert_problem(client.get(query.format(c=child_id), headers=auth(role=role)))


def test_an_if_match_past_the_stores_range_is_a_precondition_failure(
        client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth)
    answer = client.post(f"/children/{child_id}/events", json=CORRECTION, headers=auth(
        role="manager", **{"If-Match": f'"{2 ** 63}"'}))
    assert_problem(answer, 412)
    assert version_of(client, auth, child_id) == 1


@pytest.mark.parametrize("value", ["A%00B", "%00"])
def test_a_nul_in_a_filter_is_refused(client: FlaskClient, auth: Auth, value: str) -> None:
    problem = assert_problem(client.get(f"/children?case_ref={value}", headers=auth()))
    assert problem["errors"][0]["pointer"] == "/query/case_ref"
    assert_problem(client.get(f"/audit/events?actor={value}", headers=auth(role="manager")))


def test_a_nul_in_a_body_string_is_refused(client: FlaskClient, auth: Auth) -> None:
    body = '{"date_of_birth": "2015-03-02", "case_ref": "A\\u0000B"}'
    assert "NUL" in assert_problem(client.post("/children", data=body,
                                               headers=auth(**JSON)))["detail"]


@pytest.mark.parametrize("hold_ref", ["A/B", "/", ".", "..", "-x", "a b"])
def test_a_legal_hold_reference_that_could_not_be_released_is_refused(
        client: FlaskClient, auth: Auth, hold_ref: str) -> None:
    child_id = register(client, auth)
    answer = client.post(f"/children/{child_id}/legal-holds", headers=auth(role="manager"),
                         json={"hold_ref": hold_ref, "basis": "appeal"})
    assert assert_problem(answer)["errors"][0]["pointer"] == "/hold_ref"
    assert version_of(client, auth, child_id) == 1


def test_every_accepted_legal_hold_reference_is_releasable_and_the_child_erasable(
        client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth)
    for hold_ref in ("A.B_C-1", "2025.07", "X" * 60):
        placed = client.post(f"/children/{child_id}/legal-holds", headers=auth(role="manager"),
                             json={"hold_ref": hold_ref, "basis": "appeal"})
        assert placed.status_code == 201, placed.json
        released = client.post(f"/children/{child_id}/legal-holds/{hold_ref}/release",
                               headers=auth(role="manager"), json={})
        assert released.status_code in (200, 201), released.json
    erased = client.post(f"/children/{child_id}/erasure", headers=auth(role="admin"),
                         json={"basis": "erasure_request"})
    assert erased.status_code in (200, 201), erased.json


@pytest.mark.parametrize("born", ["0001-01-01", "1900-06-01", "1970-01-01"])
def test_an_implausible_date_of_birth_is_refused(
        client: FlaskClient, auth: Auth, born: str) -> None:
    answer = client.post("/children", json={"date_of_birth": born, "occurred_on": "2024-01-02"},
                         headers=auth())
    assert assert_problem(answer, 409)["code"] == "date-of-birth-implausible"


def test_if_match_star_does_not_satisfy_a_required_version(
        client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth)
    corrected = client.post(f"/children/{child_id}/events", json=CORRECTION,
                            headers=auth(role="manager", **{"If-Match": "*"}))
    assert "names no version" in assert_problem(corrected, 428)["detail"]
    assigned = client.put(f"/children/{child_id}/assignment", headers=auth(
        role="manager", **{"If-Match": "*"}), json={"assigned_to": "cw-1",
                                                  "assigned_organisation": "LA-901"})
    assert_problem(assigned, 428)
    assert version_of(client, auth, child_id) == 1


@pytest.fixture
def cors_app(tmp_path: Path) -> Any:
    settings = settings_for(tmp_path)
    app: Flask = create_app(settings.__class__(**{
        **settings.__dict__, "cors_origins": ("https://app.example.org",)}))
    yield app
    services_of(app).close()


def test_an_allowed_origin_may_put_an_assignment(cors_app: Flask) -> None:
    preflight = cors_app.test_client().options(
        f"/children/{uuid.uuid4()}/assignment",
        headers={"Origin": "https://app.example.org", "Access-Control-Request-Method": "PUT"})
    assert preflight.status_code == 204
    methods = {m.strip() for m in preflight.headers["Access-Control-Allow-Methods"].split(",")}
    assert "PUT" in methods


@pytest.mark.usefixtures("read_side")
def test_csv_and_xml_downloads_name_their_file(
        client: FlaskClient, auth: Auth, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASETRACK_SEN2_LA_NUMBERS", "LA-901=901")
    csv = client.get("/audit/events", headers=auth(role="manager", Accept="text/csv"))
    assert csv.status_code == 200
    assert csv.headers["Content-Disposition"] == 'attachment; filename="audit-events.csv"'
    xml = client.get("/exports/sen2?year=2025&authority=LA-901&format=xml",
                     headers=auth(role="manager"))
    assert xml.status_code == 200, xml.get_data()[:300]
    assert xml.headers["Content-Disposition"] == \
        'attachment; filename="sen2-LA-901-2025.xml"'
