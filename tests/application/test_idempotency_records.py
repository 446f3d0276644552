"""A write keeps its answer to an idempotency key by saving the record's creating event,
built without the aggregate (``IdempotencyRecord.recorded``): it must be stored exactly as
the aggregate's own event is, and load as the same record."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

from application.idempotency import IdempotencyRecord, record_id
from application.tracking import CaseTracking
from domain.actors import Actor

CHILD = UUID("0f6b2d1e-3c4a-4b5d-8e9f-a0b1c2d3e4f5")
ANSWER: dict[str, Any] = {
    "child_id": CHILD, "version": 3,
    "event": {"version": 3, "type": "DecisionToAssessMade", "occurred_on": date(2024, 2, 5),
              "recorded_at": datetime(2024, 6, 1, 9, 30, tzinfo=UTC),
              "actor": {"user_id": "officer-1", "role": "caseworker",
                        "organisation": "LA-901"},
              "evidence": [], "data": {"assessment_test_met": True, "reasons": "sealed:…"}},
    "clocks": [{"clock": "K1", "started_on": date(2024, 1, 8), "due_on": date(2024, 2, 19),
                "stopped_on": date(2024, 2, 5), "status": "on_time", "days_late": 0}],
    "created": {},
}


def test_the_recorded_event_is_stored_as_the_aggregates_own_creating_event() -> None:
    app = CaseTracking(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        aggregate_event = IdempotencyRecord(
            "LA-901:officer-1", "ab" * 32, "hmac-sha256:cd", ANSWER).collect_events()[0]
        direct = IdempotencyRecord.recorded("LA-901:officer-1", "ab" * 32, "hmac-sha256:cd",
                                            ANSWER)
        assert type(direct) is type(aggregate_event)
        assert direct.timestamp >= aggregate_event.timestamp  # made now, as the library does
        object.__setattr__(direct, "timestamp", aggregate_event.timestamp)
        assert list(vars(direct)) == list(vars(aggregate_event))
        assert app.mapper.to_stored_event(direct) == app.mapper.to_stored_event(aggregate_event)
    finally:
        app.close()


def test_a_saved_recorded_event_loads_as_the_record_the_aggregate_would_have_saved() -> None:
    typed = CaseTracking(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    library = CaseTracking(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        typed.save(IdempotencyRecord.recorded("LA-901:officer-1", "ab" * 32, "fp", ANSWER))
        Application.save(library, IdempotencyRecord("LA-901:officer-1", "ab" * 32, "fp",
                                                    ANSWER))
        ident = record_id(Actor("officer-1", "caseworker", "LA-901"), "ab" * 32)
        kept, expected = typed.repository.get(ident), library.repository.get(ident)
        assert type(kept) is IdempotencyRecord and kept.version == expected.version == 1
        assert (kept.scope, kept.key_hash, kept.fingerprint, kept.answer) == (
            expected.scope, expected.key_hash, expected.fingerprint, expected.answer)
    finally:
        typed.close()
        library.close()
