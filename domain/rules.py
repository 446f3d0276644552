"""Statutory rules: stable codes with their citations, and rule sets with effective dates.

Every refusal the journey makes names one ``Rule``. Rule sets say which regulations
were in force on a given day: every time limit (with the provision's words and the
counting they give, ``domain.calendar.Period``) and every exception ground. A clock uses
the rule set in force on the day its step started, so an old journey replays under the
rules of its time and the next reform is added as a new rule set (``RuleSet.reformed``),
not an edit of an old one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from domain.calendar import DEFAULT_COUNTING, Counting, TimeLimit
from domain.responsibility import Body
from domain.time_limits import TIME_LIMITS_2014


@dataclass(frozen=True)
class Rule:
    """A statutory rule or journey invariant, with a stable code and its citation."""

    code: str
    citation: str
    summary: str
    body: Body = Body.LOCAL_AUTHORITY


RULES: dict[str, Rule] = {}


def rule(code: str, citation: str, summary: str, body: Body = Body.LOCAL_AUTHORITY) -> Rule:
    """Declare a rule once, at import time of the module that enforces it."""
    if code in RULES:
        raise ValueError(f"rule code {code!r} declared twice")
    declared = Rule(code=code, citation=citation, summary=summary, body=body)
    RULES[code] = declared
    return declared


@dataclass(frozen=True, eq=False)
class RuleSet:
    """The regulations in force over a period: their time limits and what they permit.

    ``time_limits`` maps a limit key (a clock id, or ``K15.aware``-style for a clock with
    several limits) to the limit as its provision words it. ``exception_grounds`` maps a
    clock id to the grounds on which a late step is "late, exception applies" under this
    rule set. Grounds never move a deadline. Compared by identity (``eq=False``), so a
    rule set can key a cache.
    """

    name: str
    title: str
    in_force_from: date
    in_force_until: date | None = None
    exception_grounds: Mapping[str, frozenset[str]] = field(default_factory=dict)
    time_limits: Mapping[str, TimeLimit] = field(default_factory=lambda: TIME_LIMITS_2014)

    def in_force_on(self, day: date) -> bool:
        return self.in_force_from <= day and (
            self.in_force_until is None or day <= self.in_force_until
        )

    def permits(self, clock_id: str, ground: str) -> bool:
        return ground in self.exception_grounds.get(clock_id, frozenset())

    def limit(self, key: str) -> TimeLimit:
        """Return the time limit ``key`` under this rule set (KeyError names an unknown)."""
        return self.time_limits[key]

    def due(self, key: str, anchor: date, counting: Counting = DEFAULT_COUNTING,
            amount: int | None = None) -> date:
        """Return the last day for the step ``key`` counted from ``anchor``."""
        return self.limit(key).ends(anchor, counting, amount)

    def reformed(self, *, name: str, title: str, in_force_from: date,
                 in_force_until: date | None = None,
                 time_limits: Mapping[str, TimeLimit] | None = None,
                 exception_grounds: Mapping[str, frozenset[str]] | None = None) -> RuleSet:
        """Return the rule set a reform makes of this one: changed limits and grounds
        replace these, the rest carry over."""
        return replace(
            self, name=name, title=title, in_force_from=in_force_from,
            in_force_until=in_force_until,
            time_limits={**self.time_limits, **(time_limits or {})},
            exception_grounds={**self.exception_grounds, **(exception_grounds or {})})


# Grounds named in SEND Regs 2014 reg 5(4), 10(4), 13(3), 27(3): the "four grounds".
CLOSURE_SCHOOL = "school_closure_window"
CLOSURE_EARLY_YEARS = "early_years_closure_window"
EXCEPTIONAL_CIRCUMSTANCES = "exceptional_personal_circumstances"
ABSENT_FROM_AREA = "absent_from_area_4_weeks"
# Grounds in reg 8(2) for advice-givers.
MISSED_APPOINTMENT = "missed_appointment"
# Ground in reg 44(3) for Tribunal orders.
ABSENT_FROM_AREA_2_WEEKS = "absent_from_area_2_weeks"
FAMILY_REPRESENTATIONS = "family_representations_on_content"
# SI 2020/471 (coronavirus), 1 May to 25 September 2020.
CORONAVIRUS = "coronavirus"

LA_GROUNDS = frozenset({CLOSURE_SCHOOL, CLOSURE_EARLY_YEARS, EXCEPTIONAL_CIRCUMSTANCES,
                        ABSENT_FROM_AREA})
ADVICE_GROUNDS = frozenset({EXCEPTIONAL_CIRCUMSTANCES, ABSENT_FROM_AREA, MISSED_APPOINTMENT})
TRIBUNAL_GROUNDS = frozenset({EXCEPTIONAL_CIRCUMSTANCES, ABSENT_FROM_AREA_2_WEEKS,
                              FAMILY_REPRESENTATIONS})

_GROUNDS_2014: dict[str, frozenset[str]] = {
    "K1": LA_GROUNDS,
    "K2": ADVICE_GROUNDS,
    "K3": LA_GROUNDS,
    "K4": LA_GROUNDS,
    "K14": LA_GROUNDS,
    "K22": TRIBUNAL_GROUNDS,
}

SEND_REGULATIONS_2014 = RuleSet(
    name="send-regs-2014",
    title="SEND Regulations 2014 (SI 2014/1530), as amended",
    in_force_from=date(2014, 9, 1),
    exception_grounds=_GROUNDS_2014,
    time_limits=TIME_LIMITS_2014,
)

CORONAVIRUS_2020 = RuleSet(
    name="send-coronavirus-2020",
    title="SEND (Coronavirus) (Amendment) Regulations 2020 (SI 2020/471)",
    in_force_from=date(2020, 5, 1),
    in_force_until=date(2020, 9, 25),
    # SI 2020/471 changed no period: it let a coronavirus reason excuse a late step.
    time_limits=TIME_LIMITS_2014,
    exception_grounds={
        clock: grounds | {CORONAVIRUS}
        for clock, grounds in (_GROUNDS_2014 | {
            "K2": ADVICE_GROUNDS, "K7": frozenset(), "K9": frozenset(), "K10": frozenset(),
            "K11": frozenset(), "K13": frozenset(), "K16": frozenset(),
        }).items()
    },
)

# Newest last. A reform is a new entry here with its own in_force_from; never edit an
# entry whose period has begun, or old journeys would replay under rules they never had.
RULE_SETS: tuple[RuleSet, ...] = (SEND_REGULATIONS_2014, CORONAVIRUS_2020)


def rule_set_on(day: date, rule_sets: tuple[RuleSet, ...] = RULE_SETS) -> RuleSet:
    """Return the rule set in force on ``day`` (the most specific one when windows nest).

    Before the first rule set began (a plan made under the 1996 Act and carried over),
    the first one's limits are the nearest there are.
    """
    in_force = [rs for rs in rule_sets if rs.in_force_on(day)]
    if not in_force:
        return rule_sets[0]
    return max(in_force, key=lambda rs: rs.in_force_from)


def due(key: str, anchor: date, counting: Counting = DEFAULT_COUNTING,
        amount: int | None = None) -> date:
    """Return the last day for step ``key`` from ``anchor``, under the rules in force on
    ``anchor`` (for refusals checked while recording, which have no clock context)."""
    return rule_set_on(anchor).due(key, anchor, counting, amount)


def rule_sets_during(start: date, end: date,
                     rule_sets: tuple[RuleSet, ...] = RULE_SETS) -> tuple[RuleSet, ...]:
    """Return every rule set in force at some day from ``start`` to ``end``."""
    return tuple(
        rs for rs in rule_sets
        if rs.in_force_from <= end and (rs.in_force_until is None or rs.in_force_until >= start)
    )


def ground_permitted(clock_id: str, ground: str, start: date, end: date,
                     rule_sets: tuple[RuleSet, ...] = RULE_SETS) -> bool:
    """Tell whether ``ground`` is a valid exception for the clock over that period."""
    return any(rs.permits(clock_id, ground) for rs in rule_sets_during(start, end, rule_sets))
