"""``casetrack deliver``: send the outbox's messages to the subscribed webhooks (issue 16).

The projection worker (``casetrack projections run``) ticks a ``Deliverer`` on every pass
of its loop, and the embedded server runs one in a thread, so nothing else need run;
``casetrack deliver`` runs the same delivery on its own (``--once``: what is due now, then
exit), e.g. beside a worker that was started without it.
"""

from __future__ import annotations

import argparse
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import structlog

from web.config import Settings

logger = structlog.get_logger()
# Seconds between delivery passes of a worker.
DELIVERY_INTERVAL = 1.0


def add_commands(subparsers: Any) -> None:
    deliver = subparsers.add_parser("deliver", help="send the outbox's messages to the "
                                    "subscribed webhooks (retries, dead letters)")
    deliver.add_argument("--once", action="store_true",
                         help="send what is due now, then exit (default: keep going)")


def handlers() -> dict[str, Callable[[Settings, argparse.Namespace], int]]:
    return {"deliver": deliver_command}


class Deliverer:
    """One delivery pass every ``interval`` seconds on ``tick``; never raises out of it."""

    def __init__(self, settings: Settings, engine: Any, *, interval: float =
                 DELIVERY_INTERVAL, now: Callable[[], float] = time.time) -> None:
        from application.webhooks import DeliveryPolicy
        from infrastructure.webhooks import SQLWebhooks
        from web.config import master_key

        self.store = SQLWebhooks(engine, master_key(settings))
        self.policy = DeliveryPolicy(max_attempts=settings.webhook_max_attempts,
                                     backoff_seconds=settings.webhook_backoff_seconds,
                                     timeout_seconds=settings.webhook_timeout_seconds)
        self.interval = interval
        self.now = now
        self._last = float("-inf")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> Any:
        """Queue and send what is due now; return the pass's report."""
        from application.webhooks import deliver_due
        from infrastructure.webhooks import http_send

        return deliver_due(self.store, http_send, self.policy, now=self.now)

    def tick(self) -> Any:
        if time.monotonic() - self._last < self.interval:
            return None
        self._last = time.monotonic()
        try:
            report = self.run_once()
        except Exception as error:  # a database that is down: try again next tick
            logger.warning("webhook_delivery_pass_failed", error_type=type(error).__name__)
            return None
        if report.queued or report.delivered or report.failed:
            logger.info("webhook_deliveries", queued=report.queued,
                        delivered=report.delivered, failed=report.failed, dead=report.dead)
        return report

    def start(self) -> None:
        """Tick in a daemon thread until ``close`` (the embedded server)."""
        def loop() -> None:
            while not self._stop.wait(self.interval):
                self.tick()

        self._thread = threading.Thread(target=loop, name="webhook-delivery", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def deliver_command(settings: Settings, args: argparse.Namespace) -> int:
    from infrastructure.migrations import upgrade
    from infrastructure.projections import ReadModelDatabase

    engine = ReadModelDatabase.beside(settings.database_url, settings.data_dir,
                                      settings.pool).engine()
    try:
        upgrade(engine)
        deliverer = Deliverer(settings, engine)
        if args.once:
            report = deliverer.run_once()
            print(f"queued {report.queued}, delivered {report.delivered}, failed "
                  f"{report.failed} (dead {report.dead})")
            return 0
        stopping = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())
        signal.signal(signal.SIGINT, lambda *_: stopping.set())
        print("delivering webhooks", flush=True)
        while not stopping.wait(DELIVERY_INTERVAL):
            deliverer.tick()
        return 0
    finally:
        engine.dispose()
