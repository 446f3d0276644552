"""The 2023 area SEND framework's list of all children and young people with SEND.

Within days of an inspection's notice the local area partnership supplies person-level
lists of **all** children and young people with SEND who live in the area: those with EHC
plans, those on SEN Support, those with an assessment in progress, and those educated out
of the area or in alternative provision (Ofsted/CQC area SEND inspection framework,
January 2023; reference section 4.2-4.3). Inspectors pick children from it at random (SEN
Support included) and by theme.

A child is on the list as at a day when, in their journey as it stood that day, a plan is
in force, a period of SEN support is open, or a request for assessment (or an ordered
assessment) awaits its outcome. Everything on a row is read from the journey's state (one
definition of each fact): the plan, the support period, the placement, the spells out of
school. The list's rows for an inspector are pseudonymised: the child is the reports'
pseudonym, and neither the case reference nor the date of birth is shown.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from application import access
from application.queries import AGE_BANDS
from domain.actors import Actor
from domain.ages import age_on, year_group
from domain.state import JourneyState, replay

if TYPE_CHECKING:
    from application.tracking import CaseTracking

STATUSES = ("ehc_plan", "assessment_in_progress", "sen_support")
# Themes a list can be cut by and a draw can be made from ("all" is the whole list).
THEMES = ("all", "ehc_plan", "sen_support", "assessment_in_progress", "out_of_area",
          "alternative_provision", "eotas", "not_in_school", "preparation_for_adulthood",
          "looked_after", "disputes")
PFA_FROM_YEAR = 9  # preparation for adulthood from Year 9 (SEND Code 8.3, 8.9)
COLUMNS = ("child", "case_ref", "send_status", "ehc_plan", "sen_support",
           "assessment_in_progress", "age", "year_group", "age_band", "sex", "primary_need",
           "stage", "setting", "setting_type", "out_of_area", "alternative_provision",
           "eotas", "not_in_school", "looked_after", "plan_made_on", "themes")


def send_entry(state: JourneyState, on: date) -> dict[str, Any] | None:
    """Return the child's row as at ``on`` (their journey as it stood), or None when the
    child has no SEND recorded on the list's terms that day."""
    assert state.child is not None
    plan = state.plan.current if state.plan.is_active else None
    support = next((p for p in state.support.periods
                    if p.start_on <= on and (p.end_on is None or on <= p.end_on)), None)
    assessing = state.assessment.open_request is not None
    statuses = {"ehc_plan": plan is not None, "assessment_in_progress": assessing,
                "sen_support": support is not None}
    if not any(statuses.values()):
        return None
    placement = _placement(state, on)
    spells = [p for p in state.plan.out_of_school
              if p.start_on <= on and (p.end_on is None or on <= p.end_on)]
    dob = state.child.date_of_birth
    age = age_on(dob, on)
    row: dict[str, Any] = {
        "send_status": next(s for s in STATUSES if statuses[s]), **statuses,
        "age": age, "year_group": year_group(dob, on),
        "age_band": next((n for n, (low, high) in AGE_BANDS.items() if low <= age <= high),
                         "over-25"),
        "sex": state.child.sex, "primary_need": _primary_need(state, support),
        "stage": state.stage,
        "setting": (placement.urn or placement.ukprn or placement.sen_setting) if placement
        else (support.setting_urn if support else None),
        "setting_type": plan.setting_type if plan else None,
        "out_of_area": bool(placement and placement.setting_la
                            and placement.setting_la != state.child.authority),
        "alternative_provision": bool(plan and (plan.setting_type or "").startswith("AP_")),
        "eotas": any(p.kind == "eotas" for p in spells),
        "not_in_school": any(p.kind == "out_of_school" for p in spells),
        "looked_after": state.child.looked_after_on(on),
        "plan_made_on": state.plan.made_on if plan else None,
    }
    row["themes"] = [t for t in THEMES[1:] if _in_theme(t, row, state)]
    return row


def _placement(state: JourneyState, on: date) -> Any:
    current = sorted((p for p in state.plan.placements if p.covers(on)),
                     key=lambda p: (p.rank, p.start_on))
    return current[0] if current else None


def _primary_need(state: JourneyState, support: Any) -> str | None:
    needs = state.plan.needs or (support.needs if support else [])
    primary = [n for n in needs if isinstance(n, dict) and n.get("rank") == 1]
    return str(primary[0].get("code")) if primary else None


def _in_theme(theme: str, row: dict[str, Any], state: JourneyState) -> bool:
    if theme == "preparation_for_adulthood":
        return bool(row["year_group"] >= PFA_FROM_YEAR)
    if theme == "disputes":
        return bool(state.disputes.appeals or state.disputes.mediations)
    return bool(row[theme])


def in_theme(row: dict[str, Any], theme: str) -> bool:
    """Tell whether a list row belongs to ``theme`` ("all": every row)."""
    return theme == "all" or theme in row["themes"]


def list_rows(logs: Iterable[tuple[UUID, list[Any]]], on: date
              ) -> list[tuple[UUID, JourneyState, dict[str, Any]]]:
    """Return (child id, state, row) for every child on the list as at ``on``."""
    rows = []
    for child_id, log in logs:
        state = replay(log, as_at=on)
        if state.child is None or state.child.registered_on and state.child.registered_on > on:
            continue
        row = send_entry(state, on)
        if row is not None:
            rows.append((child_id, state, row))
    return rows


def send_list(app: CaseTracking, authority: str, *, actor: Actor, as_at: date,
              theme: str = "all", inspecting: Callable[[str, str], bool],
              pseudonym: Callable[[str], str]) -> dict[str, Any]:
    """Return the list of every child and young person with SEND in ``authority`` as at
    ``as_at``: for its managers and auditors, and pseudonymised for inspectors of an
    inspection of it active today."""
    from application.sen2 import authority_logs

    access.check_may_report(actor, authority, inspecting=inspecting)
    pseudonymous = access.report_pseudonymises(actor)
    items = []
    for child_id, state, row in list_rows(authority_logs(app, authority), as_at):
        if not in_theme(row, theme):
            continue
        assert state.child is not None
        child = pseudonym(str(child_id)) if pseudonymous else str(child_id)
        case_ref = None if pseudonymous else state.child.case_ref
        items.append({"child": child, "case_ref": case_ref, **row})
    items.sort(key=lambda r: (STATUSES.index(r["send_status"]), r["child"]))
    counts = {status: sum(1 for r in items if r[status]) for status in STATUSES}
    counts |= {flag: sum(1 for r in items if r[flag]) for flag in (
        "out_of_area", "alternative_provision", "eotas", "not_in_school", "looked_after")}
    return {"authority": authority, "as_at": as_at, "theme": theme,
            "pseudonymous": pseudonymous, "total": len(items), "counts": counts,
            "items": items}


def send_list_csv(answer: dict[str, Any]) -> str:
    """Return the list's rows as CSV (one header line; lists joined by ';')."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore",
                            lineterminator="\r\n")
    writer.writeheader()
    for item in answer["items"]:
        writer.writerow({k: _cell(item.get(k)) for k in COLUMNS})
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # never a formula in a spreadsheet
    return value


# Families' contact details for the inspectorate's survey: a separate export, only for the
# authority's managers, only with a stated purpose, and every child in it is recorded in
# the access log with that purpose before the answer leaves (the partnership distributes
# the surveys: reference section 4.2).
CONTACT_FIELDS = ("given_name", "family_name", "address", "postcode")
CONTACTS_LOOK = "contacts"


def survey_contacts(app: CaseTracking, authority: str, *, actor: Actor, as_at: date,
                    theme: str, purpose: str | None,
                    record_look: Callable[[UUID], object]) -> dict[str, Any]:
    """Return the postal contact held for each child on the list (in ``theme``), from the
    personal-data vault; every child exported is recorded as looked at, with the purpose."""
    from application.errors import ForbiddenError
    from application.sen2 import authority_logs

    if actor.role != "manager" or actor.organisation != authority:
        raise ForbiddenError("only the authority's managers export families' contact details")
    if not purpose:  # a stated purpose has been checked against the lawful ones already
        raise ForbiddenError("state the lawful purpose of this export (X-Access-Purpose or "
                             "purpose, as '<purpose>: <reference>', e.g. "
                             "'inspection-survey: <inspection reference>')")
    vault = getattr(app, "vault", None)
    if vault is None:
        raise ForbiddenError("no personal-data vault is configured")
    items = []
    for child_id, _state, row in list_rows(authority_logs(app, authority), as_at):
        if not in_theme(row, theme):
            continue
        held = vault.identifiers(child_id) or {}
        record_look(child_id)
        items.append({"child_id": str(child_id), "send_status": row["send_status"],
                      **{name: held.get(name) for name in CONTACT_FIELDS}})
    return {"authority": authority, "as_at": as_at, "theme": theme, "purpose": purpose,
            "total": len(items), "items": items}
