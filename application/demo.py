"""A small demo cohort of synthetic journeys (made-up references and dates only)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from application.progress import SILENT, Progress
from application.tracking import CaseTracking
from domain.actors import Actor

DEMO_AUTHORITY = "LA-901"

# Each journey: registration details, then (type, occurred_on, payload) steps.
_COHORT: list[tuple[dict[str, Any], list[tuple[str, date, dict[str, Any]]]]] = [
    ({"case_ref": "DEMO-0001", "date_of_birth": date(2016, 5, 4), "sex": "F"}, [
        ("EHCNeedsAssessmentRequested", date(2024, 1, 8),
         {"requester_role": "Parent", "request_source": "1"}),
        ("RequestAcknowledged", date(2024, 1, 10), {}),
        ("DecisionToAssessMade", date(2024, 2, 15), {"reasons": "Evidence of SLCN needs",
                                                     "assessment_test_met": True}),
    ]),
    ({"case_ref": "DEMO-0002", "date_of_birth": date(2013, 11, 20), "sex": "M"}, [
        ("EHCNeedsAssessmentRequested", date(2024, 3, 4),
         {"requester_role": "SchoolOrPost16OnBehalf", "request_source": "2"}),
        ("DecisionNotToAssessMade", date(2024, 4, 22), {
            "reasons": "Needs can be met through SEN support",
            "notice_includes": ["appeal_rights", "time_limits", "mediation",
                                "disagreement_resolution", "information_advice"]}),
    ]),
    ({"case_ref": "DEMO-0003", "date_of_birth": date(2020, 2, 14), "sex": "M"}, [
        ("HealthBodyNotifiedPossibleSEN", date(2024, 5, 20), {"notifying_body": "ICB-DEMO"}),
        ("ChildBroughtToLAAttention", date(2024, 6, 3), {"brought_by": "health_visitor"}),
    ]),
    ({"case_ref": "DEMO-0004", "date_of_birth": date(2012, 9, 30), "sex": "F"}, [
        ("EHCNeedsAssessmentRequested", date(2024, 7, 1),
         {"requester_role": "Parent", "request_source": "1"}),
        ("TimescaleExceptionClaimed", date(2024, 7, 20), {
            "clock": "K1", "ground": "school_closure_window", "period_from": date(2024, 7, 19),
            "period_to": date(2024, 9, 4), "family_informed": True,
            "closure_starts_on": date(2024, 7, 20), "reopens_on": date(2024, 9, 4),
            "advice_requested_on": date(2024, 7, 15)}),
        ("DecisionToAssessMade", date(2024, 8, 30), {"reasons": "Advice received in September",
                                                     "assessment_test_met": True}),
    ]),
    ({"case_ref": "DEMO-0005", "date_of_birth": date(2017, 1, 9), "sex": "M"}, [
        ("EHCNeedsAssessmentRequested", date(2024, 9, 9),
         {"requester_role": "Parent", "request_source": "1"}),
        ("AssessmentRequestWithdrawn", date(2024, 9, 30),
         {"withdrawn_by": "parent", "reason": "Family moved school"}),
    ]),
]


def load_demo_cohort(tracking: CaseTracking, authority: str = DEMO_AUTHORITY,
                     progress: Progress = SILENT) -> list[UUID]:
    """Register the demo journeys and record their steps; return their child ids."""
    actor = Actor("demo-loader", "caseworker", authority)
    child_ids = []
    progress.start("demo journeys", len(_COHORT))
    for registration, steps in _COHORT:
        written = tracking.register_child(authority=authority, actor=actor,
                                          occurred_on=date(2024, 1, 2), **registration)
        for type_name, occurred_on, payload in steps:
            tracking.record_event(written.child_id, type_name, payload, actor=actor,
                                  occurred_on=occurred_on)
        child_ids.append(written.child_id)
        progress.advance()
    return child_ids
