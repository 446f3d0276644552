"""``GET /exports/sen2`` and ``GET /exports/sen2/checks``: an authority's SEN2 return for a
collection year, and its pre-submission checks (managers of the authority only)."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from application.sen2 import (
    MissingLANumberError,
    Sen2Policy,
    Sen2Return,
    check_return,
    sen2_return,
    to_xml,
)
from application.sen2.checks import summary
from application.sen2.years import years
from web.config import sen2_la_numbers
from web.openapi import problems
from web.problems import Problem
from web.requests import authority_asked, current_actor
from web.schemas import Text
from web.services import services

blp = Blueprint("exports", __name__, url_prefix="/exports",
                description="Statutory returns computed from the journeys")


class Sen2ChecksQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    year = fields.Integer(required=True, validate=validate.OneOf(years()),
                          metadata={"description": "the collection year: census in January "
                                                   "of it, activity in the year before; one "
                                                   "casetrack has a specification for"})
    authority = Text(max_length=40, metadata={
        "description": "defaults to the caller's organisation; inspectors name one"})


class Sen2QuerySchema(Sen2ChecksQuerySchema):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "xml"]))


def _return(query: dict[str, Any]) -> Sen2Return:
    query["authority"] = authority_asked(query)
    policy = Sen2Policy(la_numbers=sen2_la_numbers())
    try:
        return sen2_return(services().tracking, year=query["year"],
                           authority=query["authority"], actor=current_actor(),
                           policy=policy)
    except MissingLANumberError as error:
        raise Problem(409, "sen2-la-number-required", "No DfE LA number configured",
                      str(error), code=MissingLANumberError.code) from None


@blp.route("/sen2")
class Sen2(MethodView):
    @blp.arguments(Sen2QuerySchema, location="query")
    @blp.response(200, content_type="application/json",
                  description="the return as JSON (header, persons, summary) or SEN2 XML")
    @problems(blp, 401, 403, 409, 422, 500)
    def get(self, query: dict[str, Any]) -> Response:
        """Compute the SEN2 return (managers of the authority only: it holds identifiers)."""
        result = _return(query)
        if query["format"] == "xml":
            authority = re.sub(r"[^A-Za-z0-9_-]", "_", query["authority"])
            name = f"sen2-{authority}-{query['year']}.xml"
            return Response(to_xml(result), 200, mimetype="application/xml",
                            headers={"Cache-Control": "no-store",
                                     "Content-Disposition": f'attachment; filename="{name}"'})
        return Response(json.dumps(result.as_dict(), default=str), 200,
                        mimetype="application/json", headers={"Cache-Control": "no-store"})


@blp.route("/sen2/checks")
class Sen2Checks(MethodView):
    @blp.arguments(Sen2ChecksQuerySchema, location="query")
    @blp.response(200, content_type="application/json",
                  description="errors and queries per child, item and rule")
    @problems(blp, 401, 403, 409, 422, 500)
    def get(self, query: dict[str, Any]) -> Response:
        """Run the pre-submission checks on the return (managers of the authority only)."""
        findings = check_return(_return(query).as_dict())
        body = {"year": query["year"], "authority": query["authority"],
                **summary(findings), "findings": [f.as_dict() for f in findings]}
        return Response(json.dumps(body), 200, mimetype="application/json",
                        headers={"Cache-Control": "no-store"})
