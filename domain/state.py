"""The journey's state: a pure fold of its effective events.

``effective_events`` applies corrections and retractions (the originals stay in the log)
and orders events by when they happened; ``fold`` evolves a fresh state through them.
A rule an old event no longer satisfies (say, after a rules change) is kept as an
anomaly instead of making the journey unreadable; a new command may not add one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Any

# State parts live beside the events that change them; those modules import this one
# only for type checking, so these imports make no cycle.
from domain.catalogue.assessment import AssessmentState
from domain.catalogue.budgets import BudgetsState
from domain.catalogue.common import DECISION
from domain.catalogue.disputes import DisputesState
from domain.catalogue.documents import AttachedDocument
from domain.catalogue.governance import GovernanceState
from domain.catalogue.health import HealthState
from domain.catalogue.identification import SupportState
from domain.catalogue.movement import MovementState
from domain.catalogue.plan import PlanState
from domain.catalogue.registration import LookedAfterPeriod
from domain.catalogue.reviews import ReviewsState
from domain.catalogue.voice import VoiceState
from domain.copies import structural_copy
from domain.errors import RuleViolationError
from domain.record_ids import RECORD_KINDS, RecordKind, answer_key

if TYPE_CHECKING:
    from domain.catalogue.exceptions import ExceptionClaim
    from domain.events import JourneyEvent


@dataclass
class ChildFacts:
    """What the journey knows of the child that its rules depend on."""

    child_id: str
    authority: str
    date_of_birth: date
    case_ref: str | None = None
    sex: str | None = None
    ethnicity: str | None = None
    registered_on: date | None = None
    looked_after_periods: list[LookedAfterPeriod] = field(default_factory=list)

    def looked_after_on(self, day: date) -> bool:
        """Tell whether the child was looked after on ``day`` (Children Act 1989 s.22(1))."""
        return any(p.covers(day) for p in self.looked_after_periods)


@dataclass(frozen=True)
class Anomaly:
    """A rule an accepted event no longer satisfies when the journey is replayed."""

    event_version: int
    event_type: str
    code: str
    citation: str
    detail: str


@dataclass
class AppealableDecision:
    """A decision the family may appeal (CFA 2014 s.51(2)); starts K19 and K21."""

    id: str
    kind: str
    notified_on: date
    event_version: int


# Every stage a journey can be at (``JourneyState.stage``), set by the catalogue's events.
# Lists filter on these; tests/unit/test_stages.py keeps the list equal to what the
# catalogue assigns.
STAGES: tuple[str, ...] = (
    "registered", "assessment_requested", "assessment", "assessment_refused",
    "request_withdrawn", "drafting", "plan_refused", "draft_issued", "plan_issued",
    "review_scheduled", "review_held", "review_decided", "amendment", "plan_amended",
    "plan_not_amended", "reassessment_requested", "reassessment", "reassessment_refused",
    "transferred_out", "plan_transferred_in", "ceasing_proposed", "cease_decided", "ceased",
    "tribunal_order", "mediation_agreement", "plan_maintained",
)


@dataclass
class JourneyState:
    """Everything the rules and clocks read; rebuilt from events, never stored."""

    child: ChildFacts | None = None
    status: str = "open"  # open | ceased | transferred_out
    stage: str = "registered"
    last_event_on: date | None = None
    support: SupportState = field(default_factory=SupportState)
    assessment: AssessmentState = field(default_factory=AssessmentState)
    plan: PlanState = field(default_factory=PlanState)
    disputes: DisputesState = field(default_factory=DisputesState)
    reviews: ReviewsState = field(default_factory=ReviewsState)
    movement: MovementState = field(default_factory=MovementState)
    budgets: BudgetsState = field(default_factory=BudgetsState)
    health: HealthState = field(default_factory=HealthState)
    voice: VoiceState = field(default_factory=VoiceState)
    exception_claims: list[ExceptionClaim] = field(default_factory=list)
    appealable_decisions: list[AppealableDecision] = field(default_factory=list)
    governance: GovernanceState = field(default_factory=GovernanceState)
    documents: list[AttachedDocument] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    # The ids of the records each event opened, by the event's version and the kind's key
    # (domain.record_ids): what a write answers as ``created``.
    created: dict[int, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def is_closed(self) -> bool:
        return self.status != "open"

    def mint(self, kind: RecordKind, version: int, *parts: object) -> str:
        """Return the id of a record the event at ``version`` opens, noting it as created
        by that event."""
        record_id = kind.id_for(version, *parts)
        entry = self.created.get(version, {})
        ids = entry.get(kind.key, [])
        if record_id not in ids:
            # An entry is replaced, never changed in place: a state folded from this one
            # shares the entries (``_FoldingState`` copies ``created`` one level deep).
            self.created[version] = {**entry, kind.key: [*ids, record_id]}
        return record_id

    def created_by(self, version: int) -> dict[str, str | list[str]]:
        """Return the ids of the records the event at ``version`` opened, each under its
        kind's answer key (a list for kinds one event may open several of)."""
        return {answer_key(RECORD_KINDS[key]): list(ids) if RECORD_KINDS[key].many else ids[0]
                for key, ids in self.created.get(version, {}).items()}

    def exception_for(self, clock_id: str, episode: str) -> str | None:
        """Return the ground of the first standing exception claim on that clock episode."""
        for claim in self.exception_claims:
            if claim.clock == clock_id and claim.episode == episode and not claim.withdrawn:
                return claim.ground
        return None

    def add_appealable_decision(self, kind: str, notified_on: date, event_version: int) -> None:
        self.appealable_decisions.append(AppealableDecision(
            id=self.mint(DECISION, event_version), kind=kind, notified_on=notified_on,
            event_version=event_version))


# The parts of the state a fold changes in place (sub-states, lists, dicts: the fields
# made by a default factory, so the class has no attribute of that name to fall back on),
# and the other fields (a str, a date, or ``child``, small: copied for every fold).
_FIELDS = tuple(f.name for f in dataclasses.fields(JourneyState))
_PARTS = tuple(f.name for f in dataclasses.fields(JourneyState)
               if f.default_factory is not dataclasses.MISSING)
_OTHERS = tuple(name for name in _FIELDS if name not in _PARTS)


class _FoldingState(JourneyState):
    """A state being folded from a kept one (``folded_onto``): it shares the kept state's
    parts until the fold first reads one, and from then on reads and changes a copy of its
    own (``structural_copy``; ``created`` one level deep, as its entries are replaced,
    never changed in place). Only the folding thread sees it; ``_sealed`` makes it a plain
    ``JourneyState`` that keeps sharing the parts the fold never read, which neither
    state ever changes (a kept state is shared by readers and never changed in place).
    An event's fold reads a few of some twenty parts, so this copies a fraction of what a
    whole copy would. tests/unit/test_structural_copy.py: no object is reachable from two
    parts (a part's copy would part them), and a fold onto this is a fold onto a deep copy.
    """

    def __getattr__(self, name: str) -> Any:
        shared = self.__dict__.get("_shared")
        if shared is None or name not in shared:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        kept = shared.pop(name)
        value = self.__dict__[name] = dict(kept) if name == "created" else \
            structural_copy(kept)
        return value


def _folding_copy(state: JourneyState) -> JourneyState:
    folding = object.__new__(_FoldingState)
    folding.__dict__.update({name: structural_copy(getattr(state, name)) for name in _OTHERS})
    folding.__dict__["_shared"] = {name: getattr(state, name) for name in _PARTS}
    return folding


def _sealed(folding: JourneyState) -> JourneyState:
    attributes = folding.__dict__
    for name, shared in attributes.pop("_shared").items():
        attributes.setdefault(name, shared)  # a part the fold set without reading it stays set
    folding.__dict__ = {name: attributes[name] for name in _FIELDS}
    folding.__class__ = JourneyState
    return folding


def effective_events(
    log: Sequence[JourneyEvent], *, known_at: datetime | None = None
) -> list[JourneyEvent]:
    """Return the events as now corrected, registration first, then by occurrence.

    With ``known_at``, only what had been recorded by then counts, corrections included.
    """
    from domain.catalogue.registration import EntryCorrected, EntryRetracted

    if known_at is not None:
        log = [e for e in log if e.timestamp <= known_at]
    amendments = [e for e in log if isinstance(e, (EntryCorrected, EntryRetracted))]
    # A retraction undoes its target unless it is itself undone by a later, standing one;
    # a retraction comes after its target, so deciding targets newest first sees every
    # retraction's own standing before it is needed.
    retractors: dict[int, list[int]] = {}
    for e in amendments:
        if isinstance(e, EntryRetracted):
            retractors.setdefault(e.target_version, []).append(e.originator_version)
    retracted: set[int] = set()
    for version in sorted(retractors, reverse=True):
        if any(r not in retracted for r in retractors[version]):
            retracted.add(version)
    changes: dict[int, dict[str, Any]] = {}
    by_version = {e.originator_version: e for e in log}
    for e in amendments:
        if isinstance(e, EntryCorrected) and e.originator_version not in retracted:
            # A correction stored before access fields were refused (issue 12) still
            # never moves a journey to another authority or hands its case on.
            target = by_version.get(e.target_version)
            kept = type(target).access_fields if target is not None else frozenset()
            changes.setdefault(e.target_version, {}).update(
                {k: v for k, v in e.changes.items() if k not in kept})
    if amendments:
        left_out = retracted | {e.originator_version for e in amendments}
        effective = [
            dataclasses.replace(e, **changes[e.originator_version])
            if e.originator_version in changes else e
            for e in log if e.originator_version not in left_out]
    else:
        effective = list(log)
    first, rest = effective[:1], effective[1:]
    rest.sort(key=_OCCURRENCE)
    return first + rest


_OCCURRENCE = attrgetter("occurred_on", "originator_version")


@dataclass(frozen=True)
class Folded:
    """The state of a log's first ``length`` events, and the sort key of the last
    effective event after registration (None when there is none): what a later event
    must sort at or after to be folded onto this state instead of refolding the log."""

    length: int
    state: JourneyState
    last: tuple[date, int] | None


def folded(log: Sequence[JourneyEvent]) -> Folded:
    """Fold the whole log (the same state as ``replay(log)``)."""
    events = effective_events(log)
    return Folded(len(log), fold(events), _OCCURRENCE(events[-1]) if len(events) > 1 else None)


def folded_onto(before: Folded, event: JourneyEvent) -> Folded | None:
    """Return the fold of the log plus ``event`` from ``before`` without refolding, or None
    when that would differ from a refold: ``event`` amends another (changing which events
    count) or sorts before an effective event (changing the order). ``before.state`` is
    shared by readers, so it is never changed: ``event`` is folded onto a copy that copies
    only the parts the fold reads (``_FoldingState``)."""
    from domain.catalogue.registration import EntryCorrected, EntryRetracted

    key = _OCCURRENCE(event)
    if isinstance(event, (EntryCorrected, EntryRetracted)) or (
            before.last is not None and key < before.last):
        return None
    return Folded(before.length + 1, _sealed(fold([event], into=_folding_copy(before.state))),
                  key)


def fold(events: Iterable[JourneyEvent], into: JourneyState | None = None) -> JourneyState:
    """Evolve a fresh state (or ``into``, in place) through ``events`` (already effective
    and ordered)."""
    state = JourneyState() if into is None else into
    for event in events:
        try:
            event.evolve(state)
        except RuleViolationError as violation:
            state.anomalies.append(Anomaly(
                event_version=event.originator_version, event_type=event.type_name,
                code=violation.code, citation=violation.citation, detail=violation.detail,
            ))
            continue
        if state.last_event_on is None or event.occurred_on > state.last_event_on:
            state.last_event_on = event.occurred_on
    return state


def replay(
    log: Sequence[JourneyEvent], *, as_at: date | None = None, known_at: datetime | None = None
) -> JourneyState:
    """Return the state as it stood on ``as_at`` and as known at ``known_at``.

    ``as_at`` keeps events that had happened by that date (corrections as known now, or
    as known at ``known_at``); ``known_at`` keeps what had been recorded by that moment.
    """
    events = effective_events(log, known_at=known_at)
    if as_at is not None:
        events = events[:1] + [e for e in events[1:] if e.occurred_on <= as_at]
    return fold(events)
