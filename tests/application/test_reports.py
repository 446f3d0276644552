"""Reports on small hand-built cohorts: timeliness, decisions, exceptions and advice.

Every expected figure is worked out in the comments from the regulations (SEND
Regulations 2014): 6 weeks to decide whether to assess (reg 5(1)), 6 weeks for each
adviser (reg 8(1)), 20 weeks to the final plan (reg 13(2)), the exceptions of regs 5(4),
8(2) and 13(3), which never move a due date but make a late step "late, exception
applies". Weeks are 7-day periods counted from the day the request was received (day
0, docs/rules.md), so "N weeks from Monday" is again a Monday; a step done on its due
date is on time. Cohort helpers: tests/application/reports_cohort.py.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.application.reports_cohort import (
    LATER,
    OTHER_AUTHORITY,
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
)

# 20-week timeliness (reg 13(2)-(3)).


def build_timeliness(w: World) -> None:
    # ON_TIME: received Mon 8 Jan 2024; week 20 = 8 Jan + 140 days = Mon 27 May 2024.
    # Final Mon 13 May 2024 = 126 days = 18 weeks: within.
    w.child("on_time", date(2016, 5, 1), sex="M", ethnicity="WBRI")
    new_plan(w, "on_time", date(2024, 1, 8), date(2024, 2, 12), date(2024, 2, 14),
             date(2024, 3, 20), date(2024, 5, 13), need="SLCN")
    # ON_THE_DAY: received Mon 5 Feb 2024; week 20 = Mon 24 Jun 2024 (Feb 2024 has 29
    # days). Final on that very day: 140 days = 20.0 weeks, within (on time on the day).
    w.child("on_the_day", date(2015, 9, 1), sex="F", ethnicity="BCRB")
    new_plan(w, "on_the_day", date(2024, 2, 5), date(2024, 3, 11), date(2024, 3, 13),
             date(2024, 4, 17), date(2024, 6, 24), need="ASD",
             setting_type="MAINSTREAM_ACADEMY")
    # LATE: received Mon 4 Mar 2024; week 20 = Mon 22 Jul 2024. Final Mon 5 Aug 2024 =
    # 154 days = 22 weeks: 14 days late, no exception.
    w.child("late", date(2013, 1, 20), sex="M", ethnicity="WBRI")
    new_plan(w, "late", date(2024, 3, 4), date(2024, 4, 8), date(2024, 4, 10),
             date(2024, 5, 15), date(2024, 8, 5), need="SLCN")
    # LATE_EXCEPTION: received Mon 1 Apr 2024; week 20 = Mon 19 Aug 2024. Exceptional
    # personal circumstances claimed for K4 (reg 13(3), 10(4)(c)); final Mon 2 Sep 2024 =
    # 154 days = 22 weeks: late, exception applies. The due date stays 19 Aug.
    w.child("late_exception", date(2012, 3, 3), sex="F", ethnicity="WBRI")
    request(w, "late_exception", date(2024, 4, 1))
    assess(w, "late_exception", date(2024, 5, 7))
    for advice_id in ask_advice(w, "late_exception", date(2024, 5, 9), "Parent",
                                "Educational", "Medical", "Psychological").values():
        advice_back(w, "late_exception", advice_id, date(2024, 6, 13))
    w.rec("late_exception", "TimescaleExceptionClaimed", date(2024, 7, 10), clock="K4",
          ground="exceptional_personal_circumstances", period_from=date(2024, 7, 1),
          period_to=date(2024, 7, 31), family_informed=True)
    issue(w, "late_exception", date(2024, 9, 2), need="ASD")
    # OVER_A_YEAR: received Mon 6 Feb 2023 (week 20 = Mon 26 Jun 2023); final Mon 12 Feb
    # 2024 = 371 days = 53 weeks: over 20 weeks and over a year (> 365 days).
    w.child("over_a_year", date(2014, 7, 7), sex="F", ethnicity="WBRI")
    new_plan(w, "over_a_year", date(2023, 2, 6), date(2023, 3, 13), date(2023, 3, 15),
             date(2023, 4, 20), date(2024, 2, 12), need="SLCN")
    # NEXT_YEAR: received Mon 2 Sep 2024 (week 20 = Mon 20 Jan 2025); final Mon 13 Jan
    # 2025 = 133 days = 19 weeks: a 2025 plan, within.
    w.child("next_year", date(2017, 2, 2), sex="M", ethnicity="WBRI")
    new_plan(w, "next_year", date(2024, 9, 2), date(2024, 10, 7), date(2024, 10, 9),
             date(2024, 11, 13), date(2025, 1, 13), need="SLCN")
    # ELSEWHERE: another authority's plan issued in 2024, never in this one's figures.
    w.child("elsewhere", date(2016, 1, 1), sex="M", authority=OTHER_AUTHORITY)
    new_plan(w, "elsewhere", date(2024, 1, 8), date(2024, 2, 12), date(2024, 2, 14),
             date(2024, 3, 20), date(2024, 5, 13))
    w.project()


def test_twenty_week_timeliness_with_and_without_exceptions(world: World) -> None:
    build_timeliness(world)
    answer = world.ask("timeliness", LATER, **Y2024)
    total = answer["total"]
    # Plans issued in 2024: on_time, on_the_day, late, late_exception, over_a_year = 5.
    assert total["count"] == 5
    assert total["children"] == world.id("on_time", "on_the_day", "late", "late_exception",
                                         "over_a_year")
    # Within 20 weeks: on_time and on_the_day, 2 of 5 = 40.0%; over: 3 of 5 = 60.0%.
    assert measure(total, "within_20_weeks") == (2, 5, 40.0)
    assert kids(total, "within_20_weeks") == world.id("on_time", "on_the_day")
    assert measure(total, "over_20_weeks") == (3, 5, 60.0)
    # An exception applied to 1 of 5 (20.0%); without it, 2 of the other 4 within: 50.0%.
    assert measure(total, "exception_applied") == (1, 5, 20.0)
    assert measure(total, "within_20_weeks_excluding_exceptions") == (2, 4, 50.0)
    assert kids(total, "late_without_exception") == world.id("late", "over_a_year")
    assert kids(total, "late_exception_applies") == world.id("late_exception")
    # 154 days for late and late_exception (<= 365); 371 days for over_a_year.
    assert kids(total, "over_20_weeks_within_a_year") == world.id("late", "late_exception")
    assert kids(total, "over_a_year") == world.id("over_a_year")
    # Weeks to issue: 18, 20, 22, 22, 53 -> median 22.0, mean 135 / 5 = 27.0.
    weeks = total["values"]["weeks_to_issue"]
    assert (weeks["count"], weeks["median"], weeks["mean"]) == (5, 22.0, 27.0)


def test_timeliness_breakdowns_filters_and_as_at(world: World) -> None:
    build_timeliness(world)
    by_sex = groups(world.ask("timeliness", LATER, breakdown="sex", **Y2024))
    # M: on_time (within), late -> 1 of 2 = 50.0%. F: on_the_day (within),
    # late_exception, over_a_year -> 1 of 3 = 33.3%.
    assert set(by_sex) == {"M", "F"}
    assert measure(by_sex["M"], "within_20_weeks") == (1, 2, 50.0)
    assert measure(by_sex["F"], "within_20_weeks") == (1, 3, 33.3)
    assert by_sex["F"]["children"] == world.id("on_the_day", "late_exception", "over_a_year")
    by_ground = groups(world.ask("timeliness", LATER, breakdown="exception_ground", **Y2024))
    assert by_ground["exceptional_personal_circumstances"]["children"] == world.id(
        "late_exception")
    assert by_ground[None]["count"] == 4
    # Filter: primary need ASD -> on_the_day (20 weeks, within) and late_exception (22).
    asd = world.ask("timeliness", LATER, primary_need="ASD", **Y2024)
    assert asd["filters"] == {"primary_need": "ASD"}
    assert measure(asd["total"], "within_20_weeks") == (1, 2, 50.0)
    assert asd["total"]["values"]["weeks_to_issue"]["median"] == 21.0
    # Filter: setting type -> only on_the_day's plan names an academy.
    academy = world.ask("timeliness", LATER, setting_type="MAINSTREAM_ACADEMY", **Y2024)
    assert academy["total"]["children"] == world.id("on_the_day")
    # As at Sat 31 Aug 2024 late_exception's plan (2 Sep) is not yet issued: 4 plans,
    # 2 of 4 within = 50.0%, and no exception has applied to an issued plan yet.
    before = world.ask("timeliness", date(2024, 8, 31), **Y2024)["total"]
    assert measure(before, "within_20_weeks") == (2, 4, 50.0)
    assert measure(before, "exception_applied") == (0, 4, 0.0)
    # 2025: next_year only, 19 weeks, within.
    in_2025 = world.ask("timeliness", LATER, **Y2025)["total"]
    assert measure(in_2025, "within_20_weeks") == (1, 1, 100.0)
    assert in_2025["values"]["weeks_to_issue"]["median"] == 19.0
    # The other authority's manager sees only their own plan (week 18).
    other = world.ask("timeliness", LATER, authority=OTHER_AUTHORITY, **Y2024)["total"]
    assert other["children"] == world.id("elsewhere")


# 6-week decisions whether to assess (reg 5(1), 4(1); exceptions reg 5(4)).


def build_decisions(w: World) -> None:
    # IN_TIME: received Mon 8 Jan 2024, 6 weeks = Mon 19 Feb. Assess 12 Feb (5 weeks).
    w.child("in_time", date(2016, 1, 1), sex="M", ethnicity="WBRI")
    request(w, "in_time", date(2024, 1, 8))
    assess(w, "in_time", date(2024, 2, 12))
    # ON_THE_DAY: received Mon 15 Jan 2024 by the school (source 2), due Mon 26 Feb.
    # Refused 26 Feb: within (6.0 weeks), refused.
    w.child("on_the_day", date(2015, 1, 1), sex="F", ethnicity="WBRI")
    request(w, "on_the_day", date(2024, 1, 15), role="SchoolOrPost16OnBehalf", source="2")
    refuse(w, "on_the_day", date(2024, 2, 26))
    # NOTIFIED_LATE: received Mon 22 Jan 2024, due Mon 4 Mar. Decided Fri 1 Mar but
    # notified Fri 8 Mar: the clock stops at the notice (reg 5(1)), 46 days = 6.57
    # weeks, over 6 weeks.
    w.child("notified_late", date(2014, 1, 1), sex="M", ethnicity="BAFR")
    request(w, "notified_late", date(2024, 1, 22))
    assess(w, "notified_late", date(2024, 3, 1), notified_on=date(2024, 3, 8))
    # REFUSED_LATE: received Mon 5 Feb 2024 by the school, due Mon 18 Mar. Exceptional
    # personal circumstances claimed for K1 (reg 5(4)(c)); refused Mon 25 Mar = 7.0
    # weeks: over 6 weeks, exception applied.
    w.child("refused_late", date(2013, 1, 1), sex="F", ethnicity="BAFR")
    request(w, "refused_late", date(2024, 2, 5), role="SchoolOrPost16OnBehalf", source="2")
    w.rec("refused_late", "TimescaleExceptionClaimed", date(2024, 3, 1), clock="K1",
          ground="exceptional_personal_circumstances", period_from=date(2024, 2, 20),
          period_to=date(2024, 3, 20), family_informed=True)
    refuse(w, "refused_late", date(2024, 3, 25))
    # WITHDRAWN: received Mon 4 Mar 2024 (due 15 Apr), withdrawn 20 Mar: no decision due.
    w.child("withdrawn", date(2017, 1, 1), sex="M", ethnicity="WBRI")
    request(w, "withdrawn", date(2024, 3, 4))
    w.rec("withdrawn", "AssessmentRequestWithdrawn", date(2024, 3, 20), withdrawn_by="parent",
          reason="Moved school")
    # UNDECIDED: received Mon 2 Dec 2024, due Mon 13 Jan 2025; no decision yet. As at 31
    # Dec 2024 still in time; as at 31 Jan 2025 over 6 weeks.
    w.child("undecided", date(2018, 1, 1), sex="F", ethnicity="WBRI")
    request(w, "undecided", date(2024, 12, 2))
    w.project()


def test_six_week_decisions_refusals_and_as_at(world: World) -> None:
    build_decisions(world)
    total = world.ask("decisions", date(2024, 12, 31), **Y2024)["total"]
    # Six requests received in 2024; 4 decided (in_time, on_the_day, notified_late,
    # refused_late) = 66.7%.
    assert total["count"] == 6
    assert measure(total, "decided") == (4, 6, 66.7)
    assert kids(total, "within_6_weeks") == world.id("in_time", "on_the_day")
    assert kids(total, "over_6_weeks") == world.id("notified_late", "refused_late")
    # Refusal rate: 2 refused of the 4 decided = 50.0%.
    assert measure(total, "refused") == (2, 4, 50.0)
    assert kids(total, "decided_to_assess") == world.id("in_time", "notified_late")
    assert kids(total, "withdrawn") == world.id("withdrawn")
    assert kids(total, "no_decision_yet") == world.id("undecided")
    assert kids(total, "exception_applied") == world.id("refused_late")
    assert measure(total, "rya")[0] == 0
    # Weeks to decision: 5.0, 6.0, 6.57, 7.0 -> median (6.0 + 6.57) / 2 = 6.29 (6.285),
    # mean 24.57 / 4 = 6.14.
    weeks = total["values"]["weeks_to_decision"]
    assert weeks["count"] == 4 and weeks["median"] == pytest.approx(6.29, abs=0.006)
    assert weeks["mean"] == pytest.approx(6.14, abs=0.006)
    # As at 31 Jan 2025, undecided is past its 13 January due date.
    later = world.ask("decisions", date(2025, 1, 31), **Y2024)["total"]
    assert kids(later, "over_6_weeks") == world.id("notified_late", "refused_late",
                                                   "undecided")
    # As at Thu 7 Mar 2024 notified_late's decision (notified 8 Mar) is not yet made,
    # and it is overdue (due 4 Mar); requests received by then: in_time, on_the_day,
    # notified_late, refused_late, withdrawn (4 Mar).
    early = world.ask("decisions", date(2024, 3, 7), **Y2024)["total"]
    assert early["count"] == 5
    assert kids(early, "no_decision_yet") == world.id("notified_late", "refused_late",
                                                      "withdrawn")
    assert kids(early, "over_6_weeks") == world.id("notified_late")


def test_decisions_by_requester_and_by_ethnicity(world: World) -> None:
    build_decisions(world)
    by_requester = groups(world.ask("decisions", date(2024, 12, 31), breakdown="requester",
                                    **Y2024))
    # The school asked twice (on_the_day, refused_late): both refused, 2 of 2 = 100.0%.
    school = by_requester["SchoolOrPost16OnBehalf"]
    assert measure(school, "refused") == (2, 2, 100.0)
    assert measure(by_requester["Parent"], "refused") == (0, 2, 0.0)
    # Filter by requester: the parents' four requests.
    parents = world.ask("decisions", date(2024, 12, 31), requester="Parent", **Y2024)
    assert parents["total"]["children"] == world.id("in_time", "notified_late", "withdrawn",
                                                    "undecided")
    by_ethnicity = groups(world.ask("decisions", date(2024, 12, 31), breakdown="ethnicity",
                                    **Y2024))
    # BAFR: notified_late (assess, late) and refused_late (refused, late).
    assert measure(by_ethnicity["BAFR"], "over_6_weeks") == (2, 2, 100.0)
    assert measure(by_ethnicity["BAFR"], "refused") == (1, 2, 50.0)


# Exception claims by ground and whether they hold (regs 5(4), 8(2), 13(3)).


def build_exceptions(w: World) -> None:
    # CLOSURE_HOLDS: received Mon 4 Mar 2024, week 20 = Mon 22 Jul 2024. The school closes
    # Mon 22 Jul and reopens Wed 4 Sep (44 days, at least 4 continuous weeks); the window
    # runs from a week before it closes (Mon 15 Jul) to a week before it reopens (Wed 28
    # Aug). The educational advice was asked Wed 17 Jul, inside it: the claim holds.
    w.child("closure_holds", date(2015, 1, 1), sex="M")
    request(w, "closure_holds", date(2024, 3, 4))
    assess(w, "closure_holds", date(2024, 4, 8))
    ask_advice(w, "closure_holds", date(2024, 7, 17), "Educational")
    closure = {"clock": "K4", "ground": "school_closure_window",
               "period_from": date(2024, 7, 17), "period_to": date(2024, 9, 4),
               "family_informed": True, "closure_starts_on": date(2024, 7, 22),
               "reopens_on": date(2024, 9, 4), "advice_requested_on": date(2024, 7, 17)}
    w.rec("closure_holds", "TimescaleExceptionClaimed", date(2024, 7, 18), **closure)
    # CLOSURE_NOT_ASKED: the same claim, but the advice was in fact asked Wed 3 Jul,
    # before the window opened (15 Jul): the claim does not hold against the dates.
    w.child("closure_not_asked", date(2015, 1, 1), sex="F")
    request(w, "closure_not_asked", date(2024, 3, 4))
    assess(w, "closure_not_asked", date(2024, 4, 8))
    ask_advice(w, "closure_not_asked", date(2024, 7, 3), "Educational")
    w.rec("closure_not_asked", "TimescaleExceptionClaimed", date(2024, 7, 18), **closure)
    # WITHDRAWN: a K1 claim made Thu 25 Jan 2024 and withdrawn Thu 1 Feb.
    w.child("withdrawn", date(2016, 1, 1), sex="F")
    request(w, "withdrawn", date(2024, 1, 8))
    claim = w.rec("withdrawn", "TimescaleExceptionClaimed", date(2024, 1, 25), clock="K1",
                  ground="exceptional_personal_circumstances", period_from=date(2024, 1, 15),
                  period_to=date(2024, 2, 10), family_informed=True)
    w.rec("withdrawn", "TimescaleExceptionWithdrawn", date(2024, 2, 1),
          claim_id=f"exception-{claim}", reason="The family were available after all")
    # MISSED_APPOINTMENT: medical advice asked Wed 14 Feb 2024; the child missed the
    # clinic on 4 Mar, a reg 8(2)(c) ground for K2: holds.
    w.child("missed_appointment", date(2014, 1, 1), sex="M")
    request(w, "missed_appointment", date(2024, 1, 8))
    assess(w, "missed_appointment", date(2024, 2, 12))
    medical = ask_advice(w, "missed_appointment", date(2024, 2, 14), "Medical")["Medical"]
    w.rec("missed_appointment", "AdviceDelayExceptionClaimed", date(2024, 3, 5),
          advice_request_id=medical, ground="missed_appointment",
          period_from=date(2024, 3, 4), period_to=date(2024, 3, 4), family_informed=True)
    # IN_2023: a K1 absence claim (reg 5(4)(d)) made Wed 1 Nov 2023: outside 2024.
    w.child("in_2023", date(2013, 1, 1), sex="M")
    request(w, "in_2023", date(2023, 10, 2))
    w.rec("in_2023", "TimescaleExceptionClaimed", date(2023, 11, 1), clock="K1",
          ground="absent_from_area_4_weeks", period_from=date(2023, 10, 9),
          period_to=date(2023, 11, 10), family_informed=True)
    w.project()


def test_exception_claims_by_ground_and_whether_they_hold(world: World) -> None:
    build_exceptions(world)
    answer = world.ask("exceptions", LATER, breakdown="clock", **Y2024)
    total = answer["total"]
    # Claims made in 2024: two closure claims, the withdrawn K1 claim, the K2 claim.
    assert total["count"] == 4
    # Holding: closure_holds and missed_appointment, 2 of 4 = 50.0%.
    assert measure(total, "holds") == (2, 4, 50.0)
    assert kids(total, "holds") == world.id("closure_holds", "missed_appointment")
    assert kids(total, "withdrawn") == world.id("withdrawn")
    assert measure(total, "rejected") == (0, 4, 0.0)
    # Of the 2 closure claims 1 holds (50.0%), 1 is inconsistent with the dates.
    assert measure(total, "closure_claim") == (2, 4, 50.0)
    assert measure(total, "closure_claim_holds") == (1, 2, 50.0)
    assert measure(total, "closure_inconsistent_with_dates") == (1, 2, 50.0)
    assert kids(total, "closure_inconsistent_with_dates") == world.id("closure_not_asked")
    by_clock = groups(answer)
    assert {k: g["count"] for k, g in by_clock.items()} == {"K1": 1, "K2": 1, "K4": 2}
    by_ground = groups(world.ask("exceptions", LATER, breakdown="ground", **Y2024))
    assert by_ground["school_closure_window"]["children"] == world.id("closure_holds",
                                                                      "closure_not_asked")
    assert by_ground["missed_appointment"]["children"] == world.id("missed_appointment")
    # 2023: the absence claim alone, holding.
    in_2023 = world.ask("exceptions", LATER, period_from=date(2023, 1, 1),
                        period_to=date(2023, 12, 31))["total"]
    assert (in_2023["children"], measure(in_2023, "holds")) == (world.id("in_2023"),
                                                                (1, 1, 100.0))
    # As at Wed 31 Jan 2024 only the K1 claim had been made, and it was not withdrawn
    # until Thu 1 Feb: that day it held. From 1 Feb it is withdrawn.
    early = world.ask("exceptions", date(2024, 1, 31), **Y2024)["total"]
    assert early["children"] == world.id("withdrawn")
    assert (measure(early, "holds"), measure(early, "withdrawn")[0]) == ((1, 1, 100.0), 0)
    feb = world.ask("exceptions", date(2024, 2, 1), **Y2024)["total"]
    assert (measure(feb, "holds")[0], kids(feb, "withdrawn")) == (0, world.id("withdrawn"))
    # A closure claim withdrawn later keeps, until then, its verdict against the dates.
    w = world
    w.child("closure_withdrawn", date(2015, 1, 1), sex="F")
    request(w, "closure_withdrawn", date(2024, 3, 4))
    assess(w, "closure_withdrawn", date(2024, 4, 8))
    ask_advice(w, "closure_withdrawn", date(2024, 7, 3), "Educational")  # before 15 Jul
    claim = w.rec("closure_withdrawn", "TimescaleExceptionClaimed", date(2024, 7, 18),
                  clock="K4", ground="school_closure_window", period_from=date(2024, 7, 17),
                  period_to=date(2024, 9, 4), family_informed=True,
                  closure_starts_on=date(2024, 7, 22), reopens_on=date(2024, 9, 4),
                  advice_requested_on=date(2024, 7, 17))
    w.rec("closure_withdrawn", "TimescaleExceptionWithdrawn", date(2024, 9, 2),
          claim_id=f"exception-{claim}", reason="Advice was not asked in the window")
    w.project()
    august = w.ask("exceptions", date(2024, 8, 31), **Y2024)["total"]
    assert kids(august, "closure_inconsistent_with_dates") == w.id("closure_not_asked",
                                                                   "closure_withdrawn")
    september = w.ask("exceptions", date(2024, 9, 2), **Y2024)["total"]
    assert kids(september, "closure_inconsistent_with_dates") == w.id("closure_not_asked")
    assert kids(september, "withdrawn") == w.id("closure_withdrawn", "withdrawn")


# Advice within 6 weeks (reg 8(1)); late advice that pushed a plan past week 20.


def build_advice(w: World) -> None:
    # ONE: received Mon 8 Jan 2024 (week 20 = Mon 27 May). Advice asked Wed 14 Feb, due
    # 6 weeks later, Wed 27 Mar. Educational back 20 Mar and psychological on 27 Mar
    # (on the day): within. Medical back Fri 5 Apr: 9 days late, a missed appointment
    # claimed (reg 8(2)(c)). The plan came 13 May, before week 20: nothing pushed.
    # The parent's advice (reg 6(1)(a)) has no 6-week duty: not counted.
    w.child("one", date(2016, 1, 1), sex="M", ethnicity="WBRI")
    request(w, "one", date(2024, 1, 8))
    assess(w, "one", date(2024, 2, 12))
    ids = ask_advice(w, "one", date(2024, 2, 14), "Parent", "Educational", "Medical",
                     "Psychological")
    advice_back(w, "one", ids["Parent"], date(2024, 3, 1))
    advice_back(w, "one", ids["Educational"], date(2024, 3, 20))
    advice_back(w, "one", ids["Psychological"], date(2024, 3, 27))
    w.rec("one", "AdviceDelayExceptionClaimed", date(2024, 3, 5),
          advice_request_id=ids["Medical"], ground="missed_appointment",
          period_from=date(2024, 3, 4), period_to=date(2024, 3, 4), family_informed=True)
    advice_back(w, "one", ids["Medical"], date(2024, 4, 5))
    issue(w, "one", date(2024, 5, 13))
    # TWO: received Mon 4 Mar 2024 (week 20 = Mon 22 Jul). Advice asked Wed 10 Apr, due
    # Wed 22 May. Educational back 15 May (within); psychological Mon 3 Jun (12 days
    # late, back long before week 20 and the draft: it did not push the plan); medical
    # Wed 24 Jul, 9 + 30 + 24 = 63 days late, after week 20: it pushed the plan, issued
    # Mon 12 Aug (late).
    w.child("two", date(2014, 1, 1), sex="F", ethnicity="WBRI")
    request(w, "two", date(2024, 3, 4))
    assess(w, "two", date(2024, 4, 8))
    ids = ask_advice(w, "two", date(2024, 4, 10), "Parent", "Educational", "Medical",
                     "Psychological")
    advice_back(w, "two", ids["Parent"], date(2024, 5, 1))
    advice_back(w, "two", ids["Educational"], date(2024, 5, 15))
    advice_back(w, "two", ids["Psychological"], date(2024, 6, 3))
    advice_back(w, "two", ids["Medical"], date(2024, 7, 24))
    issue(w, "two", date(2024, 8, 12), draft_on=date(2024, 7, 25))
    # THREE: received Mon 2 Sep 2024 (week 20 = Mon 20 Jan 2025). Advice asked Wed 9 Oct,
    # due Wed 20 Nov. Educational back 6 Nov; medical never back. As at 31 Dec 2024 it is
    # 11 + 30 = 41 days late but week 20 has not come; as at 31 Jan 2025, 72 days late,
    # with no plan past week 20: pushed.
    w.child("three", date(2015, 1, 1), sex="F", ethnicity="WBRI")
    request(w, "three", date(2024, 9, 2))
    assess(w, "three", date(2024, 10, 7))
    ids = ask_advice(w, "three", date(2024, 10, 9), "Educational", "Medical")
    advice_back(w, "three", ids["Educational"], date(2024, 11, 6))
    w.project()


def test_advice_timeliness_and_late_advice_past_week_20(world: World) -> None:
    build_advice(world)
    total = world.ask("advice", date(2024, 12, 31), **Y2024)["total"]
    # Advice under the reg 8 duty asked in 2024: 3 + 3 + 2 = 8.
    assert total["count"] == 8
    assert measure(total, "returned") == (7, 8, 87.5)
    # Within 6 weeks: one's educational and psychological, two's and three's educational.
    assert measure(total, "within_6_weeks") == (4, 8, 50.0)
    assert kids(total, "late") == world.id("one", "two", "three")
    assert measure(total, "late") == (4, 8, 50.0)
    assert kids(total, "late_exception_applies") == world.id("one")
    assert kids(total, "pushed_plan_past_week_20") == world.id("two")
    assert measure(total, "pushed_plan_past_week_20")[0] == 1
    # Days late: 9, 12, 41, 63 -> median (12 + 41) / 2 = 26.5, mean 125 / 4 = 31.25.
    days = total["values"]["days_late"]
    assert (days["count"], days["median"], days["mean"], days["total"]) == (
        4, 26.5, 31.25, 125.0)
    by_type = groups(world.ask("advice", date(2024, 12, 31), breakdown="adviser_type",
                               **Y2024))
    assert measure(by_type["Medical"], "late") == (3, 3, 100.0)
    assert measure(by_type["Educational"], "within_6_weeks") == (3, 3, 100.0)
    assert measure(by_type["Psychological"], "late") == (1, 2, 50.0)
    assert "Parent" not in by_type
    by_body = groups(world.ask("advice", date(2024, 12, 31), breakdown="responsible",
                               **Y2024))
    assert {k: g["count"] for k, g in by_body.items()} == {
        "health": 3, "setting": 3, "local_authority": 2}
    # As at 31 Jan 2025: three's medical advice is 72 days late and its plan past week 20.
    later = world.ask("advice", date(2025, 1, 31), **Y2024)["total"]
    assert kids(later, "pushed_plan_past_week_20") == world.id("two", "three")
    assert later["values"]["days_late"]["total"] == 9 + 12 + 72 + 63
    # As at Tue 26 Mar 2024 nothing asked on 14 Feb was late yet (due 27 Mar).
    early = world.ask("advice", date(2024, 3, 26), **Y2024)["total"]
    assert (early["count"], measure(early, "late")[0]) == (3, 0)


# The equality lens: refusals and timeliness by sex and ethnicity.


def test_equality_lens_refusals_by_sex_and_ethnicity(world: World) -> None:
    build_decisions(world)
    # Requests received in 2024, as at 31 Dec 2024 (see build_decisions):
    #   in_time M WBRI assess | on_the_day F WBRI refused | notified_late M BAFR assess
    #   refused_late F BAFR refused | withdrawn M WBRI | undecided F WBRI.
    by_sex = groups(world.ask("equality", date(2024, 12, 31), breakdown="sex", **Y2024))
    # F: 2 decided, both refused (100.0%); M: 2 decided, none refused (0.0%).
    assert measure(by_sex["F"], "refused") == (2, 2, 100.0)
    assert measure(by_sex["M"], "refused") == (0, 2, 0.0)
    assert by_sex["F"]["children"] == world.id("on_the_day", "refused_late", "undecided")
    by_ethnicity = groups(world.ask("equality", date(2024, 12, 31), breakdown="ethnicity",
                                    **Y2024))
    # BAFR: 1 of 2 decided refused; WBRI: in_time, on_the_day decided, 1 of 2 refused.
    assert measure(by_ethnicity["BAFR"], "refused") == (1, 2, 50.0)
    assert measure(by_ethnicity["WBRI"], "refused") == (1, 2, 50.0)
    assert by_ethnicity["WBRI"]["count"] == 4
    # Both filters: girls of BAFR ethnicity -> refused_late alone.
    both = world.ask("equality", date(2024, 12, 31), sex="F", ethnicity="BAFR", **Y2024)
    assert both["filters"] == {"sex": "F", "ethnicity": "BAFR"}
    assert (both["total"]["children"], measure(both["total"], "refused")) == (
        world.id("refused_late"), (1, 1, 100.0))
    # As at Thu 7 Mar 2024 only on_the_day had been refused (26 Feb): girls 1 of 1.
    march = groups(world.ask("equality", date(2024, 3, 7), breakdown="sex", **Y2024))
    assert measure(march["F"], "refused") == (1, 1, 100.0)


def test_equality_lens_timeliness_by_sex_and_ethnicity(world: World) -> None:
    build_timeliness(world)
    # Requests received in 2024 (over_a_year's was in 2023): on_time M WBRI 18 weeks,
    # on_the_day F BCRB 20, late M WBRI 22, late_exception F WBRI 22, next_year M WBRI 19
    # (issued 13 Jan 2025). Within 20 weeks: on_time, on_the_day, next_year = 3 of 5.
    total = world.ask("equality", LATER, **Y2024)["total"]
    assert measure(total, "plan_within_20_weeks") == (3, 5, 60.0)
    # Weeks: 18, 19, 20, 22, 22 -> median 20.0, mean 101 / 5 = 20.2.
    weeks = total["values"]["weeks_to_issue"]
    assert (weeks["median"], weeks["mean"]) == (20.0, 20.2)
    by_sex = groups(world.ask("equality", LATER, breakdown="sex", **Y2024))
    assert measure(by_sex["M"], "plan_within_20_weeks") == (2, 3, 66.7)
    assert measure(by_sex["F"], "plan_within_20_weeks") == (1, 2, 50.0)
    by_ethnicity = groups(world.ask("equality", LATER, breakdown="ethnicity", **Y2024))
    assert measure(by_ethnicity["BCRB"], "plan_within_20_weeks") == (1, 1, 100.0)
    assert measure(by_ethnicity["WBRI"], "plan_within_20_weeks") == (2, 4, 50.0)
    # As at 31 Dec 2024 next_year's plan is not issued: 4 issued, 2 within = 50.0%.
    dec = world.ask("equality", date(2024, 12, 31), **Y2024)["total"]
    assert measure(dec, "plan_issued") == (4, 5, 80.0)
    assert measure(dec, "plan_within_20_weeks") == (2, 4, 50.0)


# The equality lens by looked-after status (Children Act 1989 s.22(1)), as at a day.


def build_looked_after(w: World) -> None:
    # IN_CARE: received Mon 8 Jan 2024, refused Mon 12 Feb 2024 (due Mon 19 Feb); looked
    # after from Mon 6 May 2024 until Mon 4 Nov 2024 (not looked after from that day).
    w.child("in_care", date(2014, 2, 3), sex="M")
    request(w, "in_care", date(2024, 1, 8))
    refuse(w, "in_care", date(2024, 2, 12))
    w.rec("in_care", "LookedAfterStatusRecorded", date(2024, 5, 6), looked_after=True)
    w.rec("in_care", "LookedAfterStatusRecorded", date(2024, 11, 4), looked_after=False)
    # AT_HOME: received Mon 15 Jan 2024; week 20 = Mon 3 Jun 2024; plan Mon 27 May 2024.
    w.child("at_home", date(2015, 3, 9), sex="F")
    new_plan(w, "at_home", date(2024, 1, 15), date(2024, 2, 20), date(2024, 2, 21),
             date(2024, 3, 20), date(2024, 5, 27))
    w.project()


def test_equality_lens_by_looked_after_status_as_at_a_day(world: World) -> None:
    build_looked_after(world)
    # As at Tue 30 Apr 2024 neither child is looked after yet: one group, 1 of 2 refused.
    april = groups(world.ask("equality", date(2024, 4, 30), breakdown="looked_after",
                             **Y2024))
    assert list(april) == ["no"]
    assert april["no"]["children"] == world.id("in_care", "at_home")
    assert measure(april["no"], "refused") == (1, 2, 50.0)
    assert measure(april["no"], "plan_issued") == (0, 2, 0.0)
    # As at Sat 31 Aug 2024 in_care is looked after: the refusal is in the "yes" group,
    # the plan on time (27 May, before 3 Jun) in the "no" group.
    august = groups(world.ask("equality", date(2024, 8, 31), breakdown="looked_after",
                              **Y2024))
    assert august["yes"]["children"] == world.id("in_care")
    assert measure(august["yes"], "refused") == (1, 1, 100.0)
    assert august["no"]["children"] == world.id("at_home")
    assert measure(august["no"], "refused") == (0, 1, 0.0)
    assert measure(august["no"], "plan_within_20_weeks") == (1, 1, 100.0)
    looked_after = world.ask("equality", date(2024, 8, 31), looked_after="yes", **Y2024)
    assert looked_after["filters"] == {"looked_after": "yes"}
    assert looked_after["total"]["children"] == world.id("in_care")
    timeliness = groups(world.ask("timeliness", date(2024, 8, 31),
                                  breakdown="looked_after", **Y2024))
    assert {k: g["children"] for k, g in timeliness.items()} == {"no": world.id("at_home")}
    # From Mon 4 Nov 2024 in_care is no longer looked after (the day is the first without).
    november = groups(world.ask("equality", date(2024, 11, 4), breakdown="looked_after",
                                **Y2024))
    assert list(november) == ["no"]
    assert november["no"]["children"] == world.id("in_care", "at_home")
    assert world.ask("equality", date(2024, 11, 3), looked_after="yes",
                     **Y2024)["total"]["children"] == world.id("in_care")
