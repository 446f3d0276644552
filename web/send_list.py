"""The 2023 area SEND framework's lists over HTTP (issue 13.6).

``GET /reports/send-list`` (JSON) and ``/reports/send-list.csv``: every child and young
person with SEND as at a date, for the authority's managers and auditors, pseudonymised
for inspectors of an active inspection. ``GET /reports/send-list/contacts``: families'
contact details for the inspectorate's survey, managers only, with a stated purpose, each
child recorded in the access log. ``GET /inspections/{id}/bundles``: the case bundle of
every child in an inspection's sample, on demand.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from application.send_list import THEMES, send_list, send_list_csv, survey_contacts
from web.openapi import parameters, problems
from web.requests import authority_asked, current_actor
from web.security import PURPOSE_PARAMETERS, stated_purpose
from web.services import services

blp = Blueprint("send_list", __name__, description="The area SEND framework's lists: all "
                "children and young people with SEND, survey contacts, sampled bundles")


class SendListQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    authority = fields.String(validate=validate.Length(max=40), metadata={
        "description": "defaults to the caller's organisation"})
    as_at = fields.Date(metadata={"description": "the list as journeys stood on this day "
                                                 "(default today)"})
    theme = fields.String(load_default="all", validate=validate.OneOf(THEMES), metadata={
        "description": "all, or one cut of the list (sen_support, out_of_area, ...)"})


class SendListSchema(Schema):
    authority = fields.String(required=True)
    as_at = fields.Date(required=True)
    theme = fields.String(required=True)
    pseudonymous = fields.Boolean(required=True)
    total = fields.Integer(required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    items = fields.List(fields.Dict(), required=True, metadata={
        "description": "one row per child: send_status (ehc_plan, assessment_in_progress, "
                       "sen_support), age, year group, need, setting, out of area, "
                       "alternative provision, EOTAS, not in school, themes"})


class ContactsSchema(Schema):
    authority = fields.String(required=True)
    as_at = fields.Date(required=True)
    theme = fields.String(required=True)
    purpose = fields.String(required=True)
    total = fields.Integer(required=True)
    items = fields.List(fields.Dict(), required=True)


class SampleBundlesQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    as_at = fields.Date(metadata={"description": "the bundles as things stood on this date"})


class SampleBundlesSchema(Schema):
    inspection_id = fields.UUID(required=True)
    bundles = fields.List(fields.Dict(), required=True, metadata={
        "description": "each sampled child's id, bundle links and case bundle"})


def _tracking() -> Any:
    return services().tracking


def _answer(query: dict[str, Any]) -> dict[str, Any]:
    actor = current_actor()
    context = services().reports
    return send_list(_tracking(), authority_asked(query), actor=actor,
                     as_at=query.get("as_at") or _tracking().today(), theme=query["theme"],
                     inspecting=context.inspecting, pseudonym=context.pseudonym)


@blp.route("/reports/send-list")
class SendList(MethodView):
    @blp.arguments(SendListQuerySchema, location="query")
    @blp.response(200, SendListSchema)
    @problems(blp, 401, 403, 422, 500)
    def get(self, query: dict[str, Any]) -> Any:
        """List every child and young person with SEND as at a day: EHC plans, SEN
        Support, assessments in progress, those educated out of area or in alternative
        provision (pseudonymised for inspectors)."""
        return _answer(query), 200, {"Cache-Control": "no-store"}


@blp.route("/reports/send-list.csv")
class SendListCsv(MethodView):
    @blp.arguments(SendListQuerySchema, location="query")
    @blp.response(200, content_type="text/csv", description="the list as CSV")
    @problems(blp, 401, 403, 422, 500)
    def get(self, query: dict[str, Any]) -> Response:
        """The same list as CSV, one row per child."""
        return Response(send_list_csv(_answer(query)), 200, mimetype="text/csv",
                        headers={"Cache-Control": "no-store",
                                 "Content-Disposition": "attachment; filename=send-list.csv"})


@blp.route("/reports/send-list/contacts")
class SurveyContacts(MethodView):
    @blp.arguments(SendListQuerySchema, location="query")
    @blp.response(200, ContactsSchema)
    @parameters(blp, PURPOSE_PARAMETERS)
    @problems(blp, 401, 403, 422, 500)
    def get(self, query: dict[str, Any]) -> Any:
        """Families' contact details for the inspectorate's survey: the authority's
        managers only, with a stated purpose; every child exported is logged."""
        from web.security import record_look

        actor = current_actor()
        answer = survey_contacts(
            _tracking(), authority_asked(query), actor=actor,
            as_at=query.get("as_at") or _tracking().today(), theme=query["theme"],
            purpose=stated_purpose(),
            record_look=lambda child_id: record_look(child_id, "contacts"))
        return answer, 200, {"Cache-Control": "no-store"}


@blp.route("/inspections/<uuid:inspection_id>/bundles")
class SampleBundles(MethodView):
    @blp.arguments(SampleBundlesQuerySchema, location="query")
    @blp.response(200, SampleBundlesSchema)
    @problems(blp, 401, 403, 404, 422, 500)
    def get(self, query: dict[str, Any], inspection_id: UUID) -> Any:
        """The case bundle of every child in the inspection's sample, ready on demand."""
        from application.bundles import case_bundle
        from application.inspections import get_inspection
        from web.security import record_look

        actor = current_actor()
        inspection = get_inspection(_tracking(), inspection_id, actor=actor)
        bundles = []
        for child in inspection["sample"]:
            child_id = UUID(child)
            bundle = case_bundle(_tracking(), child_id, actor=actor, as_at=query.get("as_at"))
            record_look(child_id, "bundle")
            bundles.append({"child_id": child, "bundle_url": f"/children/{child}/bundle",
                            "html_url": f"/children/{child}/bundle.html", "bundle": bundle})
        return {"inspection_id": inspection_id, "bundles": bundles}, 200, {
            "Cache-Control": "no-store"}
