"""Area SEND inspections: the authority inspected, the window, and the children tracked.

An inspection is opened for one local authority by its manager or by an inspectorate,
with a window of dates. Children are selected into its sample (each selection names its
method and theme, so a later stratified random draw is one more kind of selection).
Inspectors of the inspectorate may read a sampled child's journey while the window is
open, and not before or after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor
from domain.errors import DomainError

MAX_WINDOW_DAYS = 366
MAX_SELECTION = 500
EXPLICIT = "explicit"


class InspectionError(DomainError):
    """Raised when an inspection command breaks one of the inspection's own rules."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Window:
    """The dates (inclusive) an inspection runs over."""

    starts_on: date
    ends_on: date

    def covers(self, on: date) -> bool:
        return self.starts_on <= on <= self.ends_on


def check_window(starts_on: date, ends_on: date, today: date) -> None:
    if ends_on < today:
        raise InspectionError("inspection-window-past",
                              f"ends_on {ends_on} is before today ({today}): an inspection "
                              "is opened for a window still to come or running")
    if ends_on < starts_on:
        raise InspectionError("inspection-window-order", "ends_on is before starts_on")
    if (ends_on - starts_on).days > MAX_WINDOW_DAYS:
        raise InspectionError("inspection-window-length",
                              f"an inspection window is at most {MAX_WINDOW_DAYS} days")


class Inspection(Aggregate):
    """One area SEND inspection of a local authority, and the children it tracks."""

    @event("Opened")
    def __init__(self, authority: str, inspectorate: str, starts_on: date, ends_on: date,
                 theme: str | None, actor: Actor) -> None:
        self.authority = authority
        self.inspectorate = inspectorate
        self.starts_on = starts_on
        self.ends_on = ends_on
        self.theme = theme
        self.opened_by = actor
        self.sampled: list[UUID] = []
        self.selections: list[dict[str, Any]] = []

    @classmethod
    def open(cls, *, authority: str, inspectorate: str, starts_on: date, ends_on: date,
             theme: str | None, actor: Actor, today: date) -> Inspection:
        """Open an inspection of ``authority`` over a window of dates."""
        check_window(starts_on, ends_on, today)
        return cls(authority=authority, inspectorate=inspectorate, starts_on=starts_on,
                   ends_on=ends_on, theme=theme, actor=actor)

    @property
    def window(self) -> Window:
        return Window(self.starts_on, self.ends_on)

    def is_active(self, on: date) -> bool:
        return self.window.covers(on)

    def tracks(self, child_id: UUID) -> bool:
        return child_id in self.sampled

    def select(self, child_ids: Sequence[UUID], *, theme: str | None, actor: Actor,
               today: date, method: str = EXPLICIT,
               parameters: dict[str, Any] | None = None) -> list[UUID]:
        """Add children to the sample; return those not already in it."""
        if not child_ids:
            raise InspectionError("sample-empty", "name at least one child")
        if len(child_ids) > MAX_SELECTION:
            raise InspectionError("sample-too-large",
                                  f"select at most {MAX_SELECTION} children at a time")
        if today > self.ends_on:
            raise InspectionError("inspection-closed",
                                  "the inspection window has closed; open a new inspection")
        new = list(dict.fromkeys(c for c in child_ids if c not in self.sampled))
        if new:
            self._select(child_ids=new, theme=theme, method=method,
                         parameters=parameters or {}, actor=actor)
        return new

    @event("ChildrenSelected")
    def _select(self, child_ids: list[UUID], theme: str | None, method: str,
                parameters: dict[str, Any], actor: Actor) -> None:
        self.sampled.extend(child_ids)
        self.selections.append({"child_ids": list(child_ids), "theme": theme,
                                "method": method, "parameters": dict(parameters),
                                "selected_by": actor, "version": self.version + 1})


class AuthorityInspections(Aggregate):
    """The inspections ever opened for one authority: found by a uuid5 of its code."""

    @event("Started")
    def __init__(self, authority: str) -> None:
        self.authority = authority
        self.inspection_ids: list[UUID] = []

    @staticmethod
    def create_id(authority: str) -> UUID:
        return inspections_index_id(authority)

    @event("InspectionAdded")
    def add(self, inspection_id: UUID) -> None:
        self.inspection_ids.append(inspection_id)


def inspections_index_id(authority: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"casetrack:inspections:{authority}")
