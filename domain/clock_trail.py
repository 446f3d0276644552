"""What each event did to the clocks: the journey's clocks read after every effective
event, in one pass, and kept so that a journey that gained events reads only theirs.

A timeline entry's clock effects (started, stopped, changed) compare the clocks read on
one day after the event with those read after the event before it
(``domain.clocks.compute_clocks`` on the fold so far). ``clock_trail`` folds the effective
events once, reading the clocks after each; ``ClockTrail.extended`` adds events that
sort after every effective event and amend none (``domain.state.folded_onto``), reading
the clocks once per new event, and refolds where that would differ. A trail is for one
day and one local policy; the journey keeps its latest (``ChildJourney.clock_trail``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING

from domain.clocks import DEFAULT_POLICY, ClockReading, LocalPolicy, compute_clocks
from domain.state import Folded, JourneyState, effective_events, fold, folded_onto

if TYPE_CHECKING:
    from domain.events import JourneyEvent

ClockKey = tuple[str, str]  # (clock, episode)


@dataclass(frozen=True)
class ClockChange:
    """What one event did to one clock episode: started, stopped or changed it."""

    clock: str
    episode: str
    change: str
    due_on: date | None
    stopped_on: date | None
    status: str
    responsible: str

    def as_dict(self) -> dict[str, object]:
        return {"clock": self.clock, "episode": self.episode, "change": self.change,
                "due_on": self.due_on, "stopped_on": self.stopped_on,
                "status": self.status, "responsible": self.responsible}


def clock_changes(before: Mapping[ClockKey, ClockReading],
                  after: Mapping[ClockKey, ClockReading]) -> tuple[ClockChange, ...]:
    """Return the episodes in ``after`` that are new, newly stopped, or due or classified
    differently from ``before`` (in ``after``'s order)."""
    changes = []
    for key, reading in after.items():
        old = before.get(key)
        if old is None:
            change = "started"
        elif old.stopped_on is None and reading.stopped_on is not None:
            change = "stopped"
        elif old.due_on != reading.due_on or old.status != reading.status:
            change = "changed"
        else:
            continue
        changes.append(ClockChange(
            reading.clock, reading.episode, change, reading.due_on, reading.stopped_on,
            reading.status.value, reading.responsible.value))
    return tuple(changes)


def readings_by_key(state: JourneyState, on: date, policy: LocalPolicy
                    ) -> dict[ClockKey, ClockReading]:
    return {(r.clock, r.episode): r for r in compute_clocks(state, on, policy=policy)}


@dataclass(frozen=True)
class ClockTrail:
    """The clock effects of a log's first ``length`` events, read on ``on``: by event
    version, only events that changed a clock. ``head`` is the hash of the last event
    covered (a hash covers every event before it), ``folded`` the fold of those events
    and ``readings`` the clocks after them, to extend the trail from. Shared by readers:
    never changed, only replaced."""

    on: date
    policy: LocalPolicy
    length: int
    head: str
    folded: Folded
    readings: Mapping[ClockKey, ClockReading]
    effects: Mapping[int, tuple[ClockChange, ...]]

    def covers(self, log: Sequence[JourneyEvent], on: date, policy: LocalPolicy) -> bool:
        """Tell whether this trail is of a prefix of ``log``, read on ``on`` under ``policy``."""
        return (self.on == on and self.policy == policy and self.length <= len(log)
                and log[self.length - 1].hash == self.head)

    def extended(self, log: Sequence[JourneyEvent]) -> ClockTrail | None:
        """Return the trail of ``log`` (which this trail covers a prefix of), reading the
        clocks once per new event, or None where folding them on would differ from a
        refold (an amendment, or an event sorting before an effective one)."""
        trail = self
        for event in log[self.length:]:
            onto = folded_onto(trail.folded, event)
            if onto is None:
                return None
            after = readings_by_key(onto.state, self.on, self.policy)
            changes = clock_changes(trail.readings, after)
            effects = trail.effects if not changes else MappingProxyType(
                {**trail.effects, event.originator_version: changes})
            trail = ClockTrail(self.on, self.policy, onto.length, event.hash, onto,
                               MappingProxyType(after), effects)
        return trail


def clock_trail(log: Sequence[JourneyEvent], on: date, policy: LocalPolicy = DEFAULT_POLICY,
                kept: ClockTrail | None = None) -> ClockTrail:
    """Return the clock effects of the whole ``log`` read on ``on``: ``kept`` extended by
    the events after it where it covers a prefix of the log, else folded in one pass."""
    if kept is not None and kept.covers(log, on, policy):
        trail = kept.extended(log)
        if trail is not None:
            return trail
    events = effective_events(log)
    state = JourneyState()
    before: Mapping[ClockKey, ClockReading] = {}
    effects: dict[int, tuple[ClockChange, ...]] = {}
    for event in events:
        fold([event], into=state)
        after = readings_by_key(state, on, policy)
        changes = clock_changes(before, after)
        if changes:
            effects[event.originator_version] = changes
        before = after
    last = (events[-1].occurred_on, events[-1].originator_version) if len(events) > 1 else None
    return ClockTrail(on, policy, len(log), log[-1].hash, Folded(len(log), state, last),
                      MappingProxyType(dict(before)), MappingProxyType(effects))
