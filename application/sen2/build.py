"""One child's SEN2 record from the journey's events, item by item, in DfE's codes.

Dates: the **collection period** is the calendar year before the collection year;
requests, assessments and their outcomes are read as they stood at its end; active
plans, reviews, placements and needs as they stood on the **reference date** (census).
A child is reported for any request activity in the period, a request still open at its
end (ongoing request, assessment or issuing), a plan issued, ceased or transferred out
in the period, or a plan active on the reference date (with its request and NamedPlan,
coded H when the decisions came before the period).

Codes follow the DfE guide as quoted by the sources (docs/decisions/0008): RequestOutcome
Y/N/A/W/H, AssessmentOutcome Y/N/A/W/H; "When A, W or H is selected, no further
information is required in this module", so those modules carry their outcome only.
Items with no value are left out, never written empty. The year's ``YearSpec`` decides
which items exist and their order (``shape``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from application.sen2.spec import Module, YearSpec
from domain.catalogue.movement import PlanCeased, PlanTransferredIn
from domain.catalogue.reviews import phase_transfer_clock
from domain.clocks import ClockContext
from domain.events import JourneyEvent
from domain.state import JourneyState, effective_events, fold

TRANSFERRED_OUT_REASON = "5"
_REVIEW_OUTCOMES = {"Maintain": "M", "Amend": "A", "CeaseProposal": "C"}
# casetrack's setting types that are SEN2 SENSetting codes, or map to one, when no URN or
# UKPRN names the setting (reference data ``setting_types``).
_SETTING_TYPE_CODES = {"OLA": "OLA", "OPA": "OPA", "EHE": "EHE", "OTH": "OTH",
                       "EARLY_YEARS_PVI": "EYP", "NEET": "NEET", "AWAITING": "NIEO"}


@dataclass(frozen=True)
class Period:
    """The collection period (calendar year before the collection) and the census day."""

    start: date
    end: date
    reference: date

    def holds(self, day: date | None) -> bool:
        return day is not None and self.start <= day <= self.end


@dataclass(frozen=True)
class Context:
    """What every record of one return shares."""

    spec: YearSpec
    period: Period
    la_numbers: Mapping[str, str]


def flag(value: bool) -> str:
    return "1" if value else "0"


def shape(values: dict[str, Any], module: Module) -> dict[str, Any]:
    """Keep the module's items in the spec's order, then its child modules; drop empties."""
    out: dict[str, Any] = {}
    for item in module.items:
        value = values.get(item.name)
        if value not in (None, ""):
            out[item.name] = str(value)
    for child in module.children:
        value = values.get(child.name)
        if isinstance(value, list):
            rows = [shape(v, child) for v in value]
            if rows:
                out[child.name] = rows
        elif isinstance(value, dict):
            out[child.name] = shape(value, child)
    return out


def person_record(child_id: UUID, log: list[JourneyEvent], context: Context,
                  identifiers: dict[str, str] | None = None) -> dict[str, Any] | None:
    """Return the child's record for the return, or None when nothing is reported."""
    period = context.period
    events = effective_events(log)
    upto_end = events[:1] + [e for e in events[1:] if e.occurred_on <= period.end]
    upto_ref = events[:1] + [e for e in events[1:] if e.occurred_on <= period.reference]
    at_end = fold(upto_end)
    at_ref = at_end if len(upto_ref) == len(upto_end) else fold(upto_ref)
    transfer = next((e for e in upto_ref if isinstance(e, PlanTransferredIn)), None)
    transfer_la = None
    if transfer is not None and period.holds(transfer.occurred_on):
        transfer_la = transfer.sen2_transfer_la or context.la_numbers.get(
            transfer.old_la, transfer.old_la)
    requests = _requests(at_end, at_ref, upto_end, context, transfer_la)
    if not requests:
        return None
    person = _person(at_ref, identifiers, requests, period)
    person["Requests"] = requests
    items = shape(person, context.spec.person)
    return {"ref": str(child_id), "Person": items, "Requests": items.pop("Requests", [])}


# Requests.

def _reported(request: Any, at_end: JourneyState, period: Period) -> bool:
    activity = any(period.holds(day) for day in (
        request.received_on, request.decision_notified_on, request.withdrawn_on,
        request.no_plan_notified_on, request.final_issued_on))
    return activity or request.is_open  # ongoing at the end of the period


def _plan_request(at_end: JourneyState) -> Any | None:
    """The request whose final plan is the journey's plan (None: transferred in)."""
    made_on = at_end.plan.made_on
    return next((r for r in reversed(at_end.assessment.requests)
                 if r.final_issued_on is not None and r.final_issued_on == made_on), None)


def _requests(at_end: JourneyState, at_ref: JourneyState, events: list[JourneyEvent],
              context: Context, transfer_la: str | None) -> list[dict[str, Any]]:
    period = context.period
    plan_active = at_ref.plan.is_active and at_ref.status == "open"
    ended = _plan_end(at_end, events, period)
    # A plan first issued between the period's end and the census day is active on the
    # census day: its request (as at the period's end: decided to issue, no date yet)
    # carries it.
    plan_request = _plan_request(at_ref if plan_active else at_end)
    plan_reported = plan_active or ended is not None or (
        plan_request is not None and period.holds(plan_request.final_issued_on))
    out: list[dict[str, Any]] = []
    for request in at_end.assessment.requests:
        is_plan = plan_reported and plan_request is not None and request.id == plan_request.id
        if not (is_plan or _reported(request, at_end, period)):
            continue
        if request.received_on > period.end:
            continue
        record = _request(at_end, request, period)
        if request.decision == "assess" and record["RequestOutcome"] in ("Y", "H"):
            record["Assessment"] = _assessment(at_end, request, period)
            if is_plan:
                record["Assessment"]["NamedPlan"] = _named_plan(at_end, at_ref, ended, period)
        if is_plan and plan_active:
            record["ActivePlans"] = _active_plans(at_ref, context, transfer_la)
        out.append(record)
    transfer = at_ref.movement.transfer_in
    if transfer is not None and plan_request is None and (plan_active or ended):
        out.append(_transferred_in(at_end, at_ref, ended, context, transfer_la))
    return sorted(out, key=lambda r: r.get("ReceivedDate", ""))


def _request(state: JourneyState, request: Any, period: Period) -> dict[str, Any]:
    source = request.request_source or ("5" if request.route == "brought_to_attention"
                                        else None)
    record: dict[str, Any] = {"ReceivedDate": request.received_on.isoformat(),
                              "RequestSource": source, "RYA": flag(request.rya)}
    decided = request.decision_notified_on
    if request.decision is not None and decided is not None and decided < period.start:
        record["RequestOutcome"] = "H"
    elif request.decision is not None and decided is not None:
        record["RequestOutcome"] = "Y" if request.decision == "assess" else "N"
        record["RequestOutcomeDate"] = decided.isoformat()
        refusal = _decisions(state, {"refuse_assessment"}, {decided})
        record["RequestMediation"] = flag(_mediated(state, refusal))
        record["RequestTribunal"] = flag(_appealed(state, refusal))
    elif request.withdrawn_on is not None:
        record["RequestOutcome"] = "W"
    else:
        record["RequestOutcome"] = "A"
    if _exported(state, request):
        record["Exported"] = "1"
    return record


def _exported(state: JourneyState, request: Any) -> bool:
    """The child moved out of the LA before the assessment was completed."""
    completed = request.final_issued_on or request.no_plan_notified_on or (
        request.decision_notified_on if request.decision == "not_assess" else None)
    return any(m.move_on >= request.received_on and (completed is None or m.move_on < completed)
               for m in state.movement.moves)


def _decisions(state: JourneyState, kinds: set[str], days: set[date | None]) -> list[str]:
    return [d.id for d in state.appealable_decisions if d.kind in kinds and d.notified_on in days]


def _mediated(state: JourneyState, decision_ids: list[str]) -> bool:
    return any(m.decision_id in decision_ids for m in state.disputes.mediations
               if m.declined_on is None)


def _appealed(state: JourneyState, decision_ids: list[str]) -> bool:
    return any(a.decision_id in decision_ids for a in state.disputes.appeals)


def week20_exception(state: JourneyState, request: Any) -> bool:
    """Tell whether an exception stands on any phase of the request (SEN2 Week20)."""
    episodes = {request.id} | {a.id for a in state.plan.advice if a.request_id == request.id}
    return any(not c.withdrawn and c.episode in episodes for c in state.exception_claims)


def _assessment(state: JourneyState, request: Any, period: Period) -> dict[str, Any]:
    issued = request.final_issued_on
    if issued is not None and issued < period.start:
        return {"AssessmentOutcome": "H"}
    if issued is not None:
        outcome, on = "Y", issued
    elif request.issue_decision == "issue":
        outcome, on = "Y", None  # decided to issue, plan not yet issued: date left blank
    elif request.issue_decision == "not_issue":
        outcome, on = "N", request.no_plan_notified_on or request.issue_decision_on
    elif request.withdrawn_on is not None:
        return {"AssessmentOutcome": "W"}
    else:
        return {"AssessmentOutcome": "A"}
    own = _decisions(state, {"refuse_plan", "plan_content"},
                     {request.no_plan_notified_on, request.final_issued_on})
    others = [d.id for d in state.appealable_decisions
              if d.id not in own and d.kind != "refuse_assessment"]
    return {
        "AssessmentOutcome": outcome, "AssessmentOutcomeDate": on.isoformat() if on else None,
        "AssessmentMediation": flag(_mediated(state, own)),
        "AssessmentTribunal": flag(_appealed(state, own)),
        "OtherMediation": flag(_mediated(state, others)),
        "OtherTribunal": flag(_appealed(state, others)),
        "Week20": flag(week20_exception(state, request)),
    }


# The plan: NamedPlan (content of section I) and its end.

def _plan_end(state: JourneyState, events: list[JourneyEvent], period: Period
              ) -> tuple[date, str] | None:
    ceased = next((e for e in reversed(events) if isinstance(e, PlanCeased)), None)
    if ceased is not None and period.holds(ceased.occurred_on):
        return ceased.occurred_on, ceased.cease_reason
    out = state.movement.transferred_out_on
    if out is not None and period.holds(out):
        return out, TRANSFERRED_OUT_REASON
    return None


def setting_items(setting_ref: str | None, setting_type: str | None) -> dict[str, str]:
    """URN (6 digits) or UKPRN (8 digits) from a setting reference; else a SENSetting code."""
    ref = (setting_ref or "").strip()
    if ref.startswith("urn-"):
        return {"URN": ref[4:]}
    if ref.startswith("ukprn-"):
        return {"UKPRN": ref[6:]}
    if ref.isdigit() and len(ref) == 6:
        return {"URN": ref}
    if ref.isdigit() and len(ref) == 8:
        return {"UKPRN": ref}
    code = _SETTING_TYPE_CODES.get(setting_type or "")
    return {"SENSetting": code} if code else {}


def _named_plan(at_end: JourneyState, at_ref: JourneyState, ended: tuple[date, str] | None,
                period: Period) -> dict[str, Any]:
    state = at_ref if ended is None else at_end
    version = state.plan.current
    assert version is not None and state.plan.made_on is not None
    day = ended[0] if ended else period.reference
    # The version's named setting is section I as last issued (an amended or
    # phase-transfer plan names it without restating section I).
    section_i = version.sections.get("I") or {}
    setting_ref = version.named_setting or section_i.get("setting_ref")
    setting_type = version.setting_type or section_i.get("setting_type")
    placements = sorted((p for p in state.plan.placements if p.covers(day)),
                        key=lambda p: (p.rank, p.start_on))
    first = next((p for p in placements if p.rank == 1), None)
    details = [{**setting_items(setting_ref, setting_type),
                "PlacementRank": "1",
                "SENunitIndicator": flag(str(setting_type).endswith("_UNIT")),
                "ResourcedProvisionIndicator": flag(str(setting_type).endswith("_RP"))}]
    details += [_placement_items(p) for p in placements if p.rank > 1]
    record: dict[str, Any] = {
        "StartDate": state.plan.made_on.isoformat(),
        "PlanRes": first.residential if first else None,
        "PlanWPB": flag(bool(first and first.work_based)),
        **_budget_flags(state), "PlanDetail": details}
    if ended is not None:
        record["CeaseDate"], record["CeaseReason"] = ended[0].isoformat(), ended[1]
    return record


def _budget_flags(state: JourneyState) -> dict[str, str]:
    determined = [r for r in state.budgets.requests if r.determined_on is not None]
    return {"PB": flag(bool(determined)),
            "OA": flag(any(r.arrangement in ("notional", "third_party", "mixed")
                           for r in determined)),
            "DP": flag(bool(state.budgets.payments))}


def _placement_items(placement: Any) -> dict[str, str]:
    where = ({"URN": placement.urn} if placement.urn else {"UKPRN": placement.ukprn}
             if placement.ukprn else {"SENSetting": placement.sen_setting or ""})
    return {**where, "PlacementRank": str(placement.rank),
            "SENunitIndicator": flag(placement.sen_unit),
            "ResourcedProvisionIndicator": flag(placement.resourced_provision)}


# ActivePlans on the reference date.

def _active_plans(state: JourneyState, context: Context, transfer_la: str | None
                  ) -> dict[str, Any]:
    period = context.period
    transfer = state.movement.transfer_in
    held = [r for r in state.reviews.held_reviews() if period.holds(r.held_on)]
    latest = held[-1] if held else None
    notified = sorted((r.decision_notified_on for r in state.reviews.reviews
                       if r.decision_notified_on is not None), reverse=True)
    draft = next((a.noticed_on for a in state.reviews.amendments
                  if latest is not None and a.source_id == latest.id), None)
    phase = _phase_transfer(state, period)
    placements = sorted((p for p in state.plan.placements if p.start_on <= period.reference
                         and (p.end_on is None or p.end_on >= period.start)),
                        key=lambda p: (p.rank, p.start_on))
    return {
        "TransferLA": transfer_la,
        "ReviewMeeting": latest.held_on.isoformat() if latest and latest.held_on else None,
        "ReviewOutcome": _REVIEW_OUTCOMES.get(latest.decision or "") if latest else None,
        "ReviewDraft": draft.isoformat() if draft else None,
        "PhaseTransferDueDate": phase[0], "PhaseTransferFinalDate": phase[1],
        "LastReview": notified[0].isoformat() if notified else (
            transfer.last_reviewed_on.isoformat() if transfer and transfer.last_reviewed_on
            else None),
        "PlacementDetail": [{
            **_placement_items(p), "EntryDate": p.start_on.isoformat(),
            "LeavingDate": p.end_on.isoformat() if p.end_on else None,
            "RES": p.residential, "WPB": flag(p.work_based)} for p in placements],
        "SENneed": [{"SENtype": str(n.get("code")), "SENtypeRank": str(n.get("rank"))}
                    for n in sorted(state.plan.needs, key=lambda n: int(n.get("rank", 99)))],
    }


def _phase_transfer(state: JourneyState, period: Period) -> tuple[str | None, str | None]:
    """K12's due and stop dates for the phase transfer due in the period (the clock's own)."""
    readings = [r for r in phase_transfer_clock(state, ClockContext(today=period.reference))
                if period.holds(r.due_on)]
    if not readings:
        return None, None
    last = readings[-1]
    assert last.due_on is not None
    return last.due_on.isoformat(), last.stopped_on.isoformat() if last.stopped_on else None


def _transferred_in(at_end: JourneyState, at_ref: JourneyState,
                    ended: tuple[date, str] | None, context: Context,
                    transfer_la: str | None) -> dict[str, Any]:
    """A plan transferred in: its request and assessment are historical (guide, module 3)."""
    record: dict[str, Any] = {"RYA": "0", "RequestOutcome": "H",
                              "Assessment": {"AssessmentOutcome": "H"}}
    record["Assessment"]["NamedPlan"] = _named_plan(at_end, at_ref, ended, context.period)
    if ended is None:
        record["ActivePlans"] = _active_plans(at_ref, context, transfer_la)
    return record


# Person.

def _person(state: JourneyState, identifiers: dict[str, str] | None,
            requests: list[dict[str, Any]], period: Period) -> dict[str, Any]:
    child = state.child
    assert child is not None
    ids = identifiers or {}
    person = {
        "Surname": ids.get("family_name"), "Forename": ids.get("given_name"),
        "PersonBirthDate": child.date_of_birth.isoformat(), "Sex": child.sex,
        "Ethnicity": child.ethnicity, "PostCode": ids.get("postcode"),
        "UPN": ids.get("upn"), "UniqueLearnerNumber": ids.get("uln")}
    if not person["UPN"] and not person["UniqueLearnerNumber"]:
        transfer = state.movement.transfer_in
        new_to_la = transfer is not None and period.start <= transfer.transferred_on
        person["UPNunknown"] = upn_unknown(child.date_of_birth, requests, period,
                                           new_to_la=new_to_la)
    return person


def upn_unknown(born: date, requests: list[dict[str, Any]], period: Period, *,
                new_to_la: bool = False) -> str | None:
    """The guide's reason where casetrack knows it: UN1 under 6 on the reference date; UN8
    new to the LA (a plan transferred in since the period began); UN10 when every
    request ended with no further action. Otherwise None (a check error)."""
    reference = period.reference
    age = reference.year - born.year - ((reference.month, reference.day) < (born.month,
                                                                           born.day))
    if age < 6:
        return "UN1"
    if new_to_la:
        return "UN8"
    no_action = all(r["RequestOutcome"] in ("N", "W") or r.get("Assessment", {}).get(
        "AssessmentOutcome") in ("N", "W") for r in requests)
    return "UN10" if requests and no_action else None
