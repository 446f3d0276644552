"""Bearer tokens: HS256 with the local secret, RS256/ES256 against a JWKS served over HTTP;
every bad token is refused with 401."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import TEST_SECRET
from web import auth, create_app
from web.config import load_settings
from web.services import services_of

ISSUER, AUDIENCE = "https://idp.example.org/realms/send", "casetrack-prod"
GOOD = {"sub": "user-9", "role": "auditor", "org": "LA-901"}


def claims(now: float | None = None, **changes: Any) -> dict[str, Any]:
    now = time.time() if now is None else now
    body = {"iss": "casetrack", "aud": "casetrack-api", "iat": int(now), "nbf": int(now),
            "exp": int(now) + 600, **GOOD}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def unsigned(body: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(body)}."


def asks(client: FlaskClient, token: str) -> int:
    return client.get("/audit/access", headers=bearer(token)).status_code


class TestLocalTokens:
    def test_a_good_token_is_accepted(self, client: FlaskClient) -> None:
        assert asks(client, jwt.encode(claims(), TEST_SECRET, algorithm="HS256")) == 200

    @pytest.mark.parametrize("name, token", [
        ("expired", lambda: jwt.encode(claims(exp=int(time.time()) - 120), TEST_SECRET,
                                       algorithm="HS256")),
        ("forged", lambda: jwt.encode(claims(), "another-secret-" + "y" * 40,
                                      algorithm="HS256")),
        ("wrong audience", lambda: jwt.encode(claims(aud="someone-else"), TEST_SECRET,
                                              algorithm="HS256")),
        ("wrong issuer", lambda: jwt.encode(claims(iss="https://evil.example"), TEST_SECRET,
                                            algorithm="HS256")),
        ("alg none", lambda: unsigned(claims())),
        ("not yet valid", lambda: jwt.encode(claims(nbf=int(time.time()) + 300),
                                             TEST_SECRET, algorithm="HS256")),
        ("no expiry", lambda: jwt.encode(claims(exp=None), TEST_SECRET, algorithm="HS256")),
        ("no role", lambda: jwt.encode(claims(role=None), TEST_SECRET, algorithm="HS256")),
        ("unknown role", lambda: jwt.encode(claims(role="superuser"), TEST_SECRET,
                                            algorithm="HS256")),
        ("no organisation", lambda: jwt.encode(claims(org=None), TEST_SECRET,
                                               algorithm="HS256")),
        ("tampered payload", lambda: _tampered()),
        ("garbage", lambda: "not.a.token"),
    ])
    def test_a_bad_token_is_refused_with_401(self, client: FlaskClient, name: str,
                                             token: Callable[[], str]) -> None:
        answer = client.get("/audit/access", headers=bearer(token()))
        assert answer.status_code == 401, name
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert answer.mimetype == "application/problem+json"

    def test_clock_skew_is_bounded(self, client: FlaskClient) -> None:
        now = time.time()
        just_expired = jwt.encode(claims(exp=int(now) - 10), TEST_SECRET, algorithm="HS256")
        long_expired = jwt.encode(claims(exp=int(now) - 45), TEST_SECRET, algorithm="HS256")
        assert asks(client, just_expired) == 200  # within the 30 s leeway
        assert asks(client, long_expired) == 401


def _tampered() -> str:
    header, _, signature = jwt.encode(claims(), TEST_SECRET, algorithm="HS256").split(".")
    body = base64.urlsafe_b64encode(json.dumps(claims(role="manager")).encode()).rstrip(b"=")
    return f"{header}.{body.decode()}.{signature}"


# An identity provider: its keys, and its JWK set served over HTTP on 127.0.0.1.

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
STRANGER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk_set() -> dict[str, Any]:
    keys = []
    for kid, key, algorithm in (("rsa-1", RSA_KEY, jwt.algorithms.RSAAlgorithm),
                                ("ec-1", EC_KEY, jwt.algorithms.ECAlgorithm)):
        jwk = json.loads(algorithm.to_jwk(key.public_key()))  # type: ignore[attr-defined]
        jwk.update(kid=kid, use="sig")
        keys.append(jwk)
    return {"keys": keys}


class JWKSHandler(BaseHTTPRequestHandler):
    fetches = 0

    def do_GET(self) -> None:  # noqa: N802
        type(self).fetches += 1
        body = json.dumps(jwk_set()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def jwks_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), JWKSHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/protocol/openid-connect/certs"
    server.shutdown()
    server.server_close()
    thread.join()


def idp_app(data_dir: Path, jwks_url: str) -> Flask:
    return create_app(load_settings({
        "CASETRACK_DATA_DIR": str(data_dir), "CASETRACK_SECRET_KEY": TEST_SECRET,
        "CASETRACK_LOG_FORMAT": "json", "CASETRACK_JWKS_URL": jwks_url,
        "CASETRACK_TOKEN_ISSUER": ISSUER, "CASETRACK_TOKEN_AUDIENCE": AUDIENCE}))


@pytest.fixture
def idp_client(tmp_path: Path, jwks_url: str) -> Iterator[FlaskClient]:
    app = idp_app(tmp_path, jwks_url)
    yield app.test_client()
    services_of(app).close()


def idp_token(key: Any = RSA_KEY, algorithm: str = "RS256", kid: str = "rsa-1",
              **changes: Any) -> str:
    body = claims(**{"iss": ISSUER, "aud": AUDIENCE, **changes})
    return jwt.encode(body, key, algorithm=algorithm, headers={"kid": kid})


class TestIdentityProviderTokens:
    def test_an_rs256_token_is_verified_against_the_jwks(self, idp_client: FlaskClient
                                                         ) -> None:
        answer = idp_client.post("/children", json={"date_of_birth": "2015-03-02"},
                                 headers=bearer(idp_token(role="caseworker")))
        assert answer.status_code == 201, answer.json
        assert answer.json["event"]["actor"] == {
            "user_id": "user-9", "role": "caseworker", "organisation": "LA-901"}

    def test_an_es256_token_is_verified_against_the_jwks(self, idp_client: FlaskClient
                                                         ) -> None:
        assert asks(idp_client, idp_token(EC_KEY, "ES256", "ec-1")) == 200

    def test_a_roles_list_naming_one_casetrack_role_is_accepted(
            self, idp_client: FlaskClient) -> None:
        token = idp_token(role=None, roles=["offline_access", "auditor"])
        assert asks(idp_client, token) == 200

    @pytest.mark.parametrize("name, token", [
        ("local HS256 token", lambda: jwt.encode(claims(iss=ISSUER, aud=AUDIENCE),
                                                 TEST_SECRET, algorithm="HS256")),
        ("HS256 signed with the public key", lambda: _hs256_with_public_key()),
        ("signed by a stranger's key", lambda: idp_token(STRANGER_KEY)),
        ("unknown kid", lambda: idp_token(kid="rsa-404")),
        ("wrong issuer", lambda: idp_token(iss="https://idp.example.org/realms/other")),
        ("wrong audience", lambda: idp_token(aud="another-api")),
        ("expired", lambda: idp_token(exp=int(time.time()) - 300)),
        ("not yet valid", lambda: idp_token(nbf=int(time.time()) + 300)),
        ("alg none", lambda: unsigned(claims(iss=ISSUER, aud=AUDIENCE))),
        ("two casetrack roles", lambda: idp_token(role=None, roles=["auditor", "manager"])),
    ])
    def test_a_bad_token_is_refused_with_401(self, idp_client: FlaskClient, name: str,
                                             token: Callable[[], str]) -> None:
        assert asks(idp_client, token()) == 401, name

    def test_an_unreachable_identity_provider_answers_503_not_401(self, tmp_path: Path
                                                                  ) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", 0), JWKSHandler)
        port = server.server_address[1]
        server.server_close()  # nothing listens there now
        app = idp_app(tmp_path, f"http://127.0.0.1:{port}/certs")
        try:
            answer = app.test_client().get("/audit/access", headers=bearer(idp_token()))
            assert answer.status_code == 503
            assert answer.json["type"] == "/problems/identity-provider-unavailable"
        finally:
            services_of(app).close()


def _hs256_with_public_key() -> str:
    pem = RSA_KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    header = {"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}
    signing_input = ".".join(
        base64.urlsafe_b64encode(json.dumps(p).encode()).rstrip(b"=").decode()
        for p in (header, claims(iss=ISSUER, aud=AUDIENCE)))
    import hashlib
    import hmac

    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()


# A verified token is remembered (web.auth): later requests check only its times, and must
# answer exactly as verifying it afresh would.

CHILD = "0b0d5f3e-8f4a-4d8e-9a43-1f2c3d4e5f60"


def _kind_claims(kind: str, now: int, nbf: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"aud": "casetrack-api", "sub": "user-9", "org": "LA-901",
                            "iat": now, "exp": now + 600}
    if nbf:
        body["nbf"] = now
    if kind == "invitation":
        return {**body, "iss": auth.INVITATION_ISSUER, "role": "family", "child": CHILD}
    return {**body, "iss": auth.ISSUER, "role": "auditor"}


def _outcome(verifier: auth.TokenVerifier, token: str) -> str:
    try:
        return repr(verifier.actor(f"Bearer {token}"))
    except auth.AuthenticationError as error:
        return f"refused: {error}"


@pytest.mark.parametrize("kind", ["staff", "invitation"])
@pytest.mark.parametrize("nbf", [True, False])
@pytest.mark.parametrize("later", [-100, -20, 0, 300, 620, 645, 10_000])
def test_a_remembered_token_answers_as_verifying_it_afresh_would(
        kind: str, nbf: bool, later: int) -> None:
    """``later`` seconds after a token was verified, the remembered answer equals a fresh
    verification ``later`` seconds into the token's life (the same token, its times moved
    back by ``later``): accepted, expired or not valid yet, in the same words."""
    now = int(time.time())
    token = jwt.encode(_kind_claims(kind, now, nbf), TEST_SECRET, algorithm="HS256")
    remembering = auth.TokenVerifier(secret=TEST_SECRET, clock=lambda: time.time() + later)
    assert not _outcome(remembering, token).startswith("refused")  # verified, remembered
    moved = {name: value - later if name in ("iat", "nbf", "exp") else value
             for name, value in _kind_claims(kind, now, nbf).items()}
    afresh = jwt.encode(moved, TEST_SECRET, algorithm="HS256")
    expected = _outcome(auth.TokenVerifier(secret=TEST_SECRET), afresh)
    assert _outcome(remembering, token) == expected
    if later in (-100, 645, 10_000):
        assert expected.startswith("refused"), expected  # the cases do cover refusals


def test_a_token_is_verified_in_full_once_then_again_after_the_period(
        monkeypatch: pytest.MonkeyPatch) -> None:
    decoded: list[str] = []
    decode = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        decoded.append(token)
        return decode(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    token = jwt.encode(claims(), TEST_SECRET, algorithm="HS256")
    remembering = auth.TokenVerifier(secret=TEST_SECRET)
    actors = {repr(remembering.actor(f"Bearer {token}")) for _ in range(3)}
    assert len(actors) == 1 and len(decoded) == 2  # the issuer peeked at, then verified
    decoded.clear()
    every_time = auth.TokenVerifier(secret=TEST_SECRET, verify_again_after=0)
    assert {repr(every_time.actor(f"Bearer {token}")) for _ in range(3)} == actors
    assert len(decoded) == 6
