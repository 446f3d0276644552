"""Facts for the questions on plan content, placement sufficiency, moves between LAs,
preparation for adulthood, refusals overturned and health advice (Q6, Q11, Q13, Q15,
Q18, Q24 of the reference's section 8).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.events import JourneyEvent
from domain.journey import ChildJourney
from infrastructure.cohort.tables import (
    _effective,
    _fact,
    _iso,
)

THERAPIES = ("SALT", "OT", "PHYSIO")
_THERAPY_KEYS = ("service", "therapy", "profession")


def therapies(items: Any) -> list[str]:
    """The therapies (SALT, OT, PHYSIO) a plan section's items name by code.

    An item names a therapy by one of the health service codes (``SALT``, ``OT``,
    ``PHYSIO``, any case) in ``service``, ``therapy`` or ``profession``: those keys are
    codes and stay in clear (``domain.personal_data.STRUCTURED_CODES``), while the
    provision's words are sealed personal data the read models never read.
    """
    found: set[str] = set()
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            found |= {str(item[k]).upper() for k in _THERAPY_KEYS if item.get(k)} & set(
                THERAPIES)
    return sorted(found)


def _uncoded(items: Any) -> int:
    """How many of a section's items carry no service code."""
    return sum(1 for item in items if isinstance(item, dict) and not any(
        item.get(k) for k in _THERAPY_KEYS)) if isinstance(items, list) else 0


def _names_setting(section_i: Any) -> bool | None:
    """Whether a section I names a setting (True), only a type (False), or is absent."""
    if not isinstance(section_i, dict) or not section_i:
        return None
    if section_i.get("setting_ref") or section_i.get("setting_name"):
        return True
    return False if section_i.get("setting_type") else None


def question_facts(journey: ChildJourney, child_id: str, authority: str
                   ) -> list[dict[str, Any]]:
    """The facts of the later questions: plan versions (section F/G content and whether
    section I names a setting), placement decisions, transfers in and out, held reviews
    (PfA discussed), the school at each appealable decision and mandatory advice recorded
    as unobtainable."""
    state = journey.state
    events = {e.originator_version: e for e in _effective(journey)}
    rows = _plan_version_facts(state, events, child_id, authority)
    preferences = {p.setting_ref: p for p in state.plan.preferences}
    for d in state.plan.placement_decisions:
        refused = preferences.get(d.refused_preference or "")
        rows.append(_fact(child_id, authority, "placement_decision", d.id,
                          started_on=d.decided_on, subject=d.refusal_ground,
                          outcome="named" if d.named_setting_ref else "type_only",
                          detail={"setting_type": d.setting_type,
                                  "preference_refused": d.refused_preference is not None,
                                  "preference_category": refused.category if refused
                                  else None}))
    transfer = state.movement.transfer_in
    if transfer is not None:
        rows.append(_fact(child_id, authority, "transfer", transfer.id, outcome="in",
                          started_on=transfer.transferred_on, subject=transfer.old_la,
                          anchor_on=transfer.made_on, stopped_on=transfer.notice_on,
                          detail={"last_reviewed_on": _iso(transfer.last_reviewed_on)}))
    for m in state.movement.moves:
        rows.append(_fact(child_id, authority, "transfer", m.id, outcome="out",
                          started_on=m.aware_on, subject=m.new_la, anchor_on=m.move_on,
                          stopped_on=m.transferred_out_on))
    for r in state.reviews.reviews:
        if r.held_on is not None:
            rows.append(_fact(child_id, authority, "review", r.id, started_on=r.held_on,
                              subject=r.review_type,
                              outcome="pfa_discussed" if r.pfa_discussed else "no_pfa"))
    for a in state.appealable_decisions:
        rows.append(_fact(child_id, authority, "decision_school", a.id,
                          started_on=a.notified_on, subject=_school_on(state, a.notified_on),
                          parent=a.kind))
    for event in events.values():
        if event.type_name != "DecisionToIssuePlanMade":
            continue
        request = next((r for r in state.assessment.requests
                        if r.issue_decision_on == event.occurred_on), None)
        for item in getattr(event, "advice_unobtainable", None) or []:
            advice_type = str(item.get("advice_type"))
            rows.append(_fact(
                child_id, authority, "advice_unobtainable",
                f"{event.originator_version}:{advice_type}", started_on=event.occurred_on,
                subject=advice_type, parent=request.id if request else None,
                outcome="independent_advice" if item.get("independent_advice_ref")
                else "none"))
    return rows


def _plan_version_facts(state: Any, events: dict[int, JourneyEvent], child_id: str,
                        authority: str) -> list[dict[str, Any]]:
    """One fact per plan version: in force from its issue to the next version (or the
    plan's end); whether section I names a setting or only a type; section F and G."""
    versions = state.plan.versions
    end = min((d for d in (state.plan.ceased_on, state.movement.transferred_out_on) if d),
              default=None)
    rows = []
    named: bool | None = None
    for index, v in enumerate(versions):
        event = events.get(int(v.id.removeprefix("plan-")))
        own = getattr(event, "sections", None) or {}
        if getattr(event, "named_setting", None):
            named = True
        elif "I" in own:
            named = _names_setting(own["I"])
        elif index == 0 or v.source != "amendment":
            named = bool(v.named_setting) if (v.named_setting or v.setting_type) else None
        stopped = versions[index + 1].issued_on if index + 1 < len(versions) else end
        f_items = [i for i in v.sections.get("F") or [] if isinstance(i, dict)]
        rows.append(_fact(
            child_id, authority, "plan_version", v.id, started_on=v.issued_on,
            stopped_on=stopped, subject=v.setting_type, parent=v.source,
            outcome={True: "named", False: "type_only", None: "none"}[named],
            detail={"f_items": len(f_items),
                    "f_not_quantified": sum(1 for i in f_items if i.get("quantified") is False),
                    "f_quantification_unrecorded": sum(1 for i in f_items
                                                       if "quantified" not in i),
                    "therapies_f": therapies(v.sections.get("F")),
                    "therapies_g": therapies(v.sections.get("G")),
                    "g_items_uncoded": _uncoded(v.sections.get("G"))}))
    return rows


def _school_on(state: Any, day: date) -> str | None:
    """The school the child was at on ``day``: the main placement (URN, UKPRN or SEN2
    setting code), else the setting of the SEN support period."""
    placements = sorted((p for p in state.plan.placements if p.covers(day)),
                        key=lambda p: p.rank)
    if placements:
        p = placements[0]
        return p.urn or p.ukprn or p.sen_setting
    support = [s for s in state.support.periods
               if s.start_on <= day and (s.end_on is None or day <= s.end_on)]
    return support[-1].setting_urn if support else None

