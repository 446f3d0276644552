"""A date's, a moment's or an id's words in JSON where the standard library's encoder
writes them: the words orjson writes itself (docs/decisions/0029-orjson.md), so an
answer or a log line that falls back to ``json`` says what orjson would have said."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from domain.calendar import iso_text


def json_words(value: Any, otherwise: Callable[[Any], Any]) -> Any:
    """Return ``value`` as JSON can hold it: a date or moment as ISO 8601
    (``iso_text``), an id as its text, anything else as ``otherwise`` says."""
    if isinstance(value, date):  # (a datetime is a date)
        return iso_text(value)
    if isinstance(value, UUID):
        return str(value)
    return otherwise(value)
