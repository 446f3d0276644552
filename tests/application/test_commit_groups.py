"""Group commit (application.commit_groups): records that arrive while a group is being
saved are saved together in the next one; each caller gets its own position, or the
group's failure; a record alone is saved at once."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import pytest

from application.commit_groups import CommitGroup
from application.errors import GroupNotCommittedError

WAITERS = 6


@dataclass
class Item:
    id: UUID


@dataclass
class Event:
    originator_id: UUID


@dataclass
class Notification:
    id: int


@dataclass
class Recording:
    domain_event: Event
    notification: Notification


class Store:
    """A fake store: positions in order; the first save can be held until told to go."""

    def __init__(self) -> None:
        self.groups: list[list[UUID]] = []
        self.hold = threading.Event()
        self.held = threading.Event()
        self.fail_group: int | None = None

    def save(self, *items: Item) -> list[Recording]:
        if not self.groups and not self.hold.is_set():
            self.held.set()
            self.hold.wait(10)
        number = len(self.groups)
        if number == self.fail_group:
            self.groups.append([])
            raise OSError("disk full")
        start = sum(len(g) for g in self.groups)
        self.groups.append([i.id for i in items])
        return [Recording(Event(i.id), Notification(start + n + 1))
                for n, i in enumerate(items)]


def commit_while_first_is_held(store: Store, group: CommitGroup
                               ) -> tuple[dict[UUID, Any], list[UUID]]:
    """Start one commit and hold its save; queue WAITERS more; then let it go."""
    answers: dict[UUID, Any] = {}
    items = [Item(uuid4()) for _ in range(WAITERS + 1)]

    def commit(item: Item) -> None:
        try:
            answers[item.id] = group.commit(item)
        except Exception as error:  # noqa: BLE001 - the answer under test
            answers[item.id] = error

    threads = [threading.Thread(target=commit, args=(items[0],))]
    threads[0].start()
    assert store.held.wait(10)
    threads += [threading.Thread(target=commit, args=(i,)) for i in items[1:]]
    for thread in threads[1:]:
        thread.start()
    deadline = time.monotonic() + 10
    while group.waiting < WAITERS and time.monotonic() < deadline:
        time.sleep(0.001)
    store.hold.set()
    for thread in threads:
        thread.join(10)
    return answers, [i.id for i in items]


def test_records_arriving_during_a_save_are_saved_together_each_with_its_position() -> None:
    store = Store()
    group = CommitGroup(store.save)
    answers, ids = commit_while_first_is_held(store, group)
    assert len(store.groups) == 2
    assert store.groups[0] == ids[:1]
    assert sorted(store.groups[1]) == sorted(ids[1:])
    assert sorted(answers.values()) == list(range(1, WAITERS + 2))
    for n, item_id in enumerate(store.groups[1]):
        assert answers[item_id] == n + 2


def test_a_failed_group_fails_every_record_in_it_and_the_next_group_is_tried_afresh() -> None:
    store = Store()
    store.fail_group = 1
    group = CommitGroup(store.save)
    answers, ids = commit_while_first_is_held(store, group)
    assert answers[ids[0]] == 1
    failed = [answers[i] for i in ids[1:]]
    assert all(isinstance(a, OSError | GroupNotCommittedError) for a in failed), failed
    # The one that saved the group raises the store's error; the others their own error.
    assert sum(isinstance(a, OSError) for a in failed) == 1
    assert all(isinstance(a.__cause__, OSError) for a in failed
               if isinstance(a, GroupNotCommittedError))
    assert group.commit(Item(uuid4())) == 2


def test_a_record_alone_is_saved_at_once_in_a_group_of_one() -> None:
    store = Store()
    store.hold.set()
    group = CommitGroup(store.save)
    assert [group.commit(Item(uuid4())) for _ in range(3)] == [1, 2, 3]
    assert [len(g) for g in store.groups] == [1, 1, 1]


def test_a_group_never_holds_more_than_its_limit() -> None:
    store = Store()
    group = CommitGroup(store.save, max_group=2)
    answers, _ = commit_while_first_is_held(store, group)
    assert sorted(answers.values()) == list(range(1, WAITERS + 2))
    assert [len(g) for g in store.groups] == [1, 2, 2, 2]


def test_a_save_that_answers_no_position_for_a_record_fails_that_record() -> None:
    group = CommitGroup(lambda *items: [])
    with pytest.raises(RuntimeError, match="position"):
        group.commit(Item(uuid4()))
