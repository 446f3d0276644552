"""A statutory fact is stated by the recorder or absent, never defaulted (issue 11, defect 5).

Four fields once defaulted to True: a decision to assess passed the s.36(8) test nobody
stated, an amendment notice passed reg 22(2) with rights nobody checked. Now a rule that
reads such a fact refuses when it is not stated, and a fact no rule reads stays absent.
Events stored under the old defaults keep their hashes (``hashed_defaults``).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest

from domain.actors import Actor
from domain.catalogue.assessment import DecisionToAssessMade, RequestAcknowledged
from domain.catalogue.disputes import MediationAdviserContacted
from domain.catalogue.reviews import AmendmentNoticeIssued
from domain.errors import RuleViolationError
from domain.events import EVENT_TYPES, payload_fields
from domain.integrity import canonical_content
from domain.journey import ChildJourney

LA = Actor("officer-1", "caseworker", "LA-900")
TODAY = date(2026, 6, 1)


def journey_with_request() -> ChildJourney:
    journey = ChildJourney.register(authority="LA-900", date_of_birth=date(2015, 3, 2),
                                    actor=LA, occurred_on=date(2024, 1, 2), today=TODAY)
    record(journey, "EHCNeedsAssessmentRequested", date(2024, 1, 8),
           requester_role="Parent", request_source="1")
    return journey


def record(journey: ChildJourney, type_name: str, on: date, **payload: Any) -> None:
    journey.record(type_name, payload, actor=LA, occurred_on=on, today=TODAY)


@pytest.mark.proves("assessment-test-not-recorded")
def test_a_decision_to_assess_without_the_s36_8_test_is_refused_naming_the_field() -> None:
    journey = journey_with_request()
    with pytest.raises(RuleViolationError) as raised:
        record(journey, "DecisionToAssessMade", date(2024, 2, 1), reasons="may have SEN")
    assert raised.value.code == "assessment-test-not-recorded"
    assert "assessment_test_met" in raised.value.detail
    assert raised.value.citation == "CFA 2014 s.36(8)"
    assert journey.version == 2
    record(journey, "DecisionToAssessMade", date(2024, 2, 1), reasons="may have SEN",
           assessment_test_met=True)
    assert journey.state.stage == "assessment"


@pytest.mark.proves("amendment-notice-content")
def test_an_amendment_notice_that_does_not_say_which_rights_it_explains_is_refused() -> None:
    journey = ChildJourney.register(authority="LA-900", date_of_birth=date(2014, 3, 1),
                                    actor=LA, occurred_on=date(2023, 2, 1), today=TODAY)
    record(journey, "PlanTransferredIn", date(2023, 3, 1), old_la="LA-100",
           original_made_on=date(2022, 6, 1))
    with pytest.raises(RuleViolationError) as raised:
        record(journey, "AmendmentNoticeIssued", date(2024, 5, 1), trigger="reg28",
               proposed_amendments=[{"section": "F", "change": "weekly physiotherapy"}],
               meeting_right=True)
    assert raised.value.code == "amendment-notice-content"
    assert "setting_request_right" in raised.value.detail


def test_facts_no_rule_reads_stay_absent_when_not_stated() -> None:
    journey = journey_with_request()
    record(journey, "RequestAcknowledged", date(2024, 1, 9))
    acknowledged = journey.log[-1]
    assert isinstance(acknowledged, RequestAcknowledged)
    assert acknowledged.views_right_explained is None


def test_no_event_type_defaults_a_fact_to_true() -> None:
    # A True default is a fact nobody stated; False and None read as "not said".
    defaulted = sorted(f"{name}.{field}" for name, cls in EVENT_TYPES.items()
                       for field in payload_fields(cls)
                       if cls.__dataclass_fields__[field].default is True)
    assert defaulted == []


@pytest.mark.parametrize(("cls", "field", "others"), [
    (DecisionToAssessMade, "assessment_test_met", {"reasons": "x"}),
    (RequestAcknowledged, "views_right_explained", {}),
    (AmendmentNoticeIssued, "meeting_right", {"trigger": "reg28",
                                              "proposed_amendments": [{"section": "F"}],
                                              "setting_request_right": True}),
    (MediationAdviserContacted, "wishes_to_appeal", {"decision_id": "decision-3"}),
])
def test_events_stored_under_the_old_true_default_hash_as_they_did(
        cls: type, field: str, others: dict[str, Any]) -> None:
    common = {"originator_id": UUID(int=1), "originator_version": 3,
              "timestamp": datetime(2024, 2, 1, 12, tzinfo=UTC),
              "occurred_on": date(2024, 2, 1), "actor": LA}
    stored_true = cls(**common, **others, **{field: True})
    stated_false = cls(**common, **others, **{field: False})
    unstated = cls(**common, **others)
    # The old code left a value equal to its default (True) out of the hash.
    assert field not in json.loads(canonical_content(stored_true))
    assert json.loads(canonical_content(stated_false))[field] is False
    # An unstated fact hashes differently from a stored True: the chain tells them apart.
    assert canonical_content(unstated) != canonical_content(stored_true)
