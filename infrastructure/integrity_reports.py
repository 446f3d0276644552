"""What verifying the log finds, and the reports it answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any
from uuid import UUID

from infrastructure.checkpoints import Checkpoint, Leaf

# What verification finds.


@dataclass(frozen=True)
class Finding:
    """One thing wrong: where, and what."""

    kind: str  # "chain", "log", "checkpoint", "witness" or "unreadable"
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
    witness: str | None = None
    witnessed: int = 0
    unanchored_events: int = 0
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


def missing(leaf: Leaf) -> Finding:
    return Finding("log", "this entry, anchored by a signed checkpoint, is missing "
                          "(deleted)", leaf.originator_id, leaf.version, leaf.position)


def unreadable(leaf: Leaf, error: str | None) -> Finding:
    return Finding("unreadable", f"the stored event cannot be read: {error}",
                   leaf.originator_id, leaf.version, leaf.position)


def rewritten(anchored: Leaf, found: Leaf) -> Finding:
    if (anchored.originator_id, anchored.version) != (found.originator_id, found.version):
        detail = (f"the checkpoint anchored journey {anchored.originator_id} version "
                  f"{anchored.version} here; the log now holds journey "
                  f"{found.originator_id} version {found.version}")
    else:
        detail = "the event's hash differs from what the signed checkpoint anchored " \
                 "(rewritten)"
    return Finding("log", detail, anchored.originator_id, anchored.version, anchored.position)


def bad_checkpoint(checkpoint: Checkpoint, detail: str) -> Finding:
    return Finding("checkpoint", f"checkpoint {checkpoint.seq} (position "
                                 f"{checkpoint.position}) {detail}",
                   position=checkpoint.position)
