"""Questions on the plan's life: placements, plans ceased, section F quality and
placement sufficiency.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from application.reports.as_at import (
    age_on,
    by_child,
    happened,
    open_at,
    plan_active,
)
from application.reports.cohort import Cohort, Data, Record
from application.reports.registry import question
from domain.calendar import DEFAULT_COUNTING


@question("placements",
          "Children with a plan without a full-time placement",
          measures=["without_full_time_placement_now", "without_full_time_placement_in_period",
                   "out_of_school_in_period", "part_time_or_eotas_in_period"],
          values=["days_without_full_time_placement"],
          dimensions=["kinds"],
          reads=("placement", "out_of_school"))
def placement_records(data: Data, cohort: Cohort) -> list[Record]:
    """Children with an active plan: without a full-time placement now or in the last year."""
    as_at = cohort.as_at
    since = cohort.period_from or DEFAULT_COUNTING.add_months(as_at, -12)
    places: dict[str, list[dict[str, Any]]] = {}
    for f in data.facts("placement", "out_of_school"):
        places.setdefault(f["child_id"], []).append(f)
    out = []
    for child_id, child in data.children.items():
        if not plan_active(child, as_at):
            continue
        start = max(since, child["plan_made_on"])
        rows = places.get(child_id, [])
        full = [(p["started_on"], p["stopped_on"]) for p in rows
                if p["kind"] == "placement" and p["outcome"] == "full_time"]
        uncovered = _uncovered_days(start, as_at, full)
        out_of_school = [p for p in rows if p["kind"] == "out_of_school" and
                         p["started_on"] <= as_at and (p["stopped_on"] is None or
                                                       p["stopped_on"] >= start)]
        now = any(open_at(s, e, as_at) or (s <= as_at and e is None) for s, e in full)
        out.append(Record(child_id, {
            "without_full_time_placement_now": not now,
            "without_full_time_placement_in_period": uncovered > 0,
            "out_of_school_in_period": bool(out_of_school),
            "part_time_or_eotas_in_period": bool(out_of_school) or any(
                p["kind"] == "placement" and p["outcome"] != "full_time" for p in rows),
        }, {"days_without_full_time_placement": float(uncovered) if uncovered else None},
            {"kinds": ",".join(sorted({p["subject"] or "" for p in out_of_school})) or None}))
    return out


def _uncovered_days(start: date, end: date, spans: list[tuple[date, date | None]]) -> int:
    if start > end:
        return 0
    covered = 0
    cursor = start
    for s, e in sorted((max(s, start), min(e or end, end)) for s, e in spans):
        if e < cursor:
            continue
        if s > cursor:
            s = max(s, cursor)
        covered += (e - max(s, cursor)).days + (1 if e >= max(s, cursor) else 0)
        cursor = e + timedelta(days=1)
    return max(0, (end - start).days + 1 - covered)


@question("ceased",
          "Plans ceased by reason",
          measures=["ceased", "ceased_while_appeal_window_open"],
          values=["age_at_ceasing"],
          dimensions=["reason", "month"],
          reads=("K21", "disputes"))
def ceased_records(data: Data, cohort: Cohort) -> list[Record]:
    """Plans ceased in the period, by reason; any ceased with the appeal window open."""
    windows: dict[str, list[dict[str, Any]]] = {}
    for f in data.facts("K21"):
        windows.setdefault(f["child_id"], []).append(f)
    cease_decisions = {(d["child_id"], d["decision_id"]): d for d in data.disputes()
                       if d["kind"] == "cease_plan"}
    out = []
    for child_id, child in data.children.items():
        ceased = child["plan_ceased_on"]
        if not cohort.in_period(ceased):
            continue
        window_open = any(
            (child_id, w["key"]) in cease_decisions and w["due_on"] is not None
            and ceased < w["due_on"] and cease_decisions[(child_id, w["key"])][
                "appeal_registered_on"] is None for w in windows.get(child_id, []))
        out.append(Record(child_id, {"ceased": True, "ceased_while_appeal_window_open":
                                     window_open},
                          {"age_at_ceasing": float(age_on(child["date_of_birth"], ceased))},
                          {"reason": child["cease_reason"],
                           "month": ceased.strftime("%Y-%m")}))
    return out


@question("section-f-quality",
          "Plans finalised in the last 12 months: therapy only in "
                   "section G, section F not quantified",
          measures=["plan", "therapy_in_g", "therapy_only_in_g", "salt_only_in_g", "ot_only_in_g",
                   "physio_only_in_g", "f_item_not_quantified", "f_quantification_not_recorded",
                   "f_lacks_quantification", "g_item_without_service_code"],
          values=["f_items", "f_items_lacking_quantification"],
          dimensions=["source", "therapy_only_in_g", "month"],
          reads=("plan_version",))
def section_f_records(data: Data, cohort: Cohort) -> list[Record]:
    """Plans finalised (new or amended) in the period, by default the 12 months up to
    ``as_at``: therapy (SALT, OT, physio, by service code) only in section G; F items not
    quantified (``quantified`` false, or not recorded); G items without a service code
    (their therapy, if any, cannot be told: provision text is sealed and not read)."""
    as_at = cohort.as_at
    since = DEFAULT_COUNTING.add_months(as_at, -12)
    out = []
    for f in data.facts("plan_version"):
        issued = f["started_on"]
        if f["parent"] not in ("final", "amendment") or issued is None:
            continue
        if cohort.period_from is None and cohort.period_to is None:
            if not since < issued <= as_at:
                continue
        elif not cohort.in_period(issued):
            continue
        detail = f["detail"] or {}
        in_f, in_g = set(detail.get("therapies_f") or ()), set(detail.get("therapies_g") or ())
        only_g = sorted(in_g - in_f)
        not_quantified = int(detail.get("f_not_quantified") or 0)
        unrecorded = int(detail.get("f_quantification_unrecorded") or 0)
        out.append(Record(f["child_id"], {
            "plan": True, "therapy_in_g": bool(in_g), "therapy_only_in_g": bool(only_g),
            "salt_only_in_g": "SALT" in only_g, "ot_only_in_g": "OT" in only_g,
            "physio_only_in_g": "PHYSIO" in only_g,
            "f_item_not_quantified": not_quantified > 0,
            "f_quantification_not_recorded": unrecorded > 0,
            "f_lacks_quantification": not_quantified + unrecorded > 0,
            "g_item_without_service_code": int(detail.get("g_items_uncoded") or 0) > 0,
        }, {"f_items": float(detail.get("f_items") or 0),
            "f_items_lacking_quantification": float(not_quantified + unrecorded)},
            {"source": f["parent"], "therapy_only_in_g": ",".join(only_g) or None,
             "month": issued.strftime("%Y-%m")}))
    return out


@question("placement-sufficiency",
          "Plans naming only a type of school, and preferences "
                   "refused by s.39(4) ground",
          measures=["plan", ("type_only_now", "plan"), ("type_only_in_period", "plan"), "decision",
                   ("named_setting", "decision"), ("type_only_decision", "decision"),
                   ("preference_refused", "decision")],
          values=["days_type_only_now", "days_type_only_in_period"],
          dimensions=["step", "refusal_ground", "preference_category", "plan_setting_type",
                      "month"],
          reads=("plan_version", "placement_decision"))
def sufficiency_records(data: Data, cohort: Cohort) -> list[Record]:
    """Active plans naming only a type of school, and for how long; placement decisions
    in the period, with each refused preference's s.39(4) ground."""
    as_at = cohort.as_at
    since = cohort.period_from or DEFAULT_COUNTING.add_months(as_at, -12)
    until = min(cohort.period_to or as_at, as_at)
    versions = by_child(data.facts("plan_version"))
    out = []
    for child_id, child in data.children.items():
        plan = [v for v in versions.get(child_id, []) if happened(v["started_on"], as_at)]
        if not plan_active(child, as_at) or not plan:
            continue
        spell_from = None
        for v in reversed(plan):
            if v["outcome"] != "type_only":
                break
            spell_from = v["started_on"]
        in_period = sum(max(0, (min(v["stopped_on"] or until, until) -
                                max(v["started_on"], since)).days)
                        for v in plan if v["outcome"] == "type_only")
        out.append(Record(child_id, {
            "plan": True, "type_only_now": spell_from is not None,
            "type_only_in_period": in_period > 0,
        }, {"days_type_only_now": float((as_at - spell_from).days) if spell_from else None,
            "days_type_only_in_period": float(in_period) if in_period else None},
            {"step": "plan", "plan_setting_type": plan[-1]["subject"]}))
    for f in data.facts("placement_decision"):
        if not cohort.in_period(f["started_on"]):
            continue
        detail = f["detail"] or {}
        refused = bool(detail.get("preference_refused"))
        out.append(Record(f["child_id"], {
            "decision": True, "named_setting": f["outcome"] == "named",
            "type_only_decision": f["outcome"] == "type_only",
            "preference_refused": refused,
        }, {}, {"step": "decision", "refusal_ground": f["subject"] if refused else None,
                "preference_category": detail.get("preference_category"),
                "plan_setting_type": detail.get("setting_type"),
                "month": f["started_on"].strftime("%Y-%m")}))
    return out
