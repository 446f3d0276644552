"""Liveness and readiness: /livez answers while the process runs, /readyz when the store does."""

from __future__ import annotations

from typing import Any

import structlog
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from web.openapi import problems
from web.problems import Problem
from web.services import services

logger = structlog.get_logger()
blp = Blueprint("health", __name__, description="Liveness and readiness probes")


class HealthSchema(Schema):
    status = fields.String(required=True)
    store = fields.String()
    position = fields.Integer()


@blp.route("/livez")
class Live(MethodView):
    @blp.doc(security=[])
    @blp.response(200, HealthSchema)
    @problems(blp, 500)
    def get(self) -> dict[str, Any]:
        """Answer while the process is alive."""
        return {"status": "live"}


@blp.route("/readyz")
class Ready(MethodView):
    @blp.doc(security=[])
    @blp.response(200, HealthSchema)
    @problems(blp, 500, 503)
    def get(self) -> dict[str, Any]:
        """Answer when the event store answers."""
        tracking = services().tracking
        try:
            position = tracking.max_position()
        except Exception as error:  # any store failure means "not ready"
            logger.warning("store_not_ready", error_type=type(error).__name__)
            raise Problem(503, "not-ready", "Service Unavailable", "the event store does not "
                          "answer", headers={"Retry-After": "5"}) from None
        return {"status": "ready", "store": services().settings.store,
                "position": position}
