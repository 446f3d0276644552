"""Properties of the journey that hold for any sequence of commands (hypothesis).

Commands are drawn from templates over the catalogue; refused ones are dropped, as a
case worker's would be. Whatever was accepted must replay to the same state, survive the
store's JSON round trip and snapshots, leave every invariant true, be correctable and
reversibly so, and replay "as known at" any past moment exactly as it then stood.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.tracking import CaseTracking
from domain.actors import Actor
from domain.errors import DomainError
from domain.journey import ChildJourney
from domain.state import replay

LA = Actor("caseworker-1", "caseworker", "LA-901")
START = date(2023, 9, 4)
TODAY = date(2026, 1, 31)
NOTICE = ["appeal_rights", "time_limits", "mediation", "disagreement_resolution",
          "information_advice"]

TEMPLATES: list[tuple[str, dict[str, Any]]] = [
    ("EHCNeedsAssessmentRequested", {"requester_role": "Parent", "request_source": "1"}),
    ("EHCNeedsAssessmentRequested", {"requester_role": "SchoolOrPost16OnBehalf",
                                     "request_source": "2"}),
    ("ChildBroughtToLAAttention", {"brought_by": "health_visitor"}),
    ("RequestAcknowledged", {}),
    ("FamilyViewsSubmitted", {"author_role": "parent"}),
    ("PartnersNotifiedOfConsideration", {"icb_notified_on": None, "no_setting": True,
                                         "social_care_notified_on": None}),
    ("DecisionToAssessMade", {"assessment_test_met": True, "reasons": "may have SEN"}),
    ("DecisionNotToAssessMade", {"reasons": "SEN support", "notice_includes": NOTICE}),
    ("AssessmentRequestWithdrawn", {"withdrawn_by": "parent", "reason": "moved"}),
    ("TimescaleExceptionClaimed", {"clock": "K1", "ground": "absent_from_area_4_weeks",
                                   "family_informed": True}),
    ("TimescaleExceptionClaimed", {"clock": "K4", "ground": "waiting_list",
                                   "family_informed": False}),
    ("SENSupportRecorded", {"setting_urn": "100001", "needs": [{"code": "SLCN", "rank": 1}]}),
]

command = st.tuples(st.integers(0, len(TEMPLATES) - 1), st.integers(0, 400))
commands = st.lists(command, min_size=1, max_size=25)


def payload_for(index: int, on: date) -> tuple[str, dict[str, Any]]:
    type_name, template = TEMPLATES[index]
    payload = copy.deepcopy(template)
    if type_name == "PartnersNotifiedOfConsideration":
        payload.update(icb_notified_on=on, social_care_notified_on=on)
    if type_name == "TimescaleExceptionClaimed":
        payload.update(period_from=on, period_to=on + timedelta(days=35))
    if type_name == "SENSupportRecorded":
        payload.update(start_on=on)
    return type_name, payload


def run(steps: list[tuple[int, int]]) -> tuple[ChildJourney, list[Any]]:
    """Apply the commands, keeping the accepted ones; return the journey and live states."""
    journey = ChildJourney.register(authority="LA-901", date_of_birth=date(2014, 6, 1),
                                    actor=LA, occurred_on=START, today=TODAY)
    live = [(journey.log[-1].timestamp, copy.deepcopy(journey.state))]
    for index, offset in steps:
        on = START + timedelta(days=offset)
        type_name, payload = payload_for(index, on)
        try:
            journey.record(type_name, payload, actor=LA, occurred_on=on, today=TODAY)
        except DomainError:
            continue
        live.append((journey.log[-1].timestamp, copy.deepcopy(journey.state)))
    return journey, live


def check_invariants(journey: ChildJourney) -> None:
    state = journey.state
    assert state.anomalies == []
    open_requests = [r for r in state.assessment.requests if r.is_open]
    assert len(open_requests) <= 1
    for request in state.assessment.requests:
        if request.decision_on is not None:
            assert request.decision_on >= request.received_on
        if request.decision == "not_assess":
            assert not request.is_open
    for claim in state.exception_claims:
        assert claim.ground != "waiting_list"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands)
def test_accepted_commands_leave_every_invariant_true_and_replay_to_the_same_state(
        steps: list[tuple[int, int]]) -> None:
    journey, _ = run(steps)
    check_invariants(journey)
    assert replay(journey.log) == journey.state


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands, st.integers(1, 30))
def test_stored_events_and_snapshot_plus_tail_rebuild_the_same_journey(
        steps: list[tuple[int, int]], snapshot_at: int) -> None:
    journey, _ = run(steps)
    app = CaseTracking(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, today=lambda: TODAY)
    try:
        app.save(journey)
        from_events = app.repository.get(journey.id)
        assert from_events.log == journey.log
        assert from_events.state == journey.state
        app.take_snapshot(journey.id, version=min(snapshot_at, journey.version))
        from_snapshot = app.repository.get(journey.id)
        assert from_snapshot.state == journey.state
        assert from_snapshot.version == journey.version
    finally:
        app.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands, st.data())
def test_corrections_are_reversible(steps: list[tuple[int, int]], data: st.DataObject) -> None:
    journey, _ = run(steps)
    if journey.version < 2:
        return
    before = copy.deepcopy(journey.state)
    target = journey.log[data.draw(st.integers(1, journey.version - 1))]
    shift = data.draw(st.integers(-20, 20).filter(lambda d: d != 0))
    moved = target.occurred_on + timedelta(days=shift)
    if target.originator_version == 1 or moved > TODAY or moved < date(2014, 6, 1):
        return
    try:
        journey.record("EntryCorrected", {"target_version": target.originator_version,
                                           "changes": {"occurred_on": moved},
                                           "reason": "date misread"},
                       actor=LA, occurred_on=TODAY, today=TODAY)
    except DomainError:
        assert journey.state == before  # a refused correction changes nothing
        return
    correction = journey.version
    journey.record("EntryRetracted", {"target_version": correction, "reason": "undo"},
                   actor=LA, occurred_on=TODAY, today=TODAY)
    assert journey.state == before
    journey.record("EntryRetracted", {"target_version": journey.version, "reason": "redo"},
                   actor=LA, occurred_on=TODAY, today=TODAY)
    journey.record("EntryCorrected", {"target_version": target.originator_version,
                                       "changes": {"occurred_on": target.occurred_on},
                                       "reason": "back as first recorded"},
                   actor=LA, occurred_on=TODAY, today=TODAY)
    assert journey.state == before


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands)
def test_known_at_shows_the_journey_exactly_as_it_then_stood(
        steps: list[tuple[int, int]]) -> None:
    journey, live = run(steps)
    timestamps = [moment for moment, _ in live]
    for moment, state in live:
        if timestamps.count(moment) > 1:
            continue  # two events in one microsecond: "known at" cannot split them
        known = journey.known_at(moment)
        assert known == state
        recorded_later = [e for e in journey.log if e.timestamp > moment]
        assert all(e.originator_version > len(journey.log) - len(recorded_later)
                   for e in recorded_later)
