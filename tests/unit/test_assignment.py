"""Assignment of a case to a caseworker: recorded as an event, replaced by the next one."""

from __future__ import annotations

from datetime import date

import pytest

from domain.catalogue.governance import Assignment, governance_of
from domain.errors import RuleViolationError
from tests.unit.test_governance import record, registered


@pytest.mark.proves("case-assignment-changes")
def test_a_case_is_assigned_reassigned_and_an_assignment_that_changes_nothing_is_refused(
        ) -> None:
    journey = registered()
    assert governance_of(journey.state).assignment is None
    record(journey, "CaseAssigned", {"assigned_to": "cw-1", "assigned_organisation": "LA-999"},
           date(2026, 5, 1))
    assert governance_of(journey.state).assignment == Assignment("cw-1", "LA-999",
                                                                 date(2026, 5, 1))
    before = journey.version
    with pytest.raises(RuleViolationError) as refused:
        record(journey, "CaseAssigned", {"assigned_to": "cw-1",
                                         "assigned_organisation": "LA-999"})
    assert refused.value.code == "case-assignment-changes"
    assert journey.version == before
    record(journey, "CaseAssigned", {"assigned_to": "cw-1", "assigned_organisation": "LA-999-EAST",
                                     "reason": "moved to the east team"})
    assert governance_of(journey.state).assignment == Assignment(
        "cw-1", "LA-999-EAST", date(2026, 6, 1))
