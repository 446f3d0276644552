"""Disagreement resolution: mediation, appeals, Tribunal decisions, complaints.

(Skeleton: the state contract other groups read. Events and clocks K19-K23 are added here.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass
class Appeal:
    """An appeal to the First-tier Tribunal (SEND)."""

    id: str
    decision_id: str | None
    registered_on: date
    closed_on: date | None = None
    outcome: str | None = None


@dataclass
class DisputesState:
    """Mediation, appeals and complaints. Other groups read the two questions below."""

    appeals: list[Appeal] = field(default_factory=list)

    def appeal_pending(self) -> bool:
        """Tell whether an appeal is registered and not yet decided or withdrawn."""
        return any(appeal.closed_on is None for appeal in self.appeals)
