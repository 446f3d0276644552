"""The current state view and timeline are answered from what was built for the journey
(application.kept_views, issue 17); on both stores, after each write (by this application
or by a second one on the same store), with sealed free text, a correction, a retraction,
a new day and an erased key, the answers equal those built afresh from the events as
stored and revealed whole; pages as at a day, as known at a moment or at a version are
never answered from what was kept and equal their own fresh build."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from application.history import journey_at, timeline
from application.kept_views import kept_views
from application.personal_data import reveal
from application.tracking import CaseTracking
from application.views import journey_view_at
from domain.actors import Actor
from domain.clocks import LocalPolicy
from infrastructure.persistence import event_store_env
from tests.conftest import settings_for
from web.personal_data import vault_for

CASEWORKER = Actor("officer-1", "caseworker", "LA-901")
MANAGER = Actor("manager-1", "manager", "LA-901")
DAY = [date(2024, 9, 2)]

WRITES: list[tuple[str, dict[str, Any], date, Actor]] = [
    ("EHCNeedsAssessmentRequested", {"requester_role": "Parent", "request_source": "1"},
     date(2024, 1, 8), CASEWORKER),
    ("RequestAcknowledged", {}, date(2024, 1, 10), CASEWORKER),
    ("DecisionToAssessMade", {"assessment_test_met": True,
                              "reasons": "Her speech and language needs are unmet."},
     date(2024, 2, 23), CASEWORKER),
    ("FamilyViewsSubmitted", {"author_role": "Parent"}, date(2024, 1, 20), CASEWORKER),
    ("EntryCorrected", {"target_version": 2, "reason": "date stamp misread",
                        "changes": {"occurred_on": date(2024, 1, 9)}}, date(2024, 3, 1),
     MANAGER),
    ("FamilyViewsSubmitted", {"author_role": "Parent"}, date(2024, 2, 1), CASEWORKER),
    ("EntryRetracted", {"target_version": 7, "reason": "entered twice"}, date(2024, 3, 2),
     MANAGER),
]


@pytest.fixture
def apps(tmp_path: Path, store_url: str | None) -> Iterator[list[CaseTracking]]:
    """Two applications on one store with one vault, as two server processes would be."""
    env = event_store_env(store_url, tmp_path)
    vault = vault_for(settings_for(tmp_path, store_url))
    made = [CaseTracking(env=env, today=lambda: DAY[0], vault=vault) for _ in range(2)]
    yield made
    for app in made:
        app.close()
    vault.close()


def fresh(app: CaseTracking, child_id: UUID, actor: Actor, *, as_at: date | None = None,
          known_at: datetime | None = None, version: int | None = None) -> dict[str, Any]:
    """The answer by its definition: the events as stored (a new application: no cache,
    no kept trail), the clock effects folded afresh, everything revealed."""
    cold = CaseTracking(env=app.env, today=lambda: DAY[0], vault=app.vault)
    try:
        journey = cold.repository.get(child_id, version=version)
        log = [e for e in journey.log if known_at is None or e.timestamp <= known_at]
        view, on = journey_view_at(journey, DAY[0], as_at=as_at, known_at=known_at,
                                   policy=cold.policy)
        view["timeline"] = timeline(log, as_at=as_at, on=on, policy=cold.policy)
        view["events_known"] = len(log)
        return reveal(cold.vault, child_id, view, actor)  # type: ignore[no-any-return]
    finally:
        cold.close()


def state_of(answer: dict[str, Any]) -> dict[str, Any]:
    """GET /children/{id}'s answer within GET /children/{id}/journey's."""
    return {k: v for k, v in answer.items() if k not in ("timeline", "events_known")}


def test_the_cached_timeline_equals_the_fresh_one_after_every_change(
        apps: list[CaseTracking]) -> None:
    reader, other = apps
    cache = kept_views(reader)
    child = reader.register_child(authority="LA-901", date_of_birth=date(2015, 3, 2),
                                  actor=CASEWORKER, occurred_on=date(2024, 1, 2)).child_id
    for n, (type_name, payload, on, actor) in enumerate(WRITES):
        apps[n % 2].record_event(child, type_name, payload, occurred_on=on, actor=actor)
        for viewer in (CASEWORKER, MANAGER):
            hits = cache.hits.copy()
            first = journey_at(reader, child, actor=viewer, today=DAY[0])
            again = journey_at(reader, child, actor=viewer, today=DAY[0])
            state = [reader.get_journey(child, actor=viewer) for _ in range(2)]
            # the second read of each (at least) was answered from what was kept
            assert cache.hits["timeline"] >= hits["timeline"] + 1
            assert cache.hits["state"] >= hits["state"] + 2
            expected = fresh(reader, child, viewer)
            assert first == again == expected
            assert state[0] == state[1] == state_of(expected)
    answer = journey_at(reader, child, actor=CASEWORKER, today=DAY[0])
    reasons = next(e for e in answer["timeline"] if e["type"] == "DecisionToAssessMade")
    assert reasons["data"]["reasons"] == "Her speech and language needs are unmet."
    assert any(e["amended_by"] for e in answer["timeline"])
    assert any(not e["in_force"] for e in answer["timeline"])
    assert any(e["clock_effects"] for e in answer["timeline"])

    DAY[0] += timedelta(days=40)  # a new day reads the clocks afresh
    expected = fresh(reader, child, CASEWORKER)
    assert journey_at(reader, child, actor=CASEWORKER, today=DAY[0]) == expected
    assert reader.get_journey(child, actor=CASEWORKER) == state_of(expected)
    assert expected["clocks"] != state_of(fresh(reader, child, CASEWORKER, as_at=on))["clocks"]


def test_past_pages_are_never_the_caches(apps: list[CaseTracking]) -> None:
    reader = apps[0]
    child = reader.register_child(authority="LA-901", date_of_birth=date(2015, 3, 2),
                                  actor=CASEWORKER, occurred_on=date(2024, 1, 2)).child_id
    for type_name, payload, on, actor in WRITES:
        reader.record_event(child, type_name, payload, occurred_on=on, actor=actor)
    journey_at(reader, child, actor=CASEWORKER, today=DAY[0])  # the current one, kept
    cache = kept_views(reader)
    hits = cache.hits.copy()
    moment = reader.repository.get(child).log[4].timestamp
    points: list[dict[str, Any]] = [
        {"as_at": date(2024, 1, 15)}, {"known_at": moment},
        {"as_at": date(2024, 2, 1), "known_at": moment}, {"version": 5},
        {"version": len(WRITES) + 1}, {"as_at": DAY[0]},
        {"known_at": datetime.now(UTC) + timedelta(days=1)}]
    for point in points:
        asked = journey_at(reader, child, actor=CASEWORKER, today=DAY[0], **point)
        assert asked == fresh(reader, child, CASEWORKER, **point), point
        assert reader.get_journey(child, actor=CASEWORKER, **point) == state_of(asked)
    assert cache.hits == hits
    assert journey_at(reader, child, actor=CASEWORKER, today=DAY[0]) == fresh(
        reader, child, CASEWORKER)


def test_an_erased_key_shows_in_a_cached_timeline(apps: list[CaseTracking]) -> None:
    reader = apps[0]
    child = reader.register_child(authority="LA-901", date_of_birth=date(2015, 3, 2),
                                  actor=CASEWORKER, occurred_on=date(2024, 1, 2)).child_id
    for type_name, payload, on, actor in WRITES[:3]:
        reader.record_event(child, type_name, payload, occurred_on=on, actor=actor)
    reader.record_event(child, "ChildViewsRecorded", {  # a sealed reference in the state
        "document_ref": "Her drawing of her class", "method": "drawing",
        "about": "assessment"}, occurred_on=date(2024, 2, 1), actor=CASEWORKER)
    before = journey_at(reader, child, actor=CASEWORKER, today=DAY[0])
    state = reader.get_journey(child, actor=CASEWORKER)
    assert state == reader.get_journey(child, actor=CASEWORKER) == state_of(before)
    assert "Her drawing of her class" in repr(state)
    assert reader.vault is not None and reader.vault.shred(child)  # no event: same log
    after = journey_at(reader, child, actor=CASEWORKER, today=DAY[0])
    assert after == fresh(reader, child, CASEWORKER) != before
    reasons = next(e for e in after["timeline"] if e["type"] == "DecisionToAssessMade")
    assert reasons["data"]["reasons"] == "[erased]"
    erased = reader.get_journey(child, actor=CASEWORKER)
    assert erased == state_of(after) != state
    assert "Her drawing" not in repr(erased) and "[erased]" in repr(erased)


def test_what_is_kept_is_bounded_by_journeys_and_events() -> None:
    from application.kept_views import KeptViews

    views = KeptViews(maxsize=3, max_events=100)
    day, policy = date(2024, 9, 2), LocalPolicy()
    ids = [UUID(int=n) for n in range(1, 6)]
    for n, journey_id in enumerate(ids[:4]):  # a fourth journey drops the first
        assert views.built("state", journey_id, (10 + n, day, policy), lambda n=n: n) == n
    assert views.built("state", ids[0], (10, day, policy), lambda: "again") == "again"
    assert views.built("state", ids[3], (13, day, policy), lambda: "not built") == 3
    views.built("state", ids[4], (95, day, policy), lambda: "long")  # over 100 events
    assert views.built("state", ids[3], (13, day, policy), lambda: "rebuilt") == "rebuilt"
    assert views._events <= 100 or len(views._kept) == 1  # noqa: SLF001
    assert views.built("state", ids[4], (96, day, policy), lambda: "grown") == "grown"
