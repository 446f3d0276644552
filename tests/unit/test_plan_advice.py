"""Assessment advice (reg 6), its 6-week clock K2 (reg 8), and the decision whether to issue."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.actors import Actor
from domain.clocks import ClockReading, ClockStatus
from domain.journey import ChildJourney
from domain.responsibility import Body
from tests.unit.support import recorder

LA = Actor("caseworker-1", "sen_officer", "LA-901")
TODAY = date(2026, 6, 30)
NOTICE = ["appeal_rights", "time_limits", "mediation", "disagreement_resolution",
          "information_advice"]
PRIMARY_DOB = date(2015, 3, 3)  # Year 3 in 2023/24
YEAR_9_DOB = date(2010, 5, 10)  # Year 9 in 2023/24
RECEIVED = date(2024, 1, 8)  # request received; K4 day 140 is 27 May 2024
DECIDED = date(2024, 2, 12)

# The mandatory advice (reg 6(1)(a)-(e)) and the flags each needs.
ADVICE: dict[str, dict[str, Any]] = {
    "Parent": {"recipient_org": "family"},
    "Educational": {"recipient_org": "urn-100001"},
    "Medical": {"recipient_org": "icb-901", "adviser_identified_by_icb": True},
    "Psychological": {"recipient_org": "la-901-ep-service",
                      "adviser_is_educational_psychologist": True},
    "SocialCare": {"recipient_org": "la-901-social-care"},
}


record, refusal = recorder(LA, TODAY)


def clock(journey: ChildJourney, clock_id: str, episode: str, today: date) -> ClockReading:
    [found] = [r for r in journey.clocks(today) if r.clock == clock_id and r.episode == episode]
    return found


def requested(dob: date = PRIMARY_DOB, received: date = RECEIVED) -> ChildJourney:
    """Return a journey with an open request for assessment received on ``received``."""
    journey = ChildJourney.register(authority="LA-901", date_of_birth=dob, actor=LA,
                                    occurred_on=date(2023, 9, 1), today=TODAY)
    record(journey, "EHCNeedsAssessmentRequested",
           {"requester_role": "Parent", "request_source": "1"}, received)
    return journey


def assessing(dob: date = PRIMARY_DOB) -> ChildJourney:
    """Return a journey the LA decided to assess on 12 February 2024."""
    journey = requested(dob)
    record(journey, "DecisionToAssessMade", {"assessment_test_met": True,
                                             "reasons": "may need an EHC plan"}, DECIDED)
    return journey


def ask(journey: ChildJourney, advice_type: str, sent: date, received_by_adviser: date,
        **extra: Any) -> str:
    """Request advice and return its advice request id."""
    payload = {"advice_type": advice_type, "received_by_adviser_on": received_by_adviser,
               **ADVICE.get(advice_type, {"recipient_org": "org-1"}), **extra}
    record(journey, "AdviceRequested", payload, sent)
    return journey.state.plan.advice[-1].id


def answer(journey: ChildJourney, advice_id: str, on: date) -> None:
    record(journey, "AdviceReceived",
           {"advice_request_id": advice_id, "author": "adviser", "document_ref": "doc-1"}, on)


def advised(dob: date = PRIMARY_DOB, *, skip: tuple[str, ...] = ()) -> ChildJourney:
    """Return an assessing journey with every mandatory advice (but ``skip``) received."""
    journey = assessing(dob)
    types = [*ADVICE] + (["PreparationForAdulthood"] if dob == YEAR_9_DOB else [])
    for advice_type in types:
        if advice_type not in skip:
            advice_id = ask(journey, advice_type, date(2024, 2, 13), date(2024, 2, 14))
            answer(journey, advice_id, date(2024, 3, 20))
    return journey


def issuing(dob: date = PRIMARY_DOB) -> ChildJourney:
    """Return a journey with all advice in and a decision to issue on 25 March 2024."""
    journey = advised(dob)
    record(journey, "DecisionToIssuePlanMade", {"necessity_reasons": "s.37(1) met"},
           date(2024, 3, 25))
    return journey


# K2: six weeks from the adviser receiving the request (reg 8(1)).

@pytest.mark.proves("K2")
def test_advice_received_by_adviser_6_march_2024_is_due_17_april_2024() -> None:
    journey = assessing()
    advice_id = ask(journey, "Educational", date(2024, 3, 5), date(2024, 3, 6))
    reading = clock(journey, "K2", advice_id, date(2024, 4, 17))
    assert (reading.started_on, reading.due_on, reading.status) == (
        date(2024, 3, 6), date(2024, 4, 17), ClockStatus.RUNNING)
    assert reading.responsible is Body.SETTING
    answer(journey, advice_id, date(2024, 4, 17))
    reading = clock(journey, "K2", advice_id, date(2024, 5, 1))
    assert (reading.stopped_on, reading.status) == (date(2024, 4, 17), ClockStatus.MET)


@pytest.mark.proves("K2")
def test_advice_received_the_day_after_six_weeks_is_late() -> None:
    journey = assessing()
    advice_id = ask(journey, "Educational", date(2024, 3, 5), date(2024, 3, 6))
    assert clock(journey, "K2", advice_id, date(2024, 4, 18)).status is ClockStatus.LATE
    answer(journey, advice_id, date(2024, 4, 18))
    assert clock(journey, "K2", advice_id, date(2024, 5, 1)).status is ClockStatus.LATE


@pytest.mark.proves("K2")
def test_missed_appointment_makes_late_advice_late_exception_applies_due_date_unchanged(
) -> None:
    # Reg 8(2)(c): the child missed the EP's appointment in the 6 weeks.
    journey = assessing()
    advice_id = ask(journey, "Psychological", date(2024, 3, 5), date(2024, 3, 6))
    record(journey, "AssessmentObservationRecorded",
           {"kind": "appointment_missed", "advice_request_id": advice_id}, date(2024, 3, 20))
    record(journey, "AdviceDelayExceptionClaimed",
           {"advice_request_id": advice_id, "ground": "missed_appointment",
            "period_from": date(2024, 3, 20), "period_to": date(2024, 3, 20),
            "family_informed": True}, date(2024, 3, 21))
    answer(journey, advice_id, date(2024, 5, 10))
    reading = clock(journey, "K2", advice_id, date(2024, 5, 31))
    assert reading.due_on == date(2024, 4, 17)
    assert reading.status is ClockStatus.LATE_EXCEPTION_APPLIES
    assert reading.exception_ground == "missed_appointment"
    assert reading.responsible is Body.LOCAL_AUTHORITY  # the LA's EP service


@pytest.mark.proves("K2")
def test_each_adviser_owes_their_own_clock_health_for_medical_social_care_for_social() -> None:
    journey = assessing()
    medical = ask(journey, "Medical", date(2024, 3, 5), date(2024, 3, 6))
    social = ask(journey, "SocialCare", date(2024, 3, 5), date(2024, 3, 7))
    other = ask(journey, "ParentRequested", date(2024, 3, 5), date(2024, 3, 6),
                recipient_org="nhs-salt", adviser_body="health")
    assert clock(journey, "K2", medical, date(2024, 3, 8)).responsible is Body.HEALTH
    assert clock(journey, "K2", social, date(2024, 3, 8)).responsible is Body.SOCIAL_CARE
    assert clock(journey, "K2", social, date(2024, 3, 8)).due_on == date(2024, 4, 18)
    assert clock(journey, "K2", other, date(2024, 3, 8)).responsible is Body.HEALTH


@pytest.mark.proves("K2")
def test_the_familys_own_advice_is_not_under_the_six_week_duty() -> None:
    # Reg 8(1) binds advice under reg 6(1)(b)-(h), not the parent's under 6(1)(a).
    journey = assessing()
    parent = ask(journey, "Parent", date(2024, 3, 5), date(2024, 3, 6))
    assert clock(journey, "K2", parent, date(2024, 6, 1)).status is ClockStatus.NOT_APPLICABLE


@pytest.mark.proves("K2")
def test_withdrawing_the_request_before_advice_falls_due_leaves_k2_not_applicable() -> None:
    journey = assessing()
    advice_id = ask(journey, "Educational", date(2024, 3, 5), date(2024, 3, 6))
    record(journey, "AssessmentRequestWithdrawn", {"withdrawn_by": "parent", "reason": "moved"},
           date(2024, 4, 1))
    reading = clock(journey, "K2", advice_id, date(2024, 6, 1))
    assert (reading.stopped_on, reading.status) == (date(2024, 4, 1),
                                                    ClockStatus.NOT_APPLICABLE)


@pytest.mark.proves("exception-ground-not-valid")
def test_a_closure_ground_is_not_a_ground_for_late_advice() -> None:
    journey = assessing()
    advice_id = ask(journey, "Educational", date(2024, 3, 5), date(2024, 3, 6))
    assert refusal(journey, "AdviceDelayExceptionClaimed",
                   {"advice_request_id": advice_id, "ground": "school_closure_window",
                    "period_from": date(2024, 3, 6), "period_to": date(2024, 4, 17)},
                   date(2024, 4, 1)) == "exception-ground-not-valid"


@pytest.mark.proves("exception-needs-clock-episode")
def test_an_advice_exception_names_an_advice_request_of_the_journey() -> None:
    journey = assessing()
    assert refusal(journey, "AdviceDelayExceptionClaimed",
                   {"advice_request_id": "advice-99", "ground": "missed_appointment",
                    "period_from": date(2024, 3, 6), "period_to": date(2024, 3, 6)},
                   date(2024, 4, 1)) == "exception-needs-clock-episode"


# Who gives advice, and when it may be asked (reg 6).

@pytest.mark.proves("advice-needs-decision-to-assess")
def test_advice_is_not_asked_before_the_decision_to_assess() -> None:
    journey = requested()
    assert refusal(journey, "AdviceRequested",
                   {"advice_type": "Educational", "recipient_org": "urn-100001",
                    "received_by_adviser_on": date(2024, 1, 10)},
                   date(2024, 1, 9)) == "advice-needs-decision-to-assess"


@pytest.mark.proves("advice-needs-decision-to-assess")
def test_existing_advice_is_not_adopted_before_the_decision_to_assess() -> None:
    journey = requested()
    assert refusal(journey, "ExistingAdviceAdopted",
                   {"advice_type": "Educational", "document_ref": "doc-7", "adviser": "senco",
                    "adviser_agreed": True, "la_agreed": True, "family_agreed": True},
                   date(2024, 1, 9)) == "advice-needs-decision-to-assess"


@pytest.mark.proves("pfa-advice-needs-year-9")
def test_preparation_for_adulthood_advice_is_refused_below_year_9() -> None:
    journey = assessing(PRIMARY_DOB)
    assert refusal(journey, "AdviceRequested",
                   {"advice_type": "PreparationForAdulthood", "recipient_org": "la-901-pfa",
                    "received_by_adviser_on": date(2024, 3, 6)},
                   date(2024, 3, 5)) == "pfa-advice-needs-year-9"


@pytest.mark.proves("pfa-advice-needs-year-9")
def test_preparation_for_adulthood_advice_is_asked_in_year_9() -> None:
    journey = assessing(YEAR_9_DOB)
    advice_id = ask(journey, "PreparationForAdulthood", date(2024, 3, 5), date(2024, 3, 6))
    assert journey.state.plan.advice[-1].id == advice_id


@pytest.mark.proves("psychological-advice-needs-ep")
def test_psychological_advice_must_come_from_an_educational_psychologist() -> None:
    journey = assessing()
    assert refusal(journey, "AdviceRequested",
                   {"advice_type": "Psychological", "recipient_org": "private-psychologist",
                    "received_by_adviser_on": date(2024, 3, 6)},
                   date(2024, 3, 5)) == "psychological-advice-needs-ep"


@pytest.mark.proves("medical-advice-needs-icb-identified")
def test_medical_advice_comes_from_a_professional_the_icb_identified() -> None:
    journey = assessing()
    assert refusal(journey, "AdviceRequested",
                   {"advice_type": "Medical", "recipient_org": "gp-practice",
                    "received_by_adviser_on": date(2024, 3, 6)},
                   date(2024, 3, 5)) == "medical-advice-needs-icb-identified"


@pytest.mark.proves("sensory-advice-needs-specialist-teacher")
def test_specialist_teacher_advice_needs_a_qualified_specialist_teacher() -> None:
    journey = assessing()
    assert refusal(journey, "AdviceRequested",
                   {"advice_type": "SpecialistTeacherEducational", "recipient_org": "la-901-vi",
                    "received_by_adviser_on": date(2024, 3, 6)},
                   date(2024, 3, 5)) == "sensory-advice-needs-specialist-teacher"


@pytest.mark.proves("sensory-advice-needs-specialist-teacher")
def test_educational_advice_for_a_child_with_a_recorded_hearing_need_consults_a_qtod() -> None:
    journey = assessing()
    record(journey, "NeedsRecorded", {"needs": [{"code": "HI", "rank": 1}],
                                      "source": "assessment"}, date(2024, 3, 1))
    payload = {"advice_type": "Educational", "recipient_org": "urn-100001",
               "received_by_adviser_on": date(2024, 3, 6)}
    assert refusal(journey, "AdviceRequested", payload,
                   date(2024, 3, 5)) == "sensory-advice-needs-specialist-teacher"
    record(journey, "AdviceRequested", payload | {"specialist_teacher_consulted": True},
           date(2024, 3, 5))
    assert journey.state.plan.advice[-1].advice_type == "Educational"


@pytest.mark.proves("sensory-advice-needs-specialist-teacher")
def test_educational_advice_flagged_for_vision_impairment_needs_a_specialist() -> None:
    journey = assessing()
    assert refusal(journey, "AdviceRequested",
                   {"advice_type": "Educational", "recipient_org": "urn-100001",
                    "received_by_adviser_on": date(2024, 3, 6),
                    "hearing_or_vision_impairment": True},
                   date(2024, 3, 5)) == "sensory-advice-needs-specialist-teacher"


@pytest.mark.proves("adopted-advice-needs-three-agreements")
def test_existing_advice_needs_adviser_la_and_family_to_agree_it_is_sufficient() -> None:
    journey = assessing()
    payload = {"advice_type": "Medical", "document_ref": "paediatric-report-2023",
               "adviser": "community paediatrician", "adviser_agreed": True, "la_agreed": True}
    assert refusal(journey, "ExistingAdviceAdopted", payload,
                   date(2024, 3, 5)) == "adopted-advice-needs-three-agreements"
    record(journey, "ExistingAdviceAdopted", payload | {"family_agreed": True}, date(2024, 3, 5))
    assert journey.state.plan.adopted_advice[-1].advice_type == "Medical"


@pytest.mark.proves("parent-advice-not-adoptable")
def test_the_familys_own_advice_is_never_adopted_from_elsewhere() -> None:
    journey = assessing()
    assert refusal(journey, "ExistingAdviceAdopted",
                   {"advice_type": "Parent", "document_ref": "old-views", "adviser": "parent",
                    "adviser_agreed": True, "la_agreed": True, "family_agreed": True},
                   date(2024, 3, 5)) == "parent-advice-not-adoptable"


@pytest.mark.proves("advice-received-needs-open-advice-request")
def test_advice_received_must_answer_an_unanswered_advice_request() -> None:
    journey = assessing()
    payload = {"advice_request_id": "advice-42", "author": "EP", "document_ref": "doc-1"}
    assert refusal(journey, "AdviceReceived", payload,
                   date(2024, 3, 20)) == "advice-received-needs-open-advice-request"
    advice_id = ask(journey, "Educational", date(2024, 3, 5), date(2024, 3, 6))
    answer(journey, advice_id, date(2024, 3, 20))
    assert refusal(journey, "AdviceReceived", payload | {"advice_request_id": advice_id},
                   date(2024, 3, 21)) == "advice-received-needs-open-advice-request"


# The decision whether to issue a plan (s.37(1); reg 10).

@pytest.mark.proves("issue-decision-needs-assessment")
def test_deciding_to_issue_needs_a_decision_to_assess_and_is_made_once() -> None:
    journey = requested()
    payload = {"necessity_reasons": "s.37(1) met"}
    assert refusal(journey, "DecisionToIssuePlanMade", payload,
                   date(2024, 2, 1)) == "issue-decision-needs-assessment"
    journey = issuing()
    assert refusal(journey, "DecisionToIssuePlanMade", payload,
                   date(2024, 3, 26)) == "issue-decision-needs-assessment"
    assert refusal(journey, "DecisionNotToIssuePlanMade",
                   {"reasons": "changed mind", "notice_includes": NOTICE},
                   date(2024, 3, 26)) == "issue-decision-needs-assessment"


@pytest.mark.proves("issue-decision-needs-advice")
def test_deciding_to_issue_needs_every_mandatory_advice() -> None:
    journey = advised(skip=("Medical",))
    payload: dict[str, Any] = {"necessity_reasons": "s.37(1) met"}
    assert refusal(journey, "DecisionToIssuePlanMade", payload,
                   date(2024, 3, 25)) == "issue-decision-needs-advice"
    unobtainable = {"advice_type": "Medical", "reason": "no paediatric capacity"}
    assert refusal(journey, "DecisionToIssuePlanMade",
                   payload | {"advice_unobtainable": [unobtainable]},
                   date(2024, 3, 25)) == "issue-decision-needs-advice"
    record(journey, "DecisionToIssuePlanMade", payload | {"advice_unobtainable": [
        unobtainable | {"independent_advice_ref": "independent-paediatric-1"}]},
        date(2024, 3, 25))
    assert journey.state.assessment.open_request is not None
    assert journey.state.assessment.open_request.issue_decision == "issue"
    assert journey.state.stage == "drafting"


@pytest.mark.proves("issue-decision-needs-advice")
def test_advice_asked_but_not_yet_received_does_not_count() -> None:
    journey = advised(skip=("SocialCare",))
    ask(journey, "SocialCare", date(2024, 3, 5), date(2024, 3, 6))
    assert refusal(journey, "DecisionToIssuePlanMade", {"necessity_reasons": "s.37(1) met"},
                   date(2024, 3, 25)) == "issue-decision-needs-advice"


@pytest.mark.proves("issue-decision-needs-advice", "adopted-advice-needs-three-agreements")
def test_adopted_advice_stands_in_for_fresh_advice() -> None:
    journey = advised(skip=("Medical",))
    record(journey, "ExistingAdviceAdopted",
           {"advice_type": "Medical", "document_ref": "paediatric-report-2023",
            "adviser": "community paediatrician", "adviser_agreed": True, "la_agreed": True,
            "family_agreed": True}, date(2024, 3, 1))
    record(journey, "DecisionToIssuePlanMade", {"necessity_reasons": "s.37(1) met"},
           date(2024, 3, 25))
    assert journey.state.assessment.requests[-1].issue_decision == "issue"


@pytest.mark.proves("issue-decision-needs-advice")
def test_from_year_9_preparation_for_adulthood_advice_is_mandatory() -> None:
    journey = assessing(YEAR_9_DOB)
    for advice_type in ADVICE:
        answer(journey, ask(journey, advice_type, date(2024, 2, 13), date(2024, 2, 14)),
               date(2024, 3, 20))
    assert refusal(journey, "DecisionToIssuePlanMade", {"necessity_reasons": "s.37(1) met"},
                   date(2024, 3, 25)) == "issue-decision-needs-advice"


@pytest.mark.proves("no-plan-notice-content")
def test_a_decision_not_to_issue_needs_the_reg_10_3_notice_content() -> None:
    journey = advised()
    assert refusal(journey, "DecisionNotToIssuePlanMade",
                   {"reasons": "needs can be met at SEN support",
                    "notice_includes": NOTICE[:-1]},
                   date(2024, 4, 1)) == "no-plan-notice-content"


@pytest.mark.proves("K3", "K4")
def test_a_decision_not_to_issue_notified_in_week_16_stops_k3_met_and_k4() -> None:
    # Received 8 January 2024: week 16 ends 29 April 2024.
    journey = advised()
    record(journey, "DecisionNotToIssuePlanMade",
           {"reasons": "needs can be met at SEN support", "notice_includes": NOTICE,
            "notified_on": date(2024, 4, 29), "feedback_shared": True, "icb_notified": True,
            "head_notified": True}, date(2024, 4, 26))
    request_id = journey.state.assessment.requests[-1].id
    k3 = clock(journey, "K3", request_id, date(2024, 6, 1))
    assert (k3.due_on, k3.stopped_on, k3.status) == (date(2024, 4, 29), date(2024, 4, 29),
                                                     ClockStatus.MET)
    k4 = clock(journey, "K4", request_id, date(2024, 6, 1))
    assert k4.status is ClockStatus.NOT_APPLICABLE
    [decision] = journey.state.appealable_decisions
    assert (decision.kind, decision.notified_on) == ("refuse_plan", date(2024, 4, 29))
    assert journey.state.assessment.requests[-1].outcome == "plan_not_issued"


@pytest.mark.proves("K2")
def test_correcting_when_the_adviser_received_the_request_recomputes_k2() -> None:
    journey = assessing()
    advice_id = ask(journey, "Educational", date(2024, 3, 5), date(2024, 3, 6))
    record(journey, "EntryCorrected",
           {"target_version": journey.version, "changes": {"received_by_adviser_on":
                                                           date(2024, 3, 11)},
            "reason": "adviser's portal shows receipt on 11 March"}, date(2024, 3, 12))
    reading = clock(journey, "K2", advice_id, date(2024, 3, 12))
    assert (reading.started_on, reading.due_on) == (date(2024, 3, 11), date(2024, 4, 22))
