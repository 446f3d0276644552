"""Reports on hand-built cohorts: the mediation and appeal funnel, Tribunal orders,
health waits and personal budgets.

The rules: an appeal within 2 months of the decision or 1 month of the mediation
certificate, whichever is later, a deadline in August moving to the first working day of
September (Tribunal Rules r.20, r.12(3)); a Tribunal order to assess is notified within
2 weeks and its outcome (the plan) within 14 weeks of the order (SEND Regs reg 44(2)(a)-
(b)), late steps with a reg 44(3) ground being "late, exception applies"; waits from
referral to first contact in 7-day weeks (18 weeks the NHS referral-to-treatment mark), an
autism assessment begun within 3 months of the referral being accepted (NICE QS51); a
direct payment first reviewed within 3 months (PB Regs reg 11).
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.application.reports_cohort import (
    NOTICE,
    SECTIONS,
    Y2024,
    Y2025,
    World,
    advice_back,
    ask_advice,
    assess,
    groups,
    kids,
    measure,
    refuse,
    request,
)

ORDER_DAY = date(2025, 3, 3)  # a Monday



def refused(w: World, label: str, notified: date, **child: object) -> str:
    """A refusal to assess notified on ``notified`` (5 weeks after the request)."""
    from datetime import timedelta

    w.child(label, date(2015, 3, 3), **child)  # type: ignore[arg-type]
    request(w, label, notified - timedelta(weeks=5))
    return f"decision-{refuse(w, label, notified)}"


def appealed(w: World, label: str, decision: str, on: date, ref: str) -> None:
    w.rec(label, "AppealRegistered", on, decision_id=decision, tribunal_ref=ref)


def build_disputes(w: World) -> dict[str, str]:
    orders = {}
    # MEDIATED: refusal notified Mon 10 Jun 2024; adviser contacted 20 Jun, mediation
    # asked 24 Jun, held 10 Jul without agreement, certificate 11 Jul. The window: 2
    # months from 10 Jun (10 Aug) or 1 month from the certificate (11 Aug), the later,
    # in August, so Mon 2 Sep 2024; appeal registered that day. Allowed on Mon 3 Mar
    # 2025 with an order to assess.
    d = refused(w, "mediated", date(2024, 6, 10), sex="M", ethnicity="WBRI")
    w.rec("mediated", "MediationAdviserContacted", date(2024, 6, 20), decision_id=d)
    w.rec("mediated", "MediationRequested", date(2024, 6, 24), decision_id=d,
          issues=["education"])
    w.rec("mediated", "MediationHeld", date(2024, 7, 10), decision_id=d,
          parties=["parent", "LA"], outcome="no_agreement")
    w.rec("mediated", "MediationCertificateIssued", date(2024, 7, 11), decision_id=d,
          certificate_type="held")
    appealed(w, "mediated", d, date(2024, 9, 2), "SE931/24/00001")
    v = w.rec("mediated", "TribunalDecisionIssued", ORDER_DAY, tribunal_ref="SE931/24/00001",
              outcome="allowed", orders=["assess"])
    orders["mediated"] = f"order-{v}-assess"
    # DECLINED: refusal notified 10 Jun 2024; adviser contacted 3 Jul and mediation
    # declined, certificate the same day; appeal registered 2 Sep; dismissed 3 Mar 2025.
    d = refused(w, "declined", date(2024, 6, 10), sex="F", ethnicity="WBRI")
    w.rec("declined", "MediationAdviserContacted", date(2024, 7, 3), decision_id=d)
    w.rec("declined", "MediationDeclined", date(2024, 7, 3), decision_id=d)
    w.rec("declined", "MediationCertificateIssued", date(2024, 7, 3), decision_id=d,
          certificate_type="declined")
    appealed(w, "declined", d, date(2024, 9, 2), "SE931/24/00002")
    w.rec("declined", "TribunalDecisionIssued", ORDER_DAY, tribunal_ref="SE931/24/00002",
          outcome="dismissed", orders=["dismiss"])
    # PARTLY: as DECLINED, but the appeal is partly allowed on 3 Mar 2025 with an order to
    # assess: decided (in part) for the family.
    d = refused(w, "partly", date(2024, 6, 10), sex="F", ethnicity="BCRB")
    w.rec("partly", "MediationAdviserContacted", date(2024, 7, 3), decision_id=d)
    w.rec("partly", "MediationDeclined", date(2024, 7, 3), decision_id=d)
    w.rec("partly", "MediationCertificateIssued", date(2024, 7, 3), decision_id=d,
          certificate_type="declined")
    appealed(w, "partly", d, date(2024, 9, 2), "SE931/24/00003")
    v = w.rec("partly", "TribunalDecisionIssued", ORDER_DAY, tribunal_ref="SE931/24/00003",
              outcome="partly_allowed", orders=["assess"])
    orders["partly"] = f"order-{v}-assess"
    # AGREED: refusal notified Mon 7 Oct 2024; adviser 14 Oct, mediation asked 15 Oct and
    # held 5 Nov with agreement: no appeal.
    d = refused(w, "agreed", date(2024, 10, 7), sex="M", ethnicity="BCRB")
    w.rec("agreed", "MediationAdviserContacted", date(2024, 10, 14), decision_id=d)
    w.rec("agreed", "MediationRequested", date(2024, 10, 15), decision_id=d,
          issues=["education"])
    w.rec("agreed", "MediationHeld", date(2024, 11, 5), decision_id=d,
          parties=["parent", "LA"], outcome="agreement")
    # QUIET: refusal notified Mon 2 Dec 2024; nothing more.
    refused(w, "quiet", date(2024, 12, 2), sex="M", ethnicity="WBRI")
    # IN_2023: a refusal notified Mon 4 Dec 2023: outside 2024.
    refused(w, "in_2023", date(2023, 12, 4), sex="F", ethnicity="WBRI")
    return orders


def test_mediation_and_appeal_funnel(world: World) -> None:
    build_disputes(world)
    world.project()
    total = world.ask("disputes", LATER := date(2025, 6, 30), **Y2024)["total"]
    # Decisions notified in 2024: mediated, declined, partly, agreed, quiet.
    assert measure(total, "decision") == (5, 5, 100.0)
    assert kids(total, "adviser_contacted") == world.id("mediated", "declined", "partly",
                                                        "agreed")
    assert kids(total, "mediation_requested") == world.id("mediated", "agreed")
    assert kids(total, "mediation_declined") == world.id("declined", "partly")
    assert kids(total, "mediation_held") == world.id("mediated", "agreed")
    # Agreement at 1 of the 2 mediations held.
    assert measure(total, "mediation_agreement") == (1, 2, 50.0)
    assert kids(total, "certificate_issued") == world.id("mediated", "declined", "partly")
    assert measure(total, "appeal_registered") == (3, 5, 60.0)
    assert kids(total, "appeal_after_mediation") == world.id("mediated")
    # Closed: all three appeals (3 Mar 2025); for the family: allowed and partly allowed,
    # 2 of 3 = 66.7%.
    assert measure(total, "appeal_closed") == (3, 5, 60.0)
    assert measure(total, "appeal_decided_for_family") == (2, 3, 66.7)
    assert kids(total, "appeal_decided_for_family") == world.id("mediated", "partly")
    outcomes = groups(world.ask("disputes", LATER, breakdown="appeal_outcome", **Y2024))
    assert {k: g["count"] for k, g in outcomes.items()} == {
        "allowed": 1, "partly_allowed": 1, "dismissed": 1, None: 2}
    # As at 31 Dec 2024 no appeal had been decided.
    dec = world.ask("disputes", date(2024, 12, 31), **Y2024)["total"]
    assert measure(dec, "appeal_closed")[0] == 0
    assert measure(dec, "appeal_decided_for_family") == (0, 0, None)
    # As at Sun 30 Jun 2024: three refusals notified (10 Jun); only mediated's family
    # had contacted the adviser (20 Jun) and asked for mediation (24 Jun).
    june = world.ask("disputes", date(2024, 6, 30), **Y2024)["total"]
    assert june["children"] == world.id("mediated", "declined", "partly")
    assert kids(june, "adviser_contacted") == world.id("mediated")
    assert measure(june, "mediation_held")[0] == 0
    # Filter by ethnicity: BCRB -> partly and agreed.
    bcrb = world.ask("disputes", LATER, ethnicity="BCRB", **Y2024)["total"]
    assert bcrb["children"] == world.id("agreed", "partly")
    assert kids(bcrb, "appeal_registered") == world.id("partly")


def test_tribunal_orders_complied_within_the_reg_44_periods(world: World) -> None:
    orders = build_disputes(world)
    # Ordered Mon 3 Mar 2025 to assess: notify within 2 weeks (Mon 17 Mar), the outcome
    # within 14 weeks (Mon 9 Jun 2025).
    # MEDIATED: notified Fri 14 Mar (11 days, in time); no outcome by 30 Jun 2025: 21
    # days late.
    world.rec("mediated", "TribunalOrderComplied", date(2025, 3, 14),
              obligation_id=f"{orders['mediated']}-notify_assessment")
    # PARTLY: the family away 5-21 Mar (reg 44(3): absent from the area 2 weeks);
    # notified Mon 24 Mar: 7 days late, exception applies (21 days to comply); the outcome
    # (a plan) on Mon 9 Jun, the last day: in time, 28 + 30 + 31 + 9 = 98 days.
    world.rec("partly", "TimescaleExceptionClaimed", date(2025, 3, 21), clock="K22",
              episode=f"{orders['partly']}-notify_assessment",
              ground="absent_from_area_2_weeks", period_from=date(2025, 3, 5),
              period_to=date(2025, 3, 21), family_informed=True)
    world.rec("partly", "TribunalOrderComplied", date(2025, 3, 24),
              obligation_id=f"{orders['partly']}-notify_assessment")
    world.rec("partly", "TribunalOrderComplied", date(2025, 6, 9),
              obligation_id=f"{orders['partly']}-outcome", outcome="plan")
    world.project()
    total = world.ask("tribunal-orders", date(2025, 6, 30), **Y2025)["total"]
    # Four order steps, all made in 2025; the dismissed appeal ordered nothing.
    assert total["count"] == 4
    assert total["children"] == world.id("mediated", "partly")
    assert measure(total, "complied") == (3, 4, 75.0)
    assert measure(total, "complied_in_time") == (2, 4, 50.0)
    assert measure(total, "not_complied_in_time") == (2, 4, 50.0)
    assert kids(total, "late_exception_applies") == world.id("partly")
    # Days to comply: 11, 21, 98 -> median 21, mean 130 / 3 = 43.33.
    comply = total["values"]["days_to_comply"]
    assert (comply["count"], comply["median"], comply["mean"]) == (3, 21.0, 43.33)
    # Days late: 21 (mediated's outcome) and 7 (partly's notice).
    late = total["values"]["days_late"]
    assert (late["count"], late["total"], late["median"]) == (2, 28.0, 14.0)
    # As at Sat 31 May 2025 mediated's outcome was not yet due (9 Jun): only partly's
    # notice was late; partly's outcome was not yet done either.
    may = world.ask("tribunal-orders", date(2025, 5, 31), **Y2025)["total"]
    assert kids(may, "not_complied_in_time") == world.id("partly")
    assert measure(may, "complied") == (2, 4, 50.0)
    # Orders of 2024: none.
    assert world.ask("tribunal-orders", date(2025, 6, 30), **Y2024)["total"]["count"] == 0
    # Filter by sex: M -> mediated's two steps.
    boys = world.ask("tribunal-orders", date(2025, 6, 30), sex="M", **Y2025)["total"]
    assert (boys["count"], measure(boys, "not_complied_in_time")[0]) == (2, 1)


# Health waits (Code 3.46 ff.; NICE QS51).


def build_health(w: World) -> None:
    # SPEECH: in assessment (request Mon 8 Jan 2024). SALT referral Thu 1 Feb 2024, first
    # contact Mon 1 Apr: 29 + 31 = 60 days = 8.57 weeks. Autism referral Fri 1 Mar 2024,
    # accepted Fri 8 Mar, so the assessment should start by Sat 8 Jun 2024 (3 months);
    # not started. As at 30 Jun 2025 waiting 486 days = 69.43 weeks.
    w.child("speech", date(2016, 1, 1), sex="M")
    request(w, "speech", date(2024, 1, 8))
    salt = w.rec("speech", "HealthReferralMade", date(2024, 2, 1), service="SALT",
                 referrer="GP", shared_by="ICB-931", accepted_on=date(2024, 2, 2))
    w.rec("speech", "HealthReferralMade", date(2024, 3, 1), service="ND_AUTISM",
          referrer="Community paediatrician", shared_by="ICB-931",
          accepted_on=date(2024, 3, 8))
    w.rec("speech", "HealthServiceFirstContact", date(2024, 4, 1),
          referral_id=f"referral-{salt}", kind="assessment")
    # CAMHS: in assessment (request 8 Jan 2024). Referral Tue 2 Jan 2024, first contact
    # Mon 3 Jun: 153 days = 21.86 weeks, over 18.
    w.child("camhs", date(2012, 1, 1), sex="F")
    request(w, "camhs", date(2024, 1, 8))
    camhs = w.rec("camhs", "HealthReferralMade", date(2024, 1, 2), service="CAMHS",
                  referrer="GP", shared_by="ICB-931")
    w.rec("camhs", "HealthServiceFirstContact", date(2024, 6, 3),
          referral_id=f"referral-{camhs}", kind="assessment")
    # NO_EHC: a referral for a child neither in assessment nor with a plan: not counted.
    w.child("no_ehc", date(2014, 1, 1), sex="F")
    w.rec("no_ehc", "HealthReferralMade", date(2024, 2, 1), service="SALT", referrer="GP",
          shared_by="ICB-931")
    w.project()


def test_health_waits_by_service(world: World) -> None:
    build_health(world)
    answer = world.ask("health-waits", date(2025, 6, 30), breakdown="service", **Y2024)
    total = answer["total"]
    assert total["count"] == 3
    assert total["children"] == world.id("speech", "camhs")
    assert measure(total, "seen") == (2, 3, 66.7)
    assert kids(total, "waiting") == world.id("speech")
    # Over 18 weeks: CAMHS (21.86) and autism (69.43); over 52: autism.
    assert measure(total, "over_18_weeks") == (2, 3, 66.7)
    assert measure(total, "over_52_weeks") == (1, 3, 33.3)
    assert kids(total, "autism_assessment_over_3_months") == world.id("speech")
    # Weeks to first contact 8.57 and 21.86: median (8.57 + 21.86) / 2 = 15.21(5).
    seen = total["values"]["weeks_to_first_contact"]
    assert seen["count"] == 2 and seen["median"] == pytest.approx(15.215, abs=0.006)
    assert total["values"]["weeks_waited_so_far"]["median"] == 69.43
    services = groups(answer)
    assert set(services) == {"SALT", "ND_AUTISM", "CAMHS"}
    assert services["SALT"]["values"]["weeks_to_first_contact"]["median"] == 8.57
    # As at Fri 31 May 2024: autism waited 91 days = 13.0 weeks, its 3 months not over
    # (8 Jun); CAMHS waiting 150 days = 21.43 weeks, over 18.
    may = world.ask("health-waits", date(2024, 5, 31), **Y2024)["total"]
    assert kids(may, "waiting") == world.id("speech", "camhs")
    assert kids(may, "over_18_weeks") == world.id("camhs")
    assert measure(may, "autism_assessment_over_3_months")[0] == 0
    assert may["values"]["weeks_waited_so_far"]["median"] == pytest.approx((13.0 + 21.43) / 2,
                                                                          abs=0.006)


# Personal budgets and direct payments (CFA s.49; PB Regs 2014).


def budget_journey(w: World, label: str, *, direct_payment: bool, determined: bool,
                   refused_first: bool = False, agreed_on: date | None = None,
                   amount: int = 0, reviewed_on: date | None = None) -> None:
    """Request Mon 8 Jan 2024 ... decision to issue 15 Apr; a budget asked 20 Apr while
    the draft is prepared; draft 22 Apr; final plan Mon 20 May 2024."""
    w.child(label, date(2015, 1, 1), sex="F")
    request(w, label, date(2024, 1, 8))
    assess(w, label, date(2024, 2, 12))
    for advice_id in ask_advice(w, label, date(2024, 2, 14), "Parent", "Educational",
                                "Medical", "Psychological").values():
        advice_back(w, label, advice_id, date(2024, 3, 20))
    w.rec(label, "DecisionToIssuePlanMade", date(2024, 4, 15),
          necessity_reasons="Needs cannot be met from SEN support")
    w.rec(label, "PersonalBudgetRequested", date(2024, 4, 20), elements=["education"],
          direct_payment_requested=direct_payment)
    w.rec(label, "DraftPlanIssued", date(2024, 4, 22), sections=SECTIONS | {"I": {}})
    if determined:
        w.rec(label, "PersonalBudgetDetermined", date(2024, 5, 8), amount_pence=amount,
              elements=["education"], arrangement="direct_payment")
    if refused_first:
        w.rec(label, "DirectPaymentRefused", date(2024, 5, 10),
              reasons="The provider is not yet approved", review_right_explained=True)
        w.rec(label, "DirectPaymentReconsidered", date(2024, 5, 15), outcome="agreed",
              reasons="Provider approved")
    w.rec(label, "FinalPlanIssued", date(2024, 5, 20), sections=SECTIONS | {"I": {
        "setting_ref": "urn-100001", "setting_name": "Elm Primary School",
        "setting_type": "MAINSTREAM_LA"}}, notice_includes=NOTICE,
        recipients=["family", "icb", "setting"])
    if agreed_on:
        w.rec(label, "DirectPaymentAgreed", agreed_on, recipient="parent",
              amount_pence=amount, agreed_provision=["Speech and language therapy"],
              conditions_met=["secures_agreed_provision",
                              "no_adverse_impact_on_other_services", "value_for_money"])
    if reviewed_on:
        w.rec(label, "DirectPaymentReviewed", reviewed_on, outcome="continue")


def test_personal_budgets_and_direct_payments(world: World) -> None:
    # REVIEWED: a direct payment asked, refused 10 May, agreed on reconsideration 15 May;
    # paid from Mon 20 May 2024 (GBP 1,500); first review due 20 Aug (3 months), held
    # Thu 1 Aug: in time.
    budget_journey(world, "reviewed", direct_payment=True, determined=True,
                   refused_first=True, agreed_on=date(2024, 5, 20), amount=150000,
                   reviewed_on=date(2024, 8, 1))
    # UNREVIEWED: paid from Mon 3 Jun 2024 (GBP 900); first review due Tue 3 Sep 2024;
    # never held: missed from 4 Sep.
    budget_journey(world, "unreviewed", direct_payment=True, determined=True,
                   agreed_on=date(2024, 6, 3), amount=90000)
    # UNDETERMINED: a budget asked (no direct payment) and not yet determined.
    budget_journey(world, "undetermined", direct_payment=False, determined=False)
    world.project()
    answer = world.ask("personal-budgets", date(2024, 12, 31), breakdown="step", **Y2024)
    total = answer["total"]
    # 3 requests + 1 refusal + 2 payments in place + 2 first reviews = 8 rows.
    assert total["count"] == 8
    assert measure(total, "request") == (3, 8, 37.5)
    assert measure(total, "determined") == (2, 3, 66.7)
    assert kids(total, "determined") == world.id("reviewed", "unreviewed")
    assert measure(total, "direct_payment_requested") == (2, 3, 66.7)
    assert measure(total, "reconsidered") == (1, 1, 100.0)
    assert kids(total, "direct_payment_in_place") == world.id("reviewed", "unreviewed")
    assert measure(total, "first_review_missed") == (1, 2, 50.0)
    assert kids(total, "first_review_missed") == world.id("unreviewed")
    # Payments: 150,000p and 90,000p -> total 240,000p, median 120,000p.
    amounts = total["values"]["amount_pence"]
    assert (amounts["count"], amounts["total"], amounts["median"]) == (2, 240000.0, 120000.0)
    assert {k: g["count"] for k, g in groups(answer).items()} == {
        "request": 3, "refusal": 1, "direct_payment": 2, "first_review": 2}
    # As at Sat 31 Aug 2024 unreviewed's first review (due 3 Sep) is not yet missed.
    august = world.ask("personal-budgets", date(2024, 8, 31), **Y2024)["total"]
    assert measure(august, "first_review_missed") == (0, 2, 0.0)
    # As at Sun 19 May 2024 no payment was yet in place, the refusal not yet
    # reconsidered? It was (15 May): 1 of 1.
    may = world.ask("personal-budgets", date(2024, 5, 19), **Y2024)["total"]
    assert measure(may, "direct_payment_in_place")[0] == 0
    assert measure(may, "reconsidered") == (1, 1, 100.0)
    assert measure(may, "determined") == (2, 3, 66.7)
