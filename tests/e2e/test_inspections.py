"""Inspections over HTTP: an inspector reads only sampled children, only while the window
is open (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import settings_for
from web import create_app
from web.services import services_of

Auth = Callable[..., dict[str, str]]
START = date(2025, 3, 3)
END = date(2025, 3, 14)
INSPECTORATE = "OFSTED-CQC"


class Clock:
    def __init__(self) -> None:
        self.day = START - timedelta(days=7)

    def __call__(self) -> date:
        return self.day


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed_client(tmp_path: Path, store_url: str | None, clock: Clock) -> Iterator[FlaskClient]:
    app: Flask = create_app(settings_for(tmp_path, store_url), today=clock)
    yield app.test_client()
    services_of(app).close()


def register(client: FlaskClient, headers: dict[str, str]) -> str:
    answer = client.post("/children", json={"date_of_birth": "2015-03-02"}, headers=headers)
    assert answer.status_code == 201, answer.json
    return str(answer.json["child_id"])


def open_inspection(client: FlaskClient, headers: dict[str, str], **body: Any
                    ) -> dict[str, Any]:
    body = {"authority": "LA-901", "starts_on": START.isoformat(),
            "ends_on": END.isoformat(), **body}
    answer = client.post("/inspections", json=body, headers=headers)
    assert answer.status_code == 201, answer.json
    return answer.json  # type: ignore[no-any-return]


def test_an_inspector_reads_a_sampled_child_only_while_the_window_is_open(
        timed_client: FlaskClient, auth: Auth, clock: Clock) -> None:
    client = timed_client
    sampled, unsampled = register(client, auth()), register(client, auth())
    inspector = auth(role="inspector", org=INSPECTORATE, sub="hmi-1")
    inspection = open_inspection(client, inspector, theme="preparing for adulthood")
    assert inspection["inspectorate"] == INSPECTORATE and inspection["active"] is False
    selected = client.post(f"/inspections/{inspection['inspection_id']}/sample",
                           json={"child_ids": [sampled], "theme": "transitions"},
                           headers=inspector)
    assert selected.status_code == 200
    assert selected.json["sample"] == [sampled]
    assert selected.json["selections"][0]["method"] == "explicit"

    def reads(child_id: str) -> list[int]:
        return [client.get(f"/children/{child_id}{suffix}", headers=inspector).status_code
                for suffix in ("", "/journey", "/history")]

    assert reads(sampled) == [403, 403, 403]  # before the window opens
    clock.day = START
    assert reads(sampled) == [200, 200, 200]
    assert reads(unsampled) == [403, 403, 403]
    clock.day = END
    assert reads(sampled) == [200, 200, 200]
    clock.day = END + timedelta(days=1)
    assert reads(sampled) == [403, 403, 403]  # the window has closed
    late = client.post(f"/inspections/{inspection['inspection_id']}/sample",
                       json={"child_ids": [unsampled]}, headers=inspector)
    assert late.status_code == 409 and late.json["code"] == "inspection-closed"


def test_another_inspectorate_cannot_use_the_sample(
        timed_client: FlaskClient, auth: Auth, clock: Clock) -> None:
    client = timed_client
    child_id = register(client, auth())
    inspection = open_inspection(client, auth(role="manager"), inspectorate=INSPECTORATE)
    assert client.post(f"/inspections/{inspection['inspection_id']}/sample",
                       json={"child_ids": [child_id]}, headers=auth(role="manager")
                       ).status_code == 200
    clock.day = START
    stranger = auth(role="inspector", org="ANOTHER-INSPECTORATE")
    assert client.get(f"/children/{child_id}", headers=stranger).status_code == 403
    assert client.get(f"/inspections/{inspection['inspection_id']}",
                      headers=stranger).status_code == 403
    ours = auth(role="inspector", org=INSPECTORATE)
    assert client.get(f"/children/{child_id}", headers=ours).status_code == 200


def test_only_children_of_the_inspected_authority_can_be_sampled(
        timed_client: FlaskClient, auth: Auth) -> None:
    client = timed_client
    elsewhere = register(client, auth(org="LA-902"))
    inspector = auth(role="inspector", org=INSPECTORATE)
    inspection = open_inspection(client, inspector)
    answer = client.post(f"/inspections/{inspection['inspection_id']}/sample",
                         json={"child_ids": [elsewhere]}, headers=inspector)
    assert answer.status_code == 409 and answer.json["code"] == "sample-child-elsewhere"
    missing = client.post(f"/inspections/{inspection['inspection_id']}/sample",
                          json={"child_ids": ["00000000-0000-4000-8000-000000000000"]},
                          headers=inspector)
    assert missing.status_code == 404
    assert client.get(f"/inspections/{inspection['inspection_id']}",
                      headers=inspector).json["sample"] == []


def test_a_manager_must_name_the_inspectorate_and_opens_only_their_own_authority(
        timed_client: FlaskClient, auth: Auth) -> None:
    client = timed_client
    body = {"authority": "LA-901", "starts_on": START.isoformat(), "ends_on": END.isoformat()}
    unnamed = client.post("/inspections", json=body, headers=auth(role="manager"))
    assert unnamed.status_code == 409 and unnamed.json["code"] == "inspectorate-required"
    other = client.post("/inspections", json={**body, "authority": "LA-902",
                                              "inspectorate": INSPECTORATE},
                        headers=auth(role="manager"))
    assert other.status_code == 403
    backwards = client.post("/inspections", json={**body, "ends_on": "2025-03-01"},
                            headers=auth(role="inspector", org=INSPECTORATE))
    assert backwards.status_code == 422
    assert backwards.json["errors"][0]["pointer"] == "/ends_on"


def test_an_inspection_is_kept_as_events_with_who_selected_whom(
        timed_client: FlaskClient, auth: Auth) -> None:
    client = timed_client
    first, second = register(client, auth()), register(client, auth())
    inspector = auth(role="inspector", org=INSPECTORATE, sub="hmi-2")
    inspection = open_inspection(client, inspector)
    url = f"/inspections/{inspection['inspection_id']}"
    client.post(f"{url}/sample", json={"child_ids": [first]}, headers=inspector)
    client.post(f"{url}/sample", json={"child_ids": [first, second], "theme": "EHC plans"},
                headers=auth(role="manager", sub="mgr-3"))
    read = client.get(url, headers=auth(role="auditor", org="NATIONAL"))
    assert read.status_code == 200
    assert read.json["sample"] == [first, second]
    assert read.json["version"] == 3
    assert [(s["child_ids"], s["selected_by"]["user_id"], s["theme"])
            for s in read.json["selections"]] == [([first], "hmi-2", None),
                                                  ([second], "mgr-3", "EHC plans")]


# Issue 12.2: recognised inspectorates only, time-boxed, visible to the authority's
# managers, and every read under an inspection in the access log with its id.


def test_an_inspector_of_an_unrecognised_organisation_may_not_open_an_inspection(
        timed_client: FlaskClient, auth: Auth) -> None:
    body = {"authority": "LA-901", "starts_on": START.isoformat(), "ends_on": END.isoformat()}
    refused = timed_client.post("/inspections", json=body,
                                headers=auth(role="inspector", org="ANY-ORG"))
    assert refused.status_code == 403
    assert "not an inspectorate this deployment recognises" in refused.json["detail"]
    named = timed_client.post("/inspections", json={**body, "inspectorate": "ANY-ORG"},
                              headers=auth(role="manager"))
    assert named.status_code == 409, named.json
    assert named.json["code"] == "inspectorate-not-recognised"
    listed = timed_client.get("/inspections?authority=LA-901", headers=auth(role="manager"))
    assert listed.status_code == 200
    assert "ANY-ORG" not in {i["inspectorate"] for i in listed.json["items"]}


def test_an_unrecognised_inspector_cannot_draw_or_read(
        timed_client: FlaskClient, auth: Auth, clock: Clock) -> None:
    client = timed_client
    child = register(client, auth())
    inspection = open_inspection(client, auth(role="manager"), inspectorate=INSPECTORATE)
    clock.day = START
    stranger = auth(role="inspector", org="ANY-ORG")
    drawn = client.post(f"/inspections/{inspection['inspection_id']}/sample",
                        json={"draw": {"seed": "s", "size": 1}}, headers=stranger)
    assert drawn.status_code == 403
    assert client.get(f"/children/{child}", headers=stranger).status_code == 403
    assert client.get("/reports/timeliness?authority=LA-901",
                      headers=stranger).status_code == 403


def test_an_inspection_whose_window_has_passed_cannot_be_opened(
        timed_client: FlaskClient, auth: Auth, clock: Clock) -> None:
    clock.day = END + timedelta(days=1)
    refused = timed_client.post("/inspections", headers=auth(role="inspector", org=INSPECTORATE),
                                json={"authority": "LA-901", "starts_on": START.isoformat(),
                                      "ends_on": END.isoformat()})
    assert refused.status_code == 409, refused.json
    assert refused.json["code"] == "inspection-window-past"


def test_the_inspected_authoritys_managers_see_its_inspections(
        timed_client: FlaskClient, auth: Auth) -> None:
    client, authority = timed_client, f"LA-{uuid.uuid4().hex[:8]}"
    first = open_inspection(client, auth(role="inspector", org=INSPECTORATE),
                            authority=authority)
    second = open_inspection(client, auth(role="inspector", org="OFSTED"), authority=authority)
    query = f"/inspections?authority={authority}"
    listed = client.get(query, headers=auth(role="manager", org=authority))
    assert listed.status_code == 200
    assert [i["inspection_id"] for i in listed.json["items"]] == [
        second["inspection_id"], first["inspection_id"]]
    assert client.get(query, headers=auth(role="manager")).status_code == 403
    assert client.get(query, headers=auth(role="caseworker", org=authority)).status_code == 403
    own = client.get(query, headers=auth(role="inspector", org="OFSTED"))
    assert [i["inspection_id"] for i in own.json["items"]] == [second["inspection_id"]]
    assert client.get("/inspections", headers=auth(role="manager")).status_code == 422


def test_every_read_under_an_inspection_is_logged_with_the_inspection(
        timed_client: FlaskClient, auth: Auth, clock: Clock) -> None:
    client = timed_client
    child = register(client, auth())
    inspector = auth(role="inspector", org=INSPECTORATE, sub="hmi-logged")
    inspection = open_inspection(client, inspector)
    client.post(f"/inspections/{inspection['inspection_id']}/sample",
                json={"child_ids": [child]}, headers=inspector)
    clock.day = START
    for suffix in ("", "/journey", "/history", "/bundle"):
        assert client.get(f"/children/{child}{suffix}", headers=inspector).status_code == 200
    client.get(f"/children/{child}", headers=auth(sub="cw-logged"))
    purpose = "data-protection-audit: inspection reads"
    looks = client.get(f"/audit/access?child_id={child}&purpose={purpose}",
                       headers=auth(role="auditor")).json["items"]
    by_inspector = [look for look in looks if look["actor"]["user_id"] == "hmi-logged"]
    assert len(by_inspector) == 4
    assert {look["inspection_id"] for look in by_inspector} == {inspection["inspection_id"]}
    assert [look["inspection_id"] for look in looks
            if look["actor"]["user_id"] == "cw-logged"] == [None]


@pytest.mark.usefixtures("read_side")
def test_an_inspectors_reports_are_logged_with_the_inspection(
        client: FlaskClient, auth: Auth) -> None:
    today = date.today()
    authority = f"LA-{uuid.uuid4().hex[:8]}"
    inspector = auth(role="inspector", org=INSPECTORATE, sub=f"hmi-{authority}")
    inspection = open_inspection(client, inspector, authority=authority,
                                 starts_on=today.isoformat(),
                                 ends_on=(today + timedelta(days=5)).isoformat())
    asked = client.get(f"/reports/timeliness?authority={authority}", headers=inspector)
    assert asked.status_code == 200, asked.json
    manager = auth(role="manager", org=authority, sub=f"mgr-{authority}")
    assert client.get(f"/reports/timeliness?authority={authority}",
                      headers=manager).status_code == 200
    purpose = "data-protection-audit: inspection reports"
    looks = client.get(f"/audit/access?actor=hmi-{authority}&purpose={purpose}",
                       headers=auth(role="auditor")).json["items"]
    assert [(look["kind"], look["inspection_id"]) for look in looks] == [
        ("report", inspection["inspection_id"])]
    assert client.get(f"/audit/access?actor=mgr-{authority}&purpose={purpose}",
                      headers=auth(role="auditor")).json["items"] == []
