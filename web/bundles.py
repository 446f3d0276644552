"""The case bundle of one child: JSON, and a printable HTML report a parent can read."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields

from application.bundles import case_bundle
from application.parent_page import parent_page
from web.openapi import problems
from web.pages import parent_page_html
from web.requests import current_actor
from web.security import record_admitted_look
from web.services import services

blp = Blueprint("bundles", __name__, url_prefix="/children",
                description="A tracked child's case bundle (JSON and printable HTML)")


class BundleQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    as_at = fields.Date(metadata={"description": "the bundle as things stood on this date "
                                                 "(default: today)"})


class BundleSchema(Schema):
    child = fields.Dict(required=True)
    as_at = fields.Date(required=True)
    requests = fields.List(fields.Dict(), required=True)
    plan_versions = fields.List(fields.Dict(), required=True,
                                metadata={"description": "every version with its sections"})
    drafts = fields.List(fields.Dict(), required=True)
    advice = fields.List(fields.Dict(), required=True,
                         metadata={"description": "each advice request, due date, days late"})
    adopted_advice = fields.List(fields.Dict(), required=True)
    reviews = fields.Dict(required=True)
    disputes = fields.Dict(required=True)
    health = fields.Dict(required=True)
    placements = fields.List(fields.Dict(), required=True)
    out_of_school = fields.List(fields.Dict(), required=True)
    needs = fields.List(fields.Dict(), required=True)
    voice = fields.Dict(required=True)
    delays = fields.List(fields.Dict(), required=True,
                         metadata={"description": "every late step and who was responsible"})
    clocks = fields.List(fields.Dict(), required=True)
    next_due = fields.Dict(allow_none=True, metadata={
        "description": "the open clock due soonest (as on the journey), or null"})
    assignment = fields.Dict(allow_none=True, metadata={
        "description": "the caseworker holding the case, or null"})
    school = fields.String(allow_none=True, metadata={
        "description": "the school or college section I of the plan names, or null"})
    anomalies = fields.List(fields.Dict(), required=True)
    timeline = fields.List(fields.Dict(), required=True)
    documents = fields.List(fields.Dict(), required=True, metadata={
        "description": "the documents attached to the journey's events (in force), each "
                       "with the event's version and type"})


def _bundle(child_id: UUID, query: dict[str, Any]) -> dict[str, Any]:
    return case_bundle(services().tracking, child_id, actor=current_actor(),
                       as_at=query.get("as_at"), admitted=record_admitted_look)


@blp.route("/<uuid:child_id>/bundle")
class Bundle(MethodView):
    @blp.arguments(BundleQuerySchema, location="query")
    @blp.response(200, BundleSchema)
    @problems(blp, 401, 403, 404, 422, 500)
    def get(self, query: dict[str, Any], child_id: UUID) -> Any:
        """Return the child's case bundle: journey, plans, advice, reviews, disputes,
        health waits, placements, the family's voice and every delay with its body."""
        return _bundle(child_id, query), 200, {"Cache-Control": "no-store"}


@blp.route("/<uuid:child_id>/bundle.html")
class BundleHtml(MethodView):
    @blp.arguments(BundleQuerySchema, location="query")
    @blp.response(200, content_type="text/html",
                  description="the bundle as a printable page for the family")
    @problems(blp, 401, 403, 404, 422, 500)
    def get(self, query: dict[str, Any], child_id: UUID) -> Response:
        """Return the case bundle as a printable HTML report written for a parent."""
        settings = services().settings
        contacts = {"sendias_name": settings.sendias_name,
                    "sendias_contact": settings.sendias_contact}
        page = parent_page(_bundle(child_id, query), contacts)
        return Response(parent_page_html(page), 200, mimetype="text/html",
                        headers={"Cache-Control": "no-store"})
