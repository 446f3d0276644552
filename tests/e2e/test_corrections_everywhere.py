"""A correction reaches every surface that shows the corrected field (issue 11, defects 4
and 7): the journey timeline, the list's steps and the family's page show the date as
corrected, in the corrected order, in a parent's words; a journey recorded after the fact
shows no entry dated after the day a page is "as at"."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient

from application.family_words import section_items

Auth = Callable[..., dict[str, str]]
REQUEST = {"type": "EHCNeedsAssessmentRequested", "occurred_on": "2024-01-08",
           "requester_role": "Parent", "request_source": "1"}
VIEWS = {"type": "ChildViewsRecorded", "occurred_on": "2024-01-20", "document_ref": "doc-v1",
         "method": "drawing", "about": "assessment", "summary": "Draws a busy classroom"}
DECISION = {"type": "DecisionToAssessMade", "occurred_on": "2024-01-25",
            "assessment_test_met": True, "reasons": "May have SEN"}


@pytest.fixture
def store_url() -> None:
    """The surfaces read the same fold on every store: SQLite (read models embedded)."""
    return None


def post(client: FlaskClient, path: str, body: dict[str, Any], headers: dict[str, str]
         ) -> dict[str, Any]:
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


def corrected_journey(client: FlaskClient, auth: Auth, case_ref: str) -> tuple[str, int]:
    """Views recorded as 20 January, then corrected to 30 January (after the decision)."""
    headers = auth()
    child = post(client, "/children", {"date_of_birth": "2015-03-02",
                                       "occurred_on": "2024-01-02", "case_ref": case_ref},
                 headers)["child_id"]
    for body in (REQUEST, VIEWS, DECISION):
        post(client, f"/children/{child}/events", body, headers)
    written = post(client, f"/children/{child}/events", {
        "type": "EntryCorrected", "occurred_on": "2024-02-01", "target_version": 3,
        "changes": {"occurred_on": "2024-01-30"}, "reason": "date mistyped"},
        {**headers, "If-Match": '"4"'})
    return child, written["position"]


def words_of(page: str) -> str:
    """The page's words as a reader sees them: no tags, no styles, entities read."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<style>.*?</style>|<[^>]+>", " ",
                                                    page, flags=re.DOTALL)))


def test_the_timeline_shows_the_corrected_date_in_the_corrected_order(
        client: FlaskClient, auth: Auth) -> None:
    child, _ = corrected_journey(client, auth, "CR-COR-1")
    timeline = client.get(f"/children/{child}/journey", headers=auth()).json["timeline"]
    views = next(e for e in timeline if e["version"] == 3)
    assert views["occurred_on"] == "2024-01-30"
    assert views["as_corrected"]["occurred_on"] == "2024-01-30"
    assert views["data"]["summary"] == VIEWS["summary"]  # as first recorded
    order = [e["type"] for e in timeline if e["type"] != "EntryCorrected"]
    assert order == ["ChildRegistered", "EHCNeedsAssessmentRequested",
                     "DecisionToAssessMade", "ChildViewsRecorded"]
    # As at the 26th the views had not yet been given, by the corrected date.
    before = client.get(f"/children/{child}/journey?as_at=2024-01-26",
                        headers=auth()).json["timeline"]
    assert "ChildViewsRecorded" not in [e["type"] for e in before]


def test_the_list_shows_the_corrected_date_of_each_step(
        client: FlaskClient, auth: Auth) -> None:
    _, position = corrected_journey(client, auth, "CR-COR-2")
    listed = client.get(f"/children?case_ref=CR-COR-2&consistent_after={position}",
                        headers=auth()).json["items"]
    assert listed[0]["steps"]["ChildViewsRecorded"] == "2024-01-30"
    assert listed[0]["steps"]["DecisionToAssessMade"] == "2024-01-25"


def test_the_family_page_shows_the_corrected_date_in_plain_words(
        client: FlaskClient, auth: Auth) -> None:
    child, _ = corrected_journey(client, auth, "CR-COR-3")
    page = client.get(f"/children/{child}/bundle.html", headers=auth())
    assert page.status_code == 200
    words = words_of(page.get_data(as_text=True))
    assert "30 January 2024: The child's or young person's views were captured" in words
    assert "20 January 2024" not in words
    assert "original stays in the log" not in words and "fields were corrected" not in words
    assert "The council corrected an earlier record (the record for 30 January 2024" in words
    everything = words.split("Everything that happened, in order")[1]
    assert everything.index("25 January 2024") < everything.index("30 January 2024")


def test_a_journey_recorded_after_the_fact_shows_nothing_after_the_day_asked(
        client: FlaskClient, auth: Auth) -> None:
    headers = auth()
    child = post(client, "/children", {"date_of_birth": "2015-03-02"}, headers)["child_id"]
    post(client, f"/children/{child}/events", REQUEST, headers)
    today = date.today()
    timeline = client.get(f"/children/{child}/journey?as_at=2024-04-01",
                          headers=headers).json["timeline"]
    assert [e["type"] for e in timeline] == ["EHCNeedsAssessmentRequested"]
    assert all(e["occurred_on"] <= "2024-04-01" for e in timeline)
    words = words_of(client.get(f"/children/{child}/bundle.html?as_at=2024-04-01",
                                headers=headers).get_data(as_text=True))
    assert str(today.year) not in words.split("Everything that happened, in order")[1]
    # Unbounded, the registration sits at its own date: after the request it follows.
    full = client.get(f"/children/{child}/journey", headers=headers).json["timeline"]
    assert [e["type"] for e in full] == ["EHCNeedsAssessmentRequested", "ChildRegistered"]


@pytest.mark.parametrize(("section", "shown"), [
    ({"setting_name": "Oakfield Primary School"}, "Oakfield Primary School"),
    ({"name": "Hillside Academy", "setting_ref": "urn-100002"}, "Hillside Academy"),
    ({"school": "Riverside College"}, "Riverside College"),
    ({"setting_ref": "urn-100009"}, "reference number urn-100009"),
    ({"setting_type": "SPECIAL_LA"}, "Special school, LA maintained (SPECIAL_LA)"),
])
def test_the_school_named_in_section_i_is_shown_whatever_key_names_it(
        section: dict[str, str], shown: str) -> None:
    (words,) = section_items("I", section, date(2024, 6, 1))
    assert shown in words
    assert words != "A school or college is named."


def test_the_family_page_is_built_to_be_read_on_any_screen_and_by_a_screen_reader(
        client: FlaskClient, auth: Auth) -> None:
    child, _ = corrected_journey(client, auth, "CR-COR-4")
    page = client.get(f"/children/{child}/bundle.html", headers=auth()).get_data(as_text=True)
    assert "<meta name='viewport' content='width=device-width, initial-scale=1'>" in page
    assert page.count("<main>") == 1 and page.index("<main>") < page.index("<h1>")
