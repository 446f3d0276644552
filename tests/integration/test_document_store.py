"""The document store beside the vault, on real SQLite and PostgreSQL: content-addressed
per child, sealed with the child's key, and gone with it (issue 16)."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from infrastructure.persistence import sqlalchemy_url
from infrastructure.vault import SQLITE_FILE, ChildKeyShreddedError, SQLVault, VaultError

MARKER = b"ZZQX-DOCUMENT-MARKER"
PDF = b"%PDF-1.4\n" + MARKER + b"\n%%EOF\n"


@pytest.fixture
def url(tmp_path: Path, store_url: str | None) -> str:
    return sqlalchemy_url(store_url, tmp_path, SQLITE_FILE)


@pytest.fixture
def vault(url: str) -> Iterator[SQLVault]:
    opened = SQLVault.at(url, os.urandom(32))
    yield opened
    opened.close()


def stored_rows(url: str, *children: uuid.UUID) -> list[tuple[str, str, bytes]]:
    """Return the stored rows of ``children`` (the PostgreSQL database is the run's)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT child_id, sha256, sealed FROM casetrack_personal_data_documents"
            )).all()
    finally:
        engine.dispose()
    wanted = {str(c) for c in children}
    return [(r[0], r[1], bytes(r[2])) for r in rows if r[0] in wanted]


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def test_a_document_is_kept_sealed_and_read_back_in_clear(vault: SQLVault, url: str) -> None:
    child = uuid.uuid4()
    vault.create(child)
    assert vault.put_document(child, sha(PDF), "application/pdf", PDF) is True
    assert vault.document(child, sha(PDF)) == PDF
    rows = stored_rows(url, child)
    assert [(r[0], r[1]) for r in rows] == [(str(child), sha(PDF))]
    assert MARKER not in rows[0][2] and PDF not in rows[0][2]


def test_the_same_content_is_stored_once_per_child_and_again_for_another(
        vault: SQLVault, url: str) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    vault.create(first)
    vault.create(second)
    assert vault.put_document(first, sha(PDF), "application/pdf", PDF) is True
    assert vault.put_document(first, sha(PDF), "application/pdf", PDF) is False
    assert vault.put_document(second, sha(PDF), "application/pdf", PDF) is True
    kept = sorted(r[0] for r in stored_rows(url, first, second))
    assert kept == sorted([str(first), str(second)])


def test_bytes_that_do_not_have_the_hash_given_are_refused(vault: SQLVault, url: str) -> None:
    child = uuid.uuid4()
    vault.create(child)
    with pytest.raises(VaultError, match="hash"):
        vault.put_document(child, sha(b"other"), "application/pdf", PDF)
    assert stored_rows(url, child) == []


def test_a_sealed_document_does_not_open_as_another_childs(vault: SQLVault, url: str) -> None:
    owner, other = uuid.uuid4(), uuid.uuid4()
    vault.create(owner)
    other_key = vault.create(other)
    vault.put_document(owner, sha(PDF), "application/pdf", PDF)
    sealed = stored_rows(url, owner)[0][2]
    with pytest.raises(VaultError):
        other_key.open_document(sealed, sha(PDF))


def test_erasure_shreds_the_childs_documents_with_its_key(vault: SQLVault, url: str) -> None:
    erased, kept = uuid.uuid4(), uuid.uuid4()
    vault.create(erased)
    vault.create(kept)
    vault.put_document(erased, sha(PDF), "application/pdf", PDF)
    vault.put_document(kept, sha(PDF), "application/pdf", PDF)
    assert vault.shred(erased) is True
    assert vault.document(erased, sha(PDF)) is None
    assert [r[0] for r in stored_rows(url, erased, kept)] == [str(kept)]
    assert vault.document(kept, sha(PDF)) == PDF
    with pytest.raises(ChildKeyShreddedError):
        vault.put_document(erased, sha(PDF), "application/pdf", PDF)


def test_discarding_removes_only_that_childs_bytes(vault: SQLVault, url: str) -> None:
    child, other = uuid.uuid4(), uuid.uuid4()
    vault.create(child)
    vault.create(other)
    vault.put_document(child, sha(PDF), "application/pdf", PDF)
    vault.put_document(other, sha(PDF), "application/pdf", PDF)
    vault.discard_document(child, sha(PDF))
    assert vault.document(child, sha(PDF)) is None
    assert vault.document(other, sha(PDF)) == PDF
