"""What makes clock readings cheap must not change them: a reading is built without the
frozen dataclass's ``__init__`` (``domain.clocks._made``), and due dates are remembered
(``domain.clocks._due``)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from domain import clocks
from domain.clocks import ClockReading, LocalPolicy, compute_clocks
from domain.state import replay
from tests.unit.catalogue_logs import TODAY, catalogue_logs


def test_every_reading_of_the_catalogue_journeys_is_the_one_its_fields_build() -> None:
    names = [f.name for f in dataclasses.fields(ClockReading)]
    policies = (LocalPolicy(), LocalPolicy(anniversary_reviews=True,
                                           phase_transfer_by_the_day=True))
    readings = 0
    for log in catalogue_logs().values():
        for upto in range(1, len(log) + 1):
            state = replay(log[:upto])
            for policy in policies:
                for day in (log[upto - 1].occurred_on, TODAY + timedelta(days=400)):
                    for made in compute_clocks(state, day, policy=policy):
                        built = ClockReading(**vars(made))
                        assert made == built and list(vars(made)) == names
                        assert hash(made) == hash(built) and repr(made) == repr(built)
                        readings += 1
    assert readings > 1000


def test_every_reading_of_the_catalogue_journeys_is_the_same_with_due_dates_remembered(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``ClockContext.due`` remembers each due date it worked out (``clocks._due``): the
    readings are the ones worked out afresh every time, on two policies and two days."""
    policies = (LocalPolicy(), LocalPolicy(anniversary_reviews=True,
                                           phase_transfer_by_the_day=True))
    cases = [(replay(log[:upto]), policy, day)
             for log in catalogue_logs().values() for upto in range(1, len(log) + 1)
             for policy in policies
             for day in (log[upto - 1].occurred_on, TODAY + timedelta(days=400))]
    remembered = [compute_clocks(state, day, policy=policy) for state, policy, day in cases]
    monkeypatch.setattr(clocks, "_due", clocks._due.__wrapped__)
    assert [compute_clocks(state, day, policy=policy)
            for state, policy, day in cases] == remembered
    assert sum(len(readings) for readings in remembered) > 1000
