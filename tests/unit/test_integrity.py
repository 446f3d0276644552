"""The journey's hash chain: computed once by the command, checked by a pure verifier."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID, uuid4

from hypothesis import HealthCheck, given, settings

from application.tracking import CaseTracking
from domain.actors import Actor
from domain.events import JourneyEvent, payload_field_names
from domain.integrity import (
    UNHASHED_FIELDS,
    canonical_content,
    event_hash,
    first_break,
    genesis_hash,
    verify_chain,
)
from domain.journey import ChildJourney
from tests.unit.catalogue_logs import catalogue_logs
from tests.unit.test_journey_properties import commands, run
from web.schemas import recordable_types

LA = Actor("caseworker-1", "caseworker", "LA-901")
TODAY = date(2025, 6, 30)
PARENT_REQUEST = {"requester_role": "Parent", "request_source": "1"}


def journey_of(events: int = 5) -> ChildJourney:
    journey = ChildJourney.register(authority="LA-901", date_of_birth=date(2015, 3, 2),
                                    actor=LA, occurred_on=date(2024, 1, 2), today=TODAY)
    journey.record("EHCNeedsAssessmentRequested", PARENT_REQUEST, actor=LA,
                   occurred_on=date(2024, 1, 8), today=TODAY,
                   evidence=[{"ref": "doc-1", "sha256": "ab" * 32}])
    for day in range(3, events + 1):
        journey.record("FamilyViewsSubmitted", {"author_role": "parent"}, actor=LA,
                       occurred_on=date(2024, 1, 8 + day), today=TODAY)
    return journey


def changed(event: JourneyEvent, **fields: Any) -> JourneyEvent:
    """Return a copy of ``event`` with ``fields`` overwritten, as an edited row would load."""
    edited = copy.copy(event)
    for name, value in fields.items():
        object.__setattr__(edited, name, value)
    return edited


def test_each_event_chains_from_the_previous_one_and_the_first_from_the_journey_id() -> None:
    journey = journey_of()
    log = journey.log
    assert log[0].prev_hash == genesis_hash(journey.id)
    for before, after in zip(log, log[1:], strict=False):
        assert after.prev_hash == before.hash
    assert all(event.hash == event_hash(event) and len(event.hash) == 64 for event in log)
    assert verify_chain(log) is None


def test_hash_and_prev_hash_are_system_fields_not_payload() -> None:
    journey = journey_of(2)
    for event in journey.log:
        assert "hash" not in payload_field_names(type(event))
        assert "prev_hash" not in payload_field_names(type(event))
        assert "hash" not in event.payload()


def test_canonical_content_names_the_type_version_actor_dates_and_payload() -> None:
    event = journey_of(2).log[1]
    content = canonical_content(event).decode()
    for part in ('"type":"EHCNeedsAssessmentRequested"', '"originator_version":2',
                 '"occurred_on":"2024-01-08"', '"user_id":"caseworker-1"',
                 '"requester_role":"Parent"', '"sha256":"' + "ab" * 32, '"prev_hash":',
                 '"timestamp":"' + event.timestamp.isoformat()):
        assert part in content
    assert '"hash"' not in content


def test_the_chain_survives_the_stores_round_trip_and_snapshots() -> None:
    journey = journey_of(7)
    app = CaseTracking(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        app.save(journey)
        stored = [e for e in app.events.get(journey.id) if isinstance(e, JourneyEvent)]
        assert [e.hash for e in stored] == [e.hash for e in journey.log]
        assert verify_chain(stored) is None
        app.take_snapshot(journey.id, version=4)
        assert verify_chain(app.repository.get(journey.id).log) is None
    finally:
        app.close()


def test_an_edited_field_in_a_middle_event_breaks_the_chain_at_that_version() -> None:
    log = list(journey_of().log)
    log[2] = changed(log[2], occurred_on=date(2024, 1, 2))
    assert verify_chain(log) == 3
    broken = first_break(log[0].originator_id, log)
    assert broken is not None and "content" in broken.reason


def test_an_edited_actor_or_evidence_breaks_the_chain() -> None:
    log = list(journey_of().log)
    assert verify_chain([*log[:1], changed(log[1], actor=Actor("x", "manager", "LA-901")),
                         *log[2:]]) == 2
    assert verify_chain([*log[:1], changed(log[1], evidence=[]), *log[2:]]) == 2


def test_a_deleted_event_is_reported_as_the_missing_version() -> None:
    log = list(journey_of().log)
    del log[2]
    assert verify_chain(log) == 3
    broken = first_break(log[0].originator_id, log)
    assert broken is not None and "missing" in broken.reason


def test_two_swapped_events_are_reported_at_the_first_of_them() -> None:
    log = list(journey_of().log)
    # A row swap in the table keeps the version column: contents trade places.
    third = changed(log[3], originator_version=3)
    fourth = changed(log[2], originator_version=4)
    assert verify_chain([*log[:2], third, fourth, *log[4:]]) == 3
    assert verify_chain([*log[:2], log[3], log[2], *log[4:]]) == 3


def test_a_new_event_with_a_forged_hash_or_prev_hash_is_caught() -> None:
    log = list(journey_of().log)
    assert verify_chain([*log[:-1], changed(log[-1], hash="0" * 64)]) == 5
    assert verify_chain([*log[:-1], changed(log[-1], prev_hash="0" * 64)]) == 5
    assert verify_chain([changed(log[0], prev_hash=genesis_hash(uuid4())), *log[1:]]) == 1


def test_a_truncated_tail_or_a_rewritten_tail_still_chains_so_checkpoints_anchor_heads() -> None:
    log = list(journey_of().log)
    assert verify_chain(log[:3]) is None
    forged = changed(log[3], occurred_on=date(2024, 1, 3))
    object.__setattr__(forged, "hash", event_hash(forged))
    assert verify_chain([*log[:3], forged]) is None
    assert forged.hash != log[3].hash


def test_an_empty_journey_has_nothing_to_report() -> None:
    assert verify_chain([]) is None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands)
def test_any_accepted_sequence_chains_and_verifies_after_the_json_round_trip(
        steps: list[tuple[int, int]]) -> None:
    journey, _ = run(steps)
    assert verify_chain(journey.log) is None
    app = CaseTracking(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        app.save(journey)
        assert verify_chain(e for e in app.events.get(journey.id)
                            if isinstance(e, JourneyEvent)) is None
    finally:
        app.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands)
def test_a_recorded_event_is_the_event_its_fields_build_and_is_stored_as_that_one(
        steps: list[tuple[int, int]]) -> None:
    """``ChildJourney.record`` hashes and triggers the event the rules were checked with
    instead of building it again from its fields, as ``trigger_event`` would: the same
    event, fields in the same order, stored as the same bytes."""
    journey, _ = run(steps)
    app = CaseTracking(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        for event in journey.log:
            built = type(event)(**vars(event))
            assert built == event and list(vars(built)) == list(vars(event))
            assert app.mapper.to_stored_event(built) == app.mapper.to_stored_event(event)
            assert event.hash == event_hash(event)
    finally:
        app.close()


def _canonical(value: Any) -> Any:
    """``domain.integrity._canonical`` as first written (before its fast paths)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Enum):
        return _canonical(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    raise TypeError(f"no canonical form for {type(value).__name__}")


def _content_as_first_defined(event: JourneyEvent) -> bytes:
    """``canonical_content`` as it was written before its fields were worked out once per
    type and its values' types tried exactly first: the reference the faster one must
    equal, byte for byte."""
    content: dict[str, Any] = {"type": type(event).__name__}
    for spec in dataclasses.fields(event):  # type: ignore[arg-type]
        if spec.name in UNHASHED_FIELDS:
            continue
        value = getattr(event, spec.name)
        if spec.name in type(event).hashed_defaults:
            default = type(event).hashed_defaults[spec.name]
        elif spec.default is not dataclasses.MISSING:
            default = spec.default
        elif spec.default_factory is not dataclasses.MISSING:
            default = spec.default_factory()
        else:
            content[spec.name] = _canonical(value)
            continue
        if not (type(value) is type(default) and bool(value == default)):
            content[spec.name] = _canonical(value)
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def test_the_content_of_every_catalogue_event_is_as_first_defined() -> None:
    events = [event for log in catalogue_logs().values() for event in log]
    events += journey_of(6).log
    assert {type(e).__name__ for e in events} >= set(recordable_types())
    for event in events:
        assert canonical_content(event) == _content_as_first_defined(event), event.type_name
        left_out = dataclasses.replace(event, evidence=[], request_id=None)
        assert canonical_content(left_out) == _content_as_first_defined(left_out)


def test_canonical_content_is_the_sorted_compact_json_of_the_event_fields_as_specified(
) -> None:
    # The spec (module docstring): type, every hashed field not at its default, dates ISO,
    # ids strings, actors their fields; keys sorted, no spaces, UTF-8 unescaped.
    event = journey_of(2).log[1]
    expected = {
        "type": "EHCNeedsAssessmentRequested",
        "originator_id": str(event.originator_id), "originator_version": 2,
        "timestamp": event.timestamp.isoformat(), "occurred_on": "2024-01-08",
        "actor": dataclasses.asdict(event.actor),  # its fields (child_id too, when None)
        "prev_hash": event.prev_hash,
        **{f.name: getattr(event, f.name) for f in dataclasses.fields(event)
           if f.name not in ("originator_id", "originator_version", "timestamp",
                             "occurred_on", "actor", "prev_hash", "hash", "originator_topic")
           and getattr(event, f.name) != (
               f.default_factory() if f.default_factory is not dataclasses.MISSING
               else f.default)},
    }
    expected = {k: v.isoformat() if isinstance(v, date) else v for k, v in expected.items()}
    assert canonical_content(event) == json.dumps(
        expected, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    renamed = changed(event, actor=Actor("zoë-1", "caseworker", "LA-901"))
    assert '"user_id":"zoë-1"'.encode() in canonical_content(renamed)
