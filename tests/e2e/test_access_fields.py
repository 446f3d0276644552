"""No correction moves a child across authorities or changes who may act (issue 12.1).

The fields that decide who may see or do what are declared on the event classes
(``access_fields``); a correction of one is refused with ``access-field-not-correctable``.
The guard: for every recordable event type, every text field of its first event in the
synthetic journeys is corrected to another authority's id (as a manager, with If-Match);
whatever is accepted, every read-model row filed under the child names the authority
access control checks, and the child stays with its authority for reads and lists.
"""

from __future__ import annotations

import re
import types
import typing
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import MetaData, select

from domain.events import EVENT_TYPES, payload_fields
from infrastructure.projections import ReadModelDatabase
from tests.conftest import AUTHORITY
from tests.e2e.journeys import JOURNEYS, Answers
from tests.e2e.test_every_event_type import answer
from web.services import services_of

Auth = Callable[..., dict[str, str]]
OTHER = "LA-902"

# Fields that name an organisation or a person but decide nothing about access in
# casetrack, each with the reason. Any other such field must be an access field.
NAMES_BUT_DECIDES_NOTHING = {
    "maintaining_la": "the LA maintaining a school named in a plan; access follows the "
                      "journey's registration",
    "new_la": "the authority a plan is transferred to; it opens its own journey",
    "old_la": "the authority a plan came from; this journey is the new authority's",
    "sen2_transfer_la": "the SEN2 return's code for a transferring authority",
    "setting_la": "the LA of a placement's setting (SEN2); access follows the registration",
    "la_agreed": "whether the LA agreed (a boolean)",
    "la_considering": "whether the LA is considering (a boolean)",
    "request_to_la_on": "a date",
    "recipient_org": "an organisation a disclosure was made to; it gets no access",
    "adviser_body": "the body that gave advice; it gets no access",
}
ORGANISATION_LIKE = re.compile(r"authority|organisation|(^|_)la($|_)|assigned|hold_ref|user")


def _is_text(annotation: Any) -> bool:
    if annotation is str:
        return True
    if typing.get_origin(annotation) in (types.UnionType, typing.Union):
        return any(_is_text(arm) for arm in typing.get_args(annotation))
    return False


def test_every_field_naming_an_organisation_is_an_access_field_or_says_why_not() -> None:
    undeclared = sorted(
        f"{name}.{field}" for name, cls in EVENT_TYPES.items() for field in payload_fields(cls)
        if ORGANISATION_LIKE.search(field) and field not in cls.access_fields
        and field not in NAMES_BUT_DECIDES_NOTHING)
    assert undeclared == []
    assert EVENT_TYPES["ChildRegistered"].access_fields == {"authority"}
    assert {"assigned_to", "assigned_organisation"} <= EVENT_TYPES["CaseAssigned"].access_fields


def register(client: FlaskClient, auth: Auth) -> tuple[str, int]:
    response = client.post("/children", json={
        "date_of_birth": "2015-03-01", "case_ref": f"AF-{uuid.uuid4().hex[:8]}"},
        headers=auth())
    assert response.status_code == 201, response.json
    return answer(response)["child_id"], answer(response)["version"]


def correct(client: FlaskClient, auth: Auth, child_id: str, version: int, target: int,
            changes: dict[str, Any]) -> Any:
    return client.post(f"/children/{child_id}/events", json={
        "type": "EntryCorrected", "occurred_on": date.today().isoformat(),
        "target_version": target, "changes": changes, "reason": "synthetic correction"},
        headers=auth(role="manager", **{"If-Match": f'"{version}"'}))


def test_correcting_the_authority_is_refused_and_stores_nothing(
        client: FlaskClient, auth: Auth) -> None:
    child_id, version = register(client, auth)
    refused = correct(client, auth, child_id, version, 1, {"authority": OTHER})
    assert refused.status_code == 409, refused.json
    assert refused.json["code"] == "access-field-not-correctable"
    assert "changes.authority" in refused.json["detail"]
    state = client.get(f"/children/{child_id}", headers=auth())
    assert state.json["version"] == version
    assert client.get(f"/children/{child_id}",
                      headers=auth(role="manager", org=OTHER)).status_code == 403


def test_correcting_a_field_with_others_keeps_the_whole_correction_out(
        client: FlaskClient, auth: Auth) -> None:
    child_id, version = register(client, auth)
    refused = correct(client, auth, child_id, version, 1,
                      {"case_ref": "AF-renamed", "authority": OTHER})
    assert refused.status_code == 409
    assert client.get(f"/children/{child_id}", headers=auth()).json["version"] == version


def _corrections(journey_versions: dict[str, int]) -> list[tuple[int, str]]:
    """Return (version, field) for every text field of each type's first event."""
    wanted = []
    for type_name, version in journey_versions.items():
        cls = EVENT_TYPES[type_name]
        wanted += [(version, field) for field, (annotation, _) in payload_fields(cls).items()
                   if _is_text(annotation)]
    return wanted


def record_every_type(client: FlaskClient, auth: Auth
                      ) -> list[tuple[str, int, dict[str, int]]]:
    """Post every journey; return each child, its version and the version of each type's
    first event."""
    children = []
    for name, journey in JOURNEYS.items():
        body = dict(journey.registration, case_ref=f"AF-{name}-{uuid.uuid4().hex[:8]}")
        registered = client.post("/children", json=body, headers=auth())
        assert registered.status_code == 201
        child_id, version = answer(registered)["child_id"], answer(registered)["version"]
        first: dict[str, int] = {"ChildRegistered": 1}
        labels: Answers = {}
        for step in journey.steps:
            extra = {"If-Match": f'"{version}"'} if step.if_match else {}
            response = client.post(f"/children/{child_id}/events",
                                   json=step.resolved(labels),
                                   headers=auth(role=step.role, **extra))
            assert response.status_code == 201, response.json
            version = answer(response)["version"]
            first.setdefault(step.type, version)
            if step.label is not None:
                labels[step.label] = answer(response)
        children.append((child_id, version, first))
    return children


def filed_authorities(app: Flask, child_id: str) -> set[str]:
    """Return every authority a read-model row about the child is filed under."""
    settings = services_of(app).settings
    database = ReadModelDatabase.beside(settings.database_url, settings.data_dir)
    engine = database.engine()
    try:
        metadata = MetaData(schema=database.schema)
        metadata.reflect(engine)
        found: set[str] = set()
        with engine.connect() as conn:
            for table in metadata.tables.values():
                if {"child_id", "authority"} <= set(table.c.keys()):
                    found |= set(conn.execute(select(table.c.authority).where(
                        table.c.child_id == child_id)).scalars())
        return found
    finally:
        engine.dispose()


@pytest.mark.usefixtures("read_side")
def test_no_correction_of_any_event_type_files_the_child_under_another_authority(
        app: Flask, client: FlaskClient, auth: Auth) -> None:
    accepted, position, children = 0, 0, record_every_type(client, auth)
    for child_id, version, first in children:
        for target, field in _corrections(first):
            response = correct(client, auth, child_id, version, target, {field: OTHER})
            assert response.status_code in (201, 409, 422), (field, response.json)
            if response.status_code == 201:
                version, accepted = answer(response)["version"], accepted + 1
                position = max(position, answer(response)["position"])
    listed = client.get(f"/children?limit=200&consistent_after={position}", headers=auth())
    assert listed.status_code == 200, listed.json
    assert {c for c, _, _ in children} <= {item["child_id"] for item in listed.json["items"]}
    for child_id, _, _ in children:
        assert filed_authorities(app, child_id) == {AUTHORITY}, child_id
        assert client.get(f"/children/{child_id}", headers=auth()).status_code == 200
        assert client.get(f"/children/{child_id}",
                          headers=auth(org=OTHER)).status_code == 403
    assert accepted > 0, "some text fields are correctable; the walk must reach them"
