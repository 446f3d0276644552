"""Questions on disputes: the mediation and appeal funnel, tribunal orders, and
refusals later overturned.
"""

from __future__ import annotations

from typing import Any

from application.reports.as_at import (
    days_late,
    happened,
    late_at,
)
from application.reports.cohort import Cohort, Data, Record, Scope
from application.reports.registry import fact_period, period, question

REFUSALS = ("refuse_assessment", "refuse_plan", "refuse_reassessment")
MEDIATION_AGREED = ("agreement", "partial_agreement")
APPEAL_WON = ("allowed", "partly_allowed")
APPEAL_CONCEDED = ("conceded", "unopposed")  # the LA conceded, or did not oppose (reg 45)


@question("tribunal-orders",
          "Tribunal orders not complied with in time",
          measures=["complied", "complied_in_time", "not_complied_in_time",
                    "late_exception_applies"],
          values=["days_to_comply", "days_late"],
          dimensions=["order", "month"],
          reads=("K22",),
          scope=fact_period("started_on", "K22"))
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


@question("disputes",
          "The mediation and appeal funnel",
          measures=["decision", "adviser_contacted", "mediation_requested", "mediation_declined",
                   "mediation_held", ("mediation_agreement", "mediation_held"),
                   "certificate_issued",
                   "appeal_registered", "appeal_after_mediation", "appeal_closed",
                   ("appeal_decided_for_family", "appeal_closed")],
          dimensions=["decision_kind", "appeal_outcome", "mediation_outcome", "month"],
          reads=("disputes",),
          scope=lambda c: Scope(disputes=(period("notified_on", c),)))
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


@question("refusals-overturned",
          "Refusals to assess or to issue later overturned at "
                   "mediation or Tribunal, or conceded, by school and primary need",
          measures=["refusal", "mediation_held", "appeal_registered", ("overturned", "refusal"),
                   "overturned_at_mediation", "overturned_at_tribunal", "conceded",
                   "appeal_dismissed",
                   "appeal_withdrawn", "appeal_pending", "later_assessed_or_plan_issued"],
          values=["days_to_overturn"],
          dimensions=["school", "decision_kind", "overturned_by", "appeal_outcome", "month"],
          reads=("decision_school", "requests", "disputes"))
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
