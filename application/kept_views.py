"""A journey's current answers as built, kept per journey for the next reader (issue 17):
the state view of ``GET /children/{id}`` and the timeline's entries of
``GET /children/{id}/journey``.

Both are functions of the journey's log, the day the clocks are read on and the local
policy, and a journey's log never changes below its length, so what was built for the
same length, day and policy is what building afresh gives
(tests/integration/test_timeline_cache.py holds them equal on both stores). They are
kept as built, sealed text and all, never in clear: each answer is revealed for its
reader, walking only the parts that hold sealed text. Pages at a point (``as_at``,
``known_at``, ``version``) are never kept or answered from here.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID
from weakref import WeakKeyDictionary

from application.personal_data import holds_sealed, revealer_as
from application.views import journey_view_at, plain
from domain.clocks import LocalPolicy
from domain.journey import ChildJourney

if TYPE_CHECKING:
    from application.tracking import CaseTracking

Key = tuple[int, date, LocalPolicy]  # the log's length, the clocks' day, the policy


class KeptEntry(dict[str, Any]):
    """A timeline entry kept here: never changed once built (every reader gets the same
    entry), so a form derived from it alone may be kept with it (``derived``: the web
    layer keeps its dump there, web/dumping.py)."""

    __slots__ = ("derived",)

    def __init__(self, entry: Mapping[str, Any]) -> None:
        super().__init__(entry)
        self.derived: tuple[Any, Any] | None = None


class BuiltTimeline:
    """A timeline's entries as built, and which of them ``reveal`` would change (the others
    are answered as they are); ``derived`` as ``BuiltView``'s, for the current timeline
    answer (``application.history.journey_at``), by way and the state view answered."""

    __slots__ = ("entries", "sealed", "derived")

    def __init__(self, entries: list[dict[str, Any]], *, kept: bool = False) -> None:
        self.derived: dict[Any, tuple[Any, ...]] = {}
        self.entries = tuple(KeptEntry(e) for e in entries) if kept else tuple(entries)
        self.sealed = frozenset(n for n, entry in enumerate(entries) if holds_sealed(entry))

    def revealed(self, opened: Callable[[Any], Any]) -> list[Any]:
        return [opened(entry) if n in self.sealed else entry
                for n, entry in enumerate(self.entries)]


class BuiltView:
    """A state view as built (``application.views.journey_view``), and where ``reveal``
    would change it: by key, and within a mapping by its keys (``sealed_of``: what
    ``holds_sealed`` gives for a value, as a caller kept it). Every reader whose reveal
    opens sealed text the same way (``revealer_as``) is given the same answer, so a form
    derived from that answer alone may be kept with the view, by that way (``derived``:
    the web layer keeps the answer's encoded JSON there, web/dumping.py)."""

    __slots__ = ("view", "sealed", "derived")

    def __init__(self, view: dict[str, Any],
                 sealed_of: Callable[[Any], bool] = holds_sealed) -> None:
        self.view = view
        self.derived: dict[Any, tuple[Any, ...]] = {}
        self.sealed: dict[str, frozenset[str] | None] = {}
        for key, value in view.items():
            if isinstance(value, dict):
                within = frozenset(k for k, v in value.items() if sealed_of(v))
                # A dict of dicts and lists holds sealed text (or a tuple) exactly where
                # one of its values does: the same answer as walking it whole.
                if within or not all(type(v) in (dict, list) for v in value.values()) \
                        and holds_sealed(value):
                    self.sealed[key] = within
            elif holds_sealed(value):
                self.sealed[key] = None

    def revealed(self, opened: Callable[[Any], Any]) -> dict[str, Any]:
        """Return the view as ``opened`` (a ``revealer``) gives it, walking only the parts
        holding sealed text."""
        answer = dict(self.view)
        for key, within in self.sealed.items():
            value = self.view[key]
            answer[key] = opened(value) if within is None else {
                k: opened(v) if k in within else v for k, v in value.items()}
        return answer


class PartViews:
    """``plain`` of a state's part and ``holds_sealed`` of that, kept by the part itself
    for the next view that has it: successive states of a journey share the parts their
    folds never read (``domain.state._FoldingState``), and a state's parts are never
    changed once it is folded, so a part is viewed as it was the first time. Each part is
    held (its id is not another's while kept), at most ``maxsize`` of them, the least
    recently viewed dropped first (about the parts of the 1000 journeys ``KeptViews``
    keeps, their views mostly the very objects those keep). Only current views use it:
    a past page's state is folded afresh, seen once."""

    def __init__(self, maxsize: int = 16_384) -> None:
        self.maxsize = maxsize
        self._kept: OrderedDict[int, tuple[Any, Any, bool]] = OrderedDict()
        self._sealed: dict[int, bool] = {}  # by the id of a view kept above
        self._guard = threading.Lock()
        self.hits = 0  # for tests and benchmarks
        self.misses = 0

    def view(self, part: Any) -> Any:
        """Return ``plain(part)``, as first made for this very part."""
        with self._guard:
            found = self._kept.get(id(part))
            if found is not None and found[0] is part:
                self._kept.move_to_end(id(part))
                self.hits += 1
                return found[1]
        made = plain(part)
        sealed = holds_sealed(made)
        with self._guard:
            self.misses += 1
            dropped = self._kept.pop(id(part), None)
            if dropped is not None:
                self._sealed.pop(id(dropped[1]), None)
            self._kept[id(part)] = (part, made, sealed)
            self._sealed[id(made)] = sealed
            while len(self._kept) > self.maxsize:
                _, (_, old, _) = self._kept.popitem(last=False)
                self._sealed.pop(id(old), None)
        return made

    def sealed_of(self, value: Any) -> bool:
        """Return ``holds_sealed(value)``, as kept for a view made here."""
        # An id here is of a view still kept (held above), so of ``value`` itself.
        with self._guard:
            found = self._sealed.get(id(value))
        return holds_sealed(value) if found is None else found


class _Kept:
    __slots__ = ("key", "state", "timeline")

    def __init__(self, key: Key) -> None:
        self.key = key
        self.state: BuiltView | None = None
        self.timeline: BuiltTimeline | None = None


# What is kept is bounded by the events it answers for (a 200-event journey's state view
# and timeline, their dumps with them, took about 480 KB: about 2.4 KB an event), so a
# few long journeys cannot fill the memory that many short ones share.
MAX_EVENTS = 20_000


class KeptViews:
    """The current answers of the latest journeys read, one ``Key`` per journey: a log
    grown, a new day or another policy builds afresh. At most ``maxsize`` journeys and
    ``max_events`` events over them, the least recently read dropped first."""

    def __init__(self, maxsize: int = 1000, max_events: int = MAX_EVENTS) -> None:
        self.maxsize = maxsize
        self.max_events = max_events
        self._events = 0  # the log lengths of the journeys kept, summed
        self._kept: OrderedDict[UUID, _Kept] = OrderedDict()
        self._guard = threading.Lock()
        self.hits: Counter[str] = Counter()  # by part, for tests and benchmarks
        self.misses: Counter[str] = Counter()

    def built(self, part: str, journey_id: UUID, key: Key, build: Callable[[], Any]) -> Any:
        """Return ``part`` ("state" or "timeline") kept for ``key``, or what ``build``
        makes (kept for the next reader)."""
        with self._guard:
            kept = self._kept.get(journey_id)
            found = getattr(kept, part) if kept is not None and kept.key == key else None
            if found is not None:
                self._kept.move_to_end(journey_id)
                self.hits[part] += 1
                return found
        made = build()
        with self._guard:
            self.misses[part] += 1
            kept = self._kept.get(journey_id)
            if kept is None or kept.key != key:
                self._events += key[0] - (kept.key[0] if kept is not None else 0)
                kept = self._kept[journey_id] = _Kept(key)
            setattr(kept, part, made)
            self._kept.move_to_end(journey_id)
            while len(self._kept) > 1 and (len(self._kept) > self.maxsize
                                           or self._events > self.max_events):
                _, dropped = self._kept.popitem(last=False)
                self._events -= dropped.key[0]
        return made


_T = TypeVar("_T")
_KEPT: WeakKeyDictionary[Any, KeptViews] = WeakKeyDictionary()
_PARTS: WeakKeyDictionary[Any, PartViews] = WeakKeyDictionary()
_KEPT_GUARD = threading.Lock()


def _of_app(table: WeakKeyDictionary[Any, _T], app: CaseTracking,
            make: Callable[[], _T]) -> _T:
    """Return ``app``'s entry of ``table``, made the first time (one per application:
    one store, one policy)."""
    with _KEPT_GUARD:
        kept = table.get(app)
        if kept is None:
            kept = table[app] = make()
        return kept


def kept_views(app: CaseTracking) -> KeptViews:
    """Return the kept answers of ``app``."""
    return _of_app(_KEPT, app, KeptViews)


def part_views(app: CaseTracking) -> PartViews:
    """Return the kept part views of ``app``."""
    return _of_app(_PARTS, app, PartViews)


def current_view(app: CaseTracking, journey: ChildJourney, today: date) -> BuiltView:
    """Return the journey's current state view with its clocks read on ``today``
    (``journey_view_at`` with no point), as kept or built afresh."""
    return kept_views(app).built(  # type: ignore[no-any-return]
        "state", journey.id, (journey.version, today, app.policy), lambda: _built_view(
            app, journey, today))


def _built_view(app: CaseTracking, journey: ChildJourney, today: date) -> BuiltView:
    parts = part_views(app)
    return BuiltView(journey_view_at(journey, today, policy=app.policy,
                                     part_view=parts.view)[0], parts.sealed_of)


class KeptAnswer(dict[str, Any]):
    """A current answer revealed for a reader (``journey_now``, ``history.journey_at``),
    with what it was built from that keeps derived forms (``built``: a ``BuiltView`` or
    ``BuiltTimeline``) and ``way``: how its sealed text was opened ("" when it holds none;
    with the timeline, the state view answered too). Answers of one ``built`` and one
    ``way`` are all the same."""

    __slots__ = ("built", "way")

    def __init__(self, answer: Mapping[str, Any], built: BuiltView | BuiltTimeline,
                 way: Any) -> None:
        super().__init__(answer)
        self.built = built
        self.way = way


def reveal_way(app: CaseTracking, journey_id: UUID, actor: Any,
               *built: BuiltView | BuiltTimeline) -> tuple[str, Callable[[Any], Any]]:
    """Return how ``built`` are revealed for ``actor`` (``revealer_as``), and the reveal;
    "" (and no look-up of the child's key) when none holds sealed text or there is no
    vault: then the reveal gives every value as it is."""
    if app.vault is None or not any(b.sealed for b in built):
        return "", lambda data: data
    return revealer_as(app.vault, journey_id, actor)


def journey_now(app: CaseTracking, journey: ChildJourney, today: date, actor: Any
                ) -> KeptAnswer:
    """Return ``GET /children/{id}``'s answer for ``actor``: the current view, revealed."""
    built = current_view(app, journey, today)
    way, opened = reveal_way(app, journey.id, actor, built)
    return KeptAnswer(built.revealed(opened), built, way)
