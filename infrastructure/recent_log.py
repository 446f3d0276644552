"""The log entries the projection group last read, kept for the automatic checkpoint.

The projection worker reads every new entry of the log from the store and decodes it
for its projections; its automatic checkpoint, moments later, read and decoded the same
entries again. ``RecentLog`` keeps what the group read (each row as the store gave it,
and the journey event decoded from those bytes) so the checkpoint reads only what it
does not hold. It keeps one run of positions read without a gap, ``(after, last]``,
and at most ``limit`` entries (the oldest go first): what it cannot give, the
checkpoint reads from the store as before.

What a checkpoint proves is unchanged: it anchors the bytes the store held when the
group read them (before the checkpoint, never a copy that did not come from the store),
and it still checks every unanchored event's chain (its ``prev_hash`` link and its hash
recomputed from its content) and the anchored tail against the store. A row changed
after the group read it differs from its anchored leaf: the next ``verify`` reports it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from eventsourcing.persistence import Notification

from domain.events import JourneyEvent

Row = tuple[Notification, JourneyEvent | None]
T = TypeVar("T")


class RecentLog:
    """One run of the log's entries, ``(after, last]``, read from the store in order."""

    def __init__(self, limit: int = 5000) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._after = 0
        self._rows: list[Row] = []

    def offer(self, after: int, notifications: Sequence[Notification],
              events: Sequence[JourneyEvent | None]) -> None:
        """Keep one batch read from the store: every entry of ``(after, last]``, in order,
        each with its decoded journey event (None for an entry of another kind)."""
        if not notifications:
            return
        with self._lock:
            if after != self._end():  # not the run's next batch: a new run
                self._after, self._rows = after, []
            self._rows.extend(zip(notifications, events, strict=True))
            if len(self._rows) > self.limit:
                cut = len(self._rows) - self.limit
                self._after = self._rows[cut - 1][0].id
                del self._rows[:cut]

    def forget(self, position: int) -> None:
        """Drop the entries up to ``position`` (a checkpoint anchored them)."""
        with self._lock:
            if position >= self._end():
                self._after, self._rows = self._end(), []
                return
            if position > self._after:
                self._rows = [row for row in self._rows if row[0].id > position]
                self._after = position

    def entries(self, after: int, stop: int, read: Callable[[int, int], Iterator[T]],
                held: Callable[[Row], T]) -> Iterator[T]:
        """Yield the log's entries in ``(after, stop]``: ``held(row)`` for each row held,
        ``read(a, b)`` (the store's ``(a, b]``) before and after them."""
        with self._lock:
            low, high = max(self._after, after), min(self._end(), stop)
            rows = [row for row in self._rows if low < row[0].id <= high] \
                if low < high else []
        if not rows:
            yield from read(after, stop)
            return
        yield from read(after, low)
        for row in rows:
            yield held(row)
        yield from read(high, stop)

    def __len__(self) -> int:
        return len(self._rows)

    def _end(self) -> int:
        return self._rows[-1][0].id if self._rows else self._after
