"""Documents tied to the journey's events: advice reports, draft and final plans, decision
letters (issue 16).

``DocumentAttached`` records that a document was attached to one event of the journey
(``event_version``): its id, the SHA-256 of its bytes, its type and size, and its title.
The bytes themselves are never in an event: they are kept in the document store, sealed
with the child's key, so erasing the key erases the document too (crypto-shredding).
It is recorded by its own use case (the upload), never through the events endpoint, so
the hash always names bytes the store holds.

Which event a document belongs to is a check on the whole log (the event must exist,
must not be retracted, and must not itself be an attachment), made when the attachment is
recorded (``check_attachable``); a later retraction of the event leaves the attachment in
the record, shown against an entry no longer in force.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, ClassVar, Literal

from domain.catalogue.common import check
from domain.events import JourneyEvent
from domain.rules import rule

if TYPE_CHECKING:
    from domain.state import JourneyState

DOCUMENT_RULES = "casetrack journey rule (documents belong to the event they record)"

DOCUMENT_EVENT_MISSING = rule(
    "document-event-missing", DOCUMENT_RULES,
    "A document is attached to an event version of this journey.")
DOCUMENT_EVENT_RETRACTED = rule(
    "document-event-retracted", DOCUMENT_RULES,
    "A document is not attached to an entry that has been retracted.")
DOCUMENT_ON_DOCUMENT = rule(
    "document-event-is-attachment", DOCUMENT_RULES,
    "A document is attached to a step of the journey, not to another attachment.")

# The kinds of document the store accepts (their media types); what a deployment allows
# is configuration (CASETRACK_DOCUMENT_TYPES), checked by the bytes, not the declaration.
MediaType = Literal[
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.oasis.opendocument.text",
    "image/png",
    "image/jpeg",
]


@dataclass(frozen=True)
class AttachedDocument:
    """A document attached to an event: what the store holds under its hash. Frozen: never
    changed once attached, so a fold that attaches one shares the others (domain.copies)."""

    document_id: str
    event_version: int
    attached_version: int
    title: str
    media_type: str
    sha256: str
    size: int
    attached_on: date


class DocumentAttached(JourneyEvent):
    """A document was attached to a record of the journey: advice, a plan or a letter.

    ``event_version`` names the event it belongs to; its bytes are in the document store
    under ``sha256``, sealed with the child's key."""

    document_id: str
    event_version: int
    title: str
    media_type: MediaType
    sha256: str
    size: int

    group: ClassVar[str] = "documents"
    # A decision letter or a cease notice may come after the plan has ended.
    allowed_when_closed: ClassVar[bool] = True
    # Recorded by the upload (POST /children/{id}/documents), which stores the bytes first.
    via_events_endpoint: ClassVar[bool] = False
    # Which bytes, and which event (so who may read them), are never corrected: a wrong
    # attachment is retracted and the document attached again.
    access_fields: ClassVar[frozenset[str]] = frozenset({
        "document_id", "event_version", "media_type", "sha256", "size"})

    def evolve(self, state: JourneyState) -> None:
        state.documents.append(AttachedDocument(
            document_id=self.document_id, event_version=self.event_version,
            attached_version=self.originator_version, title=self.title,
            media_type=self.media_type, sha256=self.sha256, size=self.size,
            attached_on=self.occurred_on))


def check_attachable(log: Sequence[JourneyEvent], event_version: int) -> None:
    """Check that a document may be attached to ``event_version`` of ``log``."""
    from domain.catalogue.registration import EntryRetracted
    from domain.state import effective_events

    check(1 <= event_version <= len(log), DOCUMENT_EVENT_MISSING,
          f"there is no event version {event_version} in this journey")
    target = log[event_version - 1]
    check(not isinstance(target, DocumentAttached), DOCUMENT_ON_DOCUMENT,
          f"version {event_version} is itself a DocumentAttached")
    if any(isinstance(e, EntryRetracted) and e.target_version == event_version for e in log):
        standing = {e.originator_version for e in effective_events(log)}
        standing |= {e.originator_version for e in log if isinstance(e, EntryRetracted)}
        check(event_version in standing, DOCUMENT_EVENT_RETRACTED,
              f"version {event_version} ({target.type_name}) was retracted")
