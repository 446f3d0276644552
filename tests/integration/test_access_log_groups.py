"""Concurrent reads on both stores: every answered read of a child's record has exactly
one look in the access log, though concurrent readers' looks commit together in groups
(application.commit_groups, docs/security.md)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from uuid import UUID

from flask import Flask

from application.access_log import AccessFilter
from web.services import services_of

Auth = Callable[..., dict[str, str]]
READERS = 8
READS_EACH = 12
PATHS = ("", "/journey")


def test_every_concurrent_read_answered_has_exactly_one_look(app: Flask, auth: Auth) -> None:
    setup = app.test_client()
    children = []
    for n in range(3):
        answer = setup.post("/children", json={"date_of_birth": "2015-03-02"},
                            headers=auth(**{"Idempotency-Key": f"stress-{n}"}))
        assert answer.status_code == 201, answer.json
        children.append(answer.json["child_id"])
    answered: list[tuple[str, str, str]] = []  # (request id, child, kind)
    failures: list[str] = []
    guard = threading.Lock()
    start = threading.Barrier(READERS)

    def reader(number: int) -> None:
        client = app.test_client()
        headers = auth(sub=f"reader-{number}")
        start.wait()
        for n in range(READS_EACH):
            child, path = children[(number + n) % len(children)], PATHS[n % len(PATHS)]
            answer = client.get(f"/children/{child}{path}", headers=headers)
            with guard:
                if answer.status_code != 200:
                    failures.append(f"{answer.status_code} {answer.get_data(as_text=True)}")
                    continue
                answered.append((answer.headers["X-Request-ID"], child,
                                 "journey" if path else "state"))

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(READERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures
    assert len(answered) == READERS * READS_EACH

    log = services_of(app).access_log
    looks = [row for child in children
             for row in log.scan(AccessFilter(child_id=UUID(child)))]
    by_request = Counter(row["request_id"] for row in looks)
    assert sorted(by_request.values()) == [1] * len(answered)  # one look each, no more
    assert {(row["request_id"], str(row["child_id"]), row["kind"]) for row in looks} == set(
        answered)
    assert len({row["position"] for row in looks}) == len(answered)
