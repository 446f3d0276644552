"""Dates as at a day: whether a step happened, a span was open, a clock was late."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from application.queries import AGE_BANDS


def happened(day: date | None, as_at: date) -> bool:
    return day is not None and day <= as_at


def open_at(started: date | None, stopped: date | None, as_at: date) -> bool:
    return started is not None and started <= as_at and (stopped is None or stopped > as_at)


def late_at(due: date | None, stopped: date | None, as_at: date) -> bool:
    """Late as at ``as_at``: stopped after the due date, or still open past it."""
    if due is None:
        return False
    if stopped is not None and stopped <= as_at:
        return stopped > due
    return as_at > due


def days_late(due: date | None, stopped: date | None, as_at: date) -> float | None:
    if not late_at(due, stopped, as_at):
        return None
    assert due is not None
    end = stopped if stopped is not None and stopped <= as_at else as_at
    return float((end - due).days)


def weeks(start: date, end: date) -> float:
    return round((end - start).days / 7, 2)


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def age_band(born: date, day: date) -> str | None:
    age = age_on(born, day)
    return next((band for band, (low, high) in AGE_BANDS.items() if low <= age <= high), None)



def plan_active(child: dict[str, Any], day: date) -> bool:
    made = child["plan_made_on"]
    ended = [d for d in (child["plan_ceased_on"], child["transferred_out_on"]) if d]
    return made is not None and made <= day and not any(d <= day for d in ended)


def by_child(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["child_id"], []).append(row)
    for child_rows in out.values():
        child_rows.sort(key=lambda r: (r["started_on"] or date.min, r["key"]))
    return out


def covers(row: dict[str, Any], day: date) -> bool:
    """A placement or spell covering ``day`` (its last day is the day it ended)."""
    return row["started_on"] is not None and row["started_on"] <= day and (
        row["stopped_on"] is None or day <= row["stopped_on"])
