"""Area SEND inspections: open one, select the children it tracks, read it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate, validates_schema
from marshmallow.exceptions import ValidationError

from application.inspections import (
    get_inspection,
    list_inspections,
    open_inspection,
    select_children,
)
from application.sampling import DEFAULT_STRATA, DIMENSIONS
from application.send_list import THEMES
from domain.inspection import MAX_SELECTION
from web.openapi import problems
from web.requests import current_actor
from web.schemas import StrictDate, Text
from web.services import services

blp = Blueprint("inspections", __name__, url_prefix="/inspections",
                description="Area SEND inspections and the children they track")


class OpenInspectionSchema(Schema):
    class Meta:
        unknown = RAISE

    authority = Text(required=True, max_length=40)
    inspectorate = Text(max_length=100, metadata={
        "description": "whose inspectors read the sample (an inspector's own organisation "
                       "when an inspector opens it; required when a manager does)"})
    starts_on = StrictDate(required=True)
    ends_on = StrictDate(required=True, metadata={"description": "inclusive"})
    theme = Text(max_length=200)

    @validates_schema
    def _window_in_order(self, data: dict[str, Any], **_: Any) -> None:
        if "starts_on" in data and "ends_on" in data and data["ends_on"] < data["starts_on"]:
            raise ValidationError("ends_on is before starts_on", "ends_on")


class DrawSchema(Schema):
    """A stratified random draw (issue 7; application/sampling.py)."""

    class Meta:
        unknown = RAISE

    seed = fields.String(required=True, validate=validate.Length(min=1, max=100),
                         metadata={"description": "the same seed, parameters and population "
                                                  "draw the same children"})
    size = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_SELECTION))
    strata = fields.List(fields.String(validate=validate.OneOf(DIMENSIONS)),
                         load_default=list(DEFAULT_STRATA), validate=validate.Length(min=1))
    from_list = fields.String(validate=validate.OneOf(THEMES), metadata={
        "description": "draw from the framework's SEND list as at the day (SEN Support "
                       "included), cut by this theme; all: the whole list"})
    allocation = fields.Raw(load_default="proportional", metadata={
        "description": "proportional, equal, or {stratum label: count}"})
    as_at = fields.Date(metadata={"description": "strata as journeys stood on this date"})

    @validates_schema
    def _allocation_shape(self, data: dict[str, Any], **_: Any) -> None:
        allocation = data.get("allocation")
        if isinstance(allocation, str) and allocation in ("proportional", "equal"):
            return
        if isinstance(allocation, dict) and all(
                isinstance(k, str) and isinstance(v, int) and v >= 0
                for k, v in allocation.items()):
            return
        raise ValidationError("proportional, equal, or {stratum label: count}", "allocation")


class SelectChildrenSchema(Schema):
    class Meta:
        unknown = RAISE

    child_ids = fields.List(fields.UUID(), validate=validate.Length(min=1, max=MAX_SELECTION))
    draw = fields.Nested(DrawSchema, metadata={
        "description": "select by stratified random draw instead of naming child_ids"})
    theme = Text(max_length=200, metadata={"description": "the case-sampling theme"})

    @validates_schema
    def _ids_or_draw(self, data: dict[str, Any], **_: Any) -> None:
        if ("child_ids" in data) == ("draw" in data):
            raise ValidationError("give child_ids or a draw, not both", "child_ids")


class SelectionSchema(Schema):
    child_ids = fields.List(fields.UUID(), required=True)
    theme = fields.String(allow_none=True)
    method = fields.String(required=True, metadata={"description": "explicit or "
                                                                   "stratified_random"})
    parameters = fields.Dict(required=True)
    selected_by = fields.Dict(required=True)


class InspectionSchema(Schema):
    inspection_id = fields.UUID(required=True)
    authority = fields.String(required=True)
    inspectorate = fields.String(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    theme = fields.String(allow_none=True)
    active = fields.Boolean(required=True)
    version = fields.Integer(required=True)
    opened_by = fields.Dict(required=True)
    sample = fields.List(fields.UUID(), required=True)
    selections = fields.List(fields.Nested(SelectionSchema), required=True)


class InspectionListQuery(Schema):
    class Meta:
        unknown = RAISE

    authority = Text(required=True, max_length=40, metadata={
        "description": "the inspected authority"})


class InspectionListSchema(Schema):
    authority = fields.String(required=True)
    items = fields.List(fields.Nested(InspectionSchema), required=True)


def _tracking() -> Any:
    return services().tracking


@blp.route("")
class Inspections(MethodView):
    @blp.arguments(InspectionListQuery, location="query")
    @blp.response(200, InspectionListSchema)
    @problems(blp, 401, 403, 422, 500)
    def get(self, query: dict[str, Any]) -> Any:
        """List the inspections of an authority, newest first: for its managers, auditors,
        and inspectors (their own inspectorate's)."""
        return list_inspections(_tracking(), query["authority"], actor=current_actor())

    @blp.arguments(OpenInspectionSchema)
    @blp.response(201, InspectionSchema)
    @problems(blp, 400, 401, 403, 409, 413, 422, 500)
    def post(self, data: dict[str, Any]) -> Any:
        """Open an inspection of an authority over a window of dates."""
        view = open_inspection(_tracking(), actor=current_actor(), **data)
        return view, 201, {"Location": f"/inspections/{view['inspection_id']}"}


@blp.route("/<uuid:inspection_id>/sample")
class Sample(MethodView):
    @blp.arguments(SelectChildrenSchema)
    @blp.response(200, InspectionSchema)
    @problems(blp, 400, 401, 403, 404, 409, 413, 422, 500)
    def post(self, data: dict[str, Any], inspection_id: UUID) -> Any:
        """Select children of the inspected authority into the sample, by id or by a
        stratified random draw recorded with its seed and parameters."""
        if "draw" in data:
            from application.sampling import draw_sample

            return draw_sample(_tracking(), inspection_id, actor=current_actor(),
                               theme=data.get("theme"), **data["draw"])
        return select_children(_tracking(), inspection_id, data["child_ids"],
                               actor=current_actor(), theme=data.get("theme"))


@blp.route("/<uuid:inspection_id>")
class Inspection(MethodView):
    @blp.response(200, InspectionSchema)
    @problems(blp, 401, 403, 404, 500)
    def get(self, inspection_id: UUID) -> Any:
        """Return the inspection, its window and its sample."""
        return get_inspection(_tracking(), inspection_id, actor=current_actor())
