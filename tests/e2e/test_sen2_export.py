"""SEN2 over HTTP and on the command line: the same return as the application computes,
XML or JSON, and ``--diff`` against a file submitted earlier."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.sen2 import from_xml, sen2_return
from domain.actors import Actor
from tests.conftest import TEST_SECRET
from tests.integration.sen2_cohort import AUTHORITY, YEAR, build, tracking
from web.cli import main

Auth = Callable[..., dict[str, str]]


def test_the_endpoint_answers_json_and_xml_to_the_authoritys_managers(
        app: Flask, client: FlaskClient, auth: Auth) -> None:
    cohort = build(app.extensions["casetrack"])
    path = f"/exports/sen2?year={YEAR}&authority={AUTHORITY}"
    answer = client.get(path, headers=auth(role="manager"))
    assert answer.status_code == 200, answer.json
    refs = {p["ref"] for p in answer.json["persons"]}
    assert str(cohort["on_time"].child_id) in refs
    assert str(cohort["elsewhere"].child_id) not in refs
    assert answer.json["header"]["ReferenceDate"] == "2025-01-16"
    xml = client.get(path + "&format=xml", headers=auth(role="manager"))
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    assert {p["ref"] for p in from_xml(xml.data)["persons"]} == refs
    assert client.get(path, headers=auth()).status_code == 403
    assert client.get(path, headers=auth(role="manager", org="LA-877")).status_code == 403
    assert client.get(f"/exports/sen2?authority={AUTHORITY}",
                      headers=auth(role="manager")).status_code == 422


def test_the_command_writes_the_return_and_diffs_a_submitted_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CASETRACK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CASETRACK_SECRET_KEY", TEST_SECRET)
    monkeypatch.delenv("CASETRACK_DATABASE_URL", raising=False)
    from web.config import load_settings

    app = tracking(load_settings().event_store_env())
    cohort = build(app)
    expected = sen2_return(app, year=YEAR, authority=AUTHORITY)
    out = tmp_path / "sen2.xml"
    assert main(["export", "sen2", "--year", str(YEAR), "--authority", AUTHORITY,
                 "--out", str(out)]) == 0
    written = from_xml(out.read_bytes())
    assert {p["ref"] for p in written["persons"]} == {p["ref"] for p in expected.persons}
    # Two authorities in the store: the command asks which.
    assert main(["export", "sen2", "--year", str(YEAR)]) == 2
    # Nothing changed: no differences.
    capsys.readouterr()
    assert main(["export", "sen2", "--year", str(YEAR), "--authority", AUTHORITY,
                 "--diff", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["differences"] == []
    # After submission the withdrawal is corrected: it happened on 23, not 30, September.
    withdrawn = cohort["withdrawn"]
    app.record_event(withdrawn.child_id, "EntryCorrected", {
        "target_version": 3, "changes": {"occurred_on": date(2024, 9, 23)},
        "reason": "The withdrawal letter was dated 23 September"},
        actor=Actor("m", "manager", AUTHORITY), occurred_on=date(2025, 1, 20))
    app.close()
    assert main(["export", "sen2", "--year", str(YEAR), "--authority", AUTHORITY,
                 "--diff", str(out)]) == 1
    differences = json.loads(capsys.readouterr().out)["differences"]
    assert differences == [{"child": str(withdrawn.child_id),
                            "item": "Requests[ReceivedDate=2024-09-09].RequestOutcomeDate",
                            "submitted": "2024-09-30", "now": "2024-09-23"}]
