"""Bulk import of journeys from another system, one child at a time, all or none.

Each line carries its own key (a hash of the line), kept on the event it produced, so
running the same file again records nothing twice.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from application import access
from application.personal_data import check_recordable, seal_evidence, seal_payload
from application.progress import SILENT, Progress
from application.tracking import CaseTracking
from domain.actors import Actor
from domain.case_reference import CaseReference
from domain.errors import DomainError, InvalidFieldError, RuleViolationError
from domain.journey import ChildJourney


@dataclass(frozen=True)
class ImportLine:
    """One parsed line: a registration (``type == "ChildRegistered"``) or an event."""

    number: int
    case_ref: str
    type_name: str
    occurred_on: date
    payload: dict[str, Any]
    evidence: list[dict[str, str]]
    key: str


@dataclass
class Refusal:
    line: int
    case_ref: str | None
    detail: str
    code: str | None = None
    pointer: str | None = None


@dataclass
class ImportReport:
    """What an import did: counts, and each refused line with its reason."""

    lines: int = 0
    children: int = 0
    children_imported: int = 0
    events_recorded: int = 0
    lines_already_imported: int = 0
    refused: list[Refusal] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "lines": self.lines, "children": self.children,
            "children_imported": self.children_imported,
            "events_recorded": self.events_recorded,
            "lines_already_imported": self.lines_already_imported,
            "refused": [vars(r) for r in self.refused],
        }


def line_key(raw: dict[str, Any], occurrence: int) -> str:
    """Return the key of a line: its canonical content and its occurrence in the file."""
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"import:{occurrence}:{canonical}".encode()).hexdigest()


def import_children(tracking: CaseTracking, actor: Actor,
                    children: dict[str, list[ImportLine]], report: ImportReport,
                    progress: Progress = SILENT) -> None:
    """Import each child's parsed lines into the actor's authority."""
    access.check_may_register(actor, actor.organisation)
    progress.start("children imported", len(children))
    for lines in children.values():
        import_child(tracking, actor, lines, report)
        progress.advance()
    report.refused.sort(key=lambda r: r.line)


def import_child(tracking: CaseTracking, actor: Actor, lines: list[ImportLine],
                 report: ImportReport) -> None:
    """Apply one child's lines in order and save them in one call, or refuse them all."""
    case_ref = lines[0].case_ref
    child_id = tracking.find_by_case_ref(actor.organisation, case_ref)
    journey = tracking.journey_for_update(child_id) if child_id else None
    new = journey is None
    seen = set() if journey is None else {e.idempotency_key_hash for e in journey.log}
    recorded = 0
    for line in lines:
        if line.key in seen or (line.type_name == "ChildRegistered" and not new):
            report.lines_already_imported += 1
            continue
        try:
            journey = _apply(tracking, actor, journey, line)
        except DomainError as error:
            _refuse_child(report, lines, line, error)
            return
        recorded += 1
    if journey is None or recorded == 0:
        return
    index = [CaseReference(actor.organisation, case_ref, journey.id)] if new else []
    tracking.save(journey, *index)
    report.children_imported += 1
    report.events_recorded += recorded


def _apply(tracking: CaseTracking, actor: Actor, journey: ChildJourney | None,
           line: ImportLine) -> ChildJourney:
    today = tracking.today()
    if line.type_name == "ChildRegistered":
        return ChildJourney.register(
            authority=actor.organisation, actor=actor, occurred_on=line.occurred_on,
            today=today, case_ref=line.case_ref, idempotency_key_hash=line.key, **line.payload)
    if journey is None:
        raise InvalidFieldError("type", "the first line of a new case_ref must be ChildRegistered")
    check_recordable(line.type_name)
    payload = seal_payload(tracking.vault, journey, line.type_name, line.payload)
    evidence = seal_evidence(tracking.vault, journey, line.evidence)
    journey.record(line.type_name, payload, actor=actor, occurred_on=line.occurred_on,
                   today=today, evidence=evidence, idempotency_key_hash=line.key)
    return journey


def _refuse_child(report: ImportReport, lines: list[ImportLine], bad: ImportLine,
                  error: DomainError) -> None:
    code = error.code if isinstance(error, RuleViolationError) else None
    pointer = f"/{error.field.replace('.', '/')}" if isinstance(error, InvalidFieldError) \
        else None
    report.refused.append(Refusal(line=bad.number, case_ref=bad.case_ref, code=code,
                                  pointer=pointer, detail=str(error)))
    for other in lines:
        if other.number != bad.number:
            report.refused.append(Refusal(
                line=other.number, case_ref=other.case_ref,
                detail=f"not applied: line {bad.number} of the same child was refused"))
