"""Requests for assessment and the decision whether to assess: K1, K3, K4 and their rules.

Worked examples use real dates. Weeks count from the day the request was received
(day 0), so 6 weeks from Monday 8 January 2024 is Monday 19 February 2024 and 20 weeks
is Monday 27 May 2024 (docs/rules.md, counting conventions).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from domain.actors import Actor
from domain.clocks import ClockStatus
from domain.errors import InvalidFieldError, RuleViolationError
from domain.journey import ChildJourney

LA = Actor("caseworker-1", "caseworker", "LA-901")
TODAY = date(2025, 6, 30)
REFUSAL_NOTICE = ["appeal_rights", "time_limits", "mediation", "disagreement_resolution",
                  "information_advice"]
PARENT_REQUEST = {"requester_role": "Parent", "request_source": "1"}


def new_journey(date_of_birth: date = date(2015, 3, 2)) -> ChildJourney:
    return ChildJourney.register(authority="LA-901", date_of_birth=date_of_birth, actor=LA,
                                 occurred_on=date(2023, 9, 1), today=TODAY)


def record(journey: ChildJourney, type_name: str, on: date, **payload: Any) -> None:
    journey.record(type_name, payload, actor=LA, occurred_on=on, today=TODAY)


def refused(journey: ChildJourney, type_name: str, on: date, **payload: Any) -> str:
    """Return the code of the rule refusing the command; check nothing was recorded."""
    version = journey.version
    with pytest.raises(RuleViolationError) as refusal:
        journey.record(type_name, payload, actor=LA, occurred_on=on, today=TODAY)
    assert journey.version == version
    assert len(journey.pending_events) == version
    return refusal.value.code


def requested(on: date = date(2024, 1, 8), **extra: Any) -> ChildJourney:
    journey = new_journey()
    record(journey, "EHCNeedsAssessmentRequested", on, **(PARENT_REQUEST | extra))
    return journey


def clock(journey: ChildJourney, clock_id: str, today: date = TODAY) -> Any:
    return next(c for c in journey.clocks(today) if c.clock == clock_id)


class TestSixWeekDecision:
    @pytest.mark.proves("K1")
    def test_decision_on_the_due_date_is_met(self) -> None:
        """SEND Regs 2014 reg 5(1): within 6 weeks of receipt, the due date included."""
        journey = requested(date(2024, 1, 8))
        record(journey, "DecisionToAssessMade", date(2024, 2, 19), assessment_test_met=True,
               reasons="may have SEN")
        k1 = clock(journey, "K1")
        assert (k1.due_on, k1.stopped_on, k1.status) == (
            date(2024, 2, 19), date(2024, 2, 19), ClockStatus.MET)

    @pytest.mark.proves("K1")
    def test_decision_notified_a_day_late_is_late_and_names_the_la(self) -> None:
        journey = requested(date(2024, 1, 8))
        record(journey, "DecisionToAssessMade", date(2024, 2, 16), assessment_test_met=True,
               reasons="may have SEN",
               notified_on=date(2024, 2, 20))
        k1 = clock(journey, "K1")
        assert k1.status is ClockStatus.LATE
        assert k1.responsible.value == "local_authority"
        assert k1.citation.startswith("SEND Regulations 2014")

    @pytest.mark.proves("K1")
    def test_undecided_request_is_running_until_due_then_late(self) -> None:
        journey = requested(date(2024, 1, 8))
        assert clock(journey, "K1", date(2024, 2, 19)).status is ClockStatus.RUNNING
        assert clock(journey, "K1", date(2024, 2, 20)).status is ClockStatus.LATE

    @pytest.mark.proves("K1", "K3", "K4")
    def test_child_brought_to_attention_starts_the_same_clocks(self) -> None:
        """CFA 2014 s.24; SEND Regs 2014 reg 4(1)(b), 5(1)(b)."""
        journey = new_journey()
        record(journey, "ChildBroughtToLAAttention", date(2024, 3, 4), brought_by="health")
        due = {c.clock: c.due_on for c in journey.clocks(date(2024, 3, 5))}
        assert due == {"K1": date(2024, 4, 15), "K3": date(2024, 6, 24),
                       "K4": date(2024, 7, 22)}

    @pytest.mark.proves("K4", "closure-after-deadline")
    def test_request_of_8_january_2024_with_a_summer_closure_claim(self) -> None:
        """Reg 13(3), 10(4)(a): a request received on 8 January 2024 has its final plan
        due on 27 May 2024. A summer closure (school shut 20 July, advice asked 15 July)
        began after that date, so it cannot have made the limit impractical: the claim is
        refused and a plan issued in September is plainly late.
        """
        journey = requested(date(2024, 1, 8))
        record(journey, "DecisionToAssessMade", date(2024, 2, 12), assessment_test_met=True,
               reasons="may have SEN")
        assert refused(journey, "TimescaleExceptionClaimed", date(2024, 7, 22), clock="K4",
                       ground="school_closure_window", period_from=date(2024, 7, 13),
                       period_to=date(2024, 9, 3), family_informed=True,
                       closure_starts_on=date(2024, 7, 20), reopens_on=date(2024, 9, 4),
                       advice_requested_on=date(2024, 7, 15)) == "closure-after-deadline"
        k4 = clock(journey, "K4", date(2024, 9, 30))
        assert (k4.due_on, k4.status) == (date(2024, 5, 27), ClockStatus.LATE)

    @pytest.mark.proves("K4")
    def test_request_of_6_may_2024_with_a_summer_closure_is_late_with_exception(self) -> None:
        """Reg 13(3): received 6 May 2024, due 23 September 2024; advice asked of the head
        on 15 July, inside the window that opened a week before the 20 July closure. The
        plan issued on 30 September is late, exception applies; the due date stays put.
        """
        journey = requested(date(2024, 5, 6))
        record(journey, "TimescaleExceptionClaimed", date(2024, 7, 22), clock="K4",
               ground="school_closure_window", period_from=date(2024, 7, 13),
               period_to=date(2024, 9, 3), family_informed=True,
               closure_starts_on=date(2024, 7, 20), reopens_on=date(2024, 9, 4),
               advice_requested_on=date(2024, 7, 15))
        k4 = clock(journey, "K4", date(2024, 9, 30))
        assert (k4.due_on, k4.status) == (date(2024, 9, 23), ClockStatus.LATE_EXCEPTION_APPLIES)

    @pytest.mark.proves("K1", "closure-window-mismatch")
    def test_a_half_term_week_is_too_short_for_a_closure_claim(self) -> None:
        """Reg 5(4)(a) needs a closure of at least 4 continuous weeks."""
        journey = requested(date(2024, 1, 8))
        assert refused(journey, "TimescaleExceptionClaimed", date(2024, 2, 20), clock="K1",
                       ground="school_closure_window", period_from=date(2024, 2, 12),
                       period_to=date(2024, 2, 19), family_informed=True,
                       closure_starts_on=date(2024, 2, 12), reopens_on=date(2024, 2, 19),
                       advice_requested_on=date(2024, 2, 9)) == "closure-window-mismatch"
        record(journey, "DecisionToAssessMade", date(2024, 2, 23), assessment_test_met=True,
               reasons="may have SEN")
        k1 = clock(journey, "K1")
        assert (k1.due_on, k1.status) == (date(2024, 2, 19), ClockStatus.LATE)

    @pytest.mark.proves("K1")
    def test_summer_closure_exception_makes_a_late_decision_late_with_exception(self) -> None:
        """Reg 5(4)(a): advice asked of the head within a week before the summer closure."""
        journey = requested(date(2024, 6, 24))
        record(journey, "TimescaleExceptionClaimed", date(2024, 7, 22), clock="K1",
               ground="school_closure_window", period_from=date(2024, 7, 19),
               period_to=date(2024, 9, 3), family_informed=True,
               closure_starts_on=date(2024, 7, 20), reopens_on=date(2024, 9, 4),
               advice_requested_on=date(2024, 7, 15))
        record(journey, "DecisionToAssessMade", date(2024, 9, 10), assessment_test_met=True,
               reasons="advice in")
        k1 = clock(journey, "K1")
        assert k1.due_on == date(2024, 8, 5)
        assert k1.status is ClockStatus.LATE_EXCEPTION_APPLIES
        assert k1.exception_ground == "school_closure_window"

    @pytest.mark.proves("K1")
    def test_an_exception_on_a_decision_made_in_time_leaves_it_met(self) -> None:
        journey = requested(date(2024, 1, 8))
        record(journey, "TimescaleExceptionClaimed", date(2024, 1, 20), clock="K1",
               ground="exceptional_personal_circumstances", period_from=date(2024, 1, 15),
               period_to=date(2024, 2, 10), family_informed=True)
        record(journey, "DecisionToAssessMade", date(2024, 2, 1), assessment_test_met=True,
               reasons="may have SEN")
        assert clock(journey, "K1").status is ClockStatus.MET

    @pytest.mark.proves("K1", "exception-claim-missing")
    def test_withdrawing_the_claim_reverts_late_with_exception_to_late(self) -> None:
        journey = requested(date(2024, 1, 8))
        record(journey, "TimescaleExceptionClaimed", date(2024, 1, 20), clock="K1",
               ground="absent_from_area_4_weeks", period_from=date(2024, 1, 15),
               period_to=date(2024, 2, 26), family_informed=True)
        record(journey, "DecisionToAssessMade", date(2024, 3, 1), assessment_test_met=True,
               reasons="may have SEN")
        assert clock(journey, "K1").status is ClockStatus.LATE_EXCEPTION_APPLIES
        record(journey, "TimescaleExceptionWithdrawn", date(2024, 3, 5),
               claim_id="exception-3", reason="family was in the area")
        assert clock(journey, "K1").status is ClockStatus.LATE
        assert refused(journey, "TimescaleExceptionWithdrawn", date(2024, 3, 6),
                       claim_id="exception-3", reason="again") == "exception-claim-missing"

    @pytest.mark.proves("K1")
    def test_coronavirus_ground_holds_only_for_clocks_running_in_the_2020_window(self) -> None:
        """SI 2020/471: 1 May to 25 September 2020."""
        journey = new_journey(date(2012, 4, 1))
        record(journey, "EHCNeedsAssessmentRequested", date(2020, 5, 11), **PARENT_REQUEST)
        record(journey, "TimescaleExceptionClaimed", date(2020, 6, 1), clock="K1",
               ground="coronavirus", period_from=date(2020, 5, 11), period_to=date(2020, 7, 1),
               family_informed=True)
        record(journey, "DecisionToAssessMade", date(2020, 7, 10), assessment_test_met=True,
               reasons="may have SEN")
        k1 = clock(journey, "K1")
        assert k1.status is ClockStatus.LATE_EXCEPTION_APPLIES
        assert k1.exception_ground == "coronavirus"

        later = requested(date(2021, 5, 10))
        assert refused(later, "TimescaleExceptionClaimed", date(2021, 6, 1), clock="K1",
                       ground="coronavirus", period_from=date(2021, 5, 10),
                       period_to=date(2021, 7, 1), family_informed=True) == \
            "exception-ground-not-valid"


class TestNoPlanAndFinalPlanClocks:
    @pytest.mark.proves("K3", "K4")
    def test_refusal_to_assess_makes_k3_and_k4_not_applicable(self) -> None:
        journey = requested(date(2024, 1, 8))
        record(journey, "DecisionNotToAssessMade", date(2024, 2, 12), reasons="SEN support",
               notice_includes=REFUSAL_NOTICE)
        statuses = {c.clock: c.status for c in journey.clocks(TODAY)
                    if c.clock in ("K1", "K3", "K4")}
        assert statuses == {"K1": ClockStatus.MET, "K3": ClockStatus.NOT_APPLICABLE,
                            "K4": ClockStatus.NOT_APPLICABLE}

    @pytest.mark.proves("K3")
    def test_undecided_after_week_16_stays_running_not_late(self) -> None:
        """Reg 10(1) binds only a decision NOT to issue; undecided at week 16 is no breach."""
        journey = requested(date(2024, 1, 8))
        record(journey, "DecisionToAssessMade", date(2024, 2, 12), assessment_test_met=True,
               reasons="may have SEN")
        k3 = clock(journey, "K3", date(2024, 5, 1))
        assert (k3.due_on, k3.status) == (date(2024, 4, 29), ClockStatus.RUNNING)

    @pytest.mark.proves("K4")
    def test_final_plan_due_at_20_weeks_is_late_when_still_open(self) -> None:
        journey = requested(date(2024, 1, 8))
        record(journey, "DecisionToAssessMade", date(2024, 2, 12), assessment_test_met=True,
               reasons="may have SEN")
        assert clock(journey, "K4", date(2024, 5, 27)).status is ClockStatus.RUNNING
        k4 = clock(journey, "K4", date(2024, 5, 28))
        assert (k4.due_on, k4.status) == (date(2024, 5, 27), ClockStatus.LATE)

    @pytest.mark.proves("K1", "K3", "K4")
    def test_withdrawal_before_due_dates_makes_clocks_not_applicable(self) -> None:
        journey = requested(date(2024, 1, 8))
        record(journey, "AssessmentRequestWithdrawn", date(2024, 1, 30), withdrawn_by="parent",
               reason="moved school")
        assert {c.status for c in journey.clocks(TODAY)
                if c.clock in ("K1", "K3", "K4")} == {ClockStatus.NOT_APPLICABLE}

    @pytest.mark.proves("K1")
    def test_withdrawal_after_the_decision_was_due_leaves_k1_late(self) -> None:
        journey = requested(date(2024, 1, 8))
        record(journey, "AssessmentRequestWithdrawn", date(2024, 3, 1), withdrawn_by="parent",
               reason="moved school")
        assert clock(journey, "K1").status is ClockStatus.LATE


class TestRequestRules:
    @pytest.mark.proves("one-open-request")
    def test_a_second_request_while_one_is_open_is_refused(self) -> None:
        journey = requested(date(2024, 1, 8))
        assert refused(journey, "EHCNeedsAssessmentRequested", date(2024, 1, 20),
                       **PARENT_REQUEST) == "one-open-request"

    @pytest.mark.proves("decision-needs-request")
    def test_a_decision_without_a_request_is_refused(self) -> None:
        assert refused(new_journey(), "DecisionToAssessMade", date(2024, 2, 1),
                       assessment_test_met=True, reasons="x") == "decision-needs-request"

    @pytest.mark.proves("decision-needs-request")
    def test_a_decision_dated_before_the_request_is_refused(self) -> None:
        journey = requested(date(2024, 1, 8))
        assert refused(journey, "DecisionNotToAssessMade", date(2024, 1, 5), reasons="x",
                       notice_includes=REFUSAL_NOTICE) == "decision-needs-request"

    @pytest.mark.proves("request-step-needs-open-request")
    def test_acknowledging_without_an_open_request_is_refused(self) -> None:
        assert refused(new_journey(), "RequestAcknowledged",
                       date(2024, 1, 9)) == "request-step-needs-open-request"

    @pytest.mark.proves("requester-standing")
    def test_a_young_person_cannot_request_before_compulsory_school_age_ends(self) -> None:
        assert refused(new_journey(), "EHCNeedsAssessmentRequested", date(2024, 1, 8),
                       requester_role="YoungPerson", request_source="1") == "requester-standing"

    @pytest.mark.proves("requester-standing")
    def test_a_parent_cannot_request_for_a_young_person_with_capacity(self) -> None:
        journey = new_journey(date(2006, 5, 1))  # compulsory school age ended June 2022
        assert refused(journey, "EHCNeedsAssessmentRequested", date(2024, 1, 8),
                       **PARENT_REQUEST) == "requester-standing"
        record(journey, "EHCNeedsAssessmentRequested", date(2024, 1, 8),
               requester_role="YoungPerson", request_source="1")
        assert journey.state.assessment.open_request is not None

    @pytest.mark.proves("detained-request-needs-rya")
    def test_a_detained_persons_request_must_be_flagged_rya(self) -> None:
        assert refused(new_journey(), "EHCNeedsAssessmentRequested", date(2024, 1, 8),
                       requester_role="DetainedPerson",
                       request_source="5") == "detained-request-needs-rya"

    @pytest.mark.proves("code-not-in-reference-data")
    def test_an_unknown_request_source_code_is_refused(self) -> None:
        assert refused(new_journey(), "EHCNeedsAssessmentRequested", date(2024, 1, 8),
                       requester_role="Parent",
                       request_source="9") == "code-not-in-reference-data"

    @pytest.mark.proves("partners-notification-incomplete")
    def test_partners_notice_must_reach_icb_social_care_and_setting(self) -> None:
        journey = requested()
        assert refused(journey, "PartnersNotifiedOfConsideration", date(2024, 1, 12),
                       icb_notified_on=date(2024, 1, 12),
                       social_care_notified_on=date(2024, 1, 12)) == \
            "partners-notification-incomplete"
        record(journey, "PartnersNotifiedOfConsideration", date(2024, 1, 12),
               icb_notified_on=date(2024, 1, 12), social_care_notified_on=date(2024, 1, 12),
               no_setting=True)
        assert journey.state.assessment.open_request.partners_notified_on == date(2024, 1, 12)

    @pytest.mark.proves("assessment-test-not-recorded")
    def test_deciding_to_assess_needs_the_s36_8_test(self) -> None:
        assert refused(requested(), "DecisionToAssessMade", date(2024, 2, 1), reasons="x",
                       assessment_test_met=False) == "assessment-test-not-recorded"

    @pytest.mark.proves("assessment-test-not-recorded")
    def test_a_decision_to_assess_that_does_not_state_the_s36_8_test_is_refused(self) -> None:
        # The field once defaulted to True: a decision nobody tested passed the rule.
        assert refused(requested(), "DecisionToAssessMade", date(2024, 2, 1),
                       reasons="x") == "assessment-test-not-recorded"

    @pytest.mark.proves("refusal-notice-content")
    def test_a_refusal_notice_without_mediation_information_is_refused(self) -> None:
        assert refused(requested(), "DecisionNotToAssessMade", date(2024, 2, 1), reasons="x",
                       notice_includes=["appeal_rights", "time_limits"]) == \
            "refusal-notice-content"

    @pytest.mark.proves("dates-out-of-order")
    def test_notification_before_the_decision_is_refused(self) -> None:
        assert refused(requested(), "DecisionToAssessMade", date(2024, 2, 1),
                       assessment_test_met=True, reasons="x",
                       notified_on=date(2024, 1, 31)) == "dates-out-of-order"

    @pytest.mark.proves("exception-ground-not-valid")
    def test_a_waiting_list_is_not_a_ground(self) -> None:
        assert refused(requested(), "TimescaleExceptionClaimed", date(2024, 2, 1), clock="K1",
                       ground="waiting_list", period_from=date(2024, 1, 8),
                       period_to=date(2024, 2, 19), family_informed=False) == \
            "exception-ground-not-valid"

    @pytest.mark.proves("exception-ground-not-valid")
    def test_a_missed_appointment_is_a_ground_for_advice_but_not_for_the_decision(
            self) -> None:
        """Code 9.42: the missed-appointment ground belongs to the advice duty (reg 8(2))."""
        assert refused(requested(), "TimescaleExceptionClaimed", date(2024, 2, 1), clock="K1",
                       ground="missed_appointment", period_from=date(2024, 1, 8),
                       period_to=date(2024, 2, 19), family_informed=True) == \
            "exception-ground-not-valid"

    @pytest.mark.proves("exception-needs-clock-episode")
    def test_an_exception_on_an_unknown_request_is_refused(self) -> None:
        assert refused(requested(), "TimescaleExceptionClaimed", date(2024, 2, 1),
                       clock="K1", ground="exceptional_personal_circumstances",
                       episode="request-99", period_from=date(2024, 1, 8),
                       period_to=date(2024, 2, 19), family_informed=True) == \
            "exception-needs-clock-episode"

    @pytest.mark.proves("exception-needs-clock-episode")
    def test_an_exception_needs_a_clock_episode(self) -> None:
        assert refused(new_journey(), "TimescaleExceptionClaimed", date(2024, 2, 1),
                       clock="K1", ground="exceptional_personal_circumstances",
                       period_from=date(2024, 1, 8), period_to=date(2024, 2, 19),
                       family_informed=True) == "exception-needs-clock-episode"


class TestIdentification:
    @pytest.mark.proves("health-notice-under-school-age")
    def test_health_notice_is_for_children_under_compulsory_school_age(self) -> None:
        """CFA 2014 s.23: born 2 March 2015, compulsory school age from 31 March 2020."""
        journey = new_journey()
        record(journey, "HealthBodyNotifiedPossibleSEN", date(2019, 6, 1),
               notifying_body="ICB-900")
        assert refused(journey, "HealthBodyNotifiedPossibleSEN", date(2020, 4, 1),
                       notifying_body="ICB-900") == "health-notice-under-school-age"

    @pytest.mark.proves("needs-ranked-once", "code-not-in-reference-data")
    def test_sen_support_needs_are_ranked_once_with_known_codes(self) -> None:
        journey = new_journey()
        assert refused(journey, "SENSupportRecorded", date(2023, 9, 5), setting_urn="100001",
                       start_on=date(2023, 9, 5),
                       needs=[{"code": "SLCN", "rank": 1}, {"code": "ASD", "rank": 1}]) == \
            "needs-ranked-once"
        assert refused(journey, "SENSupportRecorded", date(2023, 9, 5), setting_urn="100001",
                       start_on=date(2023, 9, 5), needs=[{"code": "XYZ", "rank": 1}]) == \
            "code-not-in-reference-data"
        record(journey, "SENSupportRecorded", date(2023, 9, 5), setting_urn="100001",
               start_on=date(2023, 9, 5), needs=[{"code": "NSA", "rank": 1}])
        assert journey.state.support.periods[0].needs == [{"code": "NSA", "rank": 1}]

    @pytest.mark.proves("code-not-in-reference-data")
    def test_down_syndrome_code_exists_only_from_the_2025_reference_data(self) -> None:
        journey = new_journey()
        assert refused(journey, "SENSupportRecorded", date(2024, 9, 5), setting_urn="100001",
                       start_on=date(2024, 9, 5), needs=[{"code": "DS", "rank": 1}]) == \
            "code-not-in-reference-data"
        record(journey, "SENSupportRecorded", date(2025, 1, 15), setting_urn="100001",
               start_on=date(2025, 1, 15), needs=[{"code": "DS", "rank": 1}])
        assert journey.log[-1].reference_version == "2025.1"

    @pytest.mark.proves("support-cycle-needs-period")
    def test_a_support_cycle_review_needs_a_period_of_support(self) -> None:
        assert refused(new_journey(), "SENSupportCycleReviewed", date(2023, 12, 1),
                       cycle_start_on=date(2023, 9, 5),
                       outcomes="progress") == "support-cycle-needs-period"


class TestRecordingRules:
    @pytest.mark.proves("occurred-on-in-future")
    def test_an_event_dated_after_today_is_refused(self) -> None:
        assert refused(new_journey(), "EHCNeedsAssessmentRequested", date(2025, 7, 1),
                       **PARENT_REQUEST) == "occurred-on-in-future"

    @pytest.mark.proves("occurred-before-birth")
    def test_an_event_dated_before_birth_is_refused(self) -> None:
        assert refused(new_journey(), "EHCNeedsAssessmentRequested", date(2015, 1, 2),
                       **PARENT_REQUEST) == "occurred-before-birth"

    def test_unknown_and_missing_and_mistyped_fields_are_named(self) -> None:
        journey = new_journey()
        with pytest.raises(InvalidFieldError) as unknown:
            record(journey, "RequestAcknowledged", date(2024, 1, 9), colour="blue")
        assert unknown.value.field == "colour"
        with pytest.raises(InvalidFieldError) as missing:
            record(journey, "EHCNeedsAssessmentRequested", date(2024, 1, 8),
                   requester_role="Parent")
        assert missing.value.field == "request_source"
        with pytest.raises(InvalidFieldError) as mistyped:
            record(journey, "EHCNeedsAssessmentRequested", date(2024, 1, 8),
                   requester_role="Parent", request_source="1", rya="yes")
        assert mistyped.value.field == "rya"
        assert journey.version == 1


class TestCorrections:
    @pytest.mark.proves("K1")
    def test_correcting_the_received_date_recomputes_k1_and_keeps_the_original(self) -> None:
        journey = requested(date(2024, 1, 8))
        record(journey, "DecisionToAssessMade", date(2024, 2, 23), assessment_test_met=True,
               reasons="may have SEN")
        assert clock(journey, "K1").status is ClockStatus.LATE
        record(journey, "EntryCorrected", date(2024, 3, 1), target_version=2,
               changes={"occurred_on": date(2024, 1, 15)}, reason="date stamp misread")
        k1 = clock(journey, "K1")
        assert (k1.due_on, k1.status) == (date(2024, 2, 26), ClockStatus.MET)
        assert journey.log[1].occurred_on == date(2024, 1, 8)  # the original stays
        assert journey.log[-1].actor == LA

    def test_retracting_an_event_removes_its_effect_and_retracting_the_retraction_restores_it(
            self) -> None:
        journey = requested(date(2024, 1, 8))
        record(journey, "DecisionToAssessMade", date(2024, 2, 12), assessment_test_met=True,
               reasons="may have SEN")
        record(journey, "EntryRetracted", date(2024, 2, 13), target_version=3,
               reason="recorded on the wrong child")
        assert journey.state.assessment.open_request.decision is None
        record(journey, "EntryRetracted", date(2024, 2, 14), target_version=4,
               reason="it was the right child after all")
        assert journey.state.assessment.open_request.decision == "assess"

    @pytest.mark.proves("correction-target-missing")
    def test_a_correction_must_name_an_event_of_this_journey(self) -> None:
        assert refused(new_journey(), "EntryCorrected", date(2024, 1, 9), target_version=7,
                       changes={"occurred_on": date(2024, 1, 8)}, reason="x") == \
            "correction-target-missing"

    @pytest.mark.proves("correction-of-correction")
    def test_a_correction_cannot_be_corrected(self) -> None:
        journey = requested(date(2024, 1, 8))
        record(journey, "EntryCorrected", date(2024, 1, 9), target_version=2,
               changes={"request_source": "2"}, reason="school sent it")
        assert refused(journey, "EntryCorrected", date(2024, 1, 10), target_version=3,
                       changes={"reason": "y"}, reason="x") == "correction-of-correction"

    @pytest.mark.proves("correction-changes-nothing")
    def test_a_correction_must_change_something(self) -> None:
        assert refused(requested(date(2024, 1, 8)), "EntryCorrected", date(2024, 1, 9),
                       target_version=2, changes={"request_source": "1"}, reason="x") == \
            "correction-changes-nothing"

    @pytest.mark.proves("registration-not-retractable")
    def test_registration_cannot_be_retracted(self) -> None:
        assert refused(new_journey(), "EntryRetracted", date(2024, 1, 9), target_version=1,
                       reason="x") == "registration-not-retractable"

    @pytest.mark.proves("decision-needs-request")
    def test_a_correction_that_would_break_a_rule_is_refused(self) -> None:
        journey = requested(date(2024, 1, 8))
        record(journey, "DecisionToAssessMade", date(2024, 2, 12), assessment_test_met=True,
               reasons="may have SEN")
        assert refused(journey, "EntryCorrected", date(2024, 2, 20), target_version=2,
                       changes={"occurred_on": date(2024, 2, 15)}, reason="x") == \
            "decision-needs-request"

    def test_corrected_field_values_are_type_checked(self) -> None:
        journey = requested(date(2024, 1, 8))
        with pytest.raises(InvalidFieldError) as error:
            record(journey, "EntryCorrected", date(2024, 1, 9), target_version=2,
                   changes={"rya": "no"}, reason="x")
        assert error.value.field == "changes.rya"


class TestBitemporalReplay:
    def test_as_at_shows_what_had_happened_by_then_with_corrections_known_now(self) -> None:
        journey = requested(date(2024, 1, 8))
        record(journey, "DecisionToAssessMade", date(2024, 2, 12), assessment_test_met=True,
               reasons="may have SEN")
        assert journey.as_at(date(2024, 2, 11)).assessment.open_request.decision is None
        assert journey.as_at(date(2024, 2, 12)).assessment.open_request.decision == "assess"
        assert journey.as_at(date(2024, 1, 7)).assessment.requests == []

    def test_known_at_shows_only_what_had_been_recorded(self) -> None:
        journey = requested(date(2024, 1, 8))
        before_decision = datetime.now(UTC)
        record(journey, "DecisionToAssessMade", date(2024, 2, 12), assessment_test_met=True,
               reasons="may have SEN")
        assert journey.known_at(before_decision).assessment.open_request.decision is None
        assert journey.state.assessment.open_request.decision == "assess"
