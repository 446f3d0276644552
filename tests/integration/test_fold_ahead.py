"""The fold a command checked its event with is taken by the cached journey when it
fast-forwards that very event (domain.journey.Ahead), on both stores: the next command or
read folds nothing, and the kept state still equals a refold of the log, corrections and
retractions included; a command that lost the store's check to another process leaves a
fold that is never taken for the other process's event."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

import domain.journey
from application.tracking import CaseTracking
from domain.actors import Actor
from domain.state import replay
from tests.integration.conftest import applications

TODAY = date(2024, 6, 3)
CASEWORKER = Actor("officer-1", "caseworker", "LA-901")
REQUEST = {"requester_role": "Parent", "request_source": "1"}


@pytest.fixture
def apps(tmp_path: Path, store_url: str | None) -> Iterator[list[CaseTracking]]:
    """Two applications on one store, as two server processes would be."""
    with applications(store_url, tmp_path, TODAY) as made:
        yield made


@pytest.fixture
def folds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The folds made through domain.journey (whole logs and events folded on)."""
    made: list[str] = []

    def counted(name: str) -> Any:
        original = getattr(domain.journey, name)

        def fold(*args: Any, **kwargs: Any) -> Any:
            made.append(name)
            return original(*args, **kwargs)
        return fold

    for name in ("folded", "folded_onto"):
        monkeypatch.setattr(domain.journey, name, counted(name))
    return made


def record(app: CaseTracking, child: UUID, type_name: str, payload: dict[str, Any],
           on: date, expected_version: int | None = None) -> int:
    return app.record_event(child, type_name, payload, actor=CASEWORKER, occurred_on=on,
                            expected_version=expected_version).version


def test_the_next_load_takes_the_fold_the_command_checked(
        apps: list[CaseTracking], folds: list[str]) -> None:
    app = apps[0]
    child = app.register_child(authority="LA-901", date_of_birth=date(2015, 3, 2),
                               actor=CASEWORKER, occurred_on=date(2024, 1, 2)).child_id
    steps: list[tuple[str, dict[str, Any], date]] = [
        ("EHCNeedsAssessmentRequested", REQUEST, date(2024, 1, 8)),
        ("FamilyViewsSubmitted", {"author_role": "parent"}, date(2024, 1, 10)),
        ("FamilyViewsSubmitted", {"author_role": "carer"}, date(2024, 1, 9)),  # earlier
        ("EntryCorrected", {"target_version": 3, "changes": {"occurred_on": date(
            2024, 1, 11)}, "reason": "date misread"}, TODAY),
        ("EntryRetracted", {"target_version": 5, "reason": "undo"}, TODAY),
        ("DecisionToAssessMade", {"assessment_test_met": True, "reasons": "may have SEN"},
         date(2024, 2, 5)),
    ]
    app.journey_for_update(child)
    for type_name, payload, on in steps:
        version = app.journey_for_update(child).version
        record(app, child, type_name, payload, on, expected_version=version)
        folds.clear()
        kept = app.journey_for_update(child)
        assert folds == [], f"{type_name}: the load folded again"
        assert kept.version == version + 1
        assert kept.state == replay(kept.log), type_name
        assert app.get_journey(child, actor=CASEWORKER)["version"] == version + 1


def test_a_command_that_lost_to_another_process_leaves_a_fold_never_taken(
        apps: list[CaseTracking], monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = apps
    child = first.register_child(authority="LA-901", date_of_birth=date(2015, 3, 2),
                                 actor=CASEWORKER, occurred_on=date(2024, 1, 2)).child_id
    record(first, child, "EHCNeedsAssessmentRequested", REQUEST, date(2024, 1, 8))
    second.journey_for_update(child)  # cached in the second process too
    loads = 0
    load = second._journey  # noqa: SLF001

    def racing(child_id: UUID, version: int | None = None) -> Any:
        """The first process writes between the second's first load and its save."""
        nonlocal loads
        journey = load(child_id, version)
        loads += 1
        if loads == 1:
            record(first, child, "RequestAcknowledged", {}, date(2024, 1, 9))
        return journey

    monkeypatch.setattr(second, "_journey", racing)
    assert record(second, child, "FamilyViewsSubmitted", {"author_role": "parent"},
                  date(2024, 1, 10)) == 4
    assert loads == 2  # lost once, reloaded and re-checked
    for app in (first, second):
        kept = app.journey_for_update(child)
        assert [e.originator_version for e in kept.log] == [1, 2, 3, 4]
        assert kept.state == replay(kept.log)
        request = kept.state.assessment.requests[0]
        assert (request.acknowledged_on, request.views_submitted) == (date(2024, 1, 9), 1)
