"""One rule for the authority a question is asked of, and problems that say what works.

Every question of an authority (lists, reports, the SEND list, SEN2 and its checks) defaults
to the caller's own organisation; an inspector, whose organisation is an inspectorate, must
name the authority under inspection and is told so (422), not refused (403)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

Auth = Callable[..., dict[str, str]]

QUESTIONS_OF_AN_AUTHORITY = [
    "/children", "/reports/timeliness", "/reports/area?year=2024",
    "/reports/send-list", "/exports/sen2?year=2025", "/exports/sen2/checks?year=2025",
]


@pytest.mark.parametrize("path", QUESTIONS_OF_AN_AUTHORITY)
def test_an_inspector_who_names_no_authority_is_told_to_name_one(
        client: FlaskClient, auth: Auth, path: str) -> None:
    answer = client.get(path, headers=auth(role="inspector", org="OFSTED"))
    assert answer.status_code == 422, answer.json
    assert answer.json["errors"] == [{
        "pointer": "/query/authority",
        "detail": "an inspector names the authority under inspection"}]


def test_sen2_defaults_to_the_managers_own_authority(
        client: FlaskClient, auth: Auth, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CASETRACK_SEN2_LA_NUMBERS", raising=False)
    # The authority came from the token: the export went on to need its DfE number.
    for path in ("/exports/sen2?year=2025", "/exports/sen2/checks?year=2025"):
        answer = client.get(path, headers=auth(role="manager"))
        assert answer.status_code == 409, answer.json
        assert answer.json["code"] == "sen2-la-number-required"


def test_an_unknown_report_question_is_a_problem_listing_the_questions(
        client: FlaskClient, auth: Auth) -> None:
    answer = client.get("/reports/timelyness", headers=auth(role="manager"))
    assert answer.status_code == 404
    assert answer.mimetype == "application/problem+json"
    assert answer.json["type"] == "/problems/unknown-report-question"
    assert "timeliness" in answer.json["questions"]
    assert "'timelyness' is not a report question" in answer.json["detail"]
