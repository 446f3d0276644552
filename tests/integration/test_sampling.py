"""Stratified random draws for inspections: allocation worked out by hand, reproducible
from the seed, recorded as events with their parameters (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.sampling import allocate, draw, reproduce, stratum_of
from domain.actors import Actor
from domain.inspection import InspectionError
from tests.conftest import settings_for
from tests.integration.sen2_cohort import AUTHORITY, build, register
from web import create_app
from web.services import services_of

Auth = Callable[..., dict[str, str]]


@pytest.fixture
def app(tmp_path: Path, store_url: str | None, request: pytest.FixtureRequest
        ) -> Iterator[Flask]:
    """The app on empty tables (a PostgreSQL schema of its own): the population is known."""
    if store_url is not None:
        store_url = request.getfixturevalue("postgres_schema_url")
    flask_app = create_app(settings_for(tmp_path, store_url))
    yield flask_app
    services_of(flask_app).close()


def test_proportional_allocation_by_largest_remainder() -> None:
    # 20 children: 10/5/5. Size 4 → quotas 2, 1, 1 exactly.
    assert allocate({"a": 10, "b": 5, "c": 5}, 4, "proportional") == {"a": 2, "b": 1, "c": 1}
    # Size 3 → quotas 1.5, 0.75, 0.75 → 1, 0, 0 and two left for the largest remainders
    # (b and c, 0.75 each, before a's 0.5).
    assert allocate({"a": 10, "b": 5, "c": 5}, 3, "proportional") == {"a": 1, "b": 1, "c": 1}
    # More asked than there are: everyone.
    assert allocate({"a": 2, "b": 1}, 10, "proportional") == {"a": 2, "b": 1}


def test_equal_and_explicit_allocation() -> None:
    # Equal shares of 5 over strata of 1, 5, 5: one each, then b and c again.
    assert allocate({"a": 1, "b": 5, "c": 5}, 5, "equal") == {"a": 1, "b": 2, "c": 2}
    assert allocate({"a": 1, "b": 5}, 99, {"b": 3}) == {"a": 0, "b": 3}
    with pytest.raises(InspectionError):
        allocate({"a": 1}, 1, {"z": 1})


def population(n: int) -> list[tuple[UUID, dict[str, str]]]:
    return [(UUID(int=i + 1), {"stage": "plan_issued" if i % 3 else "registered",
                               "primary_need": "ASD", "age_band": "5-10",
                               "placement_type": "none"}) for i in range(n)]


def test_the_same_seed_draws_the_same_children_and_another_seed_a_valid_other_draw() -> None:
    people = population(30)  # 10 registered, 20 plan_issued
    first, recorded = draw(people, seed="ofsted-2025", size=6, dimensions=["stage"])
    again, _ = draw(list(reversed(people)), seed="ofsted-2025", size=6, dimensions=["stage"])
    assert first == again
    other, other_recorded = draw(people, seed="another", size=6, dimensions=["stage"])
    assert other != first
    for chosen, record in ((first, recorded), (other, other_recorded)):
        assert len(set(chosen)) == 6 and set(chosen) <= {c for c, _ in people}
        # Proportional: 6 × 10/30 = 2 registered, 6 × 20/30 = 4 with a plan.
        assert record["per_stratum"] == {
            "stage=plan_issued": {"population": 20, "drawn": 4},
            "stage=registered": {"population": 10, "drawn": 2}}
        assert record["population_sha256"] == recorded["population_sha256"]
    assert recorded["seed"] == "ofsted-2025" and recorded["population_size"] == 30


def test_strata_from_the_journey() -> None:
    from application.tracking import CaseTracking

    app = CaseTracking(env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
                       today=lambda: date(2025, 1, 31))
    cohort = build(app)
    on_time = app.repository.get(cohort["on_time"].child_id)
    assert stratum_of(on_time.as_at(date(2025, 1, 16)), date(2025, 1, 16)) == {
        "stage": "plan_issued", "primary_need": "SLCN", "age_band": "5-10",
        "placement_type": "MAINSTREAM_LA"}
    undecided = app.repository.get(cohort["undecided"].child_id)
    assert stratum_of(undecided.state, date(2025, 1, 16)) == {
        "stage": "assessment_requested", "primary_need": "none", "age_band": "5-10",
        "placement_type": "none"}


def open_inspection(client: FlaskClient, auth: Auth) -> str:
    today = date.today()
    opened = client.post("/inspections", headers=auth(role="manager"), json={
        "authority": AUTHORITY, "inspectorate": "OFSTED",
        "starts_on": (today - timedelta(days=1)).isoformat(),
        "ends_on": (today + timedelta(days=20)).isoformat()})
    assert opened.status_code == 201, opened.json
    return str(opened.json["inspection_id"])


def test_a_draw_over_http_is_recorded_and_reproducible(
        app: Flask, client: FlaskClient, auth: Auth) -> None:
    tracking = services_of(app).tracking
    cohort = build(tracking)
    ours = {str(c.child_id) for k, c in cohort.children.items() if k != "elsewhere"}
    for n in range(14):  # more children of several ages, nothing recorded yet
        ours.add(str(register(tracking, f"extra-{n}", date(2005 + n, 3, 1),
                              date(2024, 1, 2)).child_id))
    inspection = open_inspection(client, auth)
    body = {"draw": {"seed": "tracking-2025", "size": 5, "strata": ["age_band", "stage"]},
            "theme": "case tracking"}
    inspector = auth(role="inspector", org="OFSTED")
    first = client.post(f"/inspections/{inspection}/sample", json=body, headers=inspector)
    assert first.status_code == 200, first.json
    [selection] = first.json["selections"]
    assert selection["method"] == "stratified_random" and selection["theme"] == "case tracking"
    parameters = selection["parameters"]
    assert parameters["seed"] == "tracking-2025" and parameters["size"] == 5
    assert parameters["strata"] == ["age_band", "stage"]
    assert parameters["population_size"] == 20  # 6 of the cohort and 14 more, not LA-877's
    assert sum(s["drawn"] for s in parameters["per_stratum"].values()) == 5
    drawn = [str(c) for c in first.json["sample"]]
    assert len(set(drawn)) == 5 and set(drawn) <= ours  # LA-901's children only

    # The same seed on another inspection draws the same children.
    second = open_inspection(client, auth)
    same = client.post(f"/inspections/{second}/sample", json=body, headers=inspector)
    assert [str(c) for c in same.json["sample"]] == drawn
    # Another seed: a valid draw of the same size and allocation, of other children.
    other = open_inspection(client, auth)
    body_other = {"draw": body["draw"] | {"seed": "another-seed"}}
    answer = client.post(f"/inspections/{other}/sample", json=body_other, headers=inspector)
    assert answer.status_code == 200, answer.json
    other_parameters = answer.json["selections"][0]["parameters"]
    assert {k: v["drawn"] for k, v in other_parameters["per_stratum"].items()} == {
        k: v["drawn"] for k, v in parameters["per_stratum"].items()}
    assert [str(c) for c in answer.json["sample"]] != drawn
    # The recorded draw can be re-run and checked.
    again = reproduce(tracking, UUID(inspection), 0, actor=Actor("a", "auditor", "AUDIT"))
    assert again["same_population"] and again["same_children"]
    # The sampled children are now readable by the inspector.
    assert client.get(f"/children/{drawn[0]}/bundle", headers=inspector).status_code == 200


def test_draw_requests_are_checked(app: Flask, client: FlaskClient, auth: Auth) -> None:
    inspection = open_inspection(client, auth)
    inspector = auth(role="inspector", org="OFSTED")

    def post(body: dict[str, Any]) -> Any:
        return client.post(f"/inspections/{inspection}/sample", json=body, headers=inspector)

    assert post({"draw": {"seed": "s", "size": 2}, "child_ids": [str(uuid4())]}
                ).status_code == 422
    assert post({"draw": {"seed": "s", "size": 2, "strata": ["shoe_size"]}}).status_code == 422
    assert post({"draw": {"seed": "s", "size": 2, "allocation": "lumpy"}}).status_code == 422
    assert post({"draw": {"seed": "s", "size": 2}}).status_code == 409  # nobody to draw
    assert client.post(f"/inspections/{inspection}/sample", headers=auth(), json={
        "draw": {"seed": "s", "size": 2}}).status_code == 403
