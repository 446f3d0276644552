"""``GET /children/{id}`` and ``GET /children/{id}/journey`` answer a kept state view (and
timeline) with the bytes encoded for the first reader whose reveal opened its sealed text
the same way (web.dumping.kept_json): the same status, headers and body, byte for byte,
as flask-smorest's dump and jsonify of the same answer, for every journey of the e2e
suite, for each role that reads them, after a further write and once the child's key is
erased (the same log, another way), on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

import web.children
import web.journeys
from application.kept_views import BuiltView, KeptAnswer
from application.personal_data import reveal, revealer_as
from domain.actors import Actor
from domain.personal_data import seal_format
from tests.e2e.journeys import JOURNEYS
from tests.e2e.test_every_event_type import record_journey
from web.services import services_of

Auth = Callable[..., dict[str, str]]
READERS = ("caseworker", "manager")
# Headers naming the request itself, not its answer.
PER_REQUEST = {"X-Request-ID"}


class _NeverKept(dict[str, Any]):
    """Stands in for ``KeptAnswer`` in web.children: no answer is one, so every answer
    goes through flask-smorest's dump and jsonify, as before answers were kept."""


def _same(kept: TestResponse, first: TestResponse) -> None:
    assert kept.status_code == first.status_code == 200
    assert kept.get_data() == first.get_data()
    assert [h for h in kept.headers.items() if h[0] not in PER_REQUEST] \
        == [h for h in first.headers.items() if h[0] not in PER_REQUEST]


def _check(client: FlaskClient, auth: Auth, path: str, module: ModuleType,
           monkeypatch: pytest.MonkeyPatch) -> None:
    for role in READERS:
        kept = [client.get(path, headers=auth(role=role))
                for _ in range(2)]  # the first reader encodes, the second is answered so
        with monkeypatch.context() as patched:
            patched.setattr(module, "KeptAnswer", _NeverKept)
            first = client.get(path, headers=auth(role=role))
        for answer in kept:
            _same(answer, first)


# The current answers kept: the state and the timeline, by the module answering each.
PARTS = {"state": (web.children, ""), "timeline": (web.journeys, "/journey")}


@pytest.mark.parametrize("part", PARTS)
def test_kept_answers_are_the_bytes_dumped_afresh(
        part: str, client: FlaskClient, auth: Auth, monkeypatch: pytest.MonkeyPatch) -> None:
    module, suffix = PARTS[part]
    encoded: list[tuple[str, bool]] = []
    real = module.kept_json

    def counting(answer: KeptAnswer, schema: Any) -> Any:
        way = answer.way[0] if isinstance(answer.way, tuple) else answer.way
        encoded.append((way, answer.way in answer.built.derived))
        return real(answer, schema)

    monkeypatch.setattr(module, "kept_json", counting)
    ids: list[str] = []
    post = client.post

    def registering(path: str, **kwargs: Any) -> TestResponse:
        response = post(path, **kwargs)
        if path == "/children" and response.status_code == 201:
            ids.append(response.json["child_id"])  # type: ignore[index]
        return response

    monkeypatch.setattr(client, "post", registering)
    for name, journey in JOURNEYS.items():
        record_journey(client, auth, name, journey)  # reads each child's state once
    assert len(ids) == len(JOURNEYS)
    del encoded[:]
    for child_id in ids:
        _check(client, auth, f"/children/{child_id}{suffix}", module, monkeypatch)
    # The kept bytes were used: encoded for the first reader (the state's was read by
    # record_journey), the other readers answered with them.
    assert len(encoded) == 2 * len(READERS) * len(JOURNEYS)
    assert {way for way, _ in encoded} == {"open"}  # the e2e journeys hold sealed text
    assert sum(not kept for _, kept in encoded) == (len(JOURNEYS) if part == "timeline"
                                                    else 0)
    # A write makes a new view: answered afresh, then kept again, the same as before.
    child_id = ids[0]
    path = f"/children/{child_id}{suffix}"
    written = client.post(f"/children/{child_id}/events", headers=auth(), json={
        "type": "ChildViewsRecorded", "occurred_on": "2025-06-02", "document_ref": "d9",
        "method": "drawing", "about": "plan", "summary": "new words"})
    assert written.status_code == 201, written.json
    del encoded[:]
    _check(client, auth, path, module, monkeypatch)
    assert encoded[0] == ("open", False) and encoded[1] == ("open", True)
    assert client.get(path, headers=auth()).json["version"] == written.json["version"]
    # The key erased, with no event (the same log, so the same kept view): another way.
    before = client.get(path, headers=auth()).get_data()
    assert services_of(client.application).vault.shred(uuid.UUID(child_id))
    del encoded[:]
    _check(client, auth, path, module, monkeypatch)
    assert encoded[0] == ("erased", False) and encoded[1] == ("erased", True)
    after = client.get(path, headers=auth()).get_data()
    assert after != before and b"[erased]" in after and b"[erased]" not in before


def test_a_view_holding_sealed_text_is_revealed_per_reader() -> None:
    sealed = seal_format(12, base64.urlsafe_b64encode(uuid.uuid4().bytes).decode())
    built = BuiltView({"version": 3, "next_due": {"note": sealed, "on": "2024-01-01"}})
    plain = BuiltView({"version": 3, "next_due": {"on": "2024-01-01"}})
    assert built.sealed == {"next_due": frozenset({"note"})} and not plain.sealed
    opened = built.revealed(lambda value: "[withheld]")
    assert type(opened) is dict and opened["next_due"]["note"] == "[withheld]"
    kept = plain.revealed(lambda value: "[withheld]")
    assert type(kept) is dict and kept == plain.view


def test_ways_of_revealing() -> None:
    sealed = seal_format(12, base64.urlsafe_b64encode(uuid.uuid4().bytes).decode())
    child = uuid.uuid4()
    reader = Actor("officer-1", "caseworker", "LA-901")
    auditor = Actor("auditor-1", "auditor", "LA-901")

    class Erased:
        def cipher(self, child_id: uuid.UUID) -> None:
            return None

        def is_shredded(self, child_id: uuid.UUID) -> bool:
            return True

    way, opened = revealer_as(Erased(), child, auditor)  # type: ignore[arg-type]
    assert (way, opened({"a": [sealed, "clear"]})) == ("withheld", {"a": ["[withheld]", "clear"]})
    way, opened = revealer_as(Erased(), child, reader)  # type: ignore[arg-type]
    assert (way, opened({"a": [sealed]})) == ("erased", {"a": ["[erased]"]})
    assert reveal(Erased(), child, {"a": [sealed]}, reader) == {"a": ["[erased]"]}  # type: ignore[arg-type]
