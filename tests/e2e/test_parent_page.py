"""The parent page says what happens next (issue 16): the next deadline and whose step it
is as the journey's clocks read it, the family's rights at that point (15 days on the
draft; mediation advice first, then the appeal), whom to contact (the caseworker, the
local SENDIAS service as configured), the advisers and the school; every abbreviation
explained; plain words (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from infrastructure.migrations import upgrade
from infrastructure.projections import ReadModelDatabase
from tests.conftest import settings_for
from tests.e2e.journeys import PRIMARY_PLAN, Journey
from tests.e2e.test_bundles import post_journey
from tests.postgres import fresh_database, server_url_or_skip
from web import create_app
from web.config import ConfigError, load_settings
from web.services import services_of

Auth = Callable[..., dict[str, str]]
SENDIAS = {"sendias_name": "Exampleshire SENDIAS", "sendias_contact": "0100 000 0000"}
UNTIL_DRAFT = Journey(PRIMARY_PLAN.registration, [
    s for s in PRIMARY_PLAN.steps[:next(i for i, s in enumerate(PRIMARY_PLAN.steps)
                                         if s.type == "DraftPlanIssued") + 1]])


class Text(HTMLParser):
    """The page's words as a reader sees them (no tags, no styles)."""

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self._skip = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._skip = tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        self._skip = False

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.words.append(data)


def words(page: str) -> str:
    parser = Text()
    parser.feed(page)
    return " ".join(" ".join(parser.words).split())


@pytest.fixture
def app(tmp_path: Path, store_url: str | None) -> Iterator[Flask]:
    """The app with a SENDIAS service configured, its read models migrated."""
    with ExitStack() as stack:
        url = None if store_url is None else stack.enter_context(
            fresh_database(server_url_or_skip()))
        flask_app = create_app(replace(settings_for(tmp_path, url), **SENDIAS))
        engine = ReadModelDatabase.beside(url, tmp_path).engine()
        upgrade(engine)
        engine.dispose()
        yield flask_app
        services_of(flask_app).close()


def test_the_sendias_service_is_read_from_its_settings(tmp_path: Path) -> None:
    settings = load_settings({"CASETRACK_SENDIAS_NAME": SENDIAS["sendias_name"],
                              "CASETRACK_SENDIAS_CONTACT": SENDIAS["sendias_contact"],
                              "CASETRACK_DATA_DIR": str(tmp_path)})
    assert (settings.sendias_name, settings.sendias_contact) == tuple(SENDIAS.values())
    with pytest.raises(ConfigError, match="CASETRACK_SENDIAS_NAME"):
        load_settings({"CASETRACK_SENDIAS_NAME": "x" * 201,
                       "CASETRACK_DATA_DIR": str(tmp_path)})


def test_while_the_draft_is_out_the_page_gives_the_15_days_and_the_next_step(
        client: FlaskClient, auth: Auth) -> None:
    child_id = post_journey(client, auth, UNTIL_DRAFT)
    # The draft went out on 22 April 2024: 15 days beginning with that day (reg 13(1))
    # close on 6 May 2024.
    page = client.get(f"/children/{child_id}/bundle.html?as_at=2024-04-24", headers=auth())
    assert page.status_code == 200
    text = words(page.text)
    journey = client.get(f"/children/{child_id}/journey?as_at=2024-04-24",
                         headers=auth()).json
    due = journey["next_due"]
    assert due is not None
    day = int(due["due_on"][8:])
    assert f"is due by {day} " in text and due["name"].lower() in text
    assert "until 6 May 2024" in text and "ask for a particular school" in text
    assert "Exampleshire SENDIAS (SENDIAS), 0100 000 0000" in text
    assert "la-901-ep-service" in text and "icb-901" in text  # the advisers, by name
    assert "No caseworker is named yet" in text
    assert "appeal to the tribunal until" not in text  # no decision to appeal yet


def test_the_page_explains_its_abbreviations_and_uses_no_record_keeping_words(
        client: FlaskClient, auth: Auth) -> None:
    child_id = post_journey(client, auth, PRIMARY_PLAN)
    text = words(client.get(f"/children/{child_id}/bundle.html", headers=auth()).text)
    # Explained in the word list ("SALT: ..."), or in brackets after its meaning.
    explained = set(re.findall(r"\b([A-Z]{2,})\b(?: plan)?\s*:", text)) | set(
        re.findall(r"[a-z] \(([A-Z]{2,})\)", text))
    # Reference numbers (the council's case reference, an organisation's id) are names.
    used = set(re.findall(r"\b([A-Z]{2,})\b", re.sub(r"\b[A-Z]+(-[\w]+)+", "", text)))
    left = used - explained
    assert left == set(), left
    for word in ("log", "version", "retracted", "retraction"):
        assert not re.search(rf"\b{word}s?\b", text, re.IGNORECASE), word
    school = client.get(f"/children/{child_id}/bundle", headers=auth()).json["school"]
    assert school and f"School or college named in the plan: {school}." in text
