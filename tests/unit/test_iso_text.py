"""A day's ISO text, remembered (``domain.calendar.iso_text``): what every stored event,
event hash, answer and read-model row writes for a date, the same text as
``isoformat`` (issue 17)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from domain.calendar import iso_text


def test_a_dates_remembered_text_is_its_isoformat_and_a_datetimes_is_its_own() -> None:
    days = [date(2024, 1, 1) + timedelta(days=n) for n in range(6000)]  # past the cache
    for day in days + days[::-1] + [date(1, 1, 1), date(9999, 12, 31)]:
        assert iso_text(day) == day.isoformat()
        assert iso_text(date(day.year, day.month, day.day)) == day.isoformat()
    utc = datetime(2024, 3, 31, 12, tzinfo=UTC)
    paris = utc.astimezone(timezone(timedelta(hours=2)))
    assert utc == paris  # equal moments, written differently
    assert [iso_text(utc), iso_text(paris)] == [
        "2024-03-31T12:00:00+00:00", "2024-03-31T14:00:00+02:00"]
