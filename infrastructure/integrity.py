"""Tamper evidence over the whole log: signed checkpoints, and verifying the store.

A checkpoint anchors the notification log up to a position. Its ``root`` is a running
SHA-256 over the log's entries in position order, each entry being
``position, originator_id, version, digest``, where the digest of a journey event is
its chain hash (``domain.integrity``) and of any other stored event the SHA-256 of its
topic and stored bytes. The statement ``{seq, position, root, created_at, key_id,
previous}`` is signed with Ed25519; ``previous`` is the SHA-256 of the previous
checkpoint's signature, so checkpoints form a chain too. The entries themselves are
kept as "leaves", so that a difference can be named: which position, which journey,
which version. The signing key lives in a file, never in the database.

See ``docs/decisions/0004-integrity.md``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from eventsourcing.application import Application
from eventsourcing.persistence import Notification, StoredEvent
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    select,
)
from sqlalchemy.pool import NullPool

from domain.catalogue.registration import ChildRegistered
from domain.events import JourneyEvent
from domain.integrity import ChainVerifier

KEY_FILE = "checkpoint-signing-key.pem"
INTEGRITY_FILE = "casetrack-integrity.sqlite"
LOG_GENESIS = hashlib.sha256(b"casetrack:log-genesis").hexdigest()
PAGE = 500
MAX_FINDINGS = 200


class IntegrityError(Exception):
    """Raised when integrity cannot be checked or a checkpoint cannot be made."""


class SigningKeyMissingError(IntegrityError):
    """Raised when production has no ``CASETRACK_SIGNING_KEY_FILE``."""


class LogTamperedError(IntegrityError):
    """Raised when a checkpoint is asked for over a log that fails verification."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(findings[0].describe())
        self.findings = findings


# The signing key: a PEM file outside the database.


def load_signing_key(key_file: str | None, data_dir: Path, *, production: bool
                     ) -> Ed25519PrivateKey:
    """Return the checkpoint signing key from ``key_file``, or the data dir's in development.

    In development the key is generated on first use, mode 0600.
    """
    if key_file:
        path = Path(key_file).expanduser()
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


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement that the log up to ``position`` had running hash ``root``."""

    seq: int
    position: int
    root: str
    created_at: str
    key_id: str
    previous: str
    signature: str = ""

    def statement(self) -> bytes:
        """Return the bytes signed: every field but the signature, as canonical JSON."""
        fields = {k: v for k, v in asdict(self).items() if k != "signature"}
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def digest(self) -> str:
        """Return what the next checkpoint names as ``previous``."""
        return hashlib.sha256(self.statement() + b"\n" + self.signature.encode()).hexdigest()

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


def next_root(root: str, leaf: Leaf) -> str:
    """Return the running hash after ``leaf``."""
    line = f"{root}\n{leaf.position}\n{leaf.originator_id}\n{leaf.version}\n{leaf.digest}"
    return hashlib.sha256(line.encode()).hexdigest()


METADATA = MetaData()
CHECKPOINTS = Table(
    "integrity_checkpoints", METADATA,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("position", BigInteger, nullable=False),
    Column("root", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("previous", String(64), nullable=False),
    Column("signature", String(120), nullable=False),
)
LEAVES = Table(
    "integrity_leaves", METADATA,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("originator_id", String(64), nullable=False, index=True),
    Column("version", BigInteger, nullable=False),
    Column("digest", String(80), nullable=False),
)


class CheckpointStore:
    """Checkpoints and their leaves: a SQLite file in the data dir, or tables beside the
    events in PostgreSQL (same database and schema)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        METADATA.create_all(engine, checkfirst=True)

    @classmethod
    def beside(cls, database_url: str | None, data_dir: Path) -> CheckpointStore:
        if not database_url or urlsplit(database_url).scheme in ("sqlite", "sqlite3"):
            return cls(create_engine(f"sqlite:///{Path(data_dir) / INTEGRITY_FILE}",
                                     poolclass=NullPool, connect_args={"timeout": 30}))
        parts = urlsplit(database_url)
        query = dict(parse_qsl(parts.query))
        schema = query.pop("schema", None)
        url = urlunsplit(parts._replace(scheme="postgresql+psycopg", query=urlencode(query)))
        connect_args = {"options": f"-csearch_path={unquote(schema)}"} if schema else {}
        return cls(create_engine(url, poolclass=NullPool, connect_args=connect_args))

    def checkpoints(self) -> list[Checkpoint]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(CHECKPOINTS).order_by(CHECKPOINTS.c.seq)).mappings()
            return [Checkpoint(**row) for row in rows]

    def latest(self) -> Checkpoint | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(CHECKPOINTS).order_by(CHECKPOINTS.c.seq.desc())
                               .limit(1)).mappings().first()
        return Checkpoint(**row) if row is not None else None

    def leaves(self) -> Iterator[Leaf]:
        """Yield every leaf in position order, a page at a time."""
        after = -1
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(select(LEAVES).where(LEAVES.c.position > after)
                                    .order_by(LEAVES.c.position).limit(PAGE * 4)).all()
            if not rows:
                return
            for row in rows:
                yield Leaf(*row)
            after = rows[-1].position

    def leaves_of(self, originator_id: UUID) -> list[Leaf]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(LEAVES).where(LEAVES.c.originator_id == str(
                originator_id)).order_by(LEAVES.c.version)).all()
        return [Leaf(*row) for row in rows]

    def append(self, checkpoint: Checkpoint, leaves: list[Leaf]) -> None:
        """Store a checkpoint and its new leaves in one transaction."""
        with self.engine.begin() as conn:
            if leaves:
                conn.execute(insert(LEAVES), [asdict(leaf) for leaf in leaves])
            conn.execute(insert(CHECKPOINTS), [asdict(checkpoint)])

    def close(self) -> None:
        self.engine.dispose()


# What verification finds.


@dataclass(frozen=True)
class Finding:
    """One thing wrong: where, and what."""

    kind: str  # "chain", "log", "checkpoint" or "unreadable"
    detail: str
    child_id: str | None = None
    version: int | None = None
    position: int | None = None

    def describe(self) -> str:
        where = [f"{name} {value}" for name, value in (
            ("journey", self.child_id), ("version", self.version),
            ("position", self.position)) if value is not None]
        return f"{self.kind}: {', '.join(where) + ': ' if where else ''}{self.detail}"


@dataclass
class StoreReport:
    """The outcome of verifying the whole store."""

    position: int
    events: int
    journeys: int
    checkpoints: int
    anchored_position: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_dict(self) -> dict[str, Any]:
        return {**{k: v for k, v in asdict(self).items() if k != "findings"},
                "verified": self.ok, "findings": [asdict(f) for f in self.findings]}


@dataclass(frozen=True)
class JourneyReport:
    """The outcome of verifying one journey's chain against the latest checkpoint."""

    child_id: UUID
    authority: str | None
    verified: bool
    head_version: int
    head_hash: str | None
    first_bad_version: int | None
    reason: str | None
    anchored_version: int | None
    checkpoint: Checkpoint | None
    checkpoint_signature_valid: bool | None


@dataclass(frozen=True)
class _Entry:
    leaf: Leaf
    event: JourneyEvent | None
    error: str | None


class LogIntegrity:
    """Verify journeys' chains and the whole log, and make signed checkpoints."""

    def __init__(self, application: Application, store: CheckpointStore,
                 key: Ed25519PrivateKey) -> None:
        self.application = application
        self.store = store
        self._key = key
        self.public_key = key.public_key()
        self.key_id = key_id(self.public_key)
        self.public_key_hex = public_key_hex(self.public_key)

    # One journey.

    def journey(self, child_id: UUID) -> JourneyReport | None:
        """Return the journey's chain check, or None if nothing of it was ever known."""
        stored = self.application.recorder.select_events(child_id)
        anchored = self.store.leaves_of(child_id)
        if not stored and not anchored:
            return None
        verifier = ChainVerifier(child_id)
        authority: str | None = None
        unreadable: tuple[int, str] | None = None
        hashes: dict[int, str] = {}
        for item in stored:
            event, error = self._decode(item)
            if event is None:
                unreadable = unreadable or (item.originator_version, error or "")
                continue
            if isinstance(event, ChildRegistered):
                authority = event.authority
            hashes[event.originator_version] = event.hash
            if unreadable is None:
                verifier.add(event)
        bad: list[tuple[int, str]] = []
        if verifier.broken is not None:
            bad.append((verifier.broken.version, verifier.broken.reason))
        if unreadable is not None:
            bad.append((unreadable[0], f"the stored event cannot be read: {unreadable[1]}"))
        if not stored:
            bad.append((1, "the journey is missing from the store"))
        latest = self.store.latest()
        for leaf in anchored:
            if hashes.get(leaf.version) != leaf.digest:
                found = "is missing" if leaf.version not in hashes else "differs"
                bad.append((leaf.version, f"version {leaf.version} {found} from what "
                                          f"checkpoint {latest.seq if latest else '?'} "
                                          f"anchored at position {leaf.position}"))
                break
        first = min(bad) if bad else None
        head_version = max(hashes, default=0)
        return JourneyReport(
            child_id=child_id, authority=authority, verified=first is None,
            head_version=head_version, head_hash=hashes.get(head_version),
            first_bad_version=first[0] if first else None, reason=first[1] if first else None,
            anchored_version=anchored[-1].version if anchored else None,
            checkpoint=latest if anchored else None,
            checkpoint_signature_valid=latest.verifies(self.public_key)
            if anchored and latest else None,
        )

    # The whole store.

    def verify(self, stop: int | None = None, _new: list[_Entry] | None = None
               ) -> StoreReport:
        """Recompute every journey's chain and every checkpoint against the log."""
        recorder = self.application.recorder
        if stop is None:
            stop = recorder.max_notification_id() or 0
        checkpoints = self.store.checkpoints()
        findings = self._check_checkpoints(checkpoints)
        anchored = checkpoints[-1].position if checkpoints else 0
        leaves = self._authentic_leaves(checkpoints, findings)
        chains: dict[str, ChainVerifier] = {}
        report = StoreReport(position=stop, events=0, journeys=0,
                             checkpoints=len(checkpoints), anchored_position=anchored)
        pending = next(leaves, None)

        def note(finding: Finding) -> None:
            if len(findings) < MAX_FINDINGS:
                findings.append(finding)

        for entry in self._entries(0, stop):
            report.events += 1
            leaf = entry.leaf
            while pending is not None and pending.position < leaf.position:
                note(_missing(pending))
                pending = next(leaves, None)
            if pending is not None and pending.position == leaf.position:
                if pending != leaf:
                    note(_rewritten(pending, leaf))
                pending = next(leaves, None)
            elif leaf.position <= anchored:
                note(Finding("log", "an entry the checkpoints never saw was inserted",
                             leaf.originator_id, leaf.version, leaf.position))
            elif _new is not None:
                _new.append(entry)
            if entry.error is not None:
                note(Finding("unreadable", f"the stored event cannot be read: {entry.error}",
                             leaf.originator_id, leaf.version, leaf.position))
            if entry.event is not None:
                chain = chains.get(leaf.originator_id)
                if chain is None:
                    chain = chains[leaf.originator_id] = ChainVerifier(leaf.originator_id)
                if chain.broken is None:
                    broken = chain.add(entry.event)
                    if broken is not None:
                        note(Finding("chain", broken.reason, leaf.originator_id,
                                     broken.version, leaf.position))
        while pending is not None:
            note(_missing(pending))
            pending = next(leaves, None)
        report.journeys = len(chains)
        report.findings = findings
        return report

    def checkpoint(self) -> Checkpoint:
        """Sign a checkpoint at the log's current position, after verifying the store.

        Refuses (``LogTamperedError``) to anchor a log that fails verification.
        """
        stop = self.application.recorder.max_notification_id() or 0
        new: list[_Entry] = []
        report = self.verify(stop, new)
        if not report.ok:
            raise LogTamperedError(report.findings)
        latest = self.store.latest()
        root = latest.root if latest else LOG_GENESIS
        for entry in new:
            root = next_root(root, entry.leaf)
        unsigned = Checkpoint(
            seq=latest.seq + 1 if latest else 1, position=max(stop, latest.position
                                                              if latest else 0),
            root=root, created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            key_id=self.key_id, previous=latest.digest() if latest else "")
        signature = base64.b64encode(self._key.sign(unsigned.statement())).decode()
        checkpoint = Checkpoint(**{**asdict(unsigned), "signature": signature})
        self.store.append(checkpoint, [entry.leaf for entry in new])
        return checkpoint

    def checkpoints(self) -> list[tuple[Checkpoint, bool]]:
        """Return every checkpoint with whether its signature verifies."""
        return [(c, c.verifies(self.public_key)) for c in self.store.checkpoints()]

    # Reading and checking.

    def _check_checkpoints(self, checkpoints: list[Checkpoint]) -> list[Finding]:
        findings: list[Finding] = []
        previous: Checkpoint | None = None
        for checkpoint in checkpoints:
            if checkpoint.key_id != self.key_id:
                findings.append(_bad_checkpoint(checkpoint, "is signed by another key "
                                                f"({checkpoint.key_id})"))
            elif not checkpoint.verifies(self.public_key):
                findings.append(_bad_checkpoint(checkpoint, "has an invalid signature"))
            if previous is not None and (checkpoint.previous != previous.digest()
                                         or checkpoint.seq != previous.seq + 1
                                         or checkpoint.position < previous.position):
                findings.append(_bad_checkpoint(checkpoint, "does not follow checkpoint "
                                                f"{previous.seq}"))
            previous = checkpoint
        return findings

    def _authentic_leaves(self, checkpoints: list[Checkpoint], findings: list[Finding]
                          ) -> Iterator[Leaf]:
        """Yield the stored leaves, checking their running hash at every checkpoint."""
        roots = {c.position: c for c in checkpoints}
        root = LOG_GENESIS
        if 0 in roots and roots[0].root != root:
            findings.append(_bad_checkpoint(roots[0], "does not match its leaves"))
        seen = {0}
        for leaf in self.store.leaves():
            root = next_root(root, leaf)
            yield leaf
            seen.add(leaf.position)
            checkpoint = roots.get(leaf.position)
            if checkpoint is not None and checkpoint.root != root:
                findings.append(_bad_checkpoint(
                    checkpoint, "does not match its stored leaves (the leaves were changed)"))
        for position, checkpoint in roots.items():
            if position not in seen:
                findings.append(_bad_checkpoint(checkpoint, "has lost its stored leaves"))

    def _entries(self, after: int, stop: int) -> Iterator[_Entry]:
        recorder = self.application.recorder
        while after < stop:
            page = recorder.select_notifications(after + 1, PAGE, stop=stop)
            if not page:
                return
            for notification in page:
                yield self._entry(notification)
            after = page[-1].id

    def _entry(self, notification: Notification) -> _Entry:
        event, error = self._decode(notification)
        if isinstance(event, JourneyEvent):
            digest = event.hash
        else:
            raw = hashlib.sha256(notification.topic.encode() + b"\n" + notification.state)
            digest = "sha256:" + raw.hexdigest()
        leaf = Leaf(notification.id, str(notification.originator_id),
                    notification.originator_version, digest)
        return _Entry(leaf, event if isinstance(event, JourneyEvent) else None, error)

    def _decode(self, stored: StoredEvent) -> tuple[JourneyEvent | None, str | None]:
        try:
            event = self.application.mapper.to_domain_event(stored)
        except Exception as error:  # any damage to a row: report it, do not stop
            return None, type(error).__name__
        if isinstance(event, JourneyEvent):
            return event, None
        return None, None


def _missing(leaf: Leaf) -> Finding:
    return Finding("log", "this entry, anchored by a signed checkpoint, is missing "
                          "(deleted)", leaf.originator_id, leaf.version, leaf.position)


def _rewritten(anchored: Leaf, found: Leaf) -> Finding:
    if (anchored.originator_id, anchored.version) != (found.originator_id, found.version):
        detail = (f"the checkpoint anchored journey {anchored.originator_id} version "
                  f"{anchored.version} here; the log now holds journey "
                  f"{found.originator_id} version {found.version}")
    else:
        detail = "the event's hash differs from what the signed checkpoint anchored " \
                 "(rewritten)"
    return Finding("log", detail, anchored.originator_id, anchored.version, anchored.position)


def _bad_checkpoint(checkpoint: Checkpoint, detail: str) -> Finding:
    return Finding("checkpoint", f"checkpoint {checkpoint.seq} (position "
                                 f"{checkpoint.position}) {detail}",
                   position=checkpoint.position)
