"""CaseTracking: the use cases of recording and reading children's SEND journeys.

Each command is load → one journey call → save, taking and returning plain data.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    Recording,
)
from eventsourcing.domain import Aggregate, DomainEvent, OriginatorVersionError
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoder

from application import access
from application.errors import (
    CaseReferenceTakenError,
    ChildNotFoundError,
    ConcurrentWriteError,
    JourneyDamagedError,
    StaleVersionError,
)
from application.idempotency import (
    IdempotencyKeyReusedError,
    IdempotencyRecord,
    RequestFingerprint,
    record_id,
    scope_of,
)
from application.inspections import InspectionSamples
from application.kept_views import journey_now
from application.personal_data import (
    PersonalDataVault,
    check_recordable,
    holds_sealed,
    is_same_request,
    keyed_fingerprint,
    reveal,
    seal_evidence,
    seal_payload,
)
from application.transcodings import AcyclicJSONTranscoder, register_domain_transcodings
from application.views import clock_view, event_view, journey_view_at
from domain.actors import Actor
from domain.case_reference import CaseReference, reference_id
from domain.catalogue.documents import DocumentAttached
from domain.catalogue.governance import CaseAssigned
from domain.catalogue.registration import EntryCorrected, EntryRetracted
from domain.clocks import LocalPolicy
from domain.errors import DomainError
from domain.journey import SNAPSHOT_INTERVAL, ChildJourney

# A write that loses the store's optimistic check to another process is reloaded and
# re-checked up to this many times in all; writers in this process queue on the journey's
# lock first, so only writers in other processes can make it lose. With two server
# processes each keeping a writer on one hot journey an attempt loses about half the time,
# so five attempts answered 409 to 2.4-6.4% of writes (benchmarks.http_aims, 16 writers);
# twelve leave about 0.5 ** 12, 0.02%. A failed attempt costs a reload and a rule check.
WRITE_ATTEMPTS = 12


def project_journey(journey: ChildJourney | None, events: Iterable[DomainEvent]
                    ) -> ChildJourney | None:
    """Project as the library's ``project_aggregate`` does, mutating by each event in
    turn, without its ``typing.Protocol`` assertion on every event (about 18 µs each on
    Python 3.11, as much as the rest of fast-forwarding a cached journey by one event;
    tests/application/test_typed_save.py holds the two equal)."""
    for event in events:
        journey = event.mutate(journey)  # type: ignore[attr-defined]
    return journey


class JourneyLocks:
    """One lock per journey being written in this process, dropped when no writer holds or
    waits for it (so the table stays as small as the number of journeys being written)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[UUID, tuple[threading.RLock, int]] = {}

    @contextmanager
    def held(self, child_id: UUID) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(child_id, (None, 0))
            lock = lock or threading.RLock()
            self._locks[child_id] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                _, users = self._locks[child_id]
                if users == 1:
                    del self._locks[child_id]
                else:
                    self._locks[child_id] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


@dataclass(frozen=True)
class WriteResult:
    """What a write answers: where the journey and the log now stand.

    ``created`` names the ids of the records the event opened (an advice request, a
    decision, ...), as the domain minted them (``JourneyState.created_by``). ``replayed``
    marks the stored first answer to an idempotency key; its ``position`` is the log's
    position when replayed, at or after the original write's, which is what
    ``consistent_after`` needs.
    """

    child_id: UUID
    version: int
    position: int
    event: dict[str, Any]
    clocks: list[dict[str, Any]]
    created: dict[str, Any] = field(default_factory=dict)
    replayed: bool = False

    def answer(self) -> dict[str, Any]:
        """Return what is kept with an idempotency key (all but the position)."""
        return {"child_id": self.child_id, "version": self.version, "event": self.event,
                "clocks": self.clocks, "created": self.created}


@dataclass(frozen=True)
class Idempotency:
    """An Idempotency-Key (hashed) and the fingerprint of the request that carried it."""

    key_hash: str
    fingerprint: RequestFingerprint


class CaseTracking(Application):
    """Record and read children's SEND journeys."""

    name = "casetrack"
    snapshotting_intervals = {ChildJourney: SNAPSHOT_INTERVAL}
    snapshotting_projectors = {ChildJourney: project_journey}

    def __init__(self, env: Mapping[str, str] | None = None, *,
                 today: Callable[[], date] = date.today,
                 vault: PersonalDataVault | None = None,
                 inspectorates: Iterable[str] = ()) -> None:
        super().__init__(env)
        self._today = today
        # The authority's local readings beside the statutory clocks (never moving them).
        self.policy = LocalPolicy.from_env(self.env)
        # The inspectorates whose inspectors may open inspections (CASETRACK_INSPECTORATES).
        self.inspectorates = frozenset(inspectorates)
        # The personal-data vault: free text is sealed with the child's key when set.
        self.vault = vault
        # Writers to one journey in this process queue here before the store's check.
        self.journey_locks = JourneyLocks()

    def construct_transcoder(self) -> Transcoder:
        """Construct the library's transcoder, or without ``TRANSCODER_TOPIC`` its faster
        equal (``AcyclicJSONTranscoder``), with the domain's transcodings."""
        if self.factory.env.get(self.factory.TRANSCODER_TOPIC):
            return super().construct_transcoder()
        transcoder = AcyclicJSONTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_domain_transcodings(transcoder)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[Any]]:
        """Save as the library's ``Application.save`` does, collecting an ``Aggregate``'s
        pending events, or a ``DomainEvent`` itself, without the library's
        ``typing.Protocol`` isinstance checks (slow on Python 3.11: about a tenth of a
        write's save); anything else is collected by the library itself
        (tests/application/test_typed_save.py holds the two equal)."""
        processing: ProcessingEvent[Any] = ProcessingEvent()
        for obj in objs:
            if isinstance(obj, Aggregate):
                processing.events.extend(obj.collect_events())
                processing.aggregates[obj.id] = obj
            elif isinstance(obj, DomainEvent):
                processing.events.append(obj)
            else:
                processing.collect_events(obj)
        processing.saved_kwargs.update(kwargs)
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        self.notify(processing.events)  # type: ignore[arg-type]
        return recordings

    # Commands.

    def register_child(
        self, *, authority: str, date_of_birth: date, actor: Actor,
        occurred_on: date | None = None, case_ref: str | None = None,
        sex: str | None = None, ethnicity: str | None = None,
        request_id: str | None = None, idempotency: Idempotency | None = None,
        identifiers: dict[str, str] | None = None,
    ) -> WriteResult:
        """Open a journey for a child; a case reference must be new to the authority.

        The child's key (and ``identifiers``) go into the vault first, or on PostgreSQL in
        the journey's own transaction; if the journey is then not saved, that vault record
        is discarded (docs/decisions/0006).
        """
        access.check_may_register(actor, authority)
        today = self._today()
        try:
            journey = ChildJourney.register(
                authority=authority, date_of_birth=date_of_birth, actor=actor,
                occurred_on=occurred_on or today, today=today, case_ref=case_ref, sex=sex,
                ethnicity=ethnicity, request_id=request_id, child_id=uuid4(),
                idempotency_key_hash=idempotency.key_hash if idempotency else None)
        except DomainError:
            replayed = self._replayed(actor, idempotency)
            if replayed is not None:
                return replayed
            raise
        result = self._written(journey, 0, today)
        index = [CaseReference(authority, case_ref, journey.id)] if case_ref else []
        # The child's key: committed with the events where the store can (PostgreSQL).
        key = {} if self.vault is None else self.vault.saved_with_events(
            journey.id, identifiers or None, self.recorder)
        try:
            recordings = self.save(journey, *index, *self._keep(actor, idempotency, result),
                                   **key)
        except Exception as error:
            if self.vault is not None:
                self.vault.discard(journey.id)
            if not isinstance(error, IntegrityError):
                raise
            replayed = self._replayed(actor, idempotency)
            if replayed is not None:
                return replayed
            raise CaseReferenceTakenError(authority, case_ref or "") from None
        self._keep_in_cache(journey)
        return self._revealed(result, actor, position=recordings[-1].notification.id)

    def record_event(
        self, child_id: UUID, type_name: str, payload: Mapping[str, Any], *, actor: Actor,
        occurred_on: date, expected_version: int | None = None,
        evidence: Sequence[Mapping[str, str]] = (), request_id: str | None = None,
        idempotency: Idempotency | None = None, own_endpoint: bool = False,
    ) -> WriteResult:
        """Record one journey event, checking the rules against the latest journey.

        Writers to one journey in this process take turns (``journey_locks``), so they
        never race each other in the store. With ``expected_version`` a stale journey is
        refused; without it a write that loses a race to another process is reloaded and
        re-checked, up to ``WRITE_ATTEMPTS`` times in all, before giving up. A repeated
        idempotency key answers as it first did and records nothing. Governance events
        recorded through their own use case (``own_endpoint``; e.g. ``assign_case``) are
        refused otherwise.
        """
        with self.journey_locks.held(child_id):
            return self._record_event(
                child_id, type_name, payload, actor=actor, occurred_on=occurred_on,
                expected_version=expected_version, evidence=evidence, request_id=request_id,
                idempotency=idempotency, own_endpoint=own_endpoint)

    def _record_event(
        self, child_id: UUID, type_name: str, payload: Mapping[str, Any], *, actor: Actor,
        occurred_on: date, expected_version: int | None, evidence: Sequence[Mapping[str, str]],
        request_id: str | None, idempotency: Idempotency | None, own_endpoint: bool,
    ) -> WriteResult:
        # The key is looked up only when something goes wrong: a repeated request is
        # either refused now (its step was already taken) or collides with its own
        # idempotency record on save, so the happy path costs no extra read.
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            journey = self._journey(child_id)
            self._check_may_record(actor, journey, type_name, payload)
            if not own_endpoint:
                check_recordable(type_name)
            sealed = seal_payload(self.vault, journey, type_name, payload)
            sealed_evidence = seal_evidence(self.vault, journey, evidence)
            today = self._today()
            try:
                if expected_version is not None and journey.version != expected_version:
                    raise StaleVersionError(expected_version, journey.version)
                journey.record(type_name, sealed, actor=actor, occurred_on=occurred_on,
                               today=today, evidence=sealed_evidence, request_id=request_id,
                               idempotency_key_hash=idempotency.key_hash if idempotency
                               else None)
            except (DomainError, StaleVersionError):
                replayed = self._replayed(actor, idempotency)
                if replayed is not None:
                    return replayed
                raise
            result = self._written(journey, 0, today)
            try:
                recordings = self.save(journey, *self._keep(actor, idempotency, result))
            except IntegrityError:
                replayed = self._replayed(actor, idempotency)
                if replayed is not None:
                    return replayed
                if expected_version is not None:
                    raise StaleVersionError(expected_version, journey.version - 1) from None
                if attempt == WRITE_ATTEMPTS:
                    raise ConcurrentWriteError(
                        f"the journey changed {attempt} times while recording") from None
                continue
            return self._revealed(result, actor, position=recordings[-1].notification.id)
        raise AssertionError("unreachable")  # pragma: no cover

    # Queries.

    def get_journey(
        self, child_id: UUID, *, actor: Actor, as_at: date | None = None,
        known_at: datetime | None = None, version: int | None = None,
        admitted: Callable[[], object] | None = None,
    ) -> dict[str, Any]:
        """Return the journey now, as it stood on ``as_at``, as known at ``known_at``,
        or at ``version``; with its clocks as they stood then. ``admitted`` is called once
        the read's checks passed, before the answer is built (the web layer begins the
        read's look in the access log then)."""
        journey = self._journey(child_id, version=version)
        access.check_may_read(actor, journey.authority, child_id=child_id,
                              samples=InspectionSamples(self))
        if admitted is not None:
            admitted()
        if as_at is None and known_at is None and version is None:  # kept per journey
            return journey_now(self, journey, self._today(), actor)
        view, _ = journey_view_at(journey, self._today(), as_at=as_at, known_at=known_at,
                                  policy=self.policy)
        return reveal(self.vault, journey.id, view, actor)  # type: ignore[no-any-return]

    def find_by_case_ref(self, authority: str, case_ref: str) -> UUID | None:
        """Return the child id an authority's case reference points at, if any."""
        try:
            index: CaseReference = self.repository.get(reference_id(authority, case_ref))
        except AggregateNotFoundError:
            return None
        return index.child_id

    def event_type_at(self, child_id: UUID, version: int) -> str | None:
        """Return the type of the journey's event at ``version``, if there is one."""
        event = self._journey(child_id).event(version)
        return event.type_name if event is not None else None

    def today(self) -> date:
        return self._today()

    def journey_for_update(self, child_id: UUID, version: int | None = None
                           ) -> ChildJourney:
        """Return the journey aggregate (at ``version``), for use cases in this layer."""
        return self._journey(child_id, version)

    def max_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    # Helpers.

    def _journey(self, child_id: UUID, version: int | None = None) -> ChildJourney:
        try:
            journey: ChildJourney = self.repository.get(child_id, version=version,
                                                        projector_func=project_journey)
        except AggregateNotFoundError:
            raise ChildNotFoundError(child_id) from None
        except OriginatorVersionError as gap:
            raise JourneyDamagedError(child_id, gap.args) from None
        if not isinstance(journey, ChildJourney):
            raise ChildNotFoundError(child_id)
        return journey

    @staticmethod
    def _check_may_record(actor: Actor, journey: ChildJourney, type_name: str,
                          payload: Mapping[str, Any]) -> None:
        if type_name == DocumentAttached.__name__:  # the rule of the event it belongs to
            access.check_may_attach(actor, journey, payload.get("event_version"))
            return
        if actor.role == "partner":
            recipients = {a.id: a.recipient_org for a in journey.state.plan.advice}
            access.check_partner_answer(actor, type_name, payload, recipients)
            return
        access.check_may_write(actor, journey.authority, child_id=journey.id,
                               type_name=type_name)
        if type_name == CaseAssigned.__name__:
            access.check_may_assign(actor, journey.authority)
        if type_name in (EntryCorrected.__name__, EntryRetracted.__name__):
            target = journey.event(payload.get("target_version", 0)) if isinstance(
                payload.get("target_version"), int) else None
            if target is not None:
                access.check_may_amend(actor, target)

    def _keep_in_cache(self, journey: ChildJourney) -> None:
        """Put a copy of a journey just registered in the aggregate cache, so the next
        command fast-forwards it (one query) instead of loading it cold (snapshot and
        events: two). The library caches saved aggregates only without fast-forward.

        A command's journey is not put back: the cached journey then holds only what the
        store gave it, so a row deleted behind the application's back is written again
        rather than left as a gap (tests/integration/test_tamper_evidence_between_
        checkpoints.py); the event it fast-forwards is folded onto the kept state, which
        copies only what that fold reads (``domain.state.folded_onto``)."""
        if self.repository.cache is not None:
            self.repository.cache.put(journey.id, copy.deepcopy(journey))

    def _replayed(self, actor: Actor, idempotency: Idempotency | None) -> WriteResult | None:
        """Return the first answer to this key, or None if the key is new."""
        if idempotency is None:
            return None
        try:
            kept: IdempotencyRecord = self.repository.get(
                record_id(actor, idempotency.key_hash))
        except AggregateNotFoundError:
            return None
        if not is_same_request(self.vault, kept.answer["child_id"], kept.fingerprint,
                               idempotency.fingerprint):
            raise IdempotencyKeyReusedError(
                "this Idempotency-Key was used for a different request")
        return self._revealed(
            WriteResult(position=self.max_position(), replayed=True, **kept.answer), actor)

    def _revealed(self, result: WriteResult, actor: Actor, position: int | None = None
                  ) -> WriteResult:
        """Return a write's answer with its sealed text opened for the writer (an event
        with none is given as it is: ``holds_sealed``), at ``position`` when given."""
        changes: dict[str, Any] = {} if position is None else {"position": position}
        if holds_sealed(result.event):
            changes["event"] = reveal(self.vault, result.child_id, result.event, actor)
        return replace(result, **changes) if changes else result

    def _keep(self, actor: Actor, idempotency: Idempotency | None, result: WriteResult
              ) -> list[DomainEvent]:
        """Return the event that keeps the answer to an idempotency key, if one was sent."""
        if idempotency is None:
            return []
        # Keyed under the child's key: nothing a guess can be tested against survives
        # erasure (application/idempotency.py).
        return [IdempotencyRecord.recorded(scope_of(actor), idempotency.key_hash,
                                           keyed_fingerprint(self.vault, result.child_id,
                                                             idempotency.fingerprint),
                                           result.answer())]

    @staticmethod
    def _written(journey: ChildJourney, position: int, today: date) -> WriteResult:
        return WriteResult(
            child_id=journey.id, version=journey.version, position=position,
            event=event_view(journey.log[-1]),
            created=journey.state.created_by(journey.version),
            clocks=[clock_view(c) for c in journey.clocks(today)],
        )
