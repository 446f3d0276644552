"""Leftovers (issue 12.5), on SQLite and on PostgreSQL: identifiers whose journey was
never saved are swept (``casetrack vault sweep`` and at start-up), and on SQLite the
data directory is 0700 and every file in it 0600."""

from __future__ import annotations

import stat
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.personal_data import SWEEP_GRACE, sweep_orphans
from tests.conftest import settings_for
from web import create_app
from web.cli import main
from web.services import services_of

Auth = object


def _orphan(app: Flask) -> uuid.UUID:
    """A registration cut off after the vault's write, before the journey's."""
    orphan = uuid.uuid4()
    services_of(app).vault.create(orphan, {"given_name": "Orphan"})
    return orphan


def test_the_sweep_removes_identifiers_with_no_journey_and_keeps_the_rest(
        app: Flask, client: FlaskClient, auth: object) -> None:
    registered = client.post("/children", headers=auth(), json={  # type: ignore[operator]
        "date_of_birth": "2015-03-02", "given_name": "Kept"})
    assert registered.status_code == 201
    child_id = uuid.UUID(registered.json["child_id"])
    orphan = _orphan(app)
    services = services_of(app)
    tracking, vault = services.tracking, services.vault
    assert sweep_orphans(tracking, vault, since=None) == []  # within the grace: in flight
    later = datetime.now(UTC) + SWEEP_GRACE + timedelta(minutes=1)
    removed = sweep_orphans(tracking, vault, since=None, now=later)
    assert orphan in removed and child_id not in removed
    assert vault.identifiers(orphan) is None and vault.cipher(orphan) is None
    assert vault.identifiers(child_id) == {"given_name": "Kept"}


def test_start_up_sweeps_a_registration_cut_off_mid_way(
        tmp_path: Path, store_url: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    first = create_app(settings_for(tmp_path, store_url))
    orphan = _orphan(first)
    services_of(first).close()
    monkeypatch.setattr("application.personal_data.SWEEP_GRACE", timedelta(0))
    second = create_app(settings_for(tmp_path, store_url))
    try:
        assert services_of(second).vault.cipher(orphan) is None
    finally:
        services_of(second).close()


def test_casetrack_vault_sweep_reports_what_it_removed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
        ) -> None:
    app = create_app(settings_for(tmp_path))
    orphan = _orphan(app)
    services_of(app).close()
    for name, value in settings_for(tmp_path).__dict__.items():
        if name == "secret_key":
            monkeypatch.setenv("CASETRACK_SECRET_KEY", value)
    monkeypatch.setenv("CASETRACK_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("application.personal_data.SWEEP_GRACE", timedelta(0))
    assert main(["vault", "sweep", "--all"]) == 0
    assert str(orphan) in capsys.readouterr().out


def test_the_data_directory_is_0700_and_every_file_in_it_0600(
        tmp_path: Path, auth: object) -> None:
    data_dir = tmp_path / "data"
    app = create_app(settings_for(data_dir))
    try:
        client = app.test_client()
        assert client.post("/children", headers=auth(), json={  # type: ignore[operator]
            "date_of_birth": "2015-03-02", "occurred_on": date(2024, 1, 2).isoformat()}
                           ).status_code == 201
    finally:
        services_of(app).close()
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    files = [p for p in data_dir.iterdir() if p.is_file()]
    assert any(p.name.endswith(".sqlite") for p in files)
    assert {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files
            if stat.S_IMODE(p.stat().st_mode) != 0o600} == {}
