"""A partner lists the requests addressed to its organisation — advice asked of it and a
consultation on naming it — open ones first with the due dates the journey's clocks set,
and answers against the request (issue 16; SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.e2e.journeys import PRIMARY_PLAN, Journey
from tests.e2e.test_bundles import post_journey

Auth = Callable[..., dict[str, str]]
# The primary journey up to the consultation of the school its family asked for
# (urn-100001), before the school answers.
CONSULTED = Journey(PRIMARY_PLAN.registration, PRIMARY_PLAN.steps[:next(
    i for i, s in enumerate(PRIMARY_PLAN.steps) if s.type == "SettingConsulted") + 1])


def record(client: FlaskClient, child_id: str, headers: dict[str, str], **body: Any
           ) -> dict[str, Any]:
    answer = client.post(f"/children/{child_id}/events", json=body, headers=headers)
    assert answer.status_code == 201, answer.json
    result: dict[str, Any] = answer.json
    return result


def asked(client: FlaskClient, headers: dict[str, str], position: int, query: str = ""
          ) -> dict[str, Any]:
    answer = client.get(f"/partner/requests?consistent_after={position}{query}",
                        headers=headers)
    assert answer.status_code == 200, answer.json
    result: dict[str, Any] = answer.json
    return result


def k_due(client: FlaskClient, auth: Auth, child_id: str, clock: str, episode: str
          ) -> tuple[str, str]:
    clocks = client.get(f"/children/{child_id}", headers=auth()).json["clocks"]
    reading = next(c for c in clocks if c["clock"] == clock and c["episode"] == episode)
    return reading["due_on"], reading["status"]


@pytest.mark.usefixtures("read_side")
def test_a_partner_lists_its_requests_open_first_with_the_journeys_due_dates(
        client: FlaskClient, auth: Auth) -> None:
    run = uuid.uuid4().hex[:8]  # the PostgreSQL database is the run's: our own partners
    ep_org, icb_org = f"ep-{run}", f"icb-{run}"
    child_id = client.post("/children", json={"date_of_birth": "2015-03-02",
                                              "case_ref": f"PR-{run}"},
                           headers=auth()).json["child_id"]
    record(client, child_id, auth(), type="EHCNeedsAssessmentRequested",
           occurred_on="2024-01-08", requester_role="Parent", request_source="1")
    record(client, child_id, auth(), type="DecisionToAssessMade", occurred_on="2024-02-26",
           assessment_test_met=True, reasons="May need a plan")
    first = record(client, child_id, auth(), type="AdviceRequested",
                   occurred_on="2024-02-27", advice_type="Psychological",
                   recipient_org=ep_org, received_by_adviser_on="2024-02-28",
                   adviser_is_educational_psychologist=True)
    second = record(client, child_id, auth(), type="AdviceRequested",
                    occurred_on="2024-03-04", advice_type="LAOther", recipient_org=ep_org,
                    received_by_adviser_on="2024-03-05")
    record(client, child_id, auth(), type="AdviceRequested", occurred_on="2024-02-27",
           advice_type="Medical", recipient_org=icb_org,
           received_by_adviser_on="2024-02-27", adviser_identified_by_icb=True)
    first_id, second_id = (f"advice-{first['version']}", f"advice-{second['version']}")
    ep = auth(role="partner", org=ep_org, sub="ep-1")
    answered = record(client, child_id, ep, type="AdviceReceived", occurred_on="2024-04-02",
                      advice_request_id=first_id, author="Educational psychologist",
                      document_ref="doc-ep-1")

    listed = asked(client, ep, answered["position"])
    assert [(i["request_id"], i["answered_on"]) for i in listed["items"]] == [
        (second_id, None), (first_id, "2024-04-02")]
    assert listed["open"] == 1
    open_item = listed["items"][0]
    assert (open_item["due_on"], open_item["status"]) == k_due(
        client, auth, child_id, "K2", second_id)
    assert (open_item["child_id"], open_item["case_ref"], open_item["authority"]) == (
        child_id, f"PR-{run}", "LA-901")
    assert open_item["answer_with"] == {"type": "AdviceReceived",
                                        "advice_request_id": second_id}
    assert listed["items"][1]["due_on"] == k_due(client, auth, child_id, "K2", first_id)[0]
    assert [i["request_id"] for i in asked(client, ep, answered["position"],
                                           "&state=answered")["items"]] == [first_id]
    icb = auth(role="partner", org=icb_org, sub="icb-1")
    assert [i["advice_type"] for i in asked(client, icb, answered["position"])["items"]] == [
        "Medical"]
    assert client.get("/partner/requests", headers=auth()).status_code == 403


@pytest.mark.usefixtures("read_side")
def test_a_consulted_setting_sees_the_consultation_and_answers_it(
        client: FlaskClient, auth: Auth) -> None:
    child_id = post_journey(client, auth, CONSULTED)
    school = auth(role="partner", org="urn-100001", sub="senco-1")
    position = client.get("/readyz").json["position"]
    mine = [i for i in asked(client, school, position, "&kind=consultation")["items"]
            if i["child_id"] == child_id]
    assert len(mine) == 1 and mine[0]["answered_on"] is None
    consultation = mine[0]
    assert (consultation["due_on"], consultation["status"]) == k_due(
        client, auth, child_id, "K6", consultation["request_id"])
    assert consultation["answer_with"] == {"type": "SettingConsultationResponded",
                                           "setting_ref": "urn-100001"}
    other = client.post(f"/children/{child_id}/events", headers=auth(
        role="partner", org="urn-999999", sub="senco-2"), json={
        "type": "SettingConsultationResponded", "occurred_on": "2024-05-10",
        "setting_ref": "urn-100001", "can_meet_needs": True})
    assert other.status_code == 403
    answer = record(client, child_id, school, **consultation["answer_with"],
                    occurred_on="2024-05-10", can_meet_needs=True,
                    reasons="With the therapy in section F")
    assert answer["event"]["actor"]["organisation"] == "urn-100001"
    now = [i for i in asked(client, school, answer["position"], "&kind=consultation")["items"]
           if i["child_id"] == child_id]
    assert [i["answered_on"] for i in now] == ["2024-05-10"]


def test_the_list_refuses_what_it_does_not_know(client: FlaskClient, auth: Auth) -> None:
    partner = auth(role="partner", org="ep-x")
    for query in ("state=closed", "kind=letters", "limit=0", "colour=red"):
        assert client.get(f"/partner/requests?{query}", headers=partner).status_code == 422
