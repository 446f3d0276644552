"""Thematic and cohort questions and the area picture over HTTP (issue 7).

``GET /reports/{question}`` answers one of ``application.reports.QUESTIONS`` for a cohort
as at a date; ``GET /reports/area`` gives the authority's headline figures for a year.
Managers and auditors ask of their own authority; inspectors of an authority under an
active inspection by their inspectorate, and see children only by pseudonym.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate, validates_schema

from application.queries import AGE_BANDS
from application.reports import (
    QUESTIONS,
    Cohort,
    UnknownReportError,
    area,
    ask,
)
from domain.reference import codes_ever
from web.openapi import problems
from web.problems import Problem, validation_problem
from web.query_strings import OneOfNow, check_in_order, placement_types
from web.requests import authority_asked, current_actor, read_model_answer
from web.schemas import MAX_INTEGER
from web.services import services

blp = Blueprint("reports", __name__, url_prefix="/reports",
                description="Thematic and cohort questions, and the area picture")

DIMENSIONS = sorted({d for q in QUESTIONS.values() for d in q.dimensions})


class CohortQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    authority = fields.String(validate=validate.Length(max=40), metadata={
        "description": "defaults to the caller's organisation"})
    as_at = fields.Date(metadata={"description": "the day the question is asked as at "
                                                 "(default today)"})
    period_from = fields.Date()
    period_to = fields.Date()
    primary_need = fields.String(validate=OneOfNow(lambda: codes_ever("needs"),
                                                   "primary need code"))
    age_band = fields.String(validate=validate.OneOf(list(AGE_BANDS)))
    sex = fields.String(validate=validate.OneOf(["F", "M", "U"]))
    ethnicity = fields.String(validate=validate.Length(max=20))
    setting_type = fields.String(validate=OneOfNow(
        lambda: codes_ever("setting_types") | placement_types(), "setting type code"))
    requester = fields.String(validate=OneOfNow(lambda: codes_ever("requester_roles"),
                                                "requester role"))
    looked_after = fields.String(validate=validate.OneOf(["yes", "no"]), metadata={
        "description": "looked after by a local authority as at the day "
                       "(Children Act 1989 s.22(1))"})
    breakdown = fields.String(validate=validate.OneOf(DIMENSIONS))
    consistent_after = fields.Integer(validate=validate.Range(min=0, max=MAX_INTEGER), metadata={
        "description": "wait (bounded) until the read models include this log position"})

    @validates_schema
    def _period_in_order(self, data: dict[str, Any], **_: Any) -> None:
        check_in_order(data, "period_from", "period_to")


class AreaQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    authority = fields.String(validate=validate.Length(max=40))
    year = fields.Integer(required=True, validate=validate.Range(min=2014, max=2100))
    as_at = fields.Date()
    census_on = fields.Date(metadata={"description": "the SEN2 census day for active plans "
                                                     "(default: third Thursday of January "
                                                     "after the year)"})
    consistent_after = fields.Integer(validate=validate.Range(min=0, max=MAX_INTEGER))


class FigureSchema(Schema):
    count = fields.Integer(required=True)
    children_count = fields.Integer(required=True)
    children = fields.List(fields.String(), required=True, metadata={
        "description": "child ids (pseudonyms for inspectors)"})
    measures = fields.Dict(keys=fields.String(), values=fields.Dict(), required=True)
    values = fields.Dict(keys=fields.String(), values=fields.Dict(), required=True)


class GroupSchema(FigureSchema):
    key = fields.Raw(allow_none=True, metadata={
        "description": "the group's value; 'not_recorded' when a child fact (need, sex, "
                       "ethnicity, setting type, requester) is not on the record; null "
                       "where the question's own dimension means none"})


class ReportSchema(Schema):
    question = fields.String(required=True)
    title = fields.String(required=True)
    authority = fields.String(required=True)
    as_at = fields.Date(required=True)
    period_from = fields.Date(allow_none=True)
    period_to = fields.Date(allow_none=True)
    filters = fields.Dict(required=True)
    breakdown = fields.String(allow_none=True)
    pseudonymous = fields.Boolean(required=True)
    total = fields.Nested(FigureSchema, required=True)
    groups = fields.List(fields.Nested(GroupSchema), required=True)
    position = fields.Integer(required=True)


class AreaSchema(Schema):
    authority = fields.String(required=True)
    year = fields.Integer(required=True)
    as_at = fields.Date(required=True)
    census_on = fields.Date(required=True)
    pseudonymous = fields.Boolean(required=True)
    requests = fields.Dict(required=True)
    assessments = fields.Dict(required=True)
    new_plans = fields.Dict(required=True)
    active_plans = fields.Dict(required=True)
    ceased_plans = fields.Dict(required=True)
    delays = fields.Dict(required=True)
    position = fields.Integer(required=True)


@blp.route("/area")
class AreaPicture(MethodView):
    @blp.arguments(AreaQuerySchema, location="query")
    @blp.response(200, AreaSchema)
    @problems(blp, 401, 403, 422, 500, 503)
    def get(self, query: dict[str, Any]) -> Any:
        """The area picture: DfE's headline figures for an authority and a year, with each
        responsible body's part of every delay."""
        actor = current_actor()
        tracking = services().tracking
        result = area(services().reports, authority_asked(query),
                      query["year"], actor=actor, as_at=query.get("as_at", tracking.today()),
                      census_on=query.get("census_on"),
                      consistent_after=query.get("consistent_after"))
        return read_model_answer(result)


@blp.route("/<string:question>")
class Report(MethodView):
    @blp.arguments(CohortQuerySchema, location="query")
    @blp.response(200, ReportSchema)
    @problems(blp, 401, 403, 404, 422, 500, 503)
    def get(self, query: dict[str, Any], question: str) -> Any:
        """Answer a thematic question (timeliness, exceptions, decisions, advice,
        reviews-overdue, review-decisions, phase-transfers, tribunal-orders, health-waits,
        placements, disputes, ceased, personal-budgets, equality, corrections,
        refusals-overturned, section-f-quality, health-advice, transfers,
        placement-sufficiency, adulthood)."""
        if question not in QUESTIONS:
            raise Problem(404, "unknown-report-question", "No such report question",
                          f"{question[:60]!r} is not a report question; the questions are "
                          f"{', '.join(sorted(QUESTIONS))}", questions=sorted(QUESTIONS))
        actor = current_actor()
        tracking = services().tracking
        consistent_after = query.pop("consistent_after", None)
        cohort = Cohort(authority=authority_asked(query),
                        as_at=query.pop("as_at", tracking.today()), **query)
        try:
            result = ask(services().reports, question, cohort, actor=actor,
                         consistent_after=consistent_after)
        except UnknownReportError as error:
            raise validation_problem([{"pointer": "/query/breakdown",
                                       "detail": str(error)}]) from None
        return read_model_answer(result)
