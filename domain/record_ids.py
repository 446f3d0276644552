"""The ids a journey gives the records its events open, declared once per kind.

An advice request, a draft plan, an appealable decision, a mediation, an appeal, a review:
each is opened by an event and named by later ones (``advice_request_id``,
``decision_id``, ...). Its id is the kind's prefix and the opening event's journey version
(``advice-7``), minted in the event's ``evolve`` through ``JourneyState.mint``, which also
notes it against the event, so a write can answer the ids it created (``created``) and a
client never rebuilds the convention. Kinds are declared beside their records, in the
catalogue's modules, and registered here.
"""

from __future__ import annotations

from dataclasses import dataclass

RECORD_KINDS: dict[str, RecordKind] = {}


@dataclass(frozen=True)
class RecordKind:
    """A kind of record an event opens: how a write's answer names its id (``key``, the
    field later events take it in where one does), the id's prefix, and whether one event
    may open several (then the answer lists them)."""

    key: str
    prefix: str
    description: str
    many: bool = False

    def id_for(self, version: int, *parts: object) -> str:
        """Return the id of the record the event at ``version`` opened (``parts`` tell
        apart several opened by one event)."""
        return "-".join((self.prefix, str(version), *map(str, parts)))


def record_kind(key: str, prefix: str, description: str, *, many: bool = False
                ) -> RecordKind:
    """Declare a kind of record once, at import time of the module that opens it."""
    if key in RECORD_KINDS:
        raise ValueError(f"record kind {key!r} declared twice")
    kind = RecordKind(key, prefix, description, many)
    RECORD_KINDS[key] = kind
    return kind


def answer_key(kind: RecordKind) -> str:
    """Return how a write's ``created`` names the kind: its key, plural when it lists."""
    return kind.key + "s" if kind.many else kind.key
