"""Automatic checkpoints: every N events or M minutes, whichever comes first.

The projection worker (``casetrack projections run``) ticks an ``AutoCheckpointer``
on every pass of its loop; the embedded server runs one in a thread. Each tick costs
two small queries; a checkpoint is made when ``every_events`` entries are unanchored,
or when anything is unanchored and the newest checkpoint is ``every_seconds`` old.
The checkpoint takes the cheap path (only the unanchored entries are verified), so
the window in which a writer to the database can rewrite or drop the newest events
undetected is at most N events or M minutes (plus one tick), and it closes for good
when the checkpoint reaches the witness.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import structlog

from infrastructure.checkpoints import Checkpoint, IntegrityError
from infrastructure.integrity import LogIntegrity, LogTamperedError
from infrastructure.witness import WitnessError

logger = structlog.get_logger()


class AutoCheckpointer:
    """Decide when a checkpoint is due and make it; never raise out of ``tick``."""

    def __init__(self, log: LogIntegrity, *, every_events: int, every_seconds: float,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.log = log
        self.every_events = every_events
        self.every_seconds = every_seconds
        self._now = now
        self.refused: LogTamperedError | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        return self.every_events > 0 or self.every_seconds > 0

    def due(self) -> bool:
        """Is a checkpoint due: enough unanchored events, or an old enough checkpoint?"""
        if not self.enabled:
            return False
        head = self.log.application.recorder.max_notification_id() or 0
        latest = self.log.store.latest()
        unanchored = head - (latest.position if latest else 0)
        if unanchored <= 0:
            return False
        if latest is None or (self.every_events and unanchored >= self.every_events):
            return True
        age = (self._now() - datetime.fromisoformat(latest.created_at)).total_seconds()
        return bool(self.every_seconds) and age >= self.every_seconds

    def tick(self) -> Checkpoint | None:
        """Make a checkpoint if one is due; log (never raise) a refusal or a failure."""
        try:
            if not self.due():
                return None
            checkpoint = self.log.checkpoint(full=False)
        except LogTamperedError as error:
            if self.refused is None or str(self.refused) != str(error):
                logger.error("integrity_checkpoint_refused", finding=str(error),
                             findings=len(error.findings))
            self.refused = error
            return None
        except (IntegrityError, WitnessError) as error:
            logger.warning("integrity_checkpoint_failed", error=str(error))
            return None
        except Exception as error:  # a database that is down: try again next tick
            logger.warning("integrity_checkpoint_failed", error_type=type(error).__name__)
            return None
        self.refused = None
        if self.log.recent is not None:  # anchored: the held entries up to it are done
            self.log.recent.forget(checkpoint.position)
        logger.info("integrity_checkpoint", seq=checkpoint.seq, position=checkpoint.position,
                    tree_size=checkpoint.tree_size)
        return checkpoint

    def start(self, interval: float = 1.0) -> None:
        """Tick every ``interval`` seconds in a daemon thread until ``close``."""
        if not self.enabled or self._thread is not None:
            return

        def run() -> None:
            while not self._stop.wait(interval):
                self.tick()

        self._thread = threading.Thread(target=run, name="casetrack-checkpointer",
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
