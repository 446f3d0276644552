"""``casetrack deliver`` and ``casetrack digest`` (issue 16): webhooks from the outbox, and
the daily digest by mail.

The projection worker (``casetrack projections run``; on the embedded store, the one
``casetrack serve`` starts beside itself) ticks a ``Deliverer`` and a ``Digester`` on every
pass of its loop, so nothing else need run; ``casetrack deliver`` runs the same delivery
on its own (``--once``: what is due now, then exit), and ``casetrack digest`` sends
today's digest now.
"""

from __future__ import annotations

import argparse
import signal
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from web.config import Settings

# Seconds between delivery passes of a worker.
DELIVERY_INTERVAL = 1.0


def _logger() -> Any:
    """structlog's logger, imported when first used: structlog imports rich when it is
    installed, which ``casetrack --help`` has no need of."""
    import structlog

    return structlog.get_logger()


def add_commands(subparsers: Any) -> None:
    deliver = subparsers.add_parser("deliver", help="send the outbox's messages to the "
                                    "subscribed webhooks (retries, dead letters)")
    deliver.add_argument("--once", action="store_true",
                         help="send what is due now, then exit (default: keep going)")
    digest = subparsers.add_parser("digest", help="mail today's digest of late and due "
                                   "steps to each caseworker (and configured contacts)")
    digest.add_argument("--again", action="store_true",
                        help="send even if today's digest was sent already")
    digest.add_argument("--within", type=int, default=14, metavar="DAYS",
                        help="steps due within this many days (default 14)")


def handlers() -> dict[str, Callable[[Settings, argparse.Namespace], int]]:
    return {"deliver": deliver_command, "digest": digest_command}


UK = "Europe/London"


class Digester:
    """Send the day's digest once, after ``CASETRACK_DIGEST_HOUR`` (UK time), on ``tick``;
    never raises out of it."""

    def __init__(self, settings: Settings, engine: Any, *,
                 now: Callable[[], datetime] | None = None) -> None:
        self.settings = settings
        self.engine = engine
        self.now = now or (lambda: datetime.now(ZoneInfo(UK)))
        self._done: date | None = None  # the last day found sent (no query until the next)

    @property
    def enabled(self) -> bool:
        mail = self.settings.delivery
        return mail.smtp_host is not None and mail.digest_hour is not None

    def send(self, day: date, within_days: int = 14) -> Any:
        """Send ``day``'s digests now; return the run (counts)."""
        from application.digest import send_daily_digest
        from application.tracking import CaseTracking
        from infrastructure.mail import SMTPMailer
        from infrastructure.readmodels import SQLReadModels
        from web.config_delivery import digest_address

        mail = self.settings.delivery
        assert mail.smtp_host is not None and mail.smtp_from is not None
        mailer = SMTPMailer(mail.smtp_host, mail.smtp_port, mail.smtp_from, mail.smtp_tls,
                            mail.smtp_user, mail.smtp_password)
        return send_daily_digest(
            SQLReadModels(self.engine, CaseTracking.name), mailer, today=day,
            within_days=within_days, contacts=dict(mail.digest_contacts),
            address_of=lambda user, org: digest_address(mail, user, org))

    def tick(self) -> Any:
        from infrastructure.mail import claim_day, record_sent

        if not self.enabled:
            return None
        moment = self.now()
        assert self.settings.delivery.digest_hour is not None
        if moment.hour < self.settings.delivery.digest_hour or self._done == moment.date():
            return None
        try:
            claimed = claim_day(self.engine, moment.date())
            self._done = moment.date()
            if not claimed:
                return None
            run = self.send(moment.date())
            record_sent(self.engine, moment.date(), run.sent)
        except Exception as error:  # the database or the mail server is down
            _logger().warning("digest_failed", error_type=type(error).__name__)
            return None
        return run


def digest_command(settings: Settings, args: argparse.Namespace) -> int:
    import sys

    from infrastructure.mail import claim_day, record_sent
    from infrastructure.migrations import upgrade
    from infrastructure.projections import ReadModelDatabase

    if settings.delivery.smtp_host is None:
        print("casetrack digest: no mail server: set CASETRACK_SMTP_HOST and "
              "CASETRACK_SMTP_FROM", file=sys.stderr)
        return 2
    engine = ReadModelDatabase.beside(settings.database_url, settings.data_dir,
                                      settings.pool).engine()
    try:
        upgrade(engine)
        digester = Digester(settings, engine)
        today = digester.now().date()
        if not claim_day(engine, today) and not args.again:
            print(f"today's digest ({today}) was sent already; --again sends it again")
            return 0
        run = digester.send(today, args.within)
        record_sent(engine, today, run.sent)
        print(f"digest for {today}: {run.sent} mails sent, {run.failed} failed, "
              f"{run.without_address} caseworkers without an address")
        return 1 if run.failed else 0
    finally:
        engine.dispose()


class Deliverer:
    """One delivery pass every ``interval`` seconds on ``tick``; never raises out of it."""

    def __init__(self, settings: Settings, engine: Any, *, interval: float =
                 DELIVERY_INTERVAL, now: Callable[[], float] = time.time) -> None:
        from application.webhooks import DeliveryPolicy
        from infrastructure.webhooks import SQLWebhooks
        from web.config import master_key

        self.store = SQLWebhooks(engine, master_key(settings))
        given = settings.delivery
        self.policy = DeliveryPolicy(max_attempts=given.webhook_max_attempts,
                                     backoff_seconds=given.webhook_backoff_seconds,
                                     timeout_seconds=given.webhook_timeout_seconds)
        self.interval = interval
        self.now = now
        self._last = float("-inf")

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
            _logger().warning("webhook_delivery_pass_failed", error_type=type(error).__name__)
            return None
        if report.queued or report.delivered or report.failed:
            _logger().info("webhook_deliveries", queued=report.queued,
                        delivered=report.delivered, failed=report.failed, dead=report.dead)
        return report


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
