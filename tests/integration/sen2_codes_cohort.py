"""A cohort for SEN2 2025 that uses every code of every list casetrack can produce.

Made-up children and dates. Collection 2025: activity in 2024, census Thursday 16
January 2025. Plans are mostly transferred in (their request and assessment are
historical, H, as the guide says for an importing LA), which keeps each child short;
the request-stage codes come from requests made in 2024. What each child must show is
beside it; tests/integration/test_sen2_codes.py checks it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from application.tracking import CaseTracking
from tests.integration.sen2_cohort import (
    NOTICE,
    Child,
    assess_and_advise,
    issue_plan,
    record,
    register,
)

REVIEW_NOTICE = NOTICE
NEEDS_2024 = ("SPLD", "MLD", "SLD", "PMLD", "SEMH", "SLCN", "HI", "VI", "MSI", "PD", "ASD",
              "OTH")


def transferred_in(app: CaseTracking, label: str, on: date, *, made_on: date = date(2021, 6, 1),
                   last_reviewed_on: date | None = None, born: date = date(2012, 5, 5),
                   sex: str = "F") -> Child:
    child = register(app, label, born, date(2021, 1, 4), sex=sex)
    record(app, child, "PlanTransferredIn", on, old_la="LA-877", original_made_on=made_on,
           last_reviewed_on=last_reviewed_on, named_setting="urn-100020",
           setting_type="MAINSTREAM_LA_RP",
           sections={"I": {"setting_ref": "urn-100020", "setting_type": "MAINSTREAM_LA_RP"}})
    return child


def placement(app: CaseTracking, child: Child, on: date, **payload: Any) -> None:
    record(app, child, "PlacementStarted", on, **payload)


def needs(app: CaseTracking, child: Child, on: date, codes: tuple[str, ...]) -> None:
    record(app, child, "NeedsRecorded", on,
           needs=[{"code": code, "rank": rank} for rank, code in enumerate(codes, start=1)])


def review(app: CaseTracking, child: Child, held: date, decision: str, **extra: Any) -> None:
    record(app, child, "AnnualReviewScheduled", held.replace(day=1), due_by=held,
           review_type="annual", organiser="local_authority")
    record(app, child, "ReviewMeetingHeld", held, attendees=["family", "school"],
           pfa_discussed=True)
    notice = {} if decision == "Amend" else {"notice_includes": REVIEW_NOTICE}
    record(app, child, "ReviewDecisionIssued", extra.pop("decided"), decision=decision,
           reasons="Reviewed", **notice, **extra)


def cease(app: CaseTracking, child: Child, reason: str, decided: date, ceased: date) -> None:
    if reason != "8":
        record(app, child, "CeasingProposed", decided.replace(day=1),
               ground="no_longer_necessary", family_informed_on=decided.replace(day=1),
               family_consulted=True, head_consulted=True, wishes_established=True,
               outcomes_considered=True)
        record(app, child, "CeaseDecisionIssued", decided, ground="no_longer_necessary",
               reasons="Outcomes met", recipients=["family", "institution", "icb"],
               notice_includes=NOTICE)
    record(app, child, "PlanCeased", ceased, cease_reason=reason)


def build_codes(app: CaseTracking) -> dict[str, Child]:  # noqa: PLR0915 (one child a stanza)
    c: dict[str, Child] = {}

    # TRANSFERRED_IN (TransferLA 877, from the configured numbers): plan made 1 Jun 2021,
    # moved here 1 Mar 2024. Placements: URN 100010 rank 1, residential A, work-based;
    # OLA rank 2. Needs: the twelve 2024 codes ranked 1-12. Review held 1 Oct 2024,
    # maintained, notified 15 Oct 2024 (ReviewOutcome M, LastReview 2024-10-15).
    x = c["transferred_in"] = transferred_in(app, "transferred_in", date(2024, 3, 1),
                                             last_reviewed_on=date(2023, 11, 1))
    placement(app, x, date(2024, 3, 4), urn="100010", rank=1, residential="A",
              work_based=True)
    placement(app, x, date(2024, 3, 4), sen_setting="OLA", rank=2)
    needs(app, x, date(2024, 3, 4), NEEDS_2024)
    review(app, x, date(2024, 10, 1), "Maintain", decided=date(2024, 10, 15))

    # PHASE_AND_DRAFT: transferred in 1 Jun 2023 (before the period: no TransferLA).
    # Phase transfer primary to secondary on 2 Sep 2024 identified 2 Oct 2023: K12 due
    # before 15 Feb 2024 (14 Feb, reg 18(1)(b)), plan naming the next setting finalised
    # 12 Feb 2024. Review held 1 May 2024, decision to amend notified 22 May 2024
    # (ReviewOutcome A, ReviewDraft and LastReview 2024-05-22). Placement URN 100011
    # residential B; need DS (2025 list), recorded 6 Jan 2025.
    x = c["phase_and_draft"] = transferred_in(app, "phase_and_draft", date(2023, 6, 1),
                                              born=date(2013, 3, 3), sex="M")
    placement(app, x, date(2023, 6, 5), urn="100011", rank=1, residential="B")
    record(app, x, "PhaseTransferIdentified", date(2023, 10, 2),
           transfer_type="primary_to_secondary", transfer_on=date(2024, 9, 2))
    record(app, x, "AmendmentNoticeIssued", date(2024, 1, 5),
           setting_request_right=True, meeting_right=True, trigger="reg28",
           proposed_amendments=[{"section": "I", "change": "Secondary school"}])
    record(app, x, "PhaseTransferPlanFinalised", date(2024, 2, 12), sections_changed=["I"],
           notice_includes=NOTICE, named_setting="urn-100012", setting_type="MAINSTREAM_LA")
    review(app, x, date(2024, 5, 1), "Amend", decided=date(2024, 5, 20),
           notified_on=date(2024, 5, 22),
           proposed_amendments=[{"section": "F", "change": "More therapy"}])
    needs(app, x, date(2025, 1, 6), ("DS",))

    # One active plan per remaining setting code (transferred in 2022, nothing else in
    # the period but the placement): OPA, EHE, EYP, OTH, NEET, NIEO; NIEC with a review
    # proposing to cease (ReviewOutcome C).
    for setting in ("OPA", "EHE", "EYP", "OTH", "NEET", "NIEO", "NIEC"):
        x = c[f"setting_{setting}"] = transferred_in(app, f"setting_{setting}",
                                                     date(2022, 2, 1))
        placement(app, x, date(2024, 4, 1), sen_setting=setting, rank=1)
        needs(app, x, date(2024, 4, 1), ("SEMH",))
    review(app, c["setting_NIEC"], date(2024, 6, 3), "CeaseProposal",
           decided=date(2024, 6, 20))

    # Ceased in 2024 for each reason but transfer (5): decision 1 Mar, ceased 3 Jun 2024
    # (after the two months to appeal); deceased (8) needs no decision. Born 2 Jan 1999:
    # 25 before the cease, as reaching the maximum age (1) needs.
    for reason in ("1", "2", "3", "4", "6", "7", "8", "9"):
        x = c[f"ceased_{reason}"] = transferred_in(app, f"ceased_{reason}", date(2022, 2, 1),
                                                   born=date(1999, 1, 2))
        cease(app, x, reason, date(2024, 3, 1), date(2024, 6, 3))

    # EXPORTED: a plan transferred in 2022; a new request (source 3, health) on 8 Apr
    # 2024 still open when the child moves away on 1 Jul 2024 and the plan transfers
    # out that day: Exported 1 on the request (outcome A), CeaseReason 5 on the plan.
    x = c["exported"] = transferred_in(app, "exported", date(2022, 2, 1))
    record(app, x, "EHCNeedsAssessmentRequested", date(2024, 4, 8), requester_role="Parent",
           request_source="3")
    record(app, x, "MoveNotified", date(2024, 5, 20), move_on=date(2024, 7, 1),
           new_la="LA-877")
    record(app, x, "PlanTransferredOut", date(2024, 7, 1), new_la="LA-877")

    # NOT_ISSUED: request (source 4, social care) 10 Jan 2024, assessed 15 Feb, decision
    # not to issue notified 3 Jun 2024 (AssessmentOutcome N, 2024-06-03).
    x = c["not_issued"] = register(app, "not_issued", date(2015, 2, 2), date(2024, 1, 2))
    record(app, x, "EHCNeedsAssessmentRequested", date(2024, 1, 10), requester_role="Parent",
           request_source="4")
    assess_and_advise(app, x, date(2024, 2, 15), date(2024, 3, 25))
    record(app, x, "DecisionNotToIssuePlanMade", date(2024, 6, 3), reasons="Needs met",
           notice_includes=NOTICE)

    # ISSUING: request (source 2) 1 Jul 2024, assessed 12 Aug, decided to issue 4 Nov
    # 2024, no plan by 31 Dec: AssessmentOutcome Y with no date.
    x = c["issuing"] = register(app, "issuing", date(2016, 7, 7), date(2024, 1, 2))
    record(app, x, "EHCNeedsAssessmentRequested", date(2024, 7, 1),
           requester_role="SchoolOrPost16OnBehalf", request_source="2")
    assess_and_advise(app, x, date(2024, 8, 12), date(2024, 9, 20))
    record(app, x, "DecisionToIssuePlanMade", date(2024, 11, 4),
           necessity_reasons="Needs cannot be met from SEN support")

    # ASSESSING (UN1: born 2020, under 6, no UPN): brought to the LA's attention
    # (RequestSource 5) 1 Oct 2024, decided to assess 11 Nov 2024, nothing since:
    # AssessmentOutcome A.
    x = c["assessing"] = register(app, "assessing", date(2020, 5, 1), date(2024, 1, 2))
    record(app, x, "ChildBroughtToLAAttention", date(2024, 10, 1), brought_by="health visitor")
    record(app, x, "DecisionToAssessMade", date(2024, 11, 11), assessment_test_met=True,
           reasons="May need a plan")

    # ASSESSMENT_WITHDRAWN (UN10 when its vault record has no UPN: no further action):
    # request 5 Feb 2024, assessed 11 Mar, withdrawn 2 Apr 2024 (AssessmentOutcome W).
    x = c["assessment_withdrawn"] = register(app, "assessment_withdrawn", date(2014, 8, 8),
                                             date(2024, 1, 2))
    record(app, x, "EHCNeedsAssessmentRequested", date(2024, 2, 5), requester_role="Parent",
           request_source="1")
    record(app, x, "DecisionToAssessMade", date(2024, 3, 11), assessment_test_met=True,
           reasons="May need a plan")
    record(app, x, "AssessmentRequestWithdrawn", date(2024, 4, 2), withdrawn_by="parent",
           reason="Family moved abroad")
    # ISSUED_IN_JANUARY: request 1 Aug 2024 (source 1), assessed 9 Sep, decided to issue
    # 2 Dec 2024, final plan 8 Jan 2025, placement 15 Jan: active on the census day.
    # As at 31 Dec 2024 the assessment is Y without a date; the plan (starting 8 Jan
    # 2025) and its ActivePlans hang under that request.
    x = c["issued_in_january"] = register(app, "issued_in_january", date(2013, 9, 9),
                                          date(2024, 1, 2))
    record(app, x, "EHCNeedsAssessmentRequested", date(2024, 8, 1), requester_role="Parent",
           request_source="1")
    assess_and_advise(app, x, date(2024, 9, 9), date(2024, 10, 21))
    issue_plan(app, x, date(2024, 12, 2), date(2025, 1, 8), urn="100030")
    return c
