"""Placements (SEN2), ranked needs, provision delivery and children out of school."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.actors import Actor
from domain.errors import RuleViolationError
from domain.journey import ChildJourney
from tests.unit.test_plan_advice import PRIMARY_DOB, TODAY, issuing, record, refusal
from tests.unit.test_plan_drafting import drafted, finalise

SEPT = date(2024, 9, 4)


def registered() -> ChildJourney:
    return ChildJourney.register(authority="LA-901", date_of_birth=PRIMARY_DOB,
                                 actor=Actor("caseworker-1", "sen_officer", "LA-901"),
                                 occurred_on=date(2023, 9, 1), today=TODAY)


def with_plan() -> ChildJourney:
    journey = drafted()
    finalise(journey, date(2024, 5, 20))
    return journey


def start(journey: ChildJourney, on: date, **fields: Any) -> str:
    record(journey, "PlacementStarted", {"urn": "urn-100001"} | fields, on)
    return journey.state.plan.placements[-1].id


# Placements (SEN2 module 5).

@pytest.mark.proves("placement-identifies-setting")
def test_a_placement_names_a_setting_by_urn_or_by_a_sensetting_code_not_both() -> None:
    journey = registered()
    assert refusal(journey, "PlacementStarted", {"urn": "urn-100001", "sen_setting": "EHE"},
                   SEPT) == "placement-identifies-setting"
    assert refusal(journey, "PlacementStarted", {"rank": 1},
                   SEPT) == "placement-identifies-setting"
    start(journey, SEPT, urn=None, sen_setting="OLA", attendance="part_time")
    start(journey, SEPT, urn=None, ukprn="10000001", rank=2, work_based=True)
    placements = journey.state.plan.placements
    assert [(p.sen_setting, p.ukprn, p.rank) for p in placements] == [
        ("OLA", None, 1), (None, "10000001", 2)]


@pytest.mark.proves("placement-ranks-overlap")
def test_placements_of_the_same_rank_do_not_overlap_but_dual_placements_may() -> None:
    journey = registered()
    first = start(journey, SEPT, sen_unit=True, residential="A")
    assert refusal(journey, "PlacementStarted", {"urn": "urn-100002"},
                   date(2025, 1, 6)) == "placement-ranks-overlap"
    start(journey, date(2025, 1, 6), urn="urn-100002", rank=2, resourced_provision=True)
    record(journey, "PlacementEnded", {"placement_id": first, "reason": "moved"},
           date(2024, 12, 20))
    assert refusal(journey, "PlacementStarted", {"urn": "urn-100003"},
                   date(2024, 12, 20)) == "placement-ranks-overlap"
    start(journey, date(2025, 1, 6), urn="urn-100003")
    assert [(p.rank, p.start_on, p.end_on) for p in journey.state.plan.placements] == [
        (1, SEPT, date(2024, 12, 20)), (2, date(2025, 1, 6), None),
        (1, date(2025, 1, 6), None)]


@pytest.mark.proves("placement-ranks-overlap")
def test_a_placement_recorded_late_inside_a_running_one_is_refused() -> None:
    journey = registered()
    first = start(journey, SEPT)
    record(journey, "PlacementEnded", {"placement_id": first}, date(2025, 7, 18))
    assert refusal(journey, "PlacementStarted", {"urn": "urn-100002"},
                   date(2025, 2, 1)) == "placement-ranks-overlap"


@pytest.mark.proves("placement-end-needs-open-placement")
def test_only_a_running_placement_ends() -> None:
    journey = registered()
    assert refusal(journey, "PlacementEnded", {"placement_id": "placement-9"},
                   SEPT) == "placement-end-needs-open-placement"
    placement = start(journey, SEPT)
    record(journey, "PlacementEnded", {"placement_id": placement}, date(2024, 12, 20))
    assert refusal(journey, "PlacementEnded", {"placement_id": placement},
                   date(2024, 12, 21)) == "placement-end-needs-open-placement"


# Ranked needs (SEN2 SENtype, SENtypeRank).

@pytest.mark.proves("needs-ranked-once")
def test_needs_have_exactly_one_primary_need_and_ranks_without_gaps() -> None:
    journey = registered()
    for needs in ([], [{"code": "ASD", "rank": 1}, {"code": "SLCN", "rank": 1}],
                  [{"code": "ASD", "rank": 2}]):
        assert refusal(journey, "NeedsRecorded", {"needs": needs},
                       SEPT) == "needs-ranked-once"
    record(journey, "NeedsRecorded", {"needs": [{"code": "ASD", "rank": 1},
                                                {"code": "SLCN", "rank": 2}]}, SEPT)
    assert journey.state.plan.needs[0] == {"code": "ASD", "rank": 1}
    assert journey.state.plan.needs_source == "plan_section_b"


@pytest.mark.proves("plan-need-not-nsa")
def test_nsa_is_not_an_ehc_plan_need() -> None:
    journey = registered()
    assert refusal(journey, "NeedsRecorded", {"needs": [{"code": "NSA", "rank": 1}]},
                   SEPT) == "plan-need-not-nsa"


@pytest.mark.proves("code-not-in-reference-data")
def test_down_syndrome_is_a_need_code_from_january_2025_only() -> None:
    journey = registered()
    needs = {"needs": [{"code": "DS", "rank": 1}], "source": "census"}
    assert refusal(journey, "NeedsRecorded", needs,
                   date(2024, 12, 31)) == "code-not-in-reference-data"
    record(journey, "NeedsRecorded", needs, date(2025, 1, 17))
    assert journey.state.plan.needs_recorded_on == date(2025, 1, 17)


@given(ranks=st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=5))
@settings(max_examples=40, deadline=None)
@pytest.mark.proves("needs-ranked-once")
def test_needs_are_accepted_exactly_when_ranked_1_to_n(ranks: list[int]) -> None:
    journey = registered()
    codes = ["ASD", "SLCN", "SEMH", "MLD", "PD"]
    needs = [{"code": code, "rank": rank} for code, rank in zip(codes, ranks, strict=False)]
    well_ranked = sorted(ranks) == list(range(1, len(ranks) + 1))
    try:
        record(journey, "NeedsRecorded", {"needs": needs}, SEPT)
    except RuleViolationError as refused:
        assert not well_ranked and refused.code == "needs-ranked-once"
    else:
        assert well_ranked and [n for n in journey.state.plan.needs if n["rank"] == 1]


@given(steps=st.lists(st.tuples(st.booleans(), st.integers(0, 60), st.integers(1, 2)),
                      max_size=12))
@settings(max_examples=40, deadline=None)
@pytest.mark.proves("placement-ranks-overlap")
def test_accepted_placements_never_overlap_within_a_rank(
        steps: list[tuple[bool, int, int]]) -> None:
    journey = registered()
    for starting, offset, rank in steps:
        on = SEPT + timedelta(days=offset)
        running = [p for p in journey.state.plan.placements if p.end_on is None]
        try:
            if starting or not running:
                start(journey, on, rank=rank)
            else:
                record(journey, "PlacementEnded", {"placement_id": running[0].id}, on)
        except RuleViolationError:
            pass
    placements = journey.state.plan.placements
    for a in placements:
        for b in placements:
            if a is not b and a.rank == b.rank:
                assert not (a.covers(b.start_on) or b.covers(a.start_on))


# Provision delivery (s.42) and children out of school.

@pytest.mark.proves("provision-needs-active-plan")
def test_provision_delivery_is_recorded_against_an_active_plan() -> None:
    journey = issuing()
    concern = {"section": "F", "item": "Speech and language therapy, 1 hour weekly",
               "period_from": date(2024, 4, 1), "reason": "no therapist since Easter"}
    assert refusal(journey, "ProvisionDeliveryConcernRaised", concern,
                   date(2024, 4, 2)) == "provision-needs-active-plan"
    assert refusal(journey, "ProvisionNonDeliveryRecorded", concern,
                   date(2024, 4, 2)) == "provision-needs-active-plan"
    journey = with_plan()
    record(journey, "ProvisionDeliveryConcernRaised",
           concern | {"period_from": date(2024, 9, 4), "raised_by": "parent"},
           date(2024, 10, 1))
    record(journey, "ProvisionNonDeliveryRecorded",
           concern | {"period_from": date(2024, 9, 4), "period_to": date(2024, 10, 4),
                      "hours_missed": 4.0}, date(2024, 10, 7))
    assert [(d.kind, d.section) for d in journey.state.plan.delivery] == [
        ("concern", "F"), ("non_delivery", "F")]


@pytest.mark.proves("dates-out-of-order")
def test_eotas_and_time_out_of_school_are_recorded_with_their_hours() -> None:
    journey = with_plan()
    record(journey, "ChildOutOfSchoolRecorded",
           {"reason": "placement broke down", "hours_offered_per_week": 0.0},
           date(2024, 10, 1))
    record(journey, "EOTASArranged",
           {"hours_per_week": 15.0, "reason": "school inappropriate (s.61)",
            "provider": "tutor-service-1", "end_on": date(2025, 7, 18)}, date(2024, 11, 4))
    assert [(p.kind, p.hours_per_week) for p in journey.state.plan.out_of_school] == [
        ("out_of_school", 0.0), ("eotas", 15.0)]
    assert refusal(journey, "EOTASArranged",
                   {"hours_per_week": 5.0, "reason": "s.61", "end_on": date(2024, 11, 1)},
                   date(2024, 11, 4)) == "dates-out-of-order"
