"""The daily digest (issue 16): one mail a day to each caseworker with something late or
due soon in the cases they hold, and to each adviser organisation's contact (where the
deployment names one) with the steps that are that organisation's to take.

A digest lists the reminders ``GET /notifications`` gives the same person that day
(``application.notifications``: the same words, late first, then by due date); nothing
is worked out again here. Addresses come from the deployment's settings, never from
events, and never reach a log line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

import structlog

from application.notifications import day_in_words, ordered_notifications
from application.worktray import TrayStore

logger = structlog.get_logger()


class DigestStore(TrayStore, Protocol):
    """What the digest needs from the read models, beyond the tray's."""

    def holders(self) -> list[tuple[str, str]]: ...

    def cases_naming(self, names: Sequence[str]) -> list[dict[str, Any]]: ...


class Mailer(Protocol):
    """Sends one plain-text mail (``infrastructure.mail.SMTPMailer``)."""

    def send(self, to: str, subject: str, text: str) -> None: ...


@dataclass(frozen=True)
class Digest:
    """One recipient's mail: who it is for and the reminders it lists."""

    to: str
    greeting: str
    scope: str
    items: list[dict[str, Any]]
    as_at: date
    until: date

    @property
    def subject(self) -> str:
        late = sum(1 for i in self.items if i["kind"] == "late")
        due = len(self.items) - late
        return (f"casetrack: {late} late, {due} due by {day_in_words(self.until)} "
                f"({day_in_words(self.as_at)})")

    @property
    def text(self) -> str:
        """The mail's body: late steps, then steps due, each in the reminder's words."""
        lines = [f"{self.greeting},", "",
                 f"As at {day_in_words(self.as_at)}, in {self.scope}:", ""]
        for kind, heading in (("late", "Late"), ("due", f"Due by {day_in_words(self.until)}")):
            chosen = [i for i in self.items if i["kind"] == kind]
            if chosen:
                lines += [f"{heading} ({len(chosen)})", *(f"- {i['message']}"
                                                           for i in chosen), ""]
        lines += ["Your work tray (GET /worktray) has each case; GET /notifications has "
                  "these reminders as they stand when you ask.", ""]
        return "\n".join(lines)


@dataclass
class DigestRun:
    """What one run sent, and whom it could not reach (counts only)."""

    sent: int = 0
    without_address: int = 0
    failed: int = 0
    digests: list[Digest] = field(default_factory=list)


def daily_digests(store: DigestStore, *, today: date, within_days: int,
                  address_of: Callable[[str, str], str | None],
                  contacts: Mapping[str, str]) -> DigestRun:
    """Return the day's digests: each holder's (``address_of(user, organisation)``, None
    when the deployment has no address for them) and each named organisation's."""
    until = today + timedelta(days=within_days)
    run = DigestRun()
    for organisation, user in store.holders():
        items = ordered_notifications(store.holder_cases(
            organisation=organisation, assigned_to=user), today, until)
        if not items:
            continue
        address = address_of(user, organisation)
        if address is None:
            run.without_address += 1
            continue
        run.digests.append(Digest(address, "Good morning", "the cases you hold",
                                  items, today, until))
    if contacts:
        cases = store.cases_naming(sorted(contacts))
        for name, address in sorted(contacts.items()):
            items = [i for i in ordered_notifications(cases, today, until)
                     if i["responsible_name"] == name]
            if items:
                run.digests.append(Digest(address, f"To {name}",
                                          f"the steps that are {name}'s to take",
                                          items, today, until))
    return run


def send_daily_digest(store: DigestStore, mailer: Mailer, *, today: date, within_days: int,
                      address_of: Callable[[str, str], str | None],
                      contacts: Mapping[str, str]) -> DigestRun:
    """Send the day's digests, one mail each; a mail that fails is counted, the rest
    still go."""
    run = daily_digests(store, today=today, within_days=within_days, address_of=address_of,
                        contacts=contacts)
    for digest in run.digests:
        try:
            mailer.send(digest.to, digest.subject, digest.text)
            run.sent += 1
        except Exception as error:  # one refused address must not stop the others
            run.failed += 1
            logger.warning("digest_mail_failed", error_type=type(error).__name__)
    logger.info("digest_sent", sent=run.sent, failed=run.failed,
                without_address=run.without_address)
    return run
