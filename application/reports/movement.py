"""Moves between local authorities (SEND Regs 2014 regs 15-17): transfers in and out.
"""

from __future__ import annotations

from datetime import date

from application.reports.as_at import (
    by_child,
    days_late,
    happened,
    late_at,
    weeks,
)
from application.reports.cohort import Cohort, Data, Record
from application.reports.registry import question
from domain.rules import due as rules_due


@question("transfers",
          "Plans transferred in with the notice or first review late; plans "
                   "transferred out late",
          measures=["transferred_in", ("notice_issued", "transferred_in"),
                   ("notice_late", "transferred_in"), ("review_held", "transferred_in"),
                   ("review_late", "transferred_in"), ("either_missed", "transferred_in"),
                   "move_notified", ("transferred_out", "move_notified"),
                   ("transferred_out_late", "move_notified"), ("not_yet_transferred",
                   "move_notified")],
          values=["weeks_to_notice", "days_notice_late", "days_review_late", "days_transfer_late"],
          dimensions=["direction", "other_la", "review_deadline_rule", "month"],
          reads=("K15", "K16", "K17", "review", "transfer"))
def transfer_records(data: Data, cohort: Cohort) -> list[Record]:
    """Plans transferred in during the period (6-week notice, K16; first review by the
    later of 12 months from the plan or its last review and 3 months from the transfer,
    K17) and moves out the LA learned of in the period (transfer on time, K15)."""
    as_at = cohort.as_at
    clocks = {(f["child_id"], f["key"], f["kind"]): f for f in data.facts("K15", "K16", "K17")}
    reviews = by_child(data.facts("review"))
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
            # Which reg 15(5) limit set K17's date: the rules' own counting, not a copy.
            twelve = rules_due("K17.review", date.fromisoformat(last) if last
                               else t["anchor_on"])
            three = rules_due("K17.transfer", on)
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
