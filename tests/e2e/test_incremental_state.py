"""Every recordable event type, over HTTP on both stores: after each step, the state the
server keeps with its cached journey and extends event by event (issue 17) equals a full
refold of the journey's log, and so does the state a fresh load folds."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from domain.state import replay
from tests.e2e.journeys import JOURNEYS, Answers
from web.services import services_of


@pytest.mark.parametrize("name", list(JOURNEYS))
def test_the_kept_state_equals_a_refold_after_every_step(
        app: Flask, client: FlaskClient, auth: Callable[..., dict[str, str]],
        name: str) -> None:
    journey = JOURNEYS[name]
    tracking = services_of(app).tracking
    body = dict(journey.registration, case_ref=f"CR-{name}-{uuid.uuid4().hex[:8]}")
    registered = client.post("/children", json=body, headers=auth())
    assert registered.status_code == 201, registered.json
    child = uuid.UUID(registered.json["child_id"])  # type: ignore[index]
    answers: Answers = {}
    version: int = registered.json["version"]  # type: ignore[index]
    for number, step in enumerate(journey.steps, start=1):
        client.get(f"/children/{child}", headers=auth())  # a read folds and keeps it
        extra = {"If-Match": f'"{version}"'} if step.if_match else {}
        response = client.post(f"/children/{child}/events", json=step.resolved(answers),
                               headers=auth(role=step.role, **extra))
        assert response.status_code == 201, f"step {number}: {response.json}"
        answer: dict[str, Any] = response.json  # type: ignore[assignment]
        if step.label is not None:
            answers[step.label] = answer
        version = answer["version"]
        kept = tracking.journey_for_update(child)
        assert kept.version == answer["version"]
        assert kept.state == replay(kept.log), f"step {number} ({step.type})"
    fresh = tracking.journey_for_update(child, kept.version)  # loaded, not cached
    assert fresh.state == kept.state
