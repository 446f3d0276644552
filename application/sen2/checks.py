"""Pre-submission checks on a SEN2 return, in the manner of DfE's validation rules.

Each finding names the child, the item (a path such as
``Requests[ReceivedDate=2024-03-04].Assessment.NamedPlan.CeaseReason``), the rule (a
stable code) and says whether it is an **error** (COLLECT would reject the return) or a
**query** (the LA must confirm or explain). The checks read the return itself, so they
run as well on a file submitted earlier as on the return casetrack computes.

The rules are casetrack's reading of the guide's items and of the public pre-submission
checks (witan.sen2 ``pre_submission.clj``); DfE's own rule numbers are not public in the
sources, so the codes are ours.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from application.sen2.spec import Item, Module, YearSpec
from application.sen2.years import carried_forward, spec_for
from domain.personal_data import uln_is_valid, upn_is_valid


@dataclass(frozen=True)
class Window:
    """The end of the collection period and the census (reference) day."""

    end: date
    reference: date


@dataclass(frozen=True)
class Finding:
    child: str
    item: str
    rule: str
    severity: str  # "error" | "query"
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


RULES: dict[str, tuple[str, str]] = {
    "required-item": ("error", "a required item is missing"),
    "code-not-in-list": ("error", "the value is not a code of this year's list"),
    "date-format": ("error", "the value is not a date (YYYY-MM-DD)"),
    "flag-format": ("error", "the value is not 0 or 1"),
    "la-number": ("error", "the value is not a DfE three-digit LA number"),
    "upn-check-letter": ("error", "the UPN fails its check letter"),
    "uln-check-digit": ("error", "the ULN fails its check digit"),
    "upn-unknown-missing": ("error", "neither UPN nor ULN, and no UPNunknown reason"),
    "upn-unknown-with-upn": ("error", "UPNunknown is given with a UPN or ULN"),
    "plan-without-request": ("error", "a NamedPlan whose request was not to assess"),
    "plan-without-assessment-outcome": ("error", "a NamedPlan under an assessment that "
                                                 "did not decide to issue a plan"),
    "cease-date-without-reason": ("error", "a CeaseDate without a CeaseReason"),
    "cease-reason-without-date": ("error", "a CeaseReason without a CeaseDate"),
    "review-before-plan-start": ("error", "a review dated before the plan started"),
    "date-after-collection": ("error", "a date after the end of the collection period"),
    "date-after-census": ("error", "a plan starting after the census day"),
    "date-before-received": ("error", "an outcome dated before the request was received"),
    "outcome-date-missing": ("error", "a Y or N outcome without its date"),
    "active-plan-ceased": ("error", "an ActivePlans module for a plan with a CeaseDate"),
    "needs-rank-one": ("error", "active plan needs lack a single rank 1 (primary) need"),
    "duplicate-person": ("error", "the same person appears more than once"),
    "unknown-item": ("error", "an element this year's specification does not have"),
    "birth-after-request": ("error", "the request was received before the birth date"),
    "date-before-collection": ("error", "a Y or N outcome dated before the collection "
                                        "period (a decision before the period is H)"),
    "no-placement": ("query", "an active plan with no placement detail"),
    "week20-late-without-exception": ("query", "a plan issued after 20 weeks with no "
                                               "exception (Week20 0)"),
    "year-carried-forward": ("query", "no source describes this year: the structure is the "
                                      "year before's"),
}


def check_return(data: dict[str, Any]) -> list[Finding]:
    """Return every finding on the return (its dict: ``header``, ``persons``)."""
    header = data["header"]
    year = int(header["Year"])
    spec = spec_for(year)
    end = date(year - 1, 12, 31)
    window = Window(end, _date(header.get("ReferenceDate")) or end)
    findings: list[Finding] = []
    if carried_forward(year):
        findings.append(_finding("(return)", "Header.Year", "year-carried-forward"))
    lea = (header.get("Source") or {}).get("LEA", "")
    if not (len(lea) == 3 and lea.isdigit()):
        findings.append(_finding("(return)", "Header.Source.LEA", "la-number", lea))
    seen: dict[tuple[str, ...], str] = {}
    for index, person in enumerate(data["persons"]):
        child = _child(person, index)
        findings += _check_person(child, person, spec, window)
        key = _identity(person)
        if key in seen:
            findings.append(_finding(child, "Person", "duplicate-person",
                                     f"also reported as {seen[key]}"))
        else:
            seen[key] = child
    return findings


def summary(findings: list[Finding]) -> dict[str, int]:
    return {"errors": sum(f.severity == "error" for f in findings),
            "queries": sum(f.severity == "query" for f in findings)}


def _finding(child: str, item: str, rule: str, detail: str = "") -> Finding:
    severity, message = RULES[rule]
    return Finding(child, item, rule, severity, f"{message}: {detail}" if detail else message)


def _child(person: dict[str, Any], index: int) -> str:
    return str(person.get("ref") or f"person {index + 1}")


def _identity(person: dict[str, Any]) -> tuple[str, ...]:
    p = person.get("Person", {})
    if p.get("UPN"):
        return ("UPN", p["UPN"])
    return ("name", p.get("Surname", "").casefold(), p.get("Forename", "").casefold(),
            p.get("PersonBirthDate", ""), person.get("ref", "") if not p.get("Surname")
            else "")


def _check_person(child: str, person: dict[str, Any], spec: YearSpec, window: Window
                  ) -> list[Finding]:
    values = dict(person.get("Person", {}))
    values["Requests"] = person.get("Requests", [])
    findings = list(_check_module(child, "", values, spec.person, spec))
    p = person.get("Person", {})
    upn, uln, unknown = p.get("UPN"), p.get("UniqueLearnerNumber"), p.get("UPNunknown")
    if upn and not upn_is_valid(upn):
        findings.append(_finding(child, "UPN", "upn-check-letter", upn))
    if uln and not uln_is_valid(uln):
        findings.append(_finding(child, "UniqueLearnerNumber", "uln-check-digit"))
    if not upn and not uln and not unknown:
        findings.append(_finding(child, "UPNunknown", "upn-unknown-missing"))
    if unknown and (upn or uln):
        findings.append(_finding(child, "UPNunknown", "upn-unknown-with-upn"))
    for request in person.get("Requests", []):
        findings += _check_request(child, p, request, window)
    return findings


def _check_module(child: str, prefix: str, values: dict[str, Any], module: Module,
                  spec: YearSpec) -> Iterator[Finding]:
    known = {i.name for i in module.items} | {c.name for c in module.children}
    for name in values:
        if name not in known:
            yield _finding(child, f"{prefix}{name}", "unknown-item")
    for item in module.items:
        value = values.get(item.name)
        if value in (None, ""):
            if item.required:
                yield _finding(child, f"{prefix}{item.name}", "required-item")
            continue
        yield from _check_value(child, f"{prefix}{item.name}", item, str(value), spec)
    for sub in module.children:
        value = values.get(sub.name)
        rows = value if isinstance(value, list) else [value] if value else []
        for row in rows:
            key = _key(sub.name, row)
            yield from _check_module(child, f"{prefix}{sub.name}{key}.", row, sub, spec)


def _key(name: str, row: dict[str, Any]) -> str:
    if name == "Requests":
        return f"[ReceivedDate={row.get('ReceivedDate', '')}]"
    if name in ("PlanDetail", "PlacementDetail"):
        return f"[rank={row.get('PlacementRank', '')}@{row.get('EntryDate', '')}]".replace(
            "@]", "]")
    if name == "SENneed":
        return f"[rank={row.get('SENtypeRank', '')}]"
    return ""


def _check_value(child: str, path: str, item: Item, value: str, spec: YearSpec
                 ) -> Iterator[Finding]:
    if item.codes and value not in spec.codes(item.codes):
        rule = "flag-format" if item.codes == "flag" else "code-not-in-list"
        yield _finding(child, path, rule, value)
    elif item.kind == "date" and _date(value) is None:
        yield _finding(child, path, "date-format", value)
    elif item.kind == "la" and not (len(value) == 3 and value.isdigit()):
        yield _finding(child, path, "la-number", value)


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _check_request(child: str, person: dict[str, Any], request: dict[str, Any],
                   window: Window) -> Iterator[Finding]:
    end = window.end
    path = f"Requests[ReceivedDate={request.get('ReceivedDate', '')}]."
    received = _date(request.get("ReceivedDate"))
    born = _date(person.get("PersonBirthDate"))
    outcome = request.get("RequestOutcome")
    if received and born and received < born:
        yield _finding(child, f"{path}ReceivedDate", "birth-after-request")
    if received and received > end:
        yield _finding(child, f"{path}ReceivedDate", "date-after-collection")
    yield from _outcome_date(child, f"{path}RequestOutcome", outcome,
                             request.get("RequestOutcomeDate"), received, end)
    assessment = request.get("Assessment") or {}
    plan = assessment.get("NamedPlan")
    if plan is not None and outcome not in ("Y", "H"):
        yield _finding(child, f"{path}Assessment.NamedPlan", "plan-without-request",
                       f"RequestOutcome {outcome}")
    if assessment:
        yield from _outcome_date(child, f"{path}Assessment.AssessmentOutcome",
                                 assessment.get("AssessmentOutcome"),
                                 assessment.get("AssessmentOutcomeDate"), received, end,
                                 blank_y=True)
    if plan is not None:
        if assessment.get("AssessmentOutcome") not in ("Y", "H", "S"):
            yield _finding(child, f"{path}Assessment.NamedPlan",
                           "plan-without-assessment-outcome")
        yield from _check_plan(child, f"{path}Assessment.NamedPlan.", plan, window.end,
                               window.reference)
        yield from _week20(child, f"{path}Assessment.Week20", request, assessment, plan)
    active = request.get("ActivePlans")
    if active is not None:
        yield from _check_active(child, f"{path}ActivePlans.", active, plan)


def _outcome_date(child: str, path: str, outcome: str | None, on: str | None,
                  received: date | None, end: date, *, blank_y: bool = False
                  ) -> Iterator[Finding]:
    day = _date(on)
    if outcome in ("Y", "N") and day is None and not (blank_y and outcome == "Y"):
        yield _finding(child, f"{path}Date", "outcome-date-missing")
    if day is not None and day > end:
        yield _finding(child, f"{path}Date", "date-after-collection", on or "")
    if day is not None and outcome in ("Y", "N") and day < date(end.year, 1, 1):
        yield _finding(child, f"{path}Date", "date-before-collection", on or "")
    if day is not None and received is not None and day < received:
        yield _finding(child, f"{path}Date", "date-before-received", on or "")


def _check_plan(child: str, path: str, plan: dict[str, Any], end: date, reference: date
                ) -> Iterator[Finding]:
    if plan.get("CeaseDate") and not plan.get("CeaseReason"):
        yield _finding(child, f"{path}CeaseDate", "cease-date-without-reason")
    if plan.get("CeaseReason") and not plan.get("CeaseDate"):
        yield _finding(child, f"{path}CeaseReason", "cease-reason-without-date")
    ceased = _date(plan.get("CeaseDate"))
    if ceased is not None and ceased > end:
        yield _finding(child, f"{path}CeaseDate", "date-after-collection", plan["CeaseDate"])
    # A plan active on the census day may have started after the period's end.
    started = _date(plan.get("StartDate"))
    if started is not None and started > reference:
        yield _finding(child, f"{path}StartDate", "date-after-census", plan["StartDate"])


def _week20(child: str, path: str, request: dict[str, Any], assessment: dict[str, Any],
            plan: dict[str, Any]) -> Iterator[Finding]:
    received, start = _date(request.get("ReceivedDate")), _date(plan.get("StartDate"))
    if (assessment.get("AssessmentOutcome") == "Y" and received and start
            and (start - received).days > 140 and assessment.get("Week20") == "0"):
        yield _finding(child, path, "week20-late-without-exception",
                       f"{(start - received).days} days")


def _check_active(child: str, path: str, active: dict[str, Any],
                  plan: dict[str, Any] | None) -> Iterator[Finding]:
    start = _date((plan or {}).get("StartDate"))
    if plan is not None and plan.get("CeaseDate"):
        yield _finding(child, path.rstrip("."), "active-plan-ceased")
    for name in ("ReviewMeeting", "LastReview", "ReviewDraft"):
        day = _date(active.get(name))
        if day is not None and start is not None and day < start:
            yield _finding(child, f"{path}{name}", "review-before-plan-start",
                           f"{active[name]} before {plan and plan.get('StartDate')}")
    if not active.get("PlacementDetail"):
        yield _finding(child, f"{path}PlacementDetail", "no-placement")
    ranks = [n.get("SENtypeRank") for n in active.get("SENneed", [])]
    if ranks.count("1") != 1:
        yield _finding(child, f"{path}SENneed", "needs-rank-one")
