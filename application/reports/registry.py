"""The report questions, registered by declaration (as ``domain.clocks.clock`` registers
clocks): each group module declares its questions with ``@question`` beside their records.

A question declares its measures (a flag and its denominator), its values, its own
dimensions, the facts it reads (fact kinds of the cohort read model, and ``requests`` or
``disputes`` for those tables; the children and looked-after periods every answer reads)
and the scope that narrows what is fetched. ``Data`` refuses a read the question did not
declare, so a parity test built from the declarations cannot miss a fact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from application.reports.cohort import Cohort, Data, Record, Scope, Window

COHORT_PROJECTION = "cohort"
CHILD_DIMENSIONS = ("primary_need", "age_band", "sex", "ethnicity", "setting_type",
                    "requester", "looked_after")

Records = Callable[[Data, Cohort], list[Record]]


@dataclass(frozen=True)
class Question:
    """A question: its rows, its measures (flag and its denominator) and its values."""

    name: str
    title: str
    measures: tuple[tuple[str, str | None], ...]
    values: tuple[str, ...]
    dimensions: tuple[str, ...]
    records: Records
    reads: tuple[str, ...] = ()
    scope: Callable[[Cohort], Scope] | None = None


QUESTIONS: dict[str, Question] = {}
# What each question reads, narrowed in the query (a superset of what its records keep).
SCOPES: dict[str, Callable[[Cohort], Scope]] = {}


def question(name: str, title: str, *, measures: Iterable[str | tuple[str, str | None]],
             values: Iterable[str] = (), dimensions: Iterable[str] = (),
             reads: Iterable[str], scope: Callable[[Cohort], Scope] | None = None
             ) -> Callable[[Records], Records]:
    """Register the decorated records function as the question ``name``."""

    def register(records: Records) -> Records:
        if name in QUESTIONS:
            raise ValueError(f"question {name} registered twice")
        specs = tuple(m if isinstance(m, tuple) else (m, None) for m in measures)
        QUESTIONS[name] = Question(name, title, specs, tuple(values),
                                   CHILD_DIMENSIONS + tuple(dimensions), records,
                                   tuple(reads), scope)
        if scope is not None:
            SCOPES[name] = scope
        return records

    return register


def period(column: str, cohort: Cohort) -> Window:
    """``column`` within the cohort's period, and on or before ``as_at``."""
    end = cohort.as_at if cohort.period_to is None else min(cohort.period_to, cohort.as_at)
    return (column, cohort.period_from, end)


def fact_period(column: str, *kinds: str) -> Callable[[Cohort], Scope]:
    return lambda cohort: Scope(facts={k: {"within": (period(column, cohort),)}
                                       for k in kinds})
