"""Who a question is asked about (``Cohort``), the rows it reads (``Data``, narrowed by
a ``Scope``) and what it counts (``Record``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from application.reports.as_at import open_at

# Read by every answer (the dimensions), so never declared by a question.
ALWAYS_READ = frozenset({"children", "looked_after"})


class UndeclaredReadError(LookupError):
    """Raised when a question reads rows it did not declare in its ``reads``."""


Window = tuple[str, date | None, date | None]  # a date column and its range (open ends)


class CohortStore(Protocol):
    """The rows the reports read (``infrastructure.cohort.SQLCohortReports``).

    The keyword filters narrow what is fetched (``within``: any of the date columns in
    its window); called without them, every row of the authority comes back.
    """

    def children(self, authority: str, *, within: Sequence[Window] = ()
                 ) -> dict[str, dict[str, Any]]: ...

    def requests(self, authority: str, *, within: Sequence[Window] = ()
                 ) -> list[dict[str, Any]]: ...

    def disputes(self, authority: str, *, within: Sequence[Window] = ()
                 ) -> list[dict[str, Any]]: ...

    def facts(self, authority: str, kinds: Iterable[str], *, due_from: date | None = None,
              due_to: date | None = None, late_only: bool = False,
              within: Sequence[Window] = (), open_on: date | None = None,
              parent_plan_late: tuple[date, date] | None = None,
              detail: bool | None = None, columns: Sequence[str] | None = None
              ) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Cohort:
    """Who a question is asked about, as at when, and how to break the answer down."""

    authority: str
    as_at: date
    period_from: date | None = None
    period_to: date | None = None
    primary_need: str | None = None
    age_band: str | None = None
    sex: str | None = None
    ethnicity: str | None = None
    setting_type: str | None = None
    requester: str | None = None
    looked_after: str | None = None  # "yes" or "no" as at ``as_at``
    breakdown: str | None = None

    def in_period(self, day: date | None) -> bool:
        return day is not None and day <= self.as_at and \
            (self.period_from is None or day >= self.period_from) and \
            (self.period_to is None or day <= self.period_to)


@dataclass
class Record:
    """One thing counted (a request, an advice request, a child...) and what holds of it."""

    child_id: str
    flags: dict[str, bool]
    values: dict[str, float | None] = field(default_factory=dict)
    dims: dict[str, Any] = field(default_factory=dict)



@dataclass(frozen=True)
class Scope:
    """The rows a question reads, narrowed in the store's query (``SCOPES``).

    A scope must keep every row the question's records could keep (a superset: the
    records still apply their own tests), so it changes what is fetched, never the
    answer. ``facts`` maps a kind to the store's ``facts`` filters for that kind.
    """

    requests: tuple[Window, ...] = ()
    disputes: tuple[Window, ...] = ()
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)
    children: tuple[Window, ...] = ()


class Data:
    """The authority's cohort rows, fetched once per answer (narrowed by a ``Scope``)."""

    def __init__(self, store: CohortStore, authority: str, scope: Scope | None = None,
                 *, reads: Iterable[str] | None = None) -> None:
        self.store = store
        self.authority = authority
        self.scope = scope or Scope()
        # What the question declared it reads (None: anything, as the area picture does).
        self.reads = None if reads is None else ALWAYS_READ | frozenset(reads)
        self._children: dict[str, dict[str, Any]] | None = None
        self._facts: dict[str, list[dict[str, Any]]] = {}
        self._requests: list[dict[str, Any]] | None = None
        self._disputes: list[dict[str, Any]] | None = None
        self._looked_after: dict[date, set[str]] = {}

    @property
    def children(self) -> dict[str, dict[str, Any]]:
        """The authority's children by id (fetched on first use)."""
        if self._children is None:
            self._children = self.store.children(self.authority, within=self.scope.children) \
                if self.scope.children else self.store.children(self.authority)
        return self._children

    def check_declared(self, *kinds: str) -> None:
        """Refuse a read the question did not declare (``Question.reads``)."""
        undeclared = [k for k in kinds if self.reads is not None and k not in self.reads]
        if undeclared:
            raise UndeclaredReadError(f"reads {', '.join(undeclared)} without declaring it")

    def facts(self, *kinds: str) -> list[dict[str, Any]]:
        self.check_declared(*kinds)
        missing = [k for k in kinds if k not in self._facts]
        if missing:
            for k in missing:
                self._facts[k] = []
            plain = [k for k in missing if k not in self.scope.facts]
            fetches: list[tuple[list[str], dict[str, Any]]] = [(plain, {})] if plain else []
            fetches += [([k], self.scope.facts[k]) for k in missing if k in self.scope.facts]
            for batch, filters in fetches:
                for row in self.store.facts(self.authority, batch, **filters):
                    self._facts[row["kind"]].append(row)
        return [row for k in kinds for row in self._facts[k]]

    def looked_after_on(self, day: date) -> set[str]:
        """The children looked after on ``day`` (Children Act 1989 s.22(1))."""
        found = self._looked_after.get(day)
        if found is None:
            rows = self.store.facts(self.authority, ["looked_after"], open_on=day,
                                    detail=False,
                                    columns=("child_id", "started_on", "stopped_on"))
            found = self._looked_after[day] = {
                r["child_id"] for r in rows if open_at(r["started_on"], r["stopped_on"], day)}
        return found

    def requests(self) -> list[dict[str, Any]]:
        self.check_declared("requests")
        if self._requests is None:
            self._requests = self.store.requests(self.authority, within=self.scope.requests) \
                if self.scope.requests else self.store.requests(self.authority)
        return self._requests

    def disputes(self) -> list[dict[str, Any]]:
        self.check_declared("disputes")
        if self._disputes is None:
            self._disputes = self.store.disputes(self.authority, within=self.scope.disputes) \
                if self.scope.disputes else self.store.disputes(self.authority)
        return self._disputes
