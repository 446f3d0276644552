"""The clock trail (domain.clock_trail, issue 17): each event's clock effects read in one
pass, and kept and extended as events are added, equal the reference definition
(application.history.clock_effects: the effective events folded one by one, the clocks
read after each) for any accepted commands, any day read, corrections and retractions
included."""

from __future__ import annotations

import contextlib
import copy
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.history import clock_effects
from domain.clock_trail import clock_trail
from domain.clocks import LocalPolicy
from domain.errors import RuleViolationError
from domain.state import effective_events
from tests.unit.test_journey_properties import LA, START, TODAY, commands, run

DAYS = st.integers(0, 900).map(lambda n: START + timedelta(days=n))
POLICIES = st.sampled_from([LocalPolicy(), LocalPolicy(anniversary_reviews=True,
                                                       under_five_review_months=3,
                                                       phase_transfer_by_the_day=True)])


def reference(log: tuple, on: date, policy: LocalPolicy) -> dict:  # type: ignore[type-arg]
    return clock_effects(effective_events(log), on, policy)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands, DAYS, POLICIES)
def test_the_trail_in_one_pass_equals_the_reference(steps: list[tuple[int, int]], on: date,
                                                    policy: LocalPolicy) -> None:
    journey, _ = run(steps)
    trail = clock_trail(journey.log, on, policy)
    assert dict(trail.effects) == reference(journey.log, on, policy)
    assert trail.length == len(journey.log)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands, DAYS, st.integers(0, 40), st.booleans())
def test_a_trail_kept_part_way_and_extended_equals_the_reference(
        steps: list[tuple[int, int]], on: date, cut: int, amend: bool) -> None:
    journey, _ = run(steps)
    if amend and len(journey.log) > 2:  # a correction moves an event: extending refolds
        target = journey.log[1]
        # Refused where the moved event would break a rule (a decision before the request
        # it decides): the journey is then as it was, which the property holds for too.
        with contextlib.suppress(RuleViolationError):
            journey.record("EntryCorrected", {
                "target_version": 2, "reason": "date misread",
                "changes": {"occurred_on": target.occurred_on + timedelta(days=3)}},
                actor=LA, occurred_on=TODAY, today=TODAY)
    log = journey.log
    kept = clock_trail(log[:max(1, min(cut, len(log)))], on)
    assert dict(clock_trail(log, on, kept=kept).effects) == reference(log, on, LocalPolicy())


def test_a_trail_read_on_another_day_or_of_another_log_is_not_reused() -> None:
    journey, _ = run([(0, 3), (3, 6), (6, 40)])
    today = clock_trail(journey.log, TODAY)
    assert not today.covers(journey.log, TODAY + timedelta(days=1), LocalPolicy())
    other, _ = run([(0, 3), (3, 9)])
    assert not today.covers(other.log, TODAY, LocalPolicy())
    assert today.covers(journey.log, TODAY, LocalPolicy())


def test_copies_of_a_journey_share_the_kept_trail_and_extend_it_with_new_events() -> None:
    journey, _ = run([(0, 3), (3, 6)])
    cached = copy.deepcopy(journey)  # as the repository's cache holds it
    first = copy.deepcopy(cached).clock_trail(TODAY)
    reader = copy.deepcopy(cached)
    assert reader.clock_trail(TODAY) is first  # nothing new: the kept trail as it is
    writer = copy.deepcopy(cached)
    writer.record("DecisionToAssessMade", {"assessment_test_met": True, "reasons": "may"},
                  actor=LA, occurred_on=START + timedelta(days=30), today=TODAY)
    later = copy.deepcopy(writer).clock_trail(TODAY)
    assert later.length == first.length + 1
    assert later.effects.keys() - first.effects.keys() == {writer.version}
    assert dict(later.effects) == reference(writer.log, TODAY, LocalPolicy())
