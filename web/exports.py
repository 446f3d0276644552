"""``GET /exports/sen2``: the person-level SEN2 return of an authority for a year."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from application.sen2 import sen2_return, to_xml
from web.openapi import problems
from web.requests import current_actor
from web.schemas import Text

blp = Blueprint("exports", __name__, url_prefix="/exports",
                description="Statutory returns computed from the journeys")


class Sen2QuerySchema(Schema):
    class Meta:
        unknown = RAISE

    year = fields.Integer(required=True, validate=validate.Range(min=2015, max=2100),
                          metadata={"description": "the collection year: census in January "
                                                   "of it, activity in the year before"})
    authority = Text(required=True, max_length=40)
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "xml"]))


@blp.route("/sen2")
class Sen2(MethodView):
    @blp.arguments(Sen2QuerySchema, location="query")
    @blp.response(200, content_type="application/json",
                  description="the return as JSON (header, persons, summary) or SEN2 XML")
    @problems(blp, 401, 403, 422, 500)
    def get(self, query: dict[str, Any]) -> Response:
        """Compute the SEN2 return (managers of the authority only: it holds identifiers)."""
        result = sen2_return(current_app.extensions["casetrack"], year=query["year"],
                             authority=query["authority"], actor=current_actor())
        if query["format"] == "xml":
            return Response(to_xml(result), 200, mimetype="application/xml",
                            headers={"Cache-Control": "no-store"})
        return Response(json.dumps(result.as_dict(), default=str), 200,
                        mimetype="application/json", headers={"Cache-Control": "no-store"})
