"""Bulk import over HTTP and from the command line: same validation, all or none per child,
and a rerun records nothing twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient

from tests.conftest import TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]
Auth = Callable[..., dict[str, str]]


def lines(prefix: str) -> list[dict[str, object]]:
    good, bad = f"{prefix}-GOOD", f"{prefix}-BAD"
    return [
        {"case_ref": good, "type": "ChildRegistered", "occurred_on": "2023-09-01",
         "date_of_birth": "2015-03-02", "sex": "F"},
        {"case_ref": bad, "type": "ChildRegistered", "occurred_on": "2023-09-01",
         "date_of_birth": "2014-05-05"},
        {"case_ref": good, "type": "EHCNeedsAssessmentRequested", "occurred_on": "2024-01-08",
         "requester_role": "Parent", "request_source": "1"},
        {"case_ref": bad, "type": "DecisionToAssessMade", "assessment_test_met": True,
         "occurred_on": "2024-02-01",
         "reasons": "no request was ever made"},
        {"case_ref": good, "type": "DecisionToAssessMade", "assessment_test_met": True,
         "occurred_on": "2024-02-16",
         "reasons": "may have SEN"},
        {"case_ref": bad, "type": "RequestAcknowledged", "occurred_on": "2024-02-02"},
    ]


def ndjson(rows: list[dict[str, object]]) -> str:
    return "\n".join(json.dumps(row) for row in rows) + "\n"


def post_import(client: FlaskClient, auth: Auth, body: str) -> dict[str, object]:
    response = client.post("/imports", data=body, content_type="application/x-ndjson",
                           headers=auth())
    assert response.status_code == 200, response.json
    return response.json  # type: ignore[no-any-return]


def test_import_applies_each_child_all_or_none_and_reports_refused_lines(
        client: FlaskClient, auth: Auth) -> None:
    prefix = uuid.uuid4().hex[:6]
    report = post_import(client, auth, ndjson(lines(prefix)))
    assert report["children"] == 2
    assert report["children_imported"] == 1
    assert report["events_recorded"] == 3
    refused = {r["line"]: r for r in report["refused"]}  # type: ignore[union-attr]
    assert set(refused) == {2, 4, 6}
    assert refused[4]["code"] == "decision-needs-request"
    assert refused[2]["detail"].startswith("not applied")


def test_rerunning_the_same_file_records_nothing_twice(client: FlaskClient,
                                                      auth: Auth) -> None:
    body = ndjson(lines(uuid.uuid4().hex[:6])[::2])  # the good child only
    first = post_import(client, auth, body)
    again = post_import(client, auth, body)
    assert (first["events_recorded"], first["refused"]) == (3, [])
    assert (again["events_recorded"], again["lines_already_imported"]) == (0, 3)
    assert again["refused"] == []


def test_an_appended_line_is_added_to_the_imported_journey(client: FlaskClient,
                                                          auth: Auth) -> None:
    rows = lines(uuid.uuid4().hex[:6])[::2]
    post_import(client, auth, ndjson(rows[:2]))
    report = post_import(client, auth, ndjson(rows))
    assert (report["events_recorded"], report["lines_already_imported"]) == (1, 2)


def test_lines_failing_the_schemas_are_refused_with_their_pointer(client: FlaskClient,
                                                                  auth: Auth) -> None:
    ref = f"{uuid.uuid4().hex[:6]}-X"
    body = "\n".join([
        "{not json",
        json.dumps({"type": "ChildRegistered", "occurred_on": "2023-09-01"}),
        json.dumps({"case_ref": ref, "type": "ChildRegistered", "occurred_on": "2023-09-31",
                    "date_of_birth": "2015-03-02"}),
        json.dumps({"case_ref": ref, "type": "RequestAcknowledged",
                    "occurred_on": "2024-01-09", "colour": "blue"}),
    ])
    report = post_import(client, auth, body)
    refused = {r["line"]: r for r in report["refused"]}  # type: ignore[union-attr]
    assert refused[1]["detail"] == "the line is not valid JSON"
    assert refused[2]["pointer"] == "/case_ref"
    assert refused[3]["pointer"] == "/occurred_on"
    assert refused[4]["pointer"] in ("/colour", "/occurred_on")
    assert report["events_recorded"] == 0


def test_import_needs_json_lines_and_a_staff_role(client: FlaskClient, auth: Auth) -> None:
    assert client.post("/imports", json={}, headers=auth()).status_code == 415
    refused = client.post("/imports", data="{}", content_type="application/x-ndjson",
                          headers=auth(role="inspector"))
    assert refused.status_code == 403


def test_the_import_command_reports_and_exits_nonzero_on_refusals(tmp_path: Path) -> None:
    source = tmp_path / "journeys.jsonl"
    source.write_text(ndjson(lines("CLI")))
    env = {**os.environ, "CASETRACK_DATA_DIR": str(tmp_path / "var"),
           "CASETRACK_SECRET_KEY": TEST_SECRET, "PYTHONPATH": str(ROOT)}
    env.pop("CASETRACK_DATABASE_URL", None)
    command = [sys.executable, "-m", "web.cli", "import", str(source), "--org", "LA-901"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 1, first.stderr
    assert json.loads(first.stdout)["events_recorded"] == 3
    source.write_text(ndjson(lines("CLI")[::2]))
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["lines_already_imported"] == 3
