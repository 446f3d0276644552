"""Thematic reports and the area picture over HTTP, on a hand-built cohort (SQLite and
PostgreSQL). Every expected figure is worked out here from the regulations: 6 weeks
(reg 5(1)), 20 weeks (reg 13(2)), 6 weeks for advice (reg 8(1)), counted in 7-day weeks
from the day the request was received."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.e2e.journeys import (
    EARLY_YEARS,
    PRIMARY_PLAN,
    TRANSFERRED_IN,
    YOUNG_PERSON,
    Answers,
    Journey,
    step,
)

Auth = Callable[..., dict[str, str]]
AS_AT = "2025-01-31"
YEAR_2024 = "period_from=2024-01-01&period_to=2024-12-31"


def _until_final(journey: Journey, final_on: str, extra: list[Any]) -> Journey:
    steps = []
    for s in journey.steps:
        if s.type == "FinalPlanIssued":
            steps.extend(extra)
            steps.append(dataclasses.replace(s, body={**s.body, "occurred_on": final_on}))
            break
        steps.append(s)
    return Journey(registration={**journey.registration, "sex": "F"}, steps=steps)


# The young person's journey with the final plan 25 weeks after the request (late), and
# again with an exception claimed for the 20-week clock (reg 13(3)(d)... ground c).
LATE = _until_final(YOUNG_PERSON, "2024-03-04", [])
LATE_WITH_EXCEPTION = _until_final(
    YOUNG_PERSON,
    "2024-03-04",
    [
        step(
            "TimescaleExceptionClaimed",
            "2024-01-20",
            clock="K4",
            ground="exceptional_personal_circumstances",
            period_from="2024-01-15",
            period_to="2024-02-20",
            family_informed=True,
        )
    ],
)
COHORT = {
    "primary": PRIMARY_PLAN,
    "transferred": TRANSFERRED_IN,
    "early": EARLY_YEARS,
    "young": YOUNG_PERSON,
    "late": LATE,
    "late_exception": LATE_WITH_EXCEPTION,
}



def record(client: FlaskClient, auth: Auth, journey: Journey) -> tuple[str, int]:
    answer = client.post("/children", json=journey.registration, headers=auth())
    assert answer.status_code == 201, answer.json
    child_id, version, position = answer.json["child_id"], 1, 0
    answers: Answers = {}
    for s in journey.steps:
        headers = auth(role=s.role)
        if s.if_match:
            headers["If-Match"] = f'"{version}"'
        answer = client.post(
            f"/children/{child_id}/events", json=s.resolved(answers), headers=headers
        )
        assert answer.status_code == 201, (s.type, answer.json)
        version, position = answer.json["version"], answer.json["position"]
        if s.label:
            answers[s.label] = answer.json
    return child_id, position


@pytest.fixture
def authority() -> str:
    """An authority of the test's own (PostgreSQL keeps one database for the run)."""
    return f"LA-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def cohort(
    client: FlaskClient, auth: Auth, read_side: None, authority: str
) -> tuple[dict[str, str], int]:
    children, position = {}, 0
    for name, journey in COHORT.items():
        children[name], at = record(client, lambda **kw: auth(org=authority, **kw), journey)
        position = max(position, at)
    return children, position


def get(client: FlaskClient, path: str, headers: dict[str, str], position: int) -> dict[str, Any]:
    joiner = "&" if "?" in path else "?"
    answer = client.get(f"{path}{joiner}consistent_after={position}", headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json  # type: ignore[no-any-return]


def measure(figure: dict[str, Any], name: str) -> tuple[int, int, float | None]:
    m = figure["measures"][name]
    return m["count"], m["of"], m["percent"]


def test_twenty_week_timeliness_with_and_without_exceptions(
    client: FlaskClient, auth: Auth, cohort: tuple[dict[str, str], int], authority: str
) -> None:
    children, position = cohort
    answer = get(
        client,
        f"/reports/timeliness?as_at={AS_AT}&{YEAR_2024}&breakdown=sex",
        auth(role="manager", org=authority),
        position,
    )
    total = answer["total"]
    # Plans issued in 2024: primary 8 Jan -> 20 May (133 days, 19 weeks); young person
    # 11 Sep 2023 -> 8 Jan 2024 (119 days, 17 weeks); both late variants 11 Sep 2023 ->
    # 4 Mar 2024 (175 days, 25 weeks: week 20 was 29 Jan 2024).
    assert total["count"] == 4
    assert measure(total, "within_20_weeks") == (2, 4, 50.0)
    assert measure(total, "exception_applied") == (1, 4, 25.0)
    assert measure(total, "within_20_weeks_excluding_exceptions") == (2, 3, 66.7)
    assert measure(total, "late_without_exception")[0] == 1
    assert total["measures"]["late_exception_applies"]["children"] == [children["late_exception"]]
    assert total["values"]["weeks_to_issue"]["median"] == 22.0
    assert total["values"]["weeks_to_issue"]["mean"] == 21.5
    groups = {g["key"]: g for g in answer["groups"]}
    assert groups["M"]["count"] == 1 and groups["F"]["count"] == 2  # primary; late ones
    assert groups["not_recorded"]["children"] == [children["young"]]


def test_six_week_decisions_and_refusals(
    client: FlaskClient, auth: Auth, cohort: tuple[dict[str, str], int], authority: str
) -> None:
    _, position = cohort
    headers = auth(role="manager", org=authority)
    in_2024 = get(client, f"/reports/decisions?as_at={AS_AT}&{YEAR_2024}", headers, position)[
        "total"
    ]
    # Received in 2024: primary (decided 12 Feb, due 19 Feb), early years twice (withdrawn
    # 1 Feb; decided 10 Jul, due 15 Jul).
    assert in_2024["count"] == 3
    assert measure(in_2024, "decided") == (2, 3, 66.7)
    assert measure(in_2024, "within_6_weeks")[0] == 2
    assert measure(in_2024, "withdrawn")[0] == 1
    assert measure(in_2024, "refused") == (0, 2, 0.0)
    in_2023 = get(
        client,
        f"/reports/decisions?as_at={AS_AT}&period_from=2023-01-01&"
        "period_to=2023-12-31&breakdown=requester",
        headers,
        position,
    )
    # 2023: the early-years child brought to attention (refused 14 Apr, due 17 Apr) and
    # the three young-person requests (decided 16 Oct, due 23 Oct).
    assert measure(in_2023["total"], "refused") == (1, 4, 25.0)
    groups = {g["key"]: g for g in in_2023["groups"]}
    assert measure(groups["brought_to_attention"], "refused") == (1, 1, 100.0)
    assert measure(groups["YoungPerson"], "within_6_weeks")[0] == 3


def test_advice_timeliness_by_adviser_type(
    client: FlaskClient, auth: Auth, cohort: tuple[dict[str, str], int], authority: str
) -> None:
    children, position = cohort
    answer = get(
        client,
        f"/reports/advice?as_at={AS_AT}&{YEAR_2024}&breakdown=adviser_type",
        auth(role="manager", org=authority),
        position,
    )
    # Asked on 14 Feb 2024 (due 27 Mar): educational back 20 Mar, psychological 22 Mar,
    # medical 5 Apr (9 days late, missed appointment claimed); parents' advice has no
    # 6-week duty (reg 8(1) binds the advisers of reg 6(1)(b)-(h)).
    total = answer["total"]
    assert total["count"] == 3
    assert measure(total, "within_6_weeks")[0] == 2
    assert measure(total, "late_exception_applies")[0] == 1
    assert measure(total, "pushed_plan_past_week_20")[0] == 0
    assert total["values"]["days_late"]["median"] == 9.0
    groups = {g["key"]: g for g in answer["groups"]}
    assert groups["Medical"]["measures"]["late"]["children"] == [children["primary"]]


def test_area_picture_for_2024(
    client: FlaskClient, auth: Auth, cohort: tuple[dict[str, str], int], authority: str
) -> None:
    children, position = cohort
    area = get(
        client,
        "/reports/area?year=2024&as_at=2025-06-30",
        auth(role="auditor", org=authority),
        position,
    )
    assert area["census_on"] == "2025-01-16"  # third Thursday of January 2025
    assert area["requests"]["received"]["count"] == 3
    assert area["requests"]["decided_to_assess"]["count"] == 2
    assert area["requests"]["withdrawn"]["count"] == 1
    assert area["new_plans"]["issued"]["count"] == 4
    assert area["new_plans"]["percent_within_20_weeks"] == 50.0
    assert area["new_plans"]["excluding_exceptions"]["percent_within_20_weeks"] == 66.7
    assert area["assessments"]["completed"]["count"] == 5  # 4 plans, 1 no-plan decision
    assert area["assessments"]["plan_not_issued"]["children"] == [children["early"]]
    # Active on 16 January 2025: primary, transferred in (out only in July 2025), the
    # young person (ceased July 2025) and both late variants.
    assert area["active_plans"]["count"] == 5
    assert area["ceased_plans"]["count"] == 0
    # Each late plan is 35 days past week 20 with no late advice: the LA's delay.
    late = area["delays"]["late_plans_by_body"]
    assert late["local_authority"]["plans"] == 2 and late["local_authority"]["days"] == 70
    assert "local_authority" in area["delays"]["by_body"]
    ceased = get(
        client,
        "/reports/area?year=2025&as_at=2025-12-31",
        auth(role="manager", org=authority),
        position,
    )["ceased_plans"]
    assert ceased["by_reason"] == {"4": {"count": 1, "children": [children["young"]]}}


def test_other_questions_answer_on_the_cohort(
    client: FlaskClient, auth: Auth, cohort: tuple[dict[str, str], int], authority: str
) -> None:
    children, position = cohort
    headers = auth(role="manager", org=authority)
    disputes = get(client, f"/reports/disputes?as_at={AS_AT}&{YEAR_2024}", headers, position)[
        "total"
    ]
    assert disputes["measures"]["mediation_held"]["children"] == [children["primary"]]
    assert disputes["measures"]["appeal_registered"]["count"] >= 4
    orders = get(client, f"/reports/tribunal-orders?as_at={AS_AT}", headers, position)
    assert orders["total"]["measures"]["complied"]["children"] == [children["primary"]]
    waits = get(client, f"/reports/health-waits?as_at={AS_AT}&breakdown=service", headers, position)
    assert {g["key"] for g in waits["groups"]} == {"SALT", "ND_AUTISM"}
    placements = get(client, f"/reports/placements?as_at={AS_AT}", headers, position)
    assert placements["total"]["count"] == 5
    budgets = get(client, f"/reports/personal-budgets?as_at={AS_AT}", headers, position)
    assert budgets["total"]["measures"]["request"]["count"] == 1
    for question in (
        "exceptions",
        "reviews-overdue",
        "review-decisions",
        "phase-transfers",
        "ceased",
        "equality",
        "corrections",
    ):
        get(client, f"/reports/{question}?as_at={AS_AT}", headers, position)
    unknown = client.get("/reports/nonsense", headers=headers)
    assert unknown.status_code == 404


def test_inspectors_see_pseudonyms_only_while_inspecting(
    client: FlaskClient, auth: Auth, cohort: tuple[dict[str, str], int], authority: str
) -> None:
    children, position = cohort
    inspector = auth(role="inspector", org="OFSTED-CQC", sub="hmi-1")
    refused = client.get(
        f"/reports/timeliness?authority={authority}&as_at={AS_AT}", headers=inspector
    )
    assert refused.status_code == 403  # no inspection of LA-901 yet
    today = date.today()
    opened = client.post(
        "/inspections",
        headers=inspector,
        json={
            "authority": authority,
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=5)).isoformat(),
        },
    )
    assert opened.status_code == 201, opened.json
    answer = get(
        client,
        f"/reports/timeliness?authority={authority}&as_at={AS_AT}&{YEAR_2024}",
        inspector,
        position,
    )
    assert answer["pseudonymous"] is True
    assert answer["total"]["count"] == 4
    text = str(answer) + str(
        get(client, f"/reports/area?authority={authority}&year=2024", inspector, position)
    )
    for child_id in children.values():
        assert child_id not in text
    assert all(c.startswith("pseudo-") for c in answer["total"]["children"])
    assert (
        client.get(
            "/reports/timeliness", headers=auth(role="caseworker", org=authority)
        ).status_code
        == 403
    )
