"""Group commit (application/commit_groups.py) and the recorders that use it.

The batching itself is checked with a write that blocks until told, so which writes
share a batch is known, not raced. Then a stress test on both stores: many threads in
two applications (two server processes) registering children, recording their events
and writing one hot journey, each key sent twice, and two writers racing for one case
reference; every caller's answer is checked against what the store holds.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError

from application.commit_groups import GroupCommit
from application.errors import CaseReferenceTakenError, ConcurrentWriteError
from application.idempotency import fingerprint, key_hash
from application.tracking import CaseTracking, Idempotency, WriteResult
from domain.actors import Actor
from infrastructure.persistence import event_store_env, sqlalchemy_url
from infrastructure.vault import SQLITE_FILE, SQLVault

TODAY = date(2024, 6, 3)
CASEWORKER = Actor("officer-1", "caseworker", "LA-901")
THREADS = 12
CHILDREN_PER_THREAD = 2
HOT_WRITES_PER_THREAD = 3


# The batching.


class Recording:
    """A batch writer that records its batches and holds the first until released."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.release = threading.Event()
        self.entered = threading.Event()

    def __call__(self, writes: Sequence[str]) -> list[str | Exception]:
        self.batches.append(list(writes))
        self.entered.set()
        self.release.wait(timeout=30)
        if "whole batch fails" in writes:
            raise OSError("connection lost")
        return [ValueError(w) if w.startswith("bad") else w.upper() for w in writes]


def _submit_all(group: GroupCommit[str, str], writes: list[str]
                ) -> tuple[dict[str, Any], list[threading.Thread]]:
    outcomes: dict[str, Any] = {}

    def submit(write: str) -> None:
        try:
            outcomes[write] = group.submit(write)
        except Exception as error:  # noqa: BLE001 - the outcome under test
            outcomes[write] = error

    threads = [threading.Thread(target=submit, args=(w,)) for w in writes]
    for thread in threads:
        thread.start()
    return outcomes, threads


def _waiting(group: GroupCommit[str, str], count: int) -> None:
    for _ in range(3000):  # until `count` writes wait behind the running batch
        with group._guard:
            if len(group._waiting) >= count:
                return
        threading.Event().wait(0.01)
    raise AssertionError("the writes never queued")


def test_a_lone_write_is_committed_at_once_in_a_batch_of_its_own() -> None:
    writer = Recording()
    writer.release.set()
    group: GroupCommit[str, str] = GroupCommit(writer)
    assert group.submit("one") == "ONE"
    assert writer.batches == [["one"]]


def test_writes_arriving_during_a_commit_share_the_next_and_each_gets_its_own_outcome(
) -> None:
    writer = Recording()
    group: GroupCommit[str, str] = GroupCommit(writer)
    first, first_threads = _submit_all(group, ["first"])
    assert writer.entered.wait(timeout=30)
    rest, threads = _submit_all(group, ["a", "bad b", "c"])
    _waiting(group, 3)
    writer.release.set()
    for thread in first_threads + threads:
        thread.join(timeout=30)
    assert writer.batches[0] == ["first"]
    assert sorted(writer.batches[1]) == ["a", "bad b", "c"]
    assert first == {"first": "FIRST"}
    assert rest["a"] == "A" and rest["c"] == "C"
    assert isinstance(rest["bad b"], ValueError)  # one writer's error is its own


def test_a_batch_that_fails_as_a_whole_fails_its_writers_and_the_next_batch_goes_on(
) -> None:
    writer = Recording()
    group: GroupCommit[str, str] = GroupCommit(writer)
    first, first_threads = _submit_all(group, ["whole batch fails"])
    assert writer.entered.wait(timeout=30)
    rest, threads = _submit_all(group, ["x", "y"])
    _waiting(group, 2)
    writer.release.set()
    for thread in first_threads + threads:
        thread.join(timeout=30)
    assert isinstance(first["whole batch fails"], OSError)
    assert rest == {"x": "X", "y": "Y"}
    assert group.submit("z") == "Z"  # nobody is left leading a dead batch


def test_a_batch_is_at_most_max_batch_writes() -> None:
    writer = Recording()
    group: GroupCommit[str, str] = GroupCommit(writer, max_batch=2)
    first, first_threads = _submit_all(group, ["first"])
    assert writer.entered.wait(timeout=30)
    rest, threads = _submit_all(group, ["p", "q", "r"])
    _waiting(group, 3)
    writer.release.set()
    for thread in first_threads + threads:
        thread.join(timeout=30)
    assert [len(b) for b in writer.batches] == [1, 2, 1]
    assert rest == {"p": "P", "q": "Q", "r": "R"}


# The recorders, on both stores.


MASTER_KEY = os.urandom(32)


@pytest.fixture
def apps(tmp_path: Path, store_url: str | None) -> Iterator[list[CaseTracking]]:
    """Two applications on one store, as two server processes would be, each with its
    vault (on PostgreSQL a registration's key is committed in its events' batch)."""
    env = event_store_env(store_url, tmp_path)
    made = [CaseTracking(env=env, today=lambda: TODAY) for _ in range(2)]
    for app in made:
        app.vault = SQLVault.at(sqlalchemy_url(store_url, tmp_path, SQLITE_FILE), MASTER_KEY)
    yield made
    for app in made:
        app.vault.close()  # type: ignore[union-attr]
        app.close()


def test_recorder_fails_only_the_writer_whose_version_is_taken(
        apps: list[CaseTracking]) -> None:
    from eventsourcing.persistence import StoredEvent

    recorder: Any = apps[0].recorder
    taken, free = uuid4(), uuid4()
    recorder.insert_events([StoredEvent(taken, 1, "topic", b"first")])
    writes = [[StoredEvent(free, 1, "topic", b"a"), StoredEvent(free, 2, "topic", b"b")],
              [StoredEvent(taken, 1, "topic", b"again")],
              [StoredEvent(uuid4(), 1, "topic", b"c")]]
    # PostgreSQL's writes carry a registration's personal-data key (none here).
    outcomes = recorder._insert_batch(
        [(w, None) for w in writes] if getattr(recorder, "saves_personal_data_keys", False)
        else writes)
    assert isinstance(outcomes[1], IntegrityError)
    assert len(outcomes[0]) == 2 and len(outcomes[2]) == 1
    assert outcomes[0][0] < outcomes[0][1] < outcomes[2][0]  # in the batch's order
    assert [e.state for e in recorder.select_events(taken)] == [b"first"]
    assert [e.state for e in recorder.select_events(free)] == [b"a", b"b"]
    with pytest.raises(IntegrityError):
        recorder.insert_events([StoredEvent(taken, 1, "topic", b"once more")])


def test_recorder_reads_a_journey_in_every_shape_as_the_library_does(
        apps: list[CaseTracking]) -> None:
    """Our recorders' ``select_events`` (PostgreSQL's statement composed once per shape,
    SQLite's own) answer every ``gt``/``lte``/``desc``/``limit`` the library's does."""
    from itertools import product

    from eventsourcing.persistence import StoredEvent

    recorder: Any = apps[0].recorder
    library = next(cls for cls in type(recorder).__mro__ if cls.__module__ in (
        "eventsourcing.postgres", "eventsourcing.sqlite") and "select_events" in vars(cls))
    journey = uuid4()
    recorder.insert_events([StoredEvent(journey, v, f"topic-{v}", bytes([v]) * v)
                            for v in range(1, 7)])
    recorder.insert_events([StoredEvent(uuid4(), 1, "topic", b"other")])
    shapes = 0
    for gt, lte, desc, limit in product((None, 0, 2), (None, 4, 9), (False, True), (None, 2)):
        ours = recorder.select_events(journey, gt=gt, lte=lte, desc=desc, limit=limit)
        assert ours == library.select_events(recorder, journey, gt=gt, lte=lte, desc=desc,
                                             limit=limit), (gt, lte, desc, limit)
        shapes += bool(ours)
    assert shapes == 36  # every one found events
    assert [e.originator_version for e in recorder.select_events(
        journey, gt=2, lte=5, desc=True, limit=2)] == [5, 4]


class Outcomes:
    """What each caller was told, gathered from every thread."""

    def __init__(self) -> None:
        self.guard = threading.Lock()
        self.results: dict[str, WriteResult] = {}  # key -> first answer
        self.counts: Counter[str] = Counter()
        self.case_ref_refused: list[str] = []

    def answered(self, key: str, result: WriteResult) -> None:
        with self.guard:
            self.counts["replayed" if result.replayed else "recorded"] += 1
            first = self.results.setdefault(key, result)
            assert (first.child_id, first.version) == (result.child_id, result.version)


def _keyed(run: str, key: str, target: str, body: dict[str, Any]) -> Idempotency:
    return Idempotency(key_hash(f"{run}:{key}"), fingerprint("POST", target, body))


def _register(app: CaseTracking, run: str, key: str, case_ref: str) -> WriteResult:
    return app.register_child(
        authority="LA-901", date_of_birth=date(2015, 3, 2), actor=CASEWORKER,
        occurred_on=date(2024, 1, 2), case_ref=case_ref,
        idempotency=_keyed(run, key, "/children", {"case_ref": case_ref}))


def _request(app: CaseTracking, run: str, key: str, child: UUID) -> WriteResult:
    body = {"type": "EHCNeedsAssessmentRequested", "requester_role": "Parent"}
    return app.record_event(child, "EHCNeedsAssessmentRequested",
                            {"requester_role": "Parent", "request_source": "1"},
                            actor=CASEWORKER, occurred_on=date(2024, 1, 8),
                            idempotency=_keyed(run, key, f"/children/{child}/events", body))


def _views(app: CaseTracking, run: str, key: str, child: UUID) -> WriteResult:
    body = {"type": "FamilyViewsSubmitted", "author_role": key}
    return app.record_event(child, "FamilyViewsSubmitted", {"author_role": key},
                            actor=CASEWORKER, occurred_on=date(2024, 1, 10),
                            idempotency=_keyed(run, key, f"/children/{child}/events", body))


def _writer(apps: list[CaseTracking], run: str, number: int, hot: UUID, contested: str,
            outcomes: Outcomes) -> None:
    app = apps[number % 2]
    if number < 2:  # two writers race for one case reference, with keys of their own
        try:
            outcomes.answered(f"contested-{number}",
                              _register(app, run, f"contested-{number}", contested))
        except CaseReferenceTakenError:
            with outcomes.guard:
                outcomes.case_ref_refused.append(f"contested-{number}")
    for c in range(CHILDREN_PER_THREAD):
        key = f"child-{number}-{c}"
        child = None
        for _sending in ("first", "again"):
            result = _register(app, run, key, f"{run}-{number}-{c}")
            outcomes.answered(key, result)
            child = result.child_id
        assert child is not None
        for _sending in ("first", "again"):
            outcomes.answered(f"{key}-request", _request(app, run, f"{key}-request", child))
    for n in range(HOT_WRITES_PER_THREAD):
        key = f"hot-{number}-{n}"
        for _sending in ("first", "again"):
            try:
                outcomes.answered(key, _views(app, run, key, hot))
            except ConcurrentWriteError:  # lost every race to the other process
                with outcomes.guard:
                    outcomes.counts["409"] += 1


def test_many_writers_in_two_processes_each_get_their_own_answer_and_nothing_is_lost(
        apps: list[CaseTracking], capsys: pytest.CaptureFixture[str], tmp_path: Path,
        store_url: str | None) -> None:
    run = uuid4().hex[:12]  # keys and references of this run only (the store is shared)
    outcomes = Outcomes()
    opened = _register(apps[0], run, "hot", f"{run}-hot")
    outcomes.answered("hot", opened)
    hot = opened.child_id
    outcomes.answered("hot-request", _request(apps[0], run, "hot-request", hot))
    contested = f"{run}-contested"
    threads = [threading.Thread(target=_writer, args=(apps, run, n, hot, contested, outcomes))
               for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not any(thread.is_alive() for thread in threads)

    # Exactly one of the two racing registrations won the reference.
    assert len(outcomes.case_ref_refused) == 1
    winner = ({"contested-0", "contested-1"} - set(outcomes.case_ref_refused)).pop()
    assert apps[1].find_by_case_ref("LA-901", contested) == outcomes.results[winner].child_id
    # Every key was recorded once; a key sent twice was replayed the second time, unless
    # its first sending lost every race on the hot journey (409).
    sent_twice = THREADS * (2 * CHILDREN_PER_THREAD + HOT_WRITES_PER_THREAD)
    assert outcomes.counts["recorded"] == len(outcomes.results)
    assert outcomes.counts["recorded"] + outcomes.counts["replayed"] + \
        outcomes.counts["409"] == 2 * sent_twice + 3  # hot, its request, the winner

    journeys: dict[UUID, Any] = {}
    for result in outcomes.results.values():
        if result.child_id not in journeys:
            journeys[result.child_id] = apps[1].journey_for_update(result.child_id)
    journeys[hot] = apps[1].journey_for_update(hot)
    for journey in journeys.values():  # versions without gaps, each key's event once
        assert [e.originator_version for e in journey.log] == list(
            range(1, journey.version + 1))
        hashes = [e.idempotency_key_hash for e in journey.log if e.idempotency_key_hash]
        assert len(hashes) == len(set(hashes))
    stored_hashes = Counter(e.idempotency_key_hash for j in journeys.values() for e in j.log)
    for key, result in outcomes.results.items():  # each answer is what the store holds
        event = journeys[result.child_id].log[result.version - 1]
        assert event.idempotency_key_hash == key_hash(f"{run}:{key}")
        assert stored_hashes[key_hash(f"{run}:{key}")] == 1
    # Every journey's key is stored (read by a vault with nothing in its memory).
    reader = SQLVault.at(sqlalchemy_url(store_url, tmp_path, SQLITE_FILE), MASTER_KEY)
    try:
        assert all(reader.cipher(child) is not None for child in journeys)
    finally:
        reader.close()
    # The log gives each write its own place, in each journey's version order.
    positions = [r.position for r in outcomes.results.values()]
    assert len(positions) == len(set(positions))
    hot_log = [n for n in apps[0].recorder.select_notifications(
        start=1, limit=100_000, topics=()) if n.originator_id == hot]
    assert [n.originator_version for n in hot_log] == list(range(1, journeys[hot].version + 1))
    # Every save went through the group commit (not the library's own insert).
    groups = [app.recorder.group_commit for app in apps]  # type: ignore[attr-defined]
    assert sum(g.writes for g in groups) >= outcomes.counts["recorded"]
    with capsys.disabled():
        print(f"\ngroup commit: {sum(g.writes for g in groups)} saves in "
              f"{sum(g.batches for g in groups)} commits")
