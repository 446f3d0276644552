"""Timescale exceptions: recorded, evidenced, and never moving a deadline.

A claim marks a clock "late, exception applies" when the step is late and the ground is
valid for that clock under the rules in force (SEND Regs 2014 regs 5(4), 8(2), 10(4),
13(3), 27(3), 44(3); SI 2020/471 for the 2020 coronavirus window). Waiting lists, staff
shortages and panel backlogs are not grounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated, ClassVar

from domain.catalogue.common import CLOCK_IDS, EXCEPTION_GROUNDS, check, check_not_before
from domain.code_lists import takes
from domain.errors import RuleViolationError
from domain.events import JourneyEvent
from domain.record_ids import record_kind
from domain.rules import (
    CLOSURE_EARLY_YEARS,
    CLOSURE_SCHOOL,
    ground_permitted,
    rule,
)
from domain.rules import due as rules_due

if TYPE_CHECKING:
    from domain.state import JourneyState


EXCEPTION_CLAIM = record_kind(
    "claim_id", "exception", "an exception claim; TimescaleExceptionWithdrawn names it")


@dataclass
class ExceptionClaim:
    """A claim that an exception ground applies to one clock of one episode."""

    id: str
    clock: str
    episode: str
    ground: str
    period_from: date
    period_to: date
    family_informed: bool
    withdrawn: bool = False


GROUND_NOT_VALID = rule(
    "exception-ground-not-valid", "SEND Regulations 2014, regs 5(4), 8(2), 10(4), 13(3), "
    "27(3), 44(3)",
    "An exception is claimed only on a ground the regulations allow for that clock; "
    "waiting lists, staffing and panel backlogs are never grounds.")
CLOSURE_WINDOW = rule(
    "closure-window-mismatch", "SEND Regulations 2014, reg 5(4)(a)-(b), 10(4)(a)-(b)",
    "A closure claim needs a closure of at least 4 continuous weeks and advice asked of "
    "the setting from one week before it closed until one week before it re-opened.")
CLAIM_NEEDS_EPISODE = rule(
    "exception-needs-clock-episode", "SEND Regulations 2014, reg 5(4), 10(4), 13(3)",
    "An exception is claimed for a clock episode that exists in this journey.")
CLOSURE_AFTER_DEADLINE = rule(
    "closure-after-deadline", "SEND Regulations 2014, reg 5(4)(a), 10(4)(a), 13(3)",
    "A closure makes a time limit impractical only if its window began by the deadline; "
    "a closure that starts after the step was already due explains nothing.")
CLAIM_TO_WITHDRAW = rule(
    "exception-claim-missing", "casetrack journey rule (exception claims)",
    "Only a standing exception claim can be withdrawn.")

CLOSURE_GROUNDS = frozenset({CLOSURE_SCHOOL, CLOSURE_EARLY_YEARS})
# The request clocks, whose limits run from the request (regs 5(1), 10(1), 13(2)).
REQUEST_CLOCKS = frozenset({"K1", "K3", "K4"})


def check_closure_window(
    closure_starts_on: date | None, reopens_on: date | None, advice_requested_on: date | None
) -> None:
    """Check a closure claim: closure of 4+ weeks, advice asked inside the window."""
    check(closure_starts_on is not None and reopens_on is not None
          and advice_requested_on is not None, CLOSURE_WINDOW,
          "closure_starts_on, reopens_on and advice_requested_on are needed")
    assert closure_starts_on and reopens_on and advice_requested_on
    check(reopens_on - closure_starts_on >= timedelta(weeks=4), CLOSURE_WINDOW,
          "the setting was closed for less than 4 continuous weeks")
    window_from = closure_starts_on - timedelta(weeks=1)
    window_to = reopens_on - timedelta(weeks=1)
    check(window_from <= advice_requested_on <= window_to, CLOSURE_WINDOW,
          f"advice was asked on {advice_requested_on}, outside {window_from} to {window_to}")


def add_claim(state: JourneyState, event: JourneyEvent, *, clock: str, episode: str,
              ground: str, period_from: date, period_to: date, family_informed: bool) -> None:
    """Validate a claim's ground for its clock and period, then record it."""
    check_not_before(period_to, period_from, "period_to", "period_from")
    check(ground_permitted(clock, ground, period_from, period_to), GROUND_NOT_VALID,
          f"{ground!r} is not a ground for {clock} in that period")
    state.exception_claims.append(ExceptionClaim(
        id=state.mint(EXCEPTION_CLAIM, event.originator_version), clock=clock,
        episode=episode,
        ground=ground, period_from=period_from, period_to=period_to,
        family_informed=family_informed))


class TimescaleExceptionClaimed(JourneyEvent):
    """The LA recorded that an exception ground applies to one of its timescales.

    ``episode`` names the clock episode (e.g. ``request-2``); without it the current
    assessment request is meant.
    """

    clock: Annotated[str, takes(CLOCK_IDS)]
    ground: Annotated[str, takes(EXCEPTION_GROUNDS)]
    period_from: date
    period_to: date
    family_informed: bool
    phase: str | None = None
    episode: str | None = None
    closure_starts_on: date | None = None
    reopens_on: date | None = None
    advice_requested_on: date | None = None

    group: ClassVar[str] = "exceptions"

    def evolve(self, state: JourneyState) -> None:
        episode = self.episode
        if episode is None and state.assessment.latest is not None:
            episode = state.assessment.latest.id
        check(episode is not None, CLAIM_NEEDS_EPISODE, "no clock episode to claim against")
        assert episode is not None
        due_on = self._request_clock_due(state, episode)
        if self.ground in CLOSURE_GROUNDS:
            check_closure_window(self.closure_starts_on, self.reopens_on,
                                 self.advice_requested_on)
            assert self.closure_starts_on is not None
            window_from = self.closure_starts_on - timedelta(weeks=1)
            check(due_on is None or window_from <= due_on, CLOSURE_AFTER_DEADLINE,
                  f"{self.clock} was due on {due_on}; the closure window began {window_from}")
        add_claim(state, self, clock=self.clock, episode=episode, ground=self.ground,
                  period_from=self.period_from, period_to=self.period_to,
                  family_informed=self.family_informed)


    def _request_clock_due(self, state: JourneyState, episode: str) -> date | None:
        """Return the due date of a request clock (K1, K3, K4), checking the episode."""
        if self.clock not in REQUEST_CLOCKS:
            return None
        request = next((r for r in state.assessment.requests if r.id == episode), None)
        check(request is not None, CLAIM_NEEDS_EPISODE,
              f"{episode!r} is not an assessment request of this journey")
        assert request is not None
        return rules_due(self.clock, request.received_on)


class TimescaleExceptionWithdrawn(JourneyEvent):
    """An exception claim was withdrawn; the clock reverts to plain late if it was late."""

    claim_id: str
    reason: str

    group: ClassVar[str] = "exceptions"

    def evolve(self, state: JourneyState) -> None:
        for claim in state.exception_claims:
            if claim.id == self.claim_id and not claim.withdrawn:
                claim.withdrawn = True
                return
        check(False, CLAIM_TO_WITHDRAW, f"no standing claim {self.claim_id!r}")


CLAIM_EVENTS = ("TimescaleExceptionClaimed", "AdviceDelayExceptionClaimed")


def claim_verdict(state: JourneyState, event: JourneyEvent) -> str:
    """Return whether an exception claim holds against the journey as it stands, before
    any withdrawal: ``holds``; ``rejected:<rule code>`` (refused when folded, or its
    closure window fails); ``no_advice_asked_in_closure_window`` (advice on its episode
    was asked, none of it inside the window); ``withdrawn`` (neither standing nor
    refused). The read models store this verdict; they never decide it.
    """
    claim_id = EXCEPTION_CLAIM.id_for(event.originator_version)
    claim = next((c for c in state.exception_claims if c.id == claim_id), None)
    if claim is None:
        anomaly = next((a for a in state.anomalies
                        if a.event_version == event.originator_version), None)
        return f"rejected:{anomaly.code}" if anomaly else "withdrawn"
    if getattr(event, "ground", None) not in CLOSURE_GROUNDS:
        return "holds"
    starts, reopens = getattr(event, "closure_starts_on", None), getattr(event, "reopens_on",
                                                                          None)
    try:
        check_closure_window(starts, reopens, getattr(event, "advice_requested_on", None))
    except RuleViolationError as violation:
        return f"rejected:{violation.code}"
    assert starts is not None and reopens is not None
    asked = [a.received_by_adviser_on for a in state.plan.advice
             if a.request_id == claim.episode and a.received_by_adviser_on]
    window_from, window_to = starts - timedelta(weeks=1), reopens - timedelta(weeks=1)
    if asked and not any(window_from <= d <= window_to for d in asked):
        return "no_advice_asked_in_closure_window"
    return "holds"
