"""The cohort projection: each touched journey folded once per batch, its rows replaced.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, ClassVar

from eventsourcing.persistence import Tracking
from sqlalchemy import (
    Connection,
)

from domain.events import JourneyEvent
from domain.journey import ChildJourney
from infrastructure.batches import ReadModelProjection
from infrastructure.cohort.rows import cohort_rows
from infrastructure.cohort.tables import (
    COHORT,
    COHORT_TABLES,
    CohortChild,
    CohortDispute,
    CohortFact,
    CohortRequest,
)
from infrastructure.readmodels import Base


class CohortProjection(ReadModelProjection):
    """The cohort tables, from each touched journey's folded state (one fold per batch)."""

    name = COHORT
    tables: ClassVar[tuple[type[Base], ...]] = COHORT_TABLES

    def apply(self, conn: Connection, items: Sequence[tuple[JourneyEvent, Tracking]]) -> None:
        self.replace_children(conn, items)

    def child_rows(self, journey: ChildJourney, position: int, today: date
                   ) -> Mapping[type[Base], list[dict[str, Any]]]:
        rows = cohort_rows(journey, position, today, self.policy,
                           self.folds.readings(journey.state, today, self.policy))
        return {CohortChild: [rows.child], CohortRequest: rows.requests,
                CohortDispute: rows.disputes, CohortFact: rows.facts}

