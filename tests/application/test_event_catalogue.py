"""The event catalogue page's facts (application.catalogue) are the enforced ones: every
event type and every declared rule is on it, each rule under the events whose code checks
it, and the roles shown are exactly the roles the recording checks let through."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import pytest

from application import access
from application.catalogue import EventEntry, event_catalogue
from application.errors import ForbiddenError
from application.tracking import CaseTracking
from domain.actors import Actor
from domain.events import EVENT_TYPES, payload_fields
from domain.rules import RULES
from web.schemas import recordable_types

AUTHORITY = "LA-901"
ADVISER = "EP-SERVICE-1"


def entry(type_name: str) -> EventEntry:
    return next(e for e in event_catalogue().events if e.type == type_name)


def test_every_event_type_is_listed_once_with_its_description_and_fields() -> None:
    events = event_catalogue().events
    assert sorted(e.type for e in events) == sorted(EVENT_TYPES)
    for event in events:
        assert event.description, event.type
        assert [(f.name, f.required) for f in event.fields] == [
            (name, required) for name, (_, required) in
            payload_fields(EVENT_TYPES[event.type]).items()], event.type
    fields = {f.name: f for f in entry("EHCNeedsAssessmentRequested").fields}
    assert fields["requester_role"].required
    assert fields["requester_role"].codes == (
        "a code of the requester_roles list (versioned by date; the codes in force on a "
        "day: GET /reference/requester_roles?on=YYYY-MM-DD)",)
    assert fields["request_source"].codes == (
        "a code of the request_sources list (versioned by date; the codes in force on a "
        "day: GET /reference/request_sources?on=YYYY-MM-DD)",)


def test_every_declared_rule_guards_an_event_or_every_recording() -> None:
    catalogue = event_catalogue()
    shown = {r.code for e in catalogue.events for r in e.rules} | {
        r.code for r in catalogue.every_event_rules}
    assert shown == set(RULES)


def test_a_rule_is_shown_under_the_events_whose_code_checks_it() -> None:
    decision = {r.code for r in entry("DecisionToAssessMade").rules}
    assert {"decision-needs-request", "assessment-test-not-recorded"} <= decision
    assert "one-open-request" not in decision
    assert "one-open-request" in {r.code for r in entry("EHCNeedsAssessmentRequested").rules}
    corrected = {r.code for r in entry("EntryCorrected").rules}
    assert {"correction-target-missing", "access-field-not-correctable"} <= corrected
    every = {r.code for r in event_catalogue().every_event_rules}
    assert {"occurred-on-in-future", "journey-closed"} <= every


def _journey() -> Any:
    """What the recording checks read of a journey: its id, authority, advice asked."""
    advice = [SimpleNamespace(id="advice-1", recipient_org=ADVISER)]
    return SimpleNamespace(id=uuid4(), authority=AUTHORITY,
                           state=SimpleNamespace(plan=SimpleNamespace(advice=advice)))


def _actor(role: str, journey: Any) -> Actor:
    organisation = ADVISER if role == "partner" else AUTHORITY
    child = str(journey.id) if role == "family" else None
    return Actor(f"{role}-1", role, organisation, child_id=child)


@pytest.mark.parametrize("type_name", recordable_types())
def test_the_roles_shown_are_the_roles_the_recording_checks_let_record(
        type_name: str) -> None:
    journey = _journey()
    allowed = set()
    for role in sorted(access.ROLES):
        try:
            CaseTracking._check_may_record(  # noqa: SLF001
                _actor(role, journey), journey, type_name,
                {"advice_request_id": "advice-1", "setting_ref": ADVISER})
        except ForbiddenError:
            continue
        allowed.add(role)
    assert set(entry(type_name).roles) == allowed
    assert entry(type_name).recorded_through == "POST /children/{child_id}/events"


def test_events_recorded_by_their_own_use_case_name_its_roles() -> None:
    for role in sorted(access.ROLES):
        registers = role in entry("ChildRegistered").roles
        assigns = role in entry("CaseAssigned").roles
        actor = Actor(f"{role}-1", role, AUTHORITY)
        for check, shown in ((access.check_may_register, registers),
                             (access.check_may_assign, assigns)):
            try:
                check(actor, AUTHORITY)
            except ForbiddenError:
                assert not shown, (check.__name__, role)
            else:
                assert shown, (check.__name__, role)
    assert entry("PersonalDataShredded").roles == ("admin",)
    assert entry("CaseAssigned").recorded_through.startswith("PUT ")
