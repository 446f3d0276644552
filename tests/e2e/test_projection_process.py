"""On SQLite, ``casetrack serve`` runs the projections in a process beside the server
(issue 17): a write is answered without projecting, the read models catch up within the
lag /readyz reports, and the projection process ends with the server — when the server
is stopped, and when it is killed outright."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from tests.conftest import TEST_SECRET
from tests.e2e.test_server import Server
from web.auth import mint_token


def children_of(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(p) for p in text]
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended


def wait_until(check: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def start(tmp_path: Path) -> tuple[Server, int]:
    server = Server(tmp_path, None)
    server.start()
    assert server.process is not None
    workers = []
    assert wait_until(lambda: bool(workers.extend(children_of(server.process.pid)) or workers),
                      30), "no projection process beside the server"
    return server, workers[0]


def test_the_read_models_follow_writes_from_a_process_beside_the_server(tmp_path: Path
                                                                        ) -> None:
    server, worker = start(tmp_path)
    try:
        token = mint_token(TEST_SECRET, subject="cw-1", role="caseworker",
                           organisation="LA-901")
        status, answer, _ = server.request("POST", "/children", {
            "date_of_birth": "2016-03-01", "case_ref": "PROC-1"}, token)
        assert status == 201, answer
        assert alive(worker)
        status, listed, _ = server.request(
            "GET", f"/children?authority=LA-901&consistent_after={answer['position']}",
            token=token)
        assert status == 200, listed
        assert [c["child_id"] for c in listed["items"]] == [answer["child_id"]]
        ready = server.request("GET", "/readyz")[1]
        assert set(ready["projections"]) and max(ready["projections"].values()) >= 0
    finally:
        server.stop()
    assert wait_until(lambda: not alive(worker), 20), "the projection process outlived serve"


def test_the_projection_process_ends_when_the_server_is_killed(tmp_path: Path) -> None:
    server, worker = start(tmp_path)
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.communicate(timeout=30)  # reads and closes its pipes
    try:
        assert wait_until(lambda: not alive(worker), 20), "an orphaned projection process"
    finally:
        if alive(worker):
            os.kill(worker, signal.SIGKILL)
