"""Rate limits on the expensive endpoints (flask-limiter, ADR 0018).

Reports (``/reports/...``, the SEND list and its CSV), the audit trail as CSV, the SEN2
export and its checks, and bulk imports each read or write much more than a request
for one child. Each caller (the token's organisation and user; the address without one)
may call each of them ``CASETRACK_RATE_LIMIT`` times (default ``30/minute``); past that
the answer is 429 problem+json with ``Retry-After`` in seconds.

Counts live in ``CASETRACK_RATE_LIMIT_STORAGE``: ``memory://`` (default: one process,
the embedded store) or ``redis://host:6379/0`` (production and ``--workers``: every
process shares them).
"""

from __future__ import annotations

import math
import time
from typing import Any

from flask import Flask, Response, g, request
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit

from web.config import Settings
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
    return limiter


def _wants_csv() -> bool:
    from web.audit import _wants_csv as audit_wants_csv

    return audit_wants_csv()


def _refuse(limit: RequestLimit) -> Response:
    retry_after = max(1, math.ceil(limit.reset_at - time.time()))
    return problem_response(Problem(
        429, "rate-limited", "Too Many Requests",
        f"at most {limit.limit} for this endpoint per caller; try again in {retry_after}s",
        headers={"Retry-After": str(retry_after)}, retry_after=retry_after))
