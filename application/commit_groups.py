"""Group commit: writes that arrive while another is being committed wait and go in one
transaction together, so concurrent writers share a commit (and its flush to disk)
instead of queueing for one each. One mechanism serves the event store's recorders
(``infrastructure.pgstore``, ``infrastructure.sqlitestore``: ``GroupCommit``) and the
access log's looks (``AccessLog``: ``CommitGroup``, docs/security.md "The access log").

The first writer to arrive leads: it takes every write waiting (its own first), hands
them to ``write_batch`` and gives each writer its own outcome. Writers arriving during
that commit wait; when it ends, the first of them leads the next batch. A lone writer
commits at once (no waiting window, no timer), so one client's latency does not change;
under load the batches grow by themselves with the number of writers waiting.

``write_batch`` returns one outcome per write, in order: a result, or the exception that
write alone raises (a duplicate version fails only its own writer). An exception out of
``write_batch`` itself (a lost connection, a lock timeout, a full disk) fails every write
in the batch: the leader raises it, and each other writer ``follower_error(it)`` — by
default the same exception; the access log gives each its own
``GroupNotCommittedError`` caused by it.
"""

from __future__ import annotations

import threading
from _thread import allocate_lock as _allocate_lock
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from application.errors import GroupNotCommittedError

Write = TypeVar("Write")
Result = TypeVar("Result")

# At most this many writes in one transaction; the rest wait for the next batch.
MAX_BATCH = 64


class _Waiting(Generic[Write, Result]):
    """A write and its outcome. ``done`` is a lock taken at creation: the writer waits by
    taking it again, and is woken (answered, or to lead) by its release, which happens at
    most once while the writer waits (a plain lock is cheaper than an ``Event``, whose
    every wait makes a lock and a condition of its own)."""

    __slots__ = ("write", "done", "leads", "result", "error")

    def __init__(self, write: Write) -> None:
        self.write = write
        self.done = _allocate_lock()
        self.done.acquire()
        self.leads = False
        self.result: Result | None = None
        self.error: BaseException | None = None


def _same(error: BaseException) -> BaseException:
    return error


class GroupCommit(Generic[Write, Result]):
    """Batch concurrent callers' writes into shared transactions (see module docstring)."""

    def __init__(self, write_batch: Callable[[Sequence[Write]], Sequence[Result | Exception]],
                 max_batch: int = MAX_BATCH,
                 follower_error: Callable[[BaseException], BaseException] = _same) -> None:
        self._write_batch = write_batch
        self._max_batch = max_batch
        self._follower_error = follower_error
        self._guard = threading.Lock()
        self._waiting: list[_Waiting[Write, Result]] = []
        self._leading = False
        self.batches = 0  # batches written, and the writes in them (for checks)
        self.writes = 0

    @property
    def waiting(self) -> int:
        """Return how many writes wait for a batch (not counting those being written)."""
        with self._guard:
            return len(self._waiting)

    def submit(self, write: Write) -> Result:
        """Write ``write`` (with whatever else is waiting); return its result or raise its
        error."""
        waiting: _Waiting[Write, Result] = _Waiting(write)
        with self._guard:
            self._waiting.append(waiting)
            leads = waiting.leads = not self._leading
            self._leading = True
        if not leads:
            waiting.done.acquire()  # answered, or woken to lead the next batch
        if waiting.leads:
            self._lead()  # its own write is the first waiting, so in this batch
        if waiting.error is not None:
            raise waiting.error
        return waiting.result  # type: ignore[return-value]

    def _lead(self) -> None:
        with self._guard:
            batch = self._waiting[:self._max_batch]
            del self._waiting[:self._max_batch]
            self.batches += 1
            self.writes += len(batch)
        try:
            outcomes = list(self._write_batch([w.write for w in batch]))
            if len(outcomes) != len(batch):
                raise RuntimeError(f"{len(outcomes)} outcomes for {len(batch)} writes")
        except BaseException as error:  # noqa: BLE001 - every writer gets it
            # One exception object is never raised in two threads unless asked for.
            outcomes = [error if w.leads else self._follower_error(error)  # type: ignore[misc]
                        for w in batch]
        for waiting, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                waiting.error = outcome
            else:
                waiting.result = outcome
        self._hand_on(batch)

    def _hand_on(self, batch: list[_Waiting[Write, Result]]) -> None:
        """Answer the batch's writers, and wake the first writer waiting to lead."""
        with self._guard:
            following = self._waiting[0] if self._waiting else None
            if following is None:
                self._leading = False
            else:
                following.leads = True
        for waiting in batch:
            waiting.done.release()
        if following is not None:
            following.done.release()


def _not_committed(error: BaseException) -> BaseException:
    own = GroupNotCommittedError(type(error).__name__)
    own.__cause__ = error
    return own


class CommitGroup:
    """Save aggregates of one event each in groups; ``commit`` returns a record's position.

    ``save`` is the application's ``save``: it stores all the aggregates it is given in
    one transaction (all or none) and returns their recordings.
    """

    def __init__(self, save: Callable[..., Sequence[Any] | None],
                 max_group: int = 256) -> None:
        self._save = save
        self._group: GroupCommit[Any, int] = GroupCommit(
            self._save_group, max_group, follower_error=_not_committed)

    @property
    def waiting(self) -> int:
        """Return how many records wait for a group (not counting one being saved)."""
        return self._group.waiting

    def commit(self, item: Any) -> int:
        """Save ``item`` with whatever else is waiting; return its log position once it is
        committed, or raise what the save raised (every record of a failed group fails)."""
        return self._group.submit(item)

    def _save_group(self, items: Sequence[Any]) -> list[int | Exception]:
        recordings = self._save(*items) or ()
        positions: dict[Any, int] = {
            r.domain_event.originator_id: r.notification.id for r in recordings}
        return [positions[item.id] if item.id in positions
                else RuntimeError("the store did not answer a record's position")
                for item in items]
