"""``clock_view`` (a reading's ``as_dict`` given as it is where it is plain already) answers
what its first definition, ``plain(reading.as_dict())``, answered: the same keys in the
same order, the same values of the same types, so the same bytes in every write answer
and state view. Checked on every clock read here and in the modules importing the
fixture (every event type's journeys), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from enum import Enum
from typing import Any

import pytest
from flask.testing import FlaskClient

import application.tracking
import application.views
from application.views import clock_view, plain
from domain.clocks import ClockReading, ClockStatus
from domain.responsibility import Body
from tests.e2e.journeys import JOURNEYS
from tests.e2e.test_every_event_type import record_journey

Auth = Callable[..., dict[str, str]]


def same(fast: Any, first: Any) -> None:
    """``fast`` is ``first``: equal, key order, value types and JSON text included."""
    assert fast == first
    assert list(fast) == list(first)
    assert [type(v) for v in fast.values()] == [type(v) for v in first.values()]
    assert json.dumps(fast, default=str) == json.dumps(first, default=str)


@pytest.fixture(autouse=True)
def clock_views_as_plain(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[ClockReading]]:
    """Every clock view built in a module using this fixture (write answers, state views,
    what is due next) is checked against ``plain(reading.as_dict())``."""
    checked: list[ClockReading] = []

    def checking(reading: ClockReading) -> dict[str, Any]:
        fast = clock_view(reading)
        same(fast, plain(reading.as_dict()))
        checked.append(reading)
        return fast

    monkeypatch.setattr(application.views, "clock_view", checking)
    monkeypatch.setattr(application.tracking, "clock_view", checking)
    yield checked


def test_every_clock_of_every_journey_is_viewed_as_plain_gave_it(
        client: FlaskClient, auth: Auth, clock_views_as_plain: list[ClockReading]) -> None:
    for name, journey in JOURNEYS.items():
        record_journey(client, auth, name, journey)
    readings = clock_views_as_plain
    # Write answers and state views both went through the check, with many clocks and
    # states among them (a check that saw nothing would prove nothing).
    assert len(readings) > 500
    assert len({r.clock for r in readings}) > 20
    assert len({r.status for r in readings}) > 3
    assert any(r.due_on is None for r in readings)
    assert any(r.stopped_on is not None for r in readings)
    assert any(r.days_late is not None for r in readings)


class _Shade(Enum):
    LOCAL = "local policy"


def test_a_value_not_plain_is_walked_by_plain() -> None:
    reading = ClockReading(
        clock="K1", name="a clock", episode="e1", started_on=date(2024, 1, 8),
        due_on=date(2024, 2, 5), stopped_on=None,
        status=ClockStatus.RUNNING, responsible=next(iter(Body)), citation="s",
        limit="6 weeks", rule_set="2014", kind=_Shade.LOCAL)  # type: ignore[arg-type]
    view = clock_view(reading)
    same(view, plain(reading.as_dict()))
    assert view["kind"] == "local policy"
    assert reading.as_dict()["kind"] is _Shade.LOCAL

