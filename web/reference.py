"""The code lists at run time (issue 15): what domain/reference.py holds, served as it is.

``GET /reference`` names the lists and their versions; ``GET /reference/{list}?on=DATE``
answers the version in force on a day with each code's label. Any signed-in role may read
them: they are public DfE code lists and carry nothing about anyone. The lists are never
copied here: every answer reads ``domain.reference``.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields

from domain.reference import (
    REFERENCE_VERSIONS,
    in_force_until,
    list_names,
    list_path,
    reference_on,
)
from web.openapi import problems
from web.problems import Problem
from web.services import services

blp = Blueprint("reference", __name__, url_prefix="/reference",
                description="The code lists (needs, settings, sources, ...) and their versions")


class ListVersionSchema(Schema):
    version = fields.String(required=True, metadata={"example": "2025.1"})
    in_force_from = fields.Date(required=True)
    in_force_until = fields.Date(allow_none=True, required=True, metadata={
        "description": "the last day in force; null while it is the newest version"})


class ListSummarySchema(Schema):
    name = fields.String(required=True, metadata={"example": "needs"})
    path = fields.String(required=True, metadata={"example": "/reference/needs"})
    versions = fields.List(fields.Nested(ListVersionSchema), required=True)


class ListsSchema(Schema):
    lists = fields.List(fields.Nested(ListSummarySchema), required=True)


class CodeSchema(Schema):
    code = fields.String(required=True, metadata={"example": "SEMH"})
    label = fields.String(required=True,
                          metadata={"example": "Social, emotional and mental health"})


class CodeListSchema(ListVersionSchema):
    name = fields.String(required=True, metadata={"example": "needs"})
    on = fields.Date(required=True, metadata={"description": "the day asked about"})
    codes = fields.List(fields.Nested(CodeSchema), required=True)


class OnQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    on = fields.Date(metadata={"description": "the day whose version is wanted "
                                              "(default today)", "example": "2024-09-01"})


def _versions(name: str) -> list[dict[str, Any]]:
    return [{"version": ref.version, "in_force_from": ref.in_force_from,
             "in_force_until": in_force_until(ref)}
            for ref in REFERENCE_VERSIONS if name in ref.lists]


@blp.route("")
class ReferenceLists(MethodView):
    @blp.response(200, ListsSchema)
    @problems(blp, 401, 422, 500)
    def get(self) -> dict[str, Any]:
        """The code lists casetrack knows, each with its versions and where it is served."""
        return {"lists": [{"name": name, "path": list_path(name), "versions": _versions(name)}
                          for name in list_names()]}


@blp.route("/<string:list_name>")
class ReferenceList(MethodView):
    @blp.arguments(OnQuerySchema, location="query")
    @blp.response(200, CodeListSchema)
    @problems(blp, 401, 404, 422, 500)
    def get(self, query: dict[str, Any], list_name: str) -> dict[str, Any]:
        """The version of a code list in force on a day, each code with its label."""
        names = list_names()
        if list_name not in names:
            raise Problem(404, "unknown-reference-list", "No such code list",
                          f"{list_name[:60]!r} is not a code list; the lists are "
                          f"{', '.join(names)}", lists=list(names))
        on = query.get("on") or services().tracking.today()
        ref = reference_on(on)
        return {"name": list_name, "on": on, "version": ref.version,
                "in_force_from": ref.in_force_from, "in_force_until": in_force_until(ref),
                "codes": [{"code": code, "label": label}
                          for code, label in ref.lists.get(list_name, {}).items()]}
