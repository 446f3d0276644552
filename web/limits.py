"""Rate limits on the expensive endpoints (flask-limiter, ADR 0018).

Reports (``/reports/...``, the SEND list and its CSV), the audit trail as CSV, the SEN2
export and its checks, and bulk imports each read or write much more than a request
for one child. Each caller (the token's organisation and user; the address without one)
may call each of them ``CASETRACK_RATE_LIMIT`` times (default ``30/minute``); past that
the answer is 429 problem+json with ``Retry-After`` in seconds.

Counts live in ``CASETRACK_RATE_LIMIT_STORAGE``: ``memory://`` (default: one process,
the embedded store) or ``redis://host:6379/0`` (production and ``--workers``: every
process shares them).

flask-limiter resolves the limits of every request (about 40 us of CPU, for ``/livez``
too); here its check runs only for the endpoints it resolves any limit for (asked of
flask-limiter itself, once per endpoint), which answers the others the same: no limit.
"""

from __future__ import annotations

import math
import time
from typing import Any

from flask import Flask, Response, g, request
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit
from flask_limiter.util import get_qualified_name

from web.config import Settings
from web.context import current_request
from web.problems import Problem, problem_response
from web.services import services_of

# Blueprints whose every endpoint is expensive; the audit trail only when it streams CSV.
EXPENSIVE_BLUEPRINTS = ("reports", "send_list", "exports", "imports")


def caller() -> str:
    """Who is counted: the token's organisation and user, else the client's address."""
    actor = g.get("actor")
    if actor is not None:
        return f"{actor.organisation}/{actor.user_id}"
    return request.remote_addr or "unknown"


def init_app(app: Flask, settings: Settings) -> Limiter:
    """Limit the expensive endpoints; call after authentication is wired (the caller is
    the token's), once the blueprints are registered."""
    limiter = Limiter(
        caller, app=app, storage_uri=settings.rate_limit_storage, strategy="moving-window",
        headers_enabled=False, key_prefix=settings.rate_limit_prefix, on_breach=_refuse,
        swallow_errors=False)
    blueprints: dict[str, Any] = dict(app.blueprints)
    for name in EXPENSIVE_BLUEPRINTS:
        if name in blueprints:
            limiter.limit(settings.rate_limit)(blueprints[name])
    if "audit" in blueprints:
        limiter.limit(settings.rate_limit, exempt_when=lambda: not _wants_csv())(
            blueprints["audit"])
    # The 429 _refuse built (its Retry-After), not the framework's stock one.
    app.register_error_handler(RateLimitExceeded, lambda error: error.get_response())
    services_of(app).add("limiter", limiter, close=False)
    _check_only_where_limited(app, limiter)
    return limiter


def _check_only_where_limited(app: Flask, limiter: Limiter) -> None:
    """Run flask-limiter's hooks (its check before the request, its deductions and headers
    after it, the release of its per-request state) only for limited endpoints: for any
    other its check finds no limit, so the rest has nothing to do."""
    if limiter._in_memory_fallback_enabled:
        return  # with a fallback the limits of a request depend on the storage's health
    check = limiter._check_request_limit
    before, after, teardown = (app.before_request_funcs[None], app.after_request_funcs[None],
                               app.teardown_request_funcs[None])
    # flask-limiter's own after and teardown hooks, added by its init_app
    (inject,) = [f for f in after if getattr(f, "args", ())[:1] == (limiter,)]
    (release,) = [f for f in teardown if getattr(f, "__self__", None) is limiter]
    limited: dict[str | None, bool] = {}

    def where_limited() -> bool:
        endpoint = current_request().endpoint
        known = limited.get(endpoint)
        if known is None:
            known = limited[endpoint] = has_limits(app, limiter, endpoint)
        return known

    def check_where_limited() -> None:
        if where_limited():
            check()

    def inject_where_limited(response: Response) -> Response:
        return inject(response) if where_limited() else response  # type: ignore[return-value]

    def release_where_limited(error: BaseException | None = None) -> None:
        if where_limited():
            release(error)

    before[before.index(check)] = check_where_limited
    after[after.index(inject)] = inject_where_limited
    teardown[teardown.index(release)] = release_where_limited


def has_limits(app: Flask, limiter: Limiter, endpoint: str | None) -> bool:
    """Whether flask-limiter's check resolves any limit for ``endpoint`` (as its own
    before-request check does: no fallback storage, limits fixed once the app is built)."""
    if not endpoint or endpoint.split(".")[-1] == "static":
        return False
    view = app.view_functions.get(endpoint)
    name = get_qualified_name(view) if view else ""
    marked = name in limiter._marked_for_limiting or limiter.limit_manager.has_hints(endpoint)
    defaults, decorated = limiter.limit_manager.resolve_limits(
        app, endpoint, endpoint.rpartition(".")[0] or None, name, True, marked)
    return bool(defaults or decorated)


def _wants_csv() -> bool:
    from web.audit import _wants_csv as audit_wants_csv

    return audit_wants_csv()


def _refuse(limit: RequestLimit) -> Response:
    retry_after = max(1, math.ceil(limit.reset_at - time.time()))
    return problem_response(Problem(
        429, "rate-limited", "Too Many Requests",
        f"at most {limit.limit} for this endpoint per caller; try again in {retry_after}s",
        headers={"Retry-After": str(retry_after)}, retry_after=retry_after))
