"""The report use cases: who may ask, and after which log position."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from application.access import check_may_report, report_pseudonymises
from application.queries import AGE_BANDS, ReadModels, ensure_reached
from application.reports.answering import UnknownReportError, answer
from application.reports.area import area_picture
from application.reports.cohort import Cohort, CohortStore
from application.reports.registry import COHORT_PROJECTION
from domain.actors import Actor


@dataclass(frozen=True)
class ReportContext:
    """What the use cases need besides the question: stores, lookups, today, keys."""

    store: CohortStore
    read_models: ReadModels
    inspecting: Callable[[str, str], bool]  # (inspectorate, authority) -> active?
    pseudonym: Callable[[str], str]
    head: Callable[[], int] | None = None


def ask(context: ReportContext, question: str, cohort: Cohort, *, actor: Actor,
        consistent_after: int | None = None) -> dict[str, Any]:
    """Answer a thematic question for an actor allowed to ask it of the authority."""
    check_may_report(actor, cohort.authority, inspecting=context.inspecting)
    if cohort.age_band is not None and cohort.age_band not in AGE_BANDS:
        raise UnknownReportError(f"age_band must be one of {', '.join(AGE_BANDS)}")
    position = ensure_reached(context.read_models, consistent_after, (COHORT_PROJECTION,),
                              context.head)
    result = answer(context.store, question, cohort,
                    pseudonym=context.pseudonym if report_pseudonymises(actor) else None)
    if report_pseudonymises(actor) and result.get("breakdown") == "user":
        for group in result["groups"]:  # staff ids are personal identifiers too
            group["key"] = context.pseudonym(group["key"]) if group["key"] else None
    return {**result, "position": position}


def area(context: ReportContext, authority: str, year: int, *, actor: Actor, as_at: date,
         census_on: date | None = None, consistent_after: int | None = None
         ) -> dict[str, Any]:
    """The area picture for an authority and a year."""
    check_may_report(actor, authority, inspecting=context.inspecting)
    position = ensure_reached(context.read_models, consistent_after, (COHORT_PROJECTION,),
                              context.head)
    result = area_picture(context.store, authority, year, as_at=as_at, census_on=census_on,
                          pseudonym=context.pseudonym if report_pseudonymises(actor) else None)
    return {**result, "position": position}


def with_period(cohort: Cohort, start: date | None, end: date | None) -> Cohort:
    return replace(cohort, period_from=start, period_to=end)
