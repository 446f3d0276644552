"""Thematic and cohort questions, and the area picture, from the cohort read model.

Each question takes a ``Cohort`` (authority, ``as_at``, period, filters, a breakdown
dimension) and answers counts, percentages, medians and means, each with the children
behind it, overall and per group of the breakdown. Facts are read as at ``as_at`` from
their dates: a step counts if it happened by ``as_at`` (as the record now stands,
corrections included); a clock is late as at ``as_at`` if it stopped after its due date,
or had not stopped by ``as_at`` and ``as_at`` is past its due date.

Inspectors get pseudonymous child ids (a keyed hash); managers and auditors the child ids.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Protocol

from application.access import check_may_report, report_pseudonymises
from application.queries import AGE_BANDS, ReadModels, ensure_reached
from domain.actors import Actor
from domain.ages import year_group
from domain.calendar import DEFAULT_COUNTING
from domain.catalogue.advice import PFA_FROM_YEAR

COHORT_PROJECTION = "cohort"
CHILD_DIMENSIONS = ("primary_need", "age_band", "sex", "ethnicity", "setting_type",
                    "requester", "looked_after")
CLOSURE_GROUNDS = ("school_closure_window", "early_years_closure_window")
AUTISM_SERVICES = ("ND_AUTISM", "AUTISM", "autism")


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
class Question:
    """A question: its rows, its measures (flag and its denominator) and its values."""

    name: str
    title: str
    measures: tuple[tuple[str, str | None], ...]
    values: tuple[str, ...]
    dimensions: tuple[str, ...]
    records: Callable[[Data, Cohort], list[Record]]


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

    def __init__(self, store: CohortStore, authority: str, scope: Scope | None = None
                 ) -> None:
        self.store = store
        self.authority = authority
        self.scope = scope or Scope()
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

    def facts(self, *kinds: str) -> list[dict[str, Any]]:
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
        if self._requests is None:
            self._requests = self.store.requests(self.authority, within=self.scope.requests) \
                if self.scope.requests else self.store.requests(self.authority)
        return self._requests

    def disputes(self) -> list[dict[str, Any]]:
        if self._disputes is None:
            self._disputes = self.store.disputes(self.authority, within=self.scope.disputes) \
                if self.scope.disputes else self.store.disputes(self.authority)
        return self._disputes


# Dates as at a day.


def happened(day: date | None, as_at: date) -> bool:
    return day is not None and day <= as_at


def open_at(started: date | None, stopped: date | None, as_at: date) -> bool:
    return started is not None and started <= as_at and (stopped is None or stopped > as_at)


def late_at(due: date | None, stopped: date | None, as_at: date) -> bool:
    """Late as at ``as_at``: stopped after the due date, or still open past it."""
    if due is None:
        return False
    if stopped is not None and stopped <= as_at:
        return stopped > due
    return as_at > due


def days_late(due: date | None, stopped: date | None, as_at: date) -> float | None:
    if not late_at(due, stopped, as_at):
        return None
    assert due is not None
    end = stopped if stopped is not None and stopped <= as_at else as_at
    return float((end - due).days)


def weeks(start: date, end: date) -> float:
    return round((end - start).days / 7, 2)


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def age_band(born: date, day: date) -> str | None:
    age = age_on(born, day)
    return next((band for band, (low, high) in AGE_BANDS.items() if low <= age <= high), None)


# The questions.


def _request_records(data: Data, cohort: Cohort, on: Callable[[dict[str, Any]], date | None],
                     build: Callable[[dict[str, Any]], Record | None]) -> list[Record]:
    out = []
    for r in data.requests():
        if not cohort.in_period(on(r)):
            continue
        record = build(r)
        if record is not None:
            record.dims.setdefault("requester", r["requester_role"])
            record.dims.setdefault("month", on(r).strftime("%Y-%m"))  # type: ignore[union-attr]
            out.append(record)
    return out


def timeliness_records(data: Data, cohort: Cohort) -> list[Record]:
    """New plans issued in the period: within 20 weeks with and without exceptions."""

    def build(r: dict[str, Any]) -> Record:
        issued, due = r["final_issued_on"], r["k4_due_on"]
        within = issued <= due
        exception = r["k4_ground"] is not None
        taken = (issued - r["received_on"]).days
        return Record(r["child_id"], {
            "within_20_weeks": within, "over_20_weeks": not within,
            "exception_applied": exception, "no_exception": not exception,
            "within_20_weeks_excluding_exceptions": within and not exception,
            "late_without_exception": not within and not exception,
            "late_exception_applies": not within and exception,
            "over_20_weeks_within_a_year": not within and taken <= 365,
            "over_a_year": taken > 365,
        }, {"weeks_to_issue": weeks(r["received_on"], issued)},
            {"exception_ground": r["k4_ground"]})

    return _request_records(data, cohort, lambda r: r["final_issued_on"], build)


def decision_records(data: Data, cohort: Cohort) -> list[Record]:
    """Requests received in the period: decided within 6 weeks, refusals."""
    as_at = cohort.as_at

    def build(r: dict[str, Any]) -> Record:
        notified = r["decision_notified_on"] if happened(r["decision_notified_on"], as_at) \
            else None
        decided = notified is not None and r["decision"] is not None
        withdrawn = not decided and happened(r["withdrawn_on"], as_at)
        due = r["k1_due_on"]
        return Record(r["child_id"], {
            "decided": decided, "within_6_weeks": decided and notified <= due,
            "over_6_weeks": (decided and notified > due) or (
                not decided and not withdrawn and as_at > due),
            "decided_to_assess": decided and r["decision"] == "assess",
            "refused": decided and r["decision"] == "not_assess",
            "withdrawn": withdrawn, "no_decision_yet": not decided and not withdrawn,
            "rya": bool(r["rya"]), "exception_applied": r["k1_ground"] is not None,
        }, {"weeks_to_decision": weeks(r["received_on"], notified)
            if decided and notified else None},
            {"exception_ground": r["k1_ground"]})

    return _request_records(data, cohort, lambda r: r["received_on"], build)


def exception_records(data: Data, cohort: Cohort) -> list[Record]:
    """Every exception claimed in the period, by ground and clock, and whether it holds."""
    out = []
    for f in data.facts("exception_claim"):
        if not cohort.in_period(f["anchor_on"]):
            continue
        verdict = f["outcome"] or ""
        until = (f["detail"] or {}).get("withdrawn_on")
        if verdict == "withdrawn" and until and date.fromisoformat(until) > cohort.as_at:
            verdict = (f["detail"] or {}).get("outcome_until_withdrawn") or verdict
        closure = f["subject"] in CLOSURE_GROUNDS
        out.append(Record(f["child_id"], {
            "holds": verdict == "holds", "withdrawn": verdict == "withdrawn",
            "rejected": verdict.startswith("rejected"),
            "closure_claim": closure,
            "closure_claim_holds": closure and verdict == "holds",
            "closure_inconsistent_with_dates": closure and verdict not in ("holds",
                                                                           "withdrawn"),
        }, {}, {"ground": f["subject"], "clock": f["parent"], "outcome": verdict,
                "phase": (f["detail"] or {}).get("phase"),
                "month": f["anchor_on"].strftime("%Y-%m")}))
    return out


def advice_records(data: Data, cohort: Cohort) -> list[Record]:
    """Advice asked in the period: back within 6 weeks, days late, and pushed past week 20."""
    as_at = cohort.as_at
    out = []
    for f in data.facts("K2"):
        if f["due_on"] is None or not cohort.in_period(f["started_on"]):
            continue
        stopped = f["stopped_on"] if happened(f["stopped_on"], as_at) else None
        late = late_at(f["due_on"], stopped, as_at)
        week_20 = f["anchor_on"]
        final = (f["detail"] or {}).get("final_issued_on")
        final_on = date.fromisoformat(final) if final else None
        final_on = final_on if happened(final_on, as_at) else None
        plan_late = week_20 is not None and late_at(week_20, final_on, as_at)
        pushed = late and plan_late and week_20 is not None and (
            stopped is None or stopped > week_20 or (final_on is not None and stopped >
                                                     (final_on - timedelta(weeks=2))))
        out.append(Record(f["child_id"], {
            "returned": stopped is not None,
            "within_6_weeks": stopped is not None and stopped <= f["due_on"],
            "late": late, "late_exception_applies": late and f["exception_ground"] is not None,
            "pushed_plan_past_week_20": bool(pushed),
        }, {"days_late": days_late(f["due_on"], stopped, as_at)},
            {"adviser_type": f["subject"], "responsible": f["responsible"],
             "month": f["started_on"].strftime("%Y-%m")}))
    return out


def _plan_active(child: dict[str, Any], day: date) -> bool:
    made = child["plan_made_on"]
    ended = [d for d in (child["plan_ceased_on"], child["transferred_out_on"]) if d]
    return made is not None and made <= day and not any(d <= day for d in ended)


def reviews_overdue_records(data: Data, cohort: Cohort) -> list[Record]:
    """Active plans as at the day: the annual review overdue (12 months), under-5s (6).

    A plan transferred in from another LA is first reviewed under reg 15(5) (K17), then
    every 12 months (K7): both count."""
    as_at = cohort.as_at
    out = []
    for f in data.facts("K7", "K17"):
        child = data.children.get(f["child_id"])
        if child is None or not _plan_active(child, as_at) or not open_at(
                f["started_on"], f["stopped_on"], as_at) or f["due_on"] is None:
            continue
        under_5 = age_on(child["date_of_birth"], as_at) < 5
        six_months = DEFAULT_COUNTING.add_months(f["started_on"], 6)
        out.append(Record(f["child_id"], {
            "overdue": as_at > f["due_on"],
            "under_5": under_5, "under_5_no_review_in_6_months": under_5 and as_at > six_months,
        }, {"days_overdue": days_late(f["due_on"], None, as_at)},
            {"last_review_or_plan_on": f["started_on"].isoformat()}))
    return out


def review_decision_records(data: Data, cohort: Cohort) -> list[Record]:
    """Review meetings in the period: decision past 4 weeks; amendments past 8 / 12 weeks."""
    as_at = cohort.as_at
    out = []
    for f in data.facts("K10", "K11"):
        meeting = f["started_on"] if f["kind"] == "K10" else f["anchor_on"]
        if not cohort.in_period(f["started_on"]):
            continue
        stopped = f["stopped_on"] if happened(f["stopped_on"], as_at) else None
        if f["kind"] == "K10":
            flags = {"review": True, "decision_issued": stopped is not None,
                     "decision_past_4_weeks": late_at(f["due_on"], stopped, as_at)}
            value = {"weeks_to_decision": weeks(meeting, stopped) if stopped else None}
        else:
            twelve = DEFAULT_COUNTING.add_weeks(meeting, 12) if meeting else None
            flags = {"amendment": True, "amendment_finalised": stopped is not None,
                     "amendment_past_8_weeks": late_at(f["due_on"], stopped, as_at),
                     "amendment_past_12_weeks_from_meeting": late_at(twelve, stopped, as_at)}
            value = {"weeks_meeting_to_amendment": weeks(meeting, stopped)
                     if stopped and meeting else None}
        out.append(Record(f["child_id"], flags, value,
                          {"step": "review_decision" if f["kind"] == "K10" else "amendment",
                           "review_type": f["subject"],
                           "month": f["started_on"].strftime("%Y-%m")}))
    return out


def phase_transfer_records(data: Data, cohort: Cohort) -> list[Record]:
    """Phase transfers due in the period (15 February / 31 March): finalised in time?"""
    as_at = cohort.as_at
    out = []
    for f in data.facts("K12"):
        if f["due_on"] is None or not happened(f["started_on"], as_at) or \
                not cohort.in_period(min(f["due_on"], as_at)) and not (
                    cohort.period_from is None or cohort.period_from <= f["due_on"]):
            continue
        if cohort.period_to is not None and f["due_on"] > cohort.period_to or \
                cohort.period_from is not None and f["due_on"] < cohort.period_from:
            continue
        stopped = f["stopped_on"] if happened(f["stopped_on"], as_at) else None
        missed = late_at(f["due_on"], stopped, as_at)
        out.append(Record(f["child_id"], {
            "finalised_by_deadline": stopped is not None and stopped <= f["due_on"],
            "missed_deadline": missed,
            "pending": stopped is None and as_at <= f["due_on"],
        }, {"days_late": days_late(f["due_on"], stopped, as_at)},
            {"transfer_type": f["subject"], "deadline": f["due_on"].isoformat()}))
    return out


def tribunal_records(data: Data, cohort: Cohort) -> list[Record]:
    """Tribunal orders made in the period: complied with within the reg 44 period?"""
    as_at = cohort.as_at
    out = []
    for f in data.facts("K22"):
        if not cohort.in_period(f["started_on"]):
            continue
        stopped = f["stopped_on"] if happened(f["stopped_on"], as_at) else None
        late = late_at(f["due_on"], stopped, as_at)
        out.append(Record(f["child_id"], {
            "complied": stopped is not None,
            "complied_in_time": stopped is not None and stopped <= f["due_on"],
            "not_complied_in_time": late,
            "late_exception_applies": late and f["exception_ground"] is not None,
        }, {"days_to_comply": float((stopped - f["started_on"]).days) if stopped else None,
            "days_late": days_late(f["due_on"], stopped, as_at)},
            {"order": f["subject"], "month": f["started_on"].strftime("%Y-%m")}))
    return out


def health_wait_records(data: Data, cohort: Cohort) -> list[Record]:
    """Health waits of children with a plan or in assessment: referral to first contact."""
    as_at = cohort.as_at
    requested = {r["child_id"] for r in data.requests() if happened(r["received_on"], as_at)}
    k26 = {(f["child_id"], f["key"]): f for f in data.facts("K26")}
    out = []
    for f in data.facts("health_wait"):
        child = data.children.get(f["child_id"])
        if child is None or not cohort.in_period(f["started_on"]) or not (
                f["child_id"] in requested or _plan_active(child, as_at)):
            continue
        seen = f["stopped_on"] if happened(f["stopped_on"], as_at) else None
        waited = weeks(f["started_on"], seen or as_at)
        autism = k26.get((f["child_id"], f["key"]))
        out.append(Record(f["child_id"], {
            "seen": seen is not None, "waiting": seen is None,
            "over_18_weeks": waited > 18, "over_52_weeks": waited > 52,
            "autism_assessment_over_3_months": autism is not None and late_at(
                autism["due_on"], autism["stopped_on"] if happened(autism["stopped_on"], as_at)
                else None, as_at),
        }, {"weeks_to_first_contact": weeks(f["started_on"], seen) if seen else None,
            "weeks_waited_so_far": waited if seen is None else None},
            {"service": f["subject"], "month": f["started_on"].strftime("%Y-%m")}))
    return out


def placement_records(data: Data, cohort: Cohort) -> list[Record]:
    """Children with an active plan: without a full-time placement now or in the last year."""
    as_at = cohort.as_at
    since = cohort.period_from or DEFAULT_COUNTING.add_months(as_at, -12)
    places: dict[str, list[dict[str, Any]]] = {}
    for f in data.facts("placement", "out_of_school"):
        places.setdefault(f["child_id"], []).append(f)
    out = []
    for child_id, child in data.children.items():
        if not _plan_active(child, as_at):
            continue
        start = max(since, child["plan_made_on"])
        rows = places.get(child_id, [])
        full = [(p["started_on"], p["stopped_on"]) for p in rows
                if p["kind"] == "placement" and p["outcome"] == "full_time"]
        uncovered = _uncovered_days(start, as_at, full)
        out_of_school = [p for p in rows if p["kind"] == "out_of_school" and
                         p["started_on"] <= as_at and (p["stopped_on"] is None or
                                                       p["stopped_on"] >= start)]
        now = any(open_at(s, e, as_at) or (s <= as_at and e is None) for s, e in full)
        out.append(Record(child_id, {
            "without_full_time_placement_now": not now,
            "without_full_time_placement_in_period": uncovered > 0,
            "out_of_school_in_period": bool(out_of_school),
            "part_time_or_eotas_in_period": bool(out_of_school) or any(
                p["kind"] == "placement" and p["outcome"] != "full_time" for p in rows),
        }, {"days_without_full_time_placement": float(uncovered) if uncovered else None},
            {"kinds": ",".join(sorted({p["subject"] or "" for p in out_of_school})) or None}))
    return out


def _uncovered_days(start: date, end: date, spans: list[tuple[date, date | None]]) -> int:
    if start > end:
        return 0
    covered = 0
    cursor = start
    for s, e in sorted((max(s, start), min(e or end, end)) for s, e in spans):
        if e < cursor:
            continue
        if s > cursor:
            s = max(s, cursor)
        covered += (e - max(s, cursor)).days + (1 if e >= max(s, cursor) else 0)
        cursor = e + timedelta(days=1)
    return max(0, (end - start).days + 1 - covered)


def dispute_records(data: Data, cohort: Cohort) -> list[Record]:
    """The mediation and appeal funnel of appealable decisions notified in the period."""
    as_at = cohort.as_at
    out = []
    for d in data.disputes():
        if not cohort.in_period(d["notified_on"]):
            continue
        h = {k: happened(d[k], as_at) for k in (
            "adviser_contacted_on", "mediation_requested_on", "mediation_declined_on",
            "mediation_held_on", "certificate_on", "appeal_registered_on", "appeal_closed_on")}
        held = h["mediation_held_on"]
        outcome = d["appeal_outcome"] if h["appeal_closed_on"] else None
        out.append(Record(d["child_id"], {
            "decision": True, "adviser_contacted": h["adviser_contacted_on"],
            "mediation_requested": h["mediation_requested_on"],
            "mediation_declined": h["mediation_declined_on"], "mediation_held": held,
            "mediation_agreement": held and (d["mediation_outcome"] or "").startswith(
                ("agree", "full", "partial")),
            "certificate_issued": h["certificate_on"],
            "appeal_registered": h["appeal_registered_on"],
            "appeal_after_mediation": h["appeal_registered_on"] and held,
            "appeal_closed": h["appeal_closed_on"],
            "appeal_decided_for_family": outcome in ("allowed", "partly_allowed",
                                                      "conceded", "unopposed"),
        }, {}, {"decision_kind": d["kind"], "appeal_outcome": outcome,
                "mediation_outcome": d["mediation_outcome"] if held else None,
                "month": d["notified_on"].strftime("%Y-%m")}))
    return out


def ceased_records(data: Data, cohort: Cohort) -> list[Record]:
    """Plans ceased in the period, by reason; any ceased with the appeal window open."""
    windows: dict[str, list[dict[str, Any]]] = {}
    for f in data.facts("K21"):
        windows.setdefault(f["child_id"], []).append(f)
    cease_decisions = {(d["child_id"], d["decision_id"]): d for d in data.disputes()
                       if d["kind"] == "cease_plan"}
    out = []
    for child_id, child in data.children.items():
        ceased = child["plan_ceased_on"]
        if not cohort.in_period(ceased):
            continue
        window_open = any(
            (child_id, w["key"]) in cease_decisions and w["due_on"] is not None
            and ceased < w["due_on"] and cease_decisions[(child_id, w["key"])][
                "appeal_registered_on"] is None for w in windows.get(child_id, []))
        out.append(Record(child_id, {"ceased": True, "ceased_while_appeal_window_open":
                                     window_open},
                          {"age_at_ceasing": float(age_on(child["date_of_birth"], ceased))},
                          {"reason": child["cease_reason"],
                           "month": ceased.strftime("%Y-%m")}))
    return out


def budget_records(data: Data, cohort: Cohort) -> list[Record]:
    """Personal budgets: requests, determined, refusals, direct payments, first reviews."""
    as_at = cohort.as_at
    out = []
    for f in data.facts("budget_request"):
        if cohort.in_period(f["started_on"]):
            out.append(Record(f["child_id"], {
                "request": True, "determined": happened(f["stopped_on"], as_at),
                "direct_payment_requested": bool((f["detail"] or {}).get(
                    "direct_payment_requested"))}, {}, {"step": "request",
                                                       "element": f["subject"]}))
    for f in data.facts("dp_refusal"):
        if cohort.in_period(f["started_on"]):
            out.append(Record(f["child_id"], {
                "direct_payment_refused": True,
                "reconsidered": happened(f["stopped_on"], as_at)}, {},
                {"step": "refusal", "reason": f["subject"], "outcome": f["outcome"]}))
    for f in data.facts("direct_payment"):
        if open_at(f["started_on"], f["stopped_on"], as_at):
            out.append(Record(f["child_id"], {"direct_payment_in_place": True}, {
                "amount_pence": float((f["detail"] or {}).get("amount_pence") or 0)},
                {"step": "direct_payment", "element": f["subject"]}))
    for f in data.facts("K24"):
        if cohort.in_period(f["started_on"]):
            stopped = f["stopped_on"] if happened(f["stopped_on"], as_at) else None
            out.append(Record(f["child_id"], {
                "first_review": True,
                "first_review_missed": late_at(f["due_on"], stopped, as_at)}, {},
                {"step": "first_review"}))
    return out


def equality_records(data: Data, cohort: Cohort) -> list[Record]:
    """Requests in the period: refusal and timeliness, for the equality breakdowns."""
    as_at = cohort.as_at
    out = []
    for r in data.requests():
        if not cohort.in_period(r["received_on"]):
            continue
        decided = happened(r["decision_notified_on"], as_at) and r["decision"] is not None
        issued = happened(r["final_issued_on"], as_at)
        out.append(Record(r["child_id"], {
            "decided": decided, "refused": decided and r["decision"] == "not_assess",
            "plan_issued": issued,
            "plan_within_20_weeks": issued and r["final_issued_on"] <= r["k4_due_on"],
        }, {"weeks_to_issue": weeks(r["received_on"], r["final_issued_on"])
            if issued else None}, {"requester": r["requester_role"]}))
    return out


def correction_records(data: Data, cohort: Cohort) -> list[Record]:
    """Corrections and retractions in the period that changed a clock's outcome."""
    out = []
    for f in data.facts("correction"):
        if not cohort.in_period(f["started_on"]):
            continue
        detail = f["detail"] or {}
        before, after = detail.get("before", ""), detail.get("after", "")
        out.append(Record(f["child_id"], {
            "changed": True, "became_late": after.startswith("late") and
            not before.startswith("late"),
            "no_longer_late": before.startswith("late") and not after.startswith("late"),
        }, {}, {"clock": f["subject"], "change": f["outcome"], "corrected_event": f["parent"],
                "kind": detail.get("kind"), "user": detail.get("actor_user"),
                "month": f["started_on"].strftime("%Y-%m")}))
    return out


# Refusals overturned (Q6), section F quality (Q11), health advice (Q13), moves between
# LAs (Q15), placement sufficiency (Q18) and preparation for adulthood (Q24).

REFUSALS = ("refuse_assessment", "refuse_plan", "refuse_reassessment")
MEDIATION_AGREED = ("agreement", "partial_agreement")
APPEAL_WON = ("allowed", "partly_allowed")
APPEAL_CONCEDED = ("conceded", "unopposed")  # the LA conceded, or did not oppose (reg 45)


def _by_child(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["child_id"], []).append(row)
    for child_rows in out.values():
        child_rows.sort(key=lambda r: (r["started_on"] or date.min, r["key"]))
    return out


def _covers(row: dict[str, Any], day: date) -> bool:
    """A placement or spell covering ``day`` (its last day is the day it ended)."""
    return row["started_on"] is not None and row["started_on"] <= day and (
        row["stopped_on"] is None or day <= row["stopped_on"])


def refusal_records(data: Data, cohort: Cohort) -> list[Record]:
    """Refusals to assess, to issue a plan or to re-assess notified in the period: later
    overturned by agreement at mediation, allowed at Tribunal, or conceded (or not
    opposed) by the LA; by the school the child was at when refused."""
    as_at = cohort.as_at
    schools = {(f["child_id"], f["key"]): f["subject"] for f in data.facts("decision_school")}
    requests: dict[str, list[dict[str, Any]]] = {}
    for r in data.requests():
        requests.setdefault(r["child_id"], []).append(r)
    out = []
    for d in data.disputes():
        if d["kind"] not in REFUSALS or not cohort.in_period(d["notified_on"]):
            continue
        notified = d["notified_on"]
        held = happened(d["mediation_held_on"], as_at)
        agreed = held and d["mediation_outcome"] in MEDIATION_AGREED
        registered = happened(d["appeal_registered_on"], as_at)
        closed = happened(d["appeal_closed_on"], as_at)
        outcome = d["appeal_outcome"] if closed else None
        won, conceded = outcome in APPEAL_WON, outcome in APPEAL_CONCEDED
        later = any(
            r["decision"] == "assess" and happened(r["decision_notified_on"], as_at)
            and r["decision_notified_on"] > notified if d["kind"] == "refuse_assessment"
            else d["kind"] == "refuse_plan" and happened(r["final_issued_on"], as_at)
            and r["final_issued_on"] > notified for r in requests.get(d["child_id"], []))
        by = "tribunal" if won else "conceded" if conceded else "mediation" if agreed else None
        overturned_on = d["appeal_closed_on"] if won or conceded else \
            d["mediation_held_on"] if agreed else None
        out.append(Record(d["child_id"], {
            "refusal": True, "mediation_held": held, "appeal_registered": registered,
            "overturned": by is not None, "overturned_at_mediation": agreed,
            "overturned_at_tribunal": won, "conceded": conceded,
            "appeal_dismissed": outcome == "dismissed", "appeal_withdrawn": outcome == "withdrawn",
            "appeal_pending": registered and not closed,
            "later_assessed_or_plan_issued": later,
        }, {"days_to_overturn": float((overturned_on - notified).days) if overturned_on
            else None},
            {"school": schools.get((d["child_id"], d["decision_id"])),
             "decision_kind": d["kind"], "overturned_by": by, "appeal_outcome": outcome,
             "month": notified.strftime("%Y-%m")}))
    return out


def section_f_records(data: Data, cohort: Cohort) -> list[Record]:
    """Plans finalised (new or amended) in the period, by default the 12 months up to
    ``as_at``: therapy (SALT, OT, physio, by service code) only in section G; F items not
    quantified (``quantified`` false, or not recorded); G items without a service code
    (their therapy, if any, cannot be told: provision text is sealed and not read)."""
    as_at = cohort.as_at
    since = DEFAULT_COUNTING.add_months(as_at, -12)
    out = []
    for f in data.facts("plan_version"):
        issued = f["started_on"]
        if f["parent"] not in ("final", "amendment") or issued is None:
            continue
        if cohort.period_from is None and cohort.period_to is None:
            if not since < issued <= as_at:
                continue
        elif not cohort.in_period(issued):
            continue
        detail = f["detail"] or {}
        in_f, in_g = set(detail.get("therapies_f") or ()), set(detail.get("therapies_g") or ())
        only_g = sorted(in_g - in_f)
        not_quantified = int(detail.get("f_not_quantified") or 0)
        unrecorded = int(detail.get("f_quantification_unrecorded") or 0)
        out.append(Record(f["child_id"], {
            "plan": True, "therapy_in_g": bool(in_g), "therapy_only_in_g": bool(only_g),
            "salt_only_in_g": "SALT" in only_g, "ot_only_in_g": "OT" in only_g,
            "physio_only_in_g": "PHYSIO" in only_g,
            "f_item_not_quantified": not_quantified > 0,
            "f_quantification_not_recorded": unrecorded > 0,
            "f_lacks_quantification": not_quantified + unrecorded > 0,
            "g_item_without_service_code": int(detail.get("g_items_uncoded") or 0) > 0,
        }, {"f_items": float(detail.get("f_items") or 0),
            "f_items_lacking_quantification": float(not_quantified + unrecorded)},
            {"source": f["parent"], "therapy_only_in_g": ",".join(only_g) or None,
             "month": issued.strftime("%Y-%m")}))
    return out


def health_advice_records(data: Data, cohort: Cohort) -> list[Record]:
    """Health advice (medical, or owed by a health body) asked in the period: late by
    provider, and whether the LA commissioned alternative advice."""
    as_at = cohort.as_at
    advice = [f for f in data.facts("K2") if f["subject"] == "Medical"
              or f["responsible"] == "health"]
    same_request: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for f in advice:
        same_request.setdefault((f["child_id"], f["parent"]), []).append(f)
    unobtainable = {(f["child_id"], f["parent"]): f["outcome"]
                    for f in data.facts("advice_unobtainable")
                    if f["subject"] == "Medical" and happened(f["started_on"], as_at)}
    out = []
    for f in advice:
        if f["due_on"] is None or not cohort.in_period(f["started_on"]):
            continue
        stopped = f["stopped_on"] if happened(f["stopped_on"], as_at) else None
        late = late_at(f["due_on"], stopped, as_at)
        provider = (f["detail"] or {}).get("recipient_org")
        others = [g for g in same_request[(f["child_id"], f["parent"])]
                  if (g["detail"] or {}).get("recipient_org") != provider]
        later = any(f["started_on"] < g["started_on"] <= as_at for g in others)
        replaced = unobtainable.get((f["child_id"], f["parent"]))
        alternative = later or replaced == "independent_advice"
        out.append(Record(f["child_id"], {
            "asked": True, "returned": stopped is not None,
            "within_6_weeks": stopped is not None and stopped <= f["due_on"], "late": late,
            "late_exception_applies": late and f["exception_ground"] is not None,
            "alternative_commissioned": alternative,
            "late_alternative_commissioned": late and alternative,
            "late_no_alternative": late and not alternative,
            "recorded_unobtainable": replaced is not None,
            "is_alternative_advice": any(g["started_on"] < f["started_on"] for g in others),
        }, {"days_late": days_late(f["due_on"], stopped, as_at),
            "weeks_to_return": weeks(f["started_on"], stopped) if stopped else None},
            {"provider": provider, "responsible": f["responsible"],
             "month": f["started_on"].strftime("%Y-%m")}))
    return out


def transfer_records(data: Data, cohort: Cohort) -> list[Record]:
    """Plans transferred in during the period (6-week notice, K16; first review by the
    later of 12 months from the plan or its last review and 3 months from the transfer,
    K17) and moves out the LA learned of in the period (transfer on time, K15)."""
    as_at = cohort.as_at
    clocks = {(f["child_id"], f["key"], f["kind"]): f for f in data.facts("K15", "K16", "K17")}
    reviews = _by_child(data.facts("review"))
    out = []

    def reading(child_id: str, key: str, kind: str) -> tuple[bool, float | None]:
        c = clocks.get((child_id, key, kind))
        if c is None:
            return False, None
        stopped = c["stopped_on"] if happened(c["stopped_on"], as_at) else None
        return late_at(c["due_on"], stopped, as_at), days_late(c["due_on"], stopped, as_at)

    for t in data.facts("transfer"):
        child_id, key, on = t["child_id"], t["key"], t["started_on"]
        if not cohort.in_period(on):
            continue
        if t["outcome"] == "in":
            notice_late, notice_days = reading(child_id, key, "K16")
            review_late, review_days = reading(child_id, key, "K17")
            notice = t["stopped_on"] if happened(t["stopped_on"], as_at) else None
            last = (t["detail"] or {}).get("last_reviewed_on")
            twelve = DEFAULT_COUNTING.add_months(
                date.fromisoformat(last) if last else t["anchor_on"], 12)
            three = DEFAULT_COUNTING.add_months(on, 3)
            out.append(Record(child_id, {
                "transferred_in": True, "notice_issued": notice is not None,
                "notice_late": notice_late,
                "review_held": any(on <= r["started_on"] <= as_at
                                   for r in reviews.get(child_id, [])),
                "review_late": review_late, "either_missed": notice_late or review_late,
            }, {"weeks_to_notice": weeks(on, notice) if notice else None,
                "days_notice_late": notice_days, "days_review_late": review_days},
                {"direction": "in", "other_la": t["subject"],
                 "review_deadline_rule": "12_months_from_plan_or_review" if twelve >= three
                 else "3_months_from_transfer", "month": on.strftime("%Y-%m")}))
        else:
            late, days = reading(child_id, key, "K15")
            moved = happened(t["stopped_on"], as_at)
            out.append(Record(child_id, {
                "move_notified": True, "transferred_out": moved,
                "transferred_out_late": late, "not_yet_transferred": not moved,
            }, {"days_transfer_late": days},
                {"direction": "out", "other_la": t["subject"],
                 "month": on.strftime("%Y-%m")}))
    return out


def sufficiency_records(data: Data, cohort: Cohort) -> list[Record]:
    """Active plans naming only a type of school, and for how long; placement decisions
    in the period, with each refused preference's s.39(4) ground."""
    as_at = cohort.as_at
    since = cohort.period_from or DEFAULT_COUNTING.add_months(as_at, -12)
    until = min(cohort.period_to or as_at, as_at)
    versions = _by_child(data.facts("plan_version"))
    out = []
    for child_id, child in data.children.items():
        plan = [v for v in versions.get(child_id, []) if happened(v["started_on"], as_at)]
        if not _plan_active(child, as_at) or not plan:
            continue
        spell_from = None
        for v in reversed(plan):
            if v["outcome"] != "type_only":
                break
            spell_from = v["started_on"]
        in_period = sum(max(0, (min(v["stopped_on"] or until, until) -
                                max(v["started_on"], since)).days)
                        for v in plan if v["outcome"] == "type_only")
        out.append(Record(child_id, {
            "plan": True, "type_only_now": spell_from is not None,
            "type_only_in_period": in_period > 0,
        }, {"days_type_only_now": float((as_at - spell_from).days) if spell_from else None,
            "days_type_only_in_period": float(in_period) if in_period else None},
            {"step": "plan", "plan_setting_type": plan[-1]["subject"]}))
    for f in data.facts("placement_decision"):
        if not cohort.in_period(f["started_on"]):
            continue
        detail = f["detail"] or {}
        refused = bool(detail.get("preference_refused"))
        out.append(Record(f["child_id"], {
            "decision": True, "named_setting": f["outcome"] == "named",
            "type_only_decision": f["outcome"] == "type_only",
            "preference_refused": refused,
        }, {}, {"step": "decision", "refusal_ground": f["subject"] if refused else None,
                "preference_category": detail.get("preference_category"),
                "plan_setting_type": detail.get("setting_type"),
                "month": f["started_on"].strftime("%Y-%m")}))
    return out


def adulthood_records(data: Data, cohort: Cohort) -> list[Record]:
    """Active plans as at the day: Year 9 and above whose latest review did not record a
    preparation-for-adulthood discussion; 16 to 25 year olds not in education or training
    on the record (no placement or EOTAS covering the day, or a plan naming NEET)."""
    as_at = cohort.as_at
    reviews = _by_child(data.facts("review"))
    places = _by_child(data.facts("placement", "out_of_school"))
    versions = _by_child(data.facts("plan_version"))
    out = []
    for child_id, child in data.children.items():
        if not _plan_active(child, as_at):
            continue
        born = child["date_of_birth"]
        year, age = year_group(born, as_at), age_on(born, as_at)
        held = [r for r in reviews.get(child_id, []) if happened(r["started_on"], as_at)]
        latest = held[-1] if held else None
        pfa = latest is not None and latest["outcome"] == "pfa_discussed"
        year_9 = year >= PFA_FROM_YEAR
        rows = places.get(child_id, [])
        learning = any(_covers(p, as_at) for p in rows if p["kind"] == "placement"
                       or p["subject"] == "eotas")
        plan = [v for v in versions.get(child_id, []) if happened(v["started_on"], as_at)]
        named_neet = bool(plan) and plan[-1]["subject"] == "NEET"
        young = 16 <= age <= 25
        out.append(Record(child_id, {
            "year_9_plus": year_9,
            "latest_review_pfa_discussed": year_9 and pfa,
            "pfa_not_recorded": year_9 and not pfa,
            "latest_review_before_year_9": year_9 and latest is not None and year_group(
                born, latest["started_on"]) < PFA_FROM_YEAR,
            "no_review_held": year_9 and latest is None,
            "age_16_to_25": young,
            "neet": young and (named_neet or not learning),
            "out_of_school_now": young and any(
                _covers(p, as_at) for p in rows if p["subject"] == "out_of_school"),
        }, {"days_since_latest_review": float((as_at - latest["started_on"]).days)
            if year_9 and latest else None},
            {"year_group": year, "latest_review_type": latest["subject"] if latest else None}))
    return out


def _q(name: str, title: str, records: Callable[[Data, Cohort], list[Record]],
       measures: Iterable[str | tuple[str, str | None]], values: Iterable[str] = (),
       dimensions: Iterable[str] = ()) -> Question:
    specs = tuple(m if isinstance(m, tuple) else (m, None) for m in measures)
    return Question(name, title, specs, tuple(values), CHILD_DIMENSIONS + tuple(dimensions),
                    records)


QUESTIONS: dict[str, Question] = {q.name: q for q in (
    _q("timeliness", "New plans issued within 20 weeks, with and without exceptions",
       timeliness_records,
       ["within_20_weeks", "over_20_weeks", "exception_applied", "no_exception",
        ("within_20_weeks_excluding_exceptions", "no_exception"), "late_without_exception",
        "late_exception_applies", "over_20_weeks_within_a_year", "over_a_year"],
       ["weeks_to_issue"], ["month", "exception_ground"]),
    _q("exceptions", "Exception claims by ground, and whether they hold", exception_records,
       ["holds", "withdrawn", "rejected", "closure_claim",
        ("closure_claim_holds", "closure_claim"),
        ("closure_inconsistent_with_dates", "closure_claim")],
       (), ["ground", "clock", "outcome", "phase", "month"]),
    _q("decisions", "Decisions whether to assess within 6 weeks, and refusals",
       decision_records,
       ["decided", "within_6_weeks", "over_6_weeks", "decided_to_assess",
        ("refused", "decided"), "withdrawn", "no_decision_yet", "rya", "exception_applied"],
       ["weeks_to_decision"], ["month", "exception_ground"]),
    _q("advice", "Advice returned within 6 weeks by adviser type; late advice past week 20",
       advice_records,
       ["returned", "within_6_weeks", "late", "late_exception_applies",
        "pushed_plan_past_week_20"], ["days_late"], ["adviser_type", "responsible", "month"]),
    _q("reviews-overdue", "Annual reviews overdue as at the day", reviews_overdue_records,
       ["overdue", "under_5", ("under_5_no_review_in_6_months", "under_5")],
       ["days_overdue"]),
    _q("review-decisions", "Review decisions past 4 weeks; amendments past 12 weeks",
       review_decision_records,
       ["review", "decision_issued", ("decision_past_4_weeks", "review"), "amendment",
        ("amendment_finalised", "amendment"), ("amendment_past_8_weeks", "amendment"),
        ("amendment_past_12_weeks_from_meeting", "amendment")],
       ["weeks_to_decision", "weeks_meeting_to_amendment"],
       ["step", "review_type", "month"]),
    _q("phase-transfers", "Phase transfers missing 15 February / 31 March",
       phase_transfer_records, ["finalised_by_deadline", "missed_deadline", "pending"],
       ["days_late"], ["transfer_type", "deadline"]),
    _q("tribunal-orders", "Tribunal orders not complied with in time", tribunal_records,
       ["complied", "complied_in_time", "not_complied_in_time", "late_exception_applies"],
       ["days_to_comply", "days_late"], ["order", "month"]),
    _q("health-waits", "Health waits by service for children with a plan or in assessment",
       health_wait_records,
       ["seen", "waiting", "over_18_weeks", "over_52_weeks",
        "autism_assessment_over_3_months"],
       ["weeks_to_first_contact", "weeks_waited_so_far"], ["service", "month"]),
    _q("placements", "Children with a plan without a full-time placement",
       placement_records,
       ["without_full_time_placement_now", "without_full_time_placement_in_period",
        "out_of_school_in_period", "part_time_or_eotas_in_period"],
       ["days_without_full_time_placement"], ["kinds"]),
    _q("disputes", "The mediation and appeal funnel", dispute_records,
       ["decision", "adviser_contacted", "mediation_requested", "mediation_declined",
        "mediation_held", ("mediation_agreement", "mediation_held"), "certificate_issued",
        "appeal_registered", "appeal_after_mediation", "appeal_closed",
        ("appeal_decided_for_family", "appeal_closed")],
       (), ["decision_kind", "appeal_outcome", "mediation_outcome", "month"]),
    _q("ceased", "Plans ceased by reason", ceased_records,
       ["ceased", "ceased_while_appeal_window_open"], ["age_at_ceasing"], ["reason", "month"]),
    _q("personal-budgets", "Personal budgets and direct payments", budget_records,
       ["request", ("determined", "request"), ("direct_payment_requested", "request"),
        "direct_payment_refused", ("reconsidered", "direct_payment_refused"),
        "direct_payment_in_place", "first_review", ("first_review_missed", "first_review")],
       ["amount_pence"], ["step", "element", "reason", "outcome"]),
    _q("equality", "Refusals and timeliness by sex, ethnicity, age band, looked-after "
       "status and need",
       equality_records,
       ["decided", ("refused", "decided"), "plan_issued",
        ("plan_within_20_weeks", "plan_issued")], ["weeks_to_issue"]),
    _q("corrections", "Corrections that changed a clock's outcome", correction_records,
       ["changed", "became_late", "no_longer_late"], (),
       ["clock", "change", "corrected_event", "kind", "user", "month"]),
    _q("refusals-overturned", "Refusals to assess or to issue later overturned at "
       "mediation or Tribunal, or conceded, by school and primary need", refusal_records,
       ["refusal", "mediation_held", "appeal_registered", ("overturned", "refusal"),
        "overturned_at_mediation", "overturned_at_tribunal", "conceded", "appeal_dismissed",
        "appeal_withdrawn", "appeal_pending", "later_assessed_or_plan_issued"],
       ["days_to_overturn"],
       ["school", "decision_kind", "overturned_by", "appeal_outcome", "month"]),
    _q("section-f-quality", "Plans finalised in the last 12 months: therapy only in "
       "section G, section F not quantified", section_f_records,
       ["plan", "therapy_in_g", "therapy_only_in_g", "salt_only_in_g", "ot_only_in_g",
        "physio_only_in_g", "f_item_not_quantified", "f_quantification_not_recorded",
        "f_lacks_quantification", "g_item_without_service_code"],
       ["f_items", "f_items_lacking_quantification"],
       ["source", "therapy_only_in_g", "month"]),
    _q("health-advice", "Health advice for assessments returned late by provider, and "
       "alternative advice commissioned", health_advice_records,
       ["asked", "returned", "within_6_weeks", "late", "late_exception_applies",
        "alternative_commissioned", ("late_alternative_commissioned", "late"),
        ("late_no_alternative", "late"), "recorded_unobtainable", "is_alternative_advice"],
       ["days_late", "weeks_to_return"], ["provider", "responsible", "month"]),
    _q("transfers", "Plans transferred in with the notice or first review late; plans "
       "transferred out late", transfer_records,
       ["transferred_in", ("notice_issued", "transferred_in"),
        ("notice_late", "transferred_in"), ("review_held", "transferred_in"),
        ("review_late", "transferred_in"), ("either_missed", "transferred_in"),
        "move_notified", ("transferred_out", "move_notified"),
        ("transferred_out_late", "move_notified"), ("not_yet_transferred", "move_notified")],
       ["weeks_to_notice", "days_notice_late", "days_review_late", "days_transfer_late"],
       ["direction", "other_la", "review_deadline_rule", "month"]),
    _q("placement-sufficiency", "Plans naming only a type of school, and preferences "
       "refused by s.39(4) ground", sufficiency_records,
       ["plan", ("type_only_now", "plan"), ("type_only_in_period", "plan"), "decision",
        ("named_setting", "decision"), ("type_only_decision", "decision"),
        ("preference_refused", "decision")],
       ["days_type_only_now", "days_type_only_in_period"],
       ["step", "refusal_ground", "preference_category", "plan_setting_type", "month"]),
    _q("adulthood", "Preparation for adulthood: Year 9+ reviews without it; 16-25s NEET",
       adulthood_records,
       ["year_9_plus", ("latest_review_pfa_discussed", "year_9_plus"),
        ("pfa_not_recorded", "year_9_plus"), ("latest_review_before_year_9", "year_9_plus"),
        ("no_review_held", "year_9_plus"), "age_16_to_25", ("neet", "age_16_to_25"),
        ("out_of_school_now", "age_16_to_25")],
       ["days_since_latest_review"], ["year_group", "latest_review_type"]),
)}


# What each question reads, narrowed in the query (a superset of what its records keep).


def _period(column: str, cohort: Cohort) -> Window:
    """``column`` within the cohort's period, and on or before ``as_at``."""
    end = cohort.as_at if cohort.period_to is None else min(cohort.period_to, cohort.as_at)
    return (column, cohort.period_from, end)


def _fact_period(column: str, *kinds: str) -> Callable[[Cohort], Scope]:
    return lambda cohort: Scope(facts={k: {"within": (_period(column, cohort),)}
                                       for k in kinds})


SCOPES: dict[str, Callable[[Cohort], Scope]] = {
    "timeliness": lambda c: Scope(requests=(_period("final_issued_on", c),)),
    "decisions": lambda c: Scope(requests=(_period("received_on", c),)),
    "equality": lambda c: Scope(requests=(_period("received_on", c),)),
    "disputes": lambda c: Scope(disputes=(_period("notified_on", c),)),
    "advice": _fact_period("started_on", "K2"),
    "review-decisions": _fact_period("started_on", "K10", "K11"),
    "tribunal-orders": _fact_period("started_on", "K22"),
    "exceptions": _fact_period("anchor_on", "exception_claim"),
    "corrections": _fact_period("started_on", "correction"),
    "reviews-overdue": lambda c: Scope(facts={"K7": {"open_on": c.as_at}}),
}


# Answering.


class UnknownReportError(ValueError):
    """Raised for a question or breakdown the reports do not know."""


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
        measures=_flags(spec), values=spec.values) if aggregate else None
    if counted is not None:  # counted by the database: the same figures, fewer rows moved
        return {**head, "total": counted_figures(counted["total"], spec, name),
                "groups": [{"key": key, **counted_figures(raw, spec, name)} for key, raw in
                           sorted(counted["groups"], key=lambda kv: str(kv[0]))]}
    scope = SCOPES.get(question)
    data = Data(store, cohort.authority, scope(cohort) if scope else None)
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
        "groups": [{"key": key, **figures(rows, spec, name)}
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


# The area picture.


def census_day(year: int) -> date:
    """The SEN2 census day for figures of ``year``: the third Thursday of January after."""
    first = date(year + 1, 1, 1)
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + timedelta(weeks=2)


def area_picture(store: CohortStore, authority: str, year: int, *, as_at: date,
                 census_on: date | None = None,
                 pseudonym: Callable[[str], str] | None = None) -> dict[str, Any]:
    """The headline figures DfE publishes for an authority and a calendar year."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    census = census_on or census_day(year)
    as_at = min(as_at, max(end, census))
    last = min(end, as_at)  # what happened after the day is not counted yet
    cohort = Cohort(authority=authority, as_at=as_at, period_from=start, period_to=end)
    name = _cached(pseudonym) if pseudonym else (lambda child_id: child_id)
    # Only the rows the figures can count: requests received, decided on or issued in the
    # year; children whose plan was made by the census day or ceased in the year; advice
    # (late, no JSON) of plans issued past week 20 in the year.
    data = Data(store, authority, Scope(
        requests=(("received_on", start, end), ("final_issued_on", start, end),
                  ("issue_decision_on", start, end)),
        children=(("plan_made_on", None, census), ("plan_ceased_on", start, end)),
        facts={"K2": {"parent_plan_late": (start, end), "late_only": True,
                      "detail": False, "columns": ("child_id", "parent", "due_on",
                                                   "stopped_on", "responsible")}}))
    requests = data.requests()

    def ids(rows: Iterable[dict[str, Any]]) -> list[str]:
        return sorted(dict.fromkeys(name(r["child_id"]) for r in rows))

    def count(rows: list[dict[str, Any]]) -> dict[str, Any]:
        return {"count": len(rows), "children": ids(rows)}

    received = [r for r in requests if start <= r["received_on"] <= last and r["route"] ==
                "request"]
    decided = [r for r in received if happened(r["decision_notified_on"], as_at)
               and r["decision"]]
    assessed = [r for r in decided if r["decision"] == "assess"]
    refused = [r for r in decided if r["decision"] == "not_assess"]
    decided_keys = {(r["child_id"], r["request_id"]) for r in decided}
    withdrawn = [r for r in received if (r["child_id"], r["request_id"]) not in decided_keys
                 and happened(r["withdrawn_on"], as_at)]
    concluded_keys = decided_keys | {(r["child_id"], r["request_id"]) for r in withdrawn}
    undecided = [r for r in received if (r["child_id"], r["request_id"]) not in
                 concluded_keys]
    in_6 = [r for r in decided if r["decision_notified_on"] <= r["k1_due_on"]]
    # Assessments: those whose outcome (plan or no plan) fell in the year, as DfE counts.
    issue_outcome = [r for r in requests if (r["final_issued_on"] and start <=
                                             r["final_issued_on"] <= last)
                     or (r["issue_decision"] == "not_issue" and r["issue_decision_on"]
                         and start <= r["issue_decision_on"] <= last)]
    plans = [r for r in requests if r["final_issued_on"] and start <= r["final_issued_on"]
             <= last]
    within = [r for r in plans if r["final_issued_on"] <= r["k4_due_on"]]
    no_exc = [r for r in plans if r["k4_ground"] is None]
    within_no_exc = [r for r in within if r["k4_ground"] is None]
    weeks_all = [weeks(r["received_on"], r["final_issued_on"]) for r in plans]
    weeks_no_exc = [weeks(r["received_on"], r["final_issued_on"]) for r in no_exc]

    counter = getattr(store, "plan_counts", None)
    plans_counted = counter(authority, census=census, ceased_from=start, ceased_to=last,
                            age_bands=AGE_BANDS) if counter else None
    if plans_counted is None:
        active = [c for c in data.children.values() if _plan_active(c, census)]
        ceased = [c for c in data.children.values() if c["plan_ceased_on"] and
                  start <= c["plan_ceased_on"] <= last]

    def by(rows: list[dict[str, Any]], key: Callable[[dict[str, Any]], Any]
           ) -> dict[str, Any]:
        out: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            out.setdefault(str(key(row)), []).append(row)
        return {k: count(v) for k, v in sorted(out.items())}

    def pct(part: list[Any], whole: list[Any]) -> float | None:
        return round(100 * len(part) / len(whole), 1) if whole else None

    return {
        "authority": authority, "year": year, "as_at": as_at, "census_on": census,
        "pseudonymous": pseudonym is not None,
        "requests": {
            "received": count(received), "decided_to_assess": count(assessed),
            "decided_not_to_assess": count(refused), "withdrawn": count(withdrawn),
            "no_decision_yet": count(undecided), "decided_within_6_weeks": count(in_6),
            "percent_within_6_weeks": pct(in_6, decided),
            "refusal_rate": pct(refused, decided),
            "linked_to_mediation": count([r for r in received if r["mediation"]]),
            "linked_to_tribunal": count([r for r in received if r["tribunal"]]),
        },
        "assessments": {
            "completed": count(issue_outcome),
            "plan_issued": count([r for r in issue_outcome if r["final_issued_on"]]),
            "plan_not_issued": count([r for r in issue_outcome if not r["final_issued_on"]]),
        },
        "new_plans": {
            "issued": count(plans), "within_20_weeks": count(within),
            "percent_within_20_weeks": pct(within, plans),
            "excluding_exceptions": {"issued": count(no_exc),
                                     "within_20_weeks": count(within_no_exc),
                                     "percent_within_20_weeks": pct(within_no_exc, no_exc)},
            "over_20_weeks_within_a_year": count([
                r for r in plans if r["final_issued_on"] > r["k4_due_on"] and
                (r["final_issued_on"] - r["received_on"]).days <= 365]),
            "over_a_year": count([r for r in plans if
                                  (r["final_issued_on"] - r["received_on"]).days > 365]),
            "mean_weeks_to_issue": round(statistics.fmean(weeks_all), 2) if weeks_all
            else None,
            "median_weeks_to_issue": round(statistics.median(weeks_all), 2) if weeks_all
            else None,
            "mean_weeks_to_issue_excluding_exceptions": round(statistics.fmean(
                weeks_no_exc), 2) if weeks_no_exc else None,
        },
        **(counted_plans(plans_counted, name) if plans_counted is not None else {
            "active_plans": {
                **count(active),
                "by_primary_need": by(active, lambda c: c["primary_need"]),
                "by_setting_type": by(active, lambda c: c["setting_type"]),
                "by_age_band": by(active, lambda c: age_band(c["date_of_birth"], census)),
                "by_sex": by(active, lambda c: c["sex"]),
            },
            "ceased_plans": {**count(ceased),
                             "by_reason": by(ceased, lambda c: c["cease_reason"])}}),
        "delays": responsible_delays(data, cohort, plans, name),
    }


def counted_plans(counted: dict[str, Any], name: Callable[[str], str]) -> dict[str, Any]:
    """The area picture's active and ceased plans from the store's counts
    (``plan_counts``): each figure a count and its children, groups keyed as ``str``."""
    def figure(found: tuple[int, list[str]]) -> dict[str, Any]:
        return {"count": found[0], "children": sorted(dict.fromkeys(map(name, found[1])))}

    def by(groups: dict[Any, tuple[int, list[str]]]) -> dict[str, Any]:
        return {k: figure(v) for k, v in sorted((str(k), v) for k, v in groups.items())}

    active, ceased = counted["active"], counted["ceased"]
    return {"active_plans": {**figure(active["total"]),
                             "by_primary_need": by(active["primary_need"]),
                             "by_setting_type": by(active["setting_type"]),
                             "by_age_band": by(active["age_band"]), "by_sex": by(active["sex"])},
            "ceased_plans": {**figure(ceased["total"]), "by_reason": by(ceased["reason"])}}


def responsible_delays(data: Data, cohort: Cohort, plans: list[dict[str, Any]],
                       name: Callable[[str], str]) -> dict[str, Any]:
    """Each responsible body's part of every delay: late clock episodes due in the year.

    ``by_body`` counts every statutory clock episode due in the year and late as at the
    day, with its days late; ``late_plans`` splits each plan issued after week 20 into
    the days its late advice took past its own due date (by the adviser's body) and the
    rest (the local authority's).
    """
    as_at = cohort.as_at
    kinds = [f"K{n}" for n in range(1, 27)]
    by_body: dict[str, dict[str, Any]] = {}
    total_days = 0.0
    counter = getattr(data.store, "late_episodes", None)
    counted = counter(data.authority, kinds, due_from=cohort.period_from,
                      due_to=cohort.period_to, as_at=as_at) if counter else None
    for entry in counted or ():  # counted by the database
        by_body[entry["body"]] = {
            "late_episodes": entry["episodes"], "days_late": entry["days"],
            "by_clock": entry["by_clock"], "children": {name(c) for c in entry["children"]}}
        total_days += entry["days"]
    rows = () if counted is not None else data.store.facts(
        data.authority, kinds, due_from=cohort.period_from, due_to=cohort.period_to,
        late_only=True, detail=False)
    for f in rows:
        # A window the family let lapse (K19, K21) is no one's delay: not applicable.
        if f["due_on"] is None or f["outcome"] == "not_applicable" or \
                not cohort.in_period(f["due_on"]):
            continue
        stopped = f["stopped_on"] if happened(f["stopped_on"], as_at) else None
        late = days_late(f["due_on"], stopped, as_at)
        if late is None:
            continue
        body = by_body.setdefault(f["responsible"] or "unknown", {
            "late_episodes": 0, "days_late": 0.0, "by_clock": {}, "children": set()})
        body["late_episodes"] += 1
        body["days_late"] += late
        body["by_clock"][f["kind"]] = body["by_clock"].get(f["kind"], 0) + 1
        body["children"].add(name(f["child_id"]))
        total_days += late
    for body in by_body.values():
        body["share_of_days_late"] = round(100 * body["days_late"] / total_days, 1) \
            if total_days else None
        body["children"] = sorted(body["children"])
    # Each late plan's advice: the most days late by the adviser's body, as at the plan.
    getter = getattr(data.store, "late_advice", None)
    counted_parts = getter(data.authority, plans_from=cohort.period_from,
                           plans_to=cohort.period_to) if getter else None
    parts_of: dict[tuple[str, str], dict[str, float]] = {}
    for child_id, request_id, body_name, days in counted_parts or ():  # by the database
        parts_of.setdefault((child_id, request_id), {})[body_name] = float(days)
    if counted_parts is None:
        advice: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for f in data.facts("K2"):
            advice.setdefault((f["child_id"], f["parent"]), []).append(f)
        for r in plans:
            if r["final_issued_on"] <= r["k4_due_on"]:
                continue
            parts: dict[str, float] = {}
            for f in advice.get((r["child_id"], r["request_id"]), []):
                late = days_late(f["due_on"], f["stopped_on"], r["final_issued_on"])
                if late:
                    parts[f["responsible"]] = max(parts.get(f["responsible"], 0.0), late)
            parts_of[(r["child_id"], r["request_id"])] = parts
    late_plans: dict[str, dict[str, Any]] = {}
    for r in plans:
        over = (r["final_issued_on"] - r["k4_due_on"]).days
        if over <= 0:
            continue
        parts = parts_of.get((r["child_id"], r["request_id"]), {})
        advisers = min(sum(parts.values()), over)
        shares = {k: v * advisers / sum(parts.values()) for k, v in parts.items()} \
            if parts else {}
        shares["local_authority"] = shares.get("local_authority", 0.0) + (over - advisers)
        for body_name, days in shares.items():
            if days <= 0:
                continue
            entry = late_plans.setdefault(body_name, {"plans": 0, "days": 0.0, "children": set()})
            entry["plans"] += 1
            entry["days"] += round(days, 2)
            entry["children"].add(name(r["child_id"]))
    for entry in late_plans.values():
        entry["children"] = sorted(entry["children"])
    return {"by_body": by_body, "late_plans_by_body": late_plans}


# Use cases (access and consistency).


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
