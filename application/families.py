"""A family inside the journey: the authority invites it, for one child.

A manager of the child's authority invites the family; the invitation is a token the
deployment signs (web/auth.py ``mint_invitation``) naming the child, with the role
``family``. What that role may then do is decided in application/access.py: read the
child's parent page, state and journey, and record the family's own voice
(``access.FAMILY_EVENT_TYPES``), nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from application import access
from domain.actors import Actor

if TYPE_CHECKING:
    from application.tracking import CaseTracking


def family_invitation(tracking: CaseTracking, child_id: UUID, *, actor: Actor
                      ) -> tuple[str, str]:
    """Return (authority, family user id) for an invitation to the child's family, once
    the caller is checked to be a manager of the child's authority."""
    journey = tracking.journey_for_update(child_id)
    access.check_may_invite_family(actor, journey.authority)
    return journey.authority, f"family-{uuid4().hex[:16]}"
