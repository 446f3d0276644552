"""A runner's poll lingers after a short batch while the log grows, and stops lingering
once an interval adds nothing (infrastructure/polling.py, issue 17): batches stay large
under a stream of writes, and the read models catch up soon after a burst ends."""

from __future__ import annotations

import threading
import uuid

from eventsourcing.persistence import StoredEvent
from eventsourcing.popo import POPOApplicationRecorder

from infrastructure.polling import PollingSubscription


class Log(POPOApplicationRecorder):
    """An in-memory log whose head is read through ``max_notification_id``; with
    ``growing``, each read of the head finds one more entry written (a stream of writes)."""

    def __init__(self) -> None:
        super().__init__()
        self.growing = False
        self.head_reads = 0

    def write(self, count: int = 1) -> None:
        self.insert_events([StoredEvent(uuid.uuid4(), 1, "casetrack:Entry", b"{}")
                            for _ in range(count)])

    def max_notification_id(self) -> int | None:
        self.head_reads += 1
        if self.growing:
            self.write()
        return super().max_notification_id()


def subscription(log: Log, linger: float) -> PollingSubscription:
    return PollingSubscription(log, gt=0, batch_size=100, interval=0.005, linger=linger)


def test_a_paused_log_is_taken_after_one_quiet_interval_not_the_whole_linger() -> None:
    log = Log()
    log.write(3)
    follower = subscription(log, linger=60.0)
    assert [n.id for n in follower.next_batch()] == [1, 2, 3]  # short: the next lingers
    log.write(2)  # a burst that then ends

    # The first look finds the two new entries, the second finds nothing more: taken
    # then, not after the minute the linger allows.
    assert [n.id for n in follower.next_batch()] == [4, 5]
    assert log.head_reads == 2


def test_the_poll_lingers_while_the_log_keeps_growing() -> None:
    log = Log()
    log.write(3)
    follower = subscription(log, linger=0.2)
    follower.next_batch()
    log.growing = True

    batch = follower.next_batch()

    # Every look found one more entry, so it waited out the linger (0.2 s at 5 ms a
    # look: tens of looks) and then took every entry written meanwhile in one batch.
    assert log.head_reads >= 5
    assert [n.id for n in batch] == list(range(4, 4 + log.head_reads))


def test_nothing_new_after_a_short_batch_goes_back_to_polling() -> None:
    log = Log()
    log.write(1)
    follower = subscription(log, linger=60.0)
    follower.next_batch()
    writer = threading.Timer(0.05, log.write)
    writer.start()

    # Nothing arrived in the first interval: no lingering (one look at the head); the
    # entry written later is found by the ordinary poll.
    assert [n.id for n in follower.next_batch()] == [2]
    assert log.head_reads == 1
    writer.join()
