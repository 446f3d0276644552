"""Integrity checks in the users' words: is this journey's history intact, which
checkpoints anchor the log. The log itself (chains, checkpoints, signing) is a port."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Protocol
from uuid import UUID

from application import access
from application.errors import ChildNotFoundError
from domain.actors import Actor


class IntegrityLog(Protocol):
    """What infrastructure provides (``infrastructure.integrity.LogIntegrity``)."""

    public_key_hex: str
    key_id: str

    def journey(self, child_id: UUID) -> Any: ...

    def checkpoints(self) -> list[tuple[Any, bool]]: ...


class IntegrityChecks:
    """Answer integrity questions for auditors and managers."""

    def __init__(self, log: IntegrityLog) -> None:
        self.log = log

    def check_journey(self, child_id: UUID, *, actor: Actor) -> dict[str, Any]:
        """Return the journey's chain check and the latest checkpoint anchoring it."""
        access.check_may_verify_integrity(actor, None)  # the role, before any reading
        report = self.log.journey(child_id)
        if report is None:
            raise ChildNotFoundError(child_id)
        access.check_may_verify_integrity(actor, report.authority)
        answer = {k: v for k, v in asdict(report).items() if k != "authority"}
        answer["child_id"] = str(child_id)
        return answer

    def list_checkpoints(self, *, actor: Actor) -> dict[str, Any]:
        """Return every signed checkpoint, each with whether its signature verifies."""
        access.check_may_verify_integrity(actor, None)
        return {"key_id": self.log.key_id, "public_key": self.log.public_key_hex,
                "algorithm": "Ed25519",
                "checkpoints": [{**asdict(c), "signature_valid": valid}
                                for c, valid in self.log.checkpoints()]}
