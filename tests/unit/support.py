"""Recording helpers shared by the unit tests: record a step, or get the refusing rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from domain.actors import Actor
from domain.errors import RuleViolationError
from domain.journey import ChildJourney

Record = Callable[[ChildJourney, str, dict[str, Any], date], None]
Refusal = Callable[[ChildJourney, str, dict[str, Any], date], str]


def recorder(actor: Actor, today: date) -> tuple[Record, Refusal]:
    """Return ``record`` and ``refusal`` functions acting as ``actor`` on ``today``."""

    def record(journey: ChildJourney, type_name: str, payload: dict[str, Any],
               on: date) -> None:
        journey.record(type_name, payload, actor=actor, occurred_on=on, today=today)

    def refusal(journey: ChildJourney, type_name: str, payload: dict[str, Any],
                on: date) -> str:
        """Return the rule code that refuses the command, checking nothing was stored."""
        before = journey.version
        with pytest.raises(RuleViolationError) as refused:
            record(journey, type_name, payload, on)
        assert journey.version == before
        return refused.value.code

    return record, refusal
