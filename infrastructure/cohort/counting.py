"""Counting in the database (PostgreSQL): a question's records, the area picture's plans,
late episodes and late advice, counted where the rows are.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    Date,
    case,
    distinct,
    func,
    literal,
    select,
    tuple_,
)
from sqlalchemy.engine import Engine

from domain.clocks import never_late_while_open
from infrastructure.cohort.sql_records import SQL_RECORDS, TABLE_READS, _child_dims
from infrastructure.cohort.tables import (
    CohortChild,
    CohortFact,
    CohortRequest,
)


class SQLCounting:
    """Counts made in PostgreSQL (None elsewhere: the reports then count in Python)."""

    engine: Engine

    def aggregate(self, question: str, *, authority: str, as_at: date,
                  period_from: date | None, period_to: date | None,
                  filters: dict[str, Any], breakdown: str | None,
                  age_bands: dict[str, tuple[int, int]], measures: Sequence[str],
                  values: Sequence[str], reads: Sequence[str] = ()
                  ) -> dict[str, Any] | None:
        """Count a question's records in SQL: overall and per ``breakdown`` group, each
        measure's count and children, each value's numbers (medians are taken by the
        caller, exactly as for records counted in Python). None when the question has
        no SQL form here, or the database is not PostgreSQL."""
        build = SQL_RECORDS.get(question)
        if build is None or self.engine.dialect.name != "postgresql":
            return None
        child = CohortChild.__table__.alias("c")
        dims = _child_dims(child, as_at, age_bands)
        records = build(child, authority, as_at, period_from, period_to,
                        kinds=[k for k in reads if k not in TABLE_READS])
        merged = {**dims, **records.dims}
        if breakdown is not None and breakdown not in merged:
            return None
        stmt = records.select.add_columns(*(v.label(f"dim_{k}") for k, v in merged.items()))
        for name, wanted in filters.items():
            stmt = stmt.where(merged[name] == wanted)
        rec = stmt.subquery("rec")
        # Children in code-point order ("C"), as Python sorts them: a cheaper sort here,
        # and next to none in Python.
        child_id = rec.c.child_id.collate("C")
        columns: list[Any] = [func.count(), func.count(distinct(child_id)),
                              func.array_agg(distinct(child_id))]
        for flag in measures:
            hit = rec.c[f"flag_{flag}"]
            columns += [func.count().filter(hit),
                        func.array_agg(distinct(child_id)).filter(hit)]
        for value in values:
            number = rec.c[f"value_{value}"]
            columns.append(func.array_agg(number).filter(number.is_not(None)))
        query = select(*columns)
        if breakdown is not None:
            key = rec.c[f"dim_{breakdown}"]
            query = select(key, func.grouping(key), *columns).group_by(
                func.grouping_sets(tuple_(), tuple_(key)))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        total: dict[str, Any] | None = None
        groups: list[tuple[Any, dict[str, Any]]] = []
        for found in rows:
            row: Sequence[Any] = found
            if breakdown is not None:
                key_value, grouped, row = found[0], found[1], found[2:]
            figures = _raw_figures(row, measures, values)
            if breakdown is None or grouped:
                total = figures
            else:
                groups.append((key_value, figures))
        if total is None:  # no record at all: COUNT over nothing still gives a row
            total = _raw_figures((0, 0, None, *([0, None] * len(measures)),
                                  *([None] * len(values))), measures, values)
        return {"total": total, "groups": groups}

    def plan_counts(self, authority: str, *, census: date, ceased_from: date,
                    ceased_to: date, age_bands: dict[str, tuple[int, int]]
                    ) -> dict[str, Any] | None:
        """Plans active on the census day (overall, by primary need, setting type, age
        band on the day and sex) and ceased in the window (overall, by reason): each a
        count and its children. None off PostgreSQL (the caller counts the children)."""
        if self.engine.dialect.name != "postgresql":
            return None
        child = CohortChild.__table__
        child_id = child.c.child_id.collate("C")
        active = child.c.plan_made_on.is_not(None) & (child.c.plan_made_on <= census) & (
            child.c.plan_ceased_on.is_(None) | (child.c.plan_ceased_on > census)) & (
            child.c.transferred_out_on.is_(None) | (child.c.transferred_out_on > census))
        dims = {"primary_need": child.c.primary_need, "setting_type": child.c.setting_type,
                "age_band": _child_dims(child, census, age_bands)["age_band"],
                "sex": child.c.sex}
        ceased = {"reason": child.c.cease_reason}
        out: dict[str, Any] = {}
        for part, where, by in (
                ("active", active, dims),
                ("ceased", child.c.plan_ceased_on.between(ceased_from, ceased_to), ceased)):
            rec = select(child_id.label("child_id"), *(v.label(k) for k, v in by.items())
                         ).where(child.c.authority == authority, where).subquery(part)
            keys = [rec.c[k] for k in by]
            query = select(*keys, *(func.grouping(k) for k in keys), func.count(),
                           func.array_agg(distinct(rec.c.child_id))).group_by(
                func.grouping_sets(tuple_(), *(tuple_(k) for k in keys)))
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
            found: dict[str, Any] = {"total": (0, []), **{k: {} for k in by}}
            for row in rows:
                values, grouped = row[:len(keys)], row[len(keys):2 * len(keys)]
                figure = (row[-2], row[-1] or [])
                grouped_by = [k for k, g in zip(by, grouped, strict=True) if not g]
                if grouped_by:
                    found[grouped_by[0]][values[list(by).index(grouped_by[0])]] = figure
                else:
                    found["total"] = figure
            out[part] = found
        return out

    def late_advice(self, authority: str, *, plans_from: date, plans_to: date
                    ) -> list[tuple[str, str, str | None, int]] | None:
        """For each plan issued in the window past its week 20: the most days any of its
        advice was late as at the plan's issue, by the adviser's responsible body, as
        ``(child, request, body, days)``. None off PostgreSQL."""
        if self.engine.dialect.name != "postgresql":
            return None
        fact, request = CohortFact.__table__, CohortRequest.__table__
        issued = request.c.final_issued_on
        end = case((fact.c.stopped_on <= issued, fact.c.stopped_on), else_=issued)
        query = select(fact.c.child_id, fact.c.parent, fact.c.responsible,
                       func.max(end - fact.c.due_on)).join(
            request, (request.c.child_id == fact.c.child_id)
            & (request.c.request_id == fact.c.parent)).where(
            fact.c.authority == authority, fact.c.kind == "K2", fact.c.due_on.is_not(None),
            request.c.authority == authority, issued.between(plans_from, plans_to),
            issued > request.c.k4_due_on, end > fact.c.due_on).group_by(
            fact.c.child_id, fact.c.parent, fact.c.responsible)
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(query).all()]  # type: ignore[misc]

    def late_episodes(self, authority: str, kinds: Sequence[str], *, due_from: date,
                      due_to: date, as_at: date) -> list[dict[str, Any]] | None:
        """Clock episodes due in the window (and by ``as_at``) and late as at ``as_at``,
        by responsible body and clock: episodes, days late, children. None off
        PostgreSQL (the caller counts the rows itself)."""
        if self.engine.dialect.name != "postgresql":
            return None
        fact = CohortFact.__table__
        end = case((fact.c.stopped_on <= as_at, fact.c.stopped_on), else_=literal(as_at, Date))
        body = func.coalesce(fact.c.responsible, "unknown")
        rec = select(body.label("body"), fact.c.kind, fact.c.child_id,
                     (end - fact.c.due_on).label("days")).where(
            fact.c.authority == authority, fact.c.kind.in_(list(kinds)),
            fact.c.due_on.is_not(None), fact.c.due_on >= due_from, fact.c.due_on <= due_to,
            fact.c.due_on <= as_at, fact.c.outcome.is_distinct_from("not_applicable"),
            (fact.c.stopped_on <= as_at) | fact.c.kind.not_in(never_late_while_open()),
            end > fact.c.due_on).subquery("late")
        query = select(rec.c.body, rec.c.kind, func.grouping(rec.c.kind), func.count(),
                       func.sum(rec.c.days), func.array_agg(distinct(rec.c.child_id.collate("C")))
                       ).group_by(func.grouping_sets(tuple_(rec.c.body),
                                                     tuple_(rec.c.body, rec.c.kind)))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        out: dict[str, dict[str, Any]] = {}
        for body_name, kind, whole, episodes, days, children in rows:
            entry = out.setdefault(body_name, {"body": body_name, "by_clock": {}})
            if whole:
                entry.update(episodes=episodes, days=float(days), children=children)
            else:
                entry["by_clock"][kind] = episodes
        return list(out.values())



def _raw_figures(row: Sequence[Any], measures: Sequence[str], values: Sequence[str]
                 ) -> dict[str, Any]:
    count, children_count, children = row[0], row[1], row[2]
    at = 3
    flags = {}
    for flag in measures:
        flags[flag] = (row[at], row[at + 1] or [])
        at += 2
    numbers = {}
    for value in values:
        numbers[value] = [float(n) for n in row[at] or []]
        at += 1
    return {"count": count, "children_count": children_count, "children": children or [],
            "measures": flags, "values": numbers}

