"""``holds_sealed`` (would ``reveal`` change a value) answers what its first definition
answered, walking a copy and comparing it, ``_walk(value, note) != value`` or sealed
text met: on odd values here, and on every value it is asked about (and everything
within) while the e2e journeys are recorded and their state views and timelines built,
with sealed free text, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Iterator
from datetime import date, datetime
from enum import StrEnum
from typing import Any, NamedTuple
from uuid import UUID

import pytest
from flask.testing import FlaskClient

import application.kept_views
from application.personal_data import _walk, holds_sealed
from domain.personal_data import seal_format
from tests.e2e.journeys import JOURNEYS

Auth = Callable[..., dict[str, str]]
SEALED = seal_format(5, "QUJDREVGR0g")


def by_walking(value: Any) -> bool:
    """The first definition."""
    found = [False]

    def note(text: str) -> str:
        found[0] = True
        return text

    unchanged = _walk(value, note) == value
    return found[0] or not unchanged


def within(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for v in value.values():
            yield from within(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from within(v)


class _Kind(StrEnum):
    SEALED = SEALED
    PLAIN = "plain"


class _Pair(NamedTuple):
    a: int
    b: str


ODD: list[Any] = [
    None, 1, 1.5, math.nan, True, "", "text", SEALED, "sealed:v1:not-really", date(2024, 1, 2),
    datetime(2024, 1, 2, 3, 4), UUID(int=7), _Kind.SEALED, _Kind.PLAIN, (), (1,), [], {},
    _Pair(1, "x"), [math.nan], {"x": math.nan}, [[1, {"a": "b"}]], {"a": {"b": [SEALED]}},
    {"a": {"b": [(1, 2)]}}, OrderedDict(a=1), OrderedDict(a=SEALED), [_Kind.PLAIN],
    {"a": [1, "two", None]}, object(), {"o": object()}, frozenset({1}), {1, 2}, b"bytes",
    [b"x", {"k": frozenset()}],
]


@pytest.mark.parametrize("value", ODD, ids=range(len(ODD)))
def test_an_odd_value_holds_sealed_as_walking_it_says(value: Any) -> None:
    assert holds_sealed(value) is by_walking(value)


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every value the kept answers ask about, and everything within, is checked."""
    answers: list[bool] = []

    def checking(value: Any) -> bool:
        for part in within(value):
            assert holds_sealed(part) is by_walking(part), part
        answer = holds_sealed(value)
        answers.append(answer)
        return answer

    monkeypatch.setattr(application.kept_views, "holds_sealed", checking)
    return answers


def test_every_value_the_kept_answers_ask_about_holds_sealed_as_walking_it_says(
        client: FlaskClient, auth: Auth, checked: list[bool]) -> None:
    headers = auth()
    for name, journey in JOURNEYS.items():
        body = dict(journey.registration, case_ref=f"CR-{name}-sealed")
        registered = client.post("/children", json=body, headers=headers)
        assert registered.status_code == 201, registered.json
        child_id, version = registered.json["child_id"], registered.json["version"]
        answers: dict[str, dict[str, Any]] = {}
        for step in journey.steps:
            extra = {"If-Match": f'"{version}"'} if step.if_match else {}
            written = client.post(f"/children/{child_id}/events",
                                  json=step.resolved(answers),
                                  headers=auth(role=step.role, **extra))
            assert written.status_code == 201, written.json
            version = written.json["version"]
            if step.label is not None:
                answers[step.label] = written.json
        for path in (f"/children/{child_id}", f"/children/{child_id}/journey"):
            assert client.get(path, headers=headers).status_code == 200
    # Asked often, and both ways: sealed free text in some answers, none in others.
    assert len(checked) > 300 and True in checked and False in checked
