"""A child's journey through CaseTracking on a real store: SQLite and PostgreSQL.

One scenario class; the ``store`` fixture gives each test an empty SQLite file or an
empty PostgreSQL schema, configured by ``event_store_env`` as the server configures it.
Every application opened is closed at teardown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from application.errors import CaseReferenceTakenError, StaleVersionError
from application.tracking import CaseTracking, WriteResult
from domain.actors import Actor
from domain.case_reference import reference_id
from domain.journey import SNAPSHOT_INTERVAL
from infrastructure.persistence import event_store_env

CASEWORKER = Actor("user-1", "caseworker", "LA-901")
AUTHORITY = "LA-901"
CASE_REF = "LA901-0001"
TODAY = date(2024, 6, 1)
REQUESTED_ON = date(2024, 1, 8)
DECIDED_ON = date(2024, 2, 5)


class FullReplayTracking(CaseTracking):
    """CaseTracking without snapshots: every read replays the journey from version 1."""

    name = CaseTracking.name  # a subclass would otherwise get tables of its own name
    snapshotting_intervals = {}  # type: ignore[assignment]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """The event-store settings of an empty SQLite file or PostgreSQL schema."""
    if request.param == "sqlite":
        return event_store_env(None, tmp_path)
    return event_store_env(request.getfixturevalue("postgres_schema_url"), tmp_path)


@pytest.fixture
def open_tracking(store: dict[str, str]) -> Iterator[Callable[..., CaseTracking]]:
    """Open a CaseTracking (or subclass) on the test's store; all are closed after."""
    opened: list[CaseTracking] = []

    def open_(cls: type[CaseTracking] = CaseTracking, **env: str) -> CaseTracking:
        app = cls(env={**store, **env}, today=lambda: TODAY)
        opened.append(app)
        return app

    yield open_
    for app in reversed(opened):
        app.close()


@pytest.fixture
def tracking(open_tracking: Callable[..., CaseTracking]) -> CaseTracking:
    return open_tracking()


def register(app: CaseTracking, case_ref: str = CASE_REF) -> WriteResult:
    return app.register_child(authority=AUTHORITY, date_of_birth=date(2016, 3, 1),
                              actor=CASEWORKER, occurred_on=date(2024, 1, 2),
                              case_ref=case_ref)


def request_assessment(app: CaseTracking, child_id: UUID, **kwargs: Any) -> WriteResult:
    return app.record_event(
        child_id, "EHCNeedsAssessmentRequested",
        {"requester_role": "Parent", "request_source": "1"},
        actor=CASEWORKER, occurred_on=REQUESTED_ON, **kwargs)


def decide_to_assess(app: CaseTracking, child_id: UUID, **kwargs: Any) -> WriteResult:
    return app.record_event(
        child_id, "DecisionToAssessMade",
        {"assessment_test_met": True,
         "reasons": "Evidence from school suggests needs the setting cannot meet."},
        actor=CASEWORKER, occurred_on=DECIDED_ON, **kwargs)


def clock(journey: dict[str, Any], clock_id: str) -> dict[str, Any]:
    (reading,) = [c for c in journey["clocks"] if c["clock"] == clock_id]
    return reading


class TestJourneyStore:
    def test_a_registered_journey_is_cached_as_the_store_holds_it_and_kept_apart(
            self, tracking: CaseTracking, open_tracking: Callable[..., CaseTracking]) -> None:
        # Cached on registration (the next command fast-forwards it: one query, not two).
        registered = register(tracking)
        assert tracking.repository.cache is not None
        cached = tracking.repository.cache.get(registered.child_id)
        cold = open_tracking().journey_for_update(registered.child_id)
        assert cached.version == cold.version == 1
        assert cached.log == cold.log and cached.state == cold.state
        # The next command works on a copy; a read fast-forwards the cached journey.
        requested = request_assessment(tracking, registered.child_id)
        assert requested.version == 2 and cached.version == 1
        assert tracking.get_journey(registered.child_id, actor=CASEWORKER)["version"] == 2
        assert tracking.repository.cache.get(registered.child_id).version == 2

    def test_journey_written_is_read_back_whole_by_a_new_application(
            self, tracking: CaseTracking, open_tracking: Callable[..., CaseTracking]) -> None:
        registered = register(tracking)
        requested = request_assessment(tracking, registered.child_id)
        decided = decide_to_assess(tracking, registered.child_id)

        assert [registered.version, requested.version, decided.version] == [1, 2, 3]
        # Registration also stores the case-reference index, so the log moves by two.
        assert registered.position < requested.position < decided.position
        assert decided.position == tracking.max_position()

        reopened = open_tracking()
        journey = reopened.get_journey(registered.child_id, actor=CASEWORKER)
        assert journey["child_id"] == str(registered.child_id)
        assert journey["version"] == 3
        assert journey["authority"] == AUTHORITY
        assert journey["case_ref"] == CASE_REF
        assert journey["stage"] == "assessment"
        (request,) = journey["episodes"]["assessment"]["requests"]
        assert request["received_on"] == REQUESTED_ON
        assert request["requester_role"] == "Parent"
        assert request["request_source"] == "1"
        assert request["decision"] == "assess"
        assert request["decision_on"] == DECIDED_ON
        k1 = clock(journey, "K1")
        assert (k1["started_on"], k1["due_on"], k1["stopped_on"], k1["status"]) == (
            REQUESTED_ON, date(2024, 2, 19), DECIDED_ON, "met")
        assert reopened.find_by_case_ref(AUTHORITY, CASE_REF) == registered.child_id
        assert reopened.max_position() == decided.position

    def test_the_decision_event_is_stored_with_its_actor_and_dates(
            self, tracking: CaseTracking, open_tracking: Callable[..., CaseTracking]) -> None:
        registered = register(tracking)
        request_assessment(tracking, registered.child_id)
        decided = decide_to_assess(tracking, registered.child_id)

        reopened = open_tracking()
        (notification,) = reopened.notification_log.select(decided.position, 1)
        stored = reopened.mapper.to_domain_event(notification)
        assert (stored.originator_id, stored.originator_version) == (registered.child_id, 3)
        assert stored.occurred_on == DECIDED_ON
        assert stored.actor == CASEWORKER
        assert stored.reasons == decided.event["data"]["reasons"]
        assert stored.timestamp == decided.event["recorded_at"]

    def test_a_case_reference_already_used_is_refused_and_nothing_is_stored(
            self, tracking: CaseTracking) -> None:
        first = register(tracking)
        position = tracking.max_position()

        with pytest.raises(CaseReferenceTakenError):
            register(tracking, case_ref=" la901-0001 ")

        assert tracking.max_position() == position
        assert tracking.find_by_case_ref(AUTHORITY, CASE_REF) == first.child_id
        notifications = tracking.notification_log.select(1, 10)
        assert [n.originator_id for n in notifications] == [
            first.child_id, reference_id(AUTHORITY, CASE_REF)]

    def test_a_stale_expected_version_is_refused_and_nothing_is_stored(
            self, tracking: CaseTracking, open_tracking: Callable[..., CaseTracking]) -> None:
        registered = register(tracking)
        request_assessment(tracking, registered.child_id, expected_version=1)
        position = tracking.max_position()

        with pytest.raises(StaleVersionError) as refused:
            decide_to_assess(tracking, registered.child_id, expected_version=1)

        assert (refused.value.expected, refused.value.current) == (1, 2)
        assert tracking.max_position() == position
        journey = open_tracking().get_journey(registered.child_id, actor=CASEWORKER)
        assert journey["version"] == 2
        assert journey["episodes"]["assessment"]["requests"][0]["decision"] is None

    def test_a_snapshot_is_taken_every_50_events_and_loads_as_a_full_replay_does(
            self, tracking: CaseTracking, open_tracking: Callable[..., CaseTracking]) -> None:
        registered = register(tracking)
        request_assessment(tracking, registered.child_id)
        for _ in range(SNAPSHOT_INTERVAL - 1):
            tracking.record_event(
                registered.child_id, "FamilyViewsSubmitted", {"author_role": "Parent"},
                actor=CASEWORKER, occurred_on=date(2024, 1, 10))
        last = decide_to_assess(tracking, registered.child_id)
        assert last.version == SNAPSHOT_INTERVAL + 2

        assert tracking.snapshots is not None
        snapshots = list(tracking.snapshots.get(registered.child_id))
        assert [s.originator_version for s in snapshots] == [SNAPSHOT_INTERVAL]

        from_snapshot = open_tracking()
        full_replay = open_tracking(FullReplayTracking, IS_SNAPSHOTTING_ENABLED="n")
        assert full_replay.snapshots is None

        journey = from_snapshot.get_journey(registered.child_id, actor=CASEWORKER)
        assert journey == full_replay.get_journey(registered.child_id, actor=CASEWORKER)
        assert journey["version"] == SNAPSHOT_INTERVAL + 2
        assert journey["episodes"]["assessment"]["requests"][0]["views_submitted"] == (
            SNAPSHOT_INTERVAL - 1)
        assert clock(journey, "K1")["status"] == "met"
        assert (from_snapshot.repository.get(registered.child_id).log
                == full_replay.repository.get(registered.child_id).log)
