"""Signed checkpoints, their leaves, the signing key, and where they are stored.

A checkpoint is an RFC 9162-style signed tree head over the notification log: the
Merkle root (``infrastructure.merkle``) of the first ``tree_size`` log entries, which
are every entry up to ``position``. Each entry is a leaf
``position \\n originator_id \\n version \\n digest`` (the digest of a journey event is
its chain hash, of any other stored event the SHA-256 of its topic and bytes). The
statement ``{seq, position, tree_size, root, created_at, key_id, previous}`` is signed
with Ed25519; ``previous`` hashes the previous checkpoint, so checkpoints form a chain.
See ``docs/decisions/0004-integrity.md``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    create_engine,
    func,
    insert,
    select,
)
from sqlalchemy.pool import NullPool

from infrastructure import sqlite_rows
from infrastructure.merkle import leaf_hash
from infrastructure.persistence import split_schema, sqlalchemy_url

KEY_FILE = "checkpoint-signing-key.pem"
INTEGRITY_FILE = "casetrack-integrity.sqlite"
PAGE = 2000


class IntegrityError(Exception):
    """Raised when integrity cannot be checked or a checkpoint cannot be made."""


class SigningKeyMissingError(IntegrityError):
    """Raised when production has no signing key outside the data directory."""


# The signing key: a PEM file outside the database (and, in production, outside the
# data directory: whoever can write the data directory must not be able to re-sign).


def load_signing_key(key_file: str | None, data_dir: Path, *, production: bool
                     ) -> Ed25519PrivateKey:
    """Return the checkpoint signing key from ``key_file``, or the data dir's in development.

    In development the key is generated on first use, mode 0600. In production the key
    file is required and must not lie inside the data directory.
    """
    if key_file:
        path = Path(key_file).expanduser()
        if production and _inside(path, Path(data_dir)):
            raise SigningKeyMissingError(
                "CASETRACK_SIGNING_KEY_FILE must lie outside CASETRACK_DATA_DIR in "
                "production (whoever can write the data directory could re-sign the log)")
        try:
            return _private_key(path.read_bytes())
        except OSError as error:
            raise IntegrityError(f"CASETRACK_SIGNING_KEY_FILE {str(path)!r}: "
                                 f"{error.strerror}") from None
    if production:
        raise SigningKeyMissingError(
            "CASETRACK_SIGNING_KEY_FILE is required when CASETRACK_ENV=production")
    path = Path(data_dir) / KEY_FILE
    if not path.exists():
        _write_new_key(path)
    return _private_key(path.read_bytes())


def _inside(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory.resolve())
    except ValueError:
        return False
    return True


def _write_new_key(path: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    except FileExistsError:
        return  # another process made it first
    with os.fdopen(fd, "wb") as out:
        out.write(pem)


def _private_key(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise IntegrityError("the checkpoint signing key must be an Ed25519 private key")
    return key


def public_key_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def key_id(key: Ed25519PublicKey) -> str:
    """Return a short fingerprint of the public key (SHA-256, first 16 hex digits)."""
    return hashlib.sha256(bytes.fromhex(public_key_hex(key))).hexdigest()[:16]


# Checkpoints and leaves.

SIGNED_FIELDS = ("seq", "position", "tree_size", "root", "created_at", "key_id", "previous")


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement: the first ``tree_size`` log entries, up to ``position``, have
    Merkle root ``root``."""

    seq: int
    position: int
    tree_size: int
    root: str
    created_at: str
    key_id: str
    previous: str
    signature: str = ""
    # The right edge of the tree (unsigned; trusted only when it folds to ``root``).
    frontier: str = field(default="", compare=False, repr=False)

    def statement(self) -> bytes:
        """Return the bytes signed: the signed fields, as canonical JSON."""
        fields = {name: getattr(self, name) for name in SIGNED_FIELDS}
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def digest(self) -> str:
        """Return what the next checkpoint names as ``previous``."""
        return hashlib.sha256(self.statement() + b"\n" + self.signature.encode()).hexdigest()

    def record(self) -> dict[str, Any]:
        """Return the checkpoint as published to a witness: signed fields and signature."""
        return {**{name: getattr(self, name) for name in SIGNED_FIELDS},
                "signature": self.signature}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Checkpoint:
        """Build a checkpoint from a witness's record (``IntegrityError`` if malformed)."""
        try:
            return cls(**{name: record[name] for name in (*SIGNED_FIELDS, "signature")})
        except (KeyError, TypeError) as error:
            raise IntegrityError(f"a witness record lacks {error}") from None

    def verifies(self, key: Ed25519PublicKey) -> bool:
        try:
            key.verify(base64.b64decode(self.signature), self.statement())
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class Leaf:
    """One log entry as a checkpoint saw it."""

    position: int
    originator_id: str
    version: int
    digest: str

    def hash(self) -> bytes:
        """Return the leaf's RFC 9162 leaf hash."""
        return leaf_hash(f"{self.position}\n{self.originator_id}\n{self.version}\n"
                         f"{self.digest}".encode())


METADATA = MetaData()
CHECKPOINTS = Table(
    "integrity_checkpoints", METADATA,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("position", BigInteger, nullable=False),
    Column("tree_size", BigInteger, nullable=False, server_default="0"),
    Column("root", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("previous", String(64), nullable=False),
    Column("signature", String(120), nullable=False),
    Column("frontier", Text, nullable=False, server_default=""),
)
LEAVES = Table(
    "integrity_leaves", METADATA,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("originator_id", String(64), nullable=False, index=True),
    Column("version", BigInteger, nullable=False),
    Column("digest", String(80), nullable=False),
)
CHECKPOINT_COLUMNS = [CHECKPOINTS.c[name] for name in (*SIGNED_FIELDS, "signature",
                                                         "frontier")]
# The statements every automatic checkpoint's tick runs, built once (SQLAlchemy keeps a
# statement's cache key with it, so each run does not build and key it again).
_EVERY_CHECKPOINT = select(*CHECKPOINT_COLUMNS).order_by(CHECKPOINTS.c.seq)
_LATEST_CHECKPOINT = select(*CHECKPOINT_COLUMNS).order_by(CHECKPOINTS.c.seq.desc()).limit(1)
_LAST_LEAF = select(LEAVES).order_by(LEAVES.c.position.desc()).limit(1)


def engine_beside(database_url: str | None, data_dir: Path) -> Engine:
    """The checkpoints' database: a SQLite file in the data dir, or the event store's."""
    if not database_url or urlsplit(database_url).scheme in ("sqlite", "sqlite3"):
        return create_engine(f"sqlite:///{Path(data_dir) / INTEGRITY_FILE}",
                             poolclass=NullPool, connect_args={"timeout": 30})
    url, connect_args = split_schema(sqlalchemy_url(database_url, data_dir, ""))
    if "connect_timeout" not in url:  # the URL's own, if it gives one
        connect_args["connect_timeout"] = "5"
    return create_engine(url, poolclass=NullPool, connect_args=connect_args)


class CheckpointStore:
    """Checkpoints and their leaves: a SQLite file in the data dir, or tables beside the
    events in PostgreSQL (same database and schema)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        from infrastructure.migrations import CHECKPOINTS, ensure_current

        ensure_current(engine, CHECKPOINTS)

    @classmethod
    def beside(cls, database_url: str | None, data_dir: Path) -> CheckpointStore:
        return cls(engine_beside(database_url, data_dir))

    def checkpoints(self) -> list[Checkpoint]:
        with self.engine.connect() as conn:
            rows = conn.execute(_EVERY_CHECKPOINT).mappings()
            return [Checkpoint(**row) for row in rows]

    def latest(self) -> Checkpoint | None:
        with self.engine.connect() as conn:
            row = conn.execute(_LATEST_CHECKPOINT).mappings().first()
        return Checkpoint(**row) if row is not None else None

    def leaves(self) -> Iterator[Leaf]:
        """Yield every leaf in position order, a page at a time."""
        after = -1
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(select(LEAVES).where(LEAVES.c.position > after)
                                    .order_by(LEAVES.c.position).limit(PAGE)).all()
            if not rows:
                return
            for row in rows:
                yield Leaf(*row)
            after = rows[-1].position

    def leaves_of(self, originator_id: UUID | str) -> list[Leaf]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(LEAVES).where(LEAVES.c.originator_id == str(
                originator_id)).order_by(LEAVES.c.version)).all()
        return [Leaf(*row) for row in rows]

    def last_leaves_of(self, originator_ids: Iterable[str]) -> dict[str, Leaf]:
        """Return each originator's last leaf (``last_leaf_of`` for many: one query per
        ``PAGE`` originators), leaving out those with none."""
        ids = sorted(set(originator_ids))
        found: dict[str, Leaf] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(ids), PAGE):
                chunk = ids[start:start + PAGE]
                last = select(LEAVES.c.originator_id, func.max(LEAVES.c.version).label(
                    "version")).where(LEAVES.c.originator_id.in_(chunk)).group_by(
                    LEAVES.c.originator_id).subquery()
                for row in conn.execute(select(LEAVES).join(last, and_(
                        LEAVES.c.originator_id == last.c.originator_id,
                        LEAVES.c.version == last.c.version))):
                    found[row.originator_id] = Leaf(*row)
        return found

    def last_leaf(self) -> Leaf | None:
        with self.engine.connect() as conn:
            row = conn.execute(_LAST_LEAF).first()
        return Leaf(*row) if row is not None else None

    def append(self, checkpoint: Checkpoint, leaves: list[Leaf]) -> None:
        """Store a checkpoint and its new leaves in one transaction (the leaves, a few
        hundred a checkpoint, through the driver's executemany on SQLite:
        ``infrastructure.sqlite_rows``, which stores what SQLAlchemy's insert stores)."""
        rows = [{"position": leaf.position, "originator_id": leaf.originator_id,
                 "version": leaf.version, "digest": leaf.digest} for leaf in leaves]
        with self.engine.begin() as conn:
            if rows and not (sqlite_rows.is_sqlite(conn)
                             and sqlite_rows.insert(conn, LEAVES, rows)):
                conn.execute(insert(LEAVES), rows)
            conn.execute(insert(CHECKPOINTS), [asdict(checkpoint)])

    def close(self) -> None:
        self.engine.dispose()
