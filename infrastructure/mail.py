"""Mail (issue 16): the SMTP sender of the daily digest, and the record of the days a
digest was sent, so the worker sends one a day however often it starts.

``smtplib`` from the standard library: STARTTLS (the default), implicit TLS, or plain on
a trusted relay; a login when a user is configured. Addresses are never logged.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage

from sqlalchemy import Date, Float, Integer, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from infrastructure.readmodels import Base

TLS_MODES = ("starttls", "ssl", "none")


@dataclass(frozen=True)
class SMTPMailer:
    """Send plain-text mails through one SMTP server."""

    host: str
    port: int
    sender: str
    tls: str = "starttls"
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0

    def send(self, to: str, subject: str, text: str) -> None:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.sender, to, subject
        mail.set_content(text)
        context = ssl.create_default_context()
        if self.tls == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                                    context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.tls == "starttls":
                client.starttls(context=context)
            if self.user:
                client.login(self.user, self.password or "")
            client.send_message(mail)


class DigestDay(Base):
    """A day whose digest was started (one row a day: the first to insert it sends)."""

    __tablename__ = "rm_digest_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    started_at: Mapped[float] = mapped_column(Float)
    sent: Mapped[int | None] = mapped_column(Integer)


def claim_day(engine: Engine, day: date) -> bool:
    """Record that ``day``'s digest is being sent; False when it was already."""
    with engine.connect().execution_options(casetrack_write=True) as conn, conn.begin():
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        done = conn.execute(dialect.insert(DigestDay).values(
            day=day, started_at=time.time(), sent=None).on_conflict_do_nothing(
            index_elements=["day"]).returning(DigestDay.day))
        return done.first() is not None


def record_sent(engine: Engine, day: date, sent: int) -> None:
    with engine.connect().execution_options(casetrack_write=True) as conn, conn.begin():
        conn.execute(update(DigestDay).where(DigestDay.day == day).values(sent=sent))
