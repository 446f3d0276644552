"""Worked examples for reviews, amendments, phase transfer and re-assessment (K7-K14).

Each builds a journey through ``ChildJourney.register`` and ``record`` with real dates;
the plan comes in by ``PlanTransferredIn`` so the examples need no assessment.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.actors import Actor
from domain.catalogue.reviews import phase_transfer_deadline
from domain.clocks import ClockReading, ClockStatus, LocalPolicy
from domain.journey import ChildJourney
from domain.responsibility import Body

LA = Actor("officer-1", "caseworker", "LA-900")
TODAY = date(2026, 6, 1)
NOTICE = ["appeal_rights", "time_limits", "mediation", "disagreement_resolution",
          "information_advice"]
PROPOSALS = [{"section": "F", "change": "add 1 hour a week of speech and language therapy"}]


def journey_with_plan(*, born: date = date(2014, 3, 1), transferred_on: date = date(2023, 3, 1),
                      made_on: date = date(2022, 6, 1)) -> ChildJourney:
    """Return a journey holding a plan transferred in from another LA."""
    journey = ChildJourney.register(authority="LA-900", date_of_birth=born, actor=LA,
                                    occurred_on=transferred_on, today=TODAY)
    record(journey, "PlanTransferredIn", transferred_on, old_la="LA-100",
           original_made_on=made_on, named_setting="Oak Primary", setting_type="MAINSTREAM_LA")
    return journey


def record(journey: ChildJourney, type_name: str, day: date, **payload: Any) -> None:
    journey.record(type_name, payload, actor=LA, occurred_on=day, today=TODAY)


def clock(journey: ChildJourney, clock_id: str, today: date = TODAY) -> list[ClockReading]:
    return [r for r in journey.clocks(today) if r.clock == clock_id]


def hold_review(journey: ChildJourney, meeting_on: date, *, scheduled_on: date,
                invited_on: date, organiser: str = "setting", **meeting: Any) -> None:
    record(journey, "AnnualReviewScheduled", scheduled_on, due_by=meeting_on,
           review_type="annual", organiser=organiser)
    record(journey, "ReviewInvitationsSent", invited_on, invitees=["parent", "setting"],
           meeting_on=meeting_on)
    record(journey, "ReviewMeetingHeld", meeting_on, attendees=["parent", "senco"], **meeting)


@pytest.mark.proves("K10", "K11", "review-amend-needs-proposed-amendments")
def test_devon_meeting_10_january_2024_amended_plan_after_12_weeks_is_late() -> None:
    """Devon: the decision (4 weeks) carries the proposals, so the amended plan is due 8
    weeks later, 12 weeks from the meeting: 3 April 2024. Issued 10 April it is late."""
    journey = journey_with_plan()
    hold_review(journey, date(2024, 1, 10), scheduled_on=date(2023, 11, 1),
                invited_on=date(2023, 12, 1))
    record(journey, "ReviewDecisionIssued", date(2024, 2, 7), decision="Amend",
           reasons="needs changed", proposed_amendments=PROPOSALS)
    record(journey, "AmendedPlanFinalised", date(2024, 4, 10), sections_changed=["F"],
           notice_includes=NOTICE)

    [k10] = clock(journey, "K10")
    [k11] = clock(journey, "K11")
    assert (k10.due_on, k10.stopped_on, k10.status) == (date(2024, 2, 7), date(2024, 2, 7),
                                                        ClockStatus.MET)
    assert (k11.started_on, k11.due_on, k11.status) == (date(2024, 2, 7), date(2024, 4, 3),
                                                        ClockStatus.LATE)
    assert journey.state.plan.current is not None
    assert journey.state.plan.current.source == "amendment"
    assert journey.state.plan.current.made_on == date(2022, 6, 1)


@pytest.mark.proves("K11")
def test_devon_amended_plan_exactly_12_weeks_after_the_meeting_is_met() -> None:
    """Reg 22(3): 8 weeks from the proposals sent on 7 February 2024 is 3 April 2024."""
    journey = journey_with_plan()
    hold_review(journey, date(2024, 1, 10), scheduled_on=date(2023, 11, 1),
                invited_on=date(2023, 12, 1))
    record(journey, "ReviewDecisionIssued", date(2024, 2, 7), decision="Amend",
           reasons="needs changed", proposed_amendments=PROPOSALS)
    record(journey, "AmendedPlanFinalised", date(2024, 4, 3), sections_changed=["F"],
           notice_includes=NOTICE)

    [k11] = clock(journey, "K11")
    assert k11.status is ClockStatus.MET
    assert [d.kind for d in journey.state.appealable_decisions] == ["amended_plan"]


@pytest.mark.proves("K10")
def test_review_decision_six_weeks_after_the_meeting_is_late() -> None:
    """Reg 20(10): decision within 4 weeks of the meeting (10 Jan → 7 Feb 2024)."""
    journey = journey_with_plan()
    hold_review(journey, date(2024, 1, 10), scheduled_on=date(2023, 11, 1),
                invited_on=date(2023, 12, 1))
    record(journey, "ReviewDecisionIssued", date(2024, 2, 21), decision="Maintain",
           reasons="plan still right", notice_includes=NOTICE)

    [k10] = clock(journey, "K10")
    assert (k10.due_on, k10.status) == (date(2024, 2, 7), ClockStatus.LATE)
    assert [d.kind for d in journey.state.appealable_decisions] == ["maintain_plan"]


@pytest.mark.proves("K8")
def test_invitations_nine_days_before_the_meeting_are_late_and_the_settings() -> None:
    """Reg 20(3)-(4): 2 weeks' notice and advice 2 weeks before a meeting on 10 Jan 2024,
    so by 27 December 2023; a school-arranged review makes the setting responsible."""
    journey = journey_with_plan()
    record(journey, "AnnualReviewScheduled", date(2023, 11, 1), due_by=date(2024, 1, 31),
           review_type="annual", organiser="setting")
    record(journey, "ReviewInvitationsSent", date(2024, 1, 1), invitees=["parent"],
           meeting_on=date(2024, 1, 10))
    record(journey, "ReviewAdviceCirculated", date(2023, 12, 27), documents=["OT report"])
    record(journey, "ReviewMeetingHeld", date(2024, 1, 10), attendees=["parent"])

    by_step = {r.episode.rsplit("-", 1)[1]: r for r in clock(journey, "K8")}
    assert by_step["invitations"].due_on == date(2023, 12, 27)
    assert by_step["invitations"].status is ClockStatus.LATE
    assert by_step["invitations"].responsible is Body.SETTING
    assert by_step["advice"].status is ClockStatus.MET


@pytest.mark.proves("K8")
def test_la_arranged_review_puts_k8_on_the_la() -> None:
    """Reg 21: where the LA arranges the review, notice is the LA's duty."""
    journey = journey_with_plan()
    record(journey, "AnnualReviewScheduled", date(2023, 11, 1), due_by=date(2024, 1, 31),
           review_type="annual", organiser="local_authority")
    record(journey, "ReviewInvitationsSent", date(2023, 12, 1), invitees=["parent"],
           meeting_on=date(2024, 1, 10))

    readings = clock(journey, "K8", today=date(2023, 12, 20))
    assert {r.responsible for r in readings} == {Body.LOCAL_AUTHORITY}
    by_step = {r.episode.rsplit("-", 1)[1]: r.status for r in readings}
    assert by_step == {"invitations": ClockStatus.MET, "advice": ClockStatus.RUNNING}


@pytest.mark.proves("K9")
def test_review_report_due_two_weeks_after_the_meeting() -> None:
    """Reg 20(7)-(8): report within 2 weeks of the meeting (10 Jan → 24 Jan 2024)."""
    on_time = journey_with_plan()
    hold_review(on_time, date(2024, 1, 10), scheduled_on=date(2023, 11, 1),
                invited_on=date(2023, 12, 1))
    record(on_time, "ReviewReportSubmitted", date(2024, 1, 24), recommendations=["amend F"])
    late = journey_with_plan()
    hold_review(late, date(2024, 1, 10), scheduled_on=date(2023, 11, 1),
                invited_on=date(2023, 12, 1))
    record(late, "ReviewReportSubmitted", date(2024, 1, 25))

    [met] = clock(on_time, "K9")
    [missed] = clock(late, "K9")
    assert (met.due_on, met.status, met.responsible) == (date(2024, 1, 24), ClockStatus.MET,
                                                         Body.SETTING)
    assert missed.status is ClockStatus.LATE


@pytest.mark.proves("K7")
def test_next_review_is_due_12_months_from_the_last_review_meeting() -> None:
    """s.44(1)(b): "in each subsequent period of 12 months starting with the date on which
    the plan was last reviewed" (the meeting, reference 9.3): starting with 10 January
    2024, the period's last day is 9 January 2025, the day before the anniversary."""
    journey = journey_with_plan()
    hold_review(journey, date(2024, 1, 10), scheduled_on=date(2023, 11, 1),
                invited_on=date(2023, 12, 1))

    [running] = clock(journey, "K7", today=date(2024, 12, 1))
    assert (running.started_on, running.due_on, running.status) == (
        date(2024, 1, 10), date(2025, 1, 9), ClockStatus.RUNNING)
    [overdue] = clock(journey, "K7", today=date(2025, 1, 10))
    assert overdue.status is ClockStatus.LATE

    hold_review(journey, date(2025, 1, 9), scheduled_on=date(2024, 11, 1),
                invited_on=date(2024, 12, 2))
    first, second = clock(journey, "K7", today=date(2025, 2, 1))
    assert (first.stopped_on, first.status) == (date(2025, 1, 9), ClockStatus.MET)
    assert (second.started_on, second.due_on) == (date(2025, 1, 9), date(2026, 1, 8))


@pytest.mark.proves("K7")
def test_k7_is_not_applicable_once_the_plan_ceased_before_the_review_was_due() -> None:
    """A plan ceased by 10 Jan 2025 needs no review then (s.45: no plan to review)."""
    journey = journey_with_plan(born=date(2006, 3, 1))
    hold_review(journey, date(2024, 1, 10), scheduled_on=date(2023, 11, 1),
                invited_on=date(2023, 12, 1), pfa_discussed=True)
    record(journey, "CeasingProposed", date(2024, 3, 1), ground="no_longer_necessary",
           family_informed_on=date(2024, 3, 1), family_consulted=True, head_consulted=True)
    record(journey, "CeaseDecisionIssued", date(2024, 4, 2), ground="no_longer_necessary",
           reasons="outcomes achieved", recipients=["family", "icb", "institution"],
           notice_includes=NOTICE)
    record(journey, "PlanCeased", date(2024, 7, 31), cease_reason="2")

    [k7] = clock(journey, "K7", today=date(2025, 6, 1))
    assert (k7.due_on, k7.stopped_on, k7.status) == (None, date(2024, 7, 31),
                                                     ClockStatus.NOT_APPLICABLE)


@pytest.mark.proves("K12")
def test_primary_to_secondary_september_2025_plan_amended_14_february_is_met() -> None:
    """Reg 18(1)(b): the plan naming the secondary school amended "before ... 15 February"
    2025: 14 February is the last day."""
    journey = _primary_to_secondary(finalised_on=date(2025, 2, 14))

    [k12] = clock(journey, "K12")
    assert (k12.due_on, k12.stopped_on, k12.status) == (date(2025, 2, 14), date(2025, 2, 14),
                                                        ClockStatus.MET)
    assert journey.state.plan.current is not None
    assert journey.state.plan.current.named_setting == "Beech Academy"


@pytest.mark.proves("K12")
def test_primary_to_secondary_september_2025_plan_amended_16_february_is_late() -> None:
    """Reg 18(1)(b): 16 February 2025 is two days after the last day (14 February); 15
    February itself is not "before" 15 February, so it is late too."""
    journey = _primary_to_secondary(finalised_on=date(2025, 2, 16))

    [k12] = clock(journey, "K12")
    assert (k12.due_on, k12.status) == (date(2025, 2, 14), ClockStatus.LATE)
    on_the_day = _primary_to_secondary(finalised_on=date(2025, 2, 15))
    assert clock(on_the_day, "K12")[0].status is ClockStatus.LATE


def _primary_to_secondary(*, finalised_on: date) -> ChildJourney:
    journey = journey_with_plan()
    record(journey, "PhaseTransferIdentified", date(2024, 10, 1),
           transfer_type="primary_to_secondary", transfer_on=date(2025, 9, 1))
    hold_review(journey, date(2024, 11, 20), scheduled_on=date(2024, 10, 1),
                invited_on=date(2024, 10, 30))
    record(journey, "ReviewDecisionIssued", date(2024, 12, 4), decision="Amend",
           reasons="name the secondary school", proposed_amendments=[{"section": "I"}])
    record(journey, "PhaseTransferPlanFinalised", finalised_on, sections_changed=["I"],
           notice_includes=NOTICE, named_setting="Beech Academy",
           setting_type="MAINSTREAM_ACADEMY")
    return journey


BY_THE_DAY = LocalPolicy(phase_transfer_by_the_day=True)


def by_policy(journey: ChildJourney, clock_id: str, policy: LocalPolicy = BY_THE_DAY
              ) -> list[ClockReading]:
    return [r for r in journey.clocks(TODAY, policy=policy) if r.clock == clock_id]


@pytest.mark.proves("K12", "K12P")
def test_phase_transfer_by_the_day_is_a_local_reading_beside_the_strict_date() -> None:
    """Reg 18(1)(b) (revised text): the plan is reviewed and amended "before ... 15
    February" of the transfer year, so for a move to secondary school on 1 September 2025
    the last day is 14 February 2025 (K12, statutory). The Code (9.179) and practice say
    "by 15 February": an authority that sets phase_transfer_by_the_day sees K12P due on 15
    February 2025 beside it. Amended on 15 February, the plan is in time by K12P and late
    in law by K12, which does not move; by default there is no K12P."""
    journey = _primary_to_secondary(finalised_on=date(2025, 2, 15))
    assert by_policy(journey, "K12P", LocalPolicy()) == []  # off unless the authority sets it

    [k12] = by_policy(journey, "K12")
    [k12p] = by_policy(journey, "K12P")
    assert (k12.due_on, k12.status, k12.kind, k12.statutory) == (
        date(2025, 2, 14), ClockStatus.LATE, "statutory", True)
    assert (k12p.episode, k12p.started_on, k12p.due_on, k12p.stopped_on) == (
        k12.episode, date(2024, 10, 1), date(2025, 2, 15), date(2025, 2, 15))
    assert (k12p.status, k12p.kind, k12p.statutory) == (ClockStatus.MET, "local policy",
                                                       False)
    assert by_policy(journey, "K12", LocalPolicy()) == [k12]
    late = _primary_to_secondary(finalised_on=date(2025, 2, 16))
    assert by_policy(late, "K12P")[0].status is ClockStatus.LATE


@pytest.mark.proves("K12", "K12P")
def test_phase_transfer_to_post16_by_31_march_beside_the_strict_30_march() -> None:
    """Reg 18(1)(a): a move from secondary school to a post-16 institution on 1 September
    2025 needs the plan "before ... 31 March" 2025: 30 March (Sunday) is the last day
    (K12). Read "by 31 March" (Code 9.179), K12P is due Monday 31 March 2025; amended that
    day, the plan is in time by K12P and late by K12. A post-16 to post-16 move (reg
    18(2), "at least five months before") has one reading only: no K12P."""
    journey = journey_with_plan(born=date(2009, 3, 1), transferred_on=date(2024, 9, 2))
    record(journey, "PhaseTransferIdentified", date(2024, 10, 1),
           transfer_type="secondary_to_post16", transfer_on=date(2025, 9, 1))
    hold_review(journey, date(2024, 11, 20), scheduled_on=date(2024, 10, 1),
                invited_on=date(2024, 10, 30), pfa_discussed=True)
    record(journey, "ReviewDecisionIssued", date(2024, 12, 4), decision="Amend",
           reasons="name the college", proposed_amendments=[{"section": "I"}])
    record(journey, "PhaseTransferPlanFinalised", date(2025, 3, 31), sections_changed=["I"],
           notice_includes=NOTICE, named_setting="Willow College",
           setting_type="SPECIALIST_POST16")

    [k12] = by_policy(journey, "K12")
    [k12p] = by_policy(journey, "K12P")
    assert (k12.due_on, k12.status) == (date(2025, 3, 30), ClockStatus.LATE)
    assert (k12p.due_on, k12p.status) == (date(2025, 3, 31), ClockStatus.MET)

    post16 = journey_with_plan(born=date(2008, 3, 1), transferred_on=date(2024, 9, 2))
    record(post16, "PhaseTransferIdentified", date(2025, 2, 3),
           transfer_type="post16_to_post16", transfer_on=date(2026, 1, 5))
    assert [r.due_on for r in by_policy(post16, "K12")] == [date(2025, 8, 5)]
    assert by_policy(post16, "K12P") == []


@pytest.mark.proves("K12", "K11")
def test_post16_to_post16_transfer_is_due_5_months_before_the_move() -> None:
    """Reg 18(2): a move between post-16 institutions on 5 January 2026 needs the plan by
    5 August 2025; a reg 28 amendment outside a review carries it."""
    journey = journey_with_plan(born=date(2008, 3, 1), transferred_on=date(2024, 9, 2))
    record(journey, "PhaseTransferIdentified", date(2025, 2, 3),
           transfer_type="post16_to_post16", transfer_on=date(2026, 1, 5))
    record(journey, "AmendmentNoticeIssued", date(2025, 6, 2),
           setting_request_right=True, meeting_right=True, trigger="reg28",
           proposed_amendments=[{"section": "I"}])
    record(journey, "PhaseTransferPlanFinalised", date(2025, 8, 5), sections_changed=["I"],
           notice_includes=NOTICE, named_setting="Willow College",
           setting_type="SPECIALIST_POST16")

    [k12] = clock(journey, "K12")
    assert (k12.due_on, k12.status) == (date(2025, 8, 5), ClockStatus.MET)
    [k11] = clock(journey, "K11")
    assert (k11.due_on, k11.status) == (date(2025, 7, 28), ClockStatus.LATE)


@pytest.mark.proves("K12")
def test_reg_18_deadlines_by_transfer_type() -> None:
    """Reg 18(1)(a): before 31 March for secondary to post-16 (30 March the last day);
    (1)(b): before 15 February otherwise (14 February the last day)."""
    assert phase_transfer_deadline("secondary_to_post16", date(2026, 9, 1)) == date(2026, 3, 30)
    assert phase_transfer_deadline("early_years_to_school", date(2026, 9, 1)) == \
        date(2026, 2, 14)
    assert phase_transfer_deadline("post16_to_post16", date(2026, 7, 31)) == date(2026, 2, 28)


@pytest.mark.proves("K13")
def test_reassessment_decision_due_15_days_from_the_request() -> None:
    """Reg 25: a request received 1 March 2024 is answered by 16 March 2024."""
    met = journey_with_plan()
    record(met, "ReassessmentRequested", date(2024, 3, 1), requester="Parent",
           reasons="needs have changed")
    record(met, "ReassessmentDecisionMade", date(2024, 3, 16), decision="agree",
           reasons="new evidence")
    late = journey_with_plan()
    record(late, "ReassessmentRequested", date(2024, 3, 1), requester="ICB",
           reasons="new diagnosis")
    record(late, "ReassessmentDecisionMade", date(2024, 3, 18), decision="refuse",
           reasons="assessed in December", refusal_ground="assessed_within_6_months",
           last_assessment_on=date(2023, 12, 4), notice_includes=NOTICE)

    [on_time] = clock(met, "K13")
    [overdue] = clock(late, "K13")
    assert (on_time.due_on, on_time.status) == (date(2024, 3, 16), ClockStatus.MET)
    assert overdue.status is ClockStatus.LATE
    assert [d.kind for d in late.state.appealable_decisions] == ["refuse_reassessment"]


@pytest.mark.proves("K14", "amendment-needs-agreed-reassessment")
def test_plan_after_reassessment_due_14_weeks_from_the_decision_with_exception() -> None:
    """Reg 27(2)-(3): agreed 15 March 2024, so the plan is due 21 June 2024; issued 28 June
    it is late, and an exceptional-circumstances claim marks it so without moving it."""
    journey = journey_with_plan()
    record(journey, "ReassessmentRequested", date(2024, 3, 1), requester="Setting",
           reasons="placement breaking down")
    record(journey, "ReassessmentDecisionMade", date(2024, 3, 15), decision="agree",
           reasons="agreed")
    [running] = clock(journey, "K14", today=date(2024, 5, 1))
    assert (running.due_on, running.status) == (date(2024, 6, 21), ClockStatus.RUNNING)

    record(journey, "AmendmentNoticeIssued", date(2024, 5, 1),
           setting_request_right=True, meeting_right=True, trigger="reassessment",
           proposed_amendments=PROPOSALS)
    record(journey, "AmendedPlanFinalised", date(2024, 6, 28), sections_changed=["B", "F"],
           notice_includes=NOTICE)
    [late] = clock(journey, "K14")
    assert (late.stopped_on, late.status) == (date(2024, 6, 28), ClockStatus.LATE)

    record(journey, "TimescaleExceptionClaimed", date(2024, 6, 28), clock="K14",
           ground="exceptional_personal_circumstances", period_from=date(2024, 5, 20),
           period_to=date(2024, 6, 14), family_informed=True, episode=late.episode)
    [excused] = clock(journey, "K14")
    assert (excused.due_on, excused.status) == (date(2024, 6, 21),
                                                ClockStatus.LATE_EXCEPTION_APPLIES)


@pytest.mark.proves("K7")
def test_first_review_is_due_12_months_from_the_final_plan_being_made() -> None:
    """s.44(1)(a): "in the period of 12 months starting with the date on which the plan was
    first made": made 22 April 2024, the period ends 21 April 2025; a review meeting on
    14 April 2025 meets it and its amendment keeps the date the plan was made."""
    from tests.unit.test_plan_drafting import drafted, finalise

    journey = drafted()
    finalise(journey, date(2024, 4, 22))
    [running] = clock(journey, "K7", today=date(2025, 4, 1))
    assert (running.started_on, running.due_on, running.status) == (
        date(2024, 4, 22), date(2025, 4, 21), ClockStatus.RUNNING)

    hold_review(journey, date(2025, 4, 14), scheduled_on=date(2025, 2, 3),
                invited_on=date(2025, 3, 17))
    record(journey, "ReviewDecisionIssued", date(2025, 4, 28), decision="Amend",
           reasons="new outcomes", proposed_amendments=PROPOSALS)
    record(journey, "AmendedPlanFinalised", date(2025, 5, 19), sections_changed=["E"],
           notice_includes=NOTICE)
    first, second = clock(journey, "K7", today=date(2025, 6, 1))
    assert (first.stopped_on, first.status) == (date(2025, 4, 14), ClockStatus.MET)
    assert (second.started_on, second.due_on) == (date(2025, 4, 14), date(2026, 4, 13))
    assert journey.state.plan.current is not None
    assert journey.state.plan.current.made_on == date(2024, 4, 22)
