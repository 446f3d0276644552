"""The timeline's compiled dump (web.dumping) gives exactly marshmallow's dump of the same
schema, over timelines of any accepted commands (corrections and retractions included)
and of a long journey; and refuses a field kind it does not mirror."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from marshmallow import Schema, fields

from application.history import timeline
from domain.clocks import LocalPolicy
from domain.errors import DomainError
from tests.unit.test_journey_properties import LA, TODAY, commands, run
from web.dumping import DumpedList, compiled
from web.journeys import JourneyAtSchema, TimelineEntrySchema


class ReferenceSchema(JourneyAtSchema):
    timeline = fields.List(fields.Nested(TimelineEntrySchema), required=True)


def view_of(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {"child_id": "00000000-0000-4000-8000-000000000001", "version": len(entries),
            "authority": "LA-901", "case_ref": None, "date_of_birth": date(2014, 6, 1),
            "status": "open", "stage": "registered", "as_at": None, "known_at": None,
            "clocks": [], "next_due": None, "anomalies": [], "episodes": {},
            "timeline": entries, "events_known": len(entries)}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands)
def test_the_compiled_dump_of_any_timeline_is_marshmallows(steps: list[tuple[int, int]]
                                                           ) -> None:
    journey, _ = run(steps)
    if len(journey.log) > 2:
        with contextlib.suppress(DomainError):  # refused where it breaks a rule
            journey.record("EntryRetracted", {"target_version": 2, "reason": "wrong child"},
                           actor=LA, occurred_on=TODAY, today=TODAY)
    entries = timeline(list(journey.log), as_at=None, on=TODAY, policy=LocalPolicy())
    assert JourneyAtSchema().dump(view_of(entries)) == ReferenceSchema().dump(view_of(entries))


def test_a_long_journeys_timeline_dumps_the_same() -> None:
    from application.tracking import CaseTracking
    from benchmarks.replay import build_journey

    app = CaseTracking(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        journey = app.repository.get(build_journey(app, 120))
    finally:
        app.close()
    entries = timeline(list(journey.log), as_at=None, on=TODAY + timedelta(days=1))
    assert any(e["amended_by"] for e in entries) and any(e["clock_effects"] for e in entries)
    dumped = JourneyAtSchema().dump(view_of(entries))
    assert dumped == ReferenceSchema().dump(view_of(entries))
    assert dumped["timeline"][0]["recorded_at"] == entries[0]["recorded_at"].isoformat()


def test_a_field_kind_the_compiled_dump_does_not_mirror_is_refused() -> None:
    class Renamed(Schema):
        when = fields.Date(data_key="on")

    class Computed(Schema):
        size = fields.Method("sized")

        def sized(self, obj: Any) -> int:
            return len(obj)

    for schema in (Renamed(), Computed()):
        with pytest.raises(TypeError):
            compiled(schema)

    class Holder(Schema):
        items = DumpedList(fields.Nested(Computed))

    with pytest.raises(TypeError):
        Holder().dump({"items": [{"size": 1}]})


def test_kept_entries_dump_the_same_every_time() -> None:
    """Entries the timeline cache keeps (application.history.KeptEntry) keep their dump;
    the kept dump is marshmallow's, for each schema that dumps them."""
    from application.kept_views import KeptEntry
    from application.tracking import CaseTracking
    from benchmarks.replay import build_journey

    app = CaseTracking(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        journey = app.repository.get(build_journey(app, 60))
    finally:
        app.close()
    entries = timeline(list(journey.log), as_at=None, on=TODAY + timedelta(days=1))
    kept = [KeptEntry(e) for e in entries]
    reference = ReferenceSchema().dump(view_of(entries))
    first = JourneyAtSchema().dump(view_of(kept))  # type: ignore[arg-type]
    assert all(k.derived is not None for k in kept)
    assert JourneyAtSchema().dump(view_of(kept)) == first == reference  # type: ignore[arg-type]

    class Narrow(Schema):
        timeline = DumpedList(fields.Nested(TimelineEntrySchema(only=("version", "type"))))

    assert Narrow().dump({"timeline": kept})["timeline"] == [
        {"version": e["version"], "type": e["type"]} for e in entries]
