"""The Tribunal-order journey over HTTP on both stores: a refusal to assess, every step of
mediation, the parent's appeal, the order to assess, and the LA carrying it out to a plan."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask.testing import FlaskClient

from tests.e2e.journeys import TRIBUNAL_ORDER, Answers
from tests.e2e.test_created_ids import answers_as_the_schema_dumps  # noqa: F401  (autouse)

Auth = Callable[..., dict[str, str]]


def post_journey(client: FlaskClient, auth: Auth) -> str:
    """Register the child and post every step; return the child's id."""
    registered = client.post("/children", json=dict(TRIBUNAL_ORDER.registration,
                                                    case_ref="CR-tribunal-order"),
                             headers=auth())
    assert registered.status_code == 201, registered.json
    child_id: str = registered.json["child_id"]  # type: ignore[index]
    answers: Answers = {}
    for step in TRIBUNAL_ORDER.steps:
        response = client.post(f"/children/{child_id}/events", json=step.resolved(answers),
                               headers=auth(role=step.role))
        assert response.status_code == 201, (step.type, response.json)
        if step.label is not None:
            answers[step.label] = response.json  # type: ignore[assignment]
    return child_id


def clocks(view: dict[str, Any], clock_id: str) -> list[dict[str, Any]]:
    return [c for c in view["clocks"] if c["clock"] == clock_id]


def test_an_order_to_assess_is_carried_out_over_http_to_a_plan_with_its_review(
        client: FlaskClient, auth: Auth) -> None:
    child_id = post_journey(client, auth)
    view = client.get(f"/children/{child_id}/journey", query_string={"as_at": "2025-03-01"},
                      headers=auth()).json
    assert isinstance(view, dict)
    assert (view["stage"], view["status"]) == ("plan_issued", "open")
    # Ordered Monday 4 November 2024: notice due 18 November (given 15th), final plan due
    # 4 November + 14 weeks = 10 February 2025 (issued 3 February): both met (reg 44(2)).
    steps = {c["episode"].rsplit("-", 1)[-1]: c for c in clocks(view, "K22")}
    assert (steps["notify_assessment"]["due_on"], steps["notify_assessment"]["status"]) == (
        "2024-11-18", "met")
    assert (steps["outcome"]["due_on"], steps["outcome"]["stopped_on"],
            steps["outcome"]["status"]) == ("2025-02-10", "2025-02-03", "met")
    # The plan made under the order is reviewed within the period of 12 months "starting
    # with" the day it was made (s.44(1)): 3 February 2025 is day one, so the period ends
    # on 2 February 2026.
    [review] = clocks(view, "K7")
    assert review["due_on"] == "2026-02-02"
    # Mediation: 30 days from the request ended with the LA's notice on 28 June (met);
    # the certificate was due 3 working days after it, 3 July, and came on 2 July.
    k20 = {c["episode"].rsplit("-", 1)[-1]: c for c in clocks(view, "K20")}
    assert (k20["meeting"]["stopped_on"], k20["meeting"]["status"]) == ("2024-06-28", "met")
    assert (k20["certificate"]["due_on"], k20["certificate"]["status"]) == (
        "2024-07-03", "met")
    # Who is responsible, by name and by how much (issue 13.5): each advice clock names
    # the organisation the request went to; the authority's own clocks name it.
    advice = {c["responsible_name"]: c for c in clocks(view, "K2")}
    assert {"la-901-ep-service", "icb-901", "urn-100001"} <= set(advice)
    assert advice["la-901-ep-service"]["days_late"] == 0
    assert {c["responsible_name"] for c in clocks(view, "K22")} == {view["authority"]}
    episodes = view["episodes"]
    assert episodes["disputes"]["appeals"][0]["appellant"] == "parent"
    assert [v["source"] for v in episodes["plan"]["versions"]] == ["tribunal"]
    assert len(episodes["assessment"]["requests"]) == 1
    assert episodes["assessment"]["ordered"][0]["final_issued_on"] == "2025-02-03"
    assert date.fromisoformat(view["episodes"]["plan"]["versions"][0]["made_on"]) == \
        date(2025, 2, 3)
