"""A clock reading is built without the frozen dataclass's ``__init__`` (``domain.clocks``
``_made``): every reading of every clock must be the reading ``ClockReading(**fields)``
builds, its fields in the declared order."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

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
