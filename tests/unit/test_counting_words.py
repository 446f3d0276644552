"""Each period counted as its provision's words say (issue 13 §1), rule sets that version
time limits (§4), and the local readings beside the statutory review clock (§1, §7).

Worked examples with real dates; the arithmetic is in the comments. Counting from the
words (domain.calendar.Period):
- "within N weeks/days/months of" or "after" a day: the period starts the next day;
- "N days/months beginning with" or "starting with" a day: that day is day 1;
- "working days" skip weekends and bank holidays in England.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from domain.actors import Actor
from domain.calendar import DEFAULT_COUNTING, DayOfYear, Period, Unit, Wording
from domain.clocks import ClockReading, ClockStatus, LocalPolicy
from domain.journey import ChildJourney
from domain.rules import CORONAVIRUS_2020, RULE_SETS, SEND_REGULATIONS_2014, RuleSet

LA = Actor("officer-1", "caseworker", "LA-900")
TODAY = date(2026, 6, 1)
LIMITS = SEND_REGULATIONS_2014.time_limits


def ends(key: str, start: date) -> date:
    return SEND_REGULATIONS_2014.due(key, start)


# Every limit's counting is what its words say.

@pytest.mark.parametrize("rule_set", RULE_SETS, ids=lambda rs: rs.name)
def test_every_time_limit_counts_as_its_words_say(rule_set: RuleSet) -> None:
    """No global day-0/day-1 switch: each limit's wording is read off its own words."""
    for key, limit in rule_set.time_limits.items():
        if isinstance(limit, Period):
            assert Wording.from_words(limit.words) is limit.wording, key
        else:
            # "before 15 February" ends on 14 February, "by 15 February" on 15 February.
            assert isinstance(limit, DayOfYear), key
            named = date(2025, limit.month, limit.day)
            assert limit.ends(named) == named - timedelta(days=limit.before), key


@pytest.mark.parametrize("rule_set", RULE_SETS, ids=lambda rs: rs.name)
def test_every_time_limit_says_where_its_words_were_checked_or_that_they_were_not(
        rule_set: RuleSet) -> None:
    """Issue 13 §1: each limit names the legislation.gov.uk page its words were checked
    against (and that page's version), or carries ``verify`` saying what is unchecked."""
    for key, limit in rule_set.time_limits.items():
        assert limit.source is not None or limit.verify, key
        if limit.source is not None:
            assert limit.source.url.startswith("https://www.legislation.gov.uk/"), key
            assert limit.source.version, key
        if limit.verify:
            assert "legislation.gov.uk" in limit.verify or limit.source is not None, key


def test_every_clock_with_a_statutory_limit_has_its_words_recorded() -> None:
    from domain.clocks import CLOCK_SPECS

    for clock_id, spec in CLOCK_SPECS.items():
        if spec.local_policy:
            continue
        assert any(key == clock_id or key.startswith(f"{clock_id}.") for key in LIMITS), \
            clock_id


# One worked example per kind of wording.

def test_weeks_of_a_day_start_the_next_day() -> None:
    """Reg 5(1) "within 6 weeks of receiving a request": received Monday 8 January 2024,
    day 1 is Tuesday 9 January, day 42 is Monday 19 February 2024 (8 Jan + 42 days)."""
    assert ends("K1", date(2024, 1, 8)) == date(2024, 2, 19)
    # Reg 13(2), 20 weeks: 8 Jan + 140 days = Monday 27 May 2024.
    assert ends("K4", date(2024, 1, 8)) == date(2024, 5, 27)


def test_days_of_a_day_start_the_next_day() -> None:
    """Reg 25(1) "within 15 days of receiving the request": received 3 March 2025,
    day 1 is 4 March, day 15 is 18 March 2025 (3 + 15)."""
    assert ends("K13", date(2025, 3, 3)) == date(2025, 3, 18)


def test_days_beginning_with_a_day_count_it_as_the_first() -> None:
    """Reg 13(1) "at least 15 days, beginning with the day on which the draft plan was
    served": served 2 April 2024 is day 1, day 15 is 16 April 2024 (2 + 15 - 1). The same
    words in reg 22(2)(c) for a notice of proposed amendments."""
    assert ends("K5", date(2024, 4, 2)) == date(2024, 4, 16)
    assert ends("K11.representations", date(2024, 4, 2)) == date(2024, 4, 16)


@pytest.mark.proves("K7")
def test_months_starting_with_a_day_end_the_day_before_the_corresponding_date() -> None:
    """s.44(1) "in the period of 12 months starting with the date on which the plan was
    first made": made 15 March 2024 is day 1, so the period ends on 14 March 2025, the day
    before the anniversary. Made 29 February 2024: 2025 has no 29 February, so the period
    ends on the last day of February 2025, the 28th."""
    assert ends("K7", date(2024, 3, 15)) == date(2025, 3, 14)
    assert ends("K7", date(2024, 2, 29)) == date(2025, 2, 28)
    # Made 31 March 2025: 12 months later is 31 March 2026, so the period ends 30 March.
    assert ends("K7", date(2025, 3, 31)) == date(2026, 3, 30)


def test_months_after_a_day_end_on_the_corresponding_date() -> None:
    """HESC Rules r.20(1)(a) "2 months after the date on which written notice of the
    decision ... was sent": sent 31 December 2024, 2 months on is 28 February 2025 (no 31
    February: the month's last day). Sent 15 May 2025: 15 July 2025."""
    assert ends("K21.notice", date(2024, 12, 31)) == date(2025, 2, 28)
    assert ends("K21.notice", date(2025, 5, 15)) == date(2025, 7, 15)


def test_working_days_beginning_with_a_day_over_easter_and_may_bank_holidays() -> None:
    """Reg 15(2) "within 15 working days beginning with the day on which it did become
    aware": aware Thursday 17 April 2025 (working day 1). Good Friday 18 April, Easter
    Monday 21 April and the early May bank holiday 5 May 2025 do not count:
      17 Apr = 1; 22, 23, 24, 25 Apr = 2-5; 28, 29, 30 Apr, 1, 2 May = 6-10;
      6, 7, 8, 9 May = 11-14; Monday 12 May 2025 = 15.
    Aware on Saturday 19 April, the first working day is Tuesday 22 April, so day 15 is
    Tuesday 13 May 2025."""
    assert ends("K15.aware", date(2025, 4, 17)) == date(2025, 5, 12)
    assert ends("K15.aware", date(2025, 4, 19)) == date(2025, 5, 13)
    assert ends("K18", date(2025, 4, 17)) == date(2025, 5, 12)


def test_working_days_of_a_day_over_christmas() -> None:
    """Reg 39(1) certificate "within 3 working days of the conclusion of the mediation":
    mediation ends Wednesday 24 December 2025; 25 and 26 December are bank holidays,
    27-28 a weekend: Monday 29 (1), Tuesday 30 (2), Wednesday 31 December 2025 (3)."""
    assert ends("K20.certificate_held", date(2025, 12, 24)) == date(2025, 12, 31)
    assert not DEFAULT_COUNTING.is_working_day(date(2025, 12, 26))


def test_at_least_months_before_and_fixed_days_and_on_the_day() -> None:
    """Reg 18(2) "at least five months before that transfer takes place": a post-16 move
    on 1 September 2025 needs the amended plan by 1 April 2025. Reg 15(2) "on the day of
    the move": the move day itself."""
    assert ends("K12.post16_to_post16", date(2025, 9, 1)) == date(2025, 4, 1)
    assert ends("K15.move", date(2025, 5, 6)) == date(2025, 5, 6)


@pytest.mark.proves("K12")
def test_before_a_fixed_day_of_the_year_ends_the_day_before() -> None:
    """Reg 18(1), revised text on legislation.gov.uk: the local authority "must review and
    amend ... the EHC plan before— (a) 31 March in the calendar year of the child or young
    person's transfer from secondary school to a post-16 institution; and (b) 15 February
    in the calendar year of the child's transfer in any other case". Before 15 February
    2025 means 14 February at the latest (15 February itself is late); before 31 March
    2025, 30 March. In a leap year the day before 31 March is still 30 March (2024)."""
    assert ends("K12.early", date(2025, 9, 1)) == date(2025, 2, 14)
    assert ends("K12.post16", date(2025, 9, 1)) == date(2025, 3, 30)
    assert ends("K12.post16", date(2024, 9, 2)) == date(2024, 3, 30)
    by_words = DayOfYear(2, 15, "by 15 February", "a provision worded \"by\"")
    assert by_words.ends(date(2025, 9, 1)) == date(2025, 2, 15)


def test_an_order_period_takes_its_weeks_from_the_order() -> None:
    """Reg 44(2) "within [2, 5, ...] weeks of the date of the order": the wording is the
    rule set's, the weeks the order's: ordered 3 March 2025, 5 weeks is 7 April 2025."""
    assert SEND_REGULATIONS_2014.due("K22", date(2025, 3, 3), amount=5) == date(2025, 4, 7)
    with pytest.raises(ValueError):
        ends("K22", date(2025, 3, 3))


# Journeys: the statutory review date and the local readings beside it.

def journey_with_plan(born: date, reviewed_on: date) -> ChildJourney:
    """A plan transferred in on 1 March 2023, then reviewed on ``reviewed_on``."""
    journey = ChildJourney.register(authority="LA-900", date_of_birth=born, actor=LA,
                                    occurred_on=date(2023, 3, 1), today=TODAY)
    record(journey, "PlanTransferredIn", date(2023, 3, 1), old_la="LA-100",
           original_made_on=date(2022, 12, 1), named_setting="Oak Nursery",
           setting_type="MAINSTREAM_LA")
    review(journey, reviewed_on)
    return journey


def record(journey: ChildJourney, type_name: str, day: date, **payload: Any) -> None:
    journey.record(type_name, payload, actor=LA, occurred_on=day, today=TODAY)


def review(journey: ChildJourney, meeting_on: date) -> None:
    record(journey, "AnnualReviewScheduled", meeting_on, due_by=meeting_on,
           review_type="annual", organiser="local_authority")
    record(journey, "ReviewMeetingHeld", meeting_on, attendees=["parent"])


DEFAULT = LocalPolicy()


def clocks(journey: ChildJourney, clock_id: str, today: date = TODAY,
           policy: LocalPolicy = DEFAULT) -> list[ClockReading]:
    return [r for r in journey.clocks(today, policy=policy) if r.clock == clock_id]


@pytest.mark.proves("K7", "K7A")
def test_anniversary_reviews_are_a_local_reading_beside_the_strict_date() -> None:
    """s.44(1): reviewed 15 March 2024, the 12 months starting with it end on 14 March
    2025 (K7, statutory). An authority that reviews on the anniversary sets
    anniversary_reviews and sees K7A on 15 March 2025 beside it; K7 does not move, and a
    review on the anniversary is late in law."""
    journey = journey_with_plan(date(2014, 3, 1), date(2024, 3, 15))
    assert clocks(journey, "K7A") == []  # off unless the authority sets it

    anniversary = LocalPolicy(anniversary_reviews=True)
    [k7] = clocks(journey, "K7", today=date(2025, 3, 15), policy=anniversary)
    [k7a] = clocks(journey, "K7A", today=date(2025, 3, 15), policy=anniversary)
    assert (k7.due_on, k7.status, k7.kind) == (date(2025, 3, 14), ClockStatus.LATE,
                                               "statutory")
    assert (k7a.due_on, k7a.status, k7a.kind, k7a.statutory) == (
        date(2025, 3, 15), ClockStatus.RUNNING, "local policy", False)
    assert clocks(journey, "K7", today=date(2025, 3, 15)) == [k7]


@pytest.mark.proves("K7U")
def test_an_under_five_is_reviewed_every_six_months_by_default_without_moving_k7() -> None:
    """Code 9.178: born 1 June 2022, reviewed 10 January 2025 (aged 2). K7U (6 months by
    default) is due on 10 July 2025, the corresponding date; K7 stays at 9 January 2026
    (12 months starting with 10 January 2025)."""
    journey = journey_with_plan(date(2022, 6, 1), date(2025, 1, 10))
    [k7u] = clocks(journey, "K7U", today=date(2025, 7, 11))
    [k7] = clocks(journey, "K7", today=date(2025, 7, 11))
    assert (k7u.started_on, k7u.due_on, k7u.status, k7u.kind) == (
        date(2025, 1, 10), date(2025, 7, 10), ClockStatus.LATE, "local policy")
    assert (k7.due_on, k7.status) == (date(2026, 1, 9), ClockStatus.RUNNING)
    assert [r.due_on for r in clocks(journey, "K7", policy=LocalPolicy(None))] == \
        [k7.due_on]


@pytest.mark.proves("K7U")
def test_a_three_month_interval_is_met_by_an_early_review_which_restarts_both_clocks() -> None:
    """Set to 3 months: reviewed 10 January 2025, due 10 April 2025. A review on 1 April
    2025 meets it; the next K7U runs to 1 July 2025, and K7's new period (s.44(1): "last
    reviewed") runs to 31 March 2026."""
    quarterly = LocalPolicy(under_five_review_months=3)
    journey = journey_with_plan(date(2022, 6, 1), date(2025, 1, 10))
    review(journey, date(2025, 4, 1))
    first, second = clocks(journey, "K7U", today=date(2025, 4, 2), policy=quarterly)
    assert (first.due_on, first.stopped_on, first.status) == (
        date(2025, 4, 10), date(2025, 4, 1), ClockStatus.MET)
    assert (second.started_on, second.due_on) == (date(2025, 4, 1), date(2025, 7, 1))
    assert clocks(journey, "K7", today=date(2025, 4, 2), policy=quarterly)[-1].due_on == \
        date(2026, 3, 31)


@pytest.mark.proves("K7U")
def test_the_under_five_policy_ends_at_the_fifth_birthday_and_never_starts_after_it() -> None:
    """Born 1 June 2020, reviewed 10 January 2025 (aged 4): the 6 months would end 10 July
    2025, after the fifth birthday on 1 June 2025, so K7U stops there not applicable. A
    review on 2 June 2025 (aged 5) starts no K7U."""
    journey = journey_with_plan(date(2020, 6, 1), date(2025, 1, 10))
    review(journey, date(2025, 6, 2))
    [k7u] = clocks(journey, "K7U")
    assert (k7u.due_on, k7u.stopped_on, k7u.status) == (
        None, date(2025, 6, 1), ClockStatus.NOT_APPLICABLE)


@pytest.mark.parametrize("months", [2, 7, 12])
def test_an_under_five_interval_outside_3_to_6_months_is_refused(months: int) -> None:
    with pytest.raises(ValueError, match="3 to 6"):
        LocalPolicy(under_five_review_months=months)


# Rule sets that version time limits (§4).

REFORM_2027 = SEND_REGULATIONS_2014.reformed(
    name="test-reform-2027", title="A hypothetical reform: final plans within 18 weeks",
    in_force_from=date(2027, 9, 1),
    time_limits={"K4": Period(18, Unit.WEEKS, Wording.AFTER, "within 18 weeks of the local "
                              "authority receiving a request", "hypothetical reg 13(2)")})
WITH_REFORM = (SEND_REGULATIONS_2014, CORONAVIRUS_2020, REFORM_2027)


def requested(received_on: date) -> ChildJourney:
    journey = ChildJourney.register(authority="LA-900", date_of_birth=date(2012, 5, 5),
                                    actor=LA, occurred_on=received_on, today=received_on)
    journey.record("EHCNeedsAssessmentRequested",
                   {"requester_role": "Parent", "request_source": "1"}, actor=LA,
                   occurred_on=received_on, today=received_on)
    return journey


def reading(journey: ChildJourney, clock_id: str, rule_sets: tuple[RuleSet, ...]
            ) -> ClockReading:
    today = date(2028, 6, 1)
    return next(r for r in journey.clocks(today, rule_sets=rule_sets) if r.clock == clock_id)


@pytest.mark.proves("K4")
def test_a_time_limit_changed_from_a_date_applies_to_steps_started_from_that_date() -> None:
    """A reform from 1 September 2027 cuts the final plan to 18 weeks. A request received
    Monday 2 August 2027 keeps the 2014 limit although its clock runs past the reform:
    2 Aug + 140 days = Monday 20 December 2027. One received Monday 6 September 2027 runs
    under the reform: 6 Sep + 126 days = Monday 10 January 2028. The 6-week K1 limit is
    carried over unchanged: 6 Sep + 42 days = 18 October 2027."""
    before, after = requested(date(2027, 8, 2)), requested(date(2027, 9, 6))
    k4_before, k4_after = (reading(before, "K4", WITH_REFORM),
                           reading(after, "K4", WITH_REFORM))
    assert (k4_before.due_on, k4_before.rule_set) == (date(2027, 12, 20), "send-regs-2014")
    assert (k4_after.due_on, k4_after.rule_set) == (date(2028, 1, 10), "test-reform-2027")
    assert reading(after, "K1", WITH_REFORM).due_on == date(2027, 10, 18)
    assert REFORM_2027.exception_grounds == SEND_REGULATIONS_2014.exception_grounds


def test_old_journeys_replay_to_the_same_answers_once_a_reform_is_added() -> None:
    """Adding a reform changes nothing for journeys begun under the 2014 rules, and the
    2014 table itself is read-only."""
    for received in (date(2016, 1, 11), date(2020, 6, 1), date(2027, 8, 31)):
        journey = requested(received)
        assert journey.clocks(date(2028, 6, 1)) == \
            journey.clocks(date(2028, 6, 1), rule_sets=WITH_REFORM)
    with pytest.raises(TypeError):
        SEND_REGULATIONS_2014.time_limits["K4"] = LIMITS["K1"]  # type: ignore[index]
