"""Health waits of children with a plan or in assessment.
"""

from __future__ import annotations

from application.reports.as_at import (
    happened,
    late_at,
    plan_active,
    weeks,
)
from application.reports.cohort import Cohort, Data, Record
from application.reports.registry import question


@question("health-waits",
          "Health waits by service for children with a plan or in assessment",
          measures=["seen", "waiting", "over_18_weeks", "over_52_weeks",
                   "autism_assessment_over_3_months"],
          values=["weeks_to_first_contact", "weeks_waited_so_far"],
          dimensions=["service", "month"],
          reads=("requests", "health_wait", "K26"))
def health_wait_records(data: Data, cohort: Cohort) -> list[Record]:
    """Health waits of children with a plan or in assessment: referral to first contact."""
    as_at = cohort.as_at
    requested = {r["child_id"] for r in data.requests() if happened(r["received_on"], as_at)}
    k26 = {(f["child_id"], f["key"]): f for f in data.facts("K26")}
    out = []
    for f in data.facts("health_wait"):
        child = data.children.get(f["child_id"])
        if child is None or not cohort.in_period(f["started_on"]) or not (
                f["child_id"] in requested or plan_active(child, as_at)):
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
