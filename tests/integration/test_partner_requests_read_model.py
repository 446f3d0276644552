"""The partners' read model keeps each request's clock as the domain read it, and the list
derived from it stays true as days pass, on SQLite and PostgreSQL (issue 16).

The journey: a request received Mon 6 Jan 2025, a decision to assess Mon 10 Feb, then
advice asked of the EP service (received by it Wed 12 Feb) and of the ICB (received Tue
11 Feb). K2 runs 6 weeks from the adviser's receipt: the EP's advice is due Wed 26 Mar,
the ICB's Tue 25 Mar; on Mon 31 Mar they are 5 and 6 days late.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine

from application.errors import ForbiddenError
from application.partner_requests import RequestFilter, requests_addressed
from domain.actors import Actor
from domain.clocks import compute_clocks
from domain.journey import ChildJourney
from infrastructure.partner_requests import PartnerRequest, request_rows
from infrastructure.readmodels import SQLReadModels
from infrastructure.tracking import insert_rows

AUTHORITY = "LA-971"
WORKER = Actor("cw-9", "caseworker", AUTHORITY)
EP = Actor("ep-1", "partner", "ep-971")
ICB = Actor("icb-1", "partner", "icb-971")
PROJECTED_ON = date(2025, 2, 12)


def journey() -> ChildJourney:
    child = ChildJourney.register(authority=AUTHORITY, date_of_birth=date(2015, 5, 5),
                                  actor=WORKER, occurred_on=date(2025, 1, 6),
                                  today=PROJECTED_ON, case_ref="PR-1")
    for type_name, payload, on in (
            ("EHCNeedsAssessmentRequested", {"requester_role": "Parent",
                                             "request_source": "1"}, date(2025, 1, 6)),
            ("DecisionToAssessMade", {"assessment_test_met": True, "reasons": "x"},
             date(2025, 2, 10)),
            ("AdviceRequested", {"advice_type": "Psychological", "recipient_org": "ep-971",
                                 "received_by_adviser_on": date(2025, 2, 12),
                                 "adviser_is_educational_psychologist": True},
             date(2025, 2, 11)),
            ("AdviceRequested", {"advice_type": "Medical", "recipient_org": "icb-971",
                                 "received_by_adviser_on": date(2025, 2, 11),
                                 "adviser_identified_by_icb": True}, date(2025, 2, 11)),
            ("AdviceRequested", {"advice_type": "Parent", "recipient_org": "family",
                                 "received_by_adviser_on": date(2025, 2, 11)},
             date(2025, 2, 11))):
        child.record(type_name, payload, actor=WORKER, occurred_on=on, today=PROJECTED_ON)
    return child


@pytest.fixture
def engine(read_model_engine: Engine) -> Engine:
    return read_model_engine


def project(engine: Engine, child: ChildJourney, on: date) -> None:
    with engine.begin() as conn:
        conn.execute(delete(PartnerRequest).where(PartnerRequest.child_id == str(child.id)))
        insert_rows(conn, PartnerRequest, request_rows(child, on))


def listed(engine: Engine, actor: Actor, on: date, **where: object) -> list[dict[str, object]]:
    answer = requests_addressed(SQLReadModels(engine, "casetrack"), actor=actor,
                                where=RequestFilter(**where), today=on)  # type: ignore[arg-type]
    return answer["items"]  # type: ignore[no-any-return]


def test_a_partner_lists_only_its_requests_with_the_due_date_the_clock_set(
        engine: Engine) -> None:
    child = journey()
    project(engine, child, PROJECTED_ON)
    [ep] = listed(engine, EP, date(2025, 3, 20))
    assert (ep["request_id"], ep["kind"], ep["advice_type"], ep["child_id"]) == (
        "advice-4", "advice", "Psychological", str(child.id))
    assert (ep["due_on"], ep["status"], ep["clock"]) == (date(2025, 3, 26), "running", "K2")
    assert ep["answer_with"] == {"type": "AdviceReceived", "advice_request_id": "advice-4"}
    assert [i["request_id"] for i in listed(engine, ICB, date(2025, 3, 20))] == ["advice-5"]
    assert listed(engine, Actor("x", "partner", "family"), date(2025, 3, 20)) == []


def test_rows_projected_once_read_as_the_journeys_own_clocks_on_a_later_day(
        engine: Engine) -> None:
    child = journey()
    project(engine, child, PROJECTED_ON)
    for day in (date(2025, 3, 25), date(2025, 3, 26), date(2025, 3, 27), date(2025, 3, 31)):
        clocks = {r.episode: r for r in compute_clocks(child.state, day) if r.clock == "K2"}
        for actor, episode in ((EP, "advice-4"), (ICB, "advice-5")):
            [item] = listed(engine, actor, day)
            expected = clocks[episode]
            assert (item["due_on"], item["status"], item["days_late"]) == (
                expected.due_on, expected.status.value, expected.days_late), (day, episode)
    [ep] = listed(engine, EP, date(2025, 3, 31))
    assert (ep["status"], ep["days_late"]) == ("late", 5)


def test_an_answered_request_follows_the_open_ones_and_the_state_filter_splits_them(
        engine: Engine) -> None:
    child = journey()
    child.record("AdviceRequested", {
        "advice_type": "Psychological", "recipient_org": "ep-971",
        "received_by_adviser_on": date(2025, 3, 3), "adviser_is_educational_psychologist":
            True}, actor=WORKER, occurred_on=date(2025, 3, 3), today=date(2025, 3, 3))
    child.record("AdviceReceived", {"advice_request_id": "advice-4", "author": "EP",
                                          "document_ref": "doc-ep-1"},
                 actor=EP, occurred_on=date(2025, 3, 20), today=date(2025, 3, 20))
    project(engine, child, date(2025, 3, 20))
    items = listed(engine, EP, date(2025, 3, 31))
    assert [(i["request_id"], i["answered_on"], i["status"]) for i in items] == [
        ("advice-7", None, "running"), ("advice-4", date(2025, 3, 20), "met")]
    assert [i["request_id"] for i in listed(engine, EP, date(2025, 3, 31), state="open")] == [
        "advice-7"]
    assert [i["request_id"] for i in listed(engine, EP, date(2025, 3, 31),
                                            state="answered")] == ["advice-4"]
    page = requests_addressed(SQLReadModels(engine, "casetrack"), actor=EP,
                              where=RequestFilter(limit=1), today=date(2025, 3, 31))
    assert ([i["request_id"] for i in page["items"]], page["next_after"], page["open"]) == (
        ["advice-7"], 1, 1)


def test_only_a_partner_asks_for_its_requests(engine: Engine) -> None:
    with pytest.raises(ForbiddenError):
        listed(engine, WORKER, PROJECTED_ON)
