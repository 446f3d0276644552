"""The base class of every journey event, the catalogue of event types, and field checks.

Each concrete event type is a frozen dataclass named in the past tense, declared in one
of the ``domain.catalogue`` modules. Its ``evolve`` method checks the rules that event
must satisfy against the journey state, then changes that state. It reads no clock and
does no I/O, so replay gives the same state every time.
"""

from __future__ import annotations

import types
import typing
from dataclasses import KW_ONLY, field, fields
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from eventsourcing.domain import AggregateEvent

from domain.actors import Actor
from domain.errors import InvalidFieldError, UnknownEventTypeError
from domain.responsibility import Body

if TYPE_CHECKING:
    from domain.state import JourneyState

# Fields every journey event carries; the web layer and the command fill them, never
# the body of a request.
COMMON_FIELDS = frozenset({
    "originator_id", "originator_version", "timestamp", "originator_topic",
    "occurred_on", "actor", "reference_version", "request_id", "idempotency_key_hash",
    "evidence", "prev_hash", "hash",
})

EVENT_TYPES: dict[str, type[JourneyEvent]] = {}


class JourneyEvent(AggregateEvent):
    """Something that happened in a child's journey, as recorded by an actor.

    ``occurred_on`` is when it happened in the world (statutory clocks run on it);
    the library's ``timestamp`` is when it was recorded.
    """

    _: KW_ONLY
    occurred_on: date
    actor: Actor
    reference_version: str = ""
    request_id: str | None = None
    idempotency_key_hash: str | None = None
    evidence: list[dict[str, str]] = field(default_factory=list)
    # The journey's hash chain (domain.integrity): set by the command, never by a request.
    prev_hash: str = ""
    hash: str = ""

    # Who normally records it, and which group of the catalogue it belongs to.
    recorded_by: ClassVar[Body] = Body.LOCAL_AUTHORITY
    group: ClassVar[str] = ""
    # Whether it may be recorded after the plan has ceased or transferred out.
    allowed_when_closed: ClassVar[bool] = False
    # Whether EntryCorrected / EntryRetracted may name it.
    amendable: ClassVar[bool] = True
    # Fields that decide who may see or do what (the authority that holds the journey,
    # the caseworker and organisation holding the case, a legal hold's reference): a
    # correction never changes them (domain.journey; issue 12). They change only through
    # their own statutory or governance events.
    access_fields: ClassVar[frozenset[str]] = frozenset()
    # Fields whose default was once a value nobody stated (issue 11): events stored then
    # were hashed leaving out that value (domain.integrity), so the hash still does.
    hashed_defaults: ClassVar[dict[str, Any]] = {}
    # Set to True on intermediate base classes that are not recordable types.
    abstract: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "abstract" not in cls.__dict__:
            cls.abstract = False
        if not cls.abstract:
            if cls.__name__ in EVENT_TYPES:
                raise TypeError(f"event type {cls.__name__} declared twice")
            EVENT_TYPES[cls.__name__] = cls

    def apply(self, aggregate: Any) -> None:
        aggregate.append_entry(self)

    def evolve(self, state: JourneyState) -> None:
        """Check this event's rules against ``state``, then change ``state``."""
        raise NotImplementedError(type(self).__name__)

    @property
    def type_name(self) -> str:
        return type(self).__name__

    def payload(self) -> dict[str, Any]:
        """Return the fields particular to this event type."""
        return {name: getattr(self, name) for name in payload_field_names(type(self))}


def event_type(name: str) -> type[JourneyEvent]:
    """Return the event class called ``name`` in the catalogue."""
    try:
        return EVENT_TYPES[name]
    except KeyError:
        raise UnknownEventTypeError(name) from None


@cache
def payload_field_names(cls: type[JourneyEvent]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if f.name not in COMMON_FIELDS and f.name != "_")


@cache
def payload_fields(cls: type[JourneyEvent]) -> dict[str, tuple[Any, bool]]:
    """Return each payload field's type and whether it is required."""
    hints = typing.get_type_hints(cls)
    from dataclasses import MISSING

    names = set(payload_field_names(cls))
    return {
        f.name: (hints[f.name], f.default is MISSING and f.default_factory is MISSING)
        for f in fields(cls) if f.name in names
    }


def check_payload(
    cls: type[JourneyEvent], payload: dict[str, Any], *, partial: bool = False
) -> dict[str, Any]:
    """Return ``payload`` checked against the event type's fields, lists made fresh.

    Raises ``InvalidFieldError`` naming the first unknown, missing or mistyped field;
    with ``partial`` (a correction's changes), absent fields are not missing.
    """
    spec = payload_fields(cls)
    for name in payload:
        if name not in spec:
            raise InvalidFieldError(name, f"is not a field of {cls.__name__}")
    checked: dict[str, Any] = {}
    for name, (annotation, required) in spec.items():
        if name not in payload:
            if required and not partial:
                raise InvalidFieldError(name, "is required")
            continue
        value = payload[name]
        if not _conforms(value, annotation):
            raise InvalidFieldError(name, f"must be {describe_type(annotation)}")
        checked[name] = _fresh(value)
    return checked


def _fresh(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_fresh(v) for v in value]
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    return value


def _conforms(value: Any, annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        return any(_conforms(value, arm) for arm in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if annotation is Any:
        return True
    if origin is typing.Literal:
        return any(value == arg and type(value) is type(arg)
                   for arg in typing.get_args(annotation))
    if origin in (list, tuple):
        args = typing.get_args(annotation)
        return isinstance(value, list | tuple) and all(
            _conforms(v, args[0]) for v in value) if args else isinstance(value, list | tuple)
    if origin is dict:
        args = typing.get_args(annotation)
        return isinstance(value, dict) and all(
            isinstance(k, str) and _conforms(v, args[1]) for k, v in value.items())
    if annotation is date:
        return isinstance(value, date) and not isinstance(value, datetime)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(annotation, type):
        return isinstance(value, annotation)
    return True


def describe_type(annotation: Any) -> str:
    """Return how a field of type ``annotation`` is described to people ("a date")."""
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        return " or ".join(describe_type(a) for a in typing.get_args(annotation))
    if annotation is type(None):
        return "null"
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(annotation))
    if origin in (list, tuple):
        return "a list"
    if origin is dict:
        return "an object"
    if annotation is date:
        return "a date"
    return {str: "a string", int: "an integer", bool: "true or false",
            float: "a number"}.get(annotation, getattr(annotation, "__name__", str(annotation)))

