"""A structural deep copy of the journey's state, several times faster than ``copy.deepcopy``.

A command folds its candidate event onto a copy of the state kept with the cached journey
(``domain.state.folded_onto``), so the copy is on every write's path: ``copy.deepcopy``
spent about 1 ms on a 70-event journey's state, most of it in its generic machinery
(``__reduce_ex__``, reconstruction, keep-alive bookkeeping) rather than in copying.

``structural_copy`` gives the same result for what a state is made of: lists, dicts and
plain dataclasses are copied, member by member; strings, numbers, dates, UUIDs and enum
members are shared, as ``copy.deepcopy`` shares them or could (they cannot change); a
frozen dataclass whose members all come back unchanged is shared too. One memo maps every
object already copied to its copy, so an object reached twice (one request in two lists)
is copied once and stays shared, as with ``copy.deepcopy``. Anything else (a set, a
subclass of list, a class with its own copy or pickle hooks or slots) goes to
``copy.deepcopy`` with the same memo. tests/unit/test_structural_copy.py holds it equal to
``copy.deepcopy`` and checks a fold onto the copy never changes the original.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar
from uuid import UUID

T = TypeVar("T")
Memo = dict[int, Any]
Copier = Callable[[Any, Memo], Any]

# Exact types whose values never change: shared, never looked up in the memo.
_SHARED: frozenset[type] = frozenset({
    str, int, float, bool, complex, bytes, type(None), date, datetime, time, timedelta,
    UUID, Decimal, type, range})

_COPIERS: dict[type, Copier] = {}


def structural_copy(value: T, memo: Memo | None = None) -> T:
    """Return a deep copy of ``value`` (equal to ``copy.deepcopy(value, memo)``)."""
    return _copy(value, {} if memo is None else memo)  # type: ignore[no-any-return]


def _copy(value: Any, memo: Memo) -> Any:
    cls = value.__class__
    if cls in _SHARED:
        return value
    done = memo.get(id(value))
    if done is not None:
        return done
    copier = _COPIERS.get(cls)
    if copier is None:
        copier = _COPIERS[cls] = _copier_for(cls)
    return copier(value, memo)


def _list(value: list[Any], memo: Memo) -> list[Any]:
    new: list[Any] = []
    memo[id(value)] = new
    shared = _SHARED
    new.extend([v if v.__class__ in shared else _copy(v, memo) for v in value])
    return new


def _dict(value: dict[Any, Any], memo: Memo) -> dict[Any, Any]:
    new: dict[Any, Any] = {}
    memo[id(value)] = new
    shared = _SHARED
    for k, v in value.items():
        new[k if k.__class__ in shared else _copy(k, memo)] = \
            v if v.__class__ in shared else _copy(v, memo)
    return new


def _tuple(value: tuple[Any, ...], memo: Memo) -> tuple[Any, ...]:
    items = [_copy(v, memo) for v in value]
    if all(a is b for a, b in zip(items, value, strict=True)):
        return value
    done = memo.get(id(value))  # a member may hold the tuple itself
    if done is not None:
        return done  # type: ignore[no-any-return]
    new = tuple(items)
    memo[id(value)] = new
    return new


def _dataclass(value: Any, memo: Memo) -> Any:
    new = object.__new__(value.__class__)
    memo[id(value)] = new
    shared = _SHARED
    new.__dict__.update({k: v if v.__class__ in shared else _copy(v, memo)
                         for k, v in value.__dict__.items()})
    return new


def _frozen_dataclass(value: Any, memo: Memo) -> Any:
    members = value.__dict__
    shared = _SHARED
    for member in members.values():
        if member.__class__ not in shared:
            break
    else:  # nothing in it can change: itself (the commonest case, so tried first)
        return value
    copied = {k: v if v.__class__ in shared else _copy(v, memo) for k, v in members.items()}
    if all(copied[k] is v for k, v in members.items()):
        memo[id(value)] = value
        return value
    new = object.__new__(value.__class__)
    new.__dict__.update(copied)
    memo[id(value)] = new
    return new


def _itself(value: Any, memo: Memo) -> Any:
    return value


def _deepcopy(value: Any, memo: Memo) -> Any:
    return copy.deepcopy(value, memo)


def _plain(cls: type) -> bool:
    """Tell whether ``copy.deepcopy`` would copy an instance of ``cls`` by copying its
    ``__dict__`` into a new blank instance (no hooks of its own, no slots)."""
    return (cls.__reduce_ex__ is object.__reduce_ex__  # type: ignore[comparison-overlap]
            and cls.__reduce__ is object.__reduce__  # type: ignore[comparison-overlap]
            and getattr(cls, "__getstate__", object.__getstate__) is object.__getstate__
            and not hasattr(cls, "__deepcopy__") and not hasattr(cls, "__setstate__")
            and all("__slots__" not in c.__dict__ for c in cls.__mro__[:-1]))


def _copier_for(cls: type) -> Copier:
    if cls is list:
        return _list
    if cls is dict:
        return _dict
    if cls is tuple:
        return _tuple
    if issubclass(cls, Enum):  # members are singletons; copy.deepcopy shares them too
        return _itself
    if dataclasses.is_dataclass(cls) and _plain(cls):
        if cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
            return _frozen_dataclass
        return _dataclass
    return _deepcopy
