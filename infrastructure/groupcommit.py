"""Group commit: writes that arrive while another is being committed wait and go in one
transaction together, so concurrent writers share a commit (and its flush to disk)
instead of queueing for one each.

The first writer to arrive leads: it takes every write waiting (its own first), hands
them to ``write_batch`` and gives each writer its own outcome. Writers arriving during
that commit wait; when it ends, the first of them leads the next batch. A lone writer
commits at once (no waiting window), so one client's latency does not change.

``write_batch`` returns one outcome per write, in order: a result, or the exception that
write alone raises (a duplicate version fails only its own writer). An exception out of
``write_batch`` itself (a lost connection, a lock timeout) fails every write in the batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

Write = TypeVar("Write")
Result = TypeVar("Result")

MAX_BATCH = 64


class _Waiting(Generic[Write, Result]):
    __slots__ = ("write", "done", "leads", "result", "error")

    def __init__(self, write: Write) -> None:
        self.write = write
        self.done = threading.Event()
        self.leads = False
        self.result: Result | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[Write, Result]):
    """Batch concurrent callers' writes into shared transactions (see module docstring)."""

    def __init__(self, write_batch: Callable[[Sequence[Write]], Sequence[Result | Exception]],
                 max_batch: int = MAX_BATCH) -> None:
        self._write_batch = write_batch
        self._max_batch = max_batch
        self._guard = threading.Lock()
        self._waiting: list[_Waiting[Write, Result]] = []
        self._leading = False
        self.batches = 0  # batches written, and the writes in them (for checks)
        self.writes = 0

    def submit(self, write: Write) -> Result:
        """Write ``write`` (with whatever else is waiting); return its result or raise its
        error."""
        waiting: _Waiting[Write, Result] = _Waiting(write)
        with self._guard:
            self._waiting.append(waiting)
            leads = waiting.leads = not self._leading
            self._leading = True
        if not leads:
            waiting.done.wait()  # answered, or woken to lead the next batch
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
            outcomes = [error] * len(batch)  # type: ignore[list-item]
        for waiting, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                waiting.error = outcome
            else:
                waiting.result = outcome
        with self._guard:
            following = self._waiting[0] if self._waiting else None
            if following is None:
                self._leading = False
            else:
                following.leads = True
        for waiting in batch:
            waiting.done.set()
        if following is not None:
            following.done.set()
