"""What follows a mediation agreement (SEND Regulations 2014, reg 42): the steps it opens,
timed by K27 from the date of the agreement, carried out through the ordinary events.

Reg 42's periods are configuration (``domain.time_limits``, marked to verify against
legislation.gov.uk); the worked examples count them as they are configured.
"""

from __future__ import annotations

from datetime import date

import pytest

from domain.calendar import Period, Unit, Wording
from domain.clocks import ClockStatus
from domain.journey import ChildJourney
from domain.responsibility import Body
from domain.rules import CORONAVIRUS_2020, SEND_REGULATIONS_2014
from domain.time_limits import TIME_LIMITS_2014, VERIFY_REG_42
from tests.unit.test_disputes_mediation import NOTICE, clock, record, refusal, refused_assessment
from tests.unit.test_plan_advice import advised
from tests.unit.test_plan_drafting import DRAFT, drafted, finalise

LATER = date(2026, 6, 30)


def mediated(journey: ChildJourney, decision: str, held_on: date, *,
             issues: tuple[str, ...] = ("education",), outcome: str = "agreement") -> None:
    """Record the adviser contacted, mediation asked for a week before ``held_on``, and held."""
    asked = date.fromordinal(held_on.toordinal() - 7)
    record(journey, "MediationAdviserContacted", {"decision_id": decision}, asked)
    record(journey, "MediationRequested", {"decision_id": decision, "issues": list(issues)},
           asked)
    record(journey, "MediationHeld", {"decision_id": decision, "outcome": outcome,
                                      "parties": ["family", "local_authority"]}, held_on)


def refusal_mediated(held_on: date = date(2024, 7, 8), **kwargs: object
                     ) -> tuple[ChildJourney, str]:
    """A refusal to assess notified Monday 10 June 2024, mediated on ``held_on``."""
    journey, decision = refused_assessment(date(2024, 6, 10))
    mediated(journey, decision, held_on, **kwargs)  # type: ignore[arg-type]
    return journey, decision


def agree(journey: ChildJourney, decision: str, on: date, **terms: object) -> str:
    """Record the agreement; return the prefix of its steps' ids."""
    record(journey, "MediationAgreementReached", {"decision_id": decision, **terms}, on)
    return str(journey.version)


@pytest.mark.proves("K27")
def test_an_agreement_to_assess_is_kept_to_as_if_the_tribunal_had_ordered_it() -> None:
    # Reg 42(2) applies reg 44(2)(b) from the date of the agreement, Monday 8 July 2024:
    # notice that the LA will assess within 2 weeks "of" that date: 8 July + 14 days =
    # Monday 22 July 2024 (given 19 July: met); the final plan within 14 weeks: 8 July +
    # 98 days = Monday 14 October 2024.
    journey, decision = refusal_mediated()
    version = agree(journey, decision, date(2024, 7, 8), will=["assess"],
                    agreement_ref="MA-901-1")
    state = journey.state
    assert state.stage == "mediation_agreement"  # no longer "assessment_refused"
    assert state.disputes.mediation_for(decision).agreement_on == date(2024, 7, 8)  # type: ignore[union-attr]
    [ordered] = state.assessment.ordered
    assert (ordered.route, ordered.order) == ("mediation_agreement", "assess")
    record(journey, "DecisionToAssessMade", {"assessment_test_met": True,
                                             "reasons": "as agreed at mediation"},
           date(2024, 7, 19))
    notify = clock(journey, "K27", f"order-{version}-assess-notify_assessment", LATER)
    outcome = clock(journey, "K27", f"order-{version}-assess-outcome", date(2024, 8, 1))
    assert (notify.due_on, notify.stopped_on, notify.status) == (
        date(2024, 7, 22), date(2024, 7, 19), ClockStatus.MET)
    assert (outcome.due_on, outcome.status) == (date(2024, 10, 14), ClockStatus.RUNNING)
    assert notify.responsible is Body.LOCAL_AUTHORITY
    assert notify.responsible_name == "LA-999"
    # Its own clock: nothing reads as a Tribunal order, and no new request is timed.
    assert [r for r in journey.clocks(LATER) if r.clock == "K22"] == []
    for clock_id in ("K1", "K3", "K4"):
        assert len([r for r in journey.clocks(LATER) if r.clock == clock_id]) == 1


@pytest.mark.proves("K27")
def test_a_late_notice_under_the_agreement_is_late_against_the_agreements_date() -> None:
    # Agreed Monday 8 July 2024: the notice on Tuesday 23 July is a day past 22 July.
    journey, decision = refusal_mediated()
    version = agree(journey, decision, date(2024, 7, 8), will=["assess"])
    record(journey, "DecisionToAssessMade", {"assessment_test_met": True,
                                             "reasons": "as agreed"}, date(2024, 7, 23))
    notify = clock(journey, "K27", f"order-{version}-assess-notify_assessment", LATER)
    assert (notify.status, notify.days_late) == (ClockStatus.LATE, 1)


def refused_plan_mediated() -> tuple[ChildJourney, str]:
    """A refusal to issue a plan (25 March 2024), mediated on Monday 29 April 2024."""
    journey = advised()
    record(journey, "DecisionNotToIssuePlanMade",
           {"reasons": "needs can be met", "notice_includes": NOTICE}, date(2024, 3, 25))
    decision = journey.state.appealable_decisions[-1].id
    mediated(journey, decision, date(2024, 4, 29))
    return journey, decision


@pytest.mark.proves("K27")
def test_an_agreement_to_make_a_plan_is_carried_out_by_a_draft_and_a_final_plan() -> None:
    # Reg 42(2) with reg 44(2)(c), from Monday 29 April 2024: the draft within 5 weeks,
    # 29 April + 35 days = Monday 3 June 2024 (served 20 May); the final plan within 11
    # weeks, 29 April + 77 days = Monday 15 July 2024 (issued 24 June: met).
    journey, decision = refused_plan_mediated()
    version = agree(journey, decision, date(2024, 4, 29), will=["make_plan"])
    record(journey, "DraftPlanIssued", {"sections": DRAFT}, date(2024, 5, 20))
    finalise(journey, date(2024, 6, 24))
    draft = clock(journey, "K27", f"order-{version}-make_plan-draft_plan", LATER)
    final = clock(journey, "K27", f"order-{version}-make_plan-final_plan", LATER)
    assert (draft.due_on, draft.stopped_on, draft.status) == (
        date(2024, 6, 3), date(2024, 5, 20), ClockStatus.MET)
    assert (final.due_on, final.stopped_on, final.status) == (
        date(2024, 7, 15), date(2024, 6, 24), ClockStatus.MET)
    state = journey.state
    assert state.stage == "plan_issued"
    assert state.plan.current is not None
    assert state.plan.current.source == "mediation_agreement"


@pytest.mark.proves("K27")
def test_an_agreement_to_amend_b_and_f_is_carried_out_by_the_amended_plan() -> None:
    # A final plan of 17 April 2024, mediated about sections B and F on Monday 3 June 2024
    # and agreed the same day: the amended plan within 5 weeks (reg 44(2)(d)), 3 June +
    # 35 days = Monday 8 July 2024; issued 1 July, without an amendment notice.
    journey = drafted()
    finalise(journey, date(2024, 4, 17))
    decision = journey.state.appealable_decisions[-1].id
    mediated(journey, decision, date(2024, 6, 3))
    version = agree(journey, decision, date(2024, 6, 3), will=["amend_b_f"])
    record(journey, "AmendedPlanFinalised",
           {"sections_changed": ["B", "F"], "notice_includes": NOTICE,
            "sections": {"F": DRAFT["F"][:1]}, "recipients": ["family", "setting", "icb"]},
           date(2024, 7, 1))
    reading = clock(journey, "K27", f"order-{version}-amend_b_f-amended_plan", LATER)
    assert (reading.due_on, reading.stopped_on, reading.status) == (
        date(2024, 7, 8), date(2024, 7, 1), ClockStatus.MET)
    assert [v.source for v in journey.state.plan.versions] == ["final", "mediation_agreement"]


@pytest.mark.proves("K27")
def test_anything_else_agreed_is_due_within_two_weeks_from_whoever_must_do_it() -> None:
    # Reg 42(3): agreed Wednesday 10 July 2024; an educational psychologist's involvement
    # (the LA) and a health assessment (the ICB) are due within two weeks "of" the date:
    # 10 July + 14 days = Wednesday 24 July 2024. The LA's step, done 25 July, is a day
    # late; the health step, undone, is running on 20 July.
    journey, decision = refusal_mediated(date(2024, 7, 10), issues=("education", "health"))
    version = agree(journey, decision, date(2024, 7, 10),
                    other_steps=["professional_involvement", "health_assessment"])
    la_step = f"agreement-{version}-1-professional_involvement"
    health_step = f"agreement-{version}-2-health_assessment"
    record(journey, "MediationAgreementStepCompleted", {"step_id": la_step}, date(2024, 7, 25))
    la = clock(journey, "K27", la_step, LATER)
    health = clock(journey, "K27", health_step, date(2024, 7, 20))
    assert (la.due_on, la.stopped_on, la.status, la.days_late) == (
        date(2024, 7, 24), date(2024, 7, 25), ClockStatus.LATE, 1)
    assert (la.responsible, health.responsible) == (Body.LOCAL_AUTHORITY, Body.HEALTH)
    assert (health.due_on, health.status) == (date(2024, 7, 24), ClockStatus.RUNNING)
    assert journey.state.stage == "assessment_refused"  # nothing an order would have done


@pytest.mark.proves("K27")
def test_without_the_authority_the_icb_tells_it_of_the_agreement_within_a_week() -> None:
    # Reg 42(4): mediation about health provision only (the LA not a party), agreed
    # Thursday 11 July 2024: the ICB notifies the LA within 1 week "of" the date, by
    # Thursday 18 July (done 17 July: met); the health provision agreed is due within two
    # weeks (reg 42(3)), by 25 July.
    journey, decision = refusal_mediated(date(2024, 7, 11), issues=("health",))
    version = agree(journey, decision, date(2024, 7, 11), other_steps=["health_provision"])
    notify_step = f"agreement-{version}-notify_authority"
    record(journey, "MediationAgreementStepCompleted", {"step_id": notify_step},
           date(2024, 7, 17))
    notify = clock(journey, "K27", notify_step, LATER)
    provision = clock(journey, "K27", f"agreement-{version}-1-health_provision",
                      date(2024, 7, 12))
    assert (notify.due_on, notify.status, notify.responsible) == (
        date(2024, 7, 18), ClockStatus.MET, Body.HEALTH)
    assert provision.due_on == date(2024, 7, 25)


@pytest.mark.proves("K27")
def test_a_timescale_agreed_in_writing_replaces_the_regulations_periods() -> None:
    # Reg 42(5): agreed Monday 8 July 2024 that the LA will assess and arrange support by
    # Friday 30 August 2024: every step of reg 42(2)-(3) is due that day instead.
    journey, decision = refusal_mediated()
    version = agree(journey, decision, date(2024, 7, 8), will=["assess"],
                    other_steps=["interim_support"], agreed_by=date(2024, 8, 30))
    for episode in (f"order-{version}-assess-notify_assessment",
                    f"order-{version}-assess-outcome", f"agreement-{version}-1-interim_support"):
        assert clock(journey, "K27", episode, date(2024, 7, 9)).due_on == date(2024, 8, 30)


@pytest.mark.proves("K27")
def test_reg_42_periods_are_configuration_marked_to_verify_and_a_reform_changes_them() -> None:
    # The reference could not retrieve reg 42: each of its limits carries the marker, and
    # a rule set with another period (here 3 weeks for reg 42(3)) moves the due date
    # without touching the code: agreed 10 July 2024 + 21 days = 31 July 2024.
    for key in ("K27", "K27.other", "K27.notify"):
        limit = TIME_LIMITS_2014[key]
        assert limit.verify == VERIFY_REG_42 and "legislation.gov.uk" in VERIFY_REG_42
        assert limit.citation.startswith("SEND Regulations 2014, reg 42")
    reform = SEND_REGULATIONS_2014.reformed(
        name="test-reg-42-checked", title="reg 42(3) read as three weeks",
        in_force_from=date(2024, 7, 1), in_force_until=date(2024, 12, 31),
        time_limits={"K27.other": Period(3, Unit.WEEKS, Wording.AFTER, "within three weeks",
                                         "hypothetical reg 42(3)")})
    journey, decision = refusal_mediated(date(2024, 7, 10))
    version = agree(journey, decision, date(2024, 7, 10), other_steps=["information"])
    episode = f"agreement-{version}-1-information"
    [reading] = [r for r in journey.clocks(LATER, rule_sets=(
        SEND_REGULATIONS_2014, CORONAVIRUS_2020, reform)) if r.episode == episode]
    assert (reading.due_on, reading.rule_set) == (date(2024, 7, 31), "test-reg-42-checked")


@pytest.mark.proves("mediation-agreement-needs-agreement")
def test_an_agreement_needs_mediation_held_that_ended_in_agreement_recorded_once() -> None:
    journey, decision = refusal_mediated(outcome="no_agreement")
    assert refusal(journey, "MediationAgreementReached",
                   {"decision_id": decision, "will": ["assess"]},
                   date(2024, 7, 8)) == "mediation-agreement-needs-agreement"
    journey, decision = refusal_mediated(outcome="partial_agreement")
    assert refusal(journey, "MediationAgreementReached",
                   {"decision_id": decision, "will": ["assess"]},
                   date(2024, 7, 5)) == "mediation-agreement-needs-agreement"  # before it
    agree(journey, decision, date(2024, 7, 8), other_steps=["meeting"])
    assert refusal(journey, "MediationAgreementReached",
                   {"decision_id": decision, "will": ["assess"]},
                   date(2024, 7, 9)) == "mediation-agreement-needs-agreement"


@pytest.mark.proves("mediation-agreement-names-steps")
def test_an_agreement_names_what_was_agreed_and_a_last_day_not_before_it() -> None:
    journey, decision = refusal_mediated()
    assert refusal(journey, "MediationAgreementReached", {"decision_id": decision},
                   date(2024, 7, 8)) == "mediation-agreement-names-steps"
    assert refusal(journey, "MediationAgreementReached",
                   {"decision_id": decision, "will": ["assess"], "agreed_by": date(2024, 7, 1)},
                   date(2024, 7, 8)) == "mediation-agreement-names-steps"


@pytest.mark.proves("mediation-agreement-binds-parties")
def test_an_agreement_binds_only_the_parties_to_the_mediation() -> None:
    # Health-only mediation: the LA was not there, so it agreed to nothing.
    journey, decision = refusal_mediated(issues=("health",))
    assert refusal(journey, "MediationAgreementReached",
                   {"decision_id": decision, "will": ["assess"]},
                   date(2024, 7, 8)) == "mediation-agreement-binds-parties"
    # Education only: the ICB was not there, so no health step.
    journey, decision = refusal_mediated()
    assert refusal(journey, "MediationAgreementReached",
                   {"decision_id": decision, "other_steps": ["health_provision"]},
                   date(2024, 7, 8)) == "mediation-agreement-binds-parties"


@pytest.mark.proves("order-compliance-needs-open-order")
def test_agreement_steps_and_order_steps_are_completed_each_by_their_own_event() -> None:
    journey, decision = refusal_mediated()
    version = agree(journey, decision, date(2024, 7, 8), other_steps=["meeting"])
    step = f"agreement-{version}-1-meeting"
    assert refusal(journey, "TribunalOrderComplied", {"obligation_id": step},
                   date(2024, 7, 10)) == "order-compliance-needs-open-order"
    assert refusal(journey, "MediationAgreementStepCompleted", {"step_id": "order-9-assess"},
                   date(2024, 7, 10)) == "order-compliance-needs-open-order"
    record(journey, "MediationAgreementStepCompleted", {"step_id": step}, date(2024, 7, 10))
    assert refusal(journey, "MediationAgreementStepCompleted", {"step_id": step},
                   date(2024, 7, 11)) == "order-compliance-needs-open-order"
