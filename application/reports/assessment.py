"""Questions on requests, decisions whether to assess and new plans (SEND Regs 2014
regs 4-13): timeliness, decisions and the equality lens.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from application.reports.as_at import (
    happened,
    late_at,
    weeks,
)
from application.reports.cohort import Cohort, Data, Record, Scope
from application.reports.registry import period, question


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


@question("timeliness",
          "New plans issued within 20 weeks, with and without exceptions",
          measures=["within_20_weeks", "over_20_weeks", "exception_applied", "no_exception",
                   ("within_20_weeks_excluding_exceptions", "no_exception"),
                   "late_without_exception",
                   "late_exception_applies", "over_20_weeks_within_a_year", "over_a_year"],
          values=["weeks_to_issue"],
          dimensions=["month", "exception_ground"],
          reads=("requests",),
          scope=lambda c: Scope(requests=(period("final_issued_on", c),)))
def timeliness_records(data: Data, cohort: Cohort) -> list[Record]:
    """New plans issued in the period: within 20 weeks with and without exceptions."""

    def build(r: dict[str, Any]) -> Record | None:
        issued, due = r["final_issued_on"], r["k4_due_on"]
        if due is None:  # the K4 clock says no 20-week limit applies to this request
            return None
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


@question("decisions",
          "Decisions whether to assess within 6 weeks, and refusals",
          measures=["decided", "within_6_weeks", "over_6_weeks", "decided_to_assess",
                   ("refused", "decided"), "withdrawn", "no_decision_yet", "rya",
                   "exception_applied"],
          values=["weeks_to_decision"],
          dimensions=["month", "exception_ground"],
          reads=("requests",),
          scope=lambda c: Scope(requests=(period("received_on", c),)))
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
            # K1's due date, as its reading gives it (none: withdrawn by the due date).
            "decided": decided,
            "within_6_weeks": decided and due is not None and not late_at(due, notified, as_at),
            "over_6_weeks": (decided or not withdrawn) and late_at(due, notified, as_at),
            "decided_to_assess": decided and r["decision"] == "assess",
            "refused": decided and r["decision"] == "not_assess",
            "withdrawn": withdrawn, "no_decision_yet": not decided and not withdrawn,
            "rya": bool(r["rya"]), "exception_applied": r["k1_ground"] is not None,
        }, {"weeks_to_decision": weeks(r["received_on"], notified)
            if decided and notified else None},
            {"exception_ground": r["k1_ground"]})

    return _request_records(data, cohort, lambda r: r["received_on"], build)


@question("equality",
          "Refusals and timeliness by sex, ethnicity, age band, looked-after "
                   "status and need",
          measures=["decided", ("refused", "decided"), "plan_issued",
                   ("plan_within_20_weeks", "plan_issued")],
          values=["weeks_to_issue"],
          reads=("requests",),
          scope=lambda c: Scope(requests=(period("received_on", c),)))
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
            "plan_within_20_weeks": issued and r["k4_due_on"] is not None
            and r["final_issued_on"] <= r["k4_due_on"],
        }, {"weeks_to_issue": weeks(r["received_on"], r["final_issued_on"])
            if issued else None}, {"requester": r["requester_role"]}))
    return out
