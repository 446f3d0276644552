"""Marshmallow schemas: one per journey event type, generated from the catalogue.

Each event type's request schema has ``type``, ``occurred_on``, ``evidence`` and the
event's own fields, typed from the domain's annotations; unknown fields are refused,
strings are bounded and free of control characters.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate
from marshmallow.validate import Validator

import domain.catalogue  # noqa: F401  (declares every event type and record kind)
from domain.code_lists import CodeField, CodeList, code_fields, codes_at
from domain.events import EVENT_TYPES, JourneyEvent, payload_fields
from domain.personal_data import (
    nhs_number_is_valid,
    normal_nhs_number,
    normal_postcode,
    postcode_is_valid,
    uln_is_valid,
    upn_is_valid,
)
from domain.record_ids import RECORD_KINDS, RecordKind, answer_key
from domain.shapes import shape_of

MAX_TEXT = 4000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control_characters(value: str) -> None:
    if _CONTROL.search(value):
        raise ValidationError("must not contain control characters")


MAX_DEPTH = 8
MAX_ITEMS = 1000


def _safe_nested(value: Any) -> None:
    """Bound free-form JSON (plan sections, changes): depth, size, and every string."""
    count = 0

    def walk(node: Any, depth: int) -> None:
        nonlocal count
        count += 1
        if depth > MAX_DEPTH or count > MAX_ITEMS:
            raise ValidationError(f"must nest at most {MAX_DEPTH} deep and hold at most "
                                  f"{MAX_ITEMS} values")
        if isinstance(node, str):
            if len(node) > MAX_TEXT:
                raise ValidationError(f"strings must be at most {MAX_TEXT} characters")
            _no_control_characters(node)
        elif isinstance(node, dict):
            for key, item in node.items():
                walk(key, depth + 1)
                walk(item, depth + 1)
        elif isinstance(node, list):
            for item in node:
                walk(item, depth + 1)

    walk(value, 0)


# The stores' integers are 64-bit: a position or version at or past 2**63 is refused (422).
MAX_INTEGER = 2**63 - 1


class Text(fields.String):
    """A bounded string without control characters."""

    def __init__(self, *, max_length: int = MAX_TEXT, **kwargs: Any) -> None:
        validators: list[Callable[[Any], Any]] = [validate.Length(max=max_length),
                                                  _no_control_characters]
        extra = kwargs.pop("validate", None)
        if extra is not None:
            validators.append(extra)
        super().__init__(validate=validators, **kwargs)


class StrictBoolean(fields.Boolean):
    """Only JSON true and false."""

    truthy = {True}
    falsy = {False}


class StrictDate(fields.Date):
    """An ISO 8601 calendar date (YYYY-MM-DD) that exists."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> date:
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValidationError("Not a valid date; use YYYY-MM-DD.")
        return super()._deserialize(value, attr, data, **kwargs)


class EvidenceSchema(Schema):
    class Meta:
        unknown = RAISE

    document_ref = Text(required=True, max_length=200)
    sha256 = Text(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    title = Text(max_length=200)


def _shaped(is_valid: Any, message: str) -> Any:
    """Return a validator that refuses with ``message`` and never echoes the value."""

    def validator(value: str) -> None:
        if not is_valid(value):
            raise ValidationError(message)

    return validator


class RegisterChildSchema(Schema):
    class Meta:
        unknown = RAISE

    date_of_birth = StrictDate(required=True)
    authority = Text(max_length=40)
    case_ref = Text(max_length=60)
    sex = Text(validate=validate.OneOf(["F", "M", "U"]))
    ethnicity = Text(max_length=8)
    occurred_on = StrictDate()
    # Identifiers: kept in the personal-data vault, never in events (docs/decisions/0006).
    # Error messages never repeat the value given.
    given_name = Text(max_length=100)
    family_name = Text(max_length=100)
    address = Text(max_length=400)
    postcode = Text(max_length=10, validate=_shaped(postcode_is_valid, "is not a UK postcode"))
    upn = Text(max_length=13, validate=_shaped(
        upn_is_valid, "is not a UPN (check letter, 12 characters, valid check letter)"))
    uln = Text(max_length=10, validate=_shaped(uln_is_valid, "is not a ULN (10 digits with "
                                                            "a valid check digit)"))
    nhs_number = Text(max_length=12, validate=_shaped(
        nhs_number_is_valid, "is not an NHS number (10 digits with a valid check digit)"))

    @post_load
    def normalise_identifiers(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if "postcode" in data:
            data["postcode"] = normal_postcode(data["postcode"])
        if "nhs_number" in data:
            data["nhs_number"] = normal_nhs_number(data["nhs_number"])
        return data


def _created_field(kind: RecordKind) -> fields.Field:
    description = f"the id of {kind.description}"
    if kind.many:
        return fields.List(fields.String(), metadata={"description": description + " (each "
                                                       "one the event opened)"})
    return fields.String(metadata={"description": description})


# The ids a write created, one property per kind of record the domain declares.
CreatedSchema = Schema.from_dict(
    {answer_key(kind): _created_field(kind) for kind in RECORD_KINDS.values()},
    name="Created")


class WriteResultSchema(Schema):
    child_id = fields.UUID(required=True)
    version = fields.Integer(required=True)
    position = fields.Integer(required=True)
    event = fields.Dict(required=True)
    clocks = fields.List(fields.Dict(), required=True)
    created = fields.Nested(CreatedSchema, required=True, metadata={
        "description": "the ids of the records the event opened, to name them in later "
                       "events (empty when it opened none)",
        "example": {"advice_request_id": "advice-7"}})


# The Created properties in the schema's order, and whether each holds a list of ids.
_CREATED_FIELDS = [(name, isinstance(field, fields.List))
                   for name, field in CreatedSchema._declared_fields.items()]  # noqa: SLF001


def write_answer(result: Any) -> dict[str, Any]:
    """Return ``WriteResultSchema().dump(result)`` built directly: every write answers with
    it, and marshmallow's dump cost ~35 us a request (the schema still documents the answer;
    tests/e2e/test_recording.py holds the two equal, key order included)."""

    def text(value: Any) -> str | None:
        return None if value is None else str(value)

    created = result.created
    return {
        "child_id": text(result.child_id),
        "version": None if result.version is None else int(result.version),
        "position": None if result.position is None else int(result.position),
        "event": None if result.event is None else dict(result.event),
        "clocks": None if result.clocks is None else [
            None if clock is None else dict(clock) for clock in result.clocks],
        "created": None if created is None else {
            name: (None if created[name] is None else [text(i) for i in created[name]])
            if many else text(created[name])
            for name, many in _CREATED_FIELDS if name in created},
    }


class JourneySchema(Schema):
    child_id = fields.UUID(required=True)
    version = fields.Integer(required=True)
    authority = fields.String(required=True)
    case_ref = fields.String(allow_none=True)
    date_of_birth = fields.Date(required=True)
    status = fields.String(required=True)
    stage = fields.String(required=True)
    as_at = fields.Date(allow_none=True)
    known_at = fields.DateTime(allow_none=True)
    clocks = fields.List(fields.Dict(), required=True)
    next_due = fields.Dict(allow_none=True)
    anomalies = fields.List(fields.Dict(), required=True)
    episodes = fields.Dict(required=True)


def _field_for(annotation: Any, *, required: bool) -> fields.Field:
    origin = typing.get_origin(annotation)
    allow_none = False
    if origin in (types.UnionType, typing.Union):
        arms = [a for a in typing.get_args(annotation) if a is not type(None)]
        allow_none = len(arms) < len(typing.get_args(annotation))
        annotation = arms[0] if len(arms) == 1 else Any
        origin = typing.get_origin(annotation)
    options: dict[str, Any] = {"required": required, "allow_none": allow_none}
    if origin is typing.Literal:
        choices = list(typing.get_args(annotation))
        if all(isinstance(c, str) for c in choices):
            return Text(validate=validate.OneOf(choices), **options)
        if all(isinstance(c, int) and not isinstance(c, bool) for c in choices):
            return fields.Integer(strict=True, validate=validate.OneOf(choices), **options)
        return fields.Raw(validate=validate.OneOf(choices), **options)
    if origin in (list, tuple):
        (item,) = typing.get_args(annotation) or (Any,)
        return fields.List(_field_for(item, required=True), **options)
    if origin is dict or annotation is dict:
        return fields.Dict(keys=Text(max_length=100), validate=_safe_nested, **options)
    if annotation is date:
        return StrictDate(**options)
    if annotation is bool:
        return StrictBoolean(**options)
    if annotation is int:
        return fields.Integer(strict=True, **options)
    if annotation is float:
        return fields.Float(**options)
    if annotation is str:
        return Text(**options)
    return fields.Raw(validate=_safe_nested, **options)


class CodeOf(Validator):  # type: ignore[misc]
    """A code of one of the domain's code lists (``domain.code_lists``): its ``choices``
    are the field's enum in the OpenAPI description, and a refusal names the list."""

    def __init__(self, code_list: CodeList) -> None:
        self.code_list = code_list

    @property
    def choices(self) -> list[str]:
        return self.code_list.codes()

    def refusal(self, value: Any) -> str:
        shown = repr(value)[:60]
        if self.code_list.served_at is not None:
            return (f"{shown} is not a code of the {self.code_list.name} list in any version "
                    f"(its codes: {self.code_list.served_at})")
        return (f"{shown} is not a code of the {self.code_list.name} list; one of: "
                + ", ".join(self.choices))

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, str) or value not in self.code_list.codes():
            raise ValidationError(self.refusal(value))
        return value


class CodesInside(Validator):  # type: ignore[misc]
    """Codes of one list at a place inside a nested value (``CodeField.at``)."""

    def __init__(self, code_field: CodeField) -> None:
        self.at = code_field.at
        self.code = CodeOf(code_field.code_list)

    def __call__(self, value: Any) -> Any:
        for code in codes_at(value, self.at):
            self.code(code)
        return value


def _code_property(code_list: CodeList) -> dict[str, Any]:
    return {"type": "string", "enum": code_list.codes(), "description": code_list.what()}


def _nested_property(at: tuple[str, ...], leaf: dict[str, Any]) -> dict[str, Any]:
    """Return the JSON schema of a value whose codes sit ``at`` a place inside it."""
    if not at:
        return leaf
    if at[0] == "*":
        return {"type": "array", "items": _nested_property(at[1:], leaf)}
    return {"type": "object", "properties": {at[0]: _nested_property(at[1:], leaf)}}


def _merged(into: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Return the JSON schema ``into`` with ``extra`` merged in (properties and items
    merged one by one, so two lists inside one value both show)."""
    merged = dict(into)
    for key, value in extra.items():
        if key == "properties" and key in merged:
            merged[key] = {name: _merged(merged[key].get(name, {}), value.get(name, {}))
                           for name in merged[key] | value}
        elif key == "items" and key in merged:
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def _with_codes(field: fields.Field, code_fields: list[CodeField]) -> fields.Field:
    """Add each declared code list to ``field``: its check, enum and description."""
    for code_field in code_fields:
        target, at = field, code_field.at
        if at[:1] == ("*",) and isinstance(field, fields.List):
            target, at = field.inner, at[1:]
        if at:
            field.validators.append(CodesInside(code_field))
            inside = _nested_property(at, _code_property(code_field.code_list))
            target.metadata = _merged(dict(target.metadata),
                                      {"properties": inside["properties"]})
            continue
        target.validators.append(CodeOf(code_field.code_list))
        target.metadata = {**target.metadata, "description": code_field.code_list.what()}
    return field


@cache
def event_schema(cls: type[JourneyEvent]) -> type[Schema]:
    """Return the request schema for one event type: its fields typed from the domain's
    annotations, each code field checked against, and described by, its declared list."""
    attrs: dict[str, Any] = {
        "type": Text(required=True, validate=validate.Equal(cls.__name__)),
        "occurred_on": StrictDate(required=True),
        "evidence": fields.List(fields.Nested(EvidenceSchema), load_default=list),
        "Meta": type("Meta", (), {"unknown": RAISE}),
    }
    for name, (annotation, required) in payload_fields(cls).items():
        shape = shape_of(cls, name)
        if shape is not None:
            # A documented shape checks its own codes where they sit (web.plan_sections).
            attrs[name] = _shaped_field(shape.name, required=required)
            continue
        attrs[name] = _with_codes(_field_for(annotation, required=required),
                                  [c for c in code_fields(cls) if c.field == name])
    return type(f"{cls.__name__}Schema", (Schema,), attrs)


@cache
def event_request_schema(cls: type[JourneyEvent]) -> Schema:
    """Return the one instance of ``event_schema(cls)`` every request loads with (building
    a schema's fields costs more than loading a body; loading keeps no state on it)."""
    return event_schema(cls)()


def _shaped_field(shape: str, *, required: bool) -> fields.Field:
    """Return the request field of a value with the documented shape ``shape``."""
    # Imported here: web.plan_sections builds on this module's fields.
    from web.plan_sections import plan_sections_field

    if shape != "plan_sections":
        raise LookupError(f"no request schema for the shape {shape!r}")
    return plan_sections_field(required=required)


@cache
def partial_schema(cls: type[JourneyEvent]) -> Schema:
    """Return a schema loading any subset of an event type's fields (for corrections)."""
    schema_cls = event_schema(cls)
    # Partial at the top only: a corrected field is given whole (plan sections' items
    # keep their required keys).
    return schema_cls(partial=tuple(schema_cls._declared_fields))  # noqa: SLF001


def recordable_types() -> list[str]:
    return sorted(name for name, cls in EVENT_TYPES.items() if name != "ChildRegistered"
                  and getattr(cls, "via_events_endpoint", True))
