"""The app factory: settings, logging, the services, blueprints, metrics and limits."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from inspect import CO_COROUTINE
from types import FunctionType
from typing import Any, cast

import orjson
from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api
from werkzeug.exceptions import HTTPException
from werkzeug.sansio.response import Response as SansIOResponse

from infrastructure.persistence import secure_data_dir
from web import (
    access_log,
    audit,
    children,
    docs,
    health,
    imports,
    inspections,
    journeys,
    limits,
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
from web.context import current_request, request_globals
from web.json_words import json_words
from web.services import Services, install, open_services, webhooks_store

PUBLIC_ENDPOINTS = frozenset({
    "health.Live", "health.Ready", "api-docs.openapi_json", "docs.api_page", "static",
    "metrics", "docs.event_catalogue_page", "docs.swagger_ui", "docs.static",
})


class JSONProvider(DefaultJSONProvider):
    """Answers' JSON: dates and times as ISO 8601, ids as strings, keys in the order
    given, written by orjson (docs/decisions/0029-orjson.md): about 4% of a write's
    instructions less than the standard library's encoder. Text is UTF-8, not ``\\u``
    escapes. orjson writes dates and moments itself, in ``domain.calendar.iso_text``'s
    words (tests/unit/test_answer_json.py holds the two equal). What orjson refuses (a
    number past 64 bits) and an indented answer (debug mode) are written by the standard
    library, through ``default``."""

    sort_keys = False

    @staticmethod
    def default(o: Any) -> Any:
        return json_words(o, DefaultJSONProvider.default)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if not kwargs:
            try:
                return orjson.dumps(obj, default=self.default, option=_ANSWER).decode()
            except orjson.JSONEncodeError:
                pass
        return super().dumps(obj, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> SansIOResponse:
        if self.compact is False or (self.compact is None and self._app.debug):
            return super().response(*args, **kwargs)
        obj = self._prepare_response_obj(args, kwargs)
        try:
            body = orjson.dumps(obj, default=self.default,
                                option=_ANSWER | orjson.OPT_APPEND_NEWLINE)
        except orjson.JSONEncodeError:
            return super().response(*args, **kwargs)
        answer = cast(Callable[..., SansIOResponse], self._app.response_class)
        return answer(body, mimetype=self.mimetype)


# Keys that are not text written as the standard library writes them (``"3"``).
_ANSWER = orjson.OPT_NON_STR_KEYS


class CasetrackFlask(Flask):
    """Flask, asking whether a plain function is ``async def`` by its code's flags."""

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Return a plain ``def`` function as it is (what Flask's own check answers, without
        ``inspect``'s unwrapping: Flask asks for each of a dozen hooks and the view on every
        request); anything else as Flask does."""
        if type(func) is FunctionType and not func.__code__.co_flags & CO_COROUTINE \
                and "_is_coroutine_marker" not in func.__dict__:  # inspect.markcoroutinefunction
            return func
        return super().ensure_sync(func)


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
    embedded_projections: bool = True,
) -> Flask:
    """Build the service: settings, logging, the CaseTracking application, blueprints.

    ``embedded_projections`` off: on SQLite, the projections run elsewhere (``casetrack
    serve`` runs them in a process beside the server)."""
    settings = config if isinstance(config, Settings) else load_settings(config)
    web_logging.configure_logging(settings.log_format)
    if settings.store == "sqlite":
        secure_data_dir(settings.data_dir)
    app = _flask_app(settings)
    services = open_services(settings, today or date.today,
                             embedded_projections=embedded_projections)
    if settings.store == "sqlite":
        secure_data_dir(settings.data_dir)  # the files the stores just made: 0600
    install(app, services)  # views reach it through web.services.services()
    # Parts added by later issues (metrics, limits, workers) are opened here and handed to
    # services.add(name, part): kept under their name, closed with the rest.
    web_logging.init_app(app)
    # Issue 6: headers, CORS, purposes and recorded looks; then tokens (HS256 or JWKS).
    security.init_app(app, settings, PUBLIC_ENDPOINTS)
    verifier = verifier_for(settings)
    _init_auth(app, verifier)
    metrics.init_app(app, settings, verifier)  # issue 15: GET /metrics, its own auth
    query_strings.init_app(app)  # issue 11: unknown query parameters are refused
    problems.init_app(app)
    api = _register_api(app, services)
    limits.init_app(app, settings)  # issue 15: the expensive endpoints, per caller
    openapi.init_app(app, api)
    docs.init_app(app)  # issue 15: /docs in Swagger UI from our own files; /docs/events
    return app


def _flask_app(settings: Settings) -> Flask:
    app = CasetrackFlask("casetrack")
    app.json = JSONProvider(app)
    app.config.update(
        API_TITLE="casetrack", API_VERSION="0.1.0", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/", OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        API_SPEC_OPTIONS={"security": [{"bearerAuth": []}], "info": {
            "description": "Event-sourced case tracking for the SEND system in England."}},
    )
    return app


def _register_api(app: Flask, services: Services) -> ProblemApi:
    """The API and its blueprints, in the order their routes are matched."""
    api = ProblemApi(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    for blueprint in (health.blp, children.blp, imports.blp, inspections.blp, access_log.blp,
                      journeys.blp, listing.blp, audit.blp, web_integrity.blp):
        api.register_blueprint(blueprint)
    web_personal_data.init_app(api)  # issue 6: erasure, holds, export, assignment
    from web import (  # issue 7: case bundles and SEN2
        bundles,
        documents,  # issue 16: documents tied to events
        exports,
        partner_requests,  # issue 16: what is asked of a partner
        reference,  # issue 15: the code lists at run time
        send_list,  # issue 13.6: the area SEND framework's lists
        webhooks,  # issue 16: the outbox's messages to subscribed URLs
        worktray,  # issue 16: the daily work
    )
    from web import reports as web_reports  # issue 7: thematic questions, area picture

    services.add("webhooks", webhooks_store(services), close=False)
    for blueprint in (web_reports.blp, bundles.blp, exports.blp, send_list.blp,
                      worktray.blp, worktray.reminders, reference.blp, webhooks.blp,
                      webhooks.deliveries, documents.blp, partner_requests.blp):
        api.register_blueprint(blueprint)
    return api


def _init_auth(app: Flask, verifier: TokenVerifier) -> None:
    @app.before_request
    def authenticate() -> None:
        here, asked = request_globals(), current_request()
        here.actor = None
        endpoint = asked.endpoint
        if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
            return
        here.actor = verifier.actor(asked.headers.get("Authorization"))
        security.settle_purpose()  # issue 12.3: a lawful purpose, or 422
