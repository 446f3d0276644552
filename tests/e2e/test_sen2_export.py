"""SEN2 over HTTP and on the command line: the same return as the application computes,
XML (valid against the year's generated schema) or JSON; the pre-submission checks;
``--diff`` against a file submitted earlier; the refusal without a DfE LA number."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import xmlschema
from flask import Flask
from flask.testing import FlaskClient

from application.sen2 import Sen2Policy, from_xml, sen2_return, spec_for, xsd
from domain.actors import Actor
from tests.conftest import TEST_SECRET
from tests.integration.sen2_cohort import (
    AUTHORITY,
    LA_NUMBERS,
    SURNAMES,
    YEAR,
    build,
    give_identifiers,
    tracking,
)
from web.cli import main
from web.services import services_of

Auth = Callable[..., dict[str, str]]
NUMBERS = ",".join(f"{k}={v}" for k, v in LA_NUMBERS.items())


def test_the_endpoint_answers_json_and_xml_to_the_authoritys_managers(
        app: Flask, client: FlaskClient, auth: Auth, monkeypatch: pytest.MonkeyPatch) -> None:
    cohort = build(services_of(app).tracking)
    give_identifiers(services_of(app).vault, cohort)
    path = f"/exports/sen2?year={YEAR}&authority={AUTHORITY}"
    refused = client.get(path, headers=auth(role="manager"))
    assert refused.status_code == 409 and refused.json["code"] == "sen2-la-number-required"
    monkeypatch.setenv("CASETRACK_SEN2_LA_NUMBERS", NUMBERS)
    answer = client.get(path, headers=auth(role="manager"))
    assert answer.status_code == 200, answer.json
    refs = {p["ref"] for p in answer.json["persons"]}
    assert str(cohort["on_time"].child_id) in refs
    assert str(cohort["elsewhere"].child_id) not in refs
    assert answer.json["header"]["Source"]["LEA"] == "901"
    xml = client.get(path + "&format=xml", headers=auth(role="manager"))
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    assert len(from_xml(xml.data)["persons"]) == len(refs)
    # The store may hold other tests' children of this authority (PostgreSQL runs share
    # a database), without names: the cohort's people must meet the schema.
    root = ET.fromstring(xml.data)
    persons = root.find("Persons")
    assert persons is not None
    for person in list(persons):
        if person.findtext("Surname") not in SURNAMES.values():
            persons.remove(person)
    assert len(persons) == 6
    xmlschema.XMLSchema(xsd(spec_for(YEAR)).decode()).validate(ET.tostring(root).decode())
    assert client.get(path, headers=auth()).status_code == 403
    assert client.get(path, headers=auth(role="manager", org="LA-877")).status_code == 403
    assert client.get(f"/exports/sen2?authority={AUTHORITY}",
                      headers=auth(role="manager")).status_code == 422
    assert client.get(f"/exports/sen2?year=2019&authority={AUTHORITY}",
                      headers=auth(role="manager")).status_code == 422


def test_the_checks_endpoint_answers_findings_per_child_item_and_rule(
        app: Flask, client: FlaskClient, auth: Auth, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASETRACK_SEN2_LA_NUMBERS", NUMBERS)
    cohort = build(services_of(app).tracking)  # no identifiers in the vault
    path = f"/exports/sen2/checks?year={YEAR}&authority={AUTHORITY}"
    answer = client.get(path, headers=auth(role="manager"))
    assert answer.status_code == 200, answer.json
    on_time = str(cohort["on_time"].child_id)
    found = {(f["child"], f["item"], f["rule"], f["severity"]) for f in answer.json["findings"]}
    # Without names the return cannot be submitted: Surname and Forename are required.
    assert (on_time, "Surname", "required-item", "error") in found
    assert answer.json["errors"] == sum(f["severity"] == "error"
                                        for f in answer.json["findings"]) > 0
    assert client.get(path, headers=auth()).status_code == 403


def test_the_command_writes_checks_and_diffs_the_return(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CASETRACK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CASETRACK_SECRET_KEY", TEST_SECRET)
    monkeypatch.delenv("CASETRACK_DATABASE_URL", raising=False)
    from web.config import load_settings
    from web.personal_data import vault_for

    settings = load_settings()
    app = tracking(settings.event_store_env())
    cohort = build(app)
    vault = vault_for(settings)
    give_identifiers(vault, cohort)
    vault.close()
    out = tmp_path / "sen2.xml"
    args = ["export", "sen2", "--year", str(YEAR), "--authority", AUTHORITY]
    assert main([*args, "--out", str(out)]) == 2  # no DfE number configured
    assert "CASETRACK_SEN2_LA_NUMBERS" in capsys.readouterr().err
    monkeypatch.setenv("CASETRACK_SEN2_LA_NUMBERS", NUMBERS)
    expected = sen2_return(app, year=YEAR, authority=AUTHORITY,
                           policy=Sen2Policy(la_numbers=LA_NUMBERS))
    assert main([*args, "--out", str(out)]) == 0
    assert len(from_xml(out.read_bytes())["persons"]) == len(expected.persons)
    schema = tmp_path / "sen2.xsd"
    assert main(["export", "sen2", "--year", str(YEAR), "--xsd", "--out", str(schema)]) == 0
    xmlschema.XMLSchema(str(schema)).validate(str(out))
    # The identifiers are there: the checks find no error (exit 0).
    capsys.readouterr()
    assert main([*args, "--check"]) == 0
    assert "0 errors" in capsys.readouterr().err
    # Two authorities in the store: the command asks which.
    assert main(["export", "sen2", "--year", str(YEAR)]) == 2
    # Nothing changed: no differences.
    capsys.readouterr()
    assert main([*args, "--diff", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["differences"] == []
    # After submission the refusal is corrected: notified on 12, not 15, April.
    refused = cohort["refused"]
    app.record_event(refused.child_id, "EntryCorrected", {
        "target_version": 3, "changes": {"occurred_on": date(2024, 4, 12)},
        "reason": "The decision letter was dated 12 April"},
        actor=Actor("m", "manager", AUTHORITY), occurred_on=date(2025, 1, 20))
    app.close()
    assert main([*args, "--diff", str(out)]) == 1
    differences = json.loads(capsys.readouterr().out)["differences"]
    assert [(d["child"], d["item"], d["submitted"], d["now"]) for d in differences] == [
        (str(refused.child_id), "Requests[ReceivedDate=2024-03-04].RequestOutcomeDate",
         "2024-04-15", "2024-04-12")]
