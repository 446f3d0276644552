"""Every endpoint of the OpenAPI spec × every role × own/other authority answers exactly
as the permission table in docs/security.md says (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from infrastructure.migrations import upgrade
from infrastructure.projections import ReadModelDatabase
from tests.conftest import TEST_SECRET, settings_for
from tests.postgres import fresh_database, server_url_or_skip
from web import create_app
from web.auth import mint_token
from web.services import services_of

SECURITY_MD = Path(__file__).resolve().parents[2] / "docs" / "security.md"
ROLES = ("caseworker", "manager", "inspector", "auditor", "admin", "family", "partner")
COLUMNS = ("no token", *(f"{role} {side}" for role in ROLES for side in ("own", "other")))
OWN, OTHER = "LA-901", "LA-902"
INSPECTORATE, OTHER_INSPECTORATE = "OFSTED-CQC", "OTHER-INSPECTORATE"
PARTNER = "EP-SERVICE-901"
# The family's voice: the one kind of event every writer, the family included, may record.
FEEDBACK = {"type": "FamilyFeedbackRecorded", "occurred_on": "2024-01-08",
            "given_by": "parent", "about": "assessment", "rating": 4}


def permission_table() -> dict[str, dict[str, str]]:
    """Return {"METHOD /path": {column: "2xx" | "401" | "403"}} from docs/security.md."""
    lines = SECURITY_MD.read_text().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| endpoint |"))
    names = [c.strip() for c in lines[header].strip("|").split("|")][1:]
    assert tuple(names) == COLUMNS, names
    table: dict[str, dict[str, str]] = {}
    for line in lines[header + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        endpoint = cells[0].strip("`")
        assert endpoint not in table, f"{endpoint} appears twice"
        assert all(re.fullmatch(r"2xx|401|403", c) for c in cells[1:]), line
        table[endpoint] = dict(zip(COLUMNS, cells[1:], strict=True))
    return table


def spec_operations(app: Flask) -> set[str]:
    spec = services_of(app).api.spec.to_dict()
    return {f"{method.upper()} {path}" for path, ops in spec["paths"].items()
            for method in ops if method in ("get", "post", "put", "patch", "delete")}


@pytest.fixture(autouse=True)
def sen2_la_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The DfE numbers SEN2 needs for each authority (else the export refuses: 409)."""
    monkeypatch.setenv("CASETRACK_SEN2_LA_NUMBERS", f"{OWN}=901,{OTHER}=902")


@pytest.fixture
def app(tmp_path: Path, store_url: str | None) -> Iterator[Flask]:
    """The app on a PostgreSQL database of its own, its read models migrated."""
    with ExitStack() as stack:
        url = None if store_url is None else stack.enter_context(
            fresh_database(server_url_or_skip()))
        flask_app = create_app(settings_for(tmp_path, url))
        engine = ReadModelDatabase.beside(url, tmp_path).engine()
        upgrade(engine)
        engine.dispose()
        yield flask_app
        services_of(flask_app).close()


def token(role: str, org: str, sub: str | None = None, child: str | None = None
          ) -> dict[str, str]:
    value = mint_token(TEST_SECRET, subject=sub or f"{role}-{org}", role=role,
                       organisation=org, child=child)
    return {"Authorization": f"Bearer {value}"}


STAFF = {OWN: token("caseworker", OWN, "setup-own"), OTHER: token("caseworker", OTHER,
                                                                  "setup-other")}


@dataclass
class Target:
    """What a request is aimed at: an authority, one of its children, an inspection."""

    authority: str
    child_id: str
    inspection_id: str


def register(client: FlaskClient, authority: str) -> str:
    answer = client.post("/children", json={"date_of_birth": "2015-03-02"},
                         headers=STAFF[authority])
    assert answer.status_code == 201, answer.json
    return str(answer.json["child_id"])


def open_inspection(client: FlaskClient, authority: str, inspectorate: str,
                    child_id: str) -> str:
    today = date.today()
    opened = client.post("/inspections", headers=token("inspector", inspectorate), json={
        "authority": authority, "starts_on": (today - timedelta(days=1)).isoformat(),
        "ends_on": (today + timedelta(days=30)).isoformat(), "theme": "transitions"})
    assert opened.status_code == 201, opened.json
    inspection_id = str(opened.json["inspection_id"])
    sampled = client.post(f"/inspections/{inspection_id}/sample", json={
        "child_ids": [child_id]}, headers=token("inspector", inspectorate))
    assert sampled.status_code == 200, sampled.json
    return inspection_id


def world(client: FlaskClient) -> dict[str, Target]:
    own_child, other_child = register(client, OWN), register(client, OTHER)
    return {
        "own": Target(OWN, own_child, open_inspection(client, OWN, INSPECTORATE, own_child)),
        "other": Target(OTHER, other_child,
                        open_inspection(client, OTHER, OTHER_INSPECTORATE, other_child)),
    }


Recipe = Callable[[FlaskClient, Target, dict[str, str]], TestResponse]


def _ndjson(client: FlaskClient, _: Target, headers: dict[str, str]) -> TestResponse:
    line = json.dumps({"case_ref": f"PERM-{uuid.uuid4().hex[:10]}", "type": "ChildRegistered",
                       "occurred_on": "2024-01-02", "date_of_birth": "2015-03-02"}) + "\n"
    return client.post("/imports", data=line, headers={
        **headers, "Content-Type": "application/x-ndjson"})


def _inspection_body(target: Target) -> dict[str, Any]:
    today = date.today()
    return {"authority": target.authority, "inspectorate": INSPECTORATE,
            "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=5)).isoformat()}


def _hold(client: FlaskClient, target: Target, headers: dict[str, str]) -> TestResponse:
    child_id = register(client, target.authority)
    return client.post(f"/children/{child_id}/legal-holds", headers=headers, json={
        "hold_ref": "HOLD-1", "basis": "appeal"})


def _release(client: FlaskClient, target: Target, headers: dict[str, str]) -> TestResponse:
    child_id = register(client, target.authority)
    held = client.post(f"/children/{child_id}/legal-holds", json={
        "hold_ref": "HOLD-1", "basis": "appeal"}, headers=token("manager", target.authority))
    assert held.status_code == 201, held.json
    return client.post(f"/children/{child_id}/legal-holds/HOLD-1/release", json={},
                       headers=headers)


def _subscription(client: FlaskClient, authority: str) -> str:
    made = client.post("/subscriptions", json={"url": "http://127.0.0.1:9/hook"},
                       headers=token("admin", authority))
    assert made.status_code == 201, made.json
    return str(made.json["subscription_id"])


def _dead_delivery(client: FlaskClient, target: Target, _: dict[str, str]) -> str:
    """A delivery of the target authority that failed its one attempt (a receiver
    answering 500), through the outbox and the delivery worker's own pass."""
    from application.webhooks import Answer, DeliveryPolicy, deliver_due
    from infrastructure.outbox import add_messages

    webhooks = services_of(client.application).extras["webhooks"]
    subscription_id = _subscription(client, target.authority)
    message_id = str(uuid.uuid4())
    with webhooks.engine.begin() as conn:
        add_messages(conn, [{"message_id": message_id, "position": 1,
                             "authority": target.authority, "kind": "clock.started",
                             "child_id": target.child_id, "produced_at": 0.0,
                             "body": {"id": message_id}}])
    deliver_due(webhooks, lambda *_: Answer(500), DeliveryPolicy(max_attempts=1))
    [dead] = [d for d in webhooks.dead(target.authority, 500) if d["message_id"] == message_id
              and d["subscription_id"] == subscription_id]
    return str(dead["delivery_id"])
def _attach(client: FlaskClient, child_id: str, version: int, headers: dict[str, str]
            ) -> TestResponse:
    return client.post(f"/children/{child_id}/documents", headers=headers,
                       content_type="multipart/form-data", data={
                           "file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "a.pdf",
                                    "application/pdf"),
                           "event_version": str(version), "title": "Advice"})


def _upload(client: FlaskClient, target: Target, headers: dict[str, str]) -> TestResponse:
    """Attach a document to the family's feedback (an event every writer may attach to)."""
    voice = client.post(f"/children/{target.child_id}/events", json=FEEDBACK,
                        headers=STAFF[target.authority])
    assert voice.status_code == 201, voice.json
    return _attach(client, target.child_id, voice.json["version"], headers)


def _download(client: FlaskClient, target: Target, headers: dict[str, str]) -> TestResponse:
    attached = _attach(client, target.child_id, 1, STAFF[target.authority])
    assert attached.status_code == 201, attached.json
    document_id = attached.json["event"]["data"]["document_id"]
    return client.get(f"/children/{target.child_id}/documents/{document_id}",
                      headers=headers)


RECIPES: dict[str, Recipe] = {
    "POST /children/{child_id}/documents": _upload,
    "GET /children/{child_id}/documents/{document_id}": _download,
    "POST /children/{child_id}/legal-holds": _hold,
    "POST /children/{child_id}/legal-holds/{hold_ref}/release": _release,
    "POST /children/{child_id}/erasure": lambda c, t, h: c.post(
        f"/children/{register(c, t.authority)}/erasure", json={"basis": "erasure_request"},
        headers=h),
    "POST /children": lambda c, t, h: c.post(
        "/children", json={"date_of_birth": "2015-03-02", "authority": t.authority},
        headers=h),
    "GET /children": lambda c, t, h: c.get(f"/children?authority={t.authority}", headers=h),
    "POST /children/{child_id}/events": lambda c, t, h: c.post(
        f"/children/{t.child_id}/events", json=FEEDBACK, headers=h),
    "POST /children/{child_id}/family-invitations": lambda c, t, h: c.post(
        f"/children/{t.child_id}/family-invitations", headers=h),
    "PUT /children/{child_id}/assignment": lambda c, t, h: c.put(
        f"/children/{register(c, t.authority)}/assignment", json={
            "assigned_to": "cw-perm", "assigned_organisation": t.authority},
        headers={**h, "If-Match": '"1"'}),
    "POST /assignments": lambda c, t, h: c.post("/assignments", json={"assignments": [{
        "child_id": register(c, t.authority), "version": 1, "assigned_to": "cw-perm",
        "assigned_organisation": t.authority}]}, headers=h),
    "POST /imports": _ndjson,
    "POST /inspections": lambda c, t, h: c.post("/inspections", json=_inspection_body(t),
                                                headers=h),
    "POST /inspections/{inspection_id}/sample": lambda c, t, h: c.post(
        f"/inspections/{t.inspection_id}/sample", json={"child_ids": [t.child_id]},
        headers=h),
    "GET /inspections": lambda c, t, h: c.get(f"/inspections?authority={t.authority}",
                                              headers=h),
    "GET /inspections/{inspection_id}": lambda c, t, h: c.get(
        f"/inspections/{t.inspection_id}", headers=h),
    "GET /exports/sen2": lambda c, t, h: c.get(
        f"/exports/sen2?year=2025&authority={t.authority}", headers=h),
    "GET /exports/sen2/checks": lambda c, t, h: c.get(
        f"/exports/sen2/checks?year=2025&authority={t.authority}", headers=h),
    "GET /reports/area": lambda c, t, h: c.get(
        f"/reports/area?authority={t.authority}&year=2024", headers=h),
    "GET /reports/{question}": lambda c, t, h: c.get(
        f"/reports/timeliness?authority={t.authority}", headers=h),
    "GET /reports/send-list": lambda c, t, h: c.get(
        f"/reports/send-list?authority={t.authority}", headers=h),
    "GET /reports/send-list.csv": lambda c, t, h: c.get(
        f"/reports/send-list.csv?authority={t.authority}", headers=h),
    "GET /reports/send-list/contacts": lambda c, t, h: c.get(
        f"/reports/send-list/contacts?authority={t.authority}",
        headers={**h, "X-Access-Purpose": "inspection-survey: INSP-2025-01"}),
    "GET /reference/{list_name}": lambda c, t, h: c.get("/reference/needs", headers=h),
    "GET /inspections/{inspection_id}/bundles": lambda c, t, h: c.get(
        f"/inspections/{t.inspection_id}/bundles", headers=h),
    "GET /subscriptions": lambda c, t, h: c.get("/subscriptions", headers=h),
    "POST /subscriptions": lambda c, t, h: c.post("/subscriptions", json={
        "url": "http://127.0.0.1:9/casetrack", "authority": t.authority}, headers=h),
    "DELETE /subscriptions/{subscription_id}": lambda c, t, h: c.delete(
        f"/subscriptions/{_subscription(c, t.authority)}", headers=h),
    "GET /deliveries/dead": lambda c, t, h: c.get("/deliveries/dead", headers=h),
    "POST /deliveries/{delivery_id}/replay": lambda c, t, h: c.post(
        f"/deliveries/{_dead_delivery(c, t, h)}/replay", headers=h),
}


def recipe_for(endpoint: str) -> Recipe:
    """Return how to ask an endpoint; GETs naming at most a child need no recipe."""
    if endpoint in RECIPES:
        return RECIPES[endpoint]
    method, path = endpoint.split(" ", 1)
    assert method == "GET" and set(re.findall(r"{(\w+)}", path)) <= {"child_id"}, (
        f"add a recipe for {endpoint} to tests/e2e/test_permissions.py")
    return lambda c, t, h: c.get(path.replace("{child_id}", t.child_id), headers=h)


def headers_for(column: str, own_child: str) -> tuple[str, dict[str, str]]:
    """A family's token is for the own authority's child, *other* asks about another's."""
    if column == "no token":
        return "own", {}
    role, side = column.split(" ")
    org = {"inspector": INSPECTORATE, "partner": PARTNER}.get(role, OWN)
    return side, token(role, org, child=own_child if role == "family" else None)


def status_class(status: int) -> str:
    return "2xx" if 200 <= status < 300 else str(status)


def test_the_table_lists_every_endpoint_of_the_spec_and_no_other(app: Flask) -> None:
    assert set(permission_table()) == spec_operations(app)


@pytest.mark.slow
def test_every_endpoint_answers_every_role_and_authority_as_the_table_says(
        app: Flask, client: FlaskClient) -> None:
    targets = world(client)
    table = permission_table()
    wrong = []
    for endpoint in sorted(spec_operations(app)):
        ask = recipe_for(endpoint)
        for column, expected in table[endpoint].items():
            side, headers = headers_for(column, targets["own"].child_id)
            answer = ask(client, targets[side], headers)
            if status_class(answer.status_code) != expected:
                wrong.append(f"{endpoint} [{column}]: {answer.status_code}, table says "
                             f"{expected}")
    assert wrong == []


def test_a_refused_read_is_not_recorded_as_a_look(app: Flask, client: FlaskClient) -> None:
    targets = world(client)
    refused = client.get(f"/children/{targets['other'].child_id}",
                         headers=token("caseworker", OWN, "nosy"))
    assert refused.status_code == 403
    looks = client.get("/audit/access?actor=nosy&purpose=data-protection-audit: refusals check",
                       headers=token("auditor", OWN))
    assert looks.status_code == 200
    assert [i for i in looks.json["items"] if i["kind"] != "access-log"] == []
