"""Exception claims by ground and clock, and whether they hold (SEND Regs 2014 regs
5(4), 8(2), 10(4), 13(3)).
"""

from __future__ import annotations

from datetime import date

from application.reports.cohort import Cohort, Data, Record
from application.reports.registry import fact_period, question
from domain.catalogue.exceptions import CLOSURE_GROUNDS


@question("exceptions",
          "Exception claims by ground, and whether they hold",
          measures=["holds", "withdrawn", "rejected", "closure_claim",
                   ("closure_claim_holds", "closure_claim"),
                   ("closure_inconsistent_with_dates", "closure_claim")],
          dimensions=["ground", "clock", "outcome", "phase", "month"],
          reads=("exception_claim",),
          scope=fact_period("anchor_on", "exception_claim"))
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
