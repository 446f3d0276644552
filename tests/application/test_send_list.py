"""Who is on the area SEND framework's list as at a day, and what their row says: decided
from the journey as it stood that day (application/send_list.py)."""

from __future__ import annotations

from datetime import date

from application.send_list import in_theme, send_entry, send_list_csv
from domain.journey import ChildJourney
from tests.unit.test_disputes_mediation import record as record_mediation
from tests.unit.test_disputes_mediation import refused_assessment
from tests.unit.test_reviews_refusals import journey_with_plan, record, registered


def test_a_child_without_send_recorded_is_not_on_the_list() -> None:
    assert send_entry(registered().state, date(2024, 1, 1)) is None


def test_sen_support_counts_only_while_its_period_is_open() -> None:
    journey = registered()
    record(journey, "SENSupportRecorded", date(2023, 9, 20), setting_urn="urn-100001",
           start_on=date(2023, 9, 6), needs=[{"code": "SEMH", "rank": 1}])
    row = send_entry(journey.state_at(as_at=date(2023, 10, 1)), date(2023, 10, 1))
    assert row is not None
    assert (row["send_status"], row["primary_need"], row["setting"]) == (
        "sen_support", "SEMH", "urn-100001")
    assert in_theme(row, "sen_support") and not in_theme(row, "ehc_plan")
    # Before the period began (6 September 2023) the child was not on the list.
    assert send_entry(journey.state_at(as_at=date(2023, 9, 5)), date(2023, 9, 5)) is None


def test_a_plan_in_force_is_listed_first_and_a_ceased_plan_is_not() -> None:
    journey = journey_with_plan()  # transferred in on 1 March 2023
    row = send_entry(journey.state, date(2024, 1, 1))
    assert row is not None and row["send_status"] == "ehc_plan"
    assert row["plan_made_on"] == date(2022, 6, 1)  # the date the plan was first made
    record(journey, "PlanCeased", date(2024, 2, 1), cease_reason="8")  # SEN2: deceased
    assert send_entry(journey.state, date(2024, 3, 1)) is None


def test_an_assessment_the_tribunal_ordered_is_an_assessment_in_progress() -> None:
    journey, decision = refused_assessment(date(2024, 6, 10))
    assert send_entry(journey.state, date(2024, 6, 11)) is None  # refused: nothing open
    record_mediation(journey, "MediationAdviserContacted", {"decision_id": decision},
                     date(2024, 7, 1))
    record_mediation(journey, "MediationDeclined", {"decision_id": decision}, date(2024, 7, 1))
    record_mediation(journey, "MediationCertificateIssued",
                     {"decision_id": decision, "certificate_type": "declined"}, date(2024, 7, 2))
    record_mediation(journey, "AppealRegistered", {"decision_id": decision,
                                                   "tribunal_ref": "SE-L1"}, date(2024, 8, 1))
    record_mediation(journey, "TribunalDecisionIssued", {
        "tribunal_ref": "SE-L1", "outcome": "allowed", "orders": ["assess"]}, date(2025, 1, 6))
    row = send_entry(journey.state, date(2025, 1, 7))
    assert row is not None
    assert row["send_status"] == "assessment_in_progress"
    assert "disputes" in row["themes"]


def test_the_csv_never_starts_a_cell_with_a_formula() -> None:
    journey = ChildJourney.register(authority="LA-900", date_of_birth=date(2014, 3, 1),
                                    actor=registered().log[0].actor,
                                    occurred_on=date(2023, 2, 1), today=date(2026, 6, 1),
                                    case_ref="=HYPERLINK(1)")
    record(journey, "PlanTransferredIn", date(2023, 3, 1), old_la="LA-100",
           original_made_on=date(2022, 6, 1))
    row = send_entry(journey.state, date(2024, 1, 1))
    assert row is not None
    text = send_list_csv({"items": [{"child": "c-1", "case_ref": "=HYPERLINK(1)", **row}]})
    assert "'=HYPERLINK(1)" in text and ",=HYPERLINK" not in text
