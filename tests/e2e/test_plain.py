"""``plain`` (a dataclass's field names kept per class) answers what its first definition,
``dataclasses.fields`` read for every value, answered: on odd values here, and on every
state part after every event, every event's payload and evidence and every clock reading
of the e2e journeys recorded over HTTP, on SQLite and PostgreSQL; keys in the same order,
values of the same types."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import date
from enum import Enum, StrEnum
from typing import Any
from uuid import UUID

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.views import _SCALARS, plain
from domain.state import replay
from tests.conftest import own_store
from tests.e2e.journeys import JOURNEYS
from tests.e2e.test_every_event_type import record_journey
from web.services import services

Auth = Callable[..., dict[str, str]]
# The journeys test reads every journey in its store: its own, not the run's shared one.
store_url = pytest.fixture(own_store)


def first_plain(value: Any) -> Any:
    """The first definition."""
    if type(value) in _SCALARS:
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: first_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): first_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [first_plain(v) for v in value]
    return value


def same(value: Any) -> None:
    fast, first = plain(value), first_plain(value)
    assert fast == first
    assert repr(fast) == repr(first)  # types, key and item order included
    assert json.dumps(fast, default=str) == json.dumps(first, default=str)


@dataclasses.dataclass
class _Inner:
    on: date
    kind: _Colour | None = None


class _Colour(StrEnum):
    RED = "red"


@dataclasses.dataclass(frozen=True)
class _Outer:
    name: str
    inner: list[_Inner]
    by: dict[int, _Inner]
    tags: frozenset[str] = frozenset()


ODD: list[Any] = [
    None, 1, "x", date(2024, 1, 2), UUID(int=3), _Colour.RED, (1, "a"), {1: "a"},
    _Inner(date(2024, 1, 2)), _Outer("o", [_Inner(date(2024, 1, 2), _Colour.RED)],
                                     {2: _Inner(date(2024, 2, 3))}, frozenset({"t"})),
    _Inner, _Outer, [_Inner, _Inner(date(2024, 1, 2))], {"k": [(_Colour.RED,)]}, object,
]


@pytest.mark.parametrize("value", ODD, ids=range(len(ODD)))
def test_an_odd_value_is_plain_as_first_defined(value: Any) -> None:
    same(value)
    same(value)  # the second time, from the kept field names


def test_every_state_event_and_clock_of_every_journey_is_plain_as_first_defined(
        app: Flask, client: FlaskClient, auth: Auth) -> None:
    for name, journey in JOURNEYS.items():
        record_journey(client, auth, name, journey)
    with app.app_context():
        tracking = services().tracking
        ids = {n.originator_id for n in tracking.recorder.select_notifications(
            start=1, limit=100_000)}
        journeys = [j for j in (tracking.repository.get(i) for i in ids)
                    if type(j).__name__ == "ChildJourney"]
        assert len(journeys) == len(JOURNEYS)
        values = 0
        for journey in journeys:
            for length in range(1, len(journey.log) + 1):
                state = replay(journey.log[:length])
                for field in dataclasses.fields(state):
                    same(getattr(state, field.name))
                    values += 1
                same(state)
            for event in journey.log:
                same(event.payload())
                same(event.evidence)
            for reading in journey.clocks(tracking.today()):
                same(reading)
        assert values > 1000
