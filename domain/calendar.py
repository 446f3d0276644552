"""Counting conventions for statutory periods, and bank holidays in England.

Defaults (see docs/rules.md, "Counting conventions"):

- weeks are 7-day periods counted from the start date as day 0, so a request received
  on Monday 8 January 2024 has its 6-week decision due on Monday 19 February 2024;
- "N days beginning with the day of service" (regs 13(1), 22(2)) include the start
  day, so 15 days from a draft served on 1 March end on 15 March;
- months are calendar months, clamped to the last day of a shorter month;
- working days skip Saturdays, Sundays and bank holidays in England.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache


class DayZero(StrEnum):
    """Whether the start date is day 0 (due N units later) or day 1 (due a day sooner)."""

    START_IS_DAY_ZERO = "start_is_day_zero"
    START_IS_DAY_ONE = "start_is_day_one"


@dataclass(frozen=True)
class Counting:
    """The counting conventions a clock computation uses; explicit, with defaults."""

    weeks_from: DayZero = DayZero.START_IS_DAY_ZERO
    months_from: DayZero = DayZero.START_IS_DAY_ZERO
    bank_holidays: bool = True

    def add_weeks(self, start: date, weeks: int) -> date:
        due = start + timedelta(weeks=weeks)
        return due - timedelta(days=1) if self.weeks_from is DayZero.START_IS_DAY_ONE else due

    def add_months(self, start: date, months: int) -> date:
        due = add_calendar_months(start, months)
        return due - timedelta(days=1) if self.months_from is DayZero.START_IS_DAY_ONE else due

    @staticmethod
    def days_beginning_with(start: date, days: int) -> date:
        """Return the last day of a period of ``days`` days beginning with ``start``."""
        return start + timedelta(days=days - 1)

    def add_working_days(self, start: date, days: int) -> date:
        """Return the working day that is ``days`` working days after ``start``."""
        current = start
        remaining = days
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def is_working_day(self, day: date) -> bool:
        if day.weekday() >= 5:
            return False
        return not (self.bank_holidays and day in bank_holidays_england(day.year))

    def next_working_day(self, day: date) -> date:
        """Return ``day`` if it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day


DEFAULT_COUNTING = Counting()


def add_calendar_months(start: date, months: int) -> date:
    """Return the same day ``months`` later, clamped to the end of a shorter month."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    last = _stdlib_calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last))


def weeks_between(start: date, end: date) -> float:
    """Return the number of weeks from ``start`` to ``end`` (fractional)."""
    return (end - start).days / 7


def easter_sunday(year: int) -> date:
    """Return Easter Sunday (Gregorian, anonymous algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month = (h + el - 7 * m + 114) // 31
    day = (h + el - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def _first_monday(year: int, month: int) -> date:
    day = date(year, month, 1)
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    last = date(year, month, _stdlib_calendar.monthrange(year, month)[1])
    return last - timedelta(days=last.weekday())


# Proclaimed changes to the usual pattern: moved days and one-off holidays.
_MOVED = {
    (1995, "early_may"): date(1995, 5, 8),
    (2002, "spring"): date(2002, 6, 4),
    (2012, "spring"): date(2012, 6, 4),
    (2020, "early_may"): date(2020, 5, 8),
    (2022, "spring"): date(2022, 6, 2),
}
_EXTRA = {
    1999: (date(1999, 12, 31),),
    2002: (date(2002, 6, 3),),
    2011: (date(2011, 4, 29),),
    2012: (date(2012, 6, 5),),
    2022: (date(2022, 6, 3), date(2022, 9, 19)),
    2023: (date(2023, 5, 8),),
}


@cache
def bank_holidays_england(year: int) -> frozenset[date]:
    """Return the bank holidays in England and Wales for ``year``."""
    easter = easter_sunday(year)
    days = {
        easter - timedelta(days=2),
        easter + timedelta(days=1),
        _MOVED.get((year, "early_may"), _first_monday(year, 5)),
        _MOVED.get((year, "spring"), _last_monday(year, 5)),
        _last_monday(year, 8),
    }
    new_year = date(year, 1, 1)
    days.add(new_year + timedelta(days=(7 - new_year.weekday()) % 7 if new_year.weekday() >= 5
                                  else 0))
    christmas, boxing = date(year, 12, 25), date(year, 12, 26)
    if christmas.weekday() == 5:  # Saturday: Monday and Tuesday
        days |= {date(year, 12, 27), date(year, 12, 28)}
    elif christmas.weekday() == 6:  # Sunday: Boxing Day Monday, Christmas substitute Tuesday
        days |= {boxing, date(year, 12, 27)}
    elif christmas.weekday() == 4:  # Friday: Boxing Day substitute Monday
        days |= {christmas, date(year, 12, 28)}
    else:
        days |= {christmas, boxing}
    days.update(_EXTRA.get(year, ()))
    return frozenset(days)


def sen_appeal_deadline(due: date, counting: Counting = DEFAULT_COUNTING) -> date:
    """Return the last day to start a SEN appeal whose period ends on ``due``.

    Tribunal Procedure (First-tier Tribunal) (HESC Chamber) Rules 2008, r.12(3)(a): a time
    for starting proceedings under r.20 that ends on any day in August, or from 25 December
    to 1 January, runs to the first working day after 31 August or 1 January; otherwise
    r.12(2) allows the next working day when the period ends on a non-working day.
    """
    day = due
    while True:
        # A move off a weekend or bank holiday can land in August or the Christmas week
        # (24 December 2022 was a Saturday), so the rules apply until the day is stable.
        if day.month == 8:
            day = date(day.year, 9, 1)
        elif day.month == 12 and day.day >= 25:
            day = date(day.year + 1, 1, 2)
        elif day.month == 1 and day.day == 1:
            day = date(day.year, 1, 2)
        moved = counting.next_working_day(day)
        if moved == day:
            return day
        day = moved
