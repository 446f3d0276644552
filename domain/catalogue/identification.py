"""Identification and SEN support: what happens before (and beside) the EHC route.

SEN support is recorded by the setting, usually arriving through the school census; it
is evidence, not a statutory stage with a clock (reference section 1.3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from domain.ages import compulsory_school_age_starts
from domain.catalogue.common import NEEDS, check, check_code, check_not_before
from domain.code_lists import takes
from domain.events import JourneyEvent
from domain.record_ids import record_kind
from domain.responsibility import Body
from domain.rules import rule

if TYPE_CHECKING:
    from domain.state import JourneyState


SUPPORT_PERIOD = record_kind("support_period_id", "support", "a period of SEN support")


@dataclass
class SupportPeriod:
    """A period of SEN support at a setting."""

    id: str
    setting_urn: str
    start_on: date
    end_on: date | None
    needs: list[dict[str, Any]]
    cycles_reviewed: int = 0


@dataclass
class SupportState:
    """SEN support periods and health bodies' notifications about young children."""

    periods: list[SupportPeriod] = field(default_factory=list)
    health_notifications: list[tuple[str, date]] = field(default_factory=list)


HEALTH_NOTICE_UNDER_SCHOOL_AGE = rule(
    "health-notice-under-school-age", "CFA 2014 s.23",
    "A health body's notice of possible SEN concerns a child under compulsory school age.",
    Body.HEALTH)
NEEDS_RANKED = rule(
    "needs-ranked-once", "SEN2 technical specification (SENtype, SENtypeRank)",
    "Needs are ranked 1, 2, ... with exactly one primary (rank 1) need.")
SUPPORT_CYCLE_NEEDS_PERIOD = rule(
    "support-cycle-needs-period", "SEND Code of Practice 2015, 6.44-6.56",
    "An assess-plan-do-review cycle is reviewed within a recorded period of SEN support.",
    Body.SETTING)


def check_ranked_needs(ref_version: str, needs: list[dict[str, Any]]) -> None:
    """Check needs carry reference-data codes and ranks 1..n, one primary need."""
    for need in needs:
        check_code(ref_version, "needs", str(need.get("code")), "needs.code")
    ranks = sorted(int(need.get("rank", 0)) for need in needs)
    check(ranks == list(range(1, len(needs) + 1)), NEEDS_RANKED,
          f"ranks must be 1..{len(needs)} without gaps or repeats, got {ranks}")


class SENSupportRecorded(JourneyEvent):
    """The setting recorded a period of SEN support (census provision code K)."""

    setting_urn: str
    start_on: date
    needs: Annotated[list[dict[str, Any]], takes(NEEDS, "*", "code")]
    end_on: date | None = None
    plan_review_on: date | None = None

    group: ClassVar[str] = "identification"
    recorded_by: ClassVar[Body] = Body.SETTING

    def evolve(self, state: JourneyState) -> None:
        check_ranked_needs(self.reference_version, self.needs)
        check_not_before(self.end_on, self.start_on, "end_on", "start_on")
        state.support.periods.append(SupportPeriod(
            id=state.mint(SUPPORT_PERIOD, self.originator_version), setting_urn=self.setting_urn,
            start_on=self.start_on, end_on=self.end_on, needs=self.needs))


class SENSupportCycleReviewed(JourneyEvent):
    """The setting reviewed an assess-plan-do-review cycle of SEN support."""

    cycle_start_on: date
    outcomes: str
    interventions: list[str] = field(default_factory=list)
    external_advice: list[str] = field(default_factory=list)

    group: ClassVar[str] = "identification"
    recorded_by: ClassVar[Body] = Body.SETTING

    def evolve(self, state: JourneyState) -> None:
        check(bool(state.support.periods), SUPPORT_CYCLE_NEEDS_PERIOD,
              "no period of SEN support is recorded")
        check_not_before(self.occurred_on, self.cycle_start_on, "occurred_on", "cycle_start_on")
        state.support.periods[-1].cycles_reviewed += 1


class HealthBodyNotifiedPossibleSEN(JourneyEvent):
    """A health body told the parent and the LA a young child may have SEN (s.23)."""

    notifying_body: str

    group: ClassVar[str] = "identification"
    recorded_by: ClassVar[Body] = Body.HEALTH

    def evolve(self, state: JourneyState) -> None:
        assert state.child is not None
        check(self.occurred_on < compulsory_school_age_starts(state.child.date_of_birth),
              HEALTH_NOTICE_UNDER_SCHOOL_AGE,
              "the child had reached compulsory school age on that date")
        state.support.health_notifications.append((self.notifying_body, self.occurred_on))
