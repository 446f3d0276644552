"""Personal budgets and direct payments (SEND Regs 2014 Part 3, Personal Budgets
Regs 2014).
"""

from __future__ import annotations

from application.reports.as_at import (
    happened,
    late_at,
    open_at,
)
from application.reports.cohort import Cohort, Data, Record
from application.reports.registry import question


@question("personal-budgets",
          "Personal budgets and direct payments",
          measures=["request", ("determined", "request"), ("direct_payment_requested", "request"),
                   "direct_payment_refused", ("reconsidered", "direct_payment_refused"),
                   "direct_payment_in_place", "first_review", ("first_review_missed",
                   "first_review")],
          values=["amount_pence"],
          dimensions=["step", "element", "reason", "outcome"],
          reads=("budget_request", "dp_refusal", "direct_payment", "K24"))
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
