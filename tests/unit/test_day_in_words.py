"""Dates in messages and digests read as people write them, in English whatever the
locale (application.notifications.day_in_words)."""

from __future__ import annotations

from datetime import date, timedelta

from application.notifications import day_in_words


def test_a_date_reads_day_month_year() -> None:
    assert day_in_words(date(2025, 4, 8)) == "8 April 2025"
    assert day_in_words(date(2024, 12, 31)) == "31 December 2024"
    assert day_in_words(date(2026, 1, 1)) == "1 January 2026"


def test_every_day_of_a_leap_year_reads_as_the_c_locale_writes_it() -> None:
    day = date(2024, 1, 1)
    while day.year == 2024:
        assert day_in_words(day) == f"{day.day} {day:%B %Y}"
        day += timedelta(days=1)
