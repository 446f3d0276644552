"""Draft plan, representations (K5), naming a setting (K6), and the final plan (K4)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.clocks import ClockStatus
from domain.errors import RuleViolationError
from domain.journey import ChildJourney
from domain.responsibility import Body
from tests.unit.test_plan_advice import (
    NOTICE,
    YEAR_9_DOB,
    advised,
    clock,
    issuing,
    record,
    refusal,
)

SERVED = date(2024, 4, 2)  # 15 days beginning with 2 April 2024 end on 16 April 2024
DRAFT: dict[str, Any] = {
    "A": "Enjoys trains and drawing; wants to make friends at school.",
    "B": [{"need": "SLCN", "description": "expressive language delay"},
          {"need": "ASD", "description": "social communication"}],
    "E": [{"outcome": "Uses 4-word sentences with peers by July 2025"}],
    "F": [{"need": "SLCN", "provision": "Speech and language therapy, 1 hour weekly",
           "quantified": True},
          {"need": "ASD", "provision": "Social skills group, 3 x 30 minutes weekly",
           "quantified": True}],
    "I": None,
}
SETTING = {"setting_ref": "urn-100001", "setting_name": "Synthetic Primary School",
           "setting_type": "MAINSTREAM_LA"}
FINAL: dict[str, Any] = DRAFT | {"I": SETTING}
RECIPIENTS = ["family", "setting", "icb"]
PFA_ITEM = {"outcome": "Travels to college independently", "pfa": "independent_living"}


def drafted(dob: date | None = None, served: date = SERVED) -> ChildJourney:
    """Return a journey whose draft plan was served on ``served``."""
    journey = issuing(dob) if dob else issuing()
    sections = DRAFT | ({"E": [*DRAFT["E"], PFA_ITEM]} if dob == YEAR_9_DOB else {})
    record(journey, "DraftPlanIssued", {"sections": sections, "service_method": "email"},
           served)
    return journey


def finalise(journey: ChildJourney, on: date, **changes: Any) -> None:
    record(journey, "FinalPlanIssued", {"sections": FINAL, "notice_includes": NOTICE,
                                        "recipients": RECIPIENTS} | changes, on)


def draft_id(journey: ChildJourney) -> str:
    return journey.state.plan.drafts[-1].id


# The draft plan (s.38; reg 13(1)).

@pytest.mark.proves("draft-needs-issue-decision")
def test_a_draft_plan_needs_a_decision_to_issue() -> None:
    journey = advised()
    assert refusal(journey, "DraftPlanIssued", {"sections": DRAFT},
                   SERVED) == "draft-needs-issue-decision"


@pytest.mark.proves("draft-names-no-setting")
def test_a_draft_plan_names_no_school_and_no_type() -> None:
    journey = issuing()
    assert refusal(journey, "DraftPlanIssued", {"sections": FINAL},
                   SERVED) == "draft-names-no-setting"
    assert refusal(journey, "DraftPlanIssued",
                   {"sections": DRAFT | {"I": {"setting_type": "SPECIAL_LA"}}},
                   SERVED) == "draft-names-no-setting"


@pytest.mark.proves("plan-sections-malformed")
def test_plan_sections_follow_the_documented_shape() -> None:
    journey = issuing()
    for sections in (DRAFT | {"Z": []}, DRAFT | {"B": "SLCN"}, DRAFT | {"B": [{"text": "?"}]},
                     DRAFT | {"F": [{"need": "SLCN", "provision": " "}]},
                     DRAFT | {"I": "Synthetic Primary"}):
        assert refusal(journey, "DraftPlanIssued", {"sections": sections},
                       SERVED) == "plan-sections-malformed"


@pytest.mark.proves("code-not-in-reference-data")
def test_section_b_needs_use_reference_codes() -> None:
    journey = issuing()
    assert refusal(journey, "DraftPlanIssued",
                   {"sections": DRAFT | {"B": [{"need": "DYSLEXIA"}]}},
                   SERVED) == "code-not-in-reference-data"


@pytest.mark.proves("plan-need-not-nsa")
def test_section_b_cannot_record_nsa() -> None:
    journey = issuing()
    sections = DRAFT | {"B": [{"need": "NSA"}],
                        "F": [{"need": "NSA", "provision": "small-group work"}]}
    assert refusal(journey, "DraftPlanIssued", {"sections": sections},
                   SERVED) == "plan-need-not-nsa"


@pytest.mark.proves("plan-need-without-provision")
def test_every_section_b_need_has_section_f_provision() -> None:
    journey = issuing()
    sections = DRAFT | {"F": DRAFT["F"][:1]}
    assert refusal(journey, "DraftPlanIssued", {"sections": sections},
                   SERVED) == "plan-need-without-provision"


@pytest.mark.proves("plan-pfa-content-missing")
def test_a_year_9_draft_carries_preparation_for_adulthood_content() -> None:
    journey = issuing(YEAR_9_DOB)
    assert refusal(journey, "DraftPlanIssued", {"sections": DRAFT},
                   SERVED) == "plan-pfa-content-missing"
    record(journey, "DraftPlanIssued", {"sections": DRAFT | {"E": [PFA_ITEM]}}, SERVED)
    assert journey.state.stage == "draft_issued"


@pytest.mark.proves("representation-period-too-short")
def test_the_family_gets_at_least_15_days_beginning_with_service() -> None:
    journey = issuing()
    assert refusal(journey, "DraftPlanIssued",
                   {"sections": DRAFT, "representation_deadline": date(2024, 4, 15)},
                   SERVED) == "representation-period-too-short"


# K5: the family's representation period (a minimum for the family, not an LA deadline).

@pytest.mark.proves("K5")
def test_draft_served_2_april_2024_gives_the_family_until_16_april_2024() -> None:
    journey = drafted()
    reading = clock(journey, "K5", draft_id(journey), date(2024, 4, 16))
    assert (reading.started_on, reading.due_on, reading.status) == (
        SERVED, date(2024, 4, 16), ClockStatus.RUNNING)
    assert reading.stopped_on is None
    reading = clock(journey, "K5", draft_id(journey), date(2024, 4, 17))
    assert (reading.stopped_on, reading.status) == (date(2024, 4, 16), ClockStatus.MET)


@pytest.mark.proves("K5")
def test_a_longer_deadline_given_by_the_la_is_the_end_of_the_period() -> None:
    journey = issuing()
    record(journey, "DraftPlanIssued",
           {"sections": DRAFT, "representation_deadline": date(2024, 4, 30)}, SERVED)
    reading = clock(journey, "K5", draft_id(journey), date(2024, 4, 20))
    assert (reading.due_on, reading.status) == (date(2024, 4, 30), ClockStatus.RUNNING)


@pytest.mark.proves("K5")
def test_the_family_saying_nothing_further_ends_the_period_early_as_met() -> None:
    journey = drafted()
    record(journey, "RepresentationsReceived",
           {"sections": ["F"], "text_ref": "letter-1", "nothing_further": True},
           date(2024, 4, 8))
    reading = clock(journey, "K5", draft_id(journey), date(2024, 4, 9))
    assert (reading.stopped_on, reading.status) == (date(2024, 4, 8), ClockStatus.MET)


@pytest.mark.proves("K5")
def test_a_redrafted_plan_starts_a_new_period_and_the_old_one_lapses() -> None:
    journey = drafted()
    first = draft_id(journey)
    record(journey, "DraftPlanIssued", {"sections": DRAFT}, date(2024, 4, 10))
    old = clock(journey, "K5", first, date(2024, 4, 12))
    assert (old.stopped_on, old.status) == (date(2024, 4, 10), ClockStatus.NOT_APPLICABLE)
    new = clock(journey, "K5", draft_id(journey), date(2024, 4, 12))
    assert (new.due_on, new.status) == (date(2024, 4, 24), ClockStatus.RUNNING)


@pytest.mark.proves("draft-step-needs-draft")
def test_representations_and_meetings_need_an_outstanding_draft() -> None:
    journey = issuing()
    assert refusal(journey, "RepresentationsReceived", {"sections": ["F"]},
                   SERVED) == "draft-step-needs-draft"
    assert refusal(journey, "DraftPlanMeetingHeld", {"attendees": ["parent"]},
                   SERVED) == "draft-step-needs-draft"
    assert refusal(journey, "DraftPlanMeetingRequested", {},
                   SERVED) == "draft-step-needs-draft"


@pytest.mark.proves("draft-meeting-request-in-period")
def test_a_meeting_about_the_draft_is_required_within_the_period() -> None:
    journey = drafted()
    record(journey, "DraftPlanMeetingRequested", {"requested_by": "parent"}, date(2024, 4, 16))
    record(journey, "DraftPlanMeetingHeld", {"attendees": ["parent", "officer"]},
           date(2024, 4, 18))
    draft = journey.state.plan.drafts[-1]
    assert (draft.meeting_requested_on, draft.meeting_held_on) == (date(2024, 4, 16),
                                                                   date(2024, 4, 18))
    assert refusal(journey, "DraftPlanMeetingRequested", {},
                   date(2024, 4, 17)) == "draft-meeting-request-in-period"


# Naming the setting (s.38(3), s.39, s.40) and K6.

@pytest.mark.proves("preference-needs-draft")
def test_a_setting_preference_is_made_on_a_draft_or_an_amendment_notice() -> None:
    journey = issuing()
    preference = {"setting_ref": "urn-100002", "setting_category": "academy"}
    assert refusal(journey, "PlacementPreferenceExpressed", preference,
                   SERVED) == "preference-needs-draft"
    journey = drafted()
    finalise(journey, date(2024, 5, 20))
    assert refusal(journey, "PlacementPreferenceExpressed", preference,
                   date(2024, 6, 3)) == "preference-needs-draft"
    record(journey, "AmendmentNoticeIssued",
           {"trigger": "reg28", "proposed_amendments": [{"section": "I", "change": "move"}],
            "setting_request_right": True, "meeting_right": True},
           date(2024, 6, 3))
    record(journey, "PlacementPreferenceExpressed", preference, date(2024, 6, 5))
    assert journey.state.plan.preferences[-1].setting_ref == "urn-100002"


@pytest.mark.proves("consultation-needs-preference")
def test_the_la_consults_a_requested_setting_or_one_it_is_considering() -> None:
    journey = drafted()
    assert refusal(journey, "SettingConsulted", {"setting_ref": "urn-100002"},
                   date(2024, 4, 4)) == "consultation-needs-preference"
    record(journey, "SettingConsulted", {"setting_ref": "urn-100002", "la_considering": True},
           date(2024, 4, 4))
    record(journey, "PlacementPreferenceExpressed",
           {"setting_ref": "urn-100001", "setting_category": "maintained_school"},
           date(2024, 4, 5))
    record(journey, "SettingConsulted", {"setting_ref": "urn-100001"}, date(2024, 4, 5))
    assert [c.setting_ref for c in journey.state.plan.consultations] == [
        "urn-100002", "urn-100001"]


@pytest.mark.proves("K6")
def test_a_setting_consulted_4_april_2024_should_answer_by_19_april_2024() -> None:
    # Code 9.83: 15 days, the day of consulting being day 0; guidance, not statute.
    journey = drafted()
    record(journey, "PlacementPreferenceExpressed",
           {"setting_ref": "urn-100001", "setting_category": "academy"}, date(2024, 4, 3))
    record(journey, "SettingConsulted", {"setting_ref": "urn-100001",
                                         "documents_sent": ["draft", "advice"]},
           date(2024, 4, 4))
    consultation = journey.state.plan.consultations[-1].id
    reading = clock(journey, "K6", consultation, date(2024, 4, 19))
    assert (reading.due_on, reading.status) == (date(2024, 4, 19), ClockStatus.RUNNING)
    assert (reading.statutory, reading.responsible) == (False, Body.SETTING)
    assert clock(journey, "K6", consultation, date(2024, 4, 20)).status is ClockStatus.LATE
    record(journey, "SettingConsultationResponded",
           {"setting_ref": "urn-100001", "can_meet_needs": True}, date(2024, 4, 19))
    reading = clock(journey, "K6", consultation, date(2024, 4, 20))
    assert (reading.stopped_on, reading.status) == (date(2024, 4, 19), ClockStatus.MET)


@pytest.mark.proves("consultation-response-needs-consultation")
def test_a_response_answers_an_open_consultation_of_that_setting() -> None:
    journey = drafted()
    assert refusal(journey, "SettingConsultationResponded",
                   {"setting_ref": "urn-100001", "can_meet_needs": False},
                   date(2024, 4, 5)) == "consultation-response-needs-consultation"


@pytest.mark.proves("placement-decision-names-setting-or-type")
def test_a_placement_decision_names_a_setting_or_a_type() -> None:
    journey = drafted()
    assert refusal(journey, "PlacementDecided", {"reasons": "panel"},
                   date(2024, 4, 10)) == "placement-decision-names-setting-or-type"
    record(journey, "PlacementDecided", {"setting_type": "SPECIAL_LA"}, date(2024, 4, 10))
    assert journey.state.plan.placement_decisions[-1].setting_type == "SPECIAL_LA"


@pytest.mark.proves("preference-refusal-needs-ground")
def test_not_naming_a_requested_maintained_school_needs_a_section_39_4_ground() -> None:
    journey = drafted()
    record(journey, "PlacementPreferenceExpressed",
           {"setting_ref": "urn-100001", "setting_category": "maintained_school"},
           date(2024, 4, 5))
    payload = {"named_setting_ref": "urn-100002", "setting_type": "MAINSTREAM_LA"}
    assert refusal(journey, "PlacementDecided", payload,
                   date(2024, 4, 12)) == "preference-refusal-needs-ground"
    record(journey, "PlacementDecided",
           payload | {"refusal_ground": "incompatible_efficient_resources"}, date(2024, 4, 12))
    decision = journey.state.plan.placement_decisions[-1]
    assert (decision.refused_preference, decision.refusal_ground) == (
        "urn-100001", "incompatible_efficient_resources")


@pytest.mark.proves("preference-refusal-needs-ground")
def test_a_preference_outside_the_section_38_3_list_needs_no_ground() -> None:
    journey = drafted()
    record(journey, "PlacementPreferenceExpressed",
           {"setting_ref": "urn-100009", "setting_category": "other"}, date(2024, 4, 5))
    record(journey, "PlacementDecided", {"named_setting_ref": "urn-100001"}, date(2024, 4, 12))
    assert journey.state.plan.placement_decisions[-1].refused_preference is None


@pytest.mark.proves("health-agreement-needs-draft")
def test_the_icb_agrees_section_g_on_an_outstanding_draft() -> None:
    journey = issuing()
    assert refusal(journey, "HealthProvisionAgreed",
                   {"icb": "icb-901", "section_g": [{"provision": "epilepsy care plan"}]},
                   SERVED) == "health-agreement-needs-draft"


# The final plan (reg 13(2), reg 14) and K4.

@pytest.mark.proves("final-plan-needs-draft")
def test_a_final_plan_needs_a_served_draft() -> None:
    journey = issuing()
    assert refusal(journey, "FinalPlanIssued",
                   {"sections": FINAL, "notice_includes": NOTICE, "recipients": RECIPIENTS},
                   date(2024, 5, 1)) == "final-plan-needs-draft"


@pytest.mark.proves("final-plan-needs-draft")
def test_a_final_plan_needs_a_decision_to_issue() -> None:
    journey = advised()
    assert refusal(journey, "FinalPlanIssued",
                   {"sections": FINAL, "notice_includes": NOTICE, "recipients": RECIPIENTS},
                   date(2024, 5, 1)) == "final-plan-needs-draft"


@pytest.mark.proves("representation-period-running")
def test_a_final_plan_waits_until_the_15th_day_has_passed() -> None:
    journey = drafted()
    payload = {"sections": FINAL, "notice_includes": NOTICE, "recipients": RECIPIENTS}
    assert refusal(journey, "FinalPlanIssued", payload,
                   date(2024, 4, 16)) == "representation-period-running"
    finalise(journey, date(2024, 4, 17))
    assert journey.state.plan.is_active


@pytest.mark.proves("representation-period-running", "K5")
def test_a_family_with_nothing_further_to_add_lets_the_plan_be_finalised_early() -> None:
    journey = drafted()
    record(journey, "RepresentationsReceived", {"nothing_further": True}, date(2024, 4, 5))
    finalise(journey, date(2024, 4, 8))
    reading = clock(journey, "K5", draft_id(journey), date(2024, 4, 9))
    assert (reading.stopped_on, reading.status) == (date(2024, 4, 5), ClockStatus.MET)


@given(served_after=st.integers(0, 60), final_after=st.integers(0, 30))
@settings(max_examples=30, deadline=None)
@pytest.mark.proves("representation-period-running", "K5")
def test_a_final_plan_is_refused_exactly_within_15_days_beginning_with_service(
        served_after: int, final_after: int) -> None:
    served = date(2024, 3, 25) + timedelta(days=served_after)
    journey = drafted(served=served)
    last_day = served + timedelta(days=14)
    assert clock(journey, "K5", draft_id(journey), served).due_on == last_day
    try:
        finalise(journey, served + timedelta(days=final_after))
    except RuleViolationError as refused:
        assert refused.code == "representation-period-running"
        assert served + timedelta(days=final_after) <= last_day
    else:
        assert served + timedelta(days=final_after) > last_day


@pytest.mark.proves("final-plan-names-setting")
def test_a_final_plan_names_the_setting_or_its_type() -> None:
    journey = drafted()
    payload = {"sections": DRAFT, "notice_includes": NOTICE, "recipients": RECIPIENTS}
    assert refusal(journey, "FinalPlanIssued", payload,
                   date(2024, 4, 17)) == "final-plan-names-setting"
    finalise(journey, date(2024, 4, 17), sections=DRAFT | {"I": {"setting_type": "SPECIAL_LA"}},
             recipients=["family", "icb"])
    assert journey.state.plan.current is not None
    assert journey.state.plan.current.setting_type == "SPECIAL_LA"


@pytest.mark.proves("plan-need-without-provision", "plan-pfa-content-missing")
def test_the_final_plan_is_checked_like_the_draft_for_traced_needs_and_pfa() -> None:
    journey = drafted(YEAR_9_DOB)
    sections = FINAL | {"E": [PFA_ITEM]}
    assert refusal(journey, "FinalPlanIssued",
                   {"sections": sections | {"F": FINAL["F"][:1]}, "notice_includes": NOTICE,
                    "recipients": RECIPIENTS},
                   date(2024, 4, 17)) == "plan-need-without-provision"
    assert refusal(journey, "FinalPlanIssued",
                   {"sections": FINAL, "notice_includes": NOTICE, "recipients": RECIPIENTS},
                   date(2024, 4, 17)) == "plan-pfa-content-missing"
    finalise(journey, date(2024, 4, 17), sections=sections)
    assert journey.state.plan.is_active


@pytest.mark.proves("final-plan-health-not-agreed", "health-agreement-needs-draft")
def test_section_g_in_a_final_plan_is_what_the_icb_agreed() -> None:
    journey = drafted()
    g = [{"provision": "Epilepsy care plan, reviewed termly by the epilepsy nurse"}]
    payload = {"sections": FINAL | {"G": g}, "notice_includes": NOTICE,
               "recipients": RECIPIENTS}
    assert refusal(journey, "FinalPlanIssued", payload,
                   date(2024, 4, 17)) == "final-plan-health-not-agreed"
    record(journey, "HealthProvisionAgreed",
           {"icb": "icb-901", "section_g": [{"provision": "something else"}]}, date(2024, 4, 10))
    assert refusal(journey, "FinalPlanIssued", payload,
                   date(2024, 4, 17)) == "final-plan-health-not-agreed"
    record(journey, "HealthProvisionAgreed", {"icb": "icb-901", "section_g": g,
                                              "dco_ref": "dco-1"}, date(2024, 4, 11))
    finalise(journey, date(2024, 4, 17), sections=FINAL | {"G": g})
    assert journey.state.plan.current is not None
    assert journey.state.plan.current.sections["G"] == g


@pytest.mark.proves("final-plan-notice-content")
def test_a_final_plan_carries_the_reg_14_notice() -> None:
    journey = drafted()
    assert refusal(journey, "FinalPlanIssued",
                   {"sections": FINAL, "notice_includes": ["appeal_rights"],
                    "recipients": RECIPIENTS},
                   date(2024, 4, 17)) == "final-plan-notice-content"


@pytest.mark.proves("final-plan-recipients")
def test_a_final_plan_goes_to_the_family_the_named_setting_and_the_icb() -> None:
    journey = drafted()
    assert refusal(journey, "FinalPlanIssued",
                   {"sections": FINAL, "notice_includes": NOTICE,
                    "recipients": ["family", "icb"]},
                   date(2024, 4, 17)) == "final-plan-recipients"


@pytest.mark.proves("K4")
def test_a_final_plan_issued_on_day_140_is_met() -> None:
    # Received Monday 8 January 2024: day 140 is Monday 27 May 2024.
    journey = drafted()
    finalise(journey, date(2024, 5, 27))
    request_id = journey.state.assessment.requests[-1].id
    reading = clock(journey, "K4", request_id, date(2024, 6, 30))
    assert (reading.due_on, reading.stopped_on, reading.status) == (
        date(2024, 5, 27), date(2024, 5, 27), ClockStatus.MET)


@pytest.mark.proves("K4")
def test_a_final_plan_issued_on_day_141_is_late() -> None:
    journey = drafted()
    finalise(journey, date(2024, 5, 28))
    request_id = journey.state.assessment.requests[-1].id
    assert clock(journey, "K4", request_id, date(2024, 6, 30)).status is ClockStatus.LATE


def test_a_final_plan_makes_the_plan_and_opens_an_appealable_decision() -> None:
    journey = drafted()
    finalise(journey, date(2024, 5, 20))
    state = journey.state
    assert state.plan.current is not None
    assert (state.plan.made_on, state.plan.current.source, state.plan.current.named_setting,
            state.plan.current.setting_type) == (
        date(2024, 5, 20), "final", "urn-100001", "MAINSTREAM_LA")
    assert [(d.kind, d.notified_on) for d in state.appealable_decisions] == [
        ("plan_content", date(2024, 5, 20))]
    assert state.stage == "plan_issued"
    assert state.assessment.requests[-1].outcome == "plan_issued"
    assert state.plan.outstanding_draft is None


@pytest.mark.proves("admission-needs-named-setting")
def test_only_the_named_setting_confirms_admission() -> None:
    journey = drafted()
    payload = {"setting_ref": "urn-100001", "start_on": date(2024, 9, 4)}
    assert refusal(journey, "SettingAdmissionConfirmed", payload,
                   date(2024, 5, 1)) == "admission-needs-named-setting"
    finalise(journey, date(2024, 5, 20))
    assert refusal(journey, "SettingAdmissionConfirmed", payload | {"setting_ref": "urn-2"},
                   date(2024, 5, 22)) == "admission-needs-named-setting"
    record(journey, "SettingAdmissionConfirmed", payload, date(2024, 5, 22))
    assert journey.state.plan.admissions == [("urn-100001", date(2024, 9, 4))]
