"""The SEN2 person-level return, computed from the journeys (reference section 3).

``sen2_return(app, year=, authority=)`` replays every journey of the authority and
builds one record per child with anything to report for the collection year:

- the **reference date** is the census day in January of ``year`` (the third Thursday,
  as DfE used for 2023-2025; ``Sen2Policy.reference_date`` overrides it);
- the **activity period** is the previous calendar year (1 January to 31 December);
- modules: Person; Requests (received in the period, or decided or concluded in it),
  each with its Assessment and the NamedPlan it led to (with PlanDetail and any cease);
  ActivePlans on the reference date with PlacementDetail and ranked SENneed; plans that
  ceased in the period (CeasedPlan) outside any reported request;
- ``Week20`` is 1 when any exception claim stands on the request's clocks at any phase
  (K1, K3, K4 on the request; K2 on any of its advice requests);
- "within 20 weeks" is ``StartDate - ReceivedDate <= 140 days`` (the public tool's
  convention; ``Sen2Policy.within_20_weeks_days``), reported in ``summary`` only.

Identifiers (names, postcode, UPN, ULN) come from the personal-data vault when there is
one; without it those items are empty and ``UPNunknown`` explains why. Outcome codes
are casetrack's (``OUTCOME_CODES``), documented in docs/decisions/0008; they are one
table to change when the DfE guide for a year differs.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID
from xml.etree import ElementTree as ET

from application.errors import ForbiddenError
from domain.actors import Actor
from domain.catalogue.movement import PlanCeased, PlanTransferredIn
from domain.catalogue.registration import ChildRegistered
from domain.events import JourneyEvent
from domain.journey import ChildJourney
from domain.state import JourneyState, effective_events, fold

if TYPE_CHECKING:
    from application.tracking import CaseTracking

SEN2_ROLES = frozenset({"manager"})
SOFTWARE_CODE = "casetrack"
RELEASE = "0.1.0"
SEN_SETTING_CODES = frozenset({"OLA", "OPA", "EHE", "EYP", "OTH"})
TRANSFERRED_OUT_REASON = "5"
READERS = 4  # concurrent journey reads while computing a return

# casetrack's outcome codes (verify against the DfE guide of the collection year).
OUTCOME_CODES: dict[str, dict[str, str]] = {
    "RequestOutcome": {"A": "Decided to assess", "N": "Decided not to assess",
                       "W": "Request withdrawn"},
    "AssessmentOutcome": {"I": "Plan issued", "N": "Decided not to issue a plan",
                          "W": "Assessment withdrawn"},
    "ReviewOutcome": {"M": "Maintain the plan", "A": "Amend the plan",
                      "C": "Proposal to cease the plan"},
}
_REVIEW_OUTCOMES = {"Maintain": "M", "Amend": "A", "CeaseProposal": "C"}


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
    include_local_ref: bool = True  # each Person carries casetrack's child id as ``ref``

    def reference_for(self, year: int) -> date:
        return self.reference_date or census_day(year)


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

def authority_child_ids(app: CaseTracking, authority: str, *, page: int = 5000
                        ) -> list[UUID]:
    """Return the ids of the authority's journeys, from the registrations in the log."""
    topic = f"{ChildRegistered.__module__}:{ChildRegistered.__qualname__}"
    ids: list[UUID] = []
    start = 1
    while True:
        batch = app.recorder.select_notifications(start, page, topics=(topic,))
        for notification in batch:
            event = app.mapper.to_domain_event(notification)
            if isinstance(event, ChildRegistered) and event.authority == authority:
                ids.append(event.originator_id)
        if len(batch) < page:
            break
        start = batch[-1].id + 1
    return sorted(set(ids), key=str)


def authorities(app: CaseTracking, *, page: int = 5000) -> list[str]:
    """Return every authority with a journey in the store."""
    topic = f"{ChildRegistered.__module__}:{ChildRegistered.__qualname__}"
    found: set[str] = set()
    start = 1
    while True:
        batch = app.recorder.select_notifications(start, page, topics=(topic,))
        for notification in batch:
            event = app.mapper.to_domain_event(notification)
            if isinstance(event, ChildRegistered):
                found.add(event.authority)
        if len(batch) < page:
            return sorted(found)
        start = batch[-1].id + 1


def authority_journeys(app: CaseTracking, authority: str) -> Iterator[ChildJourney]:
    for child_id in authority_child_ids(app, authority):
        journey: ChildJourney = app.repository.get(child_id)
        if isinstance(journey, ChildJourney):
            yield journey


def authority_logs(app: CaseTracking, authority: str
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
    ids = authority_child_ids(app, authority)
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        for start in range(0, len(ids), 512):
            for child_id, stored in pool.map(read, ids[start:start + 512]):
                log = [app.mapper.to_domain_event(item) for item in stored]
                if log and isinstance(log[0], ChildRegistered):
                    yield child_id, [e for e in log if isinstance(e, JourneyEvent)]


# Computing the return.

def sen2_return(app: CaseTracking, *, year: int, authority: str,
                policy: Sen2Policy | None = None, actor: Actor | None = None,
                journeys: Iterable[ChildJourney] | None = None) -> Sen2Return:
    """Compute the person-level SEN2 return of ``authority`` for collection ``year``."""
    if actor is not None:
        check_may_export(actor, authority)
    policy = policy or Sen2Policy()
    vault = getattr(app, "vault", None)
    started = time.perf_counter()
    result = Sen2Return(header=header(year, authority, policy))
    logs = ((j.id, list(j.log)) for j in journeys) if journeys is not None else \
        authority_logs(app, authority)
    unavailable: list[str] = []
    for child_id, log in logs:
        identifiers = _identifiers(vault, child_id, unavailable)
        person = person_record(child_id, log, year=year, policy=policy,
                               identifiers=identifiers)
        if person is not None:
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
            "Source": {"LEA": authority, "SoftwareCode": SOFTWARE_CODE, "Release": RELEASE,
                       "SerialNo": "1",
                       "DateTime": datetime.now(UTC).replace(microsecond=0).isoformat()}}


def person_record(child_id: UUID, log: list[JourneyEvent], *, year: int,
                  policy: Sen2Policy, identifiers: dict[str, str] | None = None
                  ) -> dict[str, Any] | None:
    """Return the child's SEN2 record for ``year``, or None if nothing is reported."""
    period = (date(year - 1, 1, 1), date(year - 1, 12, 31))
    reference = policy.reference_for(year)
    events = effective_events(log)
    state = fold(events)
    before = events[:1] + [e for e in events[1:] if e.occurred_on <= reference]
    at_reference = state if len(before) == len(events) else fold(before)
    child = state.child
    assert child is not None
    requests = [_request(state, r, period) for r in state.assessment.requests
                if _reported(r, period)]
    transfer_in = next((e for e in events if isinstance(e, PlanTransferredIn)), None)
    active = _active_plan(at_reference, reference, period, transfer_in)
    ceased = _ceased_plan(state, events, period)
    if not requests and active is None and ceased is None:
        return None
    record: dict[str, Any] = {"Person": _person(child, identifiers)}
    if policy.include_local_ref:
        record["ref"] = str(child_id)
    record["Requests"] = requests
    if ceased is not None and not any(r.get("NamedPlan") for r in requests):
        record["CeasedPlan"] = ceased
    elif ceased is not None:
        for request in requests:
            if request.get("NamedPlan"):
                request["NamedPlan"].update(ceased)
    if active is not None:
        record["ActivePlans"] = active
    return record


def _in(day: date | None, period: tuple[date, date]) -> bool:
    return day is not None and period[0] <= day <= period[1]


def _reported(request: Any, period: tuple[date, date]) -> bool:
    return any(_in(day, period) for day in (
        request.received_on, request.decision_notified_on, request.withdrawn_on,
        request.no_plan_notified_on, request.final_issued_on))


def _person(child: Any, identifiers: dict[str, str] | None) -> dict[str, Any]:
    ids = identifiers or {}
    upn = ids.get("upn") or ""
    return {
        "Surname": ids.get("family_name", ""), "Forename": ids.get("given_name", ""),
        "PersonBirthDate": child.date_of_birth.isoformat(), "Sex": child.sex or "",
        "Ethnicity": child.ethnicity or "", "PostCode": ids.get("postcode", ""),
        "UPN": upn, "UniqueLearnerNumber": ids.get("uln", ""),
        "UPNunknown": "" if upn else ("UN1" if identifiers is None else "UN2"),
    }


def _decisions(state: JourneyState, kinds: set[str], days: set[date | None]) -> list[str]:
    return [d.id for d in state.appealable_decisions if d.kind in kinds and d.notified_on in days]


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _request(state: JourneyState, request: Any, period: tuple[date, date]) -> dict[str, Any]:
    outcome = ("W" if request.withdrawn_on and request.decision is None else
               "A" if request.decision == "assess" else
               "N" if request.decision == "not_assess" else "")
    refusal = _decisions(state, {"refuse_assessment"}, {request.decision_notified_on})
    record: dict[str, Any] = {
        "ReceivedDate": request.received_on.isoformat(),
        "RequestSource": request.request_source or ("5" if request.route ==
                                                      "brought_to_attention" else ""),
        "RYA": _flag(request.rya),
        "RequestOutcomeDate": (request.decision_notified_on or request.withdrawn_on
                               ).isoformat() if outcome else "",
        "RequestOutcome": outcome,
        "RequestMediation": _flag(_mediated(state, refusal)),
        "RequestTribunal": _flag(_appealed(state, refusal)),
        "Exported": "0",
    }
    if request.decision == "assess":
        record["Assessment"] = _assessment(state, request)
        plan = _named_plan(state, request)
        if plan is not None:
            record["NamedPlan"] = plan
    return record


def _mediated(state: JourneyState, decision_ids: list[str]) -> bool:
    return any(m.decision_id in decision_ids for m in state.disputes.mediations
               if m.declined_on is None)


def _appealed(state: JourneyState, decision_ids: list[str]) -> bool:
    return any(a.decision_id in decision_ids for a in state.disputes.appeals)


def week20_exception(state: JourneyState, request: Any) -> bool:
    """Tell whether an exception stands on any phase of the request (SEN2 Week20)."""
    episodes = {request.id} | {a.id for a in state.plan.advice if a.request_id == request.id}
    return any(not c.withdrawn and c.episode in episodes for c in state.exception_claims)


def _assessment(state: JourneyState, request: Any) -> dict[str, Any]:
    if request.final_issued_on is not None:
        outcome, on = "I", request.final_issued_on
    elif request.issue_decision == "not_issue":
        outcome, on = "N", request.no_plan_notified_on or request.issue_decision_on
    elif request.withdrawn_on is not None:
        outcome, on = "W", request.withdrawn_on
    else:
        outcome, on = "", None
    own = _decisions(state, {"refuse_plan", "plan_content"},
                     {request.no_plan_notified_on, request.final_issued_on})
    others = [d.id for d in state.appealable_decisions if d.id not in own and d.kind not in {
        "refuse_assessment"}]
    return {
        "AssessmentOutcome": outcome, "AssessmentOutcomeDate": on.isoformat() if on else "",
        "AssessmentMediation": _flag(_mediated(state, own)),
        "AssessmentTribunal": _flag(_appealed(state, own)),
        "OtherMediation": _flag(_mediated(state, others)),
        "OtherTribunal": _flag(_appealed(state, others)),
        "Week20": _flag(week20_exception(state, request)),
    }


def _setting_items(setting_ref: str | None, setting_type: str | None) -> dict[str, str]:
    ref = setting_ref or ""
    urn = ref.removeprefix("urn-") if ref.startswith("urn-") else ""
    ukprn = ref.removeprefix("ukprn-") if ref.startswith("ukprn-") else ""
    sen_setting = setting_type if setting_type in SEN_SETTING_CODES else ""
    if not (urn or ukprn or sen_setting) and ref:
        urn = ref
    return {"URN": urn, "UKPRN": ukprn, "SENSetting": sen_setting}


def _budget_flags(state: JourneyState) -> dict[str, str]:
    determined = [r for r in state.budgets.requests if r.determined_on is not None]
    return {"PB": _flag(bool(determined)),
            "OA": _flag(any(r.arrangement in ("notional", "third_party", "mixed")
                            for r in determined)),
            "DP": _flag(bool(state.budgets.payments))}


def _named_plan(state: JourneyState, request: Any) -> dict[str, Any] | None:
    if request.final_issued_on is None:
        return None
    version = next((v for v in state.plan.versions if v.issued_on == request.final_issued_on
                    and v.source == "final"), None)
    if version is None:
        return None
    section_i = version.sections.get("I") or {}
    placements = sorted((p for p in state.plan.placements
                         if p.end_on is None or p.end_on >= version.issued_on),
                        key=lambda p: (p.rank, p.start_on))
    first = placements[0] if placements else None
    return {
        "StartDate": version.issued_on.isoformat(),
        "PlanRes": (first.residential or "") if first else "",
        "PlanWPB": _flag(bool(first and first.work_based)),
        **_budget_flags(state),
        "CeaseDate": "", "CeaseReason": "",
        "PlanDetail": {**_setting_items(section_i.get("setting_ref"),
                                        section_i.get("setting_type")),
                       "SENSettingOther": "", "PlacementRank": "1",
                       "SENunitIndicator": _flag(bool(first and first.sen_unit)),
                       "ResourcedProvisionIndicator": _flag(bool(
                           first and first.resourced_provision))},
    }


def _ceased_plan(state: JourneyState, events: list[Any], period: tuple[date, date]
                 ) -> dict[str, Any] | None:
    ceased = next((e for e in reversed(events) if isinstance(e, PlanCeased)), None)
    if ceased is not None and _in(ceased.occurred_on, period):
        return {"CeaseDate": ceased.occurred_on.isoformat(),
                "CeaseReason": ceased.cease_reason}
    out = state.movement.transferred_out_on
    if out is not None and _in(out, period):
        return {"CeaseDate": out.isoformat(), "CeaseReason": TRANSFERRED_OUT_REASON}
    return None


def _active_plan(at: JourneyState, reference: date, period: tuple[date, date],
                 transfer_event: PlanTransferredIn | None) -> dict[str, Any] | None:
    if not (at.plan.is_active and at.status == "open"):
        return None
    transfer = at.movement.transfer_in
    transfer_la = ""
    if transfer is not None and _in(transfer.transferred_on, period):
        transfer_la = str((transfer_event.sen2_transfer_la if transfer_event else None)
                          or transfer.old_la)
    placements = [p for p in at.plan.placements if p.covers(reference)]
    held = sorted(((r.held_on, r) for r in at.reviews.reviews
                   if r.held_on is not None and r.held_on <= reference), key=lambda h: h[0])
    last = held[-1][0] if held else None
    in_year = [(on, r) for on, r in held if _in(on, period)]
    latest_on, latest = in_year[-1] if in_year else (None, None)
    return {
        "TransferLA": transfer_la,
        "RES": next((p.residential for p in placements if p.residential), "") or "",
        "WPB": _flag(any(p.work_based for p in placements)),
        "ReviewMeeting": latest_on.isoformat() if latest_on else "",
        "ReviewOutcome": _REVIEW_OUTCOMES.get(latest.decision or "", "") if latest else "",
        "LastReview": last.isoformat() if last else (
            transfer.last_reviewed_on.isoformat() if transfer and transfer.last_reviewed_on
            else ""),
        "PlacementDetail": [{
            **_setting_items(f"urn-{p.urn}" if p.urn else (
                f"ukprn-{p.ukprn}" if p.ukprn else None), p.sen_setting),
            "SENSettingOther": "", "PlacementRank": str(p.rank),
            "EntryDate": p.start_on.isoformat(),
            "LeavingDate": p.end_on.isoformat() if p.end_on else "",
            "AttendancePattern": "F" if p.attendance == "full_time" else "P",
            "SENunitIndicator": _flag(p.sen_unit),
            "ResourcedProvisionIndicator": _flag(p.resourced_provision),
        } for p in sorted(placements, key=lambda p: (p.rank, p.start_on))],
        "SENneed": [{"SENtype": str(n.get("code")), "SENtypeRank": str(n.get("rank"))}
                    for n in sorted(at.plan.needs, key=lambda n: int(n.get("rank", 99)))],
    }


# The published measures (reference 3.3), from the person records.

def summarise(persons: list[dict[str, Any]], policy: Sen2Policy) -> dict[str, Any]:
    requests = [r for p in persons for r in p["Requests"]]
    plans = [(r, r["NamedPlan"]) for r in requests if r.get("NamedPlan")]
    weeks: list[float] = []
    within = within_excl = excl_total = 0
    for request, plan in plans:
        days = (date.fromisoformat(plan["StartDate"]) -
                date.fromisoformat(request["ReceivedDate"])).days
        weeks.append(days / 7)
        on_time = days <= policy.within_20_weeks_days
        within += on_time
        if request["Assessment"]["Week20"] == "0":
            excl_total += 1
            within_excl += on_time
    return {
        "persons": len(persons), "requests": len(requests),
        "requests_assessed": sum(r["RequestOutcome"] == "A" for r in requests),
        "requests_refused": sum(r["RequestOutcome"] == "N" for r in requests),
        "requests_withdrawn": sum(r["RequestOutcome"] == "W" for r in requests),
        "requests_undecided": sum(r["RequestOutcome"] == "" for r in requests),
        "new_plans": len(plans),
        "within_20_weeks_including_exceptions": within,
        "new_plans_excluding_exceptions": excl_total,
        "within_20_weeks_excluding_exceptions": within_excl,
        "percent_within_20_weeks": round(100 * within / len(plans), 1) if plans else None,
        "mean_weeks_to_issue": round(sum(weeks) / len(weeks), 1) if weeks else None,
        "active_plans": sum("ActivePlans" in p for p in persons),
        "ceased_plans": sum(bool(p.get("CeasedPlan") or any(
            r.get("NamedPlan", {}).get("CeaseDate") for r in p["Requests"])) for p in persons),
        "within_20_weeks_policy_days": policy.within_20_weeks_days,
    }


# XML.

def to_xml(result: Sen2Return | dict[str, Any]) -> bytes:
    """Write the return as SEN2 XML (Header, then one Person element per child).

    Written straight to text, two spaces a level: the same bytes as building the tree
    with ElementTree, ``ET.indent`` and ``ET.tostring`` (tests/integration/test_sen2.py
    checks it), in a fraction of the time on a whole authority.
    """
    data = result.as_dict() if isinstance(result, Sen2Return) else result
    header = data["header"]
    persons: list[Any] = []
    for person in data["persons"]:
        children: list[Any] = [*_nodes(person["Person"])]
        children += [("Requests", None, list(_nodes(r))) for r in person["Requests"]]
        if person.get("CeasedPlan"):
            children.append(("CeasedPlan", None, list(_nodes(person["CeasedPlan"]))))
        if person.get("ActivePlans"):
            children.append(("ActivePlans", None, list(_nodes(person["ActivePlans"]))))
        persons.append(("Person", {"ref": person["ref"]} if person.get("ref") else None,
                        children))
    root = ("Message", None, [
        ("Header", None, [
            ("CollectionDetails", None, [(name, None, header[name]) for name in (
                "Collection", "Year", "ReferenceDate")]),
            ("Source", None, [(name, None, value)
                              for name, value in header["Source"].items()])]),
        ("Persons", None, persons)])
    out = ["<?xml version='1.0' encoding='utf-8'?>\n"]
    _emit(out, root, 0)
    return "".join(out).encode("utf-8")


def _nodes(items: dict[str, Any]) -> Iterator[Any]:
    """(tag, attributes, text or children) for each item, as ``_write`` nested them."""
    for name, value in items.items():
        if isinstance(value, dict):
            yield (name, None, list(_nodes(value)))
        elif isinstance(value, list):
            for item in value:
                yield (name, None, list(_nodes(item)))
        else:
            yield (name, None, str(value))


def _emit(out: list[str], node: Any, level: int) -> None:
    tag, attributes, content = node
    attrs = "".join(f' {k}="{_escape_attribute(v)}"' for k, v in (attributes or {}).items())
    if isinstance(content, list) and content:
        out.append(f"<{tag}{attrs}>")
        inner = "\n" + "  " * (level + 1)
        for child in content:
            out.append(inner)
            _emit(out, child, level + 1)
        out.append("\n" + "  " * level + f"</{tag}>")
    elif isinstance(content, str) and content:
        out.append(f"<{tag}{attrs}>{_escape_text(content)}</{tag}>")
    else:
        out.append(f"<{tag}{attrs} />")


def _escape_text(text: str) -> str:
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def _escape_attribute(text: str) -> str:
    text = _escape_text(text)
    if '"' in text or "\r" in text or "\n" in text or "\t" in text:
        text = text.replace('"', "&quot;").replace("\r", "&#13;").replace(
            "\n", "&#10;").replace("\t", "&#09;")
    return text


_LISTS = frozenset({"Requests", "PlacementDetail", "SENneed"})


def from_xml(content: bytes) -> dict[str, Any]:
    """Read a SEN2 XML file written by ``to_xml`` (or submitted in that shape)."""
    root = ET.fromstring(content)  # noqa: S314 (our own or the LA's own submitted file)
    head = root.find("Header")
    header: dict[str, Any] = {}
    if head is not None:
        for child in head.iter():
            if len(child) == 0 and child.tag not in ("Header",):
                header[child.tag] = child.text or ""
    persons = []
    for element in root.iter("Person"):
        record = _read(element)
        if element.get("ref"):
            record["ref"] = element.get("ref")
        persons.append(record)
    return {"header": header, "persons": persons}


def _read(element: ET.Element) -> dict[str, Any]:
    out: dict[str, Any] = {}
    person: dict[str, Any] = {}
    for child in element:
        if len(child) == 0:
            value = child.text or ""
            if element.tag == "Person":
                person[child.tag] = value
            else:
                out[child.tag] = value
        elif child.tag in _LISTS:
            out.setdefault(child.tag, []).append(_read(child))
        else:
            out[child.tag] = _read(child)
    if element.tag == "Person":
        out = {"Person": person, "Requests": out.pop("Requests", []), **out}
    return out


def load_return(content: bytes) -> dict[str, Any]:
    """Read a submitted return: SEN2 XML, or the JSON this module writes."""
    import json

    text = content.lstrip()
    if text.startswith(b"{"):
        data: dict[str, Any] = json.loads(text)
        return data
    return from_xml(content)


# Reconciling against a submitted file.

def person_key(person: dict[str, Any]) -> str:
    p = person.get("Person", {})
    if person.get("ref"):
        return str(person["ref"])
    if p.get("UPN"):
        return f"UPN {p['UPN']}"
    return f"{p.get('Surname', '')}|{p.get('Forename', '')}|{p.get('PersonBirthDate', '')}"


def flatten(person: dict[str, Any]) -> dict[str, str]:
    """Return ``item path -> value`` for one person; list entries are keyed by content."""
    items: dict[str, str] = {}

    def key_of(name: str, entry: dict[str, Any]) -> str:
        if name == "Requests":
            return f"ReceivedDate={entry.get('ReceivedDate', '')}"
        if name == "PlacementDetail":
            setting = entry.get("URN") or entry.get("UKPRN") or entry.get("SENSetting")
            return f"{setting}@{entry.get('EntryDate', '')}"
        if name == "SENneed":
            return f"rank={entry.get('SENtypeRank', '')}"
        return "?"

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for name, inner in value.items():
                if name == "ref":
                    continue
                if isinstance(inner, list):
                    for entry in inner:
                        walk(f"{prefix}{name}[{key_of(name, entry)}].", entry)
                else:
                    walk(f"{prefix}{name}." if isinstance(inner, dict) else f"{prefix}{name}",
                         inner)
        else:
            items[prefix.rstrip(".")] = "" if value is None else str(value)

    walk("", person)
    return items


def diff_returns(submitted: dict[str, Any], current: dict[str, Any]) -> list[dict[str, str]]:
    """List every difference by child and item: ``submitted`` against ``current``."""
    before = {person_key(p): p for p in submitted["persons"]}
    after = {person_key(p): p for p in current["persons"]}
    differences = []
    for key in sorted(set(before) | set(after)):
        if key not in after:
            differences.append({"child": key, "item": "(person)", "submitted": "present",
                                "now": "absent"})
            continue
        if key not in before:
            differences.append({"child": key, "item": "(person)", "submitted": "absent",
                                "now": "present"})
            continue
        old, new = flatten(before[key]), flatten(after[key])
        for item in sorted(set(old) | set(new)):
            if old.get(item) != new.get(item):
                differences.append({"child": key, "item": item,
                                    "submitted": old.get(item, "(absent)"),
                                    "now": new.get(item, "(absent)")})
    return differences
