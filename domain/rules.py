"""Statutory rules: stable codes with their citations, and rule sets with effective dates.

Every refusal the journey makes names one ``Rule``. Rule sets say which regulations
were in force on a given day, so an old journey replays under the rules of its time and
the next reform is added as a new rule set, not an edit of an old one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from domain.responsibility import Body


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


@dataclass(frozen=True)
class RuleSet:
    """The regulations in force over a period, and what they permit.

    ``exception_grounds`` maps a clock id to the grounds on which a late step is
    "late, exception applies" under this rule set. Grounds never move a deadline.
    """

    name: str
    title: str
    in_force_from: date
    in_force_until: date | None = None
    exception_grounds: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def in_force_on(self, day: date) -> bool:
        return self.in_force_from <= day and (
            self.in_force_until is None or day <= self.in_force_until
        )

    def permits(self, clock_id: str, ground: str) -> bool:
        return ground in self.exception_grounds.get(clock_id, frozenset())


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
)

CORONAVIRUS_2020 = RuleSet(
    name="send-coronavirus-2020",
    title="SEND (Coronavirus) (Amendment) Regulations 2020 (SI 2020/471)",
    in_force_from=date(2020, 5, 1),
    in_force_until=date(2020, 9, 25),
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


def rule_set_on(day: date) -> RuleSet:
    """Return the rule set in force on ``day`` (the most specific one when windows nest)."""
    in_force = [rs for rs in RULE_SETS if rs.in_force_on(day)]
    if not in_force:
        return SEND_REGULATIONS_2014
    return max(in_force, key=lambda rs: rs.in_force_from)


def rule_sets_during(start: date, end: date) -> tuple[RuleSet, ...]:
    """Return every rule set in force at some day from ``start`` to ``end``."""
    return tuple(
        rs for rs in RULE_SETS
        if rs.in_force_from <= end and (rs.in_force_until is None or rs.in_force_until >= start)
    )


def ground_permitted(clock_id: str, ground: str, start: date, end: date) -> bool:
    """Tell whether ``ground`` is a valid exception for the clock over that period."""
    return any(rs.permits(clock_id, ground) for rs in rule_sets_during(start, end))
