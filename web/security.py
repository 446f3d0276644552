"""Hardening at the edge, and the recording of every look at a child's record.

- Security headers on every answer; ``no-store`` on everything behind authentication;
  a strict Content-Security-Policy (an HTML page's inline style allowed by its hash; the
  API reference's scripts from this origin only).
- CORS off unless ``CASETRACK_CORS_ORIGINS`` lists origins.
- A stated purpose (``X-Access-Purpose`` header or ``purpose`` query parameter) is taken
  off the request before the views parse their query strings, and recorded.
- After a successful read of a child's record (``READ_ENDPOINTS``), the look is recorded
  durably in the access log before the answer leaves; if it cannot be recorded the
  answer is withheld (503).
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any
from uuid import UUID

import structlog
from flask import Flask, Response, g, request
from werkzeug.datastructures import ImmutableMultiDict

from application.access_log import AccessLog
from application.pseudonyms import Naming
from application.purposes import MAX_PURPOSE_LENGTH, parse_purpose
from infrastructure.access_index import SQLAccessIndex
from infrastructure.persistence import sqlalchemy_url
from web import bodies
from web.config import Settings
from web.context import current_request, request_globals
from web.problems import Problem, problem_response
from web.services import services

logger = structlog.get_logger()

PURPOSE_HEADER = "X-Access-Purpose"
PURPOSE_PARAMETER = "purpose"
_PURPOSE_ENVIRON = "HTTP_" + PURPOSE_HEADER.upper().replace("-", "_")

# Endpoints that show one child's record, and the kind of look each is. A new read of a
# child's record joins this map (tests/e2e/test_access_log.py fails until it does).
READ_ENDPOINTS: dict[str, str] = {
    "children.Child": "state",
    "journeys.Journey": "journey",
    "journeys.History": "history",
    "bundles.Bundle": "bundle",
    "bundles.BundleHtml": "bundle",
    # Issue 16: every download of a document, and every upload, is in the access log.
    "documents.ChildDocument": "document",
    "documents.ChildDocuments": "document-upload",
}

PURPOSE_PARAMETERS = [
    {"in": "header", "name": PURPOSE_HEADER, "required": False,
     "description": "why you are looking: '<lawful purpose>: <reference>', e.g. "
                    "'complaint: CMP-2025-0042' (CASETRACK_PURPOSES lists the purposes); "
                    "recorded, and unlocks personal identifiers for auditors of the "
                    "child's authority; anything else is refused with 422",
     "schema": {"type": "string", "maxLength": MAX_PURPOSE_LENGTH}},
    {"in": "query", "name": "purpose", "required": False,
     "description": "as the header",
     "schema": {"type": "string", "maxLength": MAX_PURPOSE_LENGTH}},
]

CSP = ("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
# The API reference (web/docs.py) runs Swagger UI: scripts, styles and images of this
# origin only (its icons are data: URIs), fetching the spec from here; no inline script.
SELF_SCRIPT_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; "
                   "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                   "base-uri 'none'; form-action 'none'")
SELF_SCRIPT_ENDPOINTS = frozenset({"docs.api_page"})
_STYLE = re.compile(rb"<style>(.*?)</style>", re.DOTALL)
CORS_METHODS = "GET, POST, PUT, OPTIONS"  # PUT: /children/{id}/assignment
CORS_HEADERS = ("Authorization, Content-Type, Idempotency-Key, If-Match, X-Request-ID, "
                + PURPOSE_HEADER)
CORS_EXPOSED = "ETag, Location, X-Request-ID, X-Casetrack-Position, Idempotency-Replayed"


def access_log() -> AccessLog:
    return services().access_log


def stated_purpose() -> str | None:
    purpose: str | None = g.get("purpose")
    return purpose


def pseudonym_key() -> bytes:
    """Return the key of staff and child pseudonyms (derived from the secret key once, in
    web.services), one for every answer so that one person is one pseudonym everywhere."""
    return services().naming_key


def naming() -> Naming:
    """Return how the current answer names people (application.pseudonyms)."""
    return Naming.for_reader(g.actor, stated_purpose(), pseudonym_key())


def settle_purpose() -> None:
    """Accept the stated purpose if it is a lawful one with its reference, else refuse the
    request with 422 saying why (application.purposes); called after authentication."""
    here = request_globals()
    stated = here.get("purpose_stated")
    if stated is not None:
        lawful = services().settings.purposes
        here.purpose = str(parse_purpose(stated, lawful))


def record_look(child_id: UUID, kind: str) -> int:
    """Record that the current actor looked at a child's record (for views outside the map),
    with the inspection an inspector reads it under."""
    return access_log().record(child_id, kind=kind, **_look(child_id))


def record_admitted_look() -> None:
    """Record the current read of a child's record (``READ_ENDPOINTS``) as a look, called
    by its view once the read's checks passed and before its answer is built; the look
    commits with the looks other readers record at the same moment (group commit). If it
    cannot be recorded, the read is answered 503 ``access-not-recorded`` and its answer is
    never built (docs/decisions/0028-looks-recorded-on-admission.md)."""
    asked, here = current_request(), request_globals()
    kind = READ_ENDPOINTS.get(asked.endpoint or "")
    child_id = (asked.view_args or {}).get("child_id")
    if kind is None or not isinstance(child_id, UUID) or here.get("actor") is None \
            or "look" in here:
        return
    try:
        here.look = record_look(child_id, kind)
    except Exception as error:  # the answer must not be given unrecorded
        raise _not_recorded(error) from error


def _look(child_id: UUID) -> dict[str, Any]:
    """The current request's side of a look: who, why, which request and route, and the
    inspection an inspector reads the record under."""
    from application.inspections import inspection_of_read

    asked, here = current_request(), request_globals()
    actor, rule = here.actor, asked.url_rule
    return {"actor": actor, "purpose": stated_purpose(), "request_id": here.get("request_id"),
            "route": rule.rule if rule else None,
            "inspection_id": inspection_of_read(services().tracking, actor, child_id)}


# Reports an inspector asks under an inspection (issue 12.2): recorded as looks of kind
# "report", with the inspection, though they name no one child.
INSPECTED_REPORT_ENDPOINTS = frozenset({"reports.AreaPicture", "reports.Report"})


def _inspected_report() -> bool:
    actor = g.get("actor")
    return request.endpoint in INSPECTED_REPORT_ENDPOINTS and actor is not None \
        and actor.role == "inspector"


def record_report_look() -> int:
    """Record an inspector's report with the inspection it was asked under."""
    from application.inspections import active_inspection

    authority = request.args.get("authority") or g.actor.organisation
    inspection_id = active_inspection(services().tracking, g.actor.organisation, authority)
    return access_log().record(None, kind="report", actor=g.actor, purpose=stated_purpose(),
                               request_id=g.get("request_id"),
                               route=request.url_rule.rule if request.url_rule else None,
                               inspection_id=inspection_id)


def access_index_url(settings: Settings) -> str:
    """Where the access log's index lives: in the access log's own store (ADR 0005)."""
    env = settings.access_log_env()
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        return f"sqlite:///{env['SQLITE_DBNAME']}"
    return sqlalchemy_url(settings.database_url, settings.data_dir, "")


def access_index_for(settings: Settings) -> SQLAccessIndex:
    """Open the access log's index in the access log's own store (ADR 0005)."""
    return SQLAccessIndex.at(access_index_url(settings), pool=settings.pool)


def init_app(app: Flask, settings: Settings, public_endpoints: frozenset[str]) -> None:
    """Install the hooks; call before authentication is installed."""
    origins = frozenset(settings.cors_origins)
    bodies.init_app(app)  # issue 12: deep JSON, lone surrogates, NUL refused unread

    @app.before_request
    def preflight() -> Response | None:
        asked = current_request()
        if asked.method == "OPTIONS" and origins and asked.headers.get(
                "Origin") in origins and "Access-Control-Request-Method" in asked.headers:
            return Response(status=204)
        return None

    app.before_request(_take_purpose)

    @app.after_request
    def record_read(response: Response) -> Response:
        # Only where a look can be recorded: a read of READ_ENDPOINTS, an inspector's
        # report, or a look a view began; _record_read answers every other as it is.
        endpoint = current_request().endpoint
        if "look" in request_globals() or endpoint in READ_ENDPOINTS \
                or endpoint in INSPECTED_REPORT_ENDPOINTS:
            return _record_read(response)
        return response

    # The headers every answer has unless its view set its own (what ``setdefault`` did,
    # without its raising and catching a KeyError per missing header).
    defaults = [("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                ("Referrer-Policy", "no-referrer"), ("Cross-Origin-Resource-Policy", "same-origin")]

    @app.after_request
    def secure(response: Response) -> Response:
        headers = response.headers
        present = {name.lower() for name in headers.keys()}  # noqa: SIM118 - a generator
        for name, value in defaults:
            if name.lower() not in present:
                headers.add(name, value)
        headers["Content-Security-Policy"] = _csp(response)
        asked = current_request()
        if asked.endpoint not in public_endpoints:
            headers["Cache-Control"] = "no-store"
        if settings.is_production:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        origin = asked.environ.get("HTTP_ORIGIN")  # as request.headers.get("Origin")
        if origin and origin in origins:
            headers["Access-Control-Allow-Origin"] = origin
            headers["Access-Control-Expose-Headers"] = CORS_EXPOSED
            headers["Access-Control-Max-Age"] = "600"
            if asked.method == "OPTIONS":
                headers["Access-Control-Allow-Methods"] = CORS_METHODS
                headers["Access-Control-Allow-Headers"] = CORS_HEADERS
        if origins:
            headers.add("Vary", "Origin")
        return response


def _take_purpose() -> None:
    """Keep the purpose the caller stated, and take it out of the query string."""
    asked, here = current_request(), request_globals()
    args = asked.args
    # As request.headers.get(PURPOSE_HEADER), without a KeyError raised when it is absent.
    purpose = asked.environ.get(_PURPOSE_ENVIRON) or (
        args.get(PURPOSE_PARAMETER) if args else None)
    # Checked against the lawful purposes once the caller is known (settle_purpose).
    here.purpose_stated = purpose.strip() if purpose and purpose.strip() else None
    here.purpose = None
    if args and PURPOSE_PARAMETER in args:
        asked.args = ImmutableMultiDict(  # type: ignore[misc]
            [(k, v) for k, v in args.items(multi=True) if k != PURPOSE_PARAMETER])


def _record_read(response: Response) -> Response:
    """Record a successful read in the access log (unless its view recorded its look on
    admission: ``record_admitted_look``), or withhold the answer (503)."""
    asked, here = current_request(), request_globals()
    if here.pop("look", None) is not None:
        # Committed before the answer was built: the read's only look (a view records one
        # for READ_ENDPOINTS only, none of them a report's).
        return response
    if not 200 <= response.status_code < 300 or here.get("actor") is None:
        return response  # nothing was answered: nothing to record
    try:
        if _inspected_report():
            record_report_look()
        else:
            kind = READ_ENDPOINTS.get(asked.endpoint or "")
            child_id = (asked.view_args or {}).get("child_id")
            if kind is not None and isinstance(child_id, UUID):
                record_look(child_id, kind)
    except Exception as error:  # the answer must not leave unrecorded
        return problem_response(_not_recorded(error))
    return response


def _not_recorded(error: Exception) -> Problem:
    """The answer to a read whose look could not be recorded: 503, the answer withheld."""
    logger.error("access_not_recorded", error_type=type(error).__name__)
    return Problem(503, "access-not-recorded", "Service Unavailable",
                   "the read could not be recorded in the access log, so it is withheld",
                   headers={"Retry-After": "5"})


def _csp(response: Response) -> str:
    """Return the policy: nothing may load; an HTML page's own inline style by its hash;
    the API reference its own origin's scripts."""
    if response.mimetype != "text/html" or response.direct_passthrough:
        return CSP
    if request.endpoint in SELF_SCRIPT_ENDPOINTS:
        return SELF_SCRIPT_CSP
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(style).digest()).decode() + "'"
        for style in _STYLE.findall(response.get_data()))
    return CSP.replace("default-src 'none';", f"default-src 'none'; style-src {hashes};"
                       if hashes else "default-src 'none';")
