"""Hardening: security headers, CORS off unless configured, body limits, and production
refusing to start with development secrets."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import TEST_SECRET
from web import create_app
from web.config import SECRET_FILE, ConfigError, load_settings
from web.services import services_of

Auth = Callable[..., dict[str, str]]
ORIGIN = "https://portal.example.org"


def register(client: FlaskClient, headers: dict[str, str]) -> str:
    answer = client.post("/children", json={"date_of_birth": "2015-03-02"}, headers=headers)
    assert answer.status_code == 201, answer.json
    return str(answer.json["child_id"])


class TestHeaders:
    def test_case_data_is_not_stored_by_caches_and_is_not_sniffed_or_framed(
            self, client: FlaskClient, auth: Auth) -> None:
        child_id = register(client, auth())
        for path in (f"/children/{child_id}", f"/children/{child_id}/history",
                     "/children/00000000-0000-4000-8000-000000000000"):
            answer = client.get(path, headers=auth())
            assert answer.headers["Cache-Control"] == "no-store", path
            assert answer.headers["X-Content-Type-Options"] == "nosniff"
            assert answer.headers["X-Frame-Options"] == "DENY"
            assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
        written = client.post(f"/children/{child_id}/events", headers=auth(), json={
            "type": "EHCNeedsAssessmentRequested", "occurred_on": "2024-01-08",
            "requester_role": "Parent", "request_source": "1"})
        assert written.headers["Cache-Control"] == "no-store"

    def test_the_html_page_allows_only_its_own_inline_style_by_hash(
            self, client: FlaskClient) -> None:
        page = client.get("/docs/events")
        assert page.status_code == 200
        policy = page.headers["Content-Security-Policy"]
        styles = re.findall(rb"<style>(.*?)</style>", page.data, re.DOTALL)
        assert styles
        for style in styles:
            digest = base64.b64encode(hashlib.sha256(style).digest()).decode()
            assert f"'sha256-{digest}'" in policy
        assert "unsafe-inline" not in policy and "script-src" not in policy
        assert policy.startswith("default-src 'none'")

    def test_the_api_reference_runs_only_this_origins_scripts_and_no_inline_one(
            self, client: FlaskClient) -> None:
        page = client.get("/docs")
        assert page.status_code == 200
        policy = page.headers["Content-Security-Policy"]
        assert policy.startswith("default-src 'none'")
        assert "script-src 'self';" in policy and "connect-src 'self';" in policy
        assert "unsafe" not in policy and "http" not in policy
        html = page.get_data(as_text=True)
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
        assert len(scripts) == 2 and all(body.strip() == "" for _, body in scripts)
        for attributes, _ in scripts:
            source = re.search(r'src="([^"]+)"', attributes)
            assert source and source.group(1).startswith("/docs/")
            with client.get(source.group(1)) as script:  # a file: closed when read
                assert script.status_code == 200
        assert client.get("/docs/swagger-ui/oauth2-redirect.html").status_code == 404

    def test_errors_carry_the_headers_too(self, client: FlaskClient) -> None:
        answer = client.get("/children")
        assert answer.status_code == 401
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Cache-Control"] == "no-store"


class TestCors:
    def test_no_cross_origin_header_is_sent_when_cors_is_not_configured(
            self, client: FlaskClient, auth: Auth) -> None:
        answer = client.get("/audit/access", headers=auth(role="auditor", Origin=ORIGIN))
        assert answer.status_code == 200
        assert not [h for h in answer.headers.keys() if h.startswith("Access-Control-")]
        preflight = client.options("/children", headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
        assert "Access-Control-Allow-Origin" not in preflight.headers

    @pytest.fixture
    def cors_app(self, tmp_path: Path) -> Iterator[Flask]:
        app = create_app({"CASETRACK_DATA_DIR": str(tmp_path),
                          "CASETRACK_SECRET_KEY": TEST_SECRET, "CASETRACK_LOG_FORMAT": "json",
                          "CASETRACK_CORS_ORIGINS": ORIGIN})
        yield app
        services_of(app).close()

    def test_a_configured_origin_is_allowed_and_others_are_not(
            self, cors_app: Flask, auth: Auth) -> None:
        client = cors_app.test_client()
        preflight = client.options("/children", headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"})
        assert preflight.status_code == 204
        assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
        allowed = client.get("/audit/access", headers=auth(role="auditor", Origin=ORIGIN))
        assert allowed.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert "Origin" in allowed.headers.get_all("Vary")
        other = client.get("/audit/access",
                           headers=auth(role="auditor", Origin="https://evil.example"))
        assert "Access-Control-Allow-Origin" not in other.headers
        foreign_preflight = client.options("/children", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert "Access-Control-Allow-Origin" not in foreign_preflight.headers

    @pytest.mark.parametrize("origins", ["*", "portal.example.org",
                                         "https://portal.example.org/app"])
    def test_a_wildcard_or_malformed_origin_is_refused(self, tmp_path: Path,
                                                       origins: str) -> None:
        with pytest.raises(ConfigError, match="CASETRACK_CORS_ORIGINS"):
            load_settings({"CASETRACK_DATA_DIR": str(tmp_path),
                           "CASETRACK_CORS_ORIGINS": origins})


def test_a_body_over_the_limit_is_refused_with_413(tmp_path: Path, auth: Auth) -> None:
    app = create_app({"CASETRACK_DATA_DIR": str(tmp_path), "CASETRACK_SECRET_KEY": TEST_SECRET,
                      "CASETRACK_LOG_FORMAT": "json", "CASETRACK_MAX_BODY_BYTES": "2048"})
    try:
        answer = app.test_client().post("/children", headers=auth(), json={
            "date_of_birth": "2015-03-02", "case_ref": "x" * 4000})
        assert answer.status_code == 413
        assert answer.mimetype == "application/problem+json"
    finally:
        services_of(app).close()


class TestProductionSecrets:
    def production(self, tmp_path: Path, **extra: str) -> dict[str, str]:
        return {"CASETRACK_ENV": "production", "CASETRACK_DATA_DIR": str(tmp_path),
                "CASETRACK_SECRET_KEY": secrets.token_urlsafe(48),
                "CASETRACK_JWKS_URL": "https://idp.example.org/certs",
                "CASETRACK_TOKEN_ISSUER": "https://idp.example.org",
                "CASETRACK_TOKEN_AUDIENCE": "casetrack", **extra}

    def test_good_production_settings_load(self, tmp_path: Path) -> None:
        settings = load_settings(self.production(tmp_path))
        assert settings.is_production and settings.jwks_url

    def test_the_generated_development_secret_is_refused(self, tmp_path: Path) -> None:
        development = load_settings({"CASETRACK_DATA_DIR": str(tmp_path)}).secret_key
        assert (tmp_path / SECRET_FILE).exists()
        with pytest.raises(ConfigError, match="generated development secret"):
            load_settings(self.production(tmp_path, CASETRACK_SECRET_KEY=development))

    @pytest.mark.parametrize("key, message", [
        ("short-key", "at least 32"),
        (TEST_SECRET, "does not look random"),
        ("a" * 64, "does not look random"),
    ])
    def test_a_weak_secret_is_refused(self, tmp_path: Path, key: str, message: str) -> None:
        with pytest.raises(ConfigError, match=message):
            load_settings(self.production(tmp_path, CASETRACK_SECRET_KEY=key))

    def test_a_missing_secret_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="CASETRACK_SECRET_KEY is required"):
            load_settings(self.production(tmp_path, CASETRACK_SECRET_KEY=""))

    @pytest.mark.parametrize("name, value, message", [
        ("CASETRACK_JWKS_URL", "", "CASETRACK_JWKS_URL is required"),
        ("CASETRACK_JWKS_URL", "http://idp.example.org/certs", "https"),
        ("CASETRACK_TOKEN_ISSUER", "", "CASETRACK_TOKEN_ISSUER"),
        ("CASETRACK_TOKEN_AUDIENCE", "", "CASETRACK_TOKEN_AUDIENCE"),
        ("CASETRACK_TOKEN_LEEWAY", "600", "CASETRACK_TOKEN_LEEWAY"),
    ])
    def test_production_needs_the_identity_provider(self, tmp_path: Path, name: str,
                                                    value: str, message: str) -> None:
        with pytest.raises(ConfigError, match=message):
            load_settings(self.production(tmp_path, **{name: value}))

    def test_the_command_line_refuses_to_serve_with_a_development_secret(
            self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> None:
        from web.cli import main

        for name, value in self.production(tmp_path, CASETRACK_SECRET_KEY=TEST_SECRET).items():
            monkeypatch.setenv(name, value)
        assert main(["serve"]) == 2
        assert "does not look random" in capsys.readouterr().err
