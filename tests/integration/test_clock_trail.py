"""The current timeline's clock effects come from the trail kept with the cached journey
(domain.clock_trail, issue 17); on both stores, after each write — by this application
or by a second one on the same store (the cache fast-forwards), an event recorded late,
a correction — they equal the reference definition (application.history.clock_effects)
over the journey read back from the store, and the timeline's other columns do not
change."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from application.history import clock_effects, journey_at, timeline
from application.tracking import CaseTracking
from domain.actors import Actor
from domain.state import effective_events
from tests.integration.conftest import applications

TODAY = date(2024, 9, 2)
CASEWORKER = Actor("officer-1", "caseworker", "LA-901")
MANAGER = Actor("manager-1", "manager", "LA-901")

WRITES: list[tuple[str, dict[str, Any], date]] = [
    ("EHCNeedsAssessmentRequested", {"requester_role": "Parent", "request_source": "1"},
     date(2024, 1, 8)),
    ("RequestAcknowledged", {}, date(2024, 1, 10)),
    ("DecisionToAssessMade", {"assessment_test_met": True, "reasons": "may have SEN"},
     date(2024, 2, 23)),
    ("FamilyViewsSubmitted", {"author_role": "Parent"}, date(2024, 1, 20)),  # sorts earlier
    ("EntryCorrected", {"target_version": 2, "reason": "date stamp misread",
                        "changes": {"occurred_on": date(2024, 1, 9)}}, date(2024, 3, 1)),
    ("FamilyViewsSubmitted", {"author_role": "Parent"}, date(2024, 2, 1)),
]


@pytest.fixture
def apps(tmp_path: Path, store_url: str | None) -> Iterator[list[CaseTracking]]:
    """Two applications on one store, as two server processes would be."""
    with applications(store_url, tmp_path, TODAY) as made:
        yield made


def effects_of(view: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    return {e["version"]: e["clock_effects"] for e in view["timeline"] if e["clock_effects"]}


def reference(app: CaseTracking, child_id: UUID) -> dict[int, list[dict[str, Any]]]:
    """The reference definition over the events as stored (no cache, no snapshot)."""
    log = [app.mapper.to_domain_event(s) for s in app.recorder.select_events(child_id)]
    return {v: [c.as_dict() for c in changes] for v, changes in clock_effects(
        effective_events(log), TODAY, app.policy).items()}


def test_the_kept_trail_equals_the_reference_after_every_write(
        apps: list[CaseTracking]) -> None:
    reader, other = apps
    child = reader.register_child(authority="LA-901", date_of_birth=date(2015, 3, 2),
                                  actor=CASEWORKER, occurred_on=date(2024, 1, 2)).child_id
    for n, (type_name, payload, on) in enumerate(WRITES):
        writer = apps[n % 2]  # every other write by the second application
        writer.record_event(child, type_name, payload, occurred_on=on,
                            actor=MANAGER if type_name == "EntryCorrected" else CASEWORKER)
        for _read in range(2):  # the second read uses the trail as kept
            view = journey_at(reader, child, actor=CASEWORKER, today=TODAY)
            assert effects_of(view) == reference(other, child)
            assert view["events_known"] == n + 2
    log = list(reader.repository.get(child).log)
    refolded = timeline(log, as_at=None, on=TODAY, policy=reader.policy)
    assert journey_at(reader, child, actor=CASEWORKER, today=TODAY)["timeline"] == refolded
    assert effects_of({"timeline": refolded})  # the journey's clocks did move
