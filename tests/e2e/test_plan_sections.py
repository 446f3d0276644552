"""A plan's sections over HTTP on both stores (issue 15): their typed shape in
/openapi.json, every shape problem answered in one 422 by JSON pointer with nothing
stored, and events stored in an older shape still replayed."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from flask import Flask
from flask.testing import FlaskClient

from domain.actors import Actor
from tests.e2e.journeys import MEDIATION_AGREEMENT, ORDERED_DRAFT, Answers, Step
from web.services import services_of

Auth = Callable[..., dict[str, str]]

BAD_SECTIONS = {
    "A": ["views as a list"],
    "B": [{"need": "SPLD", "descripton": "Reading well below age level"}],
    "F": [{"need": "SPLD", "provision": "Specialist literacy teaching", "hours": "two",
           "frequency": "weekly"},
          {"need": "SPLD", "provision": " ", "frequency": "now and then"}],
    "I": {"setting_type": "NOT_A_TYPE"},
    "Z": "a section the plan does not have",
}
POINTERS = ["/sections/A", "/sections/B/0/descripton", "/sections/F/0/hours",
            "/sections/F/1/frequency", "/sections/F/1/provision",
            "/sections/I/setting_type", "/sections/Z"]


def up_to_the_draft(client: FlaskClient, auth: Auth, case_ref: str) -> tuple[str, Step]:
    """Post the journey until its draft is due; return the child's id and the draft step."""
    registered = client.post("/children", json=dict(
        MEDIATION_AGREEMENT.registration, case_ref=f"{case_ref}-{uuid.uuid4().hex[:8]}"),
        headers=auth())
    assert registered.status_code == 201, registered.json
    child_id: str = registered.json["child_id"]  # type: ignore[index]
    answers: Answers = {}
    for step in MEDIATION_AGREEMENT.steps:
        if step.type == "DraftPlanIssued":
            return child_id, step
        answer = client.post(f"/children/{child_id}/events", json=step.resolved(answers),
                             headers=auth(role=step.role))
        assert answer.status_code == 201, (step.type, answer.json)
        if step.label is not None:
            answers[step.label] = answer.json  # type: ignore[assignment]
    raise AssertionError("the journey has no draft plan")


def version_and_history(client: FlaskClient, auth: Auth, child_id: str) -> tuple[int, int]:
    journey = client.get(f"/children/{child_id}", headers=auth()).json
    history = client.get(f"/children/{child_id}/history", headers=auth()).json
    assert isinstance(journey, dict) and isinstance(history, dict)
    return journey["version"], len(history["items"])


def test_a_plan_with_several_shape_errors_gets_one_422_naming_each_and_nothing_is_stored(
        client: FlaskClient, auth: Auth) -> None:
    child_id, draft = up_to_the_draft(client, auth, "CR-sections-bad")
    before = version_and_history(client, auth, child_id)
    answer = client.post(f"/children/{child_id}/events", headers=auth(), json={
        "type": "DraftPlanIssued", "occurred_on": draft.body["occurred_on"],
        "sections": BAD_SECTIONS})
    assert answer.status_code == 422, answer.json
    assert answer.content_type == "application/problem+json"
    problem = answer.json
    assert isinstance(problem, dict)
    assert problem["type"] == "/problems/validation"
    assert sorted(e["pointer"] for e in problem["errors"]) == POINTERS
    details = {e["pointer"]: e["detail"] for e in problem["errors"]}
    assert details["/sections/F/0/hours"] == "must be a number"
    assert "setting_types list" in details["/sections/I/setting_type"]
    assert version_and_history(client, auth, child_id) == before
    # The same request in the documented shape is recorded: only the shape stopped it.
    typed = dict(ORDERED_DRAFT, F=[dict(ORDERED_DRAFT["F"][0], hours=2, frequency="weekly")])
    recorded = client.post(f"/children/{child_id}/events", headers=auth(), json={
        "type": "DraftPlanIssued", "occurred_on": draft.body["occurred_on"],
        "sections": typed})
    assert recorded.status_code == 201, recorded.json
    assert version_and_history(client, auth, child_id)[0] == before[0] + 1


def test_a_correction_of_the_sections_is_checked_in_the_same_shape(
        client: FlaskClient, auth: Auth) -> None:
    child_id, draft = up_to_the_draft(client, auth, "CR-sections-correct")
    recorded = client.post(f"/children/{child_id}/events", headers=auth(), json=draft.body)
    assert recorded.status_code == 201, recorded.json
    version: int = recorded.json["version"]  # type: ignore[index]
    answer = client.post(f"/children/{child_id}/events",
                         headers=auth(**{"If-Match": f'"{version}"'}), json={
        "type": "EntryCorrected", "occurred_on": draft.body["occurred_on"],
        "target_version": version, "reason": "hours were missing",
        "changes": {"sections": dict(ORDERED_DRAFT, F=[{"need": "SPLD", "hours": -2}])}})
    assert answer.status_code == 422, answer.json
    assert sorted(e["pointer"] for e in answer.json["errors"]) == [  # type: ignore[index]
        "/changes/sections/F/0/hours", "/changes/sections/F/0/provision"]
    assert version_and_history(client, auth, child_id)[0] == version


def test_sections_stored_in_an_older_shape_still_replay(
        app: Flask, client: FlaskClient, auth: Auth) -> None:
    """An event recorded before the edge checked the shape (here through the application,
    as older requests were) is read back as it was stored."""
    child_id, draft = up_to_the_draft(client, auth, "CR-sections-old")
    old_shape = dict(ORDERED_DRAFT, A=["Loves swimming", "Wants to read chapter books"],
                     F=[{"need": "SPLD", "provision": "Literacy teaching", "minutes": 120,
                         "per": "week"}])
    services_of(app).tracking.record_event(
        UUID(child_id), "DraftPlanIssued", {"sections": old_shape},
        actor=Actor("user-1", "caseworker", "LA-901"),
        occurred_on=date.fromisoformat(draft.body["occurred_on"]))
    journey = client.get(f"/children/{child_id}/journey", headers=auth())
    assert journey.status_code == 200, journey.json
    [stored] = journey.json["episodes"]["plan"]["drafts"]  # type: ignore[index]
    assert stored["sections"]["F"][0]["minutes"] == 120
    assert stored["sections"]["A"] == ["Loves swimming", "Wants to read chapter books"]
    assert client.get(f"/children/{child_id}/bundle.html", headers=auth()).status_code == 200


def test_the_spec_shows_the_typed_sections(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").json
    assert isinstance(spec, dict)
    schemas: dict[str, Any] = spec["components"]["schemas"]
    for event in ("DraftPlanIssued", "FinalPlanIssued", "AmendedPlanFinalised",
                  "PlanTransferredIn"):
        sections = schemas[event]["properties"]["sections"]
        assert sections["allOf"] == [{"$ref": "#/components/schemas/PlanSections"}], event
    plan = schemas["PlanSections"]
    assert set(plan["properties"]) == {"A", "B", "C", "D", "E", "F", "G", "H1", "H2", "I",
                                       "J", "K"}
    assert plan["additionalProperties"] is False
    assert plan["properties"]["F"]["items"] == {"$ref": "#/components/schemas/SectionFProvision"}
    provision = schemas["SectionFProvision"]
    assert provision["required"] == ["provision"]
    assert provision["properties"]["hours"] == {"type": "number", "minimum": 0, "maximum": 168}
    assert "weekly" in provision["properties"]["frequency"]["enum"]
    assert "SLCN" in schemas["SectionBNeed"]["properties"]["need"]["enum"]
