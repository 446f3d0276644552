"""Bearer tokens: checked with PyJWT; the principal becomes the event actor.

Development (no ``CASETRACK_JWKS_URL``): HS256 tokens signed with the local secret,
minted by ``casetrack token``. Production: RS256/ES256 tokens from the identity
provider, their key picked by ``kid`` from its JWK set (``PyJWKClient``). Either way
the algorithms are pinned (never taken from the token), and ``iss``, ``aud``, ``exp``,
``nbf`` and ``iat`` are checked with a bounded clock skew.
"""

from __future__ import annotations

import time
from typing import Any

import jwt
import structlog

from application.access import ROLES
from domain.actors import Actor

logger = structlog.get_logger()

ISSUER = "casetrack"
AUDIENCE = "casetrack-api"
ALGORITHMS = ["HS256"]
IDP_ALGORITHMS = ["RS256", "ES256"]
LEEWAY_SECONDS = 30
REQUIRED_CLAIMS = ["exp", "iat", "sub", "aud", "iss"]
JWKS_CACHE_SECONDS = 300
JWKS_TIMEOUT_SECONDS = 5


class AuthenticationError(Exception):
    """Raised when a request carries no valid bearer token."""


class IdentityProviderUnavailableError(Exception):
    """Raised when the identity provider's keys cannot be fetched to check a token."""


def mint_token(secret: str, *, subject: str, role: str, organisation: str,
               ttl_seconds: int = 8 * 3600, now: float | None = None) -> str:
    """Return a signed development token for ``subject`` acting as ``role`` in ``organisation``."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(sorted(ROLES))}")
    issued = int(now if now is not None else time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": subject, "role": role,
              "org": organisation, "iat": issued, "nbf": issued, "exp": issued + ttl_seconds}
    return jwt.encode(claims, secret, algorithm="HS256")


class TokenVerifier:
    """Turn an ``Authorization: Bearer`` header into an actor, or raise."""

    def __init__(self, *, secret: str | None = None, jwks_url: str | None = None,
                 issuer: str = ISSUER, audience: str = AUDIENCE,
                 leeway: int = LEEWAY_SECONDS) -> None:
        if (secret is None) == (jwks_url is None):
            raise ValueError("give a secret (HS256) or a JWKS URL (RS256/ES256), not both")
        self._secret = secret
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=JWKS_CACHE_SECONDS,
                                     timeout=JWKS_TIMEOUT_SECONDS) if jwks_url else None
        self.algorithms = IDP_ALGORITHMS if jwks_url else ALGORITHMS
        self.issuer, self.audience, self.leeway = issuer, audience, leeway

    def actor(self, header: str | None) -> Actor:
        token = _bearer(header)
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self._key(token), algorithms=self.algorithms, audience=self.audience,
                issuer=self.issuer, leeway=self.leeway,
                options={"require": REQUIRED_CLAIMS, "verify_nbf": True, "verify_iat": True})
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise AuthenticationError("the token is not valid yet") from None
        except jwt.InvalidTokenError:
            raise AuthenticationError("the token is not valid") from None
        return _actor(claims)

    def _key(self, token: str) -> Any:
        if self._jwks is None:
            return self._secret
        try:
            return self._jwks.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError:
            logger.warning("jwks_unavailable")
            raise IdentityProviderUnavailableError(
                "the identity provider's keys could not be fetched") from None
        except jwt.PyJWTError:
            # Unknown kid, no usable key, or a malformed header: the token is not valid.
            raise AuthenticationError("the token is not valid") from None


def verifier_for(settings: Any) -> TokenVerifier:
    """Return the verifier the settings call for: JWKS when configured, else HS256."""
    if settings.jwks_url:
        return TokenVerifier(jwks_url=settings.jwks_url, issuer=settings.token_issuer,
                             audience=settings.token_audience, leeway=settings.token_leeway)
    return TokenVerifier(secret=settings.secret_key, leeway=settings.token_leeway)


def actor_from_header(header: str | None, secret: str) -> Actor:
    """Return the actor an HS256 ``Authorization: Bearer`` header names, or raise."""
    return TokenVerifier(secret=secret).actor(header)


def _bearer(header: str | None) -> str:
    if not header:
        raise AuthenticationError("an Authorization: Bearer token is required")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("the Authorization header must be 'Bearer <token>'")
    return token.strip()


def _actor(claims: dict[str, Any]) -> Actor:
    role, organisation, subject = claims.get("role"), claims.get("org"), claims.get("sub")
    if role is None and isinstance(claims.get("roles"), list):
        known = [r for r in claims["roles"] if r in ROLES]
        role = known[0] if len(known) == 1 else None
    if role not in ROLES or not isinstance(organisation, str) or not organisation \
            or not isinstance(subject, str) or not subject:
        raise AuthenticationError("the token lacks a valid role, org or sub claim")
    return Actor(user_id=subject, role=role, organisation=organisation)
