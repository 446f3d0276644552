"""The synthetic journeys of ``tests.e2e.journeys`` (every recordable event type between
them) recorded straight onto ``ChildJourney``, without a store or HTTP: logs for the
properties that must hold over the whole catalogue.

Request bodies are loaded with the web layer's schemas (as ``POST /children/{id}/events``
loads them) and each labelled step's answer is what a write would answer: its version and
the ids its event created.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from domain.actors import Actor
from domain.events import EVENT_TYPES, JourneyEvent
from domain.journey import ChildJourney
from tests.e2e.journeys import JOURNEYS, Answers
from web.schemas import event_schema

TODAY = date(2026, 6, 1)  # after every step of every journey


def recorded(name: str) -> ChildJourney:
    """Return a journey with every step of the synthetic journey ``name`` recorded."""
    spec = JOURNEYS[name]
    registration = dict(spec.registration)
    journey = ChildJourney.register(
        authority="LA-901", actor=Actor("caseworker-1", "caseworker", "LA-901"),
        date_of_birth=date.fromisoformat(registration.pop("date_of_birth")),
        occurred_on=date.fromisoformat(registration.pop("occurred_on")), today=TODAY,
        **registration)
    answers: Answers = {}
    for step in spec.steps:
        body = step.resolved(answers)
        data: dict[str, Any] = event_schema(EVENT_TYPES[step.type])().load(body)
        del data["type"]
        journey.record(step.type, data, actor=Actor("worker-1", step.role, "LA-901"),
                       occurred_on=data.pop("occurred_on"), evidence=data.pop("evidence"),
                       today=TODAY)
        if step.label is not None:
            answers[step.label] = {"version": journey.version,
                                   "created": journey.state.created_by(journey.version)}
    return journey


@cache
def catalogue_logs() -> dict[str, tuple[JourneyEvent, ...]]:
    """Return the log of each synthetic journey, by name (events are frozen: shareable)."""
    return {name: recorded(name).log for name in JOURNEYS}
