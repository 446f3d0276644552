"""Group commit: concurrent callers' records saved together, each caller answered once its
own is committed.

A caller that finds no commit under way saves every record waiting (its own and any that
arrived while it was starting) in one ``save`` — one transaction, one flush to disk — and
wakes the others; a caller that finds one under way waits for it, and then either finds
its record committed by the next group or leads that group itself. Nobody waits on a
timer: a record alone is saved at once, and under load the groups grow by themselves
with the number of callers waiting (docs/security.md, "The access log").
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.errors import GroupNotCommittedError

# At most this many records in one transaction; the rest wait for the next group.
MAX_GROUP = 256


@dataclass
class _Waiting:
    item: Any
    done: bool = False
    position: int | None = None
    error: BaseException | None = None
    leader: bool = False


class CommitGroup:
    """Save aggregates of one event each in groups; ``commit`` returns a record's position.

    ``save`` is the application's ``save``: it stores all the aggregates it is given in
    one transaction (all or none) and returns their recordings.
    """

    def __init__(self, save: Callable[..., Sequence[Any] | None],
                 max_group: int = MAX_GROUP) -> None:
        self._save = save
        self._max_group = max_group
        self._turn = threading.Condition(threading.Lock())
        self._waiting: list[_Waiting] = []
        self._saving = False

    @property
    def waiting(self) -> int:
        """Return how many records wait for a group (not counting one being saved)."""
        with self._turn:
            return len(self._waiting)

    def commit(self, item: Any) -> int:
        """Save ``item`` with whatever else is waiting; return its log position once it is
        committed, or raise what the save raised (every record of a failed group fails)."""
        mine = _Waiting(item)
        with self._turn:
            self._waiting.append(mine)
            while self._saving and not mine.done:
                self._turn.wait()
            if mine.done:
                return _answer(mine)
            self._saving = mine.leader = True
            # The leader's own record is always in its group (it may have queued behind
            # more than a group's worth): itself first, then the longest waiting.
            self._waiting.remove(mine)
            group = [mine, *self._waiting[:self._max_group - 1]]
            del self._waiting[:self._max_group - 1]
        try:
            self._save_group(group)
        finally:
            with self._turn:
                self._saving = False
                self._turn.notify_all()
        return _answer(mine)

    def _save_group(self, group: list[_Waiting]) -> None:
        try:
            recordings = self._save(*(w.item for w in group)) or ()
        except BaseException as error:  # each waiting caller raises it as its own
            for waiting in group:
                waiting.error, waiting.done = error, True
            return
        positions: dict[UUID, int] = {
            r.domain_event.originator_id: r.notification.id for r in recordings}
        for waiting in group:
            waiting.position = positions.get(waiting.item.id)
            if waiting.position is None:
                waiting.error = RuntimeError("the store did not answer a record's position")
            waiting.done = True


def _answer(waiting: _Waiting) -> int:
    if waiting.error is not None:
        if waiting.leader:
            raise waiting.error
        # One exception object is never raised in two threads: the others get their own.
        raise GroupNotCommittedError(type(waiting.error).__name__) from waiting.error
    assert waiting.position is not None
    return waiting.position
