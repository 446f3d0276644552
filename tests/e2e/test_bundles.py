"""The case bundle over HTTP (SQLite and PostgreSQL): JSON figures worked out from the
regulations, the parent's HTML (dates in full, no bare codes), and who may read it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, timedelta

from flask.testing import FlaskClient

from domain.reference import REFERENCE_VERSIONS
from tests.e2e.journeys import PRIMARY_PLAN, Answers, Journey

Auth = Callable[..., dict[str, str]]


def post_journey(client: FlaskClient, auth: Auth, journey: Journey) -> str:
    body = dict(journey.registration, case_ref=f"CR-B-{uuid.uuid4().hex[:8]}")
    registered = client.post("/children", json=body, headers=auth())
    assert registered.status_code == 201, registered.json
    child_id: str = registered.json["child_id"]
    version = registered.json["version"]
    answers: Answers = {}
    for step in journey.steps:
        extra = {"If-Match": f'"{version}"'} if step.if_match else {}
        answer = client.post(f"/children/{child_id}/events", json=step.resolved(answers),
                             headers=auth(role=step.role, **extra))
        assert answer.status_code == 201, (step.type, answer.json)
        version = answer.json["version"]
        if step.label:
            answers[step.label] = answer.json  # type: ignore[assignment]
    return child_id


def test_the_bundle_json_holds_every_part_with_figures_from_the_regulations(
        client: FlaskClient, auth: Auth) -> None:
    child_id = post_journey(client, auth, PRIMARY_PLAN)
    bundle = client.get(f"/children/{child_id}/bundle", headers=auth())
    assert bundle.status_code == 200, bundle.json
    data = bundle.json
    assert [r["received_on"] for r in data["requests"]] == ["2024-01-08"]
    assert data["requests"][0]["outcome"] == "plan_issued"
    first = data["plan_versions"][0]
    assert first["issued_on"] == "2024-05-20" and first["number"] == 1
    assert set(first["sections"]) >= {"A", "B", "E", "F", "G", "I"}
    # Medical advice: the adviser had the request on 14 February 2024; 6 weeks (reg 8(1))
    # → due 27 March 2024; received 5 April 2024 → 9 days late, the NHS's delay, with
    # the missed-appointment exception (reg 8(2)(b)) standing.
    medical = next(a for a in data["advice"] if a["advice_type"] == "Medical")
    assert (medical["due_on"], medical["received_on"], medical["days_late"],
            medical["responsible"], medical["exception_ground"]) == (
        "2024-03-27", "2024-04-05", 9, "health", "missed_appointment")
    # The psychologist's advice: due 27 March 2024, received 22 March → on time.
    psychology = next(a for a in data["advice"] if a["advice_type"] == "Psychological")
    assert psychology["days_late"] == 0 and psychology["status"] == "met"
    # The parent's own advice is not under the reg 8 duty.
    parent = next(a for a in data["advice"] if a["advice_type"] == "Parent")
    assert parent["days_late"] == 0
    delays = {(d["clock"], d["responsible"]) for d in data["delays"]}
    assert ("K2", "health") in delays
    # Speech and language therapy: referred 20 February 2024, first seen 1 April 2024
    # → 41 days' wait.
    salt = next(r for r in data["health"]["referrals"] if r["service"] == "SALT")
    assert (salt["wait_days"], salt["waiting"]) == (41, False)
    assert [p["urn"] for p in data["placements"]] == ["100001"]
    assert data["voice"]["section_a"].startswith("Likes trains")
    assert {e["type"] for e in data["voice"]["entries"]} >= {"ChildViewsRecorded",
                                                             "FamilyViewsSubmitted"}
    assert data["disputes"]["appeals"][0]["tribunal_ref"] == "SE901/24/00001"
    assert len(data["timeline"]) == len(PRIMARY_PLAN.steps) + 1


def test_the_bundle_as_at_a_date_holds_only_what_had_happened(
        client: FlaskClient, auth: Auth) -> None:
    child_id = post_journey(client, auth, PRIMARY_PLAN)
    data = client.get(f"/children/{child_id}/bundle?as_at=2024-03-01", headers=auth()).json
    assert data["plan_versions"] == [] and data["as_at"] == "2024-03-01"
    medical = next(a for a in data["advice"] if a["advice_type"] == "Medical")
    assert medical["received_on"] is None and medical["days_late"] == 0


CODES = sorted({code for ref in REFERENCE_VERSIONS for name in ("needs", "setting_types")
                for code in ref.codes(name)} - {"OTH"})


def test_the_html_is_written_for_a_parent(client: FlaskClient, auth: Auth) -> None:
    child_id = post_journey(client, auth, PRIMARY_PLAN)
    page = client.get(f"/children/{child_id}/bundle.html", headers=auth())
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    words = re.sub(r"<style>.*?</style>|<[^>]+>", " ", text, flags=re.DOTALL)
    for full in ("8 January 2024", "20 May 2024", "27 March 2024", "3 March 2015"):
        assert full in words, full
    assert re.search(r"\d{4}-\d{2}-\d{2}", words) is None  # no ISO dates
    assert re.search(r"\bK\d{1,2}\b", words) is None  # no clock ids
    assert "Speech, language and communication needs (SLCN)" in words
    for code in CODES:  # every code appears only in brackets after its meaning
        for match in re.finditer(rf"\b{re.escape(code)}\b", words):
            assert words[match.start() - 1] == "(" and words[match.end()] == ")", (
                code, words[max(0, match.start() - 60):match.end() + 5])
    assert re.search(r"\b[a-z]+_[a-z_]+\b", words) is None  # no stored identifiers
    assert "9 days late" in words and "the NHS (health services)" in words
    tables = re.findall(r"<table>.*?</table>", text, flags=re.DOTALL)
    assert tables and all("<caption>" in t and "<th>" not in t for t in tables)
    assert "style-src 'sha256-" in page.headers["Content-Security-Policy"]


def test_who_may_read_a_bundle(client: FlaskClient, auth: Auth) -> None:
    child_id = post_journey(client, auth, PRIMARY_PLAN)
    for path in (f"/children/{child_id}/bundle", f"/children/{child_id}/bundle.html"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=auth(org="LA-902")).status_code == 403
        assert client.get(path, headers=auth(role="auditor")).status_code == 403
        assert client.get(path, headers=auth(role="inspector", org="OFSTED")).status_code == 403
    today = date.today()
    inspector = auth(role="inspector", org="OFSTED")
    opened = client.post("/inspections", headers=inspector, json={
        "authority": "LA-901", "starts_on": (today - timedelta(days=1)).isoformat(),
        "ends_on": (today + timedelta(days=10)).isoformat()})
    assert opened.status_code == 201, opened.json
    sampled = client.post(f"/inspections/{opened.json['inspection_id']}/sample",
                          json={"child_ids": [child_id]}, headers=inspector)
    assert sampled.status_code == 200, sampled.json
    for path in (f"/children/{child_id}/bundle", f"/children/{child_id}/bundle.html"):
        assert client.get(path, headers=inspector).status_code == 200
    assert client.get(f"/children/{uuid.uuid4()}/bundle", headers=auth()).status_code == 404


