"""How domain values are written into stored events and snapshots (JSON)."""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import cache
from typing import Any
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder, Transcoding
from eventsourcing.utils import get_topic, resolve_topic

from domain.actors import Actor
from domain.calendar import day_text
from domain.events import EVENT_TYPES, JourneyEvent
from domain.journey import PackedLog


class AcyclicJSONTranscoder(JSONTranscoder):
    """The library's ``JSONTranscoder`` (the same bytes), its encoder without the check for
    circular references: a stored state is a tree of plain values built per write, and
    keeping every container's id in a table as it is encoded was a fifth of encoding one
    (an idempotency record's answer holds a dozen: the event, its clocks). A state that did
    hold a cycle is still refused, as a ``RecursionError`` instead of a ``ValueError``.
    tests/unit/test_replay_encoding.py holds the two transcoders' bytes equal."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = json.JSONEncoder(default=self._encode_obj, separators=(",", ":"),
                                        ensure_ascii=False, check_circular=False)


class DateAsISO(Transcoding):
    """Write a ``date`` as ``YYYY-MM-DD``."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return day_text(obj)  # the library looks a transcoding up by exact type: a date

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class ActorAsDict(Transcoding):
    """Write an ``Actor`` as its three fields."""

    type = Actor
    name = "actor"

    def encode(self, obj: Actor) -> dict[str, str]:
        return obj.as_dict()

    def decode(self, data: dict[str, str]) -> Actor:
        return Actor(**data)


class JourneyEventAsDict(Transcoding):
    """Write a journey event held in a snapshot's log as its fields."""

    def __init__(self, cls: type[JourneyEvent]) -> None:
        self.type = cls
        self.name = "event:" + get_topic(cls)

    def encode(self, obj: JourneyEvent) -> dict[str, Any]:
        return dict(vars(obj))

    def decode(self, data: dict[str, Any]) -> JourneyEvent:
        event: JourneyEvent = object.__new__(self.type)
        object.__setattr__(event, "__dict__", data)
        return event


# The fields every journey event has, written in fixed places of its row.
_ROW_FIELDS = ("originator_id", "originator_version", "timestamp", "occurred_on", "actor")


class JourneyLogAsRows(Transcoding):
    """Write a snapshot's log as rows: one list per event, shared values written once.

    ``{"id": journey id, "actors": [[user_id, role, organisation], ...],
    "kinds": [[event topic, [field, ...]], ...], "rows": [[kind, version, recorded at,
    occurred on, actor, value, ...], ...]}``: each row names its kind (the event's topic
    and the names of its other fields, in the order of the values that follow) and its
    actor by index; a ``prev_hash`` equal to the previous row's ``hash`` (the journey's
    hash chain, domain.integrity) is written as null. Reading it builds each event
    straight from its row, with no tagged object per event, date and actor to decode as
    ``JourneyEventAsDict`` has. Snapshots written before this (a list of
    ``event:<topic>`` objects) still load through that transcoding;
    docs/decisions/0010-replay-speed.md.
    """

    type = PackedLog
    name = "journey_log_rows"

    def encode(self, obj: PackedLog) -> dict[str, Any]:
        events = obj.events
        originator_id = events[0].originator_id
        actors: dict[Actor, int] = {}
        kinds: dict[tuple[str, tuple[str, ...]], int] = {}
        rows = []
        previous_hash = None
        for event in events:
            fields = vars(event)
            if (fields["originator_id"] != originator_id
                    or type(fields["timestamp"]) is not datetime
                    or type(fields["occurred_on"]) is not date
                    or type(fields["actor"]) is not Actor
                    or fields.get("prev_hash", "") is None):
                raise ValueError(f"event version {event.originator_version} cannot be "
                                 f"written as a row of journey {originator_id}")
            names = tuple(name for name in fields if name not in _ROW_FIELDS)
            kind = kinds.setdefault((get_topic(type(event)), names), len(kinds))
            actor = actors.setdefault(fields["actor"], len(actors))
            rows.append([kind, fields["originator_version"], fields["timestamp"].isoformat(),
                         fields["occurred_on"].isoformat(), actor, *(
                             None if name == "prev_hash" and fields[name] == previous_hash
                             else fields[name] for name in names)])
            previous_hash = fields.get("hash")
        return {
            "id": str(originator_id),
            "actors": [[a.user_id, a.role, a.organisation] for a in actors],
            "kinds": [[topic, list(names)] for topic, names in kinds],
            "rows": rows,
        }

    def decode(self, data: dict[str, Any]) -> list[JourneyEvent]:
        originator_id = UUID(data["id"])
        actors = [Actor(*actor) for actor in data["actors"]]
        kinds = [_row_kind(topic, tuple(names)) for topic, names in data["kinds"]]
        to_datetime, to_date, new = datetime.fromisoformat, date.fromisoformat, object.__new__
        set_dict = object.__setattr__
        events: list[JourneyEvent] = []
        previous_hash = None
        for row in data["rows"]:  # the row's places become the event's fields
            cls, keys, prev_hash_at, hash_at = kinds[row[0]]
            row[0] = originator_id
            row[2] = to_datetime(row[2])
            row[3] = to_date(row[3])
            row[4] = actors[row[4]]
            if prev_hash_at is not None and row[prev_hash_at] is None:
                row[prev_hash_at] = previous_hash
            previous_hash = None if hash_at is None else row[hash_at]
            event = new(cls)
            set_dict(event, "__dict__", dict(zip(keys, row, strict=True)))
            events.append(event)
        return events


@cache
def _row_kind(topic: str, names: tuple[str, ...]
              ) -> tuple[type[JourneyEvent], tuple[str, ...], int | None, int | None]:
    """Return a kind's event class, every field name in row order, and the places of
    its ``prev_hash`` and ``hash``."""
    keys = (*_ROW_FIELDS, *names)
    return (_event_class(topic), keys,
            keys.index("prev_hash") if "prev_hash" in names else None,
            keys.index("hash") if "hash" in names else None)


@cache
def _event_class(topic: str) -> type[JourneyEvent]:
    cls = resolve_topic(topic)
    if not (isinstance(cls, type) and issubclass(cls, JourneyEvent)):
        raise ValueError(f"{topic} is not a journey event type")
    return cls


def register_domain_transcodings(transcoder: JSONTranscoder) -> None:
    transcoder.register(DateAsISO())
    transcoder.register(ActorAsDict())
    for cls in EVENT_TYPES.values():
        transcoder.register(JourneyEventAsDict(cls))
    transcoder.register(JourneyLogAsRows())
