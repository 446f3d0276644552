"""Each question with a database-side counting path, as SQL: one row per record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Date,
    Float,
    Numeric,
    case,
    cast,
    func,
    literal,
    select,
)

from application.reports.reviews import UNDER_FIVE_CLOCK
from infrastructure.cohort.tables import (
    CohortFact,
    CohortRequest,
)

# Reads that name a table, not a kind of fact (``Question.reads``).
TABLE_READS = ("requests", "disputes")


@dataclass
class RecordsSQL:
    """A question's records as SQL: one row per record with ``child_id``, ``flag_<m>``
    and ``value_<v>`` columns, and the record's own dimensions (they override the
    child's, as a record's ``dims`` do)."""

    select: Any
    dims: dict[str, Any]


def _child_dims(child: Any, as_at: date, age_bands: dict[str, tuple[int, int]]
                ) -> dict[str, Any]:
    """The child's dimensions as SQL expressions (age band and looked-after status as at
    ``as_at``)."""
    age = _age(child.c.date_of_birth, as_at)
    band = case(*((age.between(low, high), band) for band, (low, high) in age_bands.items()),
                else_=None)
    fact = CohortFact.__table__.alias("looked_after")
    looked_after = select(fact.c.child_id).where(
        fact.c.child_id == child.c.child_id, fact.c.authority == child.c.authority,
        fact.c.kind == "looked_after", fact.c.started_on <= as_at,
        fact.c.stopped_on.is_(None) | (fact.c.stopped_on > as_at)).exists()
    return {"primary_need": child.c.primary_need, "sex": child.c.sex,
            "ethnicity": child.c.ethnicity, "setting_type": child.c.setting_type,
            "requester": child.c.requester, "age_band": band,
            "looked_after": case((looked_after, "yes"), else_="no")}


def _age(born: Any, day: date) -> Any:
    """``application.reports.age_on`` in SQL: whole years on ``day``."""
    birthday_to_come = (func.date_part("month", born) * 100 + func.date_part("day", born)
                        ) > day.month * 100 + day.day
    return day.year - func.date_part("year", born) - case((birthday_to_come, 1), else_=0)


def _in_period(column: Any, as_at: date, period_from: date | None,
               period_to: date | None) -> Any:
    clause = column.is_not(None) & (column <= as_at)
    if period_from is not None:
        clause = clause & (column >= period_from)
    if period_to is not None:
        clause = clause & (column <= period_to)
    return clause


def _late_at(due: Any, stopped: Any, as_at: date) -> Any:
    """``application.reports.late_at`` with ``stopped`` already cut at ``as_at``."""
    return case((stopped.is_not(None), stopped > due), else_=literal(as_at, Date) > due)


def _advice_sql(child: Any, authority: str, as_at: date, period_from: date | None,
                period_to: date | None, *,
                kinds: Sequence[str]) -> RecordsSQL:
    """``application.reports.advice_records`` in SQL."""
    f = CohortFact.__table__
    day = literal(as_at, Date)
    stopped = case((f.c.stopped_on <= as_at, f.c.stopped_on), else_=None)
    final = cast(f.c.detail["final_issued_on"].as_string(), Date)
    final_on = case((final <= as_at, final), else_=None)
    week_20 = f.c.anchor_on
    late = _late_at(f.c.due_on, stopped, as_at)
    plan_late = week_20.is_not(None) & _late_at(week_20, final_on, as_at)
    pushed = late & plan_late & (stopped.is_(None) | (stopped > week_20) | (
        final_on.is_not(None) & (stopped > final_on - 14)))
    days = case((late, cast(case((stopped.is_not(None), stopped), else_=day) - f.c.due_on,
                            Float)), else_=None)
    stmt = select(f.c.child_id, stopped.is_not(None).label("flag_returned"),
                  (stopped.is_not(None) & (stopped <= f.c.due_on)).label("flag_within_6_weeks"),
                  late.label("flag_late"),
                  (late & f.c.exception_ground.is_not(None)).label(
                      "flag_late_exception_applies"),
                  pushed.label("flag_pushed_plan_past_week_20"),
                  days.label("value_days_late")).join(
        child, (child.c.child_id == f.c.child_id) & (child.c.authority == authority)).where(
        f.c.authority == authority, f.c.kind.in_(list(kinds)), f.c.due_on.is_not(None),
        _in_period(f.c.started_on, as_at, period_from, period_to))
    return RecordsSQL(stmt, {"adviser_type": f.c.subject, "responsible": f.c.responsible,
                             "month": func.to_char(f.c.started_on, "YYYY-MM")})


def _timeliness_sql(child: Any, authority: str, as_at: date, period_from: date | None,
                    period_to: date | None, *,
                kinds: Sequence[str]) -> RecordsSQL:
    """``application.reports.timeliness_records`` in SQL."""
    r = CohortRequest.__table__
    within = r.c.final_issued_on <= r.c.k4_due_on
    exception = r.c.k4_ground.is_not(None)
    taken = r.c.final_issued_on - r.c.received_on
    weeks = cast(func.round(cast(taken, Numeric) / 7, 2), Float)
    stmt = select(r.c.child_id, within.label("flag_within_20_weeks"),
                  (~within).label("flag_over_20_weeks"),
                  exception.label("flag_exception_applied"),
                  (~exception).label("flag_no_exception"),
                  (within & ~exception).label("flag_within_20_weeks_excluding_exceptions"),
                  (~within & ~exception).label("flag_late_without_exception"),
                  (~within & exception).label("flag_late_exception_applies"),
                  (~within & (taken <= 365)).label("flag_over_20_weeks_within_a_year"),
                  (taken > 365).label("flag_over_a_year"),
                  weeks.label("value_weeks_to_issue")).join(
        child, (child.c.child_id == r.c.child_id) & (child.c.authority == authority)).where(
        r.c.authority == authority, r.c.k4_due_on.is_not(None),
        _in_period(r.c.final_issued_on, as_at, period_from, period_to))
    return RecordsSQL(stmt, {"exception_ground": r.c.k4_ground,
                             "requester": r.c.requester_role,
                             "month": func.to_char(r.c.final_issued_on, "YYYY-MM")})


def _reviews_overdue_sql(child: Any, authority: str, as_at: date, period_from: date | None,
                         period_to: date | None, *,
                kinds: Sequence[str]) -> RecordsSQL:
    """``application.reports.reviews_overdue_records`` in SQL: a record per open K7/K17
    episode the question reads, the under-fives' interval (K7U) looked up beside it."""
    f = CohortFact.__table__
    day = literal(as_at, Date)
    active = child.c.plan_made_on.is_not(None) & (child.c.plan_made_on <= as_at) & (
        child.c.plan_ceased_on.is_(None) | (child.c.plan_ceased_on > as_at)) & (
        child.c.transferred_out_on.is_(None) | (child.c.transferred_out_on > as_at))
    under_5 = _age(child.c.date_of_birth, as_at) < 5
    # The under-fives' interval (K7U) from the same start: open and past its due date.
    u = CohortFact.__table__.alias("under_five")
    no_review = select(u.c.child_id).where(
        u.c.child_id == f.c.child_id, u.c.authority == authority,
        u.c.kind == UNDER_FIVE_CLOCK, u.c.started_on == f.c.started_on,
        u.c.due_on.is_not(None), u.c.due_on < day, u.c.started_on <= as_at,
        u.c.stopped_on.is_(None) | (u.c.stopped_on > as_at)).exists()
    overdue = day > f.c.due_on
    stmt = select(f.c.child_id, overdue.label("flag_overdue"), under_5.label("flag_under_5"),
                  (under_5 & no_review).label("flag_under_5_no_review_in_6_months"),
                  case((overdue, cast(day - f.c.due_on, Float)), else_=None).label(
                      "value_days_overdue")).join(
        child, (child.c.child_id == f.c.child_id) & (child.c.authority == authority)).where(
        f.c.authority == authority,
        f.c.kind.in_([k for k in kinds if k != UNDER_FIVE_CLOCK]), f.c.due_on.is_not(None),
        f.c.started_on.is_not(None), f.c.started_on <= as_at,
        f.c.stopped_on.is_(None) | (f.c.stopped_on > as_at), active)
    return RecordsSQL(stmt, {"last_review_or_plan_on": func.to_char(f.c.started_on,
                                                                    "YYYY-MM-DD")})


SQL_RECORDS: dict[str, Any] = {"advice": _advice_sql, "timeliness": _timeliness_sql,
                               "reviews-overdue": _reviews_overdue_sql}

