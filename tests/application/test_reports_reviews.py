"""Reports on hand-built cohorts: reviews overdue, review decisions and amendments, and
phase transfers.

The rules (CFA 2014, SEND Regulations 2014): a plan is reviewed within 12 months of being
made and then of each review (s.44(1)); a plan transferred in from another LA within the
later of 12 months from its last review and 3 months from the transfer (reg 15(5)); the
review decision within 4 weeks of the meeting (reg 20(10)); the amended plan within 8
weeks of the proposed amendments, so at most 12 weeks from the meeting (reg 22(3),
Devon [2022]); a phase transfer plan naming the next setting before 15 February (reg
18(1)(b)) or, from secondary school to post-16, before 31 March (reg 18(1)(a)) of the year
of transfer, so by 14 February or 30 March. Months are calendar months; weeks are 7-day
periods from the day (day 0).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.application.reports_cohort import (
    NOTICE,
    Y2024,
    Y2025,
    World,
    groups,
    kids,
    measure,
    new_plan,
)

PROPOSALS = [{"section": "F", "change": "Add an hour of therapy a week"}]



def transferred_plan(w: World, label: str, born: date, *, on: date, made_on: date,
                     last_reviewed_on: date | None = None, **child: Any) -> None:
    """A child whose plan transferred in from another LA on ``on`` (reg 15)."""
    w.child(label, born, on=on, **child)
    w.rec(label, "PlanTransferredIn", on, old_la="LA-877", original_made_on=made_on,
          last_reviewed_on=last_reviewed_on, named_setting="urn-100002",
          setting_type="MAINSTREAM_ACADEMY")


def hold_review(w: World, label: str, meeting: date, *, scheduled: date, invited: date,
                review_type: str = "annual") -> None:
    w.rec(label, "AnnualReviewScheduled", scheduled, due_by=meeting, review_type=review_type,
          organiser="local_authority")
    w.rec(label, "ReviewInvitationsSent", invited, invitees=["parent", "setting"],
          meeting_on=meeting)
    w.rec(label, "ReviewMeetingHeld", meeting, attendees=["parent", "senco"],
          pfa_discussed=True)


# Annual reviews overdue (s.44(1); reg 15(5)).


def build_reviews_due(w: World) -> None:
    # REVIEWED: plan made (final issued) Mon 13 May 2024; reviewed Thu 1 May 2025, inside
    # the 12 months starting with it (s.44(1)); the next review is due Thu 30 Apr 2026.
    w.child("reviewed", date(2014, 1, 1), sex="M")
    new_plan(w, "reviewed", date(2024, 1, 8), date(2024, 2, 12), date(2024, 2, 14),
             date(2024, 3, 20), date(2024, 5, 13), need="SLCN")
    hold_review(w, "reviewed", date(2025, 5, 1), scheduled=date(2025, 3, 3),
                invited=date(2025, 4, 1))
    # OVERDUE: plan made Mon 12 Feb 2024; the 12 months starting with it end Tue 11 Feb
    # 2025; none held. As at 30 Jun 2025: 17 + 31 + 30 + 31 + 30 = 139 days overdue.
    w.child("overdue", date(2013, 1, 1), sex="F")
    new_plan(w, "overdue", date(2023, 10, 2), date(2023, 11, 6), date(2023, 11, 8),
             date(2023, 12, 13), date(2024, 2, 12), need="ASD")
    # UNDER_5: born 1 Mar 2021, plan made Mon 3 Jun 2024, no review. As at 30 Jun 2025
    # aged 4; due Mon 2 Jun 2025: 28 days overdue, and no review within 6 months
    # (3 Dec 2024; Code 9.178).
    w.child("under_5", date(2021, 3, 1), sex="F")
    new_plan(w, "under_5", date(2024, 1, 15), date(2024, 2, 19), date(2024, 2, 21),
             date(2024, 3, 27), date(2024, 6, 3), need="SLCN", setting_type="EARLY_YEARS_PVI")
    # TRANSFERRED_IN: plan made 15 Jun 2021 elsewhere, last reviewed 10 Mar 2023, came
    # to this LA Mon 2 Oct 2023. First review here due the later of 9 Mar 2024 (12
    # months beginning with the last review) and 1 Jan 2024 (3 months beginning with the
    # transfer): 9 Mar 2024. None held: as at 30 Jun 2025, 22 + 30 + 31 + 30 + 31 + 31 +
    # 30 + 31 + 30 + 31 + 31 + 28 + 31 + 30 + 31 + 30 = 478 days overdue.
    transferred_plan(w, "transferred_in", date(2012, 1, 1), on=date(2023, 10, 2),
                     made_on=date(2021, 6, 15), last_reviewed_on=date(2023, 3, 10), sex="M")
    w.project()


def test_annual_reviews_overdue_as_at_count_transferred_in_first_reviews_on_both_stores(
        stores_world: World) -> None:
    world = stores_world
    build_reviews_due(world)
    total = world.ask("reviews-overdue", date(2025, 6, 30))["total"]
    # Four active plans, three overdue (75.0%).
    assert total["count"] == 4
    assert measure(total, "overdue") == (3, 4, 75.0)
    assert kids(total, "overdue") == world.id("overdue", "under_5", "transferred_in")
    assert kids(total, "under_5") == world.id("under_5")
    # The local policy review of an under-five (K7U, Code 9.178, 6 months by default):
    # UNDER_5's plan made 3 Jun 2024 was due its K7U review on 3 Dec 2024; none held, so
    # it is counted apart from the statutory count, which it does not change.
    assert measure(total, "under_5_no_review_in_6_months") == (1, 1, 100.0)
    # Days overdue: 28, 139, 478 -> median 139, total 645.
    days = total["values"]["days_overdue"]
    assert (days["count"], days["median"], days["total"]) == (3, 139.0, 645.0)
    # As at Mon 10 Feb 2025 (OVERDUE's last day) only the transferred-in plan is overdue
    # (due 9 Mar 2024): 22 + 30 + 31 + 30 + 31 + 31 + 30 + 31 + 30 + 31 + 31 + 10 = 338.
    before = world.ask("reviews-overdue", date(2025, 2, 10))["total"]
    assert kids(before, "overdue") == world.id("transferred_in")
    assert before["values"]["days_overdue"]["total"] == 338.0
    # Filter by primary need: SLCN -> reviewed and under_5, under_5 overdue.
    slcn = world.ask("reviews-overdue", date(2025, 6, 30), primary_need="SLCN")["total"]
    assert measure(slcn, "overdue") == (1, 2, 50.0)
    # Age band filter (age as at the day): under-5 only the youngest.
    young = world.ask("reviews-overdue", date(2025, 6, 30), age_band="under-5")["total"]
    assert young["children"] == world.id("under_5")


# Review decisions (reg 20(10)) and amendments (reg 22(3); Devon).


def build_review_decisions(w: World) -> None:
    # LATE_AMENDMENT: meeting Wed 10 Jan 2024; decision to amend with the proposals Wed 7
    # Feb (28 days: on time, 4.0 weeks); the amended plan was due 8 weeks later, Wed 3
    # Apr (= 12 weeks from the meeting), issued Wed 10 Apr: past 8 weeks and past 12
    # weeks from the meeting; 91 days = 13.0 weeks from the meeting.
    transferred_plan(w, "late_amendment", date(2014, 3, 1), on=date(2023, 3, 1),
                     made_on=date(2022, 6, 1), sex="M")
    hold_review(w, "late_amendment", date(2024, 1, 10), scheduled=date(2023, 11, 1),
                invited=date(2023, 12, 1))
    w.rec("late_amendment", "ReviewDecisionIssued", date(2024, 2, 7), decision="Amend",
          reasons="needs changed", proposed_amendments=PROPOSALS)
    w.rec("late_amendment", "AmendedPlanFinalised", date(2024, 4, 10), sections_changed=["F"],
          notice_includes=NOTICE)
    # EARLY_NOTICE: meeting Wed 10 Jan 2024; decision with proposals after 3 weeks, Wed
    # 31 Jan (3.0 weeks); 8 weeks from it: Wed 27 Mar; amended Wed 3 Apr: past 8 weeks
    # (7 days) but exactly 12 weeks (84 days) from the meeting, so not past 12 weeks.
    transferred_plan(w, "early_notice", date(2014, 3, 1), on=date(2023, 3, 1),
                     made_on=date(2022, 6, 1), sex="F")
    hold_review(w, "early_notice", date(2024, 1, 10), scheduled=date(2023, 11, 1),
                invited=date(2023, 12, 1))
    w.rec("early_notice", "ReviewDecisionIssued", date(2024, 1, 31), decision="Amend",
          reasons="needs changed", proposed_amendments=PROPOSALS)
    w.rec("early_notice", "AmendedPlanFinalised", date(2024, 4, 3), sections_changed=["F"],
          notice_includes=NOTICE)
    # LATE_DECISION: meeting Wed 6 Mar 2024 (due Wed 3 Apr); decision to maintain Wed
    # 17 Apr = 6.0 weeks: past 4 weeks.
    transferred_plan(w, "late_decision", date(2013, 3, 1), on=date(2023, 3, 1),
                     made_on=date(2022, 6, 1), sex="F")
    hold_review(w, "late_decision", date(2024, 3, 6), scheduled=date(2024, 1, 8),
                invited=date(2024, 2, 1))
    w.rec("late_decision", "ReviewDecisionIssued", date(2024, 4, 17), decision="Maintain",
          reasons="plan still right", notice_includes=NOTICE)
    # NO_DECISION: meeting Wed 5 Jun 2024, due Wed 3 Jul; no decision. Not yet past as at
    # 30 Jun 2024; past as at 31 Jul 2024.
    transferred_plan(w, "no_decision", date(2012, 3, 1), on=date(2023, 3, 1),
                     made_on=date(2022, 6, 1), sex="M")
    hold_review(w, "no_decision", date(2024, 6, 5), scheduled=date(2024, 4, 1),
                invited=date(2024, 5, 1))
    w.project()


def test_review_decisions_past_4_weeks_and_amendments_past_12_weeks(world: World) -> None:
    build_review_decisions(world)
    answer = world.ask("review-decisions", date(2024, 12, 31), breakdown="step", **Y2024)
    total = answer["total"]
    # Four reviews and two amendments.
    assert total["count"] == 6
    assert measure(total, "review") == (4, 6, 66.7)
    assert kids(total, "decision_issued") == world.id("late_amendment", "early_notice",
                                                      "late_decision")
    # Past 4 weeks: late_decision (6 weeks) and no_decision (still none): 2 of 4.
    assert measure(total, "decision_past_4_weeks") == (2, 4, 50.0)
    assert kids(total, "decision_past_4_weeks") == world.id("late_decision", "no_decision")
    assert measure(total, "amendment_finalised") == (2, 2, 100.0)
    assert measure(total, "amendment_past_8_weeks") == (2, 2, 100.0)
    assert measure(total, "amendment_past_12_weeks_from_meeting") == (1, 2, 50.0)
    assert kids(total, "amendment_past_12_weeks_from_meeting") == world.id("late_amendment")
    # Weeks to decision: 4.0, 3.0, 6.0 -> median 4.0; meeting to amendment 13.0, 12.0.
    values = total["values"]
    assert (values["weeks_to_decision"]["median"], values["weeks_to_decision"]["mean"]) == (
        4.0, 4.33)
    assert values["weeks_meeting_to_amendment"]["mean"] == 12.5
    steps = groups(answer)
    assert (steps["review_decision"]["count"], steps["amendment"]["count"]) == (4, 2)
    # As at Sun 30 Jun 2024 no_decision is not yet past its 3 July due date; and as at
    # Tue 2 Apr 2024 neither amendment was past 12 weeks from its meeting (3 Apr);
    # early_notice's was past its 8 weeks (27 Mar), late_amendment's not (3 Apr).
    june = world.ask("review-decisions", date(2024, 6, 30), **Y2024)["total"]
    assert kids(june, "decision_past_4_weeks") == world.id("late_decision")
    april = world.ask("review-decisions", date(2024, 4, 2), **Y2024)["total"]
    assert measure(april, "amendment_past_12_weeks_from_meeting") == (0, 2, 0.0)
    assert kids(april, "amendment_past_8_weeks") == world.id("early_notice")
    assert measure(april, "amendment_finalised") == (0, 2, 0.0)
    # Filter by sex: F -> early_notice (review and amendment) and late_decision.
    girls = world.ask("review-decisions", date(2024, 12, 31), sex="F", **Y2024)["total"]
    assert girls["count"] == 3
    assert girls["children"] == world.id("early_notice", "late_decision")


# Phase transfers (reg 18).


def phase_transfer(w: World, label: str, born: date, transfer_type: str, transfer_on: date,
                   finalised_on: date | None) -> None:
    transferred_plan(w, label, born, on=date(2023, 3, 1), made_on=date(2022, 6, 1), sex="M")
    w.rec(label, "PhaseTransferIdentified", date(2024, 9, 2), transfer_type=transfer_type,
          transfer_on=transfer_on)
    hold_review(w, label, date(2024, 11, 20), scheduled=date(2024, 10, 1),
                invited=date(2024, 10, 30), review_type="phase_transfer")
    w.rec(label, "ReviewDecisionIssued", date(2024, 12, 4), decision="Amend",
          reasons="name the next setting", proposed_amendments=[{"section": "I"}])
    if finalised_on:
        w.rec(label, "PhaseTransferPlanFinalised", finalised_on, sections_changed=["I"],
              notice_includes=NOTICE, named_setting="urn-100009",
              setting_type="MAINSTREAM_ACADEMY")


def build_phase_transfers(w: World) -> None:
    # IN_TIME: primary to secondary on 1 Sep 2025: due "before 15 February", so Fri 14 Feb
    # 2025; finalised Fri 14 Feb: in time.
    phase_transfer(w, "in_time", date(2014, 3, 1), "primary_to_secondary",
                   date(2025, 9, 1), date(2025, 2, 14))
    # THREE_DAYS_LATE: the same, finalised Mon 17 Feb: 3 days late.
    phase_transfer(w, "three_days_late", date(2014, 4, 1), "primary_to_secondary",
                   date(2025, 9, 1), date(2025, 2, 17))
    # NOT_YET: secondary to post-16 on 1 Sep 2025: due "before 31 March", so Sun 30 Mar
    # 2025 (reg 18(1)(a)); never finalised. Pending as at 30 Mar; as at 30 Jun,
    # 1 + 30 + 31 + 30 = 92 days late.
    phase_transfer(w, "not_yet", date(2009, 5, 1), "secondary_to_post16",
                   date(2025, 9, 1), None)
    w.project()


def test_phase_transfers_missing_15_february_or_31_march(world: World) -> None:
    build_phase_transfers(world)
    answer = world.ask("phase-transfers", date(2025, 6, 30), breakdown="deadline", **Y2025)
    total = answer["total"]
    assert total["count"] == 3
    assert kids(total, "finalised_by_deadline") == world.id("in_time")
    assert measure(total, "missed_deadline") == (2, 3, 66.7)
    assert kids(total, "missed_deadline") == world.id("three_days_late", "not_yet")
    assert measure(total, "pending") == (0, 3, 0.0)
    # Days late: 3 and 92 -> median 47.5.
    assert total["values"]["days_late"]["median"] == 47.5
    deadlines = groups(answer)
    assert set(deadlines) == {"2025-02-14", "2025-03-30"}
    assert deadlines["2025-03-30"]["children"] == world.id("not_yet")
    # As at Sun 30 Mar 2025 the post-16 transfer is still pending (due that day).
    march = world.ask("phase-transfers", date(2025, 3, 30), **Y2025)["total"]
    assert kids(march, "pending") == world.id("not_yet")
    assert kids(march, "missed_deadline") == world.id("three_days_late")
    # As at Fri 14 Feb 2025: in_time done, three_days_late still pending (not yet late).
    feb = world.ask("phase-transfers", date(2025, 2, 14), **Y2025)["total"]
    assert kids(feb, "pending") == world.id("three_days_late", "not_yet")
    assert measure(feb, "missed_deadline")[0] == 0
    # Deadlines in 2024: none.
    assert world.ask("phase-transfers", date(2025, 6, 30), **Y2024)["total"]["count"] == 0
    by_type = groups(world.ask("phase-transfers", date(2025, 6, 30),
                               breakdown="transfer_type", **Y2025))
    assert measure(by_type["primary_to_secondary"], "missed_deadline") == (1, 2, 50.0)
