"""The copies a command folds its candidate onto, against ``copy.deepcopy`` (the copy they
replaced). ``domain.copies.structural_copy`` equals it: equal values, nothing changeable
shared with the original, objects reached twice still shared. ``domain.state``'s folding
copy (which copies a part of the state only when the fold reads it) needs no object
reachable from two parts; over the whole catalogue, folding any event onto either copy
does exactly what folding it onto a deep copy does, and never changes the original."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.copies import structural_copy
from domain.events import JourneyEvent
from domain.state import (
    _FIELDS,
    JourneyState,
    _folding_copy,
    _sealed,
    fold,
    folded,
    folded_onto,
    replay,
)
from tests.unit.catalogue_logs import catalogue_logs

_IMMUTABLE = (str, int, float, bool, type(None), date, bytes, StrEnum, type)


def _same_shape(original: Any, copied: Any, pairs: dict[int, int] | None = None) -> None:
    """Check ``copied`` mirrors ``original``: equal, every list, dict, set or unfrozen
    dataclass a new object, and objects reached twice in one reached twice in the other
    (the identity map is a bijection)."""
    pairs = {} if pairs is None else pairs
    if isinstance(original, _IMMUTABLE):
        assert copied == original
        return
    seen = pairs.get(id(original))
    if seen is not None:
        assert seen == id(copied), f"{type(original).__name__} no longer shared"
        return
    assert id(copied) not in pairs.values(), f"{type(copied).__name__} shared by two"
    pairs[id(original)] = id(copied)
    assert type(copied) is type(original)
    frozen = getattr(type(original), "__dataclass_params__", None)
    if isinstance(original, list | dict | set) or (frozen is not None and not frozen.frozen):
        assert copied is not original, f"{type(original).__name__} shared with the original"
    if isinstance(original, list | tuple):
        assert len(copied) == len(original)
        for a, b in zip(original, copied, strict=True):
            _same_shape(a, b, pairs)
    elif isinstance(original, dict):
        assert list(copied) == list(original)
        for key in original:
            _same_shape(original[key], copied[key], pairs)
    elif hasattr(original, "__dict__"):
        assert list(vars(copied)) == list(vars(original))
        for name, value in vars(original).items():
            _same_shape(value, vars(copied)[name], pairs)
    else:
        assert copied == original


class Colour(StrEnum):
    RED = "red"


@dataclass
class Item:
    name: str
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Fixed:
    on: date
    items: list[Item] = field(default_factory=list)


@dataclass(frozen=True)
class Plain:
    on: date
    colour: Colour


class Hooked:
    def __init__(self) -> None:
        self.copies = 0

    def __deepcopy__(self, memo: dict[int, Any]) -> Hooked:
        clone = Hooked()
        clone.copies = self.copies + 1
        return clone


def test_it_copies_like_deepcopy_keeping_what_is_shared_shared() -> None:
    item = Item("a", ["x"])
    loop: list[Any] = [item]
    loop.append(loop)
    inner = [item]
    value = {
        "twice": [item, item], "again": item, "tuple": (item, 1), "fixed": Fixed(
            date(2024, 1, 2), [item]), "plain": Plain(date(2024, 1, 2), Colour.RED),
        "set": {1, 2}, "loop": loop, "hooked": Hooked(), "nested": (inner, inner),
        "frozenset": frozenset({"a"}), 3: None,
    }
    copied = structural_copy(value)
    assert copied == copy.deepcopy(value) | {"loop": copied["loop"], "hooked": copied["hooked"]}
    _same_shape({k: v for k, v in value.items() if k != "hooked"},
                {k: v for k, v in copied.items() if k != "hooked"})
    assert copied["loop"][1] is copied["loop"]
    assert copied["plain"] is value["plain"]  # frozen, nothing in it can change
    assert copied["fixed"] is not value["fixed"]  # frozen, but its list can change
    assert copied["hooked"].copies == 1  # a class's own hook is used
    copied["twice"][0].tags.append("y")
    assert item.tags == ["x"]
    assert copied["again"].tags == ["x", "y"]


def _states() -> list[tuple[str, int, JourneyState]]:
    """The state after every prefix of every catalogue journey."""
    return [(name, cut, replay(log[:cut]))
            for name, log in catalogue_logs().items() for cut in range(1, len(log) + 1)]


def test_the_state_after_every_step_of_every_catalogue_journey_copies_like_deepcopy() -> None:
    for name, cut, state in _states():
        copied = structural_copy(state)
        assert copied == state == copy.deepcopy(state), f"{name} at {cut}"
        _same_shape(state, copied)


def _reachable(value: Any, into: dict[int, Any]) -> dict[int, Any]:
    """Every list, dict, set and unfrozen dataclass reachable from ``value``, by id."""
    if isinstance(value, _IMMUTABLE) or id(value) in into:
        return into
    params = getattr(type(value), "__dataclass_params__", None)
    if isinstance(value, list | dict | set) or (params is not None and not params.frozen):
        into[id(value)] = value
    members = value.values() if isinstance(value, dict) else value if isinstance(
        value, list | tuple | set | frozenset) else vars(value).values() if hasattr(
        value, "__dict__") else ()
    for member in members:
        _reachable(member, into)
    return into


def test_no_object_of_a_catalogue_state_is_reachable_from_two_of_its_fields() -> None:
    """What the folding copy relies on: it copies each field it reads on its own."""
    for name, cut, state in _states():
        owner: dict[int, str] = {}
        for field_name in _FIELDS:
            for key in _reachable(getattr(state, field_name), {}):
                assert owner.setdefault(key, field_name) == field_name, \
                    f"{name} at {cut}: one object in {owner[key]} and {field_name}"


def _outcome(state: JourneyState, event: JourneyEvent) -> tuple[str, Any]:
    try:
        return "folded", fold([event], into=state)
    except Exception as error:  # noqa: BLE001 - an event out of place may fail anyhow
        return type(error).__name__, str(error)


def _folded_onto_folding_copy(state: JourneyState, event: JourneyEvent) -> tuple[str, Any]:
    folding = _folding_copy(state)
    outcome = _outcome(folding, event)
    if outcome[0] != "folded":
        return outcome
    sealed = _sealed(folding)
    assert type(sealed) is JourneyState
    assert list(vars(sealed)) == list(_FIELDS)
    return "folded", sealed


_LOGS = catalogue_logs()
_NAMES = sorted(_LOGS)


@st.composite
def _state_and_event(draw: st.DrawFn) -> tuple[str, int, JourneyEvent]:
    name = draw(st.sampled_from(_NAMES))
    cut = draw(st.integers(1, len(_LOGS[name])))
    other = draw(st.sampled_from(_NAMES))
    event = draw(st.sampled_from(_LOGS[other][1:]))
    return name, cut, event


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_state_and_event())
def test_folding_any_catalogue_event_onto_either_copy_is_folding_it_onto_a_deep_copy(
        drawn: tuple[str, int, JourneyEvent]) -> None:
    """Any event of the catalogue, in place or not (refused, an anomaly, or failing), onto
    the state after any step of any journey: the same outcome as on a deep copy, and the
    original left as it was."""
    name, cut, event = drawn
    original = replay(_LOGS[name][:cut])
    on_deep_copy = _outcome(copy.deepcopy(original), event)
    assert _outcome(structural_copy(original), event) == on_deep_copy
    assert original == replay(_LOGS[name][:cut])
    assert _folded_onto_folding_copy(original, event) == on_deep_copy
    assert original == replay(_LOGS[name][:cut])


@pytest.mark.parametrize("name", _NAMES)
def test_each_next_step_folded_onto_the_kept_state_equals_the_refold(name: str) -> None:
    """``folded_onto`` (which folds onto the copy) after every step of every catalogue
    journey: the refold of the log so far, and the state it started from unchanged."""
    log = _LOGS[name]
    onto = 0
    for cut in range(1, len(log)):
        before = folded(log[:cut])
        kept = copy.deepcopy(before.state)
        after = folded_onto(before, log[cut])
        assert before.state == kept, f"step {cut + 1} changed the state it was folded onto"
        if after is not None:
            onto += 1
            assert after.state == replay(log[:cut + 1]), f"step {cut + 1}"
    assert onto >= len(log) // 2  # most steps are folded on, not refolded


@pytest.mark.parametrize("name", _NAMES)
def test_every_state_kept_along_a_journey_stays_as_it_was_folded(name: str) -> None:
    """Each kept state shares the parts its next fold did not read with that fold's state,
    and so on down the journey: none is changed by a later fold."""
    log = _LOGS[name]
    chain = [folded(log[:1])]
    for event in log[1:]:
        onto = folded_onto(chain[-1], event)
        chain.append(onto if onto is not None else folded(log[:chain[-1].length + 1]))
    for kept in chain:
        assert kept.state == replay(log[:kept.length]), f"{name} at {kept.length}"


def test_a_part_the_fold_sets_without_reading_it_keeps_the_value_it_set() -> None:
    """An evolve may replace a part outright (``state.x = ...``) without reading it first:
    the sealed state holds the new value, and the kept state its old one."""
    from domain.state import _PARTS

    kept = JourneyState()
    for name in _PARTS:
        before = getattr(kept, name)
        folding = _folding_copy(kept)
        replacement = type(before)()
        setattr(folding, name, replacement)
        sealed = _sealed(folding)
        assert getattr(sealed, name) is replacement, name
        assert getattr(kept, name) is before, name
