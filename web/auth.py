"""Bearer tokens: checked with PyJWT; the principal becomes the event actor.

Development (no ``CASETRACK_JWKS_URL``): HS256 tokens signed with the local secret,
minted by ``casetrack token``. Production: RS256/ES256 tokens from the identity
provider, their key picked by ``kid`` from its JWK set (``PyJWKClient``). Either way
the algorithms are pinned (never taken from the token), and ``iss``, ``aud``, ``exp``,
``nbf`` and ``iat`` are checked with a bounded clock skew.

A client sends the same token with every request for hours, so a token once verified is
remembered (by its exact text, signature included) with the actor it names: each later
request checks only what can change with time (``iat``, ``nbf``, ``exp``, the same checks
in PyJWT's order with the same answers), and every ``VERIFIED_SECONDS`` the token is
verified again in full (a key the identity provider withdraws stops working as soon as
it would have without the memory). Refusals are never remembered.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import jwt
import structlog

from application.access import ROLES
from domain.actors import Actor

logger = structlog.get_logger()

ISSUER = "casetrack"
# A family's invitation is signed here (the authority invites; the identity provider
# knows no family), under its own issuer so it is never mistaken for a staff token.
INVITATION_ISSUER = "casetrack-invitation"
AUDIENCE = "casetrack-api"
ALGORITHMS = ["HS256"]
IDP_ALGORITHMS = ["RS256", "ES256"]
LEEWAY_SECONDS = 30
REQUIRED_CLAIMS = ["exp", "iat", "sub", "aud", "iss"]
JWKS_CACHE_SECONDS = 300
JWKS_TIMEOUT_SECONDS = 5
VERIFIED_SECONDS = JWKS_CACHE_SECONDS  # a remembered token is verified again in full after
VERIFIED_TOKENS = 4096  # at most this many remembered; past it the memory starts afresh


class AuthenticationError(Exception):
    """Raised when a request carries no valid bearer token."""


class IdentityProviderUnavailableError(Exception):
    """Raised when the identity provider's keys cannot be fetched to check a token."""


def mint_token(secret: str, *, subject: str, role: str, organisation: str,
               ttl_seconds: int = 8 * 3600, now: float | None = None,
               child: str | None = None, issuer: str = ISSUER) -> str:
    """Return a signed development token for ``subject`` acting as ``role`` in ``organisation``
    (a family's names its ``child``)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(sorted(ROLES))}")
    if (role == "family") != (child is not None):
        raise ValueError("a family's token names its child, and only a family's does")
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {"iss": issuer, "aud": AUDIENCE, "sub": subject, "role": role,
                              "org": organisation, "iat": issued, "nbf": issued,
                              "exp": issued + ttl_seconds}
    if child is not None:
        claims["child"] = child
    return jwt.encode(claims, secret, algorithm="HS256")


def mint_invitation(secret: str, *, child: str, organisation: str, subject: str,
                    ttl_seconds: int, now: float | None = None) -> str:
    """Return a family's invitation: a token for one child, signed by this deployment."""
    return mint_token(secret, subject=subject, role="family", organisation=organisation,
                      ttl_seconds=ttl_seconds, now=now, child=child,
                      issuer=INVITATION_ISSUER)


@dataclass(frozen=True)
class _Verified:
    """A token that passed every check, and what a later request must check again."""

    actor: Actor
    claims: dict[str, Any]
    expired: str  # the refusal when it has expired (an invitation's own words)
    immature: str  # the refusal when it is not valid yet
    verify_again_at: float  # time.monotonic()

    def check_times(self, now: float, leeway: float) -> None:
        """PyJWT's time checks, in its order (iat, nbf, exp), with the verifier's answers."""
        claims = self.claims
        if int(claims["iat"]) > now + leeway or (
                "nbf" in claims and int(claims["nbf"]) > now + leeway):
            raise AuthenticationError(self.immature)
        if int(claims["exp"]) <= now - leeway:
            raise AuthenticationError(self.expired)


class TokenVerifier:
    """Turn an ``Authorization: Bearer`` header into an actor, or raise."""

    def __init__(self, *, secret: str | None = None, jwks_url: str | None = None,
                 issuer: str = ISSUER, audience: str = AUDIENCE,
                 leeway: int = LEEWAY_SECONDS, invitation_secret: str | None = None,
                 clock: Callable[[], float] = time.time,
                 verify_again_after: float = VERIFIED_SECONDS) -> None:
        if (secret is None) == (jwks_url is None):
            raise ValueError("give a secret (HS256) or a JWKS URL (RS256/ES256), not both")
        self._secret = secret
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=JWKS_CACHE_SECONDS,
                                     timeout=JWKS_TIMEOUT_SECONDS) if jwks_url else None
        self.algorithms = IDP_ALGORITHMS if jwks_url else ALGORITHMS
        self.issuer, self.audience, self.leeway = issuer, audience, leeway
        self._invitation_secret = invitation_secret or secret
        self._clock, self._verify_again_after = clock, verify_again_after
        self._verified: dict[str, _Verified] = {}

    def actor(self, header: str | None) -> Actor:
        token = _bearer(header)
        known = self._verified.get(token)
        if known is not None and time.monotonic() < known.verify_again_at:
            known.check_times(self._clock(), self.leeway)
            return known.actor
        if _issuer_of(token) == INVITATION_ISSUER:
            return self._invitation(token)
        return self._staff(token)

    def _remember(self, token: str, actor: Actor, claims: dict[str, Any], *,
                  expired: str, immature: str) -> Actor:
        if len(self._verified) >= VERIFIED_TOKENS:
            self._verified.clear()
        self._verified[token] = _Verified(
            actor, {name: claims[name] for name in ("iat", "nbf", "exp") if name in claims},
            expired, immature, time.monotonic() + self._verify_again_after)
        return actor

    def _staff(self, token: str) -> Actor:
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
        return self._remember(token, _actor(claims), claims, expired="the token has expired",
                              immature="the token is not valid yet")

    def _invitation(self, token: str) -> Actor:
        """A family's invitation: HS256 under this deployment's secret, role family only."""
        if self._invitation_secret is None:
            raise AuthenticationError("the token is not valid")
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self._invitation_secret, algorithms=ALGORITHMS, audience=AUDIENCE,
                issuer=INVITATION_ISSUER, leeway=self.leeway,
                options={"require": REQUIRED_CLAIMS, "verify_nbf": True, "verify_iat": True})
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("the invitation has expired") from None
        except jwt.InvalidTokenError:
            raise AuthenticationError("the token is not valid") from None
        if claims.get("role") != "family":
            raise AuthenticationError("an invitation carries the family role only")
        return self._remember(token, _actor(claims), claims,
                              expired="the invitation has expired",
                              immature="the token is not valid")

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
                             audience=settings.token_audience, leeway=settings.token_leeway,
                             invitation_secret=settings.secret_key)
    return TokenVerifier(secret=settings.secret_key, leeway=settings.token_leeway)


def actor_from_header(header: str | None, secret: str) -> Actor:
    """Return the actor an HS256 ``Authorization: Bearer`` header names, or raise."""
    return TokenVerifier(secret=secret).actor(header)


def _issuer_of(token: str) -> Any:
    try:
        return jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.InvalidTokenError:
        return None


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
    child = claims.get("child") if role == "family" else None
    if role == "family" and not _is_uuid(child):
        raise AuthenticationError("a family's token must name its child (claim 'child')")
    return Actor(user_id=subject, role=role, organisation=organisation, child_id=child)


def _is_uuid(value: Any) -> bool:
    try:
        return isinstance(value, str) and str(UUID(value)) == value
    except ValueError:
        return False
