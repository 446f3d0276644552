"""Counting statutory periods as their provisions' words say, and bank holidays in England.

A period's counting is derived from the words of the provision that sets it
(``Period.wording``; docs/rules.md, "Time limits", shows the words beside the counting):

- "N days/weeks/months **beginning with**" or "**starting with**" a day: that day is the
  period's first day, so 15 days beginning with a draft served on 1 March end on 15 March,
  and 12 months starting with 15 March 2024 end on 14 March 2025;
- "within N days/weeks/months **of**", "**after**" or "**from**" a day: the period starts
  the next day, so 6 weeks of a request received on Monday 8 January 2024 end on Monday
  19 February 2024, and 2 months after 31 December end on 28 (or 29) February;
- "**at least** N weeks/months **before**" (or "**in advance of**") a day: the last day
  that leaves N whole weeks or months before it;
- "**before**" a fixed day of the year (reg 18(1)): the day before it; "**by**" it: that
  day;
- "working days" skip Saturdays, Sundays and bank holidays in England; "N working days
  beginning with" a working day count that day as the first;
- months land on the corresponding date; where the later month has no such date, on
  its last day.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache, lru_cache


class Unit(StrEnum):
    """The unit a provision counts in."""

    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"
    WORKING_DAYS = "working_days"


class Wording(StrEnum):
    """How a provision ties its period to the day it runs from (or to)."""

    BEGINNING_WITH = "beginning_with"  # "beginning with" / "starting with": day 1 is the day
    AFTER = "after"  # "of" / "after" / "from": day 1 is the next day
    BEFORE = "before"  # "at least ... before": counted back from the day
    ON = "on"  # "on the day of": no period at all

    @classmethod
    def from_words(cls, words: str) -> Wording:
        """Return the counting a provision's words give (the first that applies)."""
        text = f" {words.lower()} "
        if " beginning with " in text or " starting with " in text:
            return cls.BEGINNING_WITH
        if " before " in text or " in advance of " in text:
            return cls.BEFORE
        if any(f" {unit} of " in text or f" {unit} after " in text or f" {unit} from " in text
               for unit in ("days", "weeks", "week", "months", "month", "days'", "weeks'")):
            return cls.AFTER
        if text.strip().startswith("on the day"):
            return cls.ON
        raise ValueError(f"no counting words in {words!r}")


@dataclass(frozen=True)
class Counting:
    """Calendar facts a period's arithmetic needs (working days skip bank holidays)."""

    bank_holidays: bool = True

    def add_weeks(self, start: date, weeks: int) -> date:
        """Return the day ``weeks`` weeks after ``start`` ("within N weeks of")."""
        return start + timedelta(weeks=weeks)

    def add_months(self, start: date, months: int) -> date:
        """Return the corresponding date ``months`` later ("within N months of")."""
        return add_calendar_months(start, months)

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


def months_beginning_with(start: date, months: int) -> date:
    """Return the last day of ``months`` months beginning with ``start``.

    The day before the corresponding date; where the later month has no corresponding
    date (12 months starting with 29 February 2024), the period ends on that month's last
    day (28 February 2025).
    """
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    last = _stdlib_calendar.monthrange(year, month)[1]
    if start.day > last:
        return date(year, month, last)
    return date(year, month, start.day) - timedelta(days=1)


@dataclass(frozen=True)
class Source:
    """Where a limit's words were checked against the provision's text.

    ``url`` is the page read (legislation.gov.uk); ``version`` says which text it carries
    ("text as made", "revised text (latest available)", "text at 1 September 2014 (point
    in time)", or an amending instrument as made); ``note`` adds what else was read.
    """

    url: str
    version: str
    note: str | None = None

    def describe(self) -> str:
        text = f"checked: {self.version}, <{self.url}>"
        return f"{text} ({self.note})" if self.note else text


@dataclass(frozen=True)
class Period:
    """A time limit as its provision words it, with the counting derived from the words.

    ``words`` quotes the provision (``quoted`` False: a summary of it, to be checked
    against the text); ``wording`` and ``unit`` are what the words say about counting,
    and ``ends`` is the last day (or, for ``BEFORE``, the latest day) the step may be
    taken. ``amount`` is None where the amount comes from elsewhere (the Tribunal's order
    under reg 44(2)): pass it to ``ends``. ``source`` is where the words were checked
    against the provision's text; ``verify`` says what is still to be verified against
    legislation.gov.uk before the limit is relied on (None: nothing flagged).
    """

    amount: int | None
    unit: Unit
    wording: Wording
    words: str
    citation: str
    quoted: bool = True
    verify: str | None = None
    source: Source | None = None

    def ends(self, anchor: date, counting: Counting = DEFAULT_COUNTING,
             amount: int | None = None) -> date:
        n = self.amount if amount is None else amount
        if n is None:
            raise ValueError(f"{self.citation}: the amount comes from the step; pass it")
        if self.wording is Wording.ON:
            return anchor
        if self.wording is Wording.BEFORE:
            return _before(anchor, n, self.unit)
        if self.wording is Wording.AFTER:
            return _after(anchor, n, self.unit, counting)
        return _beginning_with(anchor, n, self.unit, counting)

    def counting_rule(self) -> str:
        """Say in words how the period is counted (shown in docs/rules.md)."""
        unit = self.unit.value.replace("_", " ")
        n = "N" if self.amount is None else str(self.amount)
        if self.wording is Wording.ON:
            return "on the day itself"
        if self.wording is Wording.BEFORE:
            return f"{n} {unit} back from the day: the latest day is the day minus {n} {unit}"
        if self.wording is Wording.AFTER:
            first = "the day after the start is day 1"
            last = {Unit.DAYS: f"ends on the start + {n} days",
                    Unit.WEEKS: f"ends on the same weekday {n} weeks on",
                    Unit.MONTHS: "ends on the corresponding date (or the month's last day)",
                    Unit.WORKING_DAYS: f"ends on working day {n} after the start"}
            return f"{first}; {last[self.unit]}"
        first = "the start day is day 1"
        last = {Unit.DAYS: f"ends on the start + {n} - 1 days",
                Unit.WEEKS: f"ends the day before the same weekday {n} weeks on",
                Unit.MONTHS: "ends the day before the corresponding date (or on the month's "
                             "last day when it has none)",
                Unit.WORKING_DAYS: "a working start day is working day 1; ends on working "
                                   f"day {n}"}
        return f"{first}; {last[self.unit]}"


def _after(anchor: date, n: int, unit: Unit, counting: Counting) -> date:
    if unit is Unit.DAYS:
        return anchor + timedelta(days=n)
    if unit is Unit.WEEKS:
        return anchor + timedelta(weeks=n)
    if unit is Unit.MONTHS:
        return add_calendar_months(anchor, n)
    return counting.add_working_days(anchor, n)


def _beginning_with(anchor: date, n: int, unit: Unit, counting: Counting) -> date:
    if unit is Unit.DAYS:
        return anchor + timedelta(days=n - 1)
    if unit is Unit.WEEKS:
        return anchor + timedelta(weeks=n) - timedelta(days=1)
    if unit is Unit.MONTHS:
        return months_beginning_with(anchor, n)
    # Counting from the day before makes the start day working day 1 when it is one.
    return counting.add_working_days(anchor - timedelta(days=1), n)


def _before(anchor: date, n: int, unit: Unit) -> date:
    if unit is Unit.DAYS:
        return anchor - timedelta(days=n)
    if unit is Unit.WEEKS:
        return anchor - timedelta(weeks=n)
    if unit is Unit.MONTHS:
        return add_calendar_months(anchor, -n)
    raise ValueError("working days before a day are not used by any provision")


@dataclass(frozen=True)
class DayOfYear:
    """A time limit that is a fixed day of the calendar year of the step (reg 18(1)).

    Counted from the words: "before 15 February" ends on 14 February, "by 15 February" on
    15 February."""

    month: int
    day: int
    words: str
    citation: str
    quoted: bool = True
    verify: str | None = None
    source: Source | None = None

    @property
    def before(self) -> bool:
        """True where the words say "before" the day (the day itself is late), False for
        "by" the day (on that day is in time)."""
        if self.words.startswith("before "):
            return True
        if self.words.startswith("by "):
            return False
        raise ValueError(f"{self.citation}: no counting words in {self.words!r}")

    def ends(self, anchor: date, counting: Counting = DEFAULT_COUNTING,
             amount: int | None = None) -> date:
        day = date(anchor.year, self.month, self.day)
        return day - timedelta(days=1) if self.before else day

    def counting_rule(self) -> str:
        named = f"{date(2000, self.month, self.day):%-d %B}"
        if self.before:
            return (f"before {named} of the calendar year of the step: the last day is the "
                    f"day before ({date(2001, self.month, self.day) - timedelta(days=1):%-d %B}"
                    " outside leap years)")
        return f"{named} of the calendar year of the step; on that day is in time"


TimeLimit = Period | DayOfYear


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


def iso_text(value: date) -> str:
    """Return ``value.isoformat()``, a day's (a ``date``, not a ``datetime``: equal moments
    in two time zones are written differently) remembered: a write writes the same few
    days many times (its stored events, the event's hash, the answer and its clocks)."""
    return day_text(value) if value.__class__ is date else value.isoformat()


@lru_cache(maxsize=4096)
def day_text(day: date) -> str:
    """Return a ``date``'s ``YYYY-MM-DD``: ``date.isoformat`` formats through
    ``PyUnicode_FromFormat``, about ten times this lookup's cost."""
    return day.isoformat()
