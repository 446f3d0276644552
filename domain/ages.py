"""Ages and school years in England, from a date of birth.

- Compulsory school age begins on the prescribed day (31 December, 31 March or
  31 August) on or after the child's fifth birthday (Education Act 1996 s.8).
- It ends on the last Friday in June of the school year in which the child turns 16
  (the Education (School Leaving Date) Order 1997); after that the young person makes
  decisions (CFA 2014 s.80; SEND Code 8.13).
- The school year runs 1 September to 31 August; a child is in Year 1 in the school year
  that starts after their fifth birthday's school year, reception (Year 0) the year before.
- An LA may maintain a plan until the end of the academic year during which the young
  person turns 25 (CFA 2014 s.46). The academic year is taken as 1 August to 31 July,
  the further-education year (SEND Regulations 2014, reg 46 defines it; a course ending
  earlier is not modelled: docs/domain-guide.md, "Ages").
"""

from __future__ import annotations

from datetime import date, timedelta


def age_on(date_of_birth: date, day: date) -> int:
    """Return the child's age in whole years on ``day``."""
    years = day.year - date_of_birth.year
    if (day.month, day.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def school_year_start(day: date) -> int:
    """Return the calendar year in which the school year containing ``day`` began."""
    return day.year if day.month >= 9 else day.year - 1


def year_group(date_of_birth: date, day: date) -> int:
    """Return the national curriculum year group on ``day`` (reception is 0)."""
    # A child born September to August starts reception in the September after turning 4.
    cohort = school_year_start(date_of_birth)  # the school year of birth
    return school_year_start(day) - cohort - 5


def compulsory_school_age_starts(date_of_birth: date) -> date:
    """Return the prescribed day on or after the fifth birthday."""
    fifth = birthday(date_of_birth, 5)
    for candidate in (date(fifth.year, 3, 31), date(fifth.year, 8, 31),
                      date(fifth.year, 12, 31), date(fifth.year + 1, 3, 31)):
        if candidate >= fifth:
            return candidate
    raise AssertionError("unreachable")  # pragma: no cover


def compulsory_school_age_ends(date_of_birth: date) -> date:
    """Return the last Friday in June of the school year in which the child turns 16."""
    sixteenth = birthday(date_of_birth, 16)
    year = school_year_start(sixteenth) + 1
    last_june = date(year, 6, 30)
    return last_june - timedelta(days=(last_june.weekday() - 4) % 7)


def is_young_person(date_of_birth: date, day: date) -> bool:
    """Tell whether the child is over compulsory school age on ``day`` (a young person)."""
    return day > compulsory_school_age_ends(date_of_birth)


def birthday(date_of_birth: date, years: int) -> date:
    """Return the day the child turns ``years`` (1 March for a 29 February birthday in a
    common year)."""
    try:
        return date_of_birth.replace(year=date_of_birth.year + years)
    except ValueError:  # 29 February
        return date(date_of_birth.year + years, 3, 1)


def academic_year_end(day: date) -> date:
    """Return 31 July ending the academic year (1 August to 31 July) containing ``day``."""
    return date(day.year if day.month <= 7 else day.year + 1, 7, 31)


def responsibility_ends_on(date_of_birth: date) -> date:
    """Return the last day an LA may maintain a plan: the end of the academic year during
    which the young person turns 25 (CFA 2014 s.46)."""
    return academic_year_end(birthday(date_of_birth, 25))
