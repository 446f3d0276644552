"""CaseTracking.save collects an aggregate's events without the library's typing.Protocol
checks: what it stores must be what the library's own ``Application.save`` stores, on
SQLite and on PostgreSQL (snapshots included)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.application import Application, project_aggregate

from application.idempotency import IdempotencyRecord
from application.tracking import CaseTracking, project_journey
from domain.actors import Actor
from domain.case_reference import CaseReference
from domain.journey import ChildJourney
from infrastructure.persistence import event_store_env

TODAY = date(2024, 6, 3)
CASEWORKER = Actor("officer-1", "caseworker", "LA-901")


class SnapshotEveryEvent(CaseTracking):
    """Snapshots at every version, so a save takes one for each journey event."""

    snapshotting_intervals = {ChildJourney: 1}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_stores(request: pytest.FixtureRequest, tmp_path: Path
               ) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """The settings of two empty stores of one kind."""
    if request.param == "sqlite":
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        yield event_store_env(None, tmp_path / "a"), event_store_env(None, tmp_path / "b")
        return
    from tests.postgres import fresh_schema

    url = request.getfixturevalue("postgres_url")
    with fresh_schema(url) as first, fresh_schema(url) as second:
        yield event_store_env(first, tmp_path), event_store_env(second, tmp_path)


def pending_objects() -> list[Any]:
    """A journey with two pending events, its case-reference index, an idempotency record,
    None and a bare event (which only the library's collection takes)."""
    journey = ChildJourney.register(
        authority="LA-901", date_of_birth=date(2015, 3, 2), actor=CASEWORKER,
        occurred_on=date(2024, 1, 2), today=TODAY, case_ref="CR-1")
    journey.record("EHCNeedsAssessmentRequested",
                   {"requester_role": "Parent", "request_source": "1"}, actor=CASEWORKER,
                   occurred_on=date(2024, 1, 8), today=TODAY)
    index = CaseReference("LA-901", "CR-1", journey.id)
    record = IdempotencyRecord("LA-901:officer-1", "ab" * 32, "fingerprint", {"version": 2})
    bare = CaseReference("LA-901", "CR-2", journey.id).collect_events()[0]
    return [journey, index, None, record, bare]


def stored(app: CaseTracking) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every stored event, and every snapshot's id, version and topic."""
    events = [(n.id, n.originator_id, n.originator_version, n.topic, n.state)
              for n in app.recorder.select_notifications(start=1, limit=100)]
    assert app.snapshots is not None
    journey_id = events[0][1]
    snapshots = [(s.originator_id, s.originator_version, s.topic)
                 for s in app.snapshots.recorder.select_events(journey_id)]
    return events, snapshots


def test_the_typed_save_stores_what_the_library_save_stores(
        two_stores: tuple[dict[str, str], dict[str, str]]) -> None:
    typed_env, library_env = two_stores
    objects = pending_objects()
    typed = SnapshotEveryEvent(env=typed_env, today=lambda: TODAY)
    library = SnapshotEveryEvent(env=library_env, today=lambda: TODAY)
    try:
        typed_recordings = typed.save(*copy.deepcopy(objects))
        library_recordings = Application.save(library, *copy.deepcopy(objects))
        assert [(r.domain_event, r.notification.id) for r in typed_recordings] == \
            [(r.domain_event, r.notification.id) for r in library_recordings]
        typed_stored, library_stored = stored(typed), stored(library)
        assert typed_stored == library_stored
        assert len(typed_stored[0]) == 5 and len(typed_stored[1]) == 2
    finally:
        typed.close()
        library.close()


def test_the_typed_save_collects_each_aggregate_once_and_leaves_it_with_nothing_pending(
        tmp_path: Path) -> None:
    app = CaseTracking(env=event_store_env(None, tmp_path), today=lambda: TODAY)
    try:
        journey, index, _, record, _ = pending_objects()
        recordings = app.save(journey, index, record)
        assert [type(r.domain_event).__name__ for r in recordings] == [
            "ChildRegistered", "EHCNeedsAssessmentRequested", "Assigned", "Recorded"]
        assert journey.collect_events() == [] and index.collect_events() == []
        assert app.repository.get(journey.id).version == 2
    finally:
        app.close()


def test_a_journey_projected_without_the_protocol_check_is_the_library_projection(
        tmp_path: Path) -> None:
    """``project_journey`` (a cold load from a snapshot and events, a cached journey
    fast-forwarded) gives the journey the library's ``project_aggregate`` gives."""
    app = SnapshotEveryEvent(env=event_store_env(None, tmp_path), today=lambda: TODAY)
    try:
        journey, *_ = pending_objects()
        app.save(journey)
        cached = copy.deepcopy(app.repository.get(journey.id))
        journey = app.repository.get(journey.id)
        journey.record("DecisionToAssessMade", {"assessment_test_met": True,
                                                "reasons": "Needs the setting cannot meet."},
                       actor=CASEWORKER, occurred_on=date(2024, 2, 5), today=TODAY)
        app.save(journey)
        events = list(app.events.get(journey.id))
        for projected in (
                project_journey(None, events), project_journey(copy.deepcopy(cached), events[2:]),
                app.repository.get(journey.id, version=3, projector_func=project_journey)):
            library = project_aggregate(None, events)
            assert projected is not None and library is not None
            assert (projected.log, projected.version, projected.state) == (
                library.log, library.version, library.state)
            assert projected.clocks(TODAY) == library.clocks(TODAY)
    finally:
        app.close()


def test_the_access_logs_save_stores_what_the_library_save_stores(
        two_stores: tuple[dict[str, str], dict[str, str]]) -> None:
    """The access log saves its looks with the journeys' typed save (AccessLog.save)."""
    from uuid import uuid4

    from application.access_log import AccessLog, AccessRecord

    typed_env, library_env = two_stores
    looks = [AccessRecord(child_id=uuid4(), kind="state", actor=CASEWORKER, purpose=None,
                          request_id=f"req-{n}", route="/children/<uuid:child_id>")
             for n in range(3)]
    typed, library = AccessLog(env=typed_env), AccessLog(env=library_env)
    try:
        typed_recordings = typed.save(*copy.deepcopy(looks))
        library_recordings = Application.save(library, *copy.deepcopy(looks))
        assert [(r.domain_event, r.notification.id) for r in typed_recordings] == \
            [(r.domain_event, r.notification.id) for r in library_recordings]
        assert [(n.id, n.originator_id, n.originator_version, n.topic, n.state)
                for n in typed.recorder.select_notifications(start=1, limit=10)] == \
            [(n.id, n.originator_id, n.originator_version, n.topic, n.state)
             for n in library.recorder.select_notifications(start=1, limit=10)]
    finally:
        typed.close()
        library.close()
