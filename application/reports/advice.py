"""Questions on advice for an assessment (SEND Regs 2014 reg 8): advice late, and
health advice by provider.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from application.reports.as_at import (
    days_late,
    happened,
    late_at,
    weeks,
)
from application.reports.cohort import Cohort, Data, Record
from application.reports.registry import fact_period, question


@question("advice",
          "Advice returned within 6 weeks by adviser type; late advice past week 20",
          measures=["returned", "within_6_weeks", "late", "late_exception_applies",
                   "pushed_plan_past_week_20"],
          values=["days_late"],
          dimensions=["adviser_type", "responsible", "month"],
          reads=("K2",),
          scope=fact_period("started_on", "K2"))
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


@question("health-advice",
          "Health advice for assessments returned late by provider, and "
                   "alternative advice commissioned",
          measures=["asked", "returned", "within_6_weeks", "late", "late_exception_applies",
                   "alternative_commissioned", ("late_alternative_commissioned", "late"),
                   ("late_no_alternative", "late"), "recorded_unobtainable",
                   "is_alternative_advice"],
          values=["days_late", "weeks_to_return"],
          dimensions=["provider", "responsible", "month"],
          reads=("K2", "advice_unobtainable"))
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
