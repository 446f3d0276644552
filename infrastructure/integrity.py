"""Tamper evidence over the whole log: verifying the store, making signed checkpoints.

``verify`` recomputes every journey's hash chain, every signed checkpoint (signature,
link to the previous one, Merkle root over its stored leaves, RFC 9162 consistency with
the previous checkpoint), compares the checkpoints with the witness held outside the
database, and compares every anchored leaf with the log. ``checkpoint`` signs a new
tree head and appends it to the store and the witnesses. The records, keys and
storage are in ``infrastructure.checkpoints``; see ``docs/decisions/0004-integrity.md``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import sqlalchemy.exc
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.application import Application
from eventsourcing.persistence import Notification, StoredEvent

from application.progress import SILENT, Progress
from domain.catalogue.registration import ChildRegistered
from domain.events import JourneyEvent
from domain.integrity import ChainVerifier, genesis_hash
from infrastructure.checkpoints import (
    CHECKPOINTS,
    INTEGRITY_FILE,
    KEY_FILE,
    LEAVES,
    Checkpoint,
    CheckpointStore,
    IntegrityError,
    Leaf,
    SigningKeyMissingError,
    key_id,
    load_signing_key,
    public_key_hex,
)
from infrastructure.integrity_reports import (
    Finding,
    JourneyReport,
    StoreReport,
    bad_checkpoint,
    missing,
    rewritten,
    unreadable,
)
from infrastructure.merkle import Frontier, Tree, verify_consistency
from infrastructure.recent_log import RecentLog, Row
from infrastructure.witness import WitnessError, Witnesses

__all__ = ["CHECKPOINTS", "INTEGRITY_FILE", "KEY_FILE", "LEAVES", "Checkpoint",
           "CheckpointStore", "Finding", "IntegrityError", "JourneyReport", "Leaf",
           "LogIntegrity", "LogTamperedError", "SigningKeyMissingError", "StoreReport",
           "key_id", "load_signing_key", "public_key_hex"]

PAGE = 500
MAX_FINDINGS = 200


class LogTamperedError(IntegrityError):
    """Raised when a checkpoint is asked for over a log that fails verification."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(findings[0].describe())
        self.findings = findings


@dataclass(frozen=True)
class _Entry:
    leaf: Leaf
    event: JourneyEvent | None
    error: str | None


class LogIntegrity:
    """Verify journeys' chains and the whole log, and make signed checkpoints."""

    def __init__(self, application: Application, store: CheckpointStore,
                 key: Ed25519PrivateKey, witnesses: Witnesses | None = None) -> None:
        self.application = application
        self.store = store
        self.witnesses = witnesses
        self._key = key
        self.public_key = key.public_key()
        self.key_id = key_id(self.public_key)
        self.public_key_hex = public_key_hex(self.public_key)
        # The entries the projection group read, for the cheap path (``recent_log``).
        self.recent: RecentLog | None = None

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

    def verify(self, stop: int | None = None, _new: list[_Entry] | None = None,
               progress: Progress = SILENT) -> StoreReport:
        """Recompute every journey's chain and every checkpoint against the log and the
        witness (``progress`` counts the log's entries)."""
        recorder = self.application.recorder
        if stop is None:
            stop = recorder.max_notification_id() or 0
        checkpoints = self.store.checkpoints()
        findings = self._check_checkpoints(checkpoints)
        report = StoreReport(position=stop, events=0, journeys=0,
                             checkpoints=len(checkpoints),
                             anchored_position=checkpoints[-1].position if checkpoints else 0)
        findings += self._check_witness(checkpoints, report)
        tree = Tree()
        leaves = self._authentic_leaves(checkpoints, findings, tree)
        progress.start("log entries verified", stop)
        self._walk_log(stop, report.anchored_position, leaves, findings, report, _new,
                       progress)
        findings += self._check_consistency(checkpoints, tree)
        report.findings = findings[:MAX_FINDINGS]
        return report

    def _walk_log(self, stop: int, anchored: int, leaves: Iterator[Leaf],
                  findings: list[Finding], report: StoreReport,
                  new: list[_Entry] | None, progress: Progress = SILENT) -> None:
        """Compare each log entry with its anchored leaf and check every journey's chain."""
        chains: dict[str, ChainVerifier] = {}
        pending = next(leaves, None)
        for entry in self._entries(0, stop):
            report.events += 1
            progress.advance()
            leaf = entry.leaf
            while pending is not None and pending.position < leaf.position:
                findings.append(missing(pending))
                pending = next(leaves, None)
            if pending is not None and pending.position == leaf.position:
                if pending != leaf:
                    findings.append(rewritten(pending, leaf))
                pending = next(leaves, None)
            elif leaf.position <= anchored:
                findings.append(Finding("log", "an entry the checkpoints never saw was "
                                        "inserted", leaf.originator_id, leaf.version,
                                        leaf.position))
            else:
                report.unanchored_events += 1
                if new is not None:
                    new.append(entry)
            if entry.error is not None:
                findings.append(unreadable(entry.leaf, entry.error))
            if entry.event is not None:
                chain = chains.get(leaf.originator_id)
                if chain is None:
                    chain = chains[leaf.originator_id] = ChainVerifier(leaf.originator_id)
                if chain.broken is None:
                    broken = chain.add(entry.event)
                    if broken is not None:
                        findings.append(Finding("chain", broken.reason, leaf.originator_id,
                                                broken.version, leaf.position))
        while pending is not None:
            findings.append(missing(pending))
            pending = next(leaves, None)
        report.journeys = len(chains)

    def checkpoint(self, *, full: bool = True) -> Checkpoint:
        """Sign a checkpoint at the log's current position and publish it to the witnesses.

        With ``full`` the whole store is verified first; without, only what the last
        checkpoint left unanchored (the automatic checkpointer's cheap path). Either
        refuses (``LogTamperedError``) to anchor a log that fails.
        """
        if self.witnesses is None:
            return self._checkpoint(full)
        with self.witnesses.file.locked():
            self._publish_pending()
            return self._checkpoint(full)

    def _checkpoint(self, full: bool) -> Checkpoint:
        stop = self.application.recorder.max_notification_id() or 0
        latest = self.store.latest()
        new: list[_Entry] = []
        if full:
            report = self.verify(stop, new)
            if not report.ok:
                raise LogTamperedError(report.findings)
        else:
            new = self._unanchored_checked(latest, stop)
        frontier = self._frontier(latest)
        for entry in new:
            frontier.append(entry.leaf.hash())
        unsigned = Checkpoint(
            seq=latest.seq + 1 if latest else 1,
            position=max(stop, latest.position if latest else 0),
            tree_size=frontier.size, root=frontier.root().hex(),
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            key_id=self.key_id, previous=latest.digest() if latest else "",
            frontier=frontier.to_text())
        signature = base64.b64encode(self._key.sign(unsigned.statement())).decode()
        checkpoint = Checkpoint(**{**asdict(unsigned), "signature": signature})
        try:
            self.store.append(checkpoint, [entry.leaf for entry in new])
        except sqlalchemy.exc.IntegrityError:
            raise IntegrityError(f"checkpoint {checkpoint.seq} was made by another "
                                 "process at the same time") from None
        if self.witnesses is not None:
            try:
                self.witnesses.publish(checkpoint.record())
            except WitnessError as error:
                raise IntegrityError(f"checkpoint {checkpoint.seq} is stored but the witness "
                                     f"does not hold it yet: {error}") from None
        return checkpoint

    def checkpoints(self) -> list[tuple[Checkpoint, bool]]:
        """Return every checkpoint with whether its signature verifies."""
        return [(c, c.verifies(self.public_key)) for c in self.store.checkpoints()]

    # The cheap path: only what the last checkpoint left unanchored.

    def _unanchored_checked(self, latest: Checkpoint | None, stop: int) -> list[_Entry]:
        checkpoints = self.store.checkpoints()
        findings = self._check_checkpoints(checkpoints[-1:])
        findings += self._check_witness(checkpoints, StoreReport(0, 0, 0, 0, 0))
        findings += self._check_anchored_tail()
        after = latest.position if latest else 0
        new = list(self._entries(after, stop) if self.recent is None else
                   self.recent.entries(after, stop, self._entries, self._held_entry))
        # Each journey's anchored head (its last leaf), for all of them in one query.
        anchored = self.store.last_leaves_of(
            entry.leaf.originator_id for entry in new if entry.event is not None)
        heads = {originator_id: (leaf.version, leaf.digest)
                 for originator_id, leaf in anchored.items()}
        for entry in new:
            if entry.error is not None:
                findings.append(unreadable(entry.leaf, entry.error))
            if entry.event is None:
                continue
            leaf = entry.leaf
            verifier = ChainVerifier(leaf.originator_id)
            head = heads.get(leaf.originator_id) or (0, genesis_hash(leaf.originator_id))
            verifier.version, verifier.head_hash = head
            broken = verifier.add(entry.event)
            if broken is not None:
                findings.append(Finding("chain", broken.reason, leaf.originator_id,
                                        broken.version, leaf.position))
            heads[leaf.originator_id] = (verifier.version, verifier.head_hash)
        if findings:
            raise LogTamperedError(findings)
        return new

    def _check_anchored_tail(self) -> list[Finding]:
        """Is the last anchored entry still in the log, unchanged?"""
        last = self.store.last_leaf()
        if last is None:
            return []
        page = self.application.recorder.select_notifications(
            last.position, 1, stop=last.position)
        if not page or page[0].id != last.position:
            return [missing(last)]
        found = self._entry(page[0]).leaf
        return [] if found == last else [rewritten(last, found)]

    def _frontier(self, latest: Checkpoint | None) -> Frontier:
        if latest is None:
            return Frontier()
        try:
            frontier = Frontier.from_text(latest.tree_size, latest.frontier)
        except ValueError:
            frontier = None
        if frontier is None or frontier.root().hex() != latest.root:
            raise LogTamperedError([bad_checkpoint(latest, "has a tree edge that does "
                                                    "not fold to its signed root")])
        return frontier

    def _publish_pending(self) -> None:
        """Give the file witness the store's checkpoints it lacks (a publish that failed
        after its checkpoint was stored), if what it holds is the store's beginning."""
        assert self.witnesses is not None
        held = self.witnesses.file.read()
        stored = self.store.checkpoints()
        if len(held) >= len(stored) or held != [c.record() for c in stored[:len(held)]]:
            return
        for checkpoint in stored[len(held):]:
            if checkpoint.verifies(self.public_key):
                self.witnesses.file.publish(checkpoint.record())

    # Checking the checkpoints.

    def _check_checkpoints(self, checkpoints: list[Checkpoint]) -> list[Finding]:
        findings: list[Finding] = []
        previous: Checkpoint | None = None
        for checkpoint in checkpoints:
            if checkpoint.key_id != self.key_id:
                findings.append(bad_checkpoint(checkpoint, "is signed by another key "
                                                f"({checkpoint.key_id})"))
            elif not checkpoint.verifies(self.public_key):
                findings.append(bad_checkpoint(checkpoint, "has an invalid signature"))
            if previous is not None and (checkpoint.previous != previous.digest()
                                         or checkpoint.seq != previous.seq + 1
                                         or checkpoint.position < previous.position):
                findings.append(bad_checkpoint(checkpoint, "does not follow checkpoint "
                                                f"{previous.seq}"))
            previous = checkpoint
        return findings

    def _check_witness(self, checkpoints: list[Checkpoint], report: StoreReport
                       ) -> list[Finding]:
        """Compare the store's checkpoints with the witness's, one by one."""
        if self.witnesses is None:
            return []
        report.witness = self.witnesses.file.describe()
        try:
            held = self.witnesses.file.read()
        except WitnessError as error:
            return [Finding("witness", str(error))]
        report.witnessed = len(held)
        findings = []
        for index in range(max(len(held), len(checkpoints))):
            seq = index + 1
            if index >= len(held):
                findings.append(Finding("witness", f"checkpoint {seq} is in the store but "
                                        "not in the witness (made behind the checkpointer, "
                                        "or the witness lost it)",
                                        position=checkpoints[index].position))
            elif index >= len(checkpoints):
                findings.append(Finding("witness", f"checkpoint {held[index].get('seq')} "
                                        "held by the witness is missing from the store "
                                        "(deleted)", position=held[index].get("position")))
            elif held[index] != checkpoints[index].record():
                what = "out of order" if held[index].get("seq") != seq else "altered"
                findings.append(Finding("witness", f"checkpoint {seq} in the store differs "
                                        f"from the witness's ({what})",
                                        position=checkpoints[index].position))
        return findings

    def _authentic_leaves(self, checkpoints: list[Checkpoint], findings: list[Finding],
                          tree: Tree) -> Iterator[Leaf]:
        """Yield the stored leaves, checking the Merkle root at every checkpoint."""
        waiting = sorted(checkpoints, key=lambda c: (c.position, c.seq))

        def settle(before: int | None) -> None:
            while waiting and (before is None or waiting[0].position < before):
                checkpoint = waiting.pop(0)
                if checkpoint.tree_size != tree.size:
                    findings.append(bad_checkpoint(
                        checkpoint, f"covers {checkpoint.tree_size} entries but "
                        f"{tree.size} leaves are stored up to its position (the leaves "
                        "were deleted or inserted)"))
                elif tree.root().hex() != checkpoint.root:
                    findings.append(bad_checkpoint(
                        checkpoint, "does not match its stored leaves (the leaves were "
                        "changed)"))

        for leaf in self.store.leaves():
            settle(leaf.position)
            tree.append(leaf.hash())
            yield leaf
        settle(None)

    def _check_consistency(self, checkpoints: list[Checkpoint], tree: Tree
                           ) -> list[Finding]:
        """RFC 9162 consistency proofs: each checkpoint's tree extends the previous one."""
        findings = []
        for before, after in zip(checkpoints, checkpoints[1:], strict=False):
            if not before.tree_size <= after.tree_size <= tree.size:
                findings.append(bad_checkpoint(after, f"does not extend checkpoint "
                                                f"{before.seq} (tree sizes)"))
                continue
            proof = tree.consistency_proof(before.tree_size, after.tree_size)
            if not verify_consistency(before.tree_size, after.tree_size,
                                      bytes.fromhex(before.root), bytes.fromhex(after.root),
                                      proof):
                findings.append(bad_checkpoint(after, "has no consistency proof from "
                                                f"checkpoint {before.seq}"))
        return findings

    def inclusion_proof(self, position: int, seq: int | None = None) -> dict[str, Any]:
        """Return the RFC 9162 inclusion proof of the entry at ``position`` in checkpoint
        ``seq`` (the latest by default), with everything needed to check it offline."""
        checkpoints = self.store.checkpoints()
        chosen = [c for c in checkpoints if seq is None or c.seq == seq][-1:]
        if not chosen:
            raise IntegrityError(f"no checkpoint {seq if seq is not None else ''}".strip())
        checkpoint = chosen[0]
        tree, index, target = Tree(), None, None
        for leaf in self.store.leaves():
            if leaf.position > checkpoint.position:
                break
            if leaf.position == position:
                index, target = tree.size, leaf
            tree.append(leaf.hash())
        if index is None or target is None:
            raise IntegrityError(f"checkpoint {checkpoint.seq} does not anchor position "
                                 f"{position}")
        return {"checkpoint": checkpoint.record(), "leaf": asdict(target),
                "leaf_index": index, "leaf_hash": target.hash().hex(),
                "proof": [h.hex() for h in tree.inclusion_proof(index, tree.size)]}

    # Reading the log.

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

    def _held_entry(self, row: Row) -> _Entry:
        """The entry of a row the projection group read and decoded: ``_entry`` of it."""
        notification, event = row
        if not isinstance(event, JourneyEvent):
            return self._entry(notification)
        return _Entry(Leaf(notification.id, str(notification.originator_id),
                           notification.originator_version, event.hash), event, None)

    def _decode(self, stored: StoredEvent) -> tuple[JourneyEvent | None, str | None]:
        try:
            event = self.application.mapper.to_domain_event(stored)
        except Exception as error:  # any damage to a row: report it, do not stop
            return None, type(error).__name__
        if isinstance(event, JourneyEvent):
            return event, None
        return None, None


