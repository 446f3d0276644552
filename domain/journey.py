"""The ChildJourney aggregate: one child's journey with one local authority.

The journey keeps its whole log of events (corrections included) and derives its
state by folding the effective events (``domain.state``). A command builds the event,
checks that folding it in adds no rule violation, and only then triggers it, so every
accepted sequence leaves every invariant true and nothing is stored when a rule refuses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.domain import Snapshot as AggregateSnapshot

import domain.catalogue  # noqa: F401  (registers every event type, rule and clock)
from domain.actors import Actor
from domain.ages import age_on
from domain.calendar import DEFAULT_COUNTING, Counting
from domain.catalogue.age_limits import check_responsible
from domain.catalogue.common import check
from domain.catalogue.documents import DocumentAttached, check_attachable
from domain.catalogue.registration import (
    ACCESS_FIELD_CORRECTED,
    CORRECTION_EMPTY,
    CORRECTION_OF_CORRECTION,
    CORRECTION_TARGET,
    DATE_OF_BIRTH_IMPLAUSIBLE,
    JOURNEY_CLOSED,
    MAX_AGE_AT_REGISTRATION,
    MAX_AGE_HELD,
    NOT_AMENDABLE,
    OCCURRED_BEFORE_BIRTH,
    OCCURRED_IN_FUTURE,
    REGISTRATION_RETRACTED,
    ChildRegistered,
    EntryCorrected,
    EntryRetracted,
)
from domain.clock_trail import ClockTrail, clock_trail
from domain.clocks import DEFAULT_POLICY, ClockReading, LocalPolicy, compute_clocks
from domain.copies import structural_copy
from domain.errors import InvalidFieldError, RuleViolationError
from domain.events import JourneyEvent, check_payload, event_type, payload_fields
from domain.integrity import event_hash, genesis_hash
from domain.reference import reference_on
from domain.rules import RULE_SETS, RULES, RuleSet
from domain.state import Folded, JourneyState, effective_events, folded, folded_onto, replay

SNAPSHOT_INTERVAL = 50


class PackedLog:
    """A snapshot's log on its way to the store, which writes it row by row (one row per
    event, shared values once: ``application.transcodings.JourneyLogAsRows``); loading
    gives back the plain list of events."""

    __slots__ = ("events",)

    def __init__(self, events: Iterable[JourneyEvent]) -> None:
        self.events = tuple(events)


class ChildJourney(Aggregate):
    """A child's SEND journey: its events, and the state and clocks they imply."""

    if TYPE_CHECKING:  # declared for the type checker only: eventsourcing would make
        # annotations in the class body into the journey's dataclass fields.
        _log: list[JourneyEvent]
        _state: JourneyState | None
        _folded: Folded | None
        _trails: KeptTrail | None

    # ``Aggregate.Snapshot`` is this class; it is named directly because a class attribute
    # is not a valid base for the type checker.
    class Snapshot(AggregateSnapshot):
        """A snapshot of the log only; the derived state is rebuilt on load."""

        @classmethod
        def take(cls, aggregate: Any) -> Any:
            snapshot = super().take(aggregate)
            snapshot.state.pop("_state", None)
            snapshot.state.pop("_folded", None)
            snapshot.state.pop("_trails", None)
            snapshot.state["_log"] = PackedLog(snapshot.state["_log"])
            return snapshot

        def mutate(self, _: None) -> Any:
            journey = super().mutate(_)
            log = journey.__dict__["_log"]
            if isinstance(log, PackedLog):  # taken and loaded in memory, not from the store
                journey.__dict__["_log"] = list(log.events)
            return journey

    def __deepcopy__(self, memo: dict[int, Any]) -> ChildJourney:
        """Copy the journey for one command or read (the repository's cache hands out
        copies, so a refused or lost write never touches the cached journey).

        A command changes a journey only by appending to its log and pending list and
        setting the state derived from them; the events themselves are frozen values that
        nothing changes (a fold only reads them: tests/unit/test_replay_encoding.py), so
        the copy gets its own two lists and shares the events: microseconds, where copying
        500 events field by field took about 10 ms. Version and modified time come from
        the copied log, so a copy is consistent even while another thread fast-forwards
        the cached journey.

        The folded state is kept with the cached journey, tagged with the log length it
        folds, and shared by its copies (never changed in place: ``folded_onto`` copies it);
        events the cache gained since are folded onto it one by one where that equals a
        refold, so reads and commands stop refolding the whole journey. The latest clock
        trail (``clock_trail``) is kept in a holder the cached journey and its copies share,
        and so is the fold a copy's command checked its event with (``Ahead``): the event
        the cache then fast-forwards is that one, already folded.
        """
        attributes = dict(self.__dict__)  # one step: a fast-forward may add attributes
        keeper = attributes.get("_trails")
        if keeper is None:
            keeper = self._trails = KeptTrail()
        log = list(attributes["_log"])
        kept = _folded_up_to(attributes.get("_folded"), log, keeper.ahead)
        if len(self._log) == len(log):  # no fast-forward since: keep it for later copies
            self._folded = kept
        clone = object.__new__(type(self))
        memo[id(self)] = clone
        for name, value in attributes.items():
            if name not in ("_log", "_state", "_pending_events", "_folded", "_trails"):
                clone.__dict__[name] = structural_copy(value, memo)
        clone.__dict__.update(
            _log=log, _state=kept.state, _folded=kept, _trails=keeper,
            _pending_events=list(attributes.get("_pending_events", ())),
            _version=log[-1].originator_version, _modified_on=log[-1].timestamp)
        return clone

    @classmethod
    def register(
        cls,
        *,
        authority: str,
        date_of_birth: date,
        actor: Actor,
        occurred_on: date,
        today: date,
        case_ref: str | None = None,
        sex: str | None = None,
        ethnicity: str | None = None,
        child_id: UUID | None = None,
        request_id: str | None = None,
        idempotency_key_hash: str | None = None,
    ) -> ChildJourney:
        """Open a journey for a child with ``authority``."""
        check(date_of_birth <= today, OCCURRED_IN_FUTURE, "date_of_birth is in the future")
        check(occurred_on <= today, OCCURRED_IN_FUTURE, f"occurred_on {occurred_on} is after "
              f"{today}")
        check(occurred_on >= date_of_birth, OCCURRED_BEFORE_BIRTH,
              "occurred_on is before date_of_birth")
        check_plausible_birth(date_of_birth, occurred_on, today)
        journey_id = child_id or cls.create_id()
        kwargs: dict[str, Any] = dict(
            authority=authority, date_of_birth=date_of_birth, case_ref=case_ref, sex=sex,
            ethnicity=ethnicity, actor=actor, occurred_on=occurred_on,
            reference_version=reference_on(occurred_on).version, request_id=request_id,
            idempotency_key_hash=idempotency_key_hash,
            timestamp=ChildRegistered.create_timestamp(), prev_hash=genesis_hash(journey_id),
        )
        candidate = ChildRegistered(originator_id=journey_id, originator_version=1,
                                    originator_topic="", **kwargs)
        return cls._create(ChildRegistered, id=journey_id, hash=event_hash(candidate),
                           **kwargs)

    def record(
        self,
        type_name: str,
        payload: Mapping[str, Any],
        *,
        actor: Actor,
        occurred_on: date,
        today: date,
        evidence: Sequence[Mapping[str, str]] = (),
        request_id: str | None = None,
        idempotency_key_hash: str | None = None,
    ) -> JourneyEvent:
        """Record that ``type_name`` happened on ``occurred_on``, if the rules allow it."""
        cls = event_type(type_name)
        if cls is ChildRegistered:
            raise InvalidFieldError("type", "a journey is registered once, at its start")
        checked = check_payload(cls, dict(payload))
        state = self.state
        assert state.child is not None
        check(occurred_on <= today, OCCURRED_IN_FUTURE,
              f"occurred_on {occurred_on} is after {today}")
        check(occurred_on >= state.child.date_of_birth, OCCURRED_BEFORE_BIRTH,
              f"occurred_on {occurred_on} is before the child's date of birth")
        check(not state.is_closed or cls.allowed_when_closed, JOURNEY_CLOSED,
              f"the journey is {state.status}")
        check_responsible(state.child.date_of_birth, occurred_on, cls.group)
        if issubclass(cls, EntryCorrected | EntryRetracted):
            checked = self._check_amendment(cls, checked)
        if cls is DocumentAttached:
            check_attachable(self._log, checked["event_version"])
        kwargs = dict(
            checked, actor=actor, occurred_on=occurred_on,
            reference_version=reference_on(occurred_on).version,
            evidence=[dict(e) for e in evidence], request_id=request_id,
            idempotency_key_hash=idempotency_key_hash,
            timestamp=cls.create_timestamp(), prev_hash=self._log[-1].hash,
        )
        event = cls(originator_id=self.id, originator_version=self.version + 1, **kwargs)
        base = self.__dict__.get("_folded")
        after = self._check_adds_no_violation(event)
        # Triggered as ``trigger_event`` would, but as the very event the rules were
        # checked with, hashed once they passed: nothing holds it yet, and building it
        # a second time (some fifteen frozen fields) was a tenth of a write's record.
        object.__setattr__(event, "hash", event_hash(event))
        event.mutate(self)
        self._pending_events.append(event)
        self._state, self._folded = after.state, after
        keeper = self.__dict__.get("_trails")
        if keeper is not None and base is not None and base.length == len(self._log) - 1:
            keeper.ahead = Ahead(base, self._log[-1], after)
        return self._log[-1]

    # The log and the state derived from it.

    def start_log(self, event: ChildRegistered) -> None:
        self._log = [event]
        self._state = None
        self._folded = None

    def append_entry(self, event: JourneyEvent) -> None:
        self._log.append(event)
        self._state = None

    @property
    def log(self) -> tuple[JourneyEvent, ...]:
        """Every event in recorded order, corrections and retracted events included."""
        return tuple(self._log)

    @property
    def state(self) -> JourneyState:
        """The current state: every effective event folded, corrections applied."""
        cached = self.__dict__.get("_state")
        if cached is None:
            kept = self._folded = _folded_up_to(self.__dict__.get("_folded"), self._log)
            cached = self._state = kept.state
        return cached

    @property
    def authority(self) -> str:
        registered = self._log[0]
        assert isinstance(registered, ChildRegistered)
        return registered.authority

    def state_at(self, *, as_at: date | None = None, known_at: datetime | None = None
                 ) -> JourneyState:
        """Return the state now, as it stood on ``as_at``, as known at ``known_at``, or both."""
        if as_at is None and known_at is None:
            return self.state
        return replay(self._log, as_at=as_at, known_at=known_at)

    def as_at(self, day: date) -> JourneyState:
        """Return the journey as it stood in the world on ``day`` (corrections as known now)."""
        return replay(self._log, as_at=day)

    def known_at(self, moment: datetime, as_at: date | None = None) -> JourneyState:
        """Return the journey as the system knew it at ``moment`` (recorded by then)."""
        return replay(self._log, known_at=moment, as_at=as_at)

    def clocks(self, today: date, counting: Counting = DEFAULT_COUNTING,
               policy: LocalPolicy = DEFAULT_POLICY,
               rule_sets: tuple[RuleSet, ...] = RULE_SETS) -> list[ClockReading]:
        return compute_clocks(self.state, today, counting, policy, rule_sets)

    def clock_trail(self, on: date, policy: LocalPolicy = DEFAULT_POLICY) -> ClockTrail:
        """Return what each event did to the clocks read on ``on`` (``domain.clock_trail``),
        from the trail kept with the cached journey where it covers part of this log."""
        keeper = self.__dict__.get("_trails")
        trail = clock_trail(self._log, on, policy, keeper.trail if keeper else None)
        if keeper is not None:
            keeper.trail = trail
        return trail

    def event(self, version: int) -> JourneyEvent | None:
        if 1 <= version <= len(self._log):
            return self._log[version - 1]
        return None

    # Checks that need the whole log.

    def _check_amendment(self, cls: type[JourneyEvent], checked: dict[str, Any]
                         ) -> dict[str, Any]:
        target = self.event(checked["target_version"])
        check(target is not None, CORRECTION_TARGET,
              f"there is no event version {checked['target_version']}")
        assert target is not None
        check(target.amendable, NOT_AMENDABLE,
              f"version {target.originator_version} is a {target.type_name}")
        if cls is EntryRetracted:
            check(not isinstance(target, ChildRegistered), REGISTRATION_RETRACTED,
                  "retract nothing at version 1; correct it instead")
            return checked
        check(not isinstance(target, EntryCorrected | EntryRetracted), CORRECTION_OF_CORRECTION,
              f"version {target.originator_version} is itself a {target.type_name}")
        changes = dict(checked["changes"])
        corrected = _check_changes(type(target), changes)
        effective = next((e for e in effective_events(self._log)
                          if e.originator_version == target.originator_version), target)
        current = {name: getattr(effective, name) for name in corrected}
        check(corrected != current, CORRECTION_EMPTY, "every field already has that value")
        if isinstance(effective, ChildRegistered):
            registered_on = corrected.get("occurred_on", effective.occurred_on)
            check_plausible_birth(corrected.get("date_of_birth", effective.date_of_birth),
                                  registered_on, registered_on)
        return dict(checked, changes=corrected)

    def _check_adds_no_violation(self, candidate: JourneyEvent) -> Folded:
        before = {(a.event_version, a.code) for a in self.state.anomalies}
        after = _folded_up_to(self.__dict__.get("_folded"), [*self._log, candidate])
        for anomaly in after.state.anomalies:
            if (anomaly.event_version, anomaly.code) not in before:
                raise RuleViolationError(RULES[anomaly.code], anomaly.detail,
                                         event_version=anomaly.event_version)
        return after


class KeptTrail:
    """What the cached journey and its copies share: the latest clock trail of the journey
    (a trail is checked against the log it is asked for, so any may replace it), and the
    latest fold a copy's command made (checked against the kept fold it started from and
    the event itself before it is taken, so any may replace it too)."""

    __slots__ = ("trail", "ahead")

    def __init__(self) -> None:
        self.trail: ClockTrail | None = None
        self.ahead: Ahead | None = None


@dataclass(frozen=True)
class Ahead:
    """A command's fold: ``after`` is the kept fold ``base`` with ``event`` folded on (the
    rules were checked with it before its ``hash``, which no fold reads, was set). A log
    that has ``event`` after the prefix ``base`` folds to ``after``, whether or not the
    command's own save went through."""

    base: Folded
    event: JourneyEvent
    after: Folded


def _folded_up_to(kept: Folded | None, log: Sequence[JourneyEvent],
                  ahead: Ahead | None = None) -> Folded:
    """Return the fold of ``log``: ``kept`` (a fold of a prefix of it) with the events
    after it folded on one by one (taking ``ahead``'s fold where it starts from that very
    fold and folds that same event), or the whole log refolded where that would differ."""
    if kept is None or kept.length > len(log):
        return folded(log)
    for event in log[kept.length:]:
        if ahead is not None and kept is ahead.base and event == ahead.event:
            kept = ahead.after
            continue
        onto = folded_onto(kept, event)
        if onto is None:
            return folded(log)
        kept = onto
    return kept


def check_plausible_birth(date_of_birth: date, registered_on: date, today: date) -> None:
    """Check the child was at most 25 when the journey opened, born within 50 years."""
    check(age_on(date_of_birth, registered_on) <= MAX_AGE_AT_REGISTRATION,
          DATE_OF_BIRTH_IMPLAUSIBLE, f"date_of_birth {date_of_birth} makes the child older "
          f"than {MAX_AGE_AT_REGISTRATION} on {registered_on}")
    check(age_on(date_of_birth, today) < MAX_AGE_HELD, DATE_OF_BIRTH_IMPLAUSIBLE,
          f"date_of_birth {date_of_birth} is more than {MAX_AGE_HELD} years ago")


def _check_changes(target_cls: type[JourneyEvent], changes: dict[str, Any]) -> dict[str, Any]:
    """Check a correction's changes against the corrected event's fields."""
    if not changes:
        raise InvalidFieldError("changes", "must name at least one field")
    correctable = set(payload_fields(target_cls)) | {"occurred_on"}
    for name in changes:
        check(name not in target_cls.access_fields, ACCESS_FIELD_CORRECTED,
              f"changes.{name} decides who may see or do what in this journey and cannot "
              "be corrected")
        if name not in correctable:
            raise InvalidFieldError(f"changes.{name}",
                                    f"is not a correctable field of {target_cls.__name__}")
    occurred_on = changes.pop("occurred_on", None)
    try:
        merged = check_payload(target_cls, changes, partial=True)
    except InvalidFieldError as error:
        raise InvalidFieldError(f"changes.{error.field}", error.message) from None
    if occurred_on is not None:
        if not isinstance(occurred_on, date) or isinstance(occurred_on, datetime):
            raise InvalidFieldError("changes.occurred_on", "must be a date")
        merged["occurred_on"] = occurred_on
    return merged

