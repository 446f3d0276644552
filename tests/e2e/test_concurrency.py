"""Many threads writing to one journey through a real server: every acknowledged event is
stored exactly once, versions have no gaps, and losers are told so (409 or 412)."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

from tests.conftest import TEST_SECRET
from tests.e2e.test_server import Server, server  # noqa: F401  (fixture)
from web.auth import mint_token

THREADS = 8
WRITES_PER_THREAD = 6


def test_concurrent_writers_store_each_acknowledged_event_once_without_gaps(
        server: Server, tmp_path: Path) -> None:  # noqa: F811
    token = mint_token(TEST_SECRET, subject="user-1", role="caseworker", organisation="LA-901")
    _, registered, _ = server.request("POST", "/children", {"date_of_birth": "2015-03-02"},
                                      token)
    child = registered["child_id"]
    status, _, _ = server.request("POST", f"/children/{child}/events", {
        "type": "EHCNeedsAssessmentRequested", "occurred_on": "2024-01-08",
        "requester_role": "Parent", "request_source": "1"}, token)
    assert status == 201
    outcomes: list[tuple[int, int | None, str]] = []
    lock = threading.Lock()

    def writer(number: int) -> None:
        for attempt in range(WRITES_PER_THREAD):
            author = f"writer-{number}-{attempt}"
            body = {"type": "FamilyViewsSubmitted", "occurred_on": "2024-01-10",
                    "author_role": author}
            # Half the writers name the version they read (If-Match); half let the
            # server reload and re-check.
            headers_version = None
            if number % 2:
                _, journey, _ = server.request("GET", f"/children/{child}", token=token)
                headers_version = journey["version"]
            status, answer, _ = server.request_with_headers(
                "POST", f"/children/{child}/events", body, token,
                {"If-Match": f'"{headers_version}"'} if headers_version else {})
            with lock:
                outcomes.append((status, answer.get("version"), author))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    statuses = Counter(status for status, _, _ in outcomes)
    assert set(statuses) <= {201, 409, 412}, statuses
    assert len(outcomes) == THREADS * WRITES_PER_THREAD
    acknowledged = {version: author for status, version, author in outcomes if status == 201}
    assert len(acknowledged) == statuses[201]  # no version acknowledged twice

    _, journey, _ = server.request("GET", f"/children/{child}", token=token)
    assert journey["version"] == 2 + statuses[201]
    assert sorted(acknowledged) == list(range(3, journey["version"] + 1))  # no gaps
    views = journey["episodes"]["assessment"]["requests"][0]["views_submitted"]
    assert views == statuses[201]  # each acknowledged event stored exactly once
