"""Assessment advice, the decision to issue, draft and final plans, placements and needs.

(Skeleton: the state contract other groups read. The events and clocks K2, K5, K6 are
added here.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass
class PlanVersion:
    """One issued version of the EHC plan (final or amended)."""

    id: str
    number: int
    issued_on: date
    made_on: date  # the date the plan was first made (kept across amendments and transfers)
    named_setting: str | None = None
    setting_type: str | None = None
    sections: dict[str, Any] = field(default_factory=dict)
    source: str = "final"  # final | amendment | reassessment | tribunal | transfer_in


@dataclass
class PlanState:
    """Plan versions, drafts, placements and needs.

    Other groups read ``current``, ``is_active``, ``made_on`` and call ``add_version``.
    """

    versions: list[PlanVersion] = field(default_factory=list)
    ceased_on: date | None = None

    @property
    def current(self) -> PlanVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def is_active(self) -> bool:
        return bool(self.versions) and self.ceased_on is None

    @property
    def made_on(self) -> date | None:
        return self.versions[0].made_on if self.versions else None

    def add_version(self, *, event_version: int, issued_on: date, source: str,
                    named_setting: str | None = None, setting_type: str | None = None,
                    sections: dict[str, Any] | None = None,
                    made_on: date | None = None) -> PlanVersion:
        """Add a new plan version; the first one fixes the date the plan was made."""
        version = PlanVersion(
            id=f"plan-{event_version}", number=len(self.versions) + 1, issued_on=issued_on,
            made_on=made_on or self.made_on or issued_on,
            named_setting=named_setting if named_setting is not None else (
                self.current.named_setting if self.current else None),
            setting_type=setting_type if setting_type is not None else (
                self.current.setting_type if self.current else None),
            sections=dict(sections) if sections is not None else (
                dict(self.current.sections) if self.current else {}),
            source=source,
        )
        self.versions.append(version)
        return version
