"""The personal-data vault: one key per child, wrapped by the master key; identifiers
sealed with it; erasure destroys it (crypto-shredding).

Envelope encryption with ``cryptography``:

- each child has a random 256-bit data key, stored only wrapped (AES-GCM under the
  master key, the child id as associated data, so a wrapped key moved to another row
  does not open);
- two keys are derived from it with HKDF-SHA256: an AES-GCM key for the identifiers
  record, and an AES-SIV key for free text in events. AES-SIV is deterministic (the
  same text of one child seals to the same value), so the journey's rules that compare
  text still work on sealed text; it reveals only that two texts of one child are equal;
- erasure clears the wrapped key and the identifiers and keeps a tombstone (when), so a
  key is never created again for an erased child.

The vault is its own table: a SQLite file in the data directory (``secure_delete`` on,
so erased rows are overwritten) or a table in the PostgreSQL database. Never in events.

Writing a key is on every registration's path, so it is made cheap: on PostgreSQL one
INSERT outside a transaction block (its own commit, no BEGIN/COMMIT round trips); on
SQLite the file is in WAL mode (readers never block the writer, a commit appends to the
log) and the process's writers take turns on a lock of their own rather than polling
SQLite's busy handler, which under load stalled them for tens of milliseconds. An erasure
truncates the WAL afterwards, so no copy of an erased row stays in the -wal file.

Documents attached to a journey's events (issue 16) are kept beside it, in
``casetrack_personal_data_documents``: one row per child and SHA-256 of the clear bytes
(the same content is stored once per child), the bytes sealed with AES-GCM under a key
derived from the child's key, the child id and hash as associated data. Erasure deletes
the child's rows in the same transaction as it destroys the key. ``created_at`` is when
the bytes were last put (putting them again refreshes it), so the sweep of bytes no event
names (``application.documents.sweep_orphan_documents``) never takes bytes an upload in
flight is about to name.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from infrastructure.ciphers import (
    ChildCipher,
    ChildKeyShreddedError,
    MasterKeyMismatchError,
    VaultError,
    master_key_id,
)
from infrastructure.persistence import split_schema
from infrastructure.pools import PoolSettings
from infrastructure.vault_sqlite import SQLiteKeyWriter

SQLITE_FILE = "casetrack-personal-data.sqlite"
MASTER_KEY_BYTES = 32
DATA_KEY_BYTES = 32
KEY_CACHE_SECONDS = 30.0
KEY_CACHE_SIZE = 10_000

metadata = MetaData()
vault_table = Table(
    "casetrack_personal_data", metadata,
    Column("child_id", String(36), primary_key=True),
    Column("master_key_id", String(16), nullable=False),
    Column("wrapped_key", LargeBinary, nullable=True),
    Column("identifiers", LargeBinary, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("shredded_at", DateTime(timezone=True), nullable=True),
)
documents_table = Table(
    "casetrack_personal_data_documents", metadata,
    Column("child_id", String(36), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("media_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

VAULT_INSERT = insert(vault_table)
# The keyword a save carries a new child's vault row under, to a recorder that inserts it
# with the journey's events (``infrastructure.pgstore``): the row's columns, in order.
PERSONAL_DATA_KEY = "personal_data_key"
KEY_COLUMNS = ("child_id", "master_key_id", "wrapped_key", "identifiers", "created_at")
KeyColumns = tuple[str, str, bytes, "bytes | None", datetime]


class SQLVault:
    """The personal-data vault in a SQL table (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine, master_key: bytes) -> None:
        if len(master_key) != MASTER_KEY_BYTES:
            raise VaultError(f"the master key must be {MASTER_KEY_BYTES} bytes")
        self._engine = engine
        self._master = AESGCM(master_key)
        self._master_id = master_key_id(master_key)
        # Unwrapped keys stay in memory briefly: a write seals and then opens its answer,
        # which would otherwise read and unwrap the key twice. Erasing here drops the entry
        # at once; another process's erasure is seen within KEY_CACHE_SECONDS.
        self._keys: dict[UUID, tuple[float, ChildCipher]] = {}
        self._keys_lock = threading.Lock()
        # SQLite has one writer at a time: this process's writers queue here.
        self._sqlite = engine.dialect.name == "sqlite"
        self._write_lock = threading.Lock()
        # On SQLite the key's INSERT skips SQLAlchemy's per-statement work (vault_sqlite).
        self._key_writer = SQLiteKeyWriter(engine, vault_table, KEY_COLUMNS,
                                           self._write_lock) if self._sqlite else None
        from infrastructure.migrations import VAULT, ensure_current

        ensure_current(engine, VAULT)
        # Where the table is (PostgreSQL), to tell whether an event store's recorder
        # writes to the same database and schema (``saved_with_events``).
        self._where: tuple[Any, ...] | None = None
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                schema = connection.exec_driver_sql("SELECT current_schema()").scalar()
            self._where = (engine.url.host, int(engine.url.port or 5432),
                           engine.url.database, schema)

    @classmethod
    def at(cls, url: str, master_key: bytes, pool: PoolSettings | None = None) -> SQLVault:
        """Return the vault at a SQLAlchemy URL (on PostgreSQL, ``?schema=`` puts the table
        in the event store's schema)."""
        url, connect_args = split_schema(url)
        # PostgreSQL's options ping a pooled connection before use; a SQLite file needs none.
        engine = create_engine(url, **{"connect_args": connect_args,
                                       **(pool or PoolSettings()).engine_options(
                                           url, connect_args)})
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        return cls(engine, master_key)

    def close(self) -> None:
        if self._key_writer is not None:
            with self._write_lock:
                self._key_writer.close()
        self._engine.dispose()

    # Keys.

    def create(self, child_id: UUID, identifiers: dict[str, str] | None = None) -> ChildCipher:
        """Create the child's key (and identifiers record); return its cipher.

        Refused for an erased child. Creating a key that exists returns the existing one,
        with the identifiers replaced when given.
        """
        cipher, row = self._new_key(child_id, identifiers)
        try:
            if self._key_writer is not None:  # (in a group: it takes the writer lock)
                self._key_writer.insert(row)
            else:
                with self._writing(single_statement=True) as connection:
                    # The statement without values, the row as parameters: compiled once
                    # (SQLAlchemy's cache) rather than a new statement built per key.
                    connection.execute(VAULT_INSERT, row)
            self._remember(child_id, cipher)
            return cipher
        except IntegrityError:
            existing = self.cipher(child_id)
            if existing is None:
                raise ChildKeyShreddedError("the child's personal data was erased") from None
            if identifiers:
                self.put_identifiers(child_id, identifiers)
            return existing

    def _new_key(self, child_id: UUID, identifiers: dict[str, str] | None
                 ) -> tuple[ChildCipher, dict[str, Any]]:
        data_key = os.urandom(DATA_KEY_BYTES)
        cipher = ChildCipher(child_id, data_key)
        return cipher, {
            "child_id": str(child_id), "master_key_id": self._master_id,
            "wrapped_key": self._wrap(child_id, data_key),
            "identifiers": cipher.seal_record(identifiers) if identifiers else None,
            "created_at": datetime.now(UTC), "shredded_at": None}

    def saved_with_events(self, child_id: UUID, identifiers: dict[str, str] | None,
                          recorder: Any) -> dict[str, KeyColumns]:
        """Create a new child's key to be committed with the journey's first events;
        return the keyword arguments for the application's save.

        A PostgreSQL recorder writing to this vault's database and schema inserts the row
        in the events' transaction (no round trip or commit of its own); otherwise the key
        is created now, as ``create`` does, and nothing is returned. Either way the cipher
        is kept in memory for the save's own sealing; if the save fails, ``discard``.
        """
        if not getattr(recorder, "saves_personal_data_keys", False) or \
                self._where is None or self._where != _recorder_location(recorder):
            self.create(child_id, identifiers)
            return {}
        cipher, row = self._new_key(child_id, identifiers)
        self._remember(child_id, cipher)
        return {PERSONAL_DATA_KEY: tuple(row[c] for c in KEY_COLUMNS)}  # type: ignore[dict-item]

    def cipher(self, child_id: UUID) -> ChildCipher | None:
        """Return the child's cipher, or None when the child has no key (none yet, or erased)."""
        # A dict's get is atomic: only changes to the cache take its lock.
        cached = self._keys.get(child_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        row = self._row(child_id)
        if row is None or row.wrapped_key is None:
            self._forget(child_id)
            return None
        if row.master_key_id != self._master_id:
            raise MasterKeyMismatchError(
                "this child's key was wrapped by another master key (CASETRACK_MASTER_KEY)")
        cipher = ChildCipher(child_id, self._unwrap(child_id, row.wrapped_key))
        self._remember(child_id, cipher)
        return cipher

    def _remember(self, child_id: UUID, cipher: ChildCipher) -> None:
        with self._keys_lock:
            if len(self._keys) >= KEY_CACHE_SIZE:
                self._keys.clear()
            self._keys[child_id] = (time.monotonic() + KEY_CACHE_SECONDS, cipher)

    def _forget(self, child_id: UUID) -> None:
        with self._keys_lock:
            self._keys.pop(child_id, None)

    def is_shredded(self, child_id: UUID) -> bool:
        row = self._row(child_id)
        return row is not None and row.shredded_at is not None

    def shredded_at(self, child_id: UUID) -> datetime | None:
        row = self._row(child_id)
        if row is None or row.shredded_at is None:
            return None
        at: datetime = row.shredded_at  # SQLite gives back naive UTC
        return at if at.tzinfo is not None else at.replace(tzinfo=UTC)

    def shred(self, child_id: UUID) -> bool:
        """Destroy the child's key and identifiers; return False if already destroyed."""
        self._forget(child_id)
        try:
            return self._shred(child_id)
        finally:
            self._truncate_log()

    def _shred(self, child_id: UUID) -> bool:
        now = datetime.now(UTC)
        with self._writing() as connection:
            done = connection.execute(
                update(vault_table).where(vault_table.c.child_id == str(child_id),
                                          vault_table.c.shredded_at.is_(None))
                .values(wrapped_key=None, identifiers=None, shredded_at=now)).rowcount
            connection.execute(delete(documents_table).where(
                documents_table.c.child_id == str(child_id)))
            if done:
                return True
            exists = connection.execute(select(vault_table.c.child_id).where(
                vault_table.c.child_id == str(child_id))).first()
            if exists is None:  # never had a key: leave a tombstone all the same
                connection.execute(insert(vault_table).values(
                    child_id=str(child_id), master_key_id=self._master_id, wrapped_key=None,
                    identifiers=None, created_at=now, shredded_at=now))
                return True
        return False

    def discard(self, child_id: UUID) -> None:
        """Remove a record whose journey was never saved (a registration that failed)."""
        self._forget(child_id)
        with self._writing(single_statement=True) as connection:
            connection.execute(delete(vault_table).where(
                vault_table.c.child_id == str(child_id), vault_table.c.shredded_at.is_(None)))

    def unshredded_created_between(self, after: datetime | None, before: datetime
                                   ) -> list[UUID]:
        """Return the children whose key was made in the period and stands (for the sweep
        of keys whose journey was never saved)."""
        query = select(vault_table.c.child_id).where(
            vault_table.c.shredded_at.is_(None), vault_table.c.created_at < before)
        if after is not None:
            query = query.where(vault_table.c.created_at >= after)
        with self._engine.connect() as connection:
            return [UUID(row[0]) for row in connection.execute(query)]

    # Identifiers.

    def put_identifiers(self, child_id: UUID, identifiers: dict[str, str]) -> None:
        cipher = self.cipher(child_id)
        if cipher is None:
            raise ChildKeyShreddedError("the child has no key")
        with self._writing(single_statement=True) as connection:
            connection.execute(update(vault_table).where(
                vault_table.c.child_id == str(child_id)).values(
                identifiers=cipher.seal_record(identifiers)))

    def identifiers(self, child_id: UUID) -> dict[str, str] | None:
        """Return the child's identifiers, or None when there are none or they were erased."""
        row = self._row(child_id)
        if row is None or row.identifiers is None or row.wrapped_key is None:
            return None
        cipher = self.cipher(child_id)
        assert cipher is not None
        return cipher.open_record(row.identifiers)

    def raw_identifiers(self, child_id: UUID) -> bytes | None:
        """Return the stored (encrypted) identifiers record, for checks."""
        row = self._row(child_id)
        return None if row is None else row.identifiers

    # Documents (content-addressed per child, sealed with the child's key).

    def put_document(self, child_id: UUID, sha256: str, media_type: str, content: bytes
                     ) -> bool:
        """Keep a document's bytes under their hash; return False if already kept."""
        if hashlib.sha256(content).hexdigest() != sha256:
            raise VaultError("the document's bytes do not have the hash given")
        cipher = self.cipher(child_id)
        if cipher is None:
            raise ChildKeyShreddedError("the child has no key")
        if self._touch_document(child_id, sha256):
            return False  # kept already, and now young again: the sweep leaves it
        try:
            with self._writing(single_statement=True) as connection:
                connection.execute(insert(documents_table).values(
                    child_id=str(child_id), sha256=sha256, media_type=media_type,
                    size=len(content), sealed=cipher.seal_document(content, sha256),
                    created_at=datetime.now(UTC)))
        except IntegrityError:  # kept by a writer of the same bytes meanwhile
            return False
        return True

    def document(self, child_id: UUID, sha256: str) -> bytes | None:
        """Return a document's clear bytes; None when not kept (or erased with the key)."""
        cipher = self.cipher(child_id)
        if cipher is None:
            return None
        with self._engine.connect() as connection:
            sealed = connection.execute(select(documents_table.c.sealed).where(
                documents_table.c.child_id == str(child_id),
                documents_table.c.sha256 == sha256)).scalar()
        return None if sealed is None else cipher.open_document(sealed, sha256)

    def discard_document(self, child_id: UUID, sha256: str,
                         kept_before: datetime | None = None) -> bool:
        """Remove bytes no attachment names (an upload whose event was refused; with
        ``kept_before``, only if kept, or last put, before then: the sweep)."""
        query = delete(documents_table).where(documents_table.c.child_id == str(child_id),
                                              documents_table.c.sha256 == sha256)
        if kept_before is not None:
            query = query.where(documents_table.c.created_at < kept_before)
        with self._writing(single_statement=True) as connection:
            return bool(connection.execute(query).rowcount)

    def documents_kept_between(self, after: datetime | None, before: datetime
                               ) -> list[tuple[UUID, str]]:
        """Return (child, SHA-256) of the bytes kept, or last put, in the period."""
        query = select(documents_table.c.child_id, documents_table.c.sha256).where(
            documents_table.c.created_at < before)
        if after is not None:
            query = query.where(documents_table.c.created_at >= after)
        with self._engine.connect() as connection:
            return [(UUID(row[0]), row[1]) for row in connection.execute(query)]

    def raw_documents(self, child_id: UUID) -> list[bytes]:
        """Return the stored (sealed) documents of a child, for checks."""
        with self._engine.connect() as connection:
            return [row[0] for row in connection.execute(select(documents_table.c.sealed)
                    .where(documents_table.c.child_id == str(child_id)))]

    def _touch_document(self, child_id: UUID, sha256: str) -> bool:
        with self._writing(single_statement=True) as connection:
            return bool(connection.execute(update(documents_table).where(
                documents_table.c.child_id == str(child_id),
                documents_table.c.sha256 == sha256).values(
                created_at=datetime.now(UTC))).rowcount)

    # Helpers.

    @contextmanager
    def _writing(self, *, single_statement: bool = False) -> Iterator[Connection]:
        """Yield a connection to write on, committed at the end: on SQLite under the
        process's writer lock; on PostgreSQL one statement needs no transaction block."""
        if self._sqlite:
            with self._write_lock, self._engine.begin() as connection:
                yield connection
        elif single_statement:
            with self._engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT") as connection:
                yield connection
        else:
            with self._engine.begin() as connection:
                yield connection

    def _truncate_log(self) -> None:
        """Empty SQLite's WAL (after an erasure: it may hold the erased row's old page)."""
        if self._sqlite:
            with self._write_lock, self._engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def _row(self, child_id: UUID) -> Any:
        with self._engine.connect() as connection:
            return connection.execute(select(vault_table).where(
                vault_table.c.child_id == str(child_id))).first()

    def _wrap(self, child_id: UUID, data_key: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._master.encrypt(nonce, data_key, _key_aad(child_id))

    def _unwrap(self, child_id: UUID, wrapped: bytes) -> bytes:
        try:
            return self._master.decrypt(wrapped[:12], wrapped[12:], _key_aad(child_id))
        except InvalidTag:
            raise MasterKeyMismatchError("the child's key does not unwrap with the master key"
                                         ) from None


def _recorder_location(recorder: Any) -> tuple[Any, ...] | None:
    """Return (host, port, database, schema) of an eventsourcing PostgreSQL recorder."""
    datastore = getattr(recorder, "datastore", None)
    kwargs = getattr(getattr(datastore, "pool", None), "kwargs", None)
    if not isinstance(kwargs, dict):
        return None
    return (kwargs.get("host"), int(kwargs.get("port") or 5432), kwargs.get("dbname"),
            getattr(datastore, "schema", None))


def _key_aad(child_id: UUID) -> bytes:
    return b"casetrack data key:" + str(child_id).encode()


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
