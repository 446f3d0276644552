"""CaseTracking's use cases on the in-memory store: idempotency, stale versions,
correction rights and assignment (where they are cheapest to test; the HTTP tests keep
one happy path per endpoint and the mapping of these errors to statuses)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from uuid import UUID

import pytest

from application.assignment import assign_case
from application.errors import ForbiddenError, StaleVersionError
from application.idempotency import IdempotencyKeyReusedError, fingerprint, key_hash
from application.tracking import CaseTracking, Idempotency
from domain.actors import Actor
from domain.errors import InvalidFieldError, RuleViolationError

TODAY = date(2024, 6, 3)
CASEWORKER = Actor("officer-1", "caseworker", "LA-901")
MANAGER = Actor("manager-1", "manager", "LA-901")
HEALTH = Actor("nurse-1", "caseworker", "ICB-901")
OTHER_LA = Actor("officer-9", "caseworker", "LA-902")
REQUEST = {"requester_role": "Parent", "request_source": "1"}


@pytest.fixture
def tracking() -> Iterator[CaseTracking]:
    app = CaseTracking(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, today=lambda: TODAY)
    yield app
    app.close()


def registered(tracking: CaseTracking) -> UUID:
    return tracking.register_child(authority="LA-901", date_of_birth=date(2015, 3, 2),
                                   actor=CASEWORKER, occurred_on=date(2024, 1, 2)).child_id


def keyed(key: str, body: dict[str, object]) -> Idempotency:
    return Idempotency(key_hash=key_hash(key),
                       fingerprint=fingerprint("POST", "/children/x/events", body))


def test_a_repeated_idempotency_key_answers_as_it_first_did_and_records_nothing(
        tracking: CaseTracking) -> None:
    child = registered(tracking)
    first = tracking.record_event(child, "EHCNeedsAssessmentRequested", REQUEST,
                                  actor=CASEWORKER, occurred_on=date(2024, 1, 8),
                                  idempotency=keyed("key-0001", REQUEST))
    again = tracking.record_event(child, "EHCNeedsAssessmentRequested", REQUEST,
                                  actor=CASEWORKER, occurred_on=date(2024, 1, 8),
                                  idempotency=keyed("key-0001", REQUEST))
    assert (again.version, again.position, again.replayed) == (first.version, first.position,
                                                               True)
    assert tracking.journey_for_update(child).version == 2


def test_the_same_key_with_another_body_is_refused_and_records_nothing(
        tracking: CaseTracking) -> None:
    child = registered(tracking)
    tracking.record_event(child, "EHCNeedsAssessmentRequested", REQUEST, actor=CASEWORKER,
                          occurred_on=date(2024, 1, 8), idempotency=keyed("key-0002", REQUEST))
    other = {**REQUEST, "request_source": "2"}
    with pytest.raises(IdempotencyKeyReusedError):
        tracking.record_event(child, "EHCNeedsAssessmentRequested", other, actor=CASEWORKER,
                              occurred_on=date(2024, 1, 8),
                              idempotency=keyed("key-0002", other))
    assert tracking.journey_for_update(child).version == 2


def test_a_write_against_a_stale_version_is_refused_with_the_current_one(
        tracking: CaseTracking) -> None:
    child = registered(tracking)
    tracking.record_event(child, "EHCNeedsAssessmentRequested", REQUEST, actor=CASEWORKER,
                          occurred_on=date(2024, 1, 8), expected_version=1)
    with pytest.raises(StaleVersionError) as raised:
        tracking.record_event(child, "RequestAcknowledged", {}, actor=CASEWORKER,
                              occurred_on=date(2024, 1, 9), expected_version=1)
    assert (raised.value.expected, raised.value.current) == (1, 2)
    assert tracking.journey_for_update(child).version == 2


def correction(target: int) -> dict[str, object]:
    return {"target_version": target, "changes": {"occurred_on": date(2024, 1, 9)},
            "reason": "date mistyped"}


def test_only_the_recording_organisation_or_a_manager_may_correct_an_entry(
        tracking: CaseTracking) -> None:
    child = registered(tracking)
    tracking.record_event(child, "EHCNeedsAssessmentRequested", REQUEST, actor=CASEWORKER,
                          occurred_on=date(2024, 1, 8))
    with pytest.raises(ForbiddenError):
        tracking.record_event(child, "EntryCorrected", correction(2), actor=OTHER_LA,
                              occurred_on=date(2024, 1, 10), expected_version=2)
    tracking.record_event(child, "EntryCorrected", correction(2), actor=MANAGER,
                          occurred_on=date(2024, 1, 10), expected_version=2)
    journey = tracking.journey_for_update(child)
    assert journey.version == 3
    assert journey.state.assessment.requests[0].received_on == date(2024, 1, 9)


def test_a_correction_of_a_version_that_does_not_exist_is_refused_by_its_rule(
        tracking: CaseTracking) -> None:
    child = registered(tracking)
    with pytest.raises(RuleViolationError) as raised:
        tracking.record_event(child, "EntryCorrected", correction(7), actor=MANAGER,
                              occurred_on=date(2024, 1, 10), expected_version=1)
    assert raised.value.code == "correction-target-missing"
    assert tracking.journey_for_update(child).version == 1


def test_a_manager_assigns_a_case_and_a_caseworker_may_not(tracking: CaseTracking) -> None:
    child = registered(tracking)
    with pytest.raises(ForbiddenError):
        assign_case(tracking, child, actor=CASEWORKER, assigned_to="officer-2",
                    assigned_organisation="LA-901", expected_version=1)
    written = assign_case(tracking, child, actor=MANAGER, assigned_to="officer-2",
                          assigned_organisation="LA-901", expected_version=1)
    assert written.version == 2
    assignment = tracking.journey_for_update(child).state.governance.assignment
    assert assignment is not None and assignment.assigned_to == "officer-2"


def test_assignment_is_refused_through_the_events_endpoint(tracking: CaseTracking) -> None:
    child = registered(tracking)
    with pytest.raises(InvalidFieldError, match="own endpoint"):
        tracking.record_event(child, "CaseAssigned", {"assigned_to": "officer-2",
                                                      "assigned_organisation": "LA-901"},
                              actor=MANAGER, occurred_on=TODAY)
    assert tracking.journey_for_update(child).version == 1
