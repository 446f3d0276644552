"""Tamper evidence over HTTP and the command line: /children/{id}/integrity,
/audit/checkpoints, ``casetrack verify`` and ``casetrack checkpoint``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from flask import Flask
from flask.testing import FlaskClient

from infrastructure.persistence import event_store_env
from tests.conftest import TEST_SECRET, settings_for
from tests.integration.test_tamper_evidence import Rows
from web import create_app
from web.services import services_of

ROOT = Path(__file__).resolve().parents[2]
Headers = Callable[..., dict[str, str]]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def own_store_url(request: pytest.FixtureRequest) -> str | None:
    """An empty store of this test's own: checkpoints are signed with its own key."""
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("postgres_schema_url")
    return url


@pytest.fixture
def integrity_app(tmp_path: Path, own_store_url: str | None) -> Iterator[Flask]:
    flask_app = create_app(settings_for(tmp_path, own_store_url))
    yield flask_app
    services_of(flask_app).close()


@pytest.fixture
def http(integrity_app: Flask) -> FlaskClient:
    return integrity_app.test_client()


def journey(http: FlaskClient, auth: Headers, events: int = 3) -> UUID:
    answer = http.post("/children", json={"date_of_birth": "2015-03-02",
                                          "occurred_on": "2024-01-02"},
                       headers=auth("manager"))
    assert answer.status_code == 201, answer.get_json()
    child_id = UUID(answer.get_json()["child_id"])
    bodies: list[dict[str, Any]] = [{"type": "EHCNeedsAssessmentRequested",
                                     "occurred_on": "2024-01-08", "requester_role": "Parent",
                                     "request_source": "1"}]
    bodies += [{"type": "FamilyViewsSubmitted", "occurred_on": f"2024-01-{10 + n}",
                "author_role": "parent"} for n in range(events - 2)]
    for body in bodies:
        answer = http.post(f"/children/{child_id}/events", json=body, headers=auth("manager"))
        assert answer.status_code == 201, answer.get_json()
    return child_id


def checkpoint(app: Flask) -> Any:
    return services_of(app).integrity.log().checkpoint()


def rows(tmp_path: Path, url: str | None) -> Rows:
    return Rows(event_store_env(url, tmp_path), url)


def test_a_journey_verifies_and_names_the_checkpoint_that_anchors_it(
        integrity_app: Flask, http: FlaskClient, auth: Headers) -> None:
    child_id = journey(http, auth)
    before = http.get(f"/children/{child_id}/integrity", headers=auth("auditor"))
    assert before.status_code == 200
    body = before.get_json()
    assert body["verified"] is True and body["first_bad_version"] is None
    assert body["head_version"] == 3 and len(body["head_hash"]) == 64
    assert body["checkpoint"] is None and body["anchored_version"] is None
    made = checkpoint(integrity_app)
    after = http.get(f"/children/{child_id}/integrity", headers=auth("manager")).get_json()
    assert after["anchored_version"] == 3 and after["checkpoint"]["seq"] == made.seq
    assert after["checkpoint"]["root"] == made.root
    assert after["checkpoint_signature_valid"] is True


def test_the_checkpoints_are_listed_with_the_public_key_to_check_them_offline(
        integrity_app: Flask, http: FlaskClient, auth: Headers) -> None:
    journey(http, auth)
    checkpoint(integrity_app)
    journey(http, auth)
    checkpoint(integrity_app)
    answer = http.get("/audit/checkpoints", headers=auth("auditor"))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["algorithm"] == "Ed25519" and len(body["public_key"]) == 64
    assert [c["seq"] for c in body["checkpoints"]] == [1, 2]
    assert all(c["signature_valid"] for c in body["checkpoints"])
    assert body["checkpoints"][1]["position"] > body["checkpoints"][0]["position"]

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from infrastructure.integrity import Checkpoint

    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(body["public_key"]))
    listed = {k: v for k, v in body["checkpoints"][0].items() if k != "signature_valid"}
    assert Checkpoint(**listed).verifies(key)


def test_an_edited_event_is_reported_at_its_version(
        integrity_app: Flask, http: FlaskClient, auth: Headers, tmp_path: Path,
        own_store_url: str | None) -> None:
    child_id = journey(http, auth, events=4)
    table = rows(tmp_path, own_store_url)
    try:
        state = table.state(child_id, 3)
        state["author_role"] = "child"
        table.set_state(child_id, 3, state)
    finally:
        table.close()
    body = http.get(f"/children/{child_id}/integrity", headers=auth("auditor")).get_json()
    assert body["verified"] is False and body["first_bad_version"] == 3
    assert "content" in body["reason"]


def test_only_auditors_and_managers_of_the_authority_may_check_integrity(
        http: FlaskClient, auth: Headers) -> None:
    child_id = journey(http, auth)
    path = f"/children/{child_id}/integrity"
    for role in ("caseworker", "inspector", "admin"):
        assert http.get(path, headers=auth(role)).status_code == 403
        assert http.get("/audit/checkpoints", headers=auth(role)).status_code == 403
    assert http.get(path, headers=auth("auditor", org="LA-902")).status_code == 403
    assert http.get(path, headers=auth("manager", org="LA-902")).status_code == 403
    assert http.get(path).status_code == 401
    assert http.get("/audit/checkpoints").status_code == 401
    unknown = http.get(f"/children/{UUID(int=7)}/integrity", headers=auth("auditor"))
    assert unknown.status_code == 404
    assert unknown.headers["Content-Type"] == "application/problem+json"


def casetrack(data_dir: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if name not in (
        "CASETRACK_DATABASE_URL", "CASETRACK_SIGNING_KEY_FILE", "CASETRACK_ENV")}
    env.update(CASETRACK_DATA_DIR=str(data_dir), CASETRACK_SECRET_KEY=TEST_SECRET,
               PYTHONPATH=str(ROOT), **extra)
    return subprocess.run([sys.executable, "-m", "web.cli", *args], env=env,
                          capture_output=True, text=True, timeout=60)


def test_the_verify_and_checkpoint_commands_report_and_exit_nonzero_on_tampering(
        tmp_path: Path, auth: Headers) -> None:
    app = create_app(settings_for(tmp_path))
    try:
        child_id = journey(app.test_client(), auth, events=4)
    finally:
        services_of(app).close()
    clean = casetrack(tmp_path, "verify")
    assert clean.returncode == 0, clean.stderr
    assert "verified" in clean.stdout
    signed = casetrack(tmp_path, "checkpoint")
    assert signed.returncode == 0, signed.stderr
    assert json.loads(signed.stdout)["seq"] == 1
    assert (tmp_path / "checkpoint-signing-key.pem").stat().st_mode & 0o777 == 0o600
    table = Rows(event_store_env(None, tmp_path), None)
    try:
        table.delete(child_id, 3)
    finally:
        table.close()
    tampered = casetrack(tmp_path, "verify")
    assert tampered.returncode == 1
    assert f"first bad event: log: journey {child_id}, version 3" in tampered.stdout
    assert "FAILED" in tampered.stdout
    report = json.loads(casetrack(tmp_path, "verify", "--json").stdout)
    assert report["verified"] is False and len(report["findings"]) == 2
    refused = casetrack(tmp_path, "checkpoint")
    assert refused.returncode == 1 and "refusing" in refused.stderr


def test_production_without_a_signing_key_file_refuses_to_sign_or_check(
        tmp_path: Path) -> None:
    from infrastructure.integrity import SigningKeyMissingError, load_signing_key

    with pytest.raises(SigningKeyMissingError, match="CASETRACK_SIGNING_KEY_FILE"):
        load_signing_key(None, tmp_path, production=True)
    assert not (tmp_path / "checkpoint-signing-key.pem").exists()


def test_a_configured_key_file_signs_the_checkpoints(tmp_path: Path, auth: Headers) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    key_file = tmp_path / "signing.pem"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    signed = casetrack(tmp_path / "var", "checkpoint", CASETRACK_SIGNING_KEY_FILE=str(key_file))
    assert signed.returncode == 0, signed.stderr
    from infrastructure.integrity import key_id

    assert json.loads(signed.stdout)["key_id"] == key_id(key.public_key())
    assert not (tmp_path / "var" / "checkpoint-signing-key.pem").exists()
