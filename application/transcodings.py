"""How domain values are written into stored events and snapshots (JSON)."""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding
from eventsourcing.utils import get_topic

from domain.actors import Actor
from domain.events import EVENT_TYPES, JourneyEvent


class DateAsISO(Transcoding):
    """Write a ``date`` as ``YYYY-MM-DD``."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

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
        event = object.__new__(self.type)
        object.__setattr__(event, "__dict__", data)
        return event


def register_domain_transcodings(transcoder: JSONTranscoder) -> None:
    transcoder.register(DateAsISO())
    transcoder.register(ActorAsDict())
    for cls in EVENT_TYPES.values():
        transcoder.register(JourneyEventAsDict(cls))
