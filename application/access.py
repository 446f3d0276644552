"""Who may do what to a journey: deny by default.

Local-authority staff (caseworker, manager) act on journeys of their own authority;
corrections need a manager or the organisation that recorded the original. Later
capabilities (inspection samples, auditor purposes) widen reads through here only.
"""

from __future__ import annotations

from application.errors import ForbiddenError
from domain.actors import Actor
from domain.events import JourneyEvent

WRITE_ROLES = frozenset({"caseworker", "manager"})
READ_ROLES = frozenset({"caseworker", "manager"})
ROLES = frozenset({"caseworker", "manager", "inspector", "auditor", "admin"})


def check_may_register(actor: Actor, authority: str) -> None:
    if actor.role not in WRITE_ROLES:
        raise ForbiddenError(f"role {actor.role!r} may not register journeys")
    if actor.organisation != authority:
        raise ForbiddenError("staff register journeys for their own authority only")


def check_may_write(actor: Actor, authority: str) -> None:
    if actor.role not in WRITE_ROLES:
        raise ForbiddenError(f"role {actor.role!r} may not record events")
    if actor.organisation != authority:
        raise ForbiddenError("this journey belongs to another authority")


def check_may_amend(actor: Actor, target: JourneyEvent) -> None:
    """Allow a correction by a manager, or by the organisation that recorded the original."""
    if actor.role != "manager" and actor.organisation != target.actor.organisation:
        raise ForbiddenError("only a manager or the original organisation may correct an entry")


def check_may_read(actor: Actor, authority: str) -> None:
    if actor.role not in READ_ROLES:
        raise ForbiddenError(f"role {actor.role!r} may not read journeys")
    if actor.organisation != authority:
        raise ForbiddenError("this journey belongs to another authority")


INTEGRITY_ROLES = frozenset({"auditor", "manager"})


def check_may_verify_integrity(actor: Actor, authority: str | None) -> None:
    """Allow auditors and managers to check a journey's hash chain (``authority``) or, with
    None, the log-wide checkpoints; a journey of another authority stays closed to them."""
    if actor.role not in INTEGRITY_ROLES:
        raise ForbiddenError(f"role {actor.role!r} may not check integrity")
    if authority is not None and actor.organisation != authority:
        raise ForbiddenError("this journey belongs to another authority")
