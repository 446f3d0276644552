"""The folded state kept with a journey and extended event by event (issue 17) equals a
full refold of its log, after every accepted command, whatever order events happened in,
corrections and retractions included; and so do copies made as the cache makes them."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings

from domain.state import folded, folded_onto, replay
from tests.unit.test_journey_properties import commands, run


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands)
def test_the_state_after_every_command_equals_a_refold_of_the_log_so_far(
        steps: list[tuple[int, int]]) -> None:
    journey, live = run(steps)
    for length, (_, state) in enumerate(live, start=1):
        assert state == replay(journey.log[:length])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands)
def test_a_copy_of_a_journey_folded_part_way_equals_a_refold_of_its_log(
        steps: list[tuple[int, int]]) -> None:
    journey, _ = run(steps)
    log = journey.log
    for cut in range(1, len(log) + 1):
        kept = folded(log[:cut])
        for event in log[cut:]:
            onto = folded_onto(kept, event)
            kept = onto if onto is not None else folded(log[:kept.length + 1])
        assert kept.length == len(log)
        assert kept.state == replay(log)
    clone = copy.deepcopy(copy.deepcopy(journey))
    assert clone.state == replay(log)
