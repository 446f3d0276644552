"""Documents tied to a journey's events (issue 16): advice reports, draft and final plans,
decision letters.

An upload is checked (size, and type by its bytes: the magic numbers, not only the type
declared), kept in the document store under the SHA-256 of its clear bytes (the same
content once per child), sealed with the child's key from the vault, and then recorded as
``DocumentAttached`` on the journey, so the journey is the one record of what is attached
to what and the store only holds bytes. Erasing the child's key erases the documents.

Who may attach or download is the rule of the event the document belongs to
(``application.access.check_may_attach`` / ``check_may_read_document``).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Protocol
from uuid import UUID, uuid4

from application import access, personal_data
from application.errors import ChildNotFoundError, JourneyDamagedError
from application.inspections import InspectionSamples
from application.personal_data import PersonalDataErasedError, child_key
from domain.actors import Actor
from domain.catalogue.documents import DocumentAttached
from domain.errors import InvalidFieldError

if TYPE_CHECKING:
    from application.tracking import CaseTracking, Idempotency, WriteResult

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
PNG = "image/png"
JPEG = "image/jpeg"
# Each accepted type, the name a person knows it by, and the file extension it is given.
DOCUMENT_TYPES: dict[str, tuple[str, str]] = {
    PDF: ("PDF", "pdf"), DOCX: ("DOCX", "docx"), ODT: ("ODT", "odt"),
    PNG: ("PNG", "png"), JPEG: ("JPEG", "jpg")}
DEFAULT_MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_TITLE_LENGTH = 200


class DocumentError(Exception):
    """Raised when a document is refused; ``code`` names the rule."""

    code = "document-refused"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class DocumentTooLargeError(DocumentError):
    """Raised when a document is larger than the deployment allows."""

    code = "document-too-large"


class DocumentTypeNotAllowedError(DocumentError):
    """Raised when a document's declared type is not one the deployment accepts."""

    code = "document-type-not-allowed"


class DocumentTypeMismatchError(DocumentError):
    """Raised when a document's bytes are not of the type it was declared as."""

    code = "document-type-mismatch"


class DocumentNotFoundError(DocumentError):
    """Raised when a journey has no document of that id (or its bytes are missing)."""

    code = "document-not-found"


@dataclass(frozen=True)
class DocumentPolicy:
    """What a deployment accepts: the largest size, and the types (CASETRACK_DOCUMENT_*)."""

    max_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES
    media_types: frozenset[str] = frozenset(DOCUMENT_TYPES)

    @classmethod
    def named(cls, max_bytes: int, names: str) -> DocumentPolicy:
        """Return the policy accepting the kinds ``names`` lists ("pdf,png"; all if none)."""
        by_name = {name.lower(): media for media, (name, _) in DOCUMENT_TYPES.items()}
        asked = [n.strip().lower() for n in names.split(",") if n.strip()]
        unknown = [n for n in asked if n not in by_name]
        if unknown:
            raise ValueError(f"may name {', '.join(by_name)}; got "
                             + ", ".join(repr(n) for n in unknown))
        return cls(max_bytes, frozenset(by_name[n] for n in asked) or frozenset(DOCUMENT_TYPES))

    def names(self) -> str:
        return ", ".join(DOCUMENT_TYPES[t][0] for t in DOCUMENT_TYPES if t in self.media_types)


class DocumentStore(Protocol):
    """Where documents' bytes are kept, sealed per child (infrastructure.vault.SQLVault)."""

    def put_document(self, child_id: UUID, sha256: str, media_type: str, content: bytes
                     ) -> bool: ...

    def document(self, child_id: UUID, sha256: str) -> bytes | None: ...

    def discard_document(self, child_id: UUID, sha256: str,
                         kept_before: datetime | None = None) -> bool: ...

    def documents_kept_between(self, after: datetime | None, before: datetime
                               ) -> list[tuple[UUID, str]]: ...

    def is_shredded(self, child_id: UUID) -> bool: ...


@dataclass(frozen=True)
class Document:
    """A document as downloaded: its bytes and what the journey records of it."""

    document_id: str
    event_version: int
    media_type: str
    sha256: str
    size: int
    content: bytes

    @property
    def filename(self) -> str:
        """A file name naming no one: the document id and the type's extension."""
        return f"document-{self.document_id}.{DOCUMENT_TYPES[self.media_type][1]}"


def sniff(content: bytes) -> str | None:
    """Return the accepted type the bytes are (by their magic numbers), or None."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"PK\x03\x04"):
        return _office_document(content)
    return None


def _office_document(content: bytes) -> str | None:
    """Tell a DOCX (a ZIP with [Content_Types].xml and word/) from an ODT (a ZIP whose
    ``mimetype`` member names the ODF text type) from any other ZIP."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.read("mimetype").strip() == ODT.encode():
                return ODT
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return DOCX
    except (zipfile.BadZipFile, KeyError, ValueError, RuntimeError):
        return None
    return None


def check_document(policy: DocumentPolicy, declared: str, content: bytes) -> str:
    """Return the document's type once its size, declared type and bytes pass."""
    if not content:
        raise InvalidFieldError("file", "is empty")
    if len(content) > policy.max_bytes:
        raise DocumentTooLargeError(f"the document is {len(content)} bytes; at most "
                                    f"{policy.max_bytes} are accepted")
    if declared not in policy.media_types:
        raise DocumentTypeNotAllowedError(f"the document is declared {declared or 'untyped'!r}"
                                          f"; accepted: {policy.names()}")
    found = sniff(content)
    if found != declared:
        raise DocumentTypeMismatchError(
            f"the document is declared {DOCUMENT_TYPES[declared][0]} but its bytes are "
            + (DOCUMENT_TYPES[found][0] if found else "of no accepted type"))
    return found


@dataclass(frozen=True)
class Upload:
    """A document to attach: to which event, its title, declared type and bytes."""

    event_version: int
    title: str
    declared_type: str
    content: bytes
    occurred_on: date | None = None


def attach_document(tracking: CaseTracking, child_id: UUID, upload: Upload, *,
                    actor: Actor, policy: DocumentPolicy, request_id: str | None = None,
                    idempotency: Idempotency | None = None) -> WriteResult:
    """Keep the document's bytes, sealed, and record ``DocumentAttached`` to its event."""
    journey = tracking.journey_for_update(child_id)
    access.check_may_attach(actor, journey, upload.event_version)
    media_type = check_document(policy, upload.declared_type, upload.content)
    store = _store(tracking, child_id)
    if tracking.vault is not None:  # the key is made now for a journey older than the vault
        child_key(tracking.vault, child_id)
    sha256 = hashlib.sha256(upload.content).hexdigest()
    kept = store.put_document(child_id, sha256, media_type, upload.content)
    payload = {"document_id": str(uuid4()), "event_version": upload.event_version,
               "title": upload.title, "media_type": media_type, "sha256": sha256,
               "size": len(upload.content)}
    try:
        return tracking.record_event(
            child_id, DocumentAttached.__name__, payload, actor=actor,
            occurred_on=upload.occurred_on or tracking.today(), request_id=request_id,
            idempotency=idempotency, own_endpoint=True)
    except Exception:
        if kept and not _named(tracking, child_id, sha256):
            store.discard_document(child_id, sha256)
        raise


def read_document(tracking: CaseTracking, child_id: UUID, document_id: str, *,
                  actor: Actor, admitted: Callable[[], object] | None = None) -> Document:
    """Return a document's bytes to whoever may read the event it belongs to; ``admitted``
    is called once the reader may read it and its bytes are found, before the answer."""
    journey = tracking.journey_for_update(child_id)
    attached = next((e for e in journey.log if isinstance(e, DocumentAttached)
                     and e.document_id == document_id), None)
    access.check_may_read_document(actor, journey, attached.event_version if attached
                                   else None, samples=InspectionSamples(tracking))
    if attached is None:
        raise DocumentNotFoundError(f"this journey has no document {document_id}")
    content = _store(tracking, child_id).document(child_id, attached.sha256)
    if content is None:
        raise DocumentNotFoundError("the document's bytes are not in the store")
    if admitted is not None:
        admitted()
    return Document(document_id=attached.document_id, event_version=attached.event_version,
                    media_type=attached.media_type, sha256=attached.sha256,
                    size=attached.size, content=content)


def _store(tracking: CaseTracking, child_id: UUID) -> DocumentStore:
    store: DocumentStore | None = tracking.vault  # type: ignore[assignment]
    if store is None:
        raise DocumentNotFoundError("this installation keeps no documents (no vault)")
    if store.is_shredded(child_id):
        raise PersonalDataErasedError("this child's personal data was erased, and with it "
                                      "the documents attached to the journey")
    return store


def _named(tracking: CaseTracking, child_id: UUID, sha256: str) -> bool:
    journey = tracking.journey_for_update(child_id)
    return any(isinstance(e, DocumentAttached) and e.sha256 == sha256 for e in journey.log)


def sweep_orphan_documents(tracking: CaseTracking, store: DocumentStore, *,
                           since: datetime | None, now: datetime | None = None) -> int:
    """Remove the documents' bytes no recorded ``DocumentAttached`` names (an upload cut
    off between keeping the bytes and recording the event), kept after ``since`` (None:
    ever) and before the grace (younger ones may belong to an upload in flight); return
    how many went. A journey that cannot be read keeps its bytes."""
    before = (now or datetime.now(UTC)) - personal_data.SWEEP_GRACE
    by_child: dict[UUID, list[str]] = {}
    for child_id, sha256 in store.documents_kept_between(since, before):
        by_child.setdefault(child_id, []).append(sha256)
    removed = 0
    for child_id, hashes in by_child.items():
        try:
            named = {e.sha256 for e in tracking.journey_for_update(child_id).log
                     if isinstance(e, DocumentAttached)}
        except ChildNotFoundError:
            named = set()  # the journey was never saved
        except JourneyDamagedError:
            continue  # what it names cannot be told: its bytes stay
        removed += sum(store.discard_document(child_id, sha256, kept_before=before)
                       for sha256 in hashes if sha256 not in named)
    return removed
