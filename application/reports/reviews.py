"""Questions on reviews (SEND Regs 2014 regs 18-22): annual reviews overdue, review
decisions and amendments, phase transfers, and preparation for adulthood.
"""

from __future__ import annotations

from application.reports.as_at import (
    age_on,
    by_child,
    covers,
    days_late,
    happened,
    late_at,
    open_at,
    plan_active,
    weeks,
)
from application.reports.cohort import Cohort, Data, Record, Scope
from application.reports.registry import fact_period, question
from domain.ages import year_group
from domain.calendar import DEFAULT_COUNTING
from domain.catalogue.advice import PFA_FROM_YEAR

# The clocks of a plan's next review: the annual review (K7, s.44(1)) and a transferred-in
# plan's first review (K17, reg 15(5)). The question reads these and no other, on either
# counting path (``infrastructure.cohort.sql_records`` takes them from ``reads``).
REVIEW_CLOCKS = ("K7", "K17")
# The under-fives' review interval (Code 9.178, the authority's policy clock K7U): run
# from the same start as the review period's K7 or K17, its due date is the domain's.
UNDER_FIVE_CLOCK = "K7U"


@question("reviews-overdue",
          "Annual reviews overdue as at the day",
          measures=["overdue", "under_5", ("under_5_no_review_in_6_months", "under_5")],
          values=["days_overdue"],
          reads=(*REVIEW_CLOCKS, UNDER_FIVE_CLOCK),
          scope=lambda c: Scope(facts={k: {"open_on": c.as_at}
                                       for k in (*REVIEW_CLOCKS, UNDER_FIVE_CLOCK)}))
def reviews_overdue_records(data: Data, cohort: Cohort) -> list[Record]:
    """Active plans as at the day: the annual review overdue (12 months), under-5s (6).

    A plan transferred in from another LA is first reviewed under reg 15(5) (K17), then
    every 12 months (K7): both count."""
    as_at = cohort.as_at
    under_five = {(u["child_id"], u["started_on"]): u for u in data.facts(UNDER_FIVE_CLOCK)}
    out = []
    for f in data.facts(*REVIEW_CLOCKS):
        child = data.children.get(f["child_id"])
        if child is None or not plan_active(child, as_at) or not open_at(
                f["started_on"], f["stopped_on"], as_at) or f["due_on"] is None:
            continue
        under_5 = age_on(child["date_of_birth"], as_at) < 5
        interval = under_five.get((f["child_id"], f["started_on"]))
        no_review = interval is not None and interval["due_on"] is not None and open_at(
            interval["started_on"], interval["stopped_on"], as_at) and as_at > interval["due_on"]
        out.append(Record(f["child_id"], {
            "overdue": as_at > f["due_on"],
            "under_5": under_5, "under_5_no_review_in_6_months": under_5 and no_review,
        }, {"days_overdue": days_late(f["due_on"], None, as_at)},
            {"last_review_or_plan_on": f["started_on"].isoformat()}))
    return out


@question("review-decisions",
          "Review decisions past 4 weeks; amendments past 12 weeks",
          measures=["review", "decision_issued", ("decision_past_4_weeks", "review"), "amendment",
                   ("amendment_finalised", "amendment"), ("amendment_past_8_weeks", "amendment"),
                   ("amendment_past_12_weeks_from_meeting", "amendment")],
          values=["weeks_to_decision", "weeks_meeting_to_amendment"],
          dimensions=["step", "review_type", "month"],
          reads=("K10", "K11"),
          scope=fact_period("started_on", "K10", "K11"))
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


@question("phase-transfers",
          "Phase transfers missing 15 February / 31 March",
          measures=["finalised_by_deadline", "missed_deadline", "pending"],
          values=["days_late"],
          dimensions=["transfer_type", "deadline"],
          reads=("K12",))
def phase_transfer_records(data: Data, cohort: Cohort) -> list[Record]:
    """Phase transfers due in the period (before 15 February / 31 March): in time?"""
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


@question("adulthood",
          "Preparation for adulthood: Year 9+ reviews without it; 16-25s NEET",
          measures=["year_9_plus", ("latest_review_pfa_discussed", "year_9_plus"),
                   ("pfa_not_recorded", "year_9_plus"), ("latest_review_before_year_9",
                   "year_9_plus"),
                   ("no_review_held", "year_9_plus"), "age_16_to_25", ("neet", "age_16_to_25"),
                   ("out_of_school_now", "age_16_to_25")],
          values=["days_since_latest_review"],
          dimensions=["year_group", "latest_review_type"],
          reads=("review", "placement", "out_of_school", "plan_version"))
def adulthood_records(data: Data, cohort: Cohort) -> list[Record]:
    """Active plans as at the day: Year 9 and above whose latest review did not record a
    preparation-for-adulthood discussion; 16 to 25 year olds not in education or training
    on the record (no placement or EOTAS covering the day, or a plan naming NEET)."""
    as_at = cohort.as_at
    reviews = by_child(data.facts("review"))
    places = by_child(data.facts("placement", "out_of_school"))
    versions = by_child(data.facts("plan_version"))
    out = []
    for child_id, child in data.children.items():
        if not plan_active(child, as_at):
            continue
        born = child["date_of_birth"]
        year, age = year_group(born, as_at), age_on(born, as_at)
        held = [r for r in reviews.get(child_id, []) if happened(r["started_on"], as_at)]
        latest = held[-1] if held else None
        pfa = latest is not None and latest["outcome"] == "pfa_discussed"
        year_9 = year >= PFA_FROM_YEAR
        rows = places.get(child_id, [])
        learning = any(covers(p, as_at) for p in rows if p["kind"] == "placement"
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
                covers(p, as_at) for p in rows if p["subject"] == "out_of_school"),
        }, {"days_since_latest_review": float((as_at - latest["started_on"]).days)
            if year_9 and latest else None},
            {"year_group": year, "latest_review_type": latest["subject"] if latest else None}))
    return out
