"""Reports on hand-built cohorts: placements, ceased plans, corrections, the area picture,
inspectors' pseudonyms, and the same answers on PostgreSQL.

The rules: the final plan within 20 weeks of the request (SEND Regs reg 13(2)); a
decision whether to assess within 6 weeks (reg 5(1)), advice within 6 weeks (reg 8(1));
the no-plan notice within 16 weeks (reg 10(1)); a plan ceases only after the 2-month
appeal window on the decision to cease (Tribunal Rules r.20; a deadline in August moves
to the first working day of September); DfE's area figures count requests received,
plans issued and plans ceased in the calendar year, and plans active on the SEN2 census
day, the third Thursday of the following January. Weeks are 7-day periods from day 0.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from application.errors import ForbiddenError
from application.reports import UnknownReportError
from domain.actors import Actor
from tests.application.reports_cohort import (
    AUTHORITY,
    INSPECTORATE,
    LATER,
    NOTICE,
    Y2024,
    Y2025,
    World,
    advice_back,
    ask_advice,
    assess,
    groups,
    issue,
    kids,
    measure,
    new_plan,
    refuse,
    request,
    world_on,
)

INSPECTOR = Actor("hmi-1", "inspector", INSPECTORATE)



def transferred_plan(w: World, label: str, born: date, *, on: date, last_reviewed_on: date,
                     need: str, **child: Any) -> None:
    """A plan transferred in on ``on`` (reg 15), its notice sent within 6 weeks (reg
    15(4)), its first review due here the later of 12 months from ``last_reviewed_on``
    and 3 months from the transfer (reg 15(5))."""
    from datetime import timedelta

    w.child(label, born, on=on, **child)
    w.rec(label, "PlanTransferredIn", on, old_la="LA-877", original_made_on=date(2021, 6, 15),
          last_reviewed_on=last_reviewed_on, named_setting="urn-100002",
          setting_type="MAINSTREAM_ACADEMY")
    w.rec(label, "TransferNoticeIssued", on + timedelta(days=14), will_assess=False)
    w.rec(label, "NeedsRecorded", on, needs=[{"code": need, "rank": 1}])


def cease(w: World, label: str, proposed: date, decided: date, ceased: date,
          reason: str = "2") -> None:
    w.rec(label, "CeasingProposed", proposed, ground="no_longer_necessary",
          family_informed_on=proposed, family_consulted=True, head_consulted=True)
    w.rec(label, "CeaseDecisionIssued", decided, ground="no_longer_necessary",
          reasons="Outcomes achieved", recipients=["family", "icb", "setting"],
          notice_includes=NOTICE)
    w.rec(label, "PlanCeased", ceased, cease_reason=reason)


# Children with a plan and no full-time placement (reference section 8, question 14).


def test_children_without_a_full_time_placement(world: World) -> None:
    w = world
    # FULL: plan made Mon 13 May 2024, full-time at Elm Primary from that day.
    w.child("full", date(2016, 1, 1), sex="M")
    new_plan(w, "full", date(2024, 1, 8), date(2024, 2, 12), date(2024, 2, 14),
             date(2024, 3, 20), date(2024, 5, 13), need="SLCN")
    w.rec("full", "PlacementStarted", date(2024, 5, 13), urn="100001")
    # GAP: plan transferred in Mon 2 Oct 2023, full-time at Hillside from then; excluded
    # Sat 1 Mar 2025 (its last day); out of school 4-15 Mar; EOTAS from Tue 18 Mar, 15
    # hours. As at 30 Jun 2025, the year looked at is 30 Jun 2024 - 30 Jun 2025 (366
    # days); full time until 1 Mar 2025: 31 + 31 + 30 + 31 + 30 + 31 + 31 + 28 + 1 + 1 =
    # 245 days (both ends counted); without: 366 - 245 = 121 days (2 Mar - 30 Jun).
    transferred_plan(w, "gap", date(2010, 5, 10), on=date(2023, 10, 2),
                     last_reviewed_on=date(2023, 3, 10), need="SEMH", sex="F")
    hillside = w.rec("gap", "PlacementStarted", date(2023, 10, 2), urn="100002")
    w.rec("gap", "PlacementEnded", date(2025, 3, 1), placement_id=f"placement-{hillside}",
          reason="Permanent exclusion")
    w.rec("gap", "ChildOutOfSchoolRecorded", date(2025, 3, 4), reason="Permanently excluded",
          until_on=date(2025, 3, 15), hours_offered_per_week=5.0)
    w.rec("gap", "EOTASArranged", date(2025, 3, 18), hours_per_week=15.0,
          reason="Awaiting a placement")
    # PART: plan made Mon 20 May 2024; at Elm Primary part time from that day: never
    # full time. As at 30 Jun 2025: 366 days without.
    w.child("part", date(2015, 1, 1), sex="M")
    new_plan(w, "part", date(2024, 1, 15), date(2024, 2, 19), date(2024, 2, 21),
             date(2024, 3, 27), date(2024, 5, 20), need="SLCN")
    w.rec("part", "PlacementStarted", date(2024, 5, 20), urn="100001", attendance="part_time")
    # NO_PLAN: a request, no plan: not in the question.
    w.child("no_plan", date(2015, 1, 1), sex="M")
    request(w, "no_plan", date(2024, 1, 8))
    w.project()

    total = w.ask("placements", LATER)["total"]
    assert total["children"] == w.id("full", "gap", "part")
    assert measure(total, "without_full_time_placement_now") == (2, 3, 66.7)
    assert kids(total, "without_full_time_placement_now") == w.id("gap", "part")
    assert kids(total, "without_full_time_placement_in_period") == w.id("gap", "part")
    assert kids(total, "out_of_school_in_period") == w.id("gap")
    assert kids(total, "part_time_or_eotas_in_period") == w.id("gap", "part")
    days = total["values"]["days_without_full_time_placement"]
    assert (days["count"], days["total"], days["median"]) == (2, 487.0, 243.5)
    # As at Fri 28 Feb 2025 (the year from 28 Feb 2024): gap still at Hillside; part
    # without since its plan, 20 May 2024 - 28 Feb 2025: 11 + 30 + 31 + 31 + 30 + 31 +
    # 30 + 31 + 31 + 28 + 1 = 285 days.
    feb = w.ask("placements", date(2025, 2, 28))["total"]
    assert kids(feb, "without_full_time_placement_now") == w.id("part")
    assert feb["values"]["days_without_full_time_placement"]["total"] == 285.0
    # Filter by setting type: the academy named in gap's plan.
    academy = w.ask("placements", LATER, setting_type="MAINSTREAM_ACADEMY")["total"]
    assert academy["children"] == w.id("gap")


# Ceased plans by reason (s.45; regs 29-31; SEN2 cease reasons).


def test_ceased_plans_by_reason_and_age(world: World) -> None:
    w = world
    # JULY: transferred in 2 Oct 2023 (review here due 10 Mar 2024); ceasing proposed Fri
    # 1 Mar 2024, decided Tue 2 Apr (window: 2 months, Sun 2 Jun 2024), ceased Wed 31 Jul
    # 2024, reason 2; born 1 Mar 2006: 18 on ceasing.
    transferred_plan(w, "july", date(2006, 3, 1), on=date(2023, 10, 2),
                     last_reviewed_on=date(2023, 6, 1), need="MLD", sex="F")
    cease(w, "july", date(2024, 3, 1), date(2024, 4, 2), date(2024, 7, 31))
    # SEPTEMBER: decided Mon 3 Jun 2024; 2 months is Sat 3 Aug, in August, so the window
    # runs to the first working day of September, Mon 2 Sep; ceased Tue 10 Sep 2024,
    # reason 2; born 1 Feb 2008: 16 on ceasing.
    transferred_plan(w, "september", date(2008, 2, 1), on=date(2023, 10, 2),
                     last_reviewed_on=date(2023, 9, 1), need="SEMH", sex="M")
    cease(w, "september", date(2024, 5, 1), date(2024, 6, 3), date(2024, 9, 10))
    # NEXT_YEAR: ceased Mon 3 Mar 2025 for paid employment (reason 4... recorded as the
    # plan no longer being necessary here, reason 2 kept simple), born 1 Jan 2007: 18.
    transferred_plan(w, "next_year", date(2007, 1, 1), on=date(2023, 10, 2),
                     last_reviewed_on=date(2023, 9, 1), need="SLCN", sex="M")
    cease(w, "next_year", date(2024, 11, 1), date(2024, 12, 2), date(2025, 3, 3))
    w.project()

    answer = w.ask("ceased", LATER, breakdown="month", **Y2024)
    total = answer["total"]
    assert total["children"] == w.id("july", "september")
    # The domain refuses a cease inside the appeal window: none ceased with it open.
    assert measure(total, "ceased_while_appeal_window_open") == (0, 2, 0.0)
    ages = total["values"]["age_at_ceasing"]
    assert (ages["count"], ages["mean"], ages["median"]) == (2, 17.0, 17.0)
    months = groups(answer)
    assert months["2024-07"]["children"] == w.id("july")
    assert months["2024-09"]["children"] == w.id("september")
    by_reason = groups(w.ask("ceased", LATER, breakdown="reason", **Y2024))
    assert set(by_reason) == {"2"} and by_reason["2"]["count"] == 2
    # As at Sat 31 Aug 2024 only july's plan had ceased.
    assert w.ask("ceased", date(2024, 8, 31), **Y2024)["total"]["children"] == w.id("july")
    assert w.ask("ceased", LATER, **Y2025)["total"]["children"] == w.id("next_year")
    # Filter: sex M in 2024 -> september.
    assert w.ask("ceased", LATER, sex="M", **Y2024)["total"]["children"] == w.id(
        "september")


# Corrections that changed a clock's outcome (reference section 8, question 21).


def test_corrections_that_make_a_plan_late_and_no_longer_late(world: World) -> None:
    w = world
    # BECOMES_LATE: recorded as received Mon 5 Feb 2024 (week 20 = Mon 24 Jun), the plan
    # issued Mon 24 Jun: on time. On Mon 6 Jan 2025 a manager corrects the received
    # date to Mon 29 Jan 2024: week 20 = Mon 17 Jun, so the plan is 7 days late (K4 met
    # -> late). The decision (Mon 11 Mar) was then due Mon 11 Mar: still met.
    w.child("becomes_late", date(2015, 1, 1), sex="F")
    received = request(w, "becomes_late", date(2024, 2, 5))
    assess(w, "becomes_late", date(2024, 3, 11))
    for advice_id in ask_advice(w, "becomes_late", date(2024, 3, 13), "Parent",
                                "Educational", "Medical", "Psychological").values():
        advice_back(w, "becomes_late", advice_id, date(2024, 4, 17))
    issue(w, "becomes_late", date(2024, 6, 24))
    w.rec("becomes_late", "EntryCorrected", date(2025, 1, 6), role="manager",
          target_version=received, changes={"occurred_on": date(2024, 1, 29)},
          reason="Date stamp misread")
    # NO_LONGER_LATE: recorded as received Mon 4 Mar 2024 (week 20 = Mon 22 Jul), the
    # plan issued Mon 5 Aug: 14 days late. On Mon 10 Feb 2025 corrected to Mon 18 Mar
    # 2024: week 20 = Mon 5 Aug, the plan on time (K4 late -> met). The decision (Mon 8
    # Apr) was due 15 Apr, then 29 Apr: met either way.
    w.child("no_longer_late", date(2014, 1, 1), sex="M")
    received = request(w, "no_longer_late", date(2024, 3, 4))
    assess(w, "no_longer_late", date(2024, 4, 8))
    for advice_id in ask_advice(w, "no_longer_late", date(2024, 4, 10), "Parent",
                                "Educational", "Medical", "Psychological").values():
        advice_back(w, "no_longer_late", advice_id, date(2024, 5, 15))
    issue(w, "no_longer_late", date(2024, 8, 5))
    w.rec("no_longer_late", "EntryCorrected", date(2025, 2, 10), role="manager",
          target_version=received, changes={"occurred_on": date(2024, 3, 18)},
          reason="The request was in fact received on 18 March")
    w.project()

    answer = w.ask("corrections", LATER, breakdown="clock", **Y2025)
    total = answer["total"]
    assert total["count"] == 2
    assert kids(total, "changed") == w.id("becomes_late", "no_longer_late")
    assert kids(total, "became_late") == w.id("becomes_late")
    assert kids(total, "no_longer_late") == w.id("no_longer_late")
    assert {k: g["count"] for k, g in groups(answer).items()} == {"K4": 1 + 1}
    by_change = groups(w.ask("corrections", LATER, breakdown="change", **Y2025))
    assert by_change["met->late"]["children"] == w.id("becomes_late")
    assert by_change["late->met"]["children"] == w.id("no_longer_late")
    assert set(groups(w.ask("corrections", LATER, breakdown="user", **Y2025))) == {
        "manager-1"}
    # An inspector sees the children and the staff who corrected only by pseudonym.
    w.inspecting = True
    seen = w.ask("corrections", LATER, actor=INSPECTOR, breakdown="user", **Y2025)
    assert seen["total"]["children"] == w.pseudonyms("becomes_late", "no_longer_late")
    [group] = seen["groups"]
    assert group["key"].startswith("pseudo-") and "manager-1" not in repr(seen)
    # As at Fri 31 Jan 2025 only the first correction had been made.
    jan = w.ask("corrections", date(2025, 1, 31), **Y2025)["total"]
    assert kids(jan, "changed") == w.id("becomes_late")
    # The timeliness report reads the record as corrected: 2024 plans, both 20 weeks
    # from the corrected dates: becomes_late 29 Jan -> 24 Jun = 147 days = 21.0 weeks,
    # late; no_longer_late 18 Mar -> 5 Aug = 140 days = 20.0 weeks, on time.
    plans = w.ask("timeliness", LATER, **Y2024)["total"]
    assert kids(plans, "within_20_weeks") == w.id("no_longer_late")
    assert kids(plans, "late_without_exception") == w.id("becomes_late")
    assert plans["values"]["weeks_to_issue"]["mean"] == 20.5


# The area picture for 2024 (census Thursday 16 January 2025).


def build_area(w: World) -> None:
    # ON_TIME: received Mon 8 Jan 2024, assessed 12 Feb (due 19 Feb), final Mon 13 May:
    # 126 days = 18 weeks (week 20 = 27 May). SLCN, MAINSTREAM_LA.
    w.child("on_time", date(2016, 1, 1), sex="M")
    new_plan(w, "on_time", date(2024, 1, 8), date(2024, 2, 12), date(2024, 2, 14),
             date(2024, 3, 20), date(2024, 5, 13), need="SLCN")
    # LA_LATE: received Mon 4 Mar 2024; decided Mon 22 Apr, 7 days after its 15 Apr due
    # date; advice asked 24 Apr, all back 29 May (due 5 Jun); final Mon 5 Aug: 154 days
    # = 22 weeks, 14 days past week 20 (22 Jul), no advice late: the LA's 14 days.
    w.child("la_late", date(2014, 1, 1), sex="F")
    new_plan(w, "la_late", date(2024, 3, 4), date(2024, 4, 22), date(2024, 4, 24),
             date(2024, 5, 29), date(2024, 8, 5), need="ASD", setting_type="MAINSTREAM_ACADEMY")
    # HEALTH_LATE: received Mon 4 Mar 2024 (week 20 = 22 Jul); assessed 8 Apr; advice
    # asked Wed 10 Apr (due 22 May); medical advice back Wed 24 Jul: 63 days late; final
    # Mon 12 Aug: 161 days = 23 weeks, 21 days past week 20, all 21 within the medical
    # advice's 63 late days: health's part.
    w.child("health_late", date(2013, 1, 1), sex="M")
    request(w, "health_late", date(2024, 3, 4))
    assess(w, "health_late", date(2024, 4, 8))
    ids = ask_advice(w, "health_late", date(2024, 4, 10), "Parent", "Educational", "Medical",
                     "Psychological")
    for kind, advice_id in ids.items():
        advice_back(w, "health_late", advice_id,
                    date(2024, 7, 24) if kind == "Medical" else date(2024, 5, 15))
    issue(w, "health_late", date(2024, 8, 12), draft_on=date(2024, 7, 25), need="SLCN")
    # REFUSED: received Mon 4 Mar 2024 by the school, refused Mon 15 Apr (on the day).
    w.child("refused", date(2015, 1, 1), sex="F")
    request(w, "refused", date(2024, 3, 4), role="SchoolOrPost16OnBehalf", source="2")
    refuse(w, "refused", date(2024, 4, 15))
    # NO_PLAN: received Mon 15 Jan 2024, assessed 19 Feb (due 26 Feb); no plan, notified
    # Wed 1 May (16 weeks = Mon 6 May).
    w.child("no_plan", date(2016, 6, 1), sex="M")
    request(w, "no_plan", date(2024, 1, 15))
    assess(w, "no_plan", date(2024, 2, 19))
    for advice_id in ask_advice(w, "no_plan", date(2024, 2, 21), "Parent", "Educational",
                                "Medical", "Psychological").values():
        advice_back(w, "no_plan", advice_id, date(2024, 3, 27))
    w.rec("no_plan", "DecisionNotToIssuePlanMade", date(2024, 5, 1),
          reasons="Needs can be met from SEN support", notice_includes=NOTICE,
          feedback_shared=True, icb_notified=True, head_notified=True)
    # WITHDRAWN: received Mon 9 Sep 2024, withdrawn 30 Sep.
    w.child("withdrawn", date(2017, 1, 1), sex="F")
    request(w, "withdrawn", date(2024, 9, 9))
    w.rec("withdrawn", "AssessmentRequestWithdrawn", date(2024, 9, 30), withdrawn_by="parent",
          reason="Moved school")
    # UNDECIDED: received Mon 2 Dec 2024 (due Mon 13 Jan 2025), no decision.
    w.child("undecided", date(2018, 1, 1), sex="M")
    request(w, "undecided", date(2024, 12, 2))
    # OLD: plan transferred in Wed 2 Oct 2024 (review here due the later of 1 Mar 2025
    # and 2 Jan 2025), SEMH, an academy: active on census day, no clock due in 2024 late.
    transferred_plan(w, "old", date(2012, 1, 1), on=date(2024, 10, 2),
                     last_reviewed_on=date(2024, 3, 1), need="SEMH", sex="F")
    # CEASED: transferred in 2 Oct 2023 (first review here due 1 Sep 2024), ceased Wed 31
    # Jul 2024 (decided 2 Apr; window to 2 Jun), reason 2.
    transferred_plan(w, "ceased", date(2010, 1, 1), on=date(2023, 10, 2),
                     last_reviewed_on=date(2023, 9, 1), need="MLD", sex="M")
    cease(w, "ceased", date(2024, 3, 1), date(2024, 4, 2), date(2024, 7, 31))
    w.project()


def test_area_picture_for_2024(world: World) -> None:
    build_area(world)
    w = world
    area = w.area(2024, LATER)
    # Figures are as at the census day at the latest: Thu 16 Jan 2025.
    assert (area["census_on"], area["as_at"]) == (date(2025, 1, 16), date(2025, 1, 16))
    requests = area["requests"]
    # Received in 2024: on_time, la_late, health_late, refused, no_plan, withdrawn,
    # undecided = 7; decided 5 (4 to assess, 1 refused).
    assert requests["received"]["count"] == 7
    assert requests["decided_to_assess"]["children"] == w.id("on_time", "la_late",
                                                             "health_late", "no_plan")
    assert requests["decided_not_to_assess"]["children"] == w.id("refused")
    assert requests["withdrawn"]["children"] == w.id("withdrawn")
    assert requests["no_decision_yet"]["children"] == w.id("undecided")
    # Within 6 weeks: all decided but la_late: 4 of 5 = 80.0%; refusals 1 of 5 = 20.0%.
    assert requests["decided_within_6_weeks"]["count"] == 4
    assert (requests["percent_within_6_weeks"], requests["refusal_rate"]) == (80.0, 20.0)
    # Assessments ending in 2024: 3 plans and 1 decision not to issue.
    assessments = area["assessments"]
    assert (assessments["completed"]["count"], assessments["plan_issued"]["count"]) == (4, 3)
    assert assessments["plan_not_issued"]["children"] == w.id("no_plan")
    plans = area["new_plans"]
    # 3 plans, 1 within 20 weeks: 33.3%, the same without exceptions (none claimed).
    assert plans["issued"]["count"] == 3
    assert plans["within_20_weeks"]["children"] == w.id("on_time")
    assert plans["percent_within_20_weeks"] == 33.3
    assert plans["excluding_exceptions"]["percent_within_20_weeks"] == 33.3
    assert plans["over_20_weeks_within_a_year"]["count"] == 2
    assert plans["over_a_year"]["count"] == 0
    # Weeks: 18, 22, 23 -> mean 21.0, median 22.0.
    assert (plans["mean_weeks_to_issue"], plans["median_weeks_to_issue"]) == (21.0, 22.0)
    # Active on 16 Jan 2025: the three new plans and old; ceased had ceased.
    active = area["active_plans"]
    assert active["children"] == w.id("on_time", "la_late", "health_late", "old")
    assert {k: v["count"] for k, v in active["by_primary_need"].items()} == {
        "ASD": 1, "SEMH": 1, "SLCN": 2}
    assert {k: v["count"] for k, v in active["by_setting_type"].items()} == {
        "MAINSTREAM_ACADEMY": 2, "MAINSTREAM_LA": 2}
    assert {k: v["count"] for k, v in active["by_sex"].items()} == {"F": 2, "M": 2}
    # Ages on the census day: 9 (on_time), 11 (la_late), 12 (health_late), 13 (old).
    assert {k: v["count"] for k, v in active["by_age_band"].items()} == {
        "11-15": 3, "5-10": 1}
    assert area["ceased_plans"]["by_reason"] == {"2": {"count": 1,
                                                       "children": w.id("ceased")}}
    # Each body's part of the late plans: la_late's 14 days the LA's; health_late's 21
    # days health's (its medical advice was 63 days late).
    late = area["delays"]["late_plans_by_body"]
    assert late["local_authority"] == {"plans": 1, "days": 14.0, "children": w.id("la_late")}
    assert late["health"] == {"plans": 1, "days": 21.0, "children": w.id("health_late")}
    # Clock episodes due in 2024 and late: the LA's K1 (la_late, 7 days) and two K4s
    # (14 and 21 days): 42 days; health's medical advice (K2, 63 days). 42 + 63 = 105.
    bodies = area["delays"]["by_body"]
    assert bodies["local_authority"]["by_clock"] == {"K1": 1, "K4": 2}
    assert bodies["local_authority"]["days_late"] == 42.0
    assert bodies["health"]["by_clock"] == {"K2": 1}
    assert bodies["health"]["share_of_days_late"] == 60.0
    assert set(bodies) == {"local_authority", "health"}
    # As at Sat 10 Aug 2024: received by then on_time, la_late, health_late, refused,
    # no_plan (withdrawn came 9 Sep, undecided 2 Dec), all decided; plans issued by
    # then on_time and la_late (health_late's came 12 Aug), 1 of 2 within = 50.0%; the
    # assessments ended: those two and no_plan; ceased (31 Jul) counted.
    august = w.area(2024, date(2024, 8, 10))
    assert august["as_at"] == date(2024, 8, 10)
    assert august["requests"]["received"]["children"] == w.id(
        "on_time", "la_late", "health_late", "refused", "no_plan")
    assert august["requests"]["no_decision_yet"]["count"] == 0
    assert august["new_plans"]["issued"]["children"] == w.id("on_time", "la_late")
    assert august["new_plans"]["percent_within_20_weeks"] == 50.0
    assert august["assessments"]["completed"]["count"] == 3
    assert august["ceased_plans"]["children"] == w.id("ceased")
    assert w.area(2024, date(2024, 7, 30))["ceased_plans"]["count"] == 0


# Inspectors: pseudonyms only, and only while inspecting.


def test_inspectors_see_pseudonyms_and_no_child_ids(world: World) -> None:
    build_area(world)
    w = world
    with pytest.raises(ForbiddenError):
        w.ask("timeliness", LATER, actor=INSPECTOR, **Y2024)
    w.inspecting = True
    answer = w.ask("timeliness", LATER, actor=INSPECTOR, breakdown="sex", **Y2024)
    assert answer["pseudonymous"] is True
    assert answer["total"]["children"] == w.pseudonyms("on_time", "la_late", "health_late")
    assert kids(answer["total"], "within_20_weeks") == w.pseudonyms("on_time")
    area = w.area(2024, LATER, actor=INSPECTOR)
    assert area["pseudonymous"] is True
    assert area["requests"]["decided_not_to_assess"]["children"] == w.pseudonyms("refused")
    assert area["delays"]["late_plans_by_body"]["health"]["children"] == w.pseudonyms(
        "health_late")
    corrections = w.ask("corrections", LATER, actor=INSPECTOR, breakdown="user")
    text = repr(answer) + repr(area) + repr(corrections) + repr(
        w.ask("disputes", LATER, actor=INSPECTOR, **Y2024))
    for child_id in w.ids.values():
        assert str(child_id) not in text
    # The same figures as the manager's.
    manager = w.ask("timeliness", LATER, breakdown="sex", **Y2024)
    assert measure(manager["total"], "within_20_weeks") == measure(
        answer["total"], "within_20_weeks") == (1, 3, 33.3)
    # Managers ask of their own authority only; a caseworker not at all; unknown
    # breakdowns are refused.
    with pytest.raises(ForbiddenError):
        w.ask("timeliness", LATER, actor=Actor("manager-2", "manager", "LA-999"))
    with pytest.raises(ForbiddenError):
        w.ask("timeliness", LATER, actor=Actor("cw-1", "caseworker", AUTHORITY))
    with pytest.raises(UnknownReportError):
        w.ask("timeliness", LATER, breakdown="adviser_type")


# The same on PostgreSQL.


@pytest.mark.postgres
def test_area_picture_and_questions_on_postgresql(tmp_path: Path,
                                                  postgres_schema_url: str) -> None:
    with world_on(tmp_path, postgres_schema_url) as w:
        build_area(w)
        area = w.area(2024, LATER)
        assert area["requests"]["received"]["count"] == 7
        assert area["new_plans"]["percent_within_20_weeks"] == 33.3
        assert area["active_plans"]["children"] == w.id("on_time", "la_late", "health_late",
                                                        "old")
        assert area["delays"]["late_plans_by_body"]["health"]["days"] == 21.0
        decisions = w.ask("decisions", date(2025, 1, 16), **Y2024)["total"]
        assert measure(decisions, "within_6_weeks") == (4, 7, 57.1)
        assert measure(decisions, "refused") == (1, 5, 20.0)
        advice = w.ask("advice", LATER, breakdown="adviser_type", **Y2024)
        assert kids(advice["total"], "pushed_plan_past_week_20") == w.id("health_late")
        ceased = w.ask("ceased", LATER, **Y2024)["total"]
        assert ceased["children"] == w.id("ceased")
