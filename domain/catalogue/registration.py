"""Registering a journey, the child's looked-after status, and correcting or retracting
what was recorded.

Corrections never delete: ``EntryCorrected`` and ``EntryRetracted`` name the event
version they amend and carry a reason; the corrector is their actor. The original stays
in the log, and state and clocks are recomputed from the effective events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from eventsourcing.domain import AggregateCreated

from domain.catalogue.common import check
from domain.events import JourneyEvent
from domain.rules import rule

if TYPE_CHECKING:
    from domain.state import JourneyState

JOURNEY_RULES = "casetrack journey rule (events record what has happened)"
# The oldest a young person's SEND journey can open at (CFA 2014 s.46), and how far back
# any date of birth held can be: a journey opened at 25 kept for 25 years more.
MAX_AGE_AT_REGISTRATION = 25
MAX_AGE_HELD = 50

OCCURRED_IN_FUTURE = rule(
    "occurred-on-in-future", JOURNEY_RULES,
    "An event cannot be recorded as happening after the day it is recorded.")
OCCURRED_BEFORE_BIRTH = rule(
    "occurred-before-birth", JOURNEY_RULES,
    "An event cannot have happened before the child was born.")
JOURNEY_CLOSED = rule(
    "journey-closed", "CFA 2014 s.45; SEND Regulations 2014, reg 15",
    "Nothing more is recorded on a journey whose plan has ceased or transferred out, "
    "except corrections and the events allowed after closure.")
DATE_OF_BIRTH_IMPLAUSIBLE = rule(
    "date-of-birth-implausible", "CFA 2014 s.46 (EHC plans to age 25); " + JOURNEY_RULES,
    "A journey opens for a child or young person of at most 25, born within the last "
    f"{MAX_AGE_HELD} years: an older date of birth is a typing error.")
CORRECTION_TARGET = rule(
    "correction-target-missing", JOURNEY_RULES,
    "A correction or retraction must name an event version in this journey.")
CORRECTION_OF_CORRECTION = rule(
    "correction-of-correction", JOURNEY_RULES,
    "A correction cannot itself be corrected; retract it and record a new one.")
REGISTRATION_RETRACTED = rule(
    "registration-not-retractable", JOURNEY_RULES,
    "The registration of a journey can be corrected but not retracted.")
NOT_AMENDABLE = rule(
    "entry-not-amendable", "UK GDPR Art. 17; casetrack journey rule (information governance)",
    "Legal holds and erasures are changed by their own events (a release), never corrected "
    "or retracted; an erasure cannot be undone.")
ACCESS_FIELD_CORRECTED = rule(
    "access-field-not-correctable", "SEND Regulations 2014, reg 15; casetrack access rule "
    "(docs/security.md)",
    "A correction cannot change a field that decides who may see or do what (the "
    "journey's authority, the case's assignment, a legal hold): the authority changes only "
    "by a transfer, an assignment by a new assignment, a hold by its release.")
CORRECTION_EMPTY = rule(
    "correction-changes-nothing", JOURNEY_RULES,
    "A correction must change at least one field to a different value.")
LOOKED_AFTER_UNCHANGED = rule(
    "looked-after-status-unchanged", "Children Act 1989 s.22(1); " + JOURNEY_RULES,
    "A looked-after status is recorded only when it changes: a child not looked after "
    "becomes looked after, or a looked-after child stops being looked after.")


@dataclass
class LookedAfterPeriod:
    """A period in the care of a local authority (Children Act 1989 s.22(1)); ``end_on``
    is the first day the child was no longer looked after."""

    start_on: date
    end_on: date | None = None

    def covers(self, day: date) -> bool:
        return self.start_on <= day and (self.end_on is None or day < self.end_on)


class ChildRegistered(AggregateCreated, JourneyEvent):
    """A child's journey with one local authority was opened."""

    authority: str
    date_of_birth: date
    case_ref: str | None = None
    sex: str | None = None
    ethnicity: str | None = None

    group: ClassVar[str] = "identification"
    # The authority of a journey changes only by the statutory transfer (reg 15): a plan
    # transferred out closes this journey, and the new authority opens its own.
    access_fields: ClassVar[frozenset[str]] = frozenset({"authority"})

    def apply(self, aggregate: Any) -> None:
        aggregate.start_log(self)

    def evolve(self, state: JourneyState) -> None:
        from domain.state import ChildFacts  # state imports the catalogue; defer

        state.child = ChildFacts(
            child_id=str(self.originator_id), authority=self.authority,
            date_of_birth=self.date_of_birth, case_ref=self.case_ref, sex=self.sex,
            ethnicity=self.ethnicity, registered_on=self.occurred_on,
        )


class LookedAfterStatusRecorded(JourneyEvent):
    """The child became looked after by a local authority, or stopped being looked after
    (Children Act 1989 s.22(1)), from ``occurred_on``."""

    looked_after: bool

    group: ClassVar[str] = "identification"

    def evolve(self, state: JourneyState) -> None:
        assert state.child is not None
        periods = state.child.looked_after_periods
        current = bool(periods) and periods[-1].end_on is None
        check(self.looked_after != current, LOOKED_AFTER_UNCHANGED,
              "the child is already looked after" if current
              else "the child is not looked after")
        if self.looked_after:
            periods.append(LookedAfterPeriod(start_on=self.occurred_on))
        else:
            periods[-1].end_on = self.occurred_on


class EntryCorrected(JourneyEvent):
    """A recorded event's fields were corrected; the original stays in the log."""

    target_version: int
    changes: dict[str, Any]
    reason: str

    group: ClassVar[str] = "corrections"
    allowed_when_closed: ClassVar[bool] = True

    def evolve(self, state: JourneyState) -> None:
        """Corrections act through ``effective_events``, not on the state directly."""


class EntryRetracted(JourneyEvent):
    """A recorded event was withdrawn as recorded in error; it stays in the log.

    Retracting a correction or a retraction undoes it.
    """

    target_version: int
    reason: str

    group: ClassVar[str] = "corrections"
    allowed_when_closed: ClassVar[bool] = True

    def evolve(self, state: JourneyState) -> None:
        """Retractions act through ``effective_events``, not on the state directly."""

