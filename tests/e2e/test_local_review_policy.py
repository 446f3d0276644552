"""Local review settings over HTTP on both stores (issue 13 §1, §7): the statutory review
date (K7, s.44(1) "12 months starting with" the review) beside the authority's own
readings — the anniversary (K7A) and an under-five's review every 3 months (K7U, Code
9.178) — in the journey and, counted apart, in ``reviews-overdue``; and a phase
transfer's plan "by" 15 February (K12P, Code 9.179) beside reg 18(1)'s "before" (K12),
which the ``phase-transfers`` report keeps."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import INSPECTORATES, TEST_SECRET
from web import create_app
from web.config import ConfigError, load_settings

Auth = Callable[..., dict[str, str]]
NOTICE = ["appeal_rights", "time_limits", "mediation", "disagreement_resolution",
          "information_advice"]
# The authority reviews under-fives every 3 months, keeps anniversary reviews and reads
# reg 18(1) "by" the day.
POLICY = {"CASETRACK_UNDER_FIVE_REVIEW_MONTHS": "3", "CASETRACK_ANNIVERSARY_REVIEWS": "yes",
          "CASETRACK_PHASE_TRANSFER_BY_THE_DAY": "yes"}


@pytest.fixture
def app(tmp_path: Path, store_url: str | None) -> Iterator[Flask]:
    environ = {"CASETRACK_DATA_DIR": str(tmp_path), "CASETRACK_SECRET_KEY": TEST_SECRET,
               "CASETRACK_LOG_FORMAT": "json", "CASETRACK_INSPECTORATES": INSPECTORATES,
               **POLICY}
    if store_url:
        environ["CASETRACK_DATABASE_URL"] = store_url
    flask_app = create_app(load_settings(environ))
    yield flask_app
    flask_app.extensions["casetrack"].close()


def post(client: FlaskClient, child_id: str, headers: dict[str, str], type_name: str,
         occurred_on: str, **payload: Any) -> int:
    answer = client.post(f"/children/{child_id}/events", headers=headers, json={
        "type": type_name, "occurred_on": occurred_on, **payload})
    assert answer.status_code == 201, answer.json
    return int(answer.json["position"])


def test_an_under_five_review_every_3_months_beside_the_statutory_review(
        client: FlaskClient, auth: Auth, read_side: None) -> None:
    """Born 1 June 2022; plan transferred in 10 January 2024 (made 1 December 2023);
    reviewed Monday 16 September 2024, aged 2.
    - K7 (s.44(1)): 12 months starting with 16 September 2024 end on 15 September 2025.
    - K7A (anniversary, local): 16 September 2025.
    - K7U (Code 9.178, set to 3 months): 16 December 2024; none held by 31 January 2025,
      so reviews-overdue counts it apart (under_5_no_review_in_6_months 1) while the
      statutory count stays 0 of 1."""
    authority = f"LA-{uuid.uuid4().hex[:8]}"
    headers = auth(org=authority)
    registered = client.post("/children", headers=headers, json={
        "date_of_birth": "2022-06-01", "occurred_on": "2024-01-10"})
    assert registered.status_code == 201, registered.json
    child_id = registered.json["child_id"]
    post(client, child_id, headers, "PlanTransferredIn", "2024-01-10", old_la="LA-877",
         original_made_on="2023-12-01", sen2_transfer_la="877",
         setting_type="EARLY_YEARS_PVI")
    post(client, child_id, headers, "AnnualReviewScheduled", "2024-09-02",
         due_by="2024-10-01", review_type="annual", organiser="local_authority")
    position = post(client, child_id, headers, "ReviewMeetingHeld", "2024-09-16",
                    attendees=["parent", "keyworker"])

    journey = client.get(f"/children/{child_id}/journey?as_at=2025-01-31", headers=headers)
    assert journey.status_code == 200, journey.json
    clocks = {c["clock"]: c for c in journey.json["clocks"]
              if c["started_on"] == "2024-09-16"}
    assert (clocks["K7"]["due_on"], clocks["K7"]["kind"], clocks["K7"]["statutory"]) == (
        "2025-09-15", "statutory", True)
    assert (clocks["K7A"]["due_on"], clocks["K7A"]["kind"]) == ("2025-09-16", "local policy")
    assert (clocks["K7U"]["due_on"], clocks["K7U"]["status"], clocks["K7U"]["kind"],
            clocks["K7U"]["statutory"]) == ("2024-12-16", "late", "local policy", False)
    assert clocks["K7"]["status"] == "running"

    report = client.get("/reports/reviews-overdue?as_at=2025-01-31"
                        f"&consistent_after={position}",
                        headers=auth(role="manager", org=authority))
    assert report.status_code == 200, report.json
    measures = report.json["total"]["measures"]
    assert (measures["overdue"]["count"], measures["overdue"]["of"]) == (0, 1)
    assert (measures["under_5_no_review_in_6_months"]["count"],
            measures["under_5_no_review_in_6_months"]["of"]) == (1, 1)


@pytest.mark.proves("K12", "K12P")
def test_a_phase_transfer_by_the_day_beside_the_statutory_date(
        client: FlaskClient, auth: Auth, read_side: None) -> None:
    """Born 1 March 2014; plan transferred in 1 March 2023; moving to secondary school on 1
    September 2025, identified 1 October 2024; reviewed 20 November 2024, amended plan
    naming the school issued Saturday 15 February 2025.
    - K12 (reg 18(1)(b), revised text, "before ... 15 February"): due 14 February 2025;
      late by 1 day.
    - K12P (the authority's reading, Code 9.179 "by 15 February"): due 15 February 2025;
      met.
    The phase-transfers report counts the statutory date: missed, 1 day late."""
    authority = f"LA-{uuid.uuid4().hex[:8]}"
    headers = auth(org=authority)
    registered = client.post("/children", headers=headers, json={
        "date_of_birth": "2014-03-01", "occurred_on": "2023-03-01"})
    assert registered.status_code == 201, registered.json
    child_id = registered.json["child_id"]
    post(client, child_id, headers, "PlanTransferredIn", "2023-03-01", old_la="LA-877",
         original_made_on="2022-06-01", sen2_transfer_la="877",
         named_setting="Oak Primary", setting_type="MAINSTREAM_LA")
    post(client, child_id, headers, "PhaseTransferIdentified", "2024-10-01",
         transfer_type="primary_to_secondary", transfer_on="2025-09-01")
    post(client, child_id, headers, "AnnualReviewScheduled", "2024-10-01",
         due_by="2024-11-20", review_type="annual", organiser="setting")
    post(client, child_id, headers, "ReviewMeetingHeld", "2024-11-20",
         attendees=["parent", "senco"])
    post(client, child_id, headers, "ReviewDecisionIssued", "2024-12-04", decision="Amend",
         reasons="name the secondary school", proposed_amendments=[{"section": "I"}])
    position = post(client, child_id, headers, "PhaseTransferPlanFinalised", "2025-02-15",
                    sections_changed=["I"], notice_includes=NOTICE,
                    named_setting="Beech Academy", setting_type="MAINSTREAM_ACADEMY")

    journey = client.get(f"/children/{child_id}/journey?as_at=2025-03-01", headers=headers)
    assert journey.status_code == 200, journey.json
    clocks = {c["clock"]: c for c in journey.json["clocks"] if c["clock"].startswith("K12")}
    assert set(clocks) == {"K12", "K12P"}
    assert (clocks["K12"]["due_on"], clocks["K12"]["status"], clocks["K12"]["kind"],
            clocks["K12"]["statutory"]) == ("2025-02-14", "late", "statutory", True)
    assert (clocks["K12P"]["due_on"], clocks["K12P"]["status"], clocks["K12P"]["kind"],
            clocks["K12P"]["statutory"]) == ("2025-02-15", "met", "local policy", False)

    report = client.get("/reports/phase-transfers?as_at=2025-03-01&period_from=2024-09-01"
                        f"&period_to=2025-08-31&consistent_after={position}",
                        headers=auth(role="manager", org=authority))
    assert report.status_code == 200, report.json
    measures = report.json["total"]["measures"]
    assert (measures["missed_deadline"]["count"], measures["finalised_by_deadline"]["count"]
            ) == (1, 0)


@pytest.mark.parametrize("setting", [
    {"CASETRACK_UNDER_FIVE_REVIEW_MONTHS": "12"},
    {"CASETRACK_UNDER_FIVE_REVIEW_MONTHS": "monthly"},
    {"CASETRACK_ANNIVERSARY_REVIEWS": "sometimes"},
    {"CASETRACK_PHASE_TRANSFER_BY_THE_DAY": "on the day"}])
def test_a_bad_local_review_setting_stops_the_service_naming_it(
        tmp_path: Path, setting: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match=next(iter(setting))):
        load_settings({"CASETRACK_DATA_DIR": str(tmp_path), **setting})
