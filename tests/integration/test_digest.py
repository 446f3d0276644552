"""The daily digest goes over real SMTP (aiosmtpd on a loopback port, started here) from
the work tray's read model, on SQLite and PostgreSQL: one mail to each caseworker with
something late or due, listing exactly the reminders ``GET /notifications`` gives them;
one to an adviser organisation's contact with the steps that are its own; once a day
however often the worker starts.

The cases (tests/unit/test_plan_advice.py), read on Tuesday 2 April 2024:
- A (held by cw-1): a request received on 8 January 2024, a decision to assess on 12
  February, the EP service asked for advice on 13 February and receiving the request
  on 14 February: its six weeks (reg 8) ended on 27 March, so it is late by 6 days.
- C (held by cw-1): a request received on 8 January, no decision: the six weeks of K1
  ended on 19 February, late by 43 days.
- B (held by cw-2): decided on 12 February, nothing due within 14 days of 2 April (the
  final plan's 20 weeks end on 27 May), so cw-2 gets no mail.
"""

from __future__ import annotations

import email
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.engine import Engine

from application.digest import send_daily_digest
from application.notifications import notifications
from domain.actors import Actor
from domain.journey import ChildJourney
from infrastructure.mail import SMTPMailer
from infrastructure.migrations import upgrade
from infrastructure.readmodels import SQLReadModels, make_engine
from infrastructure.tracking import insert_rows
from infrastructure.worktray import TrayCase, TrayClock, tray_rows
from tests.unit.test_plan_advice import ask, assessing, record, requested
from web.cli_delivery import Digester
from web.config import load_settings
from web.config_delivery import digest_address

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2024, 4, 2)
EP = "la-901-ep-service"
UK = ZoneInfo("Europe/London")


class Inbox:
    """aiosmtpd's handler: keeps each mail that arrives."""

    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        mail = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(mail, EmailMessage)
        mail["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.mails.append(mail)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def engine(read_model_engine: Engine) -> Engine:
    return read_model_engine


def held(journey: ChildJourney, worker: str) -> ChildJourney:
    record(journey, "CaseAssigned", {"assigned_to": worker, "assigned_organisation": "LA-901"},
           date(2024, 2, 12))
    return journey


@pytest.fixture
def cases(engine: Engine) -> dict[str, ChildJourney]:
    return projected(engine)


def projected(engine: Engine) -> dict[str, ChildJourney]:
    """Put cases A, B and C in the work tray's tables, read on 1 March 2024."""
    a = assessing()
    ask(a, "Psychological", date(2024, 2, 13), date(2024, 2, 14))
    journeys = {"A": held(a, "cw-1"), "B": held(assessing(), "cw-2"),
                "C": held(requested(), "cw-1")}
    for journey in journeys.values():
        rows = tray_rows(journey, date(2024, 3, 1))
        with engine.begin() as conn:
            insert_rows(conn, TrayCase, rows[TrayCase])
            insert_rows(conn, TrayClock, rows[TrayClock])
    return journeys


def settings(port: int, **extra: str) -> Any:
    return load_settings({
        "CASETRACK_DATA_DIR": "/nonexistent", "CASETRACK_SECRET_KEY": "s" * 40,
        "CASETRACK_SMTP_HOST": "127.0.0.1", "CASETRACK_SMTP_PORT": str(port),
        "CASETRACK_SMTP_TLS": "none", "CASETRACK_SMTP_FROM": "casetrack@la-901.example.org",
        "CASETRACK_DIGEST_ADDRESS": "{user}@la-901.example.org",
        "CASETRACK_DIGEST_CONTACTS": f"{EP}=advice@ep.example.org", **extra})


def send(engine: Engine, port: int) -> Any:
    config = settings(port)
    return send_daily_digest(
        SQLReadModels(engine, "CaseTracking"),
        SMTPMailer("127.0.0.1", port, "casetrack@la-901.example.org", tls="none"),
        today=TODAY, within_days=14, contacts=dict(config.delivery.digest_contacts),
        address_of=lambda user, org: digest_address(config.delivery, user, org))


@pytest.mark.usefixtures("cases")
def test_each_caseworker_with_something_due_gets_one_mail_of_their_reminders(
        engine: Engine, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    run = send(engine, port)
    assert (run.sent, run.failed, run.without_address) == (2, 0, 0)
    by_address = {m["X-Envelope-To"]: m for m in inbox.mails}
    assert set(by_address) == {"cw-1@la-901.example.org", "advice@ep.example.org"}
    mail = by_address["cw-1@la-901.example.org"]
    assert mail["From"] == "casetrack@la-901.example.org"
    assert mail["Subject"] == "casetrack: 2 late, 0 due by 16 April 2024 (2 April 2024)"
    body = mail.get_content()
    expected = notifications(SQLReadModels(engine, "CaseTracking"), today=TODAY,
                             actor=Actor("cw-1", "caseworker", "LA-901"), within_days=14)
    listed = [line[2:] for line in body.splitlines() if line.startswith("- ")]
    assert listed == [n["message"] for n in expected["items"]]
    assert [n["days_late"] for n in expected["items"]] == [43, 6]
    assert "Late (2)" in body


@pytest.mark.usefixtures("cases")
def test_an_adviser_organisations_contact_gets_only_its_own_steps(
        engine: Engine, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    send(engine, port)
    [mail] = [m for m in inbox.mails if m["X-Envelope-To"] == "advice@ep.example.org"]
    listed = [line[2:] for line in mail.get_content().splitlines() if line.startswith("- ")]
    assert listed == [
        "Advice from an adviser (la-901-ep-service) for this case is late by 6 days: it "
        "was due on 27 March 2024 (6 weeks from 14 February 2024; SEND Regulations 2014, "
        "reg 8(1), 8(2))"]


@pytest.mark.usefixtures("cases")
def test_a_caseworker_without_an_address_is_counted_not_mailed(
        engine: Engine, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    run = send_daily_digest(
        SQLReadModels(engine, "CaseTracking"),
        SMTPMailer("127.0.0.1", port, "casetrack@la-901.example.org", tls="none"),
        today=TODAY, within_days=14, contacts={}, address_of=lambda user, org: None)
    assert (run.sent, run.without_address, inbox.mails) == (0, 1, [])


@pytest.mark.usefixtures("cases")
def test_a_mail_server_that_does_not_answer_fails_each_mail_and_raises_nothing(
        engine: Engine) -> None:
    assert send(engine, free_port()).failed == 2


@pytest.mark.usefixtures("cases")
def test_the_worker_sends_the_days_digest_once_after_its_hour_however_often_it_starts(
        engine: Engine, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    config = settings(port, CASETRACK_DIGEST_HOUR="7")
    moments = iter([datetime(2024, 4, 2, 6, 59, tzinfo=UK), datetime(2024, 4, 2, 7, 0,
                                                                       tzinfo=UK),
                    datetime(2024, 4, 2, 7, 1, tzinfo=UK)])
    worker = Digester(config, engine, now=lambda: next(moments))
    assert worker.tick() is None  # before seven
    assert worker.tick().sent == 2
    assert worker.tick() is None  # sent today
    restarted = Digester(config, engine, now=lambda: datetime(2024, 4, 2, 15, tzinfo=UK))
    assert restarted.tick() is None
    assert len(inbox.mails) == 2
    tomorrow = Digester(config, engine, now=lambda: datetime(2024, 4, 3, 7, 30, tzinfo=UK))
    assert tomorrow.tick().sent == 2
    assert len(inbox.mails) == 4


def test_casetrack_digest_mails_today_once_and_says_so(
        tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    """The command on the embedded store's read models: today every step above is late,
    so cw-1, cw-2 and the EP service's contact each get one mail; asked again, it says
    today's digest went already and sends nothing."""
    inbox, port = smtp
    engine = make_engine(f"sqlite:///{tmp_path / 'casetrack-readmodels.sqlite'}")
    upgrade(engine)
    projected(engine)
    engine.dispose()
    env = {**os.environ, "CASETRACK_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT),
           "CASETRACK_SECRET_KEY": "s" * 40, "CASETRACK_LOG_FORMAT": "json",
           "CASETRACK_SMTP_HOST": "127.0.0.1", "CASETRACK_SMTP_PORT": str(port),
           "CASETRACK_SMTP_TLS": "none", "CASETRACK_SMTP_FROM": "casetrack@la.example.org",
           "CASETRACK_DIGEST_ADDRESS": "{user}@la-901.example.org",
           "CASETRACK_DIGEST_CONTACTS": f"{EP}=advice@ep.example.org"}
    env.pop("CASETRACK_DATABASE_URL", None)

    def digest() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "web.cli", "digest"], env=env,
                              cwd=ROOT, capture_output=True, text=True, timeout=120)

    first = digest()
    assert first.returncode == 0, first.stderr[-2000:]
    assert "3 mails sent, 0 failed, 0 caseworkers without an address" in first.stdout
    assert sorted(m["X-Envelope-To"] for m in inbox.mails) == [
        "advice@ep.example.org", "cw-1@la-901.example.org", "cw-2@la-901.example.org"]
    again = digest()
    assert again.returncode == 0 and "was sent already" in again.stdout
    assert len(inbox.mails) == 3
    env.pop("CASETRACK_SMTP_HOST")
    unset = digest()
    assert unset.returncode == 2 and "CASETRACK_SMTP_HOST" in unset.stderr
