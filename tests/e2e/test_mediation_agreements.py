"""A mediation agreement over HTTP on both stores (SEND Regulations 2014, reg 42): a
refusal to assess settled at mediation, the agreement recorded through the ordinary
endpoint, its steps timed by K27 from the agreement, and the LA carrying it out to a plan."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from tests.e2e.journeys import MEDIATION_AGREEMENT, Answers
from tests.e2e.test_created_ids import answers_as_the_schema_dumps  # noqa: F401  (autouse)

Auth = Callable[..., dict[str, str]]


def post_journey(client: FlaskClient, auth: Auth) -> tuple[str, Answers]:
    """Register the child and post every step; return its id and the labelled answers."""
    # A case reference of its own: the PostgreSQL store is shared by the module's tests.
    case_ref = f"CR-mediation-agreement-{uuid.uuid4().hex[:8]}"
    registered = client.post("/children", json=dict(MEDIATION_AGREEMENT.registration,
                                                    case_ref=case_ref), headers=auth())
    assert registered.status_code == 201, registered.json
    child_id: str = registered.json["child_id"]  # type: ignore[index]
    answers: Answers = {}
    for step in MEDIATION_AGREEMENT.steps:
        response = client.post(f"/children/{child_id}/events", json=step.resolved(answers),
                               headers=auth(role=step.role))
        assert response.status_code == 201, (step.type, response.json)
        if step.label is not None:
            answers[step.label] = response.json  # type: ignore[assignment]
    return child_id, answers


def k27(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the K27 readings by the end of their episode id (the step)."""
    return {c["episode"].split("-", 2)[-1]: c for c in view["clocks"] if c["clock"] == "K27"}


def test_an_agreement_to_assess_is_carried_out_over_http_under_its_own_clock(
        client: FlaskClient, auth: Auth) -> None:
    child_id, answers = post_journey(client, auth)
    view = client.get(f"/children/{child_id}/journey", query_string={"as_at": "2025-09-01"},
                      headers=auth()).json
    assert isinstance(view, dict)
    assert (view["stage"], view["status"]) == ("plan_issued", "open")
    steps = k27(view)
    # Agreed Monday 19 May 2025; reg 42(2) applies reg 44(2)(b): notice within 2 weeks of
    # the agreement, 19 May + 14 days = Monday 2 June (given 30 May: met); the plan within
    # 14 weeks, 19 May + 98 days = Monday 25 August 2025 (issued 18 August: met).
    assert (steps["assess-notify_assessment"]["due_on"],
            steps["assess-notify_assessment"]["status"]) == ("2025-06-02", "met")
    assert (steps["assess-outcome"]["due_on"], steps["assess-outcome"]["stopped_on"],
            steps["assess-outcome"]["status"]) == ("2025-08-25", "2025-08-18", "met")
    # Reg 42(3): the rest within two weeks of the agreement, also 2 June 2025: the LA's
    # educational psychologist on 30 May (met); the ICB's health assessment on 4 June,
    # two days late, and it is the ICB's delay, not the authority's.
    ep, health = steps["1-professional_involvement"], steps["2-health_assessment"]
    assert (ep["due_on"], ep["status"], ep["responsible"], ep["responsible_name"]) == (
        "2025-06-02", "met", "local_authority", view["authority"])
    assert (health["due_on"], health["status"], health["days_late"],
            health["responsible"]) == ("2025-06-02", "late", 2, "health")
    assert all(c["citation"] == "SEND Regulations 2014, reg 42" for c in steps.values())
    assert [c for c in view["clocks"] if c["clock"] == "K22"] == []
    episodes = view["episodes"]
    assert {o["source"] for o in episodes["disputes"]["obligations"]} == {
        "mediation_agreement"}
    assert [v["source"] for v in episodes["plan"]["versions"]] == ["mediation_agreement"]
    assert episodes["assessment"]["ordered"][0]["route"] == "mediation_agreement"
    assert len(episodes["assessment"]["requests"]) == 1

    # As it stood the day after the agreement, the journey shows the steps it opened.
    before = client.get(f"/children/{child_id}/journey", query_string={"as_at": "2025-05-20"},
                        headers=auth()).json
    assert isinstance(before, dict)
    assert before["stage"] == "mediation_agreement"
    assert {c["status"] for c in k27(before).values()} == {"running"}

    # A second agreement about the same mediation is refused, naming the rule; nothing
    # is stored.
    version = view["version"]
    again = client.post(f"/children/{child_id}/events", headers=auth(), json={
        "type": "MediationAgreementReached", "occurred_on": "2025-09-01",
        "decision_id": answers["refused"]["created"]["decision_id"], "will": ["assess"]})
    assert again.status_code == 409, again.json
    assert again.json["code"] == "mediation-agreement-needs-agreement"  # type: ignore[index]
    after = client.get(f"/children/{child_id}", headers=auth()).json
    assert after["version"] == version  # type: ignore[index]


def test_the_parent_page_says_what_the_mediation_agreement_asks_for_and_by_when(
        client: FlaskClient, auth: Auth) -> None:
    child_id, _ = post_journey(client, auth)
    page = client.get(f"/children/{child_id}/bundle.html", query_string={"as_at": "2025-06-03"},
                      headers=auth())
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert ("The mediation agreement asks for: professional involvement, within 2 weeks of "
            "19 May 2025; done on 30 May 2025.") in text
    assert ("The mediation agreement asks for: assess (notify assessment), within 2 weeks "
            "of 19 May 2025; done on 30 May 2025.") in text
    assert "The tribunal ordered" not in text
