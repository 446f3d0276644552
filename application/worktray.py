"""The daily work (issue 16): a caseworker's tray of cases ordered by what is due next.

The tray reads the stored clock readings of the work-tray read model and asks the
domain what each one is as at the day asked: its status (``domain.clocks.status_on``),
its days late (``domain.clocks.days_late``) and what is due next
(``application.views.next_due``, the journey page's own definition). It never adds a
period to a date.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

from application.errors import ForbiddenError
from application.queries import ReadModels, ensure_reached
from application.views import next_due
from domain.actors import Actor
from domain.clocks import ClockReading, ClockStatus, days_late, status_on
from domain.responsibility import Body

WORKTRAY = "worktray"
TRAY_ROLES = frozenset({"caseworker", "manager"})
DEFAULT_WINDOW_DAYS = 14
DEFAULT_TEAM_PAGE = 100
MAX_LIMIT = 500
MAX_WINDOW_DAYS = 366
_WINDOW = re.compile(r"^([0-9]{1,3})d$")
DUE_STATUSES = frozenset({ClockStatus.RUNNING, ClockStatus.LATE,
                          ClockStatus.LATE_EXCEPTION_APPLIES})


@dataclass(frozen=True)
class TrayFilter:
    """What a tray is narrowed to: a clock, a stage, the body whose step it is."""

    clock: str | None = None
    stage: str | None = None
    responsible: str | None = None
    due_within_days: int = DEFAULT_WINDOW_DAYS


class TrayStore(ReadModels, Protocol):
    """What the tray needs from the read models."""

    def holder_cases(self, *, organisation: str, assigned_to: str,
                     stage: str | None = None) -> list[dict[str, Any]]: ...

    def unassigned_cases(self, *, authority: str, stage: str | None = None
                         ) -> list[dict[str, Any]]: ...

    def team_counts(self, authority: str) -> list[dict[str, Any]]: ...

    def child_cases(self, *, authority: str, child_id: str) -> list[dict[str, Any]]: ...


def window_days(text: str) -> int:
    """Return the days of a window written ``<n>d`` (``14d``); ValueError otherwise."""
    match = _WINDOW.match(text)
    if match is None or not 0 <= int(match.group(1)) <= MAX_WINDOW_DAYS:
        raise ValueError(f"must be a number of days, 0 to {MAX_WINDOW_DAYS}, "
                         "written like 14d")
    return int(match.group(1))


def reading_on(stored: dict[str, Any], day: date) -> ClockReading:
    """A stored reading as it stands on ``day``: status and days late derived again."""
    due_on, stopped_on = _day(stored["due_on"]), _day(stored["stopped_on"])
    status = status_on(stored["clock"], due_on=due_on, stopped_on=stopped_on,
                       status=stored["status"], exception_ground=stored["exception_ground"],
                       day=day)
    fields = {k: v for k, v in stored.items() if k in ClockReading.__dataclass_fields__}
    return ClockReading(**{
        **fields, "started_on": _day(stored["started_on"]), "due_on": due_on,
        "stopped_on": stopped_on, "status": status, "responsible": Body(stored["responsible"]),
        "days_late": days_late(due_on, stopped_on, day, status)})


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def tray_item(case: dict[str, Any], where: TrayFilter, today: date) -> dict[str, Any] | None:
    """Return one case's tray entry on ``today``, or None when the filter leaves no clock."""
    readings = [reading_on(r, today) for r in case["readings"]]
    readings = [r for r in readings if r.status in DUE_STATUSES
                and (where.clock is None or r.clock == where.clock)
                and (where.responsible is None or r.responsible.value == where.responsible)]
    if not readings and (where.clock or where.responsible):
        return None
    until = today + timedelta(days=where.due_within_days)
    readings.sort(key=lambda r: (r.due_on or date.max, r.clock, r.episode))
    return {
        "child_id": case["child_id"], "case_ref": case["case_ref"], "stage": case["stage"],
        "version": case["version"], "next_due": next_due(readings),
        # as_dict is already plain data (clock_view's answer, without its generic walk).
        "late": [r.as_dict() for r in readings if r.status is not ClockStatus.RUNNING],
        "due_soon": [r.as_dict() for r in readings if r.status is ClockStatus.RUNNING
                     and r.due_on is not None and r.due_on <= until],
    }


def work_tray(store: TrayStore, *, actor: Actor, where: TrayFilter, today: date,
              consistent_after: int | None = None,
              head: Callable[[], int] | None = None) -> dict[str, Any]:
    """Return the caller's cases ordered by the next due date (nothing due: last)."""
    if actor.role not in TRAY_ROLES:
        raise ForbiddenError(f"role {actor.role!r} holds no cases")
    position = ensure_reached(store, consistent_after, (WORKTRAY,), head)
    cases = store.holder_cases(organisation=actor.organisation, assigned_to=actor.user_id,
                               stage=where.stage)
    return {"items": ordered(cases, where, today), "as_at": today,
            "due_within_days": where.due_within_days, "position": position}


def ordered(cases: list[dict[str, Any]], where: TrayFilter, today: date
            ) -> list[dict[str, Any]]:
    """Return the cases' tray entries, by next due date (nothing due: last)."""
    items = [item for case in cases if (item := tray_item(case, where, today)) is not None]
    items.sort(key=lambda i: (i["next_due"]["due_on"] if i["next_due"] else date.max,
                              i["case_ref"] or "", i["child_id"]))
    return items


def team_tray(store: TrayStore, *, actor: Actor, where: TrayFilter, today: date,
              consistent_after: int | None = None,
              head: Callable[[], int] | None = None, after: int = 0,
              limit: int = DEFAULT_TEAM_PAGE) -> dict[str, Any]:
    """Return a manager's view of the authority: cases per holder, and a page of the
    cases no one holds, ordered as a tray (``after`` of them skipped, at most ``limit``;
    ``next_after`` starts the next page, None on the last)."""
    if actor.role != "manager":
        raise ForbiddenError(f"role {actor.role!r} may not see the team's trays")
    position = ensure_reached(store, consistent_after, (WORKTRAY,), head)
    holders = [c for c in store.team_counts(actor.organisation) if c["assigned_to"]]
    holders.sort(key=lambda c: (-c["cases"], c["assigned_organisation"], c["assigned_to"]))
    unassigned = ordered(store.unassigned_cases(authority=actor.organisation,
                                                stage=where.stage), where, today)
    limit = max(1, min(limit, MAX_LIMIT))
    more = len(unassigned) > after + limit
    return {"caseworkers": holders, "unassigned": unassigned[after:after + limit],
            "next_after": after + limit if more else None, "as_at": today,
            "due_within_days": where.due_within_days, "position": position}


__all__ = ["TrayFilter", "TrayStore", "ordered", "reading_on", "team_tray", "tray_item",
           "window_days", "work_tray"]
