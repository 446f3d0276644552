"""The event catalogue as people read it: every event type with its description, its
fields, who may record it, and the rules that guard it.

Everything here is read from the domain's own declarations, never copied by hand: the
fields from the event dataclasses, the descriptions from their docstrings, the roles
from ``application.access`` (and the use cases that record governance events), and the
rules from the code that checks them. A rule guards an event type when the event's own
methods (``evolve`` and what it calls in the domain) name it; the rules every recording
passes through (``ChildJourney.record``) are listed once, apart. ``docs/rules.md`` holds
each rule's tests.
"""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeGuard

import domain.journey  # noqa: F401  (registers every event type and rule)
from application.access import FAMILY_EVENT_TYPES, PARTNER_EVENT_TYPES, WRITE_ROLES
from application.personal_data import ERASE_ROLES, HOLD_ROLES
from domain.catalogue.age_limits import MAINTAINING_GROUPS
from domain.code_lists import code_fields
from domain.events import EVENT_TYPES, JourneyEvent, describe_type, payload_fields
from domain.journey import ChildJourney
from domain.rules import Rule

# Event types recorded by a use case of their own, not POST /children/{id}/events: the
# roles that use case lets record them, and the code that checks them before the event.
OWN_USE_CASES: dict[str, tuple[frozenset[str], str]] = {
    "ChildRegistered": (WRITE_ROLES, "POST /children (check_may_register)"),
    "CaseAssigned": (frozenset({"manager"}),
                     "PUT /children/{child_id}/assignment (check_may_assign)"),
    "LegalHoldPlaced": (HOLD_ROLES, "the legal-hold endpoints"),
    "LegalHoldReleased": (HOLD_ROLES, "the legal-hold endpoints"),
    "PersonalDataShredded": (ERASE_ROLES, "the erasure endpoint"),
}
# Checks made outside the event's own methods, for the types they concern.
JOURNEY_CHECKS: dict[str, tuple[Callable[..., Any], ...]] = {
    "ChildRegistered": (ChildJourney.register,),
    "EntryCorrected": (ChildJourney._check_amendment,),  # noqa: SLF001
    "EntryRetracted": (ChildJourney._check_amendment,),  # noqa: SLF001
}


@dataclass(frozen=True)
class FieldEntry:
    """One payload field: its name, what it takes, and whether it is required."""

    name: str
    kind: str
    required: bool
    codes: tuple[str, ...] = ()  # the code lists it (or a place inside it) takes


@dataclass(frozen=True)
class EventEntry:
    """One event type as the catalogue page shows it."""

    type: str
    group: str
    description: str
    fields: tuple[FieldEntry, ...]
    responsible: str
    roles: tuple[str, ...]
    recorded_through: str
    rules: tuple[Rule, ...]
    allowed_when_closed: bool
    amendable: bool
    maintains_plan: bool


@dataclass(frozen=True)
class Catalogue:
    """Every event type by group, and the rules every recording is checked against."""

    events: tuple[EventEntry, ...]
    every_event_rules: tuple[Rule, ...]

    def groups(self) -> dict[str, list[EventEntry]]:
        grouped: dict[str, list[EventEntry]] = {}
        for entry in self.events:
            grouped.setdefault(entry.group, []).append(entry)
        return grouped


@cache
def event_catalogue() -> Catalogue:
    """Return the catalogue of every event type, read from the domain's declarations."""
    events = tuple(sorted((_entry(name, cls) for name, cls in EVENT_TYPES.items()),
                          key=lambda e: (e.group, e.type)))
    return Catalogue(events, _sorted(rules_named_by(ChildJourney.record)))


def _entry(name: str, cls: type[JourneyEvent]) -> EventEntry:
    roles, through = recorders(name)
    guards = set(guarding_rules(cls))
    for check in JOURNEY_CHECKS.get(name, ()):
        guards |= rules_named_by(check)
    return EventEntry(
        type=name, group=cls.group or "journey",
        description=inspect.cleandoc(cls.__doc__ or ""),
        fields=tuple(FieldEntry(field, describe_type(annotation), required, tuple(
            ("/".join(c.at) + ": " if c.at else "") + c.code_list.what()
            for c in code_fields(cls) if c.field == field))
            for field, (annotation, required) in payload_fields(cls).items()),
        responsible=cls.recorded_by.value, roles=roles, recorded_through=through,
        rules=_sorted(guards), allowed_when_closed=cls.allowed_when_closed,
        amendable=cls.amendable, maintains_plan=cls.group in MAINTAINING_GROUPS)


def recorders(type_name: str) -> tuple[tuple[str, ...], str]:
    """Return the roles that may record ``type_name``, and how they record it."""
    if type_name in OWN_USE_CASES:
        roles, through = OWN_USE_CASES[type_name]
        return tuple(sorted(roles)), through
    found = set(WRITE_ROLES)
    if type_name in FAMILY_EVENT_TYPES:
        found.add("family")
    if type_name in PARTNER_EVENT_TYPES:
        found.add("partner")
    return tuple(sorted(found)), "POST /children/{child_id}/events"


def guarding_rules(cls: type[JourneyEvent]) -> frozenset[Rule]:
    """Return the rules the event type's own methods (and what they call) name."""
    found: set[Rule] = set()
    seen: set[types.FunctionType] = set()
    for name in dir(cls):
        attribute = inspect.getattr_static(cls, name)
        function = getattr(attribute, "__func__", attribute)
        if _written_in_the_domain(function, "domain.catalogue"):
            found |= rules_named_by(function, seen)
    return frozenset(found)


def rules_named_by(function: Callable[..., Any],
                   seen: set[types.FunctionType] | None = None) -> frozenset[Rule]:
    """Return the rules ``function`` names, and those named by the domain functions it
    calls by name (followed through every module of the domain)."""
    seen = set() if seen is None else seen
    function = getattr(function, "__func__", function)
    if not _written_in_the_domain(function):
        return frozenset()
    seen.add(function)
    found: set[Rule] = set()
    for target in _names(function):
        if isinstance(target, Rule):
            found.add(target)
        elif _written_in_the_domain(target) and target not in seen:
            found |= rules_named_by(target, seen)
    return frozenset(found)


def _written_in_the_domain(function: Any, package: str = "domain"
                           ) -> TypeGuard[types.FunctionType]:
    """Tell whether ``function`` is a function written in a module of ``package`` (not
    one a dataclass generated, nor a wrapper from the standard library)."""
    if not isinstance(function, types.FunctionType) or \
            not function.__module__.startswith(package):
        return False
    module = sys.modules.get(function.__module__)
    return module is not None and function.__code__.co_filename == module.__file__


def _names(function: types.FunctionType) -> Iterator[Any]:
    """Yield what each bare name in ``function``'s source refers to in its module."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    scope = function.__globals__
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in scope:
            yield scope[node.id]


def _sorted(rules: frozenset[Rule] | set[Rule]) -> tuple[Rule, ...]:
    return tuple(sorted(rules, key=lambda r: r.code))
