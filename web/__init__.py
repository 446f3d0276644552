"""The HTTP edge: the app factory, blueprints, schemas, auth, problems, logging, CLI."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

from flask import Flask, Response, g, request
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from application.tracking import CaseTracking
from infrastructure.projections import EmbeddedRunners, ReadModelDatabase
from infrastructure.readmodels import SQLReadModels
from web import (
    access_log,
    audit,
    children,
    health,
    imports,
    inspections,
    journeys,
    listing,
    metrics,
    openapi,
    problems,
    query_strings,
    security,
)
from web import integrity as web_integrity
from web import logging as web_logging
from web import personal_data as web_personal_data
from web.auth import TokenVerifier, verifier_for
from web.config import Settings, load_settings

PUBLIC_ENDPOINTS = frozenset({
    "health.Live", "health.Ready", "api-docs.openapi_json", "docs.api_page", "static",
    "metrics",
})


class JSONProvider(DefaultJSONProvider):
    """Dates and times as ISO 8601, ids as strings."""

    sort_keys = False

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, datetime | date):
            return o.isoformat()
        if isinstance(o, UUID):
            return str(o)
        return DefaultJSONProvider.default(o)


class ProblemApi(Api):  # type: ignore[misc]
    """flask-smorest's Api, answering errors as problem+json."""

    # Every operation documents its own problem responses (web/openapi.py).
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error: HTTPException) -> Response:
        return problems.problem_response(problems._to_problem(error))


def create_app(
    config: Settings | Mapping[str, str] | None = None,
    *,
    today: Callable[[], date] | None = None,
) -> Flask:
    """Build the service: settings, logging, the CaseTracking application, blueprints."""
    settings = config if isinstance(config, Settings) else load_settings(config)
    web_logging.configure_logging(settings.log_format)
    if settings.store == "sqlite":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = Flask("casetrack")
    app.json = JSONProvider(app)
    app.config.update(
        API_TITLE="casetrack", API_VERSION="0.1.0", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/", OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        API_SPEC_OPTIONS={"security": [{"bearerAuth": []}], "info": {
            "description": "Event-sourced case tracking for the SEND system in England."}},
    )
    app.extensions["casetrack.settings"] = settings
    app.extensions["casetrack"] = CaseTracking(env=settings.event_store_env(),
                                               today=today or date.today,
                                               inspectorates=settings.inspectorates)
    web_logging.init_app(app)
    # Issue 6: headers, CORS, purposes and recorded looks; then tokens (HS256 or JWKS).
    security.init_app(app, settings, PUBLIC_ENDPOINTS)
    verifier = verifier_for(settings)
    _init_auth(app, verifier)
    metrics.init_app(app, settings, verifier)  # issue 15: GET /metrics, its own auth
    query_strings.init_app(app)  # issue 11: unknown query parameters are refused
    problems.init_app(app)
    api = ProblemApi(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    api.register_blueprint(health.blp)
    api.register_blueprint(children.blp)
    api.register_blueprint(imports.blp)
    api.register_blueprint(inspections.blp)
    api.register_blueprint(access_log.blp)
    # Read side (issue 5): journey replay, lists and audit; embedded projection runners.
    read_models = ReadModelDatabase.beside(settings.database_url, settings.data_dir)
    app.extensions["casetrack.readmodels"] = SQLReadModels(read_models.engine(),
                                                           CaseTracking.name)
    for read_blueprint in (journeys.blp, listing.blp, audit.blp):
        api.register_blueprint(read_blueprint)
    runners = EmbeddedRunners(
        application_class=CaseTracking, event_store_env=settings.event_store_env(),
        database=read_models, today=today or date.today) if settings.store == "sqlite" else None
    app.extensions["casetrack.runners"] = runners
    _close_read_side_with(app.extensions["casetrack"], app.extensions["casetrack.readmodels"],
                          runners)
    # (end of read side)
    web_integrity.init_app(app, settings)
    api.register_blueprint(web_integrity.blp)
    web_personal_data.init_app(app, api, settings)  # issue 6: vault, erasure, export
    from web import reports as web_reports  # issue 7: thematic questions, area picture

    api.register_blueprint(web_reports.blp)
    from web import bundles, exports  # issue 7: case bundles and SEN2

    api.register_blueprint(bundles.blp)
    api.register_blueprint(exports.blp)
    from web import send_list  # issue 13.6: the area SEND framework's lists

    api.register_blueprint(send_list.blp)
    openapi.init_app(app, api)
    return app


def _close_read_side_with(tracking: CaseTracking, *closables: Any) -> None:
    """Stop the embedded runners and the read-model engine when the application closes."""
    close_tracking = tracking.close

    def close() -> None:
        for closable in closables:
            if closable is not None:
                closable.close()
        close_tracking()

    tracking.close = close  # type: ignore[method-assign]


def _init_auth(app: Flask, verifier: TokenVerifier) -> None:
    @app.before_request
    def authenticate() -> None:
        g.actor = None
        if request.endpoint is None or request.endpoint in PUBLIC_ENDPOINTS:
            return
        g.actor = verifier.actor(request.headers.get("Authorization"))
        security.settle_purpose()  # issue 12.3: a lawful purpose, or 422
