"""A schema's dump compiled to plain calls, for answers of thousands of nested objects
(a journey's timeline: GET /children/{id}/journey, issue 17).

``compiled(schema)`` returns a function giving what ``schema.dump(obj)`` gives for a
mapping: the same fields, each converted by the field's own ``_serialize`` (marshmallow's
conversion itself), keys absent from the object left out, nested schemas and lists the
same way; without marshmallow's per-object and per-field machinery, which was most of a
500-entry timeline's answer. Only field kinds whose dump is exactly their ``_serialize``
are compiled; any other kind (a method field, a renamed key, a dump default, a hook) is
refused when compiling, never dumped differently. ``DumpedList`` is a ``List(Nested(...))``
field dumped this way: the OpenAPI spec sees the list it always saw.
tests/e2e/test_dumping.py holds the two dumps equal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Response, current_app, jsonify
from marshmallow import Schema, fields, missing

from application.kept_views import KeptAnswer, KeptEntry

Dump = Callable[[Mapping[str, Any]], dict[str, Any]]
Convert = Callable[[Any], Any]

# Fields whose dump is their ``_serialize`` of the value alone (no attr or obj read).
_PLAIN = (fields.String, fields.Integer, fields.Float, fields.Boolean, fields.Date,
          fields.DateTime, fields.AwareDateTime, fields.NaiveDateTime, fields.UUID,
          fields.Raw)


def compiled(schema: Schema) -> Dump:
    """Return a function dumping a mapping as ``schema.dump`` does, or raise ``TypeError``
    naming the field it cannot mirror."""
    if any(schema._hooks.get(hook) for hook in ("pre_dump", "post_dump")):  # noqa: SLF001
        raise TypeError(f"{type(schema).__name__} has dump hooks")
    steps: list[tuple[str, Convert]] = []
    for name, field in schema.dump_fields.items():
        if field.data_key not in (None, name) or field.attribute not in (None, name) \
                or field.dump_default is not missing:
            raise TypeError(f"{type(schema).__name__}.{name} is renamed or has a default")
        steps.append((name, _converter(field, f"{type(schema).__name__}.{name}")))

    def dump(obj: Mapping[str, Any]) -> dict[str, Any]:
        return {name: convert(obj[name]) for name, convert in steps if name in obj}

    return dump


def _converter(field: fields.Field, where: str) -> Convert:
    if type(field) is fields.Nested and not field.many:
        inner = compiled(field.schema)
        return lambda value: None if value is None else inner(value)
    if type(field) in (fields.List, DumpedList):
        assert isinstance(field, fields.List)
        item = _converter(field.inner, where)
        return lambda value: None if value is None else [item(v) for v in value]
    if type(field) is fields.Dict and field.key_field is None and field.value_field is None:
        return lambda value: None if value is None else dict(value)
    if type(field) in _PLAIN:
        serialize = field._serialize  # noqa: SLF001
        return lambda value: serialize(value, None, None)
    raise TypeError(f"{where}: {type(field).__name__} is not compiled")


class DumpedList(fields.List):
    """``List(Nested(schema))`` dumped by ``compiled`` (same output, documented the same)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any
                   ) -> list[Any] | None:
        if value is None:
            return None
        dump = self.__dict__.get("_dump")
        if dump is None:
            dump = self.__dict__["_dump"] = _converter(self.inner, "DumpedList item")
        return [_kept_dump(item, dump) if type(item) is KeptEntry else dump(item)
                for item in value]


def _kept_dump(item: KeptEntry, dump: Convert) -> Any:
    """Dump an entry the timeline cache keeps (never changed once built): once per entry
    and converter, kept with the entry for the next answer."""
    derived = item.derived
    if derived is not None and derived[0] is dump:
        return derived[1]
    dumped = dump(item)
    item.derived = (dump, dumped)
    return dumped


def kept_json(answer: KeptAnswer, schema: Schema) -> Response:
    """Return the response flask-smorest's ``response(schema)`` gives for ``answer``
    (``jsonify(schema.dump(answer))``), dumped and encoded once per kept view and way of
    revealing it: every such answer is the same, so its bytes are too (kept in the view's
    ``derived`` by way, for this schema and this application's JSON provider)."""
    derived = answer.built.derived.get(answer.way)
    provider = current_app.json
    if derived is None or derived[0] is not schema or derived[1] is not provider:
        encoded = jsonify(schema.dump(answer))
        derived = (schema, provider, encoded.get_data(), encoded.content_type)
        answer.built.derived[answer.way] = derived
    return current_app.response_class(derived[2], content_type=derived[3])
