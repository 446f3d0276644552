"""The access log's index answers exactly as a scan of the log does (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from application.access import pseudonym
from application.access_log import AccessFilter, AccessLog, who_looked
from domain.actors import Actor
from tests.conftest import settings_for
from web.security import access_index_for

AUDITOR = Actor("aud-1", "auditor", "IG-1")
KEY = b"k" * 32


@pytest.fixture
def log(tmp_path: Path, store_url: str | None) -> Iterator[AccessLog]:
    settings = settings_for(tmp_path, store_url)
    access_log = AccessLog(env=settings.access_log_env(), index=access_index_for(settings))
    yield access_log
    access_log.close()


def look(log: AccessLog, child_id: UUID, user: str) -> int:
    return log.record(child_id, kind="state", actor=Actor(user, "caseworker", "LA-1"),
                      purpose="a reason given", request_id="r-1", route="/children/x")


def test_index_answers_by_child_actor_and_period_as_the_scan_does(log: AccessLog) -> None:
    tag = uuid4().hex[:8]
    first, second = uuid4(), uuid4()
    start = datetime.now(UTC)
    look(log, first, f"alice-{tag}")
    look(log, second, f"bob-{tag}")
    middle = datetime.now(UTC)
    look(log, first, f"bob-{tag}")
    filters = [AccessFilter(child_id=first), AccessFilter(actor=f"bob-{tag}"),
               AccessFilter(since=start), AccessFilter(since=start, until=middle),
               AccessFilter(child_id=first, actor=f"bob-{tag}"),
               AccessFilter(child_id=second, since=middle)]
    for where in filters:
        assert list(log.looks(where)) == list(log.scan(where)), where
    by_child = list(log.looks(AccessFilter(child_id=first)))
    assert [r["actor"]["user_id"] for r in by_child] == [f"alice-{tag}", f"bob-{tag}"]
    after_first = AccessFilter(child_id=first, after=by_child[0]["position"])
    assert [r["position"] for r in log.looks(after_first)] == [by_child[1]["position"]]
    assert list(log.looks(AccessFilter(since=datetime.now(UTC) + timedelta(days=1)))) == []


def test_looks_recorded_after_a_query_are_caught_up_by_the_next(log: AccessLog) -> None:
    child = uuid4()
    look(log, child, "carol")
    assert len(list(log.looks(AccessFilter(child_id=child)))) == 1
    assert log.catch_up() == 0
    look(log, child, "dave")
    look(log, child, "carol")
    assert [r["actor"]["user_id"] for r in log.looks(AccessFilter(child_id=child))] == [
        "carol", "dave", "carol"]
    assert log.index is not None and log.index.high_water() == log.max_position()


def test_a_pseudonym_is_found_through_the_indexed_users(log: AccessLog) -> None:
    child, user = uuid4(), f"erin-{uuid4().hex[:8]}"
    look(log, child, user)
    look(log, uuid4(), "someone-else")
    found = who_looked(log, actor=AUDITOR, where=AccessFilter(actor=pseudonym(user, KEY)),
                       purpose=None, pseudonym_key=KEY)
    assert [i["child_id"] for i in found["items"]] == [child]
    assert found["items"][0]["actor"]["user_id"] == pseudonym(user, KEY)
    nobody = who_looked(log, actor=AUDITOR, where=AccessFilter(actor="pseudo-0000"),
                        purpose=None, pseudonym_key=KEY)
    assert nobody["items"] == []
