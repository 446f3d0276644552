"""Corrections and retractions that changed a clock's outcome.
"""

from __future__ import annotations

from application.reports.cohort import Cohort, Data, Record
from application.reports.registry import fact_period, question


@question("corrections",
          "Corrections that changed a clock's outcome",
          measures=["changed", "became_late", "no_longer_late"],
          dimensions=["clock", "change", "corrected_event", "kind", "user", "month"],
          reads=("correction",),
          scope=fact_period("started_on", "correction"))
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
