"""The area picture: the headline figures DfE publishes for an authority and a year."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import date
from typing import Any

from application.queries import AGE_BANDS
from application.reports.answering import NOT_RECORDED, _cached
from application.reports.as_at import age_band, days_late, happened, plan_active, weeks
from application.reports.cohort import Cohort, CohortStore, Data, Scope
from application.sen2.export import census_day as sen2_census_day
from domain.clocks import never_late_while_open


def census_day(year: int) -> date:
    """The SEN2 census day for figures of ``year``: SEN2's reference date of the year
    after (the third Thursday of January, ``application.sen2.census_day``)."""
    return sen2_census_day(year + 1)


Rows = list[dict[str, Any]]
Count = Callable[[Rows], dict[str, Any]]


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

    def count(rows: Rows) -> dict[str, Any]:
        return {"count": len(rows),
                "children": sorted(dict.fromkeys(name(r["child_id"]) for r in rows))}

    # New plans under the 20-week limit: issued in the year, with a K4 due date (none:
    # the K4 clock says no limit applies).
    plans = [r for r in requests if r["final_issued_on"] and start <= r["final_issued_on"]
             <= last and r["k4_due_on"] is not None]
    return {
        "authority": authority, "year": year, "as_at": as_at, "census_on": census,
        "pseudonymous": pseudonym is not None,
        "requests": request_figures(requests, start, last, as_at, count),
        "assessments": assessment_figures(requests, start, last, count),
        "new_plans": new_plan_figures(plans, count),
        **plan_figures(data, census, start, last, name, count),
        "delays": responsible_delays(data, cohort, plans, name),
    }


def _pct(part: list[Any], whole: list[Any]) -> float | None:
    return round(100 * len(part) / len(whole), 1) if whole else None


def request_figures(requests: Rows, start: date, last: date, as_at: date, count: Count
                    ) -> dict[str, Any]:
    """Requests received in the year: decided (to assess or not), withdrawn, undecided,
    decided within 6 weeks (K1's due date), linked to mediation or tribunal."""
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
    in_6 = [r for r in decided if r["k1_due_on"] is not None and
            r["decision_notified_on"] <= r["k1_due_on"]]
    return {
        "received": count(received), "decided_to_assess": count(assessed),
        "decided_not_to_assess": count(refused), "withdrawn": count(withdrawn),
        "no_decision_yet": count(undecided), "decided_within_6_weeks": count(in_6),
        "percent_within_6_weeks": _pct(in_6, decided), "refusal_rate": _pct(refused, decided),
        "linked_to_mediation": count([r for r in received if r["mediation"]]),
        "linked_to_tribunal": count([r for r in received if r["tribunal"]]),
    }


def assessment_figures(requests: Rows, start: date, last: date, count: Count
                       ) -> dict[str, Any]:
    """Assessments whose outcome (plan or no plan) fell in the year, as DfE counts."""
    issue_outcome = [r for r in requests if (r["final_issued_on"] and start <=
                                             r["final_issued_on"] <= last)
                     or (r["issue_decision"] == "not_issue" and r["issue_decision_on"]
                         and start <= r["issue_decision_on"] <= last)]
    return {"completed": count(issue_outcome),
            "plan_issued": count([r for r in issue_outcome if r["final_issued_on"]]),
            "plan_not_issued": count([r for r in issue_outcome if not r["final_issued_on"]])}


def new_plan_figures(plans: Rows, count: Count) -> dict[str, Any]:
    """New plans issued in the year: within 20 weeks, with and without exceptions."""
    within = [r for r in plans if r["final_issued_on"] <= r["k4_due_on"]]
    no_exc = [r for r in plans if r["k4_ground"] is None]
    within_no_exc = [r for r in within if r["k4_ground"] is None]
    weeks_all = [weeks(r["received_on"], r["final_issued_on"]) for r in plans]
    weeks_no_exc = [weeks(r["received_on"], r["final_issued_on"]) for r in no_exc]
    return {
        "issued": count(plans), "within_20_weeks": count(within),
        "percent_within_20_weeks": _pct(within, plans),
        "excluding_exceptions": {"issued": count(no_exc),
                                 "within_20_weeks": count(within_no_exc),
                                 "percent_within_20_weeks": _pct(within_no_exc, no_exc)},
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
    }


def plan_figures(data: Data, census: date, start: date, last: date,
                 name: Callable[[str], str], count: Count) -> dict[str, Any]:
    """Plans active on the census day and ceased in the year: counted by the store where
    it can (``plan_counts``), else from the children's rows."""
    counter = getattr(data.store, "plan_counts", None)
    counted = counter(data.authority, census=census, ceased_from=start, ceased_to=last,
                      age_bands=AGE_BANDS) if counter else None
    if counted is not None:
        return counted_plans(counted, name)
    active = [c for c in data.children.values() if plan_active(c, census)]
    ceased = [c for c in data.children.values() if c["plan_ceased_on"] and
              start <= c["plan_ceased_on"] <= last]

    def by(rows: Rows, key: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
        out: dict[str, Rows] = {}
        for row in rows:
            out.setdefault(area_key(key(row)), []).append(row)
        return {k: count(v) for k, v in sorted(out.items())}

    return {"active_plans": {
        **count(active), "by_primary_need": by(active, lambda c: c["primary_need"]),
        "by_setting_type": by(active, lambda c: c["setting_type"]),
        "by_age_band": by(active, lambda c: age_band(c["date_of_birth"], census)),
        "by_sex": by(active, lambda c: c["sex"])},
        "ceased_plans": {**count(ceased), "by_reason": by(ceased, lambda c: c["cease_reason"])}}


def area_key(value: Any) -> str:
    """Return the key of ``value``'s group in the area picture (``NOT_RECORDED`` for a
    child whose need, setting type, sex or cease reason is not on the record)."""
    return NOT_RECORDED if value is None else str(value)


def counted_plans(counted: dict[str, Any], name: Callable[[str], str]) -> dict[str, Any]:
    """The area picture's active and ceased plans from the store's counts
    (``plan_counts``): each figure a count and its children, groups keyed as ``str``."""
    def figure(found: tuple[int, list[str]]) -> dict[str, Any]:
        return {"count": found[0], "children": sorted(dict.fromkeys(map(name, found[1])))}

    def by(groups: dict[Any, tuple[int, list[str]]]) -> dict[str, Any]:
        return {k: figure(v) for k, v in sorted((area_key(k), v) for k, v in groups.items())}

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
    return {"by_body": late_episodes_by_body(data, cohort, name),
            "late_plans_by_body": late_plans_by_body(plans, advice_parts(data, cohort, plans),
                                                     name)}


def late_episodes_by_body(data: Data, cohort: Cohort, name: Callable[[str], str]
                          ) -> dict[str, dict[str, Any]]:
    """Clock episodes due in the period and late as at the day, by responsible body."""
    as_at = cohort.as_at
    kinds = [f"K{n}" for n in range(1, 27)]
    never_late = set(never_late_while_open())
    by_body: dict[str, dict[str, Any]] = {}
    counter = getattr(data.store, "late_episodes", None)
    counted = counter(data.authority, kinds, due_from=cohort.period_from,
                      due_to=cohort.period_to, as_at=as_at) if counter else None
    for entry in counted or ():  # counted by the database
        by_body[entry["body"]] = {
            "late_episodes": entry["episodes"], "days_late": entry["days"],
            "by_clock": entry["by_clock"], "children": {name(c) for c in entry["children"]}}
    rows = () if counted is not None else data.store.facts(
        data.authority, kinds, due_from=cohort.period_from, due_to=cohort.period_to,
        late_only=True, detail=False)
    for f in rows:
        # A window the family let lapse (K19, K21) is no one's delay: not applicable.
        if f["due_on"] is None or f["outcome"] == "not_applicable" or \
                not cohort.in_period(f["due_on"]):
            continue
        stopped = f["stopped_on"] if happened(f["stopped_on"], as_at) else None
        if stopped is None and f["kind"] in never_late:
            continue  # open past due is no one's delay for these (K3, a family's window)
        late = days_late(f["due_on"], stopped, as_at)
        if late is None:
            continue
        body = by_body.setdefault(f["responsible"] or "unknown", {
            "late_episodes": 0, "days_late": 0.0, "by_clock": {}, "children": set()})
        body["late_episodes"] += 1
        body["days_late"] += late
        body["by_clock"][f["kind"]] = body["by_clock"].get(f["kind"], 0) + 1
        body["children"].add(name(f["child_id"]))
    total_days = sum(body["days_late"] for body in by_body.values())
    for body in by_body.values():
        body["share_of_days_late"] = round(100 * body["days_late"] / total_days, 1) \
            if total_days else None
        body["children"] = sorted(body["children"])
    return by_body


def advice_parts(data: Data, cohort: Cohort, plans: list[dict[str, Any]]
                 ) -> dict[tuple[str, str], dict[str, float]]:
    """Each late plan's advice: the most days late by the adviser's body, as at the plan
    (``(child, request) -> {body: days}``)."""
    getter = getattr(data.store, "late_advice", None)
    counted_parts = getter(data.authority, plans_from=cohort.period_from,
                           plans_to=cohort.period_to) if getter else None
    parts_of: dict[tuple[str, str], dict[str, float]] = {}
    for child_id, request_id, body_name, days in counted_parts or ():  # by the database
        parts_of.setdefault((child_id, request_id), {})[body_name] = float(days)
    if counted_parts is not None:
        return parts_of
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
    return parts_of


def late_plans_by_body(plans: list[dict[str, Any]],
                       parts_of: dict[tuple[str, str], dict[str, float]],
                       name: Callable[[str], str]) -> dict[str, dict[str, Any]]:
    """Each plan past week 20 split between its advisers' bodies (their late advice, pro
    rata, capped at the plan's delay) and the local authority (the rest)."""
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
    return late_plans
