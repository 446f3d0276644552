"""Rules a date of birth sets: steps an age makes impossible are refused, naming the rule.

- A plan is maintained until the end of the academic year during which the young person
  turns 25 (CFA 2014 s.46): steps that maintain a plan (assessment, advice, plan, review,
  re-assessment, placement and budget steps) dated after that day are refused.
- "Reached 25" (a responsibility reason, SEN2 cease reason 1) holds from the 25th
  birthday, not before.
- A transfer between phases (reg 18) is into the year group that phase begins with, give
  or take a year for a child taught outside their chronological year group.
"""

from __future__ import annotations

from datetime import date

from domain.ages import age_on, birthday, responsibility_ends_on, year_group
from domain.catalogue.common import check
from domain.rules import rule

RESPONSIBILITY_ENDED = rule(
    "plan-step-after-responsibility-ended", "CFA 2014 s.46; SEND Regulations 2014, reg 46",
    "Steps that maintain a plan are not recorded after the end of the academic year during "
    "which the young person turned 25: the LA is no longer responsible.")
REACHED_25_TOO_YOUNG = rule(
    "reached-25-before-25th-birthday", "CFA 2014 s.45(1)(a), s.46",
    "Ceasing because the young person reached 25 (responsibility reason reached_25, SEN2 "
    "cease reason 1) is recorded on or after the 25th birthday.")
PHASE_TRANSFER_YEAR_GROUP = rule(
    "phase-transfer-year-group", "SEND Regulations 2014, reg 18(1)-(2); Education Act 1996 "
    "s.5 (primary, secondary and further education by age)",
    "A phase transfer is into the year group that phase begins with (one year either way "
    "for a child taught outside their chronological year group).")

# Groups of events that maintain a plan (domain.catalogue modules' ``group``).
MAINTAINING_GROUPS = frozenset({"request", "advice", "plan", "reviews", "reassessment",
                                "placements", "budgets"})

# The year group a transfer leads into (reception is 0; Year 12 the first post-16 year).
PHASE_ENTRY_YEARS: dict[str, tuple[int, int]] = {
    "early_years_to_school": (0, 1),  # into reception or Year 1
    "infant_to_junior": (3, 3),
    "primary_to_middle": (4, 6),  # middle schools begin at Year 4, 5 or 6
    "primary_to_secondary": (7, 7),
    "middle_to_secondary": (7, 9),  # from a middle school ending at Year 6, 7 or 8
    "secondary_to_post16": (12, 12),
    "post16_to_post16": (12, 99),
}
# Out of chronological year group (delayed entry of summer-born children, repeated years).
YEAR_GROUP_TOLERANCE = 1


def check_responsible(date_of_birth: date, day: date, group: str) -> None:
    """Refuse a step that maintains a plan after responsibility ended at 25 (s.46)."""
    if group not in MAINTAINING_GROUPS:
        return
    last = responsibility_ends_on(date_of_birth)
    check(day <= last, RESPONSIBILITY_ENDED,
          f"the LA's responsibility ended on {last}, the end of the academic year in which "
          f"the young person turned 25")


def check_reached_25(date_of_birth: date, day: date) -> None:
    """Refuse "reached 25" before the 25th birthday."""
    turns_25 = birthday(date_of_birth, 25)
    check(day >= turns_25, REACHED_25_TOO_YOUNG,
          f"the young person is {age_on(date_of_birth, day)} on {day}; they turn 25 on "
          f"{turns_25}")


def check_phase_transfer_year(transfer_type: str, date_of_birth: date, transfer_on: date
                              ) -> None:
    """Refuse a phase transfer the child's year group on the transfer day makes impossible."""
    low, high = PHASE_ENTRY_YEARS[transfer_type]
    year = year_group(date_of_birth, transfer_on)
    check(low - YEAR_GROUP_TOLERANCE <= year <= high + YEAR_GROUP_TOLERANCE,
          PHASE_TRANSFER_YEAR_GROUP,
          f"on {transfer_on} the child is in {_year_name(year)}; {transfer_type} leads into "
          f"{_year_name(low)}" + (f" to {_year_name(high)}" if high not in (low, 99) else "")
          + (" or later" if high == 99 else ""))


def _year_name(year: int) -> str:
    return "reception" if year == 0 else f"Year {year}" if year > 0 else "nursery"
