"""Who recorded an event: the authenticated principal, never the request body."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The user, role and organisation that recorded an event."""

    user_id: str
    role: str
    organisation: str
    # A family's token names the one child it is for; it is never stored with an event.
    child_id: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {"user_id": self.user_id, "role": self.role, "organisation": self.organisation}
