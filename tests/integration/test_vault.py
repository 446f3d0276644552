"""The personal-data vault on real SQLite and PostgreSQL: envelope encryption, identifiers
kept only encrypted, and erasure that destroys the key for good."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from infrastructure.persistence import sqlalchemy_url
from infrastructure.vault import (
    SQLITE_FILE,
    ChildKeyShreddedError,
    MasterKeyMismatchError,
    SQLVault,
    VaultError,
)

MARKER = "ZZQX-MARKER-NAME"
IDENTIFIERS = {"given_name": MARKER, "family_name": "Synthetic", "postcode": "SW1A 1AA"}


@pytest.fixture
def url(tmp_path: Path, store_url: str | None) -> str:
    return sqlalchemy_url(store_url, tmp_path, SQLITE_FILE)


@pytest.fixture
def vault(url: str) -> Iterator[SQLVault]:
    opened = SQLVault.at(url, os.urandom(32))
    yield opened
    opened.close()


def raw_rows(url: str) -> bytes:
    """Return every stored byte of the vault table, as the database holds it."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT child_id, wrapped_key, identifiers FROM casetrack_personal_data")).all()
    finally:
        engine.dispose()
    return b"".join(bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode()
                    for row in rows for v in row if v is not None)


def test_identifiers_are_stored_encrypted_and_read_back_in_clear(vault: SQLVault,
                                                                  url: str) -> None:
    child = uuid.uuid4()
    vault.create(child, IDENTIFIERS)
    assert vault.identifiers(child) == IDENTIFIERS
    assert MARKER.encode() not in raw_rows(url)


def test_free_text_seals_the_same_way_for_one_child_and_opens_only_with_its_key(
        vault: SQLVault) -> None:
    child, other = uuid.uuid4(), uuid.uuid4()
    key = vault.create(child)
    sealed = key.seal(MARKER)
    assert MARKER not in sealed
    assert key.seal(MARKER) == sealed
    assert key.open(sealed) == MARKER
    assert vault.create(other).seal(MARKER) != sealed
    with pytest.raises(VaultError):
        vault.create(other).open(sealed)
    assert key.seal("   ") == "   "


def test_erasure_destroys_the_key_and_identifiers_and_refuses_a_new_key(
        vault: SQLVault, url: str) -> None:
    child = uuid.uuid4()
    sealed = vault.create(child, IDENTIFIERS).seal(MARKER)
    assert vault.shred(child) is True
    assert vault.cipher(child) is None
    assert vault.identifiers(child) is None
    assert vault.is_shredded(child)
    assert vault.shred(child) is False
    with pytest.raises(ChildKeyShreddedError):
        vault.create(child)
    assert sealed.startswith("sealed:v1:")
    stored = raw_rows(url)
    assert MARKER.encode() not in stored and str(child).encode() in stored


def test_a_vault_opened_with_another_master_key_refuses_to_unwrap(url: str) -> None:
    first = SQLVault.at(url, os.urandom(32))
    child = uuid.uuid4()
    first.create(child, IDENTIFIERS)
    first.close()
    second = SQLVault.at(url, os.urandom(32))
    try:
        with pytest.raises(MasterKeyMismatchError):
            second.cipher(child)
    finally:
        second.close()


def test_a_registration_that_failed_leaves_no_record(vault: SQLVault) -> None:
    child = uuid.uuid4()
    vault.create(child, IDENTIFIERS)
    vault.discard(child)
    assert vault.cipher(child) is None and not vault.is_shredded(child)


def test_the_sqlite_vault_overwrites_erased_rows(tmp_path: Path) -> None:
    path = tmp_path / SQLITE_FILE
    vault = SQLVault.at(f"sqlite:///{path}", os.urandom(32))
    try:
        with vault._engine.connect() as connection:  # noqa: SLF001
            assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        child = uuid.uuid4()
        vault.create(child, IDENTIFIERS)
        vault.shred(child)
    finally:
        vault.close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT wrapped_key, identifiers FROM "
                                  "casetrack_personal_data").fetchall() == [(None, None)]


def test_the_sqlite_vault_keeps_no_copy_of_an_erased_key_in_its_files(tmp_path: Path) -> None:
    # WAL mode (cheap key writes): the -wal file holds the page as it was before the
    # erasure until a checkpoint; an erasure truncates it, so the key is in no file.
    path = tmp_path / SQLITE_FILE
    vault = SQLVault.at(f"sqlite:///{path}", os.urandom(32))
    try:
        with vault._engine.connect() as connection:  # noqa: SLF001
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        child = uuid.uuid4()
        vault.create(child, IDENTIFIERS)
        wrapped = vault._row(child).wrapped_key  # noqa: SLF001
        files = [p for p in tmp_path.iterdir() if p.name.startswith(SQLITE_FILE)]
        assert any(wrapped in p.read_bytes() for p in files)  # the check can fail
        vault.shred(child)
        files = [p for p in tmp_path.iterdir() if p.name.startswith(SQLITE_FILE)]
        assert not any(wrapped in p.read_bytes() for p in files)
    finally:
        vault.close()


# A registration's key and its journey commit together (PostgreSQL: one transaction).


def _registered(tmp_path: Path, store_url: str | None, url: str
                ) -> tuple[Any, SQLVault]:
    from application.tracking import CaseTracking
    from infrastructure.persistence import event_store_env

    app = CaseTracking(env=event_store_env(store_url, tmp_path))
    app.vault = SQLVault.at(url, MASTER)
    return app, app.vault


MASTER = os.urandom(32)


def test_a_registration_commits_its_key_with_its_journey_and_a_refused_one_keeps_none(
        tmp_path: Path, store_url: str | None, url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import date

    import application.tracking
    from application.errors import CaseReferenceTakenError
    from domain.actors import Actor

    app, vault = _registered(tmp_path, store_url, url)
    actor = Actor("officer-1", "caseworker", "LA-901")
    case_ref = f"KEYS-{uuid.uuid4().hex[:8]}"
    reader = SQLVault.at(url, MASTER)  # no key in its memory: reads what is stored
    try:
        joint = vault.saved_with_events(uuid.uuid4(), None, app.recorder)
        assert bool(joint) == (store_url is not None)  # PostgreSQL: the key rides the save
        first = app.register_child(authority="LA-901", date_of_birth=date(2016, 3, 1),
                                   actor=actor, case_ref=case_ref, identifiers=IDENTIFIERS)
        assert reader.identifiers(first.child_id) == IDENTIFIERS
        refused = uuid.uuid4()
        monkeypatch.setattr(application.tracking, "uuid4", lambda: refused)
        with pytest.raises(CaseReferenceTakenError):
            app.register_child(authority="LA-901", date_of_birth=date(2016, 3, 1),
                               actor=actor, case_ref=case_ref, identifiers=IDENTIFIERS)
        assert reader.cipher(refused) is None and not reader.is_shredded(refused)
        assert vault.cipher(refused) is None  # not kept in memory either
        assert app.repository.get(first.child_id).version == 1
    finally:
        reader.close()
        vault.close()
        app.close()


@pytest.mark.postgres
def test_in_one_batch_a_writer_whose_version_is_taken_leaves_no_key_and_others_keep_theirs(
        tmp_path: Path, postgres_url: str) -> None:
    from eventsourcing.persistence import IntegrityError, StoredEvent

    from infrastructure.vault import PERSONAL_DATA_KEY

    url = sqlalchemy_url(postgres_url, tmp_path, SQLITE_FILE)
    app, vault = _registered(tmp_path, postgres_url, url)
    recorder: Any = app.recorder
    reader = SQLVault.at(url, MASTER)
    try:
        taken, a, b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        recorder.insert_events([StoredEvent(taken, 1, "topic", b"first")])
        key_a = vault.saved_with_events(a, IDENTIFIERS, recorder)[PERSONAL_DATA_KEY]
        key_b = vault.saved_with_events(b, IDENTIFIERS, recorder)[PERSONAL_DATA_KEY]
        outcomes = recorder._insert_batch([
            ([StoredEvent(a, 1, "topic", b"a")], key_a),
            ([StoredEvent(taken, 1, "topic", b"again")], key_b),
            ([StoredEvent(uuid.uuid4(), 1, "topic", b"c")], None)])
        assert isinstance(outcomes[1], IntegrityError)
        assert len(outcomes[0]) == 1 and len(outcomes[2]) == 1
        assert reader.identifiers(a) == IDENTIFIERS
        assert reader.cipher(b) is None and not reader.is_shredded(b)
        assert [e.state for e in recorder.select_events(taken)] == [b"first"]
    finally:
        reader.close()
        vault.close()
        app.close()
