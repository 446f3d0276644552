"""Answering a question: its records counted overall and per group, or counted by the
store where it has a database-side path."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from application.queries import AGE_BANDS
from application.reports.as_at import age_band
from application.reports.cohort import Cohort, CohortStore, Data, Record
from application.reports.registry import CHILD_DIMENSIONS, QUESTIONS, Question


class UnknownReportError(ValueError):
    """Raised for a question or breakdown the reports do not know."""


# The group key of the children a fact about them (need, sex, ethnicity, setting type,
# requester; in the area picture also the cease reason) is not on the record for: one
# word, the same from either store, never Python's "None" nor a JSON null. A question's
# own dimensions keep null where it means "none" (no exception ground claimed).
NOT_RECORDED = "not_recorded"


def group_key(dimension: str, value: Any) -> Any:
    """Return the key of ``value``'s group in a breakdown by ``dimension``."""
    return NOT_RECORDED if value is None and dimension in CHILD_DIMENSIONS else value


def child_dims(child: dict[str, Any], as_at: date, *, looked_after: bool) -> dict[str, Any]:
    return {"primary_need": child["primary_need"], "sex": child["sex"],
            "ethnicity": child["ethnicity"], "setting_type": child["setting_type"],
            "requester": child["requester"],
            "age_band": age_band(child["date_of_birth"], as_at),
            "looked_after": "yes" if looked_after else "no"}


def _matches(dims: dict[str, Any], cohort: Cohort) -> bool:
    return all(getattr(cohort, name) is None or dims.get(name) == getattr(cohort, name)
               for name in CHILD_DIMENSIONS)


def answer(store: CohortStore, question: str, cohort: Cohort, *,
           pseudonym: Callable[[str], str] | None = None) -> dict[str, Any]:
    """Answer one question for a cohort (access is checked by ``ask``)."""
    spec = QUESTIONS.get(question)
    if spec is None:
        raise UnknownReportError(f"no report {question!r}; one of {', '.join(QUESTIONS)}")
    if cohort.breakdown is not None and cohort.breakdown not in spec.dimensions:
        raise UnknownReportError(f"breakdown must be one of {', '.join(spec.dimensions)}")
    name = _cached(pseudonym) if pseudonym else (lambda child_id: child_id)
    head = {
        "question": spec.name, "title": spec.title, "authority": cohort.authority,
        "as_at": cohort.as_at, "period_from": cohort.period_from,
        "period_to": cohort.period_to, "filters": {
            k: getattr(cohort, k) for k in CHILD_DIMENSIONS if getattr(cohort, k)},
        "breakdown": cohort.breakdown, "pseudonymous": pseudonym is not None,
    }
    filters = [(k, v) for k in CHILD_DIMENSIONS if (v := getattr(cohort, k)) is not None]
    aggregate = getattr(store, "aggregate", None)
    counted = aggregate(
        question, authority=cohort.authority, as_at=cohort.as_at,
        period_from=cohort.period_from, period_to=cohort.period_to, filters=dict(filters),
        breakdown=cohort.breakdown, age_bands=AGE_BANDS,
        measures=_flags(spec), values=spec.values, reads=spec.reads) if aggregate else None
    if counted is not None:  # counted by the database: the same figures, fewer rows moved
        return {**head, "total": counted_figures(counted["total"], spec, name),
                "groups": [{"key": group_key(cohort.breakdown or "", key),
                            **counted_figures(raw, spec, name)} for key, raw in
                           sorted(counted["groups"], key=lambda kv: str(kv[0]))]}
    data = Data(store, cohort.authority, spec.scope(cohort) if spec.scope else None,
                reads=spec.reads)
    dims_of: dict[str, dict[str, Any]] = {}  # each child's dimensions, worked out once
    looked_after = data.looked_after_on(cohort.as_at)
    records = []
    for record in spec.records(data, cohort):
        dims = dims_of.get(record.child_id)
        if dims is None:
            child = data.children.get(record.child_id)
            if child is None:
                continue
            dims = dims_of[record.child_id] = child_dims(
                child, cohort.as_at, looked_after=record.child_id in looked_after)
        record.dims = {**dims, **record.dims}
        if all(record.dims.get(k) == v for k, v in filters):
            records.append(record)
    groups: dict[Any, list[Record]] = {}
    if cohort.breakdown:
        for record in records:
            groups.setdefault(record.dims.get(cohort.breakdown), []).append(record)
    return {
        **head,
        "total": figures(records, spec, name),
        "groups": [{"key": group_key(cohort.breakdown or "", key),
                    **figures(rows, spec, name)}
                   for key, rows in sorted(groups.items(), key=lambda kv: str(kv[0]))],
    }


def _cached(pseudonym: Callable[[str], str]) -> Callable[[str], str]:
    """The pseudonym of each child computed once per answer (a keyed hash is not free)."""
    known: dict[str, str] = {}

    def name(child_id: str) -> str:
        found = known.get(child_id)
        if found is None:
            found = known[child_id] = pseudonym(child_id)
        return found

    return name


def _flags(spec: Question) -> list[str]:
    return sorted({f for pair in spec.measures for f in pair if f is not None})


def counted_figures(raw: dict[str, Any], spec: Question, name: Callable[[str], str]
                    ) -> dict[str, Any]:
    """``figures`` from counts the store made (``CohortStore.aggregate``): per measure a
    count and its children, per value its numbers."""
    def children(child_ids: Iterable[str]) -> list[str]:
        return sorted(dict.fromkeys(map(name, child_ids)))  # nearly sorted already

    counts = raw["measures"]
    measures: dict[str, Any] = {}
    for flag, denominator in spec.measures:
        hits, hit_children = counts[flag]
        base = raw["count"] if denominator is None else counts[denominator][0]
        measures[flag] = {"count": hits, "of": base,
                          "percent": round(100 * hits / base, 1) if base else None,
                          "children": children(hit_children)}
    return {"count": raw["count"], "children_count": raw["children_count"],
            "children": children(raw["children"]), "measures": measures,
            "values": {value: _summary(raw["values"][value]) for value in spec.values}}


def _summary(numbers: list[float]) -> dict[str, Any]:
    return {"count": len(numbers),
            "median": round(statistics.median(numbers), 2) if numbers else None,
            "mean": round(statistics.fmean(numbers), 2) if numbers else None,
            "total": round(sum(numbers), 2) if numbers else 0}


def figures(records: list[Record], spec: Question, name: Callable[[str], str]
            ) -> dict[str, Any]:
    """Counts, percentages (of the measure's denominator), medians, means, and children."""
    def children(rows: Iterable[Record]) -> list[str]:
        return sorted({name(child_id) for child_id in {r.child_id for r in rows}})

    hits_of = {flag: [r for r in records if r.flags.get(flag)]
               for flag in {f for pair in spec.measures for f in pair if f is not None}}
    measures: dict[str, Any] = {}
    for flag, denominator in spec.measures:
        hits = hits_of[flag]
        base = len(records) if denominator is None else len(hits_of[denominator])
        measures[flag] = {"count": len(hits), "of": base,
                          "percent": round(100 * len(hits) / base, 1) if base else None,
                          "children": children(hits)}
    values = {value: _summary([v for r in records if (v := r.values.get(value)) is not None])
              for value in spec.values}
    return {"count": len(records), "children_count": len({r.child_id for r in records}),
            "children": children(records), "measures": measures, "values": values}

