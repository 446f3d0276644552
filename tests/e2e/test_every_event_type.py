"""Every recordable journey event type can be recorded over HTTP on its happy path.

The synthetic journeys in ``tests.e2e.journeys`` are posted step by step to
``POST /children/{id}/events`` (on SQLite and on PostgreSQL); every step must answer 201
with the step's type. Together the journeys must cover ``recordable_types()`` exactly,
so a new event type without an HTTP happy path here fails this module.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.e2e.journeys import JOURNEYS, Answers, Journey
from tests.e2e.test_created_ids import answers_as_the_schema_dumps  # noqa: F401  (autouse)
from web.schemas import recordable_types

Auth = Callable[..., dict[str, str]]


def answer(response: TestResponse) -> dict[str, Any]:
    """Return a response's JSON object."""
    data = response.json
    assert isinstance(data, dict), response.data
    return data


def record_journey(client: FlaskClient, auth: Auth, name: str, journey: Journey
                   ) -> list[str]:
    """Register the child, post every step in order; return the types recorded."""
    body = dict(journey.registration, case_ref=f"CR-{name}-{uuid.uuid4().hex[:8]}")
    registered = client.post("/children", json=body, headers=auth())
    assert registered.status_code == 201, registered.json
    child_id = answer(registered)["child_id"]
    version: int = answer(registered)["version"]
    answers: Answers = {}
    recorded: list[str] = []
    for number, step in enumerate(journey.steps, start=1):
        extra = {"If-Match": f'"{version}"'} if step.if_match else {}
        response = client.post(f"/children/{child_id}/events", json=step.resolved(answers),
                               headers=auth(role=step.role, **extra))
        where = f"{name} step {number} ({step.type} on {step.body['occurred_on']})"
        assert response.status_code == 201, f"{where}: {response.status_code} {response.json}"
        written = answer(response)
        assert written["event"]["type"] == step.type, where
        assert written["version"] == version + 1, where
        assert response.headers["ETag"] == f'"{written["version"]}"', where
        version = written["version"]
        if step.label is not None:
            answers[step.label] = written
        recorded.append(step.type)
    journey_view = client.get(f"/children/{child_id}", headers=auth())
    assert journey_view.status_code == 200
    assert answer(journey_view)["version"] == version
    return recorded


@pytest.mark.parametrize("name", list(JOURNEYS))
def test_every_step_of_the_journey_is_recorded_over_http(
        client: FlaskClient, auth: Auth, name: str) -> None:
    journey = JOURNEYS[name]
    recorded = record_journey(client, auth, name, journey)
    assert recorded == [step.type for step in journey.steps]


def test_the_journeys_cover_every_recordable_event_type_exactly() -> None:
    """A new event type needs a step here; a step's type must be recordable."""
    covered = set().union(*(journey.types for journey in JOURNEYS.values()))
    recordable = set(recordable_types())
    assert sorted(recordable - covered) == [], "event types without an HTTP happy path"
    assert sorted(covered - recordable) == [], "steps of types that are not recordable"


def test_the_types_posted_over_http_are_exactly_the_recordable_types(
        client: FlaskClient, auth: Auth) -> None:
    """All journeys on one store: the union of the types answered 201 is every type."""
    posted: set[str] = set()
    for name, journey in JOURNEYS.items():
        posted |= set(record_journey(client, auth, name, journey))
    assert posted == set(recordable_types())
