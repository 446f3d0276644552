"""Fetching the cohort rows of one authority, filtered in SQL as the reports ask.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    Text,
    cast,
    or_,
    select,
)
from sqlalchemy.engine import Engine

from infrastructure.cohort.counting import SQLCounting
from infrastructure.cohort.tables import (
    CohortChild,
    CohortDispute,
    CohortFact,
    CohortRequest,
)

Window = tuple[str, date | None, date | None]


class SQLCohortReports(SQLCounting):
    """Fetch cohort rows for one authority (the reports aggregate them).

    Every method takes optional filters the reports push down: ``within`` (a row is kept
    when any of the named date columns falls in its ``(from, to)`` range, either end
    open), and for facts a due window, late-only, open on a day, and ``parent_plan_late``
    (advice whose request's plan was issued past week 20 in a window). Rows come back as
    plain dicts built from Core tuples; JSON ``detail`` is fetched as text and decoded
    here (cheaper than the driver's JSON loader), and only where asked.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def children(self, authority: str, *, within: Sequence[Window] = ()
                 ) -> dict[str, dict[str, Any]]:
        table = CohortChild.__table__
        stmt = _windows(select(*table.c).where(table.c.authority == authority), table, within)
        return {r["child_id"]: r for r in self._fetch(stmt.order_by(self._by_child(table)))}

    def requests(self, authority: str, *, within: Sequence[Window] = ()
                 ) -> list[dict[str, Any]]:
        table = CohortRequest.__table__
        return self._fetch(_windows(select(*table.c).where(table.c.authority == authority),
                                    table, within).order_by(self._by_child(table)))

    def _by_child(self, table: Any) -> Any:
        """Rows in child id order as Python sorts them (code points: "C" on PostgreSQL),
        so the children behind a figure come nearly sorted."""
        return table.c.child_id.collate("C") if self.engine.dialect.name == "postgresql" \
            else table.c.child_id

    def disputes(self, authority: str, *, within: Sequence[Window] = ()
                 ) -> list[dict[str, Any]]:
        table = CohortDispute.__table__
        return self._fetch(_windows(select(*table.c).where(table.c.authority == authority),
                                    table, within))

    def facts(self, authority: str, kinds: Iterable[str], *, due_from: date | None = None,
              due_to: date | None = None, late_only: bool = False,
              within: Sequence[Window] = (), open_on: date | None = None,
              parent_plan_late: tuple[date, date] | None = None,
              detail: bool | None = None, columns: Sequence[str] | None = None
              ) -> list[dict[str, Any]]:
        """Fetch facts of ``kinds``, filtered in SQL as asked (see the class); only the
        named ``columns`` when given (``kind`` always)."""
        kinds = list(kinds)
        table = CohortFact.__table__
        if detail is None:  # only where a question reads it: JSON costs the most to load
            detail = any(not k.startswith("K") or k == "K2" for k in kinds)
        wanted = [c for c in table.c if c.name != "detail" and (
            columns is None or c.name in columns or c.name == "kind")]
        if detail:
            wanted.append(cast(table.c.detail, Text).label("detail"))
        stmt = select(*wanted).where(table.c.authority == authority,
                                      table.c.kind.in_(kinds))
        if due_from is not None:
            stmt = stmt.where(table.c.due_on >= due_from)
        if due_to is not None:
            stmt = stmt.where(table.c.due_on <= due_to)
        if late_only:
            stmt = stmt.where(table.c.due_on.is_not(None)).where(
                table.c.stopped_on.is_(None) | (table.c.stopped_on > table.c.due_on))
        if open_on is not None:
            stmt = stmt.where(table.c.started_on <= open_on).where(
                table.c.stopped_on.is_(None) | (table.c.stopped_on > open_on))
        if parent_plan_late is not None:
            request = CohortRequest.__table__
            stmt = stmt.where(select(request.c.request_id).where(
                request.c.child_id == table.c.child_id,
                request.c.request_id == table.c.parent,
                request.c.final_issued_on.between(*parent_plan_late),
                request.c.final_issued_on > request.c.k4_due_on).exists())
        rows = self._fetch(_windows(stmt, table, within))
        if detail:
            for row in rows:
                text_value = row["detail"]
                row["detail"] = json.loads(text_value) if text_value is not None else None
        return rows

    # Aggregates computed in PostgreSQL (None elsewhere: the reports then count in Python).

    def _fetch(self, stmt: Any) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            result = conn.execute(stmt)
            keys = list(result.keys())
            return [dict(zip(keys, row, strict=True)) for row in result.all()]


def _windows(stmt: Any, table: Any, within: Sequence[Window]) -> Any:
    """Keep rows where any named date column falls in its window (ends may be open)."""
    if not within:
        return stmt
    clauses = []
    for column, low, high in within:
        clause = table.c[column].is_not(None)
        if low is not None:
            clause = clause & (table.c[column] >= low)
        if high is not None:
            clause = clause & (table.c[column] <= high)
        clauses.append(clause)
    return stmt.where(or_(*clauses))

