"""Every event type through the snapshot rows and the cache copy, on SQLite and PostgreSQL.

The synthetic journeys of ``tests.e2e.journeys`` record every recordable type over
HTTP. Each journey's log then goes through a snapshot written as rows
(``journey_log_rows``) and through one written as before (``event:<topic>`` objects),
and each must load, with the events after it, to the same journey and the same read as
a full replay; reading it (current, ``as_at``, timeline) must change none of its events
(the aggregate cache shares events between copies: docs/decisions/0010).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.utils import get_topic
from flask import Flask
from flask.testing import FlaskClient

from application.history import journey_at
from application.tracking import CaseTracking
from domain.actors import Actor
from domain.catalogue.registration import ChildRegistered
from domain.integrity import event_hash
from domain.journey import ChildJourney
from tests.e2e.journeys import JOURNEYS
from tests.e2e.test_every_event_type import record_journey
from web.services import services_of

CASEWORKER = Actor("user-1", "caseworker", "LA-901")


def child_of(app: CaseTracking, case_ref_prefix: str) -> UUID:
    """Return the id of the journey just recorded whose case reference starts with the
    prefix (on PostgreSQL the run's other tests share the store: look at the log's tail,
    and take the latest)."""
    ids = []
    tail = max(1, app.max_position() - 1_000)
    registered = get_topic(ChildRegistered)
    for notification in app.recorder.select_notifications(start=tail, limit=10_000):
        # Other tests' rows share the log (the library's recorder cases store the topic
        # "topic"): decode only registrations.
        if notification.originator_version == 1 and notification.topic == registered:
            event = app.mapper.to_domain_event(notification)
            if isinstance(event, ChildRegistered) and (event.case_ref or "").startswith(
                    case_ref_prefix):
                ids.append(event.originator_id)
    return UUID(str(ids[-1]))


@pytest.mark.parametrize("name", list(JOURNEYS))
def test_a_snapshot_as_rows_or_as_before_loads_every_event_type_as_a_full_replay(
        app: Flask, client: FlaskClient, auth: Callable[..., dict[str, str]],
        name: str) -> None:
    record_journey(client, auth, name, JOURNEYS[name])
    tracking: CaseTracking = services_of(app).tracking
    child_id = child_of(tracking, f"CR-{name}-")
    full = tracking.repository.get(child_id, version=10_000)  # no cache, no snapshot yet
    assert tracking.snapshots is not None
    fields_before = [copy.deepcopy(vars(e)) for e in full.log]
    at = max(2, full.version - 3)

    def loaded(snapshot: Any) -> ChildJourney:
        tracking.snapshots.put([snapshot])  # type: ignore[union-attr]
        journey = tracking.repository.get(child_id, version=full.version)
        assert isinstance(journey, ChildJourney)
        return journey

    def read(journey_id: UUID) -> dict[str, Any]:
        return journey_at(tracking, journey_id, actor=CASEWORKER, today=tracking.today())

    expected = read(child_id)
    old = super(ChildJourney.Snapshot, ChildJourney.Snapshot).take(
        tracking.repository.get(child_id, version=at - 1))
    old.state.pop("_state", None)
    from_old = loaded(old)
    new = ChildJourney.Snapshot.take(tracking.repository.get(child_id, version=at))
    from_rows = loaded(new)
    stored = {s.originator_version: s.state for s in tracking.snapshots.recorder.select_events(
        child_id)}
    assert b'"_type_":"event:' in stored[at - 1] and b"journey_log_rows" not in stored[at - 1]
    assert b'"_type_":"journey_log_rows"' in stored[at] and b'"event:' not in stored[at]

    for journey in (from_old, from_rows):
        assert journey.log == full.log
        assert [type(e) for e in journey.log] == [type(e) for e in full.log]
        assert [vars(e) for e in journey.log] == fields_before
        assert [event_hash(e) for e in journey.log] == [e.hash for e in full.log]
        assert journey.state == full.state
        assert journey.version == full.version
    assert read(child_id) == expected  # now served from the rows snapshot and its tail
    first_day = full.log[0].occurred_on
    for as_at in (first_day, full.log[len(full.log) // 2].occurred_on):
        journey_at(tracking, child_id, actor=CASEWORKER, today=tracking.today(), as_at=as_at)
    cached = tracking.repository.get(child_id)  # the server's path: cache, copy
    assert [vars(e) for e in cached.log] == fields_before
    assert [vars(e) for e in full.log] == fields_before
