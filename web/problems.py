"""Problem details (RFC 9457) for every error, mapped from exceptions in one place."""

from __future__ import annotations

from typing import Any

import structlog
from flask import Flask, Response, g, json
from werkzeug.exceptions import HTTPException

from application.documents import (
    DocumentError,
    DocumentNotFoundError,
    DocumentTooLargeError,
)
from application.errors import (
    CaseReferenceTakenError,
    ChildNotFoundError,
    ConcurrentWriteError,
    ForbiddenError,
    JourneyDamagedError,
    StaleVersionError,
    VersionNotFoundError,
)
from application.idempotency import IdempotencyKeyReusedError, InvalidIdempotencyKeyError
from application.inspections import InspectionNotFoundError
from application.personal_data import PersonalDataErasedError
from application.purposes import PurposeRefusedError
from application.queries import PositionNotWrittenError, ReadModelsBehindError
from application.webhooks import (
    DeliveryNotDeadError,
    DeliveryNotFoundError,
    SubscriptionNotFoundError,
)
from domain.errors import InvalidFieldError, RuleViolationError, UnknownEventTypeError
from domain.inspection import InspectionError
from web.auth import AuthenticationError, IdentityProviderUnavailableError

logger = structlog.get_logger()

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "/problems/"


class Problem(Exception):
    """Raised to answer with a problem document."""

    def __init__(self, status: int, slug: str, title: str, detail: str | None = None,
                 headers: dict[str, str] | None = None, **extensions: Any) -> None:
        super().__init__(detail or title)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail
        self.headers = headers or {}
        self.extensions = extensions


def problem_response(problem: Problem) -> Response:
    body: dict[str, Any] = {"type": TYPE_BASE + problem.slug, "title": problem.title,
                            "status": problem.status}
    if problem.detail:
        body["detail"] = problem.detail
    body.update(problem.extensions)
    if problem.extensions.get("code"):
        g.problem_code = problem.extensions["code"]  # counted by web/metrics.py
    request_id = g.get("request_id")
    if request_id:
        body["request_id"] = request_id
    response = Response(json.dumps(body), status=problem.status, mimetype=PROBLEM_JSON)
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


def validation_problem(errors: list[dict[str, str]], detail: str = "The request is not valid."
                       ) -> Problem:
    return Problem(422, "validation", "Validation failed", detail, errors=errors)


def pointers(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """Flatten marshmallow/webargs messages into ``{pointer, detail}`` items."""
    if isinstance(messages, dict):
        items: list[dict[str, str]] = []
        for key, value in messages.items():
            if prefix == "" and key in ("json", "query", "headers", "form", "files") \
                    and isinstance(value, dict):
                items.extend(pointers(value, "" if key == "json" else f"/{key}"))
            elif key == "_schema":
                items.extend(pointers(value, prefix))
            else:
                items.extend(pointers(value, f"{prefix}/{_escape(str(key))}"))
        return items
    if isinstance(messages, list | tuple):
        return [{"pointer": prefix or "/", "detail": str(m)} for m in messages]
    return [{"pointer": prefix or "/", "detail": str(messages)}]


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _from_http(error: HTTPException) -> Problem:
    data = getattr(error, "data", None) or {}
    if error.code == 422:
        messages = data.get("messages") or data.get("errors") or {}
        return validation_problem(pointers(messages))
    title = error.name
    detail = data.get("message") or (error.description if error.code != 500 else None)
    slug = title.lower().replace(" ", "-")
    headers = dict(data.get("headers") or {})
    if error.code == 405 and error.valid_methods:  # type: ignore[attr-defined]
        headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
    if error.code == 500:
        detail = "An unexpected error occurred; quote the request id when reporting it."
    return Problem(error.code or 500, slug, title, detail, headers=headers)


def _to_problem(error: Exception) -> Problem:
    known = _known_problem(error)
    if known is None:
        known = _database_problem(error)
    if known is None:
        logger.exception("unhandled_error", error_type=type(error).__name__)
        return Problem(500, "internal-server-error", "Internal Server Error",
                       "An unexpected error occurred; quote the request id when reporting it.")
    return known


def _known_problem(error: Exception) -> Problem | None:  # noqa: PLR0911
    """Return the problem a known error answers, or None (one match: a table)."""
    match error:
        case Problem():
            return error
        case AuthenticationError():
            return Problem(401, "unauthenticated", "Authentication required", str(error),
                           headers={"WWW-Authenticate": 'Bearer realm="casetrack"'})
        case IdentityProviderUnavailableError():
            return Problem(503, "identity-provider-unavailable", "Service Unavailable",
                           str(error), headers={"Retry-After": "5"})
        case ForbiddenError():
            return Problem(403, "forbidden", "Forbidden", str(error))
        case ChildNotFoundError():
            return Problem(404, "child-not-found", "No such journey", str(error))
        case VersionNotFoundError():
            return Problem(404, "version-not-found", "No such version", str(error),
                           current_version=error.current)
        case JourneyDamagedError():
            return Problem(409, "journey-integrity-failed", "The journey fails its integrity "
                           "check", str(error), code="journey-integrity-failed")
        case InspectionNotFoundError():
            return Problem(404, "inspection-not-found", "No such inspection", str(error))
        case SubscriptionNotFoundError() | DeliveryNotFoundError():
            return Problem(404, "not-found", "Not found", str(error))
        case DeliveryNotDeadError():
            return Problem(409, "delivery-not-dead", "Refused", str(error),
                           code="delivery-not-dead")
        case InspectionError():
            return Problem(409, "inspection-refused", "Refused", error.detail, code=error.code)
        case DocumentError():
            return _document_problem(error)
        case PersonalDataErasedError():
            return Problem(409, "personal-data-erased", "Personal data erased", str(error),
                           code="personal-data-erased")
        case RuleViolationError():
            version: dict[str, Any] = ({"event_version": error.event_version}
                                       if error.event_version else {})
            return Problem(409, "rule-violation", "Refused by a rule", error.detail,
                           code=error.code, citation=error.citation, **version)
        case CaseReferenceTakenError():
            return Problem(409, "case-ref-taken", "Case reference already used", str(error),
                           code="case-ref-unique")
        case ConcurrentWriteError():
            return Problem(409, "concurrent-write", "The journey changed while recording",
                           str(error), code="concurrent-write")
        case StaleVersionError():
            return Problem(412, "stale-version", "Precondition failed", str(error),
                           current_version=error.current)
        case IdempotencyKeyReusedError():
            return validation_problem([{"pointer": "/headers/Idempotency-Key",
                                        "detail": str(error)}],
                                      "The Idempotency-Key was first used for another request.")
        case InvalidIdempotencyKeyError():
            return Problem(400, "bad-idempotency-key", "Bad Request", str(error))
        case ReadModelsBehindError():
            return Problem(503, "read-models-behind", "Read models not yet consistent",
                           str(error), headers={"Retry-After": "1"})
        case PositionNotWrittenError():
            return validation_problem([{"pointer": "/query/consistent_after",
                                        "detail": str(error)}])
        case PurposeRefusedError():
            return validation_problem([{"pointer": "/headers/X-Access-Purpose",
                                        "detail": error.detail}], error.detail)
        case InvalidFieldError():
            return validation_problem([{"pointer": "/" + error.field.replace(".", "/"),
                                        "detail": error.message}])
        case UnknownEventTypeError():
            return validation_problem([{"pointer": "/type",
                                        "detail": f"unknown event type {error.type_name!r}"}])
        case HTTPException():
            return _from_http(error)
    return None


def _document_problem(error: DocumentError) -> Problem:
    """A refused document names its rule: too large 413, of a type refused 415."""
    match error:
        case DocumentNotFoundError():
            return Problem(404, error.code, "No such document", error.detail, code=error.code)
        case DocumentTooLargeError():
            return Problem(413, error.code, "Document too large", error.detail,
                           code=error.code)
    return Problem(415, error.code, "Unsupported Media Type", error.detail, code=error.code)


def _database_problem(error: Exception) -> Problem | None:
    """An exhausted pool or an unreachable database is a 503 to retry, never a 500."""
    from infrastructure.pools import database_trouble

    trouble = database_trouble(error)
    if trouble is None:
        return None
    logger.warning("database_" + trouble, error_type=type(error).__name__)
    if trouble == "busy":
        return Problem(503, "database-busy", "Service Unavailable", "Every database "
                       "connection is in use; try again shortly.", headers={"Retry-After": "2"})
    return Problem(503, "database-unavailable", "Service Unavailable",
                   "The database does not answer; try again shortly.",
                   headers={"Retry-After": "5"})


def init_app(app: Flask) -> None:
    """Answer every error, ours or the framework's, as problem+json."""

    @app.errorhandler(Exception)
    def handle(error: Exception) -> Response:
        return problem_response(_to_problem(error))
