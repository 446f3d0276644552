"""Answers, log lines and the read models' JSON columns are written by orjson
(docs/decisions/0029-orjson.md): what they say must be what the standard library's
encoder said, dates in ``iso_text``'s words.

Text may differ (orjson writes UTF-8 where Flask wrote ``\\u`` escapes, and its own float
digits), so the answers are compared as parsed JSON; a day's or a moment's text is
compared as text, as it is ``domain.calendar.iso_text``'s definition."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from flask.json.provider import DefaultJSONProvider
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import iso_text
from infrastructure.readmodels import json_text
from web.app import CasetrackFlask, JSONProvider
from web.logging import json_line


def _strict(text: str | bytes) -> Any:
    """Parse JSON refusing NaN and the infinities (not JSON)."""

    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


_APP = CasetrackFlask("answers")  # (a provider holds its app weakly)
_APP.json = JSONProvider(_APP)


@pytest.fixture(scope="module")
def provider() -> JSONProvider:
    assert isinstance(_APP.json, JSONProvider)
    return _APP.json


def _standard(value: Any) -> Any:
    """What Flask's own provider, with our ``default``, wrote: parsed."""
    return json.loads(json.dumps(value, default=JSONProvider.default, sort_keys=False))


offsets = st.one_of(
    st.none(), st.just(UTC),
    st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m))))
moments = st.builds(lambda day, offset: day.replace(tzinfo=offset),
                    st.datetimes(min_value=datetime(1000, 1, 1)), offsets)
days = st.dates(min_value=date(1000, 1, 1))
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2 ** 70), 2 ** 70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(), st.uuids(), days, moments)
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers(-5, 5)), inner,
                        max_size=4)),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.one_of(days, moments))
def test_a_day_or_a_moment_is_written_in_iso_texts_words(
        provider: JSONProvider, value: date) -> None:
    assert provider.dumps(value) == json.dumps(iso_text(value))
    assert provider.dumps({"on": value}) == '{"on":' + json.dumps(iso_text(value)) + "}"


@settings(max_examples=300, deadline=None)
@given(trees)
def test_an_answer_says_what_the_standard_library_wrote(provider: JSONProvider,
                                                        value: Any) -> None:
    written = provider.dumps(value)
    assert _strict(written) == _standard(value)


@settings(max_examples=100, deadline=None)
@given(trees)
def test_an_answer_is_its_json_and_a_newline(provider: JSONProvider, value: Any) -> None:
    with provider._app.app_context():
        answer = provider.response(value)
    body = answer.get_data()
    assert answer.mimetype == "application/json"
    assert body.endswith(b"\n")
    assert _strict(body) == _standard(value)


def test_keys_and_text_keep_their_order_and_letters(provider: JSONProvider) -> None:
    value = {"zeta": "Zoë Ångström", "alpha": "a\u2028b\x00c\"d\\", 3: [None, True]}
    written = provider.dumps(value)
    assert list(_strict(written)) == ["zeta", "alpha", "3"]
    assert _strict(written) == _standard(value)
    assert "Zoë Ångström" in written  # UTF-8, not \u escapes


def test_a_number_past_64_bits_is_written_exactly(provider: JSONProvider) -> None:
    value = {"big": 2 ** 80, "small": -(2 ** 70)}
    assert _strict(provider.dumps(value)) == value
    with provider._app.app_context():
        assert _strict(provider.response(value).get_data()) == value


def test_debug_answers_are_indented_as_flask_indents_them() -> None:
    app = CasetrackFlask("answers-debug")
    app.json = JSONProvider(app)
    app.debug = True
    with app.app_context():
        body = app.json.response({"child_id": UUID(int=7), "on": date(2027, 1, 4)}).get_data()
    flask = DefaultJSONProvider(app)
    flask.sort_keys = False
    flask.default = JSONProvider.default  # type: ignore[method-assign]
    with app.app_context():
        expected = flask.response({"child_id": UUID(int=7), "on": date(2027, 1, 4)})
    assert body == expected.get_data()
    assert b'\n  "child_id"' in body


def _fallback(value: Any) -> str:
    return repr(value)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.one_of(st.text(max_size=8), st.integers(-5, 5)), trees,
                       max_size=6))
def test_a_log_line_is_one_line_of_what_json_dumps_wrote(event: dict[Any, Any]) -> None:
    line = json_line(event, default=_fallback)
    assert "\n" not in line
    assert _strict(line) == json.loads(json.dumps(event, default=_standard_log))


def _standard_log(value: Any) -> Any:
    """What a line says of a value ``json.dumps`` cannot write: orjson writes ids and
    moments in their ISO words where structlog's fallback wrote ``repr``."""
    if isinstance(value, date):
        return iso_text(value)
    if isinstance(value, UUID):
        return str(value)
    return repr(value)


def test_a_log_line_with_what_orjson_refuses_is_written_by_json_dumps() -> None:
    on, child = datetime(2027, 1, 4, 9, 30, tzinfo=UTC), UUID(int=7)
    event = {"event": "request", "count": 2 ** 70, "object": object, "at": on, 1: child}
    line = json_line(event, default=_fallback)
    assert _strict(line) == {"event": "request", "count": 2 ** 70, "object": repr(object),
                             "at": iso_text(on), "1": str(child)}
    assert _strict(line) == _strict(json_line({**event, "count": 7}, default=_fallback)) \
        | {"count": 2 ** 70}


plain_trees = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2 ** 70), 2 ** 70),
              st.floats(allow_nan=False, allow_infinity=False), st.text()),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(plain_trees)
def test_a_read_model_column_says_what_json_dumps_wrote(value: Any) -> None:
    assert _strict(json_text(value)) == json.loads(json.dumps(value))
