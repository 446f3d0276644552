"""Reminders from the clocks (issue 16): specific messages for the people responsible.

Each message is made from one stored clock reading of the work-tray read model as it
stands on the day asked (``application.worktray.reading_on``: the domain's status and days
late), naming the step, the case, the body whose step it is, the due date and where the
period comes from — "Advice from an adviser (EP service) for CR-1 is due on 24 April
2025 (6 weeks from 12 March 2025; SEND Regulations 2014, reg 8(1), 8(2))". They are made
when asked, not stored: a stored "late by 3 days" would be wrong the next morning.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from application.errors import ForbiddenError
from application.queries import ensure_reached
from application.worktray import DUE_STATUSES, WORKTRAY, TrayStore, reading_on
from domain.actors import Actor
from domain.clocks import ClockReading, ClockStatus, never_late_while_open

NOTIFIED_ROLES = frozenset({"caseworker", "manager", "family"})


def day_in_words(on: date) -> str:
    """Return a date as people write it: 8 April 2025 (the month's English name whatever
    the process's locale; and a lookup, where ``strftime`` cost 17 us a message)."""
    return f"{on.day} {_MONTHS[on.month - 1]} {on.year}"


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def message(case_ref: str | None, reading: ClockReading) -> str:
    """Say what is due, for which case, whose step it is, by when and why then."""
    assert reading.due_on is not None
    case = case_ref or "this case"
    who = f" ({reading.responsible_name})" if reading.responsible_name else ""
    source = f"{reading.limit} from {day_in_words(reading.started_on)}; {reading.citation}"
    if reading.status is not ClockStatus.RUNNING:
        days = reading.days_late or 0
        return (f"{reading.name}{who} for {case} is late by {days} "
                f"day{'s' if days != 1 else ''}: it was due on {day_in_words(reading.due_on)} "
                f"({source})")
    if reading.clock in never_late_while_open():
        return (f"{reading.name} for {case}: the window closes on {day_in_words(reading.due_on)} "
                f"({source})")
    return f"{reading.name}{who} for {case} is due on {day_in_words(reading.due_on)} ({source})"


def stopped_message(case_ref: str | None, reading: ClockReading) -> str:
    """Say how a step ended: done in time, done late (and by how many days), or no
    longer owed; the window of a clock that is never late closed."""
    case = case_ref or "this case"
    who = f" ({reading.responsible_name})" if reading.responsible_name else ""
    due = f"due on {day_in_words(reading.due_on)}; {reading.citation}" if reading.due_on \
        else reading.citation
    if reading.status is ClockStatus.NOT_APPLICABLE or reading.stopped_on is None:
        return f"{reading.name}{who} for {case} no longer applies ({reading.citation})"
    done = day_in_words(reading.stopped_on)
    if reading.clock in never_late_while_open():
        return f"{reading.name} for {case}: the window closed on {done} ({due})"
    if reading.status is ClockStatus.MET:
        return f"{reading.name}{who} for {case} was done on {done}, in time ({due})"
    days = reading.days_late or 0
    excused = (f", an exception applies ({reading.exception_ground})"
               if reading.status is ClockStatus.LATE_EXCEPTION_APPLIES else "")
    return (f"{reading.name}{who} for {case} was done on {done}, {days} "
            f"day{'s' if days != 1 else ''} late{excused} ({due})")


def case_notifications(case: dict[str, Any], today: date, until: date
                       ) -> list[dict[str, Any]]:
    """Return the reminders of one case: every late step, and steps due by ``until``."""
    found = []
    for stored in case["readings"]:
        reading = reading_on(stored, today)
        if reading.status not in DUE_STATUSES or reading.due_on is None:
            continue
        late = reading.status is not ClockStatus.RUNNING
        if not late and reading.due_on > until:
            continue
        found.append({
            "child_id": case["child_id"], "case_ref": case["case_ref"],
            "clock": reading.clock, "episode": reading.episode,
            "kind": "late" if late else "due", "due_on": reading.due_on,
            "days_late": reading.days_late, "responsible": reading.responsible.value,
            "responsible_name": reading.responsible_name,
            "message": message(case["case_ref"], reading)})
    return found


def ordered_notifications(cases: list[dict[str, Any]], today: date, until: date
                          ) -> list[dict[str, Any]]:
    """Return the cases' reminders: late first, then by due date."""
    items = [n for case in cases for n in case_notifications(case, today, until)]
    items.sort(key=lambda n: (n["kind"] != "late", n["due_on"], n["case_ref"] or "",
                              n["clock"], n["episode"]))
    return items


def notifications(store: TrayStore, *, actor: Actor, today: date, within_days: int,
                  consistent_after: int | None = None,
                  head: Callable[[], int] | None = None) -> dict[str, Any]:
    """Return the caller's reminders: a caseworker's or manager's for the cases they
    hold, a family's for their child; late first, then by due date."""
    if actor.role not in NOTIFIED_ROLES:
        raise ForbiddenError(f"role {actor.role!r} receives no reminders")
    position = ensure_reached(store, consistent_after, (WORKTRAY,), head)
    if actor.role == "family":
        cases = store.child_cases(authority=actor.organisation, child_id=actor.child_id or "")
    else:
        cases = store.holder_cases(organisation=actor.organisation,
                                   assigned_to=actor.user_id)
    items = ordered_notifications(cases, today, today + timedelta(days=within_days))
    return {"items": items, "as_at": today, "due_within_days": within_days,
            "position": position}
