"""Personal data: the vault port, sealing free text before the journey sees it, revealing
it to readers, and the governance use cases (legal holds, erasure, subject access export).

Identifiers (names, address, UPN, ULN, NHS number) live only in the vault. Free text
about the child (``domain.personal_data.FREE_TEXT``) is sealed with the child's key here,
before ``journey.record(...)`` builds the event, so the event store — and the hash
chain over it — only ever holds the sealed text. Erasing the key leaves every event,
hash and statistic as it was; the text reads "[erased]". See
docs/decisions/0006-personal-data.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from application.errors import ApplicationError, ConcurrentWriteError, ForbiddenError
from application.idempotency import KEYED_PREFIX, RequestFingerprint, same_request
from application.views import event_view
from domain.actors import Actor
from domain.catalogue.governance import (
    LegalHoldPlaced,
    LegalHoldReleased,
    PersonalDataShredded,
    governance_of,
)
from domain.catalogue.registration import EntryCorrected, EntryRetracted
from domain.errors import InvalidFieldError
from domain.events import JourneyEvent, event_type
from domain.personal_data import (
    EVIDENCE_FREE_TEXT,
    SEALED_PREFIX,
    free_text_fields,
    is_blank,
    is_sealed,
    map_free_text,
    structured_fields,
)

if TYPE_CHECKING:
    from application.tracking import CaseTracking
    from domain.journey import ChildJourney

ERASED = "[erased]"
WITHHELD = "[withheld]"
UNAVAILABLE = "[unavailable]"

# Roles that read case content in clear; others see "[withheld]" where text is sealed.
REVEAL_ROLES = frozenset({"caseworker", "manager", "inspector", "family"})
ERASE_ROLES = frozenset({"admin"})
HOLD_ROLES = frozenset({"manager", "admin"})
EXPORT_ROLES = frozenset({"manager"})


class PersonalDataErasedError(ApplicationError):
    """Raised when personal data is given for a child whose personal data was erased."""


class ChildKey(Protocol):
    """One child's key: seals and opens free text (blank text is never sealed)."""

    def seal(self, text: str) -> str: ...

    def open(self, sealed: str) -> str: ...

    def mac(self, data: bytes) -> str: ...


class PersonalDataVault(Protocol):
    """Where a child's key and identifiers are kept (infrastructure.vault.SQLVault)."""

    def create(self, child_id: UUID, identifiers: dict[str, str] | None = None
               ) -> ChildKey: ...

    def saved_with_events(self, child_id: UUID, identifiers: dict[str, str] | None,
                          recorder: Any) -> dict[str, Any]: ...

    def cipher(self, child_id: UUID) -> ChildKey | None: ...

    def identifiers(self, child_id: UUID) -> dict[str, str] | None: ...

    def is_shredded(self, child_id: UUID) -> bool: ...

    def shredded_at(self, child_id: UUID) -> datetime | None: ...

    def shred(self, child_id: UUID) -> bool: ...

    def discard(self, child_id: UUID) -> None: ...


# Sealing (write side).

def check_recordable(type_name: str) -> None:
    """Refuse governance events outside their own use cases."""
    if not getattr(event_type(type_name), "via_events_endpoint", True):
        raise InvalidFieldError("type", f"{type_name} is recorded through its own endpoint")


def seal_payload(vault: PersonalDataVault | None, journey: ChildJourney, type_name: str,
                 payload: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``payload`` with its free text sealed with the child's key.

    A correction's changes are sealed by the corrected event's own rule. Blank text and
    values that are not text are left for the domain to judge.
    """
    sealed = dict(payload)
    if vault is None:
        return sealed
    cls = event_type(type_name)
    key: list[ChildKey] = []

    def seal(value: Any) -> Any:
        if isinstance(value, list):
            return [seal(item) for item in value]
        if not isinstance(value, str) or is_blank(value) or is_sealed(value):
            return value
        if not key:
            key.append(child_key(vault, journey.id))
        return key[0].seal(value)

    def seal_fields(fields: dict[str, Any], of: type[JourneyEvent]) -> dict[str, Any]:
        for name in free_text_fields(of):
            if name in fields:
                fields[name] = seal(fields[name])
        for name in structured_fields(of):
            if name in fields:
                fields[name] = map_free_text(fields[name], seal)
        return fields

    seal_fields(sealed, cls)
    if cls is EntryCorrected and isinstance(sealed.get("changes"), dict):
        target = journey.event(sealed.get("target_version", 0)) if isinstance(
            sealed.get("target_version"), int) else None
        if target is not None:
            sealed["changes"] = seal_fields(dict(sealed["changes"]), type(target))
    return sealed


def seal_evidence(vault: PersonalDataVault | None, journey: ChildJourney,
                  evidence: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    """Return the evidence items with their titles and document references sealed with
    the child's key (``EVIDENCE_FREE_TEXT``); fingerprints stay as they are."""
    items = [dict(item) for item in evidence]
    if vault is None or not any(
            isinstance(item.get(name), str) and not is_blank(item[name])
            and not is_sealed(item[name]) for item in items for name in EVIDENCE_FREE_TEXT):
        return items
    key = child_key(vault, journey.id)
    for item in items:
        for name in EVIDENCE_FREE_TEXT:
            value = item.get(name)
            if isinstance(value, str) and not is_blank(value) and not is_sealed(value):
                item[name] = key.seal(value)
    return items


# The sweep of identifiers whose journey was never saved (issue 12.5): a registration cut
# off between the vault's write and the journey's. Keys younger than the grace may belong
# to a registration still in flight.
SWEEP_GRACE = timedelta(minutes=10)
STARTUP_SWEEP_WINDOW = timedelta(days=7)


def sweep_orphans(tracking: CaseTracking, vault: Any, *, since: datetime | None,
                  now: datetime | None = None) -> list[UUID]:
    """Remove the vault records (keys and identifiers) with no journey, made after
    ``since`` (None: ever) and before the grace; return the children removed."""
    before = (now or datetime.now(UTC)) - SWEEP_GRACE
    removed = []
    for child_id in vault.unshredded_created_between(since, before):
        if not tracking.recorder.select_events(child_id, lte=1):
            vault.discard(child_id)
            removed.append(child_id)
    return removed


def child_key(vault: PersonalDataVault, child_id: UUID) -> ChildKey:
    """Return the child's key, made now for a journey registered before the vault existed;
    raise ``PersonalDataErasedError`` once it was destroyed."""
    key = vault.cipher(child_id)
    if key is not None:
        return key
    if vault.is_shredded(child_id):
        raise PersonalDataErasedError(
            "this child's personal data was erased; free text can no longer be recorded")
    return vault.create(child_id)  # a journey registered before the vault existed


def keyed_fingerprint(vault: PersonalDataVault | None, child_id: UUID,
                      asked: RequestFingerprint) -> str:
    """Return the fingerprint of a request about a child, as an idempotency record keeps
    it: an HMAC under the child's key, so erasure leaves nothing a guess can be tested
    against. After erasure no free text is accepted, so what is asked then is pseudonymous
    and its plain hash is kept."""
    if vault is None:
        return asked.unkeyed()
    key = vault.cipher(child_id)
    if key is None:
        if vault.is_shredded(child_id):
            return asked.unkeyed()
        key = vault.create(child_id)  # a journey registered before the vault existed
    return asked.keyed(key.mac)


def is_same_request(vault: PersonalDataVault | None, child_id: UUID, kept: str,
                    asked: RequestFingerprint) -> bool:
    """Tell whether a kept fingerprint is of ``asked`` (a retry, not another request).

    Raises ``PersonalDataErasedError`` when the fingerprint was keyed with a child's key
    since erased: it can no longer be compared with anything.
    """
    key = None if vault is None else vault.cipher(child_id)
    if key is None and kept.startswith(KEYED_PREFIX):
        raise PersonalDataErasedError(
            "this child's personal data was erased; the first request under this "
            "Idempotency-Key can no longer be compared with this one")
    return same_request(kept, asked, key.mac if key is not None else None)


def keyed_fingerprint_of_many(vault: PersonalDataVault | None, child_ids: Iterable[UUID],
                              asked: RequestFingerprint) -> str:
    """Return the fingerprint of a request about several children (a bulk reassignment),
    as an idempotency record keeps it: an HMAC under each child's key in turn, so erasing
    any one of them leaves nothing a guess at that child's text can be tested against."""
    mac = _chained_mac(vault, child_ids, create=True)
    return asked.unkeyed() if mac is None else asked.keyed(mac)


def is_same_request_of_many(vault: PersonalDataVault | None, child_ids: Iterable[UUID],
                            kept: str, asked: RequestFingerprint) -> bool:
    """Tell whether a kept fingerprint of a request about several children is of ``asked``.

    Raises ``PersonalDataErasedError`` when it no longer matches because one of the
    children's keys was destroyed since: it can no longer be compared with anything.
    """
    ids = list(child_ids)
    same = same_request(kept, asked, _chained_mac(vault, ids, create=False))
    if not same and kept.startswith(KEYED_PREFIX) and vault is not None and any(
            vault.is_shredded(child_id) for child_id in ids):
        raise PersonalDataErasedError(
            "a child's personal data was erased; the first request under this "
            "Idempotency-Key can no longer be compared with this one")
    return same


def _chained_mac(vault: PersonalDataVault | None, child_ids: Iterable[UUID], *, create: bool
                 ) -> Callable[[bytes], str] | None:
    """Return an HMAC under every child's key in turn (children in id order; an erased
    child, whose text is no longer accepted, adds nothing), or None without keys."""
    if vault is None:
        return None
    keys = []
    for child_id in sorted(set(child_ids)):
        key = vault.cipher(child_id)
        if key is None and create and not vault.is_shredded(child_id):
            key = vault.create(child_id)  # a journey registered before the vault existed
        if key is not None:
            keys.append(key)
    if not keys:
        return None

    def mac(data: bytes) -> str:
        for key in keys:
            data = key.mac(data).encode()
        return data.decode()

    return mac


# Revealing (read side).

def reveal(vault: PersonalDataVault | None, child_id: UUID, data: Any, actor: Actor | None
           ) -> Any:
    """Return ``data`` with sealed text opened for ``actor``: clear text for roles that read
    case content, "[withheld]" for others, "[erased]" once the child's key is destroyed."""
    return revealer(vault, child_id, actor)(data)


def revealer(vault: PersonalDataVault | None, child_id: UUID, actor: Actor | None
             ) -> Callable[[Any], Any]:
    """Return ``reveal`` for one child and reader, to apply to several values (the parts
    of one answer) with one look-up of the child's key, made at the first sealed text."""
    if vault is None:
        return lambda data: data
    opener: list[Callable[[str], str]] = []

    def open_text(value: str) -> str:
        if not opener:
            opener.append(_opener(vault, child_id, actor)[1])
        return opener[0](value)

    return lambda data: _walk(data, open_text)


def holds_sealed(value: Any) -> bool:
    """Would ``reveal`` change ``value``: does it hold sealed text (or a tuple, given back
    as a list)? False: ``reveal`` gives back an equal value, so a caller may pass the value
    on as it is, without the walk.

    That is: would ``_walk`` find sealed text in it, or give back a value unequal to it
    (``_walk(value, note) != value``). Answered without building the walked copy
    (tests/unit/test_holds_sealed.py holds the two equal): within a dict or list a value
    the walk gives back as it is compares equal (the same object), a dict or list is
    equal where its values are, a tuple never (a list comes back); only the value itself,
    given back as it is, is compared with itself (a NaN is not equal to itself)."""
    if _changed(value):
        return True
    return not isinstance(value, dict | list | tuple) and not value == value  # noqa: PLR0124


def _changed(value: Any) -> bool:
    """Would ``_walk`` meet sealed text in ``value``, or give back, in place of a value
    within a dict or list, one unequal to it?"""
    kind = type(value)
    if kind in _OPEN:
        return False
    if kind is str:
        return value.startswith(SEALED_PREFIX) and is_sealed(value)
    if isinstance(value, str):
        return is_sealed(value)
    if isinstance(value, dict):
        return any(_changed(v) for v in value.values())
    if isinstance(value, tuple):
        return True
    if isinstance(value, list):
        return any(_changed(v) for v in value)
    return False


def revealer_as(vault: PersonalDataVault, child_id: UUID, actor: Actor | None
                ) -> tuple[str, Callable[[Any], Any]]:
    """Return ``revealer``'s reveal (the key looked up now) and its way: "withheld", "erased",
    "unavailable" (a marker) or "open" (clear text); one way gives any reader the same."""
    way, open_text = _opener(vault, child_id, actor)
    return way, lambda data: _walk(data, open_text)


def _opener(vault: PersonalDataVault, child_id: UUID, actor: Actor | None
            ) -> tuple[str, Callable[[str], str]]:
    if actor is not None and actor.role not in REVEAL_ROLES:
        return "withheld", lambda _: WITHHELD
    key = vault.cipher(child_id)
    if key is not None:
        return "open", key.open
    way, marker = ("erased", ERASED) if vault.is_shredded(child_id) else (
        "unavailable", UNAVAILABLE)
    return way, lambda _: marker


# Values with nothing sealed in them, passed back as they are: most of a timeline's
# thousands of values, so tried first by their exact type.
_OPEN = frozenset({int, float, bool, type(None), date, datetime, UUID})


def _walk(value: Any, open_text: Callable[[str], str]) -> Any:
    kind = type(value)
    if kind in _OPEN:
        return value
    if kind is str:
        return open_text(value) if value.startswith(SEALED_PREFIX) and is_sealed(value) \
            else value
    if isinstance(value, str):
        return open_text(value) if is_sealed(value) else value
    if isinstance(value, dict):
        return {k: _walk(v, open_text) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_walk(v, open_text) for v in value]
    return value


# Governance use cases.

class PersonalData:
    """Legal holds, erasure and subject access export of one child's personal data."""

    def __init__(self, tracking: CaseTracking, vault: PersonalDataVault) -> None:
        self.tracking = tracking
        self.vault = vault

    def place_hold(self, child_id: UUID, *, actor: Actor, hold_ref: str, basis: str,
                   occurred_on: date, reason: str | None = None) -> dict[str, Any]:
        """Place a legal hold: the child's personal data is not erased while it stands."""
        payload = {"hold_ref": hold_ref, "basis": basis, "reason": reason}
        return self._record(child_id, LegalHoldPlaced, payload, actor, occurred_on, HOLD_ROLES)

    def release_hold(self, child_id: UUID, *, actor: Actor, hold_ref: str, occurred_on: date,
                     reason: str | None = None) -> dict[str, Any]:
        """Release a standing legal hold."""
        payload = {"hold_ref": hold_ref, "reason": reason}
        return self._record(child_id, LegalHoldReleased, payload, actor, occurred_on,
                            HOLD_ROLES)

    def erase(self, child_id: UUID, *, actor: Actor, basis: str,
              occurred_on: date | None = None, dry_run: bool = False) -> dict[str, Any]:
        """Destroy the child's key, unless a legal hold stands; record the erasure first.

        The event is saved before the key is destroyed: if destroying fails, running the
        erasure again finds the event and destroys the key. Nothing else changes. With
        ``dry_run`` the erasure is recorded on a copy of the journey (so every rule that
        would refuse it does) and nothing is saved or destroyed.
        """
        journey = self.tracking.journey_for_update(child_id)
        _check_role(actor, journey.authority, ERASE_ROLES, "erase personal data")
        if governance_of(journey.state).shredded_on is None:
            journey.record(PersonalDataShredded.__name__, {"basis": basis}, actor=actor,
                           occurred_on=occurred_on or self.tracking.today(),
                           today=self.tracking.today())
            if dry_run:
                return {"child_id": child_id, "version": journey.version, "dry_run": True}
            self._save(journey)
        elif self.vault.is_shredded(child_id):  # the domain refuses a second erasure
            journey.record(PersonalDataShredded.__name__, {"basis": basis}, actor=actor,
                           occurred_on=occurred_on or self.tracking.today(),
                           today=self.tracking.today())
        if dry_run:  # recorded but the key not yet destroyed: erasing would finish it
            return {"child_id": child_id, "version": journey.version, "dry_run": True}
        self.vault.shred(child_id)
        erased = next(e for e in reversed(journey.log) if isinstance(e, PersonalDataShredded))
        return {"child_id": child_id, "version": journey.version,
                "erased_at": self.vault.shredded_at(child_id),
                "event": event_view(erased)}

    def export(self, child_id: UUID, *, actor: Actor,
               access_log: Callable[[UUID], Iterable[dict[str, Any]]] | None = None
               ) -> dict[str, Any]:
        """Return everything held about the child, readable: identifiers, the journey now,
        every recorded event (corrected and retracted ones marked) and who looked."""
        journey = self.tracking.journey_for_update(child_id)
        _check_role(actor, journey.authority, EXPORT_ROLES, "export a child's record")
        shredded_at = self.vault.shredded_at(child_id)
        view = self.tracking.get_journey(child_id, actor=actor)
        amended_by = _amendments(journey.log)
        timeline = [dict(event_view(e), **amended_by.get(e.originator_version, {}))
                    for e in journey.log]
        registered = journey.log[0]
        export = {
            "child_id": child_id,
            "exported_at": datetime.now(UTC),
            "authority": journey.authority,
            "personal_data": "erased" if shredded_at else "held",
            "erased_at": shredded_at,
            "identifiers": self.vault.identifiers(child_id),
            "registration": {name: getattr(registered, name, None) for name in (
                "date_of_birth", "case_ref", "sex", "ethnicity")},
            "journey": view,
            "timeline": timeline,
            "access_log": ({"available": True, "looks": list(access_log(child_id))}
                           if access_log is not None else
                           {"available": False, "looks": [],
                            "note": "no access log is configured in this installation"}),
        }
        return reveal(self.vault, child_id, export, actor)  # type: ignore[no-any-return]

    def identifiers(self, child_id: UUID, *, actor: Actor) -> dict[str, str] | None:
        journey = self.tracking.journey_for_update(child_id)
        _check_role(actor, journey.authority, EXPORT_ROLES, "read a child's identifiers")
        return self.vault.identifiers(child_id)

    def _record(self, child_id: UUID, cls: type[JourneyEvent], payload: dict[str, Any],
                actor: Actor, occurred_on: date, roles: frozenset[str]) -> dict[str, Any]:
        with self.tracking.journey_locks.held(child_id):  # after this process's writers
            journey = self.tracking.journey_for_update(child_id)
            _check_role(actor, journey.authority, roles, f"record {cls.__name__}")
            sealed = seal_payload(self.vault, journey, cls.__name__, payload)
            event = journey.record(cls.__name__, sealed, actor=actor,
                                   occurred_on=occurred_on, today=self.tracking.today())
            position = self._save(journey)
        return {"child_id": child_id, "version": journey.version, "position": position,
                "event": reveal(self.vault, child_id, event_view(event), actor)}

    def _save(self, journey: ChildJourney) -> int:
        try:
            recordings = self.tracking.save(journey)
        except IntegrityError:
            raise ConcurrentWriteError("the journey changed while recording") from None
        return recordings[-1].notification.id if recordings else 0


def _check_role(actor: Actor, authority: str, roles: frozenset[str], what: str) -> None:
    if actor.role not in roles:
        raise ForbiddenError(f"role {actor.role!r} may not {what}")
    if actor.organisation != authority:
        raise ForbiddenError("this journey belongs to another authority")


def _amendments(log: Iterable[JourneyEvent]) -> dict[int, dict[str, list[int]]]:
    """Return, per event version, the versions that corrected or retracted it."""
    found: dict[int, dict[str, list[int]]] = {}
    for e in log:
        if isinstance(e, EntryCorrected):
            found.setdefault(e.target_version, {}).setdefault("corrected_by", []).append(
                e.originator_version)
        elif isinstance(e, EntryRetracted):
            found.setdefault(e.target_version, {}).setdefault("retracted_by", []).append(
                e.originator_version)
    return found
