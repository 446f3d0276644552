"""The inspection aggregate and the access rules that read it (no I/O)."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from application import access
from application.errors import ForbiddenError
from domain.actors import Actor
from domain.inspection import Inspection, InspectionError

HMI = Actor("hmi-1", "inspector", "OFSTED-CQC")
START, END = date(2025, 3, 3), date(2025, 3, 14)


def opened() -> Inspection:
    return Inspection.open(authority="LA-901", inspectorate="OFSTED-CQC", starts_on=START,
                           ends_on=END, theme=None, actor=HMI, today=START)


class Samples:
    def __init__(self, inspection: Inspection, today: date) -> None:
        self.inspection, self.today = inspection, today

    def tracks(self, inspectorate: str, authority: str, child_id: UUID) -> bool:
        i = self.inspection
        return (i.inspectorate == inspectorate and i.authority == authority
                and i.is_active(self.today) and i.tracks(child_id))


def test_the_window_runs_from_its_first_to_its_last_day_inclusive() -> None:
    inspection = opened()
    assert [inspection.is_active(d) for d in (date(2025, 3, 2), START, END,
                                              date(2025, 3, 15))] == [False, True, True, False]


@pytest.mark.parametrize("starts_on, ends_on, code", [
    (END, START, "inspection-window-order"),
    (date(2025, 1, 1), date(2026, 6, 1), "inspection-window-length"),
    (date(2024, 1, 1), date(2024, 12, 31), "inspection-window-past"),
])
def test_a_window_backwards_or_over_a_year_is_refused(starts_on: date, ends_on: date,
                                                       code: str) -> None:
    with pytest.raises(InspectionError) as refused:
        Inspection.open(authority="LA-901", inspectorate="X", starts_on=starts_on,
                        ends_on=ends_on, theme=None, actor=HMI, today=date(2025, 1, 1))
    assert refused.value.code == code


def test_selecting_adds_only_new_children_and_records_one_event_per_selection() -> None:
    inspection = opened()
    first, second = uuid4(), uuid4()
    assert inspection.select([first], theme=None, actor=HMI, today=START) == [first]
    assert inspection.select([first, second, second], theme="EHC plans", actor=HMI,
                             today=START) == [second]
    assert inspection.select([first], theme=None, actor=HMI, today=START) == []
    assert inspection.sampled == [first, second]
    assert [type(e).__name__ for e in inspection.collect_events()] == [
        "Opened", "ChildrenSelected", "ChildrenSelected"]


def test_no_child_is_added_after_the_window_closes() -> None:
    with pytest.raises(InspectionError, match="inspection-closed"):
        opened().select([uuid4()], theme=None, actor=HMI, today=date(2025, 3, 15))


def test_an_inspector_reads_a_sampled_child_of_the_inspected_authority_only_in_the_window(
        ) -> None:
    inspection = opened()
    child = uuid4()
    inspection.select([child], theme=None, actor=HMI, today=START)
    access.check_may_read(HMI, "LA-901", child_id=child, samples=Samples(inspection, END))
    for actor, authority, child_id, today in (
            (HMI, "LA-901", child, date(2025, 3, 15)),  # window closed
            (HMI, "LA-901", uuid4(), START),  # not sampled
            (HMI, "LA-902", child, START),  # another authority
            (Actor("hmi-2", "inspector", "ELSEWHERE"), "LA-901", child, START),
    ):
        with pytest.raises(ForbiddenError):
            access.check_may_read(actor, authority, child_id=child_id,
                                  samples=Samples(inspection, today))
    with pytest.raises(ForbiddenError):
        access.check_may_read(HMI, "LA-901")  # no sample lookup: denied by default


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditors_and_admins_do_not_read_journeys(role: str) -> None:
    with pytest.raises(ForbiddenError):
        access.check_may_read(Actor("u", role, "LA-901"), "LA-901")


def test_auditors_read_any_history_and_admins_none() -> None:
    access.check_may_read_history(Actor("a", "auditor", "NATIONAL"), "LA-901")
    with pytest.raises(ForbiddenError):
        access.check_may_read_history(Actor("a", "admin", "LA-901"), "LA-901")


def test_a_purpose_unlocks_identifiers_for_auditors_only_when_stated() -> None:
    auditor = Actor("a", "auditor", "NATIONAL")
    assert not access.unlocks_identifiers(auditor, None)
    assert not access.unlocks_identifiers(auditor, "   ")
    assert access.unlocks_identifiers(auditor, "complaint: 2024/17 review")
    key = b"k" * 32
    assert access.pseudonym("carol", key) == access.pseudonym("carol", key)
    assert access.pseudonym("carol", key) != access.pseudonym("carol", b"j" * 32)
