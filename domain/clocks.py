"""Statutory clocks: pure functions of the journey state, a rule set and a day.

A clock reading says when the clock started, when the step is due, whether and when it
stopped, and its status. An exception never moves a deadline (SEND Regs 2014 reg 5(4),
10(4), 13(3): the LA "need not comply" where it is impractical): a late step with a valid
exception is classified ``late_exception_applies``; the due date stays where the law put it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING

from domain.calendar import DEFAULT_COUNTING, Counting
from domain.responsibility import Body
from domain.rules import RULE_SETS, RuleSet, ground_permitted, rule_set_on

if TYPE_CHECKING:
    from domain.state import JourneyState


class ClockStatus(StrEnum):
    """Where a clock stands."""

    RUNNING = "running"
    MET = "met"
    LATE = "late"
    LATE_EXCEPTION_APPLIES = "late_exception_applies"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class ClockSpec:
    """What a clock is: its id in the K1–K26 table, its limit, citation and body."""

    id: str
    name: str
    limit: str
    citation: str
    responsible: Body
    statutory: bool = True
    # What an episode still open past its due date is: late for most clocks; running for
    # a limit that binds only one outcome (K3), met or not applicable for a window the
    # family may let pass (K5, K19, K21). ``status_on`` reads it.
    open_past_due: ClockStatus = ClockStatus.LATE
    local_policy: bool = False  # a clock the authority chose to keep (never the law's date)

    @property
    def kind(self) -> str:
        """Say what sets the clock: the law, guidance, or the authority's own policy."""
        if self.local_policy:
            return "local policy"
        return "statutory" if self.statutory else "guidance"


@dataclass(frozen=True)
class LocalPolicy:
    """Settings an authority chooses; they add readings beside the statutory ones and
    never move a statutory due date.

    - ``anniversary_reviews``: many authorities read s.44(1)'s "12 months starting with"
      the plan's date as due on its anniversary, a day later than the words give. When
      set, K7A shows that date beside K7 (which keeps the strict date).
    - ``phase_transfer_by_the_day``: reg 18(1) (revised text) has the plan reviewed and
      amended "before" 15 February / 31 March of the transfer year, so the last day is 14
      February / 30 March (K12); the Code (9.179) and practice read it as "by" that day.
      When set, K12P shows 15 February / 31 March beside K12 (which keeps the strict date).
    - ``under_five_review_months``: the Code (9.178) asks authorities to consider
      reviewing plans of children under five every 3 to 6 months; K7U runs that interval
      from the plan being made or last reviewed. None turns it off.
    """

    anniversary_reviews: bool = False
    under_five_review_months: int | None = 6
    phase_transfer_by_the_day: bool = False

    def __post_init__(self) -> None:
        months = self.under_five_review_months
        if months is not None and not 3 <= months <= 6:
            raise ValueError("under_five_review_months must be 3 to 6 (Code 9.178), "
                             f"got {months}")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LocalPolicy:
        """Read the authority's settings (``CASETRACK_UNDER_FIVE_REVIEW_MONTHS``: 3 to 6 or
        ``off``, default 6; ``CASETRACK_ANNIVERSARY_REVIEWS`` and
        ``CASETRACK_PHASE_TRANSFER_BY_THE_DAY``: yes/no, default no).

        Raises ``ValueError`` naming the setting for anything else."""
        months_text = (env.get(UNDER_FIVE_SETTING) or "6").strip().lower()
        if months_text == "off":
            months = None
        elif months_text.isdigit():
            months = int(months_text)
        else:
            raise ValueError(f"{UNDER_FIVE_SETTING} must be 3 to 6 or off, got {months_text!r}")
        anniversary = _yes_or_no(env, ANNIVERSARY_SETTING)
        by_the_day = _yes_or_no(env, PHASE_TRANSFER_SETTING)
        try:
            return cls(anniversary_reviews=anniversary, under_five_review_months=months,
                       phase_transfer_by_the_day=by_the_day)
        except ValueError as error:
            raise ValueError(f"{UNDER_FIVE_SETTING}: {error}") from None

    def as_env(self) -> dict[str, str]:
        """Return the settings as ``from_env`` reads them (to pass to other processes)."""
        months = self.under_five_review_months
        return {UNDER_FIVE_SETTING: "off" if months is None else str(months),
                ANNIVERSARY_SETTING: "yes" if self.anniversary_reviews else "no",
                PHASE_TRANSFER_SETTING: "yes" if self.phase_transfer_by_the_day else "no"}


def _yes_or_no(env: Mapping[str, str], name: str) -> bool:
    """Read a yes/no setting (default no); raise ``ValueError`` naming it otherwise."""
    flag = (env.get(name) or "no").strip().lower()
    if flag not in ("yes", "no", "true", "false", "1", "0"):
        raise ValueError(f"{name} must be yes or no, got {flag!r}")
    return flag in ("yes", "true", "1")


UNDER_FIVE_SETTING = "CASETRACK_UNDER_FIVE_REVIEW_MONTHS"
ANNIVERSARY_SETTING = "CASETRACK_ANNIVERSARY_REVIEWS"
PHASE_TRANSFER_SETTING = "CASETRACK_PHASE_TRANSFER_BY_THE_DAY"


DEFAULT_POLICY = LocalPolicy()


@dataclass(frozen=True)
class ClockReading:
    """One clock as it stands on a day, for one episode of the journey."""

    clock: str
    name: str
    episode: str
    started_on: date
    due_on: date | None
    stopped_on: date | None
    status: ClockStatus
    responsible: Body
    citation: str
    limit: str
    rule_set: str
    exception_ground: str | None = None
    statutory: bool = True
    # Which body, by name, as recorded (the EP service, the school, the ICB the request
    # went to; the authority for its own duties), and the days past the due date (to
    # the step, or to the day read while it is undone); None when no due date applies.
    responsible_name: str | None = None
    days_late: int | None = None
    kind: str = "statutory"  # "statutory", "guidance" or "local policy" (ClockSpec.kind)

    @property
    def is_open(self) -> bool:
        return self.stopped_on is None and self.status is not ClockStatus.NOT_APPLICABLE

    def as_dict(self) -> dict[str, object]:
        return {
            "clock": self.clock, "name": self.name, "episode": self.episode,
            "started_on": self.started_on, "due_on": self.due_on,
            "stopped_on": self.stopped_on, "status": self.status.value,
            "responsible": self.responsible.value, "citation": self.citation,
            "limit": self.limit, "rule_set": self.rule_set,
            "exception_ground": self.exception_ground, "statutory": self.statutory,
            "responsible_name": self.responsible_name, "days_late": self.days_late,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class ClockContext:
    """What every clock function needs besides the state.

    ``rule_sets`` is ``domain.rules.RULE_SETS`` unless a test (or a what-if) passes a
    reform; each step's limit comes from the rule set in force on the day it started.
    """

    today: date
    counting: Counting = DEFAULT_COUNTING
    authority: str | None = None  # names the body of the authority's own duties
    policy: LocalPolicy = DEFAULT_POLICY
    rule_sets: tuple[RuleSet, ...] = RULE_SETS

    def rules_on(self, day: date) -> RuleSet:
        return _rule_set_on(day, self.rule_sets)

    def due(self, key: str, start: date, amount: int | None = None) -> date:
        """Return the last day for step ``key`` started on ``start``, under the rules in
        force on ``start`` and counted as the provision's words say."""
        return _due(self.rules_on(start), key, start, self.counting, amount)


# The rule set in force is a pure function of the day and the rule sets (RULE_SETS is a
# constant; a reform is a new entry, loaded at start-up), and every reading asks for it:
# a timeline computes the clocks after each of a journey's events, so the same few days
# are asked thousands of times.
_rule_set_on = lru_cache(maxsize=4096)(rule_set_on)


@lru_cache(maxsize=4096)
def _due(rules: RuleSet, key: str, start: date, counting: Counting, amount: int | None
         ) -> date:
    """Return ``rules.due(key, start, counting, amount)``: a pure function of its arguments
    (a rule set is a constant), asked again for every reading of every episode, on every
    write and for every event of a timeline."""
    return rules.due(key, start, counting, amount)


ClockFunction = Callable[["JourneyState", ClockContext], Iterable[ClockReading]]

CLOCK_SPECS: dict[str, ClockSpec] = {}
_CLOCK_FUNCTIONS: list[tuple[ClockSpec, ClockFunction]] = []


def clock(spec: ClockSpec) -> Callable[[ClockFunction], ClockFunction]:
    """Register a clock function under its spec (one function per clock id)."""

    def register(function: ClockFunction) -> ClockFunction:
        if spec.id in CLOCK_SPECS:
            raise ValueError(f"clock {spec.id} registered twice")
        CLOCK_SPECS[spec.id] = spec
        _CLOCK_FUNCTIONS.append((spec, function))
        return function

    return register


def classify(
    *,
    due_on: date | None,
    stopped_on: date | None,
    today: date,
    exception_ground: str | None = None,
) -> ClockStatus:
    """Return the status of a clock due on ``due_on`` that stopped on ``stopped_on``.

    A clock with no due date (not started in law) is not applicable. A step done on
    the due date is on time.
    """
    if due_on is None:
        return ClockStatus.NOT_APPLICABLE
    if stopped_on is not None:
        if stopped_on <= due_on:
            return ClockStatus.MET
    elif today <= due_on:
        return ClockStatus.RUNNING
    return ClockStatus.LATE_EXCEPTION_APPLIES if exception_ground else ClockStatus.LATE


def reading(
    spec: ClockSpec,
    context: ClockContext,
    *,
    episode: str,
    started_on: date,
    due_on: date | None,
    stopped_on: date | None,
    exception_ground: str | None = None,
    responsible: Body | None = None,
    status: ClockStatus | None = None,
    responsible_name: str | None = None,
) -> ClockReading:
    """Build a reading for ``spec``, classifying it under the rules in force.

    ``status`` overrides the classification for clocks whose lateness depends on an
    outcome not yet known (K3 binds only a decision not to issue).
    """
    rules = context.rules_on(started_on)
    period_end = max(started_on, due_on or started_on, stopped_on or started_on)
    ground = exception_ground if exception_ground and ground_permitted(
        spec.id, exception_ground, started_on, period_end, context.rule_sets) else None
    status = status or classify(due_on=due_on, stopped_on=stopped_on, today=context.today,
                                exception_ground=ground)
    responsible = responsible or spec.responsible
    if responsible_name is None and responsible is Body.LOCAL_AUTHORITY:
        responsible_name = context.authority
    return _made({
        "clock": spec.id, "name": spec.name, "episode": episode, "started_on": started_on,
        "due_on": due_on, "stopped_on": stopped_on, "status": status,
        "responsible": responsible, "citation": spec.citation, "limit": spec.limit,
        "rule_set": rules.name, "exception_ground": ground, "statutory": spec.statutory,
        "responsible_name": responsible_name,
        "days_late": days_late(due_on, stopped_on, context.today, status),
        "kind": spec.kind,
    })


def _made(fields: dict[str, object]) -> ClockReading:
    """Return ``ClockReading(**fields)`` for every field given in declared order, without
    the frozen dataclass's ``__init__``, which sets its sixteen fields one
    ``object.__setattr__`` at a time: most of building a reading, and every write answers
    its journey's clocks (issue 17). The library loads its events the same way.
    tests/unit/test_clock_readings.py holds the two equal."""
    made = object.__new__(ClockReading)
    object.__setattr__(made, "__dict__", fields)
    return made


def days_late(due_on: date | None, stopped_on: date | None, today: date,
              status: ClockStatus) -> int | None:
    """Return the days a step was (or, undone, is) past its due date; 0 when it is not
    late, None when no due date applies."""
    if due_on is None or status is ClockStatus.NOT_APPLICABLE:
        return None
    if status not in (ClockStatus.LATE, ClockStatus.LATE_EXCEPTION_APPLIES):
        return 0
    return max(0, ((stopped_on or today) - due_on).days)


LATE_STATUSES = frozenset({ClockStatus.LATE, ClockStatus.LATE_EXCEPTION_APPLIES})


def status_on(clock: str, *, due_on: date | None, stopped_on: date | None,
              status: ClockStatus | str, exception_ground: str | None, day: date
              ) -> ClockStatus:
    """Return the status on ``day`` of an episode read on another day (a stored reading).

    The one definition every surface shares (the journey's clocks, the lists, their
    ``overdue`` filter, the reports): an episode stopped by ``day`` keeps the status its
    reading gave it; one still open is running until its due date, then what its clock
    says an open episode past due is (``ClockSpec.open_past_due``).
    """
    stored = ClockStatus(status)
    if stored is ClockStatus.NOT_APPLICABLE or due_on is None:
        return ClockStatus.NOT_APPLICABLE
    if stopped_on is not None and stopped_on <= day:
        return stored
    if day <= due_on:
        return ClockStatus.RUNNING
    spec = CLOCK_SPECS.get(clock)
    past_due = spec.open_past_due if spec else ClockStatus.LATE
    if past_due is ClockStatus.LATE and exception_ground:
        return ClockStatus.LATE_EXCEPTION_APPLIES
    return past_due


def overdue_on(clock: str, *, due_on: date | None, stopped_on: date | None,
               status: ClockStatus | str, exception_ground: str | None, day: date) -> bool:
    """Whether an episode is open on ``day`` and late (what the lists call overdue)."""
    return (stopped_on is None or stopped_on > day) and status_on(
        clock, due_on=due_on, stopped_on=stopped_on, status=status,
        exception_ground=exception_ground, day=day) in LATE_STATUSES


def never_late_while_open() -> list[str]:
    """The clocks whose open episodes are never late, however long past due."""
    return sorted(c for c, spec in CLOCK_SPECS.items()
                  if spec.open_past_due is not ClockStatus.LATE)


def compute_clocks(
    state: JourneyState, today: date, counting: Counting = DEFAULT_COUNTING,
    policy: LocalPolicy = DEFAULT_POLICY, rule_sets: tuple[RuleSet, ...] = RULE_SETS,
) -> list[ClockReading]:
    """Return every clock of the journey as it stands on ``today``."""
    context = ClockContext(today=today, counting=counting, policy=policy,
                           rule_sets=rule_sets,
                           authority=state.child.authority if state.child else None)
    readings: list[ClockReading] = []
    for _spec, function in _CLOCK_FUNCTIONS:
        readings.extend(function(state, context))
    readings.sort(key=lambda r: (r.started_on, _clock_number(r.clock), r.episode))
    return readings


def _clock_number(clock_id: str) -> int:
    return clock_sort_key(clock_id)[0]


@lru_cache(maxsize=256)  # a few dozen clock ids; every reading of every clock is sorted
def clock_sort_key(clock_id: str) -> tuple[int, str]:
    """Order clock ids by number, a local clock after its statutory one (K7, K7A, K7U;
    K12, K12P)."""
    digits = "".join(ch for ch in clock_id[1:] if ch.isdigit())
    return (int(digits) if digits else 999, clock_id[1 + len(digits):])
