"""Strict query strings: a parameter an endpoint does not take is refused, never ignored.

webargs loads query strings with ``unknown=EXCLUDE`` whatever a schema's ``Meta`` says, so
``?asat=2023-06-01`` used to answer today's journey and ``?stag=plan_issued`` every child.
One hook, for every endpoint, refuses any parameter the endpoint does not declare (in its
query schema or its documented parameters) with 422 naming it. The schemas' own
validators check the values: choices from the domain's registries (``OneOfNow``) and
ranges whose ends must be in order (``check_in_order``).
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Collection, Iterable
from functools import cache
from typing import Any

from flask import Flask, current_app
from marshmallow import Schema, ValidationError
from marshmallow.validate import Validator

from domain.catalogue.plan import PlacementStarted
from domain.events import payload_fields
from web.context import current_request
from web.problems import validation_problem

EXEMPT_ENDPOINTS = frozenset({"static"})


def init_app(app: Flask) -> None:
    """Refuse unknown query parameters before any view runs (after authentication)."""

    @app.before_request
    def refuse_unknown_parameters() -> None:
        asked = current_request()
        if not asked.args or asked.method == "OPTIONS" or asked.endpoint is None \
                or asked.endpoint in EXEMPT_ENDPOINTS:
            return
        known = declared_parameters(asked.endpoint, asked.method)
        unknown = sorted(set(asked.args) - known)
        if unknown:
            takes = ", ".join(sorted(known)) if known else "no query parameters"
            raise validation_problem(
                [{"pointer": f"/query/{name}",
                  "detail": f"unknown query parameter; this endpoint takes {takes}"}
                 for name in unknown],
                "The query string names a parameter this endpoint does not take.")


def declared_parameters(endpoint: str, method: str) -> frozenset[str]:
    """Return the query parameter names the endpoint's view declares for ``method``."""
    return _declared(current_app.view_functions[endpoint], method.upper())


@cache
def _declared(view: Callable[..., Any], method: str) -> frozenset[str]:
    view_class = getattr(view, "view_class", None)
    handler = view if view_class is None else getattr(
        view_class, "get" if method == "HEAD" else method.lower(), None)
    doc: dict[str, Any] = getattr(handler, "_apidoc", None) or {}
    names: set[str] = set()
    for parameter in doc.get("arguments", {}).get("parameters", []):
        if parameter.get("in") == "query":
            names.update(_schema_names(parameter["schema"]))
    for parameter in doc.get("manual_doc", {}).get("parameters", []):
        if parameter.get("in") == "query":
            names.add(parameter["name"])
    return frozenset(names)


def _schema_names(schema: Schema | type[Schema]) -> Iterable[str]:
    instance = schema() if isinstance(schema, type) else schema
    return [field.data_key or name for name, field in instance.fields.items()
            if not field.dump_only]


class OneOfNow(Validator):  # type: ignore[misc]
    """A choice among values read when used (the domain's registries fill on import), shown
    as the parameter's enum in the OpenAPI description."""

    def __init__(self, choices: Callable[[], Collection[str]], what: str) -> None:
        self._choices = choices
        self.what = what

    @property
    def choices(self) -> list[str]:
        return sorted(self._choices())

    def __call__(self, value: str) -> str:
        choices = self.choices
        if value not in choices:
            shown = ", ".join(choices[:40])
            raise ValidationError(f"is not a known {self.what}; one of: {shown}")
        return value


def check_in_order(data: dict[str, Any], earlier: str, later: str) -> None:
    """Refuse a range whose start comes after its end, naming the end."""
    start, end = data.get(earlier), data.get(later)
    if start is not None and end is not None and start > end:
        raise ValidationError(f"{later} must not be before {earlier}", later)


def placement_types() -> frozenset[str]:
    """Return the codes a placement's type can hold (PlacementStarted.sen_setting)."""
    annotation, _ = payload_fields(PlacementStarted)["sen_setting"]
    return frozenset(a for a in typing.get_args(typing.get_args(annotation)[0]))
