"""What makes replay fast must not change what it gives (docs/decisions/0010).

Snapshots write the log as rows (``journey_log_rows``); snapshots written before that
(one ``event:<topic>`` object per event) must still load. A journey handed out of the
aggregate cache is copied by copying its log list and sharing its events, which is
sound only if nothing (a fold, a replay at a point, a view, a timeline) changes an event,
and only if a command on the copy leaves the original as it was.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from datetime import date, timedelta
from typing import Any

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.history import timeline
from application.idempotency import IdempotencyRecord
from application.tracking import CaseTracking
from application.transcodings import AcyclicJSONTranscoder
from application.views import journey_view_at
from domain.case_reference import CaseReference
from domain.errors import DomainError
from domain.integrity import event_hash
from domain.journey import ChildJourney, PackedLog
from domain.state import replay
from tests.unit.test_journey_properties import LA, START, TODAY, commands, run

POPO = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


def fields_of(journey: ChildJourney) -> list[tuple[type, dict[str, Any]]]:
    """Return every event's type and a deep copy of its fields."""
    return [(type(e), copy.deepcopy(vars(e))) for e in journey.log]


def old_snapshot(journey: ChildJourney) -> Any:
    """Take a snapshot as it was written before ``journey_log_rows``: the log a list."""
    snapshot = super(ChildJourney.Snapshot, ChildJourney.Snapshot).take(journey)
    snapshot.state.pop("_state", None)
    assert isinstance(snapshot.state["_log"], list)
    return snapshot


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands)
def test_the_log_written_as_rows_reads_back_as_the_same_events(
        steps: list[tuple[int, int]]) -> None:
    journey, _ = run(steps)
    app = CaseTracking(env=POPO, today=lambda: TODAY)
    try:
        transcoder = app.mapper.transcoder
        data = transcoder.encode({"_log": PackedLog(journey.log)})
        assert b'"_type_":"journey_log_rows"' in data
        assert b'"_type_":"event:' not in data
        decoded = transcoder.decode(data)["_log"]
        assert isinstance(decoded, list)
        assert [type(e) for e in decoded] == [type(e) for e in journey.log]
        assert decoded == list(journey.log)
        assert [vars(e) for e in decoded] == [vars(e) for e in journey.log]
        assert [event_hash(e) for e in decoded] == [e.hash for e in journey.log]
        assert replay(decoded) == journey.state
    finally:
        app.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands, st.integers(1, 30))
def test_a_snapshot_written_before_rows_still_loads_with_its_tail(
        steps: list[tuple[int, int]], snapshot_at: int) -> None:
    journey, _ = run(steps)
    app = CaseTracking(env=POPO, today=lambda: TODAY)
    try:
        app.save(journey)
        at = app.repository.get(journey.id, version=min(snapshot_at, journey.version))
        snapshot = old_snapshot(at)
        assert app.snapshots is not None
        app.snapshots.put([snapshot])
        (stored,) = app.snapshots.recorder.select_events(journey.id, desc=True, limit=1)
        assert b'"_type_":"event:' in stored.state
        assert b"journey_log_rows" not in stored.state
        loaded = app.repository.get(journey.id)
        assert loaded.log == journey.log
        assert loaded.state == journey.state
        assert loaded.version == journey.version
        if snapshot.originator_version == journey.version:
            return
        # A newer snapshot over it is written as rows and loads the same.
        app.take_snapshot(journey.id)
        (newer,) = app.snapshots.recorder.select_events(journey.id, desc=True, limit=1)
        assert b'"_type_":"journey_log_rows"' in newer.state
        assert app.repository.get(journey.id).log == journey.log
    finally:
        app.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands)
def test_the_acyclic_transcoder_writes_the_bytes_the_library_transcoder_writes(
        steps: list[tuple[int, int]]) -> None:
    """Every event of a journey, its snapshot, an idempotency record keeping a write's
    answer (the event and its clocks) and a case-reference index: ``AcyclicJSONTranscoder``
    encodes each as the library's ``JSONTranscoder`` does, and decodes what it wrote."""
    journey, _ = run(steps)
    app = CaseTracking(env=POPO, today=lambda: TODAY)
    try:
        transcoder = app.mapper.transcoder
        assert isinstance(transcoder, AcyclicJSONTranscoder)
        library = JSONTranscoder()
        app.register_transcodings(library)
        answer = app._written(journey, 0, TODAY).answer()
        events = [*journey.log, ChildJourney.Snapshot.take(journey),
                  IdempotencyRecord.recorded("LA-901:caseworker-1", "ab" * 32, "fp", answer),
                  *CaseReference("LA-901", "CR-1", journey.id).collect_events()]
        for event in events:
            state = {k: v for k, v in vars(event).items()
                     if k not in ("originator_id", "originator_version")}
            data = transcoder.encode(state)
            assert data == library.encode(state)
            assert library.decode(data) == transcoder.decode(data)
        cycle: list[Any] = []
        cycle.append(cycle)
        with pytest.raises(RecursionError):
            transcoder.encode({"answer": cycle})
    finally:
        app.close()


def test_a_chain_that_does_not_link_is_written_and_read_back_as_it_is() -> None:
    journey, _ = run([(0, 5), (3, 7), (6, 40)])
    log = list(journey.log)
    log[2] = dataclasses.replace(log[2], prev_hash="f" * 64)
    log[3] = dataclasses.replace(log[3], prev_hash="")
    app = CaseTracking(env=POPO, today=lambda: TODAY)
    try:
        transcoder = app.mapper.transcoder
        data = transcoder.encode(PackedLog(log))
        assert data.count(b"null,") > 0 and b"f" * 64 in data
        decoded = transcoder.decode(data)
        assert [e.prev_hash for e in decoded] == [e.prev_hash for e in log]
        assert decoded[1].prev_hash == log[0].hash
        assert decoded == log
    finally:
        app.close()


def test_a_snapshot_taken_and_loaded_in_memory_gives_the_log_as_a_list() -> None:
    journey, _ = run([(0, 5), (3, 7), (6, 40)])
    snapshot = ChildJourney.Snapshot.take(journey)
    assert isinstance(snapshot.state["_log"], PackedLog)
    loaded = snapshot.mutate(None)
    assert isinstance(loaded._log, list)
    assert loaded.log == journey.log
    assert loaded.state == journey.state
    assert isinstance(old_snapshot(journey).mutate(None)._log, list)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands, st.integers(0, 400))
def test_replaying_viewing_and_timelining_a_journey_changes_none_of_its_events_or_state(
        steps: list[tuple[int, int]], as_at_offset: int) -> None:
    journey, live = run(steps)
    before, state_before = fields_of(journey), copy.deepcopy(journey.state)
    as_at = START + timedelta(days=as_at_offset)
    journey.state_at(as_at=as_at)
    journey.known_at(live[len(live) // 2][0])
    journey_view_at(journey, TODAY)
    journey_view_at(journey, TODAY, as_at=as_at)
    timeline(list(journey.log), as_at=None, on=TODAY)
    timeline(list(journey.log), as_at=as_at, on=as_at)
    assert fields_of(journey) == before
    assert journey.state == state_before  # copies share it: nothing reading may change it


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands, st.integers(0, 11), st.integers(0, 400))
def test_a_command_on_a_copy_leaves_the_original_as_it_was(
        steps: list[tuple[int, int]], template: int, offset: int) -> None:
    from tests.unit.test_journey_properties import payload_for

    journey, _ = run(steps)
    journey.collect_events()  # as saved: nothing pending
    journey.state  # noqa: B018  (a state already folded must not be shared either)
    before, state_before, version = fields_of(journey), copy.deepcopy(journey.state), (
        journey.version)
    clone = copy.deepcopy(journey)
    assert clone.log == journey.log and clone.version == journey.version
    # The copy shares the folded state (issue 17): a command folds onto a copy of it,
    # and the original's state is checked unchanged below.
    assert clone.state == journey.state == replay(journey.log)
    type_name, payload = payload_for(template, START + timedelta(days=offset))
    try:
        clone.record(type_name, payload, actor=LA, occurred_on=START + timedelta(
            days=offset), today=TODAY)
    except DomainError:
        assert clone.version == version
    else:
        assert clone.version == version + 1
        assert len(clone.collect_events()) == 1
    assert clone.state == replay(clone.log)
    assert journey.version == version
    assert fields_of(journey) == before
    assert journey.state == state_before
    assert journey.collect_events() == []  # the copy's pending list is its own
    assert clone.modified_on == clone.log[-1].timestamp


def test_a_copy_made_while_the_original_grows_matches_its_own_log() -> None:
    journey = ChildJourney.register(authority="LA-901", date_of_birth=date(2014, 6, 1),
                                    actor=LA, occurred_on=START, today=TODAY)
    journey.collect_events()
    base = copy.deepcopy(journey)
    base.record("EHCNeedsAssessmentRequested", {"requester_role": "Parent",
                                                "request_source": "1"},
                actor=LA, occurred_on=START + timedelta(days=3), today=TODAY)
    (event,) = base.collect_events()
    # Fast-forward as the repository does, interrupted after the event is applied to
    # the log but before anything else: the copy must follow the log it copied.
    event.apply(journey)
    clone = copy.deepcopy(journey)
    assert clone.version == 2 == len(clone.log)
    assert clone.modified_on == event.timestamp
    assert isinstance(journey, Aggregate) and journey.version == 1


def test_copies_taken_while_another_thread_fast_forwards_are_each_whole() -> None:
    """Copies race a fast-forward, as the server's threads do: each copy must be one
    journey (its version its log's length, its state the fold of its log)."""
    source = ChildJourney.register(authority="LA-901", date_of_birth=date(2014, 6, 1),
                                   actor=LA, occurred_on=START, today=TODAY)
    source.record("EHCNeedsAssessmentRequested", {"requester_role": "Parent",
                                                  "request_source": "1"},
                  actor=LA, occurred_on=START + timedelta(days=1), today=TODAY)
    for number in range(300):
        source.record("EvidenceSubmitted", {"author_role": "School",
                                            "document_refs": [f"doc-{number}"]},
                      actor=LA, occurred_on=START + timedelta(days=2 + number % 40),
                      today=TODAY)
    events = source.collect_events()
    cached = copy.deepcopy(source)
    # The cached journey as loaded from a snapshot: no "_state" attribute yet.
    del cached.__dict__["_state"]
    cached.__dict__.update(_log=events[:1], _version=1, _modified_on=events[0].timestamp)
    copies: list[ChildJourney] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def copy_until_done() -> None:
        while not done.is_set():
            try:
                copies.append(copy.deepcopy(cached))
            except Exception as error:  # reported by the assert below
                errors.append(error)
                return

    readers = [threading.Thread(target=copy_until_done) for _ in range(2)]
    for reader in readers:
        reader.start()
    for event in events[1:]:
        event.mutate(cached)  # what the repository's fast-forward does
    done.set()
    for reader in readers:
        reader.join()
    assert errors == []
    assert cached.version == len(events)
    assert len(copies) > 10
    for clone in copies:
        assert clone.version == len(clone.log) == clone.log[-1].originator_version
        assert list(clone.log) == events[:clone.version]
    for clone in copies[:: max(1, len(copies) // 20)]:
        assert clone.state == replay(clone.log)


def reference_effective_events(log: Any, *, known_at: Any = None) -> list[Any]:
    """The plain definition ``domain.state.effective_events`` is a faster form of."""
    from domain.catalogue.registration import EntryCorrected, EntryRetracted

    if known_at is not None:
        log = [e for e in log if e.timestamp <= known_at]
    by_version = {e.originator_version: e for e in log}
    retractors: dict[int, list[int]] = {}
    for e in log:
        if isinstance(e, EntryRetracted):
            retractors.setdefault(e.target_version, []).append(e.originator_version)
    active: dict[int, bool] = {}
    for version in sorted(by_version, reverse=True):
        active[version] = not any(active[r] for r in retractors.get(version, ()))
    changes: dict[int, dict[str, Any]] = {}
    for e in log:
        if isinstance(e, EntryCorrected) and active[e.originator_version]:
            changes.setdefault(e.target_version, {}).update(e.changes)
    effective = [dataclasses.replace(e, **changes[e.originator_version])
                 if e.originator_version in changes else e
                 for e in log if active[e.originator_version]
                 and not isinstance(e, EntryCorrected | EntryRetracted)]
    return effective[:1] + sorted(effective[1:],
                                  key=lambda e: (e.occurred_on, e.originator_version))


amendment = st.tuples(st.booleans(), st.integers(1, 40), st.integers(-20, 20))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands, st.lists(amendment, max_size=12))
def test_effective_events_are_what_the_plain_definition_gives(
        steps: list[tuple[int, int]], amendments: list[tuple[bool, int, int]]) -> None:
    from domain.state import effective_events

    journey, _ = run(steps)
    for retract, target, shift in amendments:
        target_version = 1 + (target % journey.version)
        event = journey.log[target_version - 1]
        payload: dict[str, Any] = {"target_version": target_version, "reason": "review"}
        if retract:
            type_name = "EntryRetracted"
        else:
            type_name = "EntryCorrected"
            payload["changes"] = {"occurred_on": event.occurred_on + timedelta(days=shift)}
        try:
            journey.record(type_name, payload, actor=LA, occurred_on=TODAY, today=TODAY)
        except DomainError:
            continue
    for known_at in (None, *(e.timestamp for e in journey.log[::3])):
        assert effective_events(journey.log, known_at=known_at) == (
            reference_effective_events(journey.log, known_at=known_at))
