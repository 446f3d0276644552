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
from tests.conftest import own_store, settings_for
from web import create_app
from web.cli import main
from web.services import services_of

Auth = object


# A sweep takes every orphan in its store: in the run's shared PostgreSQL database it
# would count, and remove, what other tests keep there.
store_url = pytest.fixture(own_store)


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


def _age(app: Flask, *children: uuid.UUID, by: timedelta = timedelta(hours=1)) -> None:
    """Make the documents' bytes of ``children`` look kept ``by`` ago (a crash long past)."""
    from sqlalchemy import update

    from infrastructure.vault import documents_table

    with services_of(app).vault._engine.begin() as connection:  # noqa: SLF001
        connection.execute(update(documents_table).where(
            documents_table.c.child_id.in_([str(c) for c in children])).values(
            created_at=datetime.now(UTC) - by))


def test_the_sweep_removes_document_bytes_no_event_names_and_keeps_the_rest(
        app: Flask, client: FlaskClient, auth: object) -> None:
    """Bytes kept by an upload cut off before its DocumentAttached was recorded are swept
    once older than the grace; bytes an event names, and young bytes, stay."""
    import hashlib

    from application.documents import sweep_orphan_documents
    from tests.e2e.test_documents import PDF, PNG, register, upload

    def sha(content: bytes) -> str:
        return hashlib.sha256(content).hexdigest()

    child_id = uuid.UUID(register(client, auth))  # type: ignore[arg-type]
    attached = upload(client, str(child_id), auth())  # type: ignore[operator]
    assert attached.status_code == 201, attached.json
    document_id = attached.json["event"]["data"]["document_id"]
    vault, tracking = services_of(app).vault, services_of(app).tracking
    cut_off, retried, young = PNG + b"cut off", PNG + b"retried", PNG + b"in flight"
    for content in (cut_off, retried):
        assert vault.put_document(child_id, sha(content), "image/png", content)
    never_saved = _orphan(app)  # a journey never saved: nothing names its document
    assert vault.put_document(never_saved, sha(PDF), "application/pdf", PDF)
    _age(app, child_id, never_saved)
    # Old bytes put again by a retried upload are young again: its event is on the way.
    assert not vault.put_document(child_id, sha(retried), "image/png", retried)
    assert vault.put_document(child_id, sha(young), "image/png", young)
    assert sweep_orphan_documents(tracking, vault, since=None) == 2
    assert vault.document(child_id, sha(cut_off)) is None
    assert vault.document(never_saved, sha(PDF)) is None
    assert vault.document(child_id, sha(PDF)) == PDF  # named by DocumentAttached
    for content in (retried, young):  # within the grace
        assert vault.document(child_id, sha(content)) == content
    assert client.get(f"/children/{child_id}/documents/{document_id}",
                      headers=auth()).data == PDF  # type: ignore[operator]
    assert sweep_orphan_documents(tracking, vault, since=None) == 0
    later = datetime.now(UTC) + SWEEP_GRACE + timedelta(minutes=1)
    assert sweep_orphan_documents(tracking, vault, since=None, now=later) == 2
    assert vault.document(child_id, sha(PDF)) == PDF
