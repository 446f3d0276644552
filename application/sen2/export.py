"""Computing an authority's SEN2 return for a collection year from its journeys.

The journeys are read straight from the event store (docs/decisions/0008: a return must
be right and reproducible, and the read models are eventually consistent). The LA's
DfE three-digit number is configuration (``Sen2Policy.la_numbers``): without it the
return is refused, because a return whose LEA is not a DfE number cannot be submitted.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from application.errors import ApplicationError, ForbiddenError
from application.progress import SILENT, Progress
from application.sen2.build import Context, Period, person_record
from application.sen2.years import spec_for
from domain.actors import Actor
from domain.catalogue.registration import ChildRegistered
from domain.events import JourneyEvent
from domain.journey import ChildJourney

if TYPE_CHECKING:
    from application.tracking import CaseTracking

SEN2_ROLES = frozenset({"manager"})
SOFTWARE_CODE = "casetrack"
RELEASE = "0.2.0"
SOURCE_LEVEL = "L"  # a local authority's return (the Source module's level)
READERS = 4  # concurrent journey reads while computing a return
_LA_NUMBER = re.compile(r"^[0-9]{3}$")


class MissingLANumberError(ApplicationError):
    """Raised when the authority has no DfE three-digit LA number configured."""

    code = "sen2-la-number-required"

    def __init__(self, authority: str) -> None:
        super().__init__(
            f"no DfE LA number is configured for {authority!r}: set CASETRACK_SEN2_LA_NUMBERS "
            f"(e.g. '{authority}=123'); SEN2's LEA item is DfE's three-digit number")
        self.authority = authority


def census_day(year: int) -> date:
    """Return the third Thursday of January of ``year`` (the SEN2 reference date)."""
    first = date(year, 1, 1)
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + timedelta(weeks=2)


@dataclass(frozen=True)
class Sen2Policy:
    """The counting conventions that change by year or by who counts (docs/decisions/0008)."""

    within_20_weeks_days: int = 140
    reference_date: date | None = None
    include_local_ref: bool = True  # JSON and the diff carry casetrack's child id
    la_numbers: Mapping[str, str] = field(default_factory=dict)

    def reference_for(self, year: int) -> date:
        return self.reference_date or census_day(year)

    def la_number(self, authority: str) -> str:
        number = self.la_numbers.get(authority)
        if number is None or not _LA_NUMBER.match(number):
            raise MissingLANumberError(authority)
        return number


@dataclass
class Sen2Return:
    """The return for one authority and year: header, person records and summary."""

    header: dict[str, Any]
    persons: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"header": self.header, "persons": self.persons, "summary": self.summary}


def check_may_export(actor: Actor, authority: str) -> None:
    """SEN2 holds direct identifiers: only the authority's managers export it."""
    if actor.role not in SEN2_ROLES:
        raise ForbiddenError(f"role {actor.role!r} may not export SEN2")
    if actor.organisation != authority:
        raise ForbiddenError("managers export their own authority's return only")


# Finding the journeys.

def _registrations(app: CaseTracking, page: int) -> Iterator[ChildRegistered]:
    topic = f"{ChildRegistered.__module__}:{ChildRegistered.__qualname__}"
    start = 1
    while True:
        batch = app.recorder.select_notifications(start, page, topics=(topic,))
        for notification in batch:
            event = app.mapper.to_domain_event(notification)
            if isinstance(event, ChildRegistered):
                yield event
        if len(batch) < page:
            return
        start = batch[-1].id + 1


def authority_child_ids(app: CaseTracking, authority: str, *, page: int = 5000
                        ) -> list[UUID]:
    """Return the ids of the authority's journeys, from the registrations in the log."""
    ids = {e.originator_id for e in _registrations(app, page) if e.authority == authority}
    return sorted(ids, key=str)


def authorities(app: CaseTracking, *, page: int = 5000) -> list[str]:
    """Return every authority with a journey in the store."""
    return sorted({e.authority for e in _registrations(app, page)})


def authority_journeys(app: CaseTracking, authority: str) -> Iterator[ChildJourney]:
    for child_id in authority_child_ids(app, authority):
        journey: ChildJourney = app.repository.get(child_id)
        if isinstance(journey, ChildJourney):
            yield journey


def authority_logs(app: CaseTracking, authority: str, ids: list[UUID] | None = None
                   ) -> Iterator[tuple[UUID, list[JourneyEvent]]]:
    """Yield each journey's id and its whole log, read straight from the stored events.

    Bypasses the repository (its cache deep-copies aggregates) because a return only
    folds each log once; the log is the aggregate's log, so the fold is the same.
    """
    from concurrent.futures import ThreadPoolExecutor

    def read(child_id: UUID) -> tuple[UUID, list[Any]]:
        return child_id, list(app.recorder.select_events(child_id))

    # Reads overlap their round trips (PostgreSQL); decoding and folding stay in order.
    # Chunks bound how far the readers run ahead of the fold (memory).
    ids = authority_child_ids(app, authority) if ids is None else ids
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        for start in range(0, len(ids), 512):
            for child_id, stored in pool.map(read, ids[start:start + 512]):
                log = [app.mapper.to_domain_event(item) for item in stored]
                if log and isinstance(log[0], ChildRegistered):
                    yield child_id, [e for e in log if isinstance(e, JourneyEvent)]


# Computing the return.

def sen2_return(app: CaseTracking, *, year: int, authority: str,
                policy: Sen2Policy | None = None, actor: Actor | None = None,
                journeys: Iterable[ChildJourney] | None = None,
                progress: Progress = SILENT) -> Sen2Return:
    """Compute the person-level SEN2 return of ``authority`` for collection ``year``
    (``progress`` counts the journeys read)."""
    if actor is not None:
        check_may_export(actor, authority)
    policy = policy or Sen2Policy()
    spec = spec_for(year)
    header_ = header(year, authority, policy)  # refuses without the LA's DfE number
    reference = policy.reference_for(year)
    context = Context(spec=spec, period=Period(date(year - 1, 1, 1), date(year - 1, 12, 31),
                                               reference), la_numbers=policy.la_numbers)
    vault = getattr(app, "vault", None)
    started = time.perf_counter()
    result = Sen2Return(header=header_)
    if journeys is None:
        ids = authority_child_ids(app, authority)
        progress.start("SEN2 journeys", len(ids))
        logs = authority_logs(app, authority, ids)
    else:
        progress.start("SEN2 journeys", None)
        logs = ((j.id, list(j.log)) for j in journeys)
    unavailable: list[str] = []
    for child_id, log in logs:
        progress.advance()
        identifiers = _identifiers(vault, child_id, unavailable)
        person = person_record(child_id, log, context, identifiers=identifiers)
        if person is not None:
            if not policy.include_local_ref:
                person.pop("ref")
            result.persons.append(person)
    result.summary = summarise(result.persons, policy)
    # Children whose vault record could not be opened (a wrong or rotated master key):
    # reported with empty identifiers, and named here so the SEN2 team can follow up.
    result.summary["identifiers_unavailable"] = unavailable
    result.summary["seconds"] = round(time.perf_counter() - started, 3)
    return result


def _identifiers(vault: Any, child_id: UUID, unavailable: list[str]
                 ) -> dict[str, str] | None:
    if vault is None:
        return None
    try:
        identifiers: dict[str, str] | None = vault.identifiers(child_id)
    except Exception:  # noqa: BLE001 (the vault's cipher errors vary by backend)
        unavailable.append(str(child_id))
        return None
    return identifiers


def header(year: int, authority: str, policy: Sen2Policy) -> dict[str, Any]:
    return {"Collection": "SEN2", "Year": str(year),
            "ReferenceDate": policy.reference_for(year).isoformat(),
            "Source": {"SourceLevel": SOURCE_LEVEL, "LEA": policy.la_number(authority),
                       "SoftwareCode": SOFTWARE_CODE, "Release": RELEASE, "SerialNo": "1",
                       "DateTime": datetime.now(UTC).replace(microsecond=0, tzinfo=None
                                                             ).isoformat()}}


# The published measures (reference 3.3), from the person records.

def summarise(persons: list[dict[str, Any]], policy: Sen2Policy) -> dict[str, Any]:
    requests = [r for p in persons for r in p["Requests"]]
    plans = [(r, r["Assessment"]["NamedPlan"]) for r in requests
             if r.get("Assessment", {}).get("AssessmentOutcome") == "Y"
             and r["Assessment"].get("AssessmentOutcomeDate")
             and "NamedPlan" in r["Assessment"]]
    weeks: list[float] = []
    within = within_excl = excl_total = 0
    for request, plan in plans:
        days = (date.fromisoformat(plan["StartDate"]) -
                date.fromisoformat(request["ReceivedDate"])).days
        weeks.append(days / 7)
        on_time = days <= policy.within_20_weeks_days
        within += on_time
        if request["Assessment"].get("Week20") == "0":
            excl_total += 1
            within_excl += on_time
    outcomes = [r["RequestOutcome"] for r in requests]
    return {
        "persons": len(persons), "requests": len(requests),
        "requests_by_outcome": {code: outcomes.count(code) for code in sorted(set(outcomes))},
        "new_plans": len(plans),
        "within_20_weeks_including_exceptions": within,
        "new_plans_excluding_exceptions": excl_total,
        "within_20_weeks_excluding_exceptions": within_excl,
        "percent_within_20_weeks": round(100 * within / len(plans), 1) if plans else None,
        "mean_weeks_to_issue": round(sum(weeks) / len(weeks), 1) if weeks else None,
        "active_plans": sum(1 for r in requests if "ActivePlans" in r),
        "ceased_plans": sum(1 for r in requests if r.get("Assessment", {}).get(
            "NamedPlan", {}).get("CeaseDate")),
        "within_20_weeks_policy_days": policy.within_20_weeks_days,
    }
