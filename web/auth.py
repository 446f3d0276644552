"""Bearer tokens: minted and checked with PyJWT; the principal becomes the event actor."""

from __future__ import annotations

import time
from typing import Any

import jwt

from application.access import ROLES
from domain.actors import Actor

ISSUER = "casetrack"
AUDIENCE = "casetrack-api"
ALGORITHMS = ["HS256"]
LEEWAY_SECONDS = 30


class AuthenticationError(Exception):
    """Raised when a request carries no valid bearer token."""


def mint_token(secret: str, *, subject: str, role: str, organisation: str,
               ttl_seconds: int = 8 * 3600, now: float | None = None) -> str:
    """Return a signed development token for ``subject`` acting as ``role`` in ``organisation``."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(sorted(ROLES))}")
    issued = int(now if now is not None else time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": subject, "role": role,
              "org": organisation, "iat": issued, "nbf": issued, "exp": issued + ttl_seconds}
    return jwt.encode(claims, secret, algorithm="HS256")


def actor_from_header(header: str | None, secret: str) -> Actor:
    """Return the actor an ``Authorization: Bearer`` header names, or raise."""
    if not header:
        raise AuthenticationError("an Authorization: Bearer token is required")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("the Authorization header must be 'Bearer <token>'")
    try:
        claims: dict[str, Any] = jwt.decode(
            token.strip(), secret, algorithms=ALGORITHMS, audience=AUDIENCE, issuer=ISSUER,
            leeway=LEEWAY_SECONDS, options={"require": ["exp", "iat", "sub", "aud", "iss"]})
    except jwt.ExpiredSignatureError:
        raise AuthenticationError("the token has expired") from None
    except jwt.InvalidTokenError:
        raise AuthenticationError("the token is not valid") from None
    role, organisation, subject = claims.get("role"), claims.get("org"), claims.get("sub")
    if role not in ROLES or not isinstance(organisation, str) or not organisation \
            or not isinstance(subject, str) or not subject:
        raise AuthenticationError("the token lacks a valid role, org or sub claim")
    return Actor(user_id=subject, role=role, organisation=organisation)
