"""Which code list an event field takes, declared on the field itself.

A payload field that takes codes is annotated ``Annotated[str, Takes(SOME_LIST)]`` (or
``list[Annotated[str, ...]]``, or with ``at`` for a key inside a nested value); the request
schemas and the OpenAPI description read the list from that declaration, while the
event's ``evolve`` checks the code against the same list (for a reference list, the
version in force when the event happened). ``typing.get_type_hints`` drops the
annotation, so the event's own field checks see a plain ``str``.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from domain.reference import codes_ever, list_path


@dataclass(frozen=True)
class CodeList:
    """A list of codes a field may hold: a reference list (versioned by date, served at
    ``served_at``) or a list the domain itself defines."""

    name: str
    source: Callable[[], Collection[str]] = field(repr=False, compare=False)
    served_at: str | None = None
    description: str = ""

    def codes(self) -> list[str]:
        """Return every code the list holds (for a versioned list, in any version)."""
        return sorted(self.source())

    @property
    def versioned(self) -> bool:
        return self.served_at is not None

    def what(self) -> str:
        """Return how a field description or a refusal names the list."""
        if self.served_at is not None:
            return (f"a code of the {self.name} list (versioned by date; the codes in force "
                    f"on a day: GET {self.served_at}?on=YYYY-MM-DD)")
        return f"a code of the {self.name} list ({self.description})"


def reference_list(name: str) -> CodeList:
    """Return the reference list ``name`` (domain.reference), every version's codes."""
    return CodeList(name, lambda: codes_ever(name), served_at=list_path(name))


def domain_list(name: str, codes: Callable[[], Collection[str]], description: str
                ) -> CodeList:
    """Return a list the domain defines (``codes`` read when asked: registries fill on
    import)."""
    return CodeList(name, codes, description=description)


@dataclass(frozen=True)
class Takes:
    """Marks a field, or ``at`` a place inside its value, as taking codes of one list.

    ``at`` walks into the value: ``"*"`` is each item of a list, any other step a key of an
    object (``("*", "code")``: the ``code`` of each item; ``("B", "*", "need")``: the
    ``need`` of each item of section B).
    """

    code_list: CodeList
    at: tuple[str, ...] = ()


def takes(code_list: CodeList, *at: str) -> Takes:
    return Takes(code_list, tuple(at))


@dataclass(frozen=True)
class CodeField:
    """A payload field's declared code list and where in its value the codes are."""

    field: str
    code_list: CodeList
    at: tuple[str, ...]


@cache
def code_fields(cls: type) -> tuple[CodeField, ...]:
    """Return the code lists ``cls``'s fields declare, in field order."""
    hints = typing.get_type_hints(cls, include_extras=True)
    found: list[CodeField] = []
    for name, hint in hints.items():
        for marker, depth in _markers(hint):
            found.append(CodeField(name, marker.code_list, ("*",) * depth + marker.at))
    return tuple(found)


def _markers(hint: Any, depth: int = 0) -> Iterator[tuple[Takes, int]]:
    """Yield each ``Takes`` in a hint, with how many lists deep it sits."""
    origin = typing.get_origin(hint)
    if origin is typing.Annotated:
        for extra in hint.__metadata__:
            if isinstance(extra, Takes):
                yield extra, depth
        return
    for arg in typing.get_args(hint):
        yield from _markers(arg, depth + (origin in (list, tuple)))


def codes_at(value: Any, at: tuple[str, ...]) -> Iterator[Any]:
    """Yield the values found ``at`` a place inside ``value`` (shapes that do not fit are
    skipped: the event's own checks refuse them)."""
    if not at:
        yield value
        return
    step, rest = at[0], at[1:]
    if step == "*":
        if isinstance(value, list | tuple):
            for item in value:
                yield from codes_at(item, rest)
    elif isinstance(value, dict) and step in value:
        yield from codes_at(value[step], rest)
