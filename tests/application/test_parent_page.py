"""The parent page as data (application.parent_page) and as HTML (web/templates): the
bundle's dates stay dates and its codes become words; the template writes the dates in
full and shows any text a person typed as text, never as markup (issue 11)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from uuid import UUID

import pytest

from application.assignment import assign_case
from application.bundles import case_bundle
from application.parent_page import (
    Contacts,
    Disputes,
    ParentPage,
    Places,
    PlanSection,
    PlanVersion,
    Rights,
    Voice,
    parent_page,
)
from application.tracking import CaseTracking
from domain.actors import Actor
from web.pages import parent_page_html

TODAY = date(2024, 6, 3)
CASEWORKER = Actor("officer-1", "caseworker", "LA-901")
MANAGER = Actor("manager-1", "manager", "LA-901")
HOSTILE = "<script>alert('x')</script>\" onload=\"x"


@pytest.fixture
def tracking() -> Iterator[CaseTracking]:
    app = CaseTracking(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, today=lambda: TODAY)
    yield app
    app.close()


def recorded(tracking: CaseTracking, text: str, case_ref: str) -> UUID:
    """A child asked about on 8 January 2024, whose views were given on 20 January with
    ``text`` in them, and whom the council decided to assess on 25 January."""
    child = tracking.register_child(authority="LA-901", date_of_birth=date(2015, 3, 2),
                                    actor=CASEWORKER, occurred_on=date(2024, 1, 2),
                                    case_ref=case_ref).child_id
    for type_name, on, data in (
            ("EHCNeedsAssessmentRequested", date(2024, 1, 8),
             {"requester_role": "Parent", "request_source": "1"}),
            ("ChildViewsRecorded", date(2024, 1, 20),
             {"document_ref": "doc-v1", "method": "drawing", "about": "assessment",
              "summary": text}),
            ("DecisionToAssessMade", date(2024, 1, 25),
             {"assessment_test_met": True, "reasons": f"{text} (seen 2024-01-24)"})):
        tracking.record_event(child, type_name, data, actor=CASEWORKER, occurred_on=on)
    return child


def page_of(tracking: CaseTracking, child: UUID, **contacts: str) -> ParentPage:
    return parent_page(case_bundle(tracking, child, actor=CASEWORKER), contacts)


class Reader(HTMLParser):
    """What a browser builds from the page: its tags and the words a reader sees."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += attrs

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def read(page: str) -> Reader:
    reader = Reader()
    reader.feed(page)
    return reader


def test_the_page_data_keeps_dates_as_dates_and_says_each_code_in_words(
        tracking: CaseTracking) -> None:
    child = recorded(tracking, "Draws a busy classroom", "CR-PP-1")
    page = page_of(tracking, child)
    assert (page.as_at, page.date_of_birth, page.age) == (TODAY, date(2015, 3, 2), 9)
    (request,) = page.requests
    assert request.received_on == date(2024, 1, 8) and request.outcome == "still in progress"
    assert [h.occurred_on for h in page.timeline] == [
        date(2024, 1, 2), date(2024, 1, 8), date(2024, 1, 20), date(2024, 1, 25)]
    views = page.timeline[2]
    assert views.sentence == "The child's or young person's views were captured."
    assert views.details == ("Draws a busy classroom",)
    assert [(s.occurred_on, s.quoted) for s in page.voice.entries] == [
        (date(2024, 1, 20), "Draws a busy classroom")]
    assert page.contacts.caseworker is None and page.plans == ()


def test_the_page_says_the_caseworker_and_the_sendias_service_as_given(
        tracking: CaseTracking) -> None:
    child = recorded(tracking, "Draws a busy classroom", "CR-PP-2")
    assign_case(tracking, child, assigned_to="officer-7", assigned_organisation="LA-901",
                actor=MANAGER, expected_version=None)
    page = page_of(tracking, child, sendias_name="Exampleshire SENDIAS")
    assert page.contacts.caseworker is not None
    assert (page.contacts.caseworker.name, page.contacts.sendias_name,
            page.contacts.sendias_contact) == ("officer-7", "Exampleshire SENDIAS", None)
    words = " ".join(" ".join(read(parent_page_html(page)).text).split())
    assert "Your caseworker at the council: officer-7 (LA-901)." in words
    assert "Exampleshire SENDIAS (SENDIAS)." in words


def test_text_a_person_typed_is_shown_as_text_never_as_markup(
        tracking: CaseTracking) -> None:
    child = recorded(tracking, HOSTILE, "CR-<b>PP</b>-3")
    html = parent_page_html(page_of(tracking, child, sendias_name=HOSTILE,
                                    sendias_contact="<img src=x>"))
    reader = read(html)
    assert "script" not in reader.tags and "img" not in reader.tags and "b" not in reader.tags
    assert all(name in ("lang", "charset", "name", "content", "aria-labelledby", "id",
                        "scope") for name, _ in reader.attributes), reader.attributes
    words = "".join(reader.text)
    # Shown, as typed, wherever it was recorded: the views, the decision's reasons, the
    # voice section, the SENDIAS service and the case reference.
    assert words.count(HOSTILE) >= 4 and "<img src=x>" in words and "CR-<b>PP</b>-3" in words
    # A date in free text is written in full, after escaping.
    assert f"{HOSTILE} (seen 24 January 2024)." in words


def test_a_page_built_from_data_alone_escapes_every_plan_item() -> None:
    plan = PlanVersion(1, date(2024, 5, 20), "the first final plan", (
        PlanSection("Section A: <i>views</i>", ("Likes <em>trains</em>",)),
        PlanSection("Section I: the school or college", ("<script>x</script> School",))))
    page = ParentPage(
        as_at=TODAY, date_of_birth=date(2015, 3, 2), age=9, case_ref=None, next_step=None,
        rights=Rights((), (), ()), contacts=Contacts(None, None, None, (), None),
        glossary=(), requests=(), plans=(plan,), advice=(), delays=(), reviews=(),
        disputes=Disputes((), (), (), ()), referrals=(), places=Places((), (), ()),
        voice=Voice(None, ()), timeline=(), anomalies=())
    reader = read(parent_page_html(page))
    assert not {"i", "em", "script"} & set(reader.tags)
    words = "".join(reader.text)
    assert "Section A: <i>views</i>" in words and "Likes <em>trains</em>" in words
    assert "Plan 1, issued on 20 May 2024 (the first final plan)" in words
