"""The slice through a real server (``casetrack serve``, granian) on a free port."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_SECRET
from web.auth import mint_token

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A ``casetrack serve`` subprocess; started and stopped by the test."""

    def __init__(self, data_dir: Path, database_url: str | None, *, demo: bool = False,
                 secret: str | None = TEST_SECRET, stderr: Any = subprocess.PIPE) -> None:
        self.stderr = stderr
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # The lag bound is tested on its own (test_readiness.py); the run's shared
        # PostgreSQL database has no projection worker here.
        self.env = {**os.environ, "CASETRACK_DATA_DIR": str(data_dir),
                    "CASETRACK_LOG_FORMAT": "json", "PYTHONPATH": str(ROOT),
                    "CASETRACK_READY_MAX_LAG": "1000000000"}
        self.env.pop("CASETRACK_DATABASE_URL", None)
        self.env.pop("CASETRACK_SECRET_KEY", None)
        if secret:
            self.env["CASETRACK_SECRET_KEY"] = secret
        if database_url:
            self.env["CASETRACK_DATABASE_URL"] = database_url
        self.args = [sys.executable, "-m", "web.cli", "serve", "--port", str(self.port)]
        if not demo:
            self.args.append("--no-demo")
        if database_url:
            self.args.append("--migrate")
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.args, env=self.env, cwd=ROOT,
                                        stdout=subprocess.PIPE, stderr=self.stderr,
                                        text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited: {self.process.communicate()}")
            try:
                if self.request("GET", "/readyz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("server did not become ready within 60 seconds")

    def stop(self) -> str:
        assert self.process is not None
        self.process.terminate()
        out, self.stderr_text = self.process.communicate(timeout=20)
        return out

    def request(self, method: str, path: str, body: dict[str, Any] | None = None,
                token: str | None = None) -> tuple[int, dict[str, Any], Any]:
        return self.request_with_headers(method, path, body, token, {})

    def request_with_headers(self, method: str, path: str, body: dict[str, Any] | None,
                             token: str | None, extra: dict[str, str]
                             ) -> tuple[int, dict[str, Any], Any]:
        headers = {"Content-Type": "application/json", **extra}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                return response.status, json.loads(response.read()), response.headers
        except urllib.error.HTTPError as error:
            payload = json.loads(error.read() or b"{}")
            return error.code, payload, error.headers


@pytest.fixture
def server(tmp_path: Path, store_url: str | None) -> Iterator[Server]:
    running = Server(tmp_path, store_url)
    running.start()
    yield running
    if running.process and running.process.poll() is None:
        running.stop()


def test_slice_through_a_real_server_survives_a_restart(server: Server) -> None:
    token = mint_token(TEST_SECRET, subject="user-1", role="caseworker", organisation="LA-901")
    status, registered, headers = server.request(
        "POST", "/children", {"date_of_birth": "2015-03-02"}, token)
    assert status == 201 and headers["ETag"] == '"1"'
    child_id = registered["child_id"]
    status, _, _ = server.request("POST", f"/children/{child_id}/events", {
        "type": "EHCNeedsAssessmentRequested", "occurred_on": "2024-01-08",
        "requester_role": "Parent", "request_source": "1"}, token)
    assert status == 201
    status, decided, _ = server.request("POST", f"/children/{child_id}/events", {
        "type": "DecisionToAssessMade", "assessment_test_met": True,
    "occurred_on": "2024-02-26", "reasons": "may have SEN"},
        token)
    assert status == 201 and decided["version"] == 3

    server.stop()
    server.start()

    status, journey, _ = server.request("GET", f"/children/{child_id}", token=token)
    assert status == 200
    assert journey["version"] == 3
    k1 = next(c for c in journey["clocks"] if c["clock"] == "K1")
    assert (k1["due_on"], k1["status"]) == ("2024-02-19", "late")


def test_each_request_s_summary_line_reaches_stderr_while_serving_and_all_at_a_stop(
        tmp_path: Path, store_url: str | None) -> None:
    # A worker writes its log lines in batches (web.logging.LineBatches): each still comes
    # out soon after its request, in order, and none is left behind when the server stops.
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        running = Server(tmp_path / "data", store_url, stderr=log)
        running.start()
        try:
            ids = [f"summary-line-{n:04d}" for n in range(40)]
            for request_id in ids[:20]:
                assert running.request_with_headers(
                    "GET", "/livez", None, None, {"X-Request-ID": request_id})[0] == 200

            def summaries() -> list[str]:
                return [line["request_id"] for line in map(json.loads, filter(
                    None, log_path.read_text().splitlines())) if line.get("event") == "request"
                    and line["request_id"].startswith("summary-line-")]

            deadline = time.monotonic() + 2
            while summaries() != ids[:20] and time.monotonic() < deadline:
                time.sleep(0.02)
            assert summaries() == ids[:20]
            for request_id in ids[20:]:
                running.request_with_headers("GET", "/livez", None, None,
                                             {"X-Request-ID": request_id})
        finally:
            running.stop()
    assert summaries() == ids


def test_real_server_refuses_without_a_token_and_with_an_out_of_order_step(
        server: Server) -> None:
    status, problem, headers = server.request("POST", "/children", {"date_of_birth": "2015-03-02"})
    assert status == 401 and headers["Content-Type"] == "application/problem+json"
    token = mint_token(TEST_SECRET, subject="user-1", role="caseworker", organisation="LA-901")
    _, registered, _ = server.request("POST", "/children", {"date_of_birth": "2015-03-02"}, token)
    status, problem, _ = server.request(
        "POST", f"/children/{registered['child_id']}/events",
        {"type": "DecisionToAssessMade", "assessment_test_met": True,
         "occurred_on": "2024-02-26", "reasons": "x"}, token)
    assert status == 409 and problem["code"] == "decision-needs-request"


def test_first_start_in_development_loads_the_demo_and_prints_working_tokens(
        tmp_path: Path) -> None:
    server = Server(tmp_path, None, demo=True, secret=None)
    server.start()
    try:
        time.sleep(0.2)
    finally:
        out = server.stop()
    tokens = dict(re.findall(r"^\s+(caseworker|manager|inspector|auditor|admin)\s+(\S+)$", out,
                             re.MULTILINE))
    assert set(tokens) == {"caseworker", "manager", "inspector", "auditor", "admin"}
    child_path = re.search(r"(/children/[0-9a-f-]{36})", out)
    assert child_path and "curl" in out
    assert (tmp_path / "secret_key").exists()
    server.start()  # the same data dir: the demo is not loaded twice, the secret is kept
    try:
        status, journey, _ = server.request("GET", child_path.group(1),
                                            token=tokens["caseworker"])
        assert status == 200 and journey["authority"] == "LA-901"
        status, ready, _ = server.request("GET", "/readyz")
        assert ready["position"] > 0
    finally:
        out = server.stop()
    assert "Development tokens" not in out
    assert "casetrack token --role caseworker --org LA-901" in out  # how to mint one


def test_a_bad_setting_fails_at_start_with_one_clear_line(tmp_path: Path) -> None:
    env = {**os.environ, "CASETRACK_DATA_DIR": str(tmp_path), "CASETRACK_ENV": "staging",
           "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "web.cli", "serve"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "casetrack: configuration error: CASETRACK_ENV must be one of development, "
        "production, got 'staging'"]


def test_production_without_a_secret_refuses_to_start(tmp_path: Path) -> None:
    env = {**os.environ, "CASETRACK_DATA_DIR": str(tmp_path), "CASETRACK_ENV": "production",
           "PYTHONPATH": str(ROOT)}
    env.pop("CASETRACK_SECRET_KEY", None)
    result = subprocess.run([sys.executable, "-m", "web.cli", "serve"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "CASETRACK_SECRET_KEY is required" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_server_told_to_stop_while_its_worker_starts_stops_at_once(tmp_path: Path) -> None:
    """SIGTERM while the worker is still building its app stops the server promptly, not
    after the 20 seconds a serving worker has to finish its answers: the worker must not
    keep the main process's handler (which, in the worker, ignores the signal), and the
    main process stops it once it is built, or at once if it still starts."""
    server = Server(tmp_path, None)
    server.process = subprocess.Popen(server.args, env=server.env, cwd=ROOT,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    deadline = time.monotonic() + 60
    while not children.read_text().split():  # the worker forked: building its app
        assert time.monotonic() < deadline and server.process.poll() is None
        time.sleep(0.01)
    began = time.monotonic()
    server.process.terminate()
    server.process.communicate(timeout=60)
    assert server.process.returncode is not None
    from web.serving import GRACEFUL_SECONDS

    assert time.monotonic() - began < GRACEFUL_SECONDS / 2


def test_a_server_told_to_stop_while_its_projection_process_starts_stops_at_once(
        tmp_path: Path) -> None:
    """On SQLite the server waits (up to a minute) for its projection process before it
    says it is serving; SIGTERM in that wait ends it at once, without the announcement,
    and stops the projection process too."""
    server = Server(tmp_path, None)
    server.process = subprocess.Popen(server.args, env=server.env, cwd=ROOT,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tasks = Path(f"/proc/{server.process.pid}/task")  # a thread of it starts the process
    deadline = time.monotonic() + 60
    projections = None
    while projections is None:  # the projection process forked: starting, not yet ready
        assert time.monotonic() < deadline and server.process.poll() is None
        children: list[str] = []
        with contextlib.suppress(OSError):
            children = [pid for task in tasks.iterdir()
                        for pid in (task / "children").read_text().split()]
        for pid in children:
            with contextlib.suppress(OSError):
                if b"projections" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    projections = int(pid)
        time.sleep(0.005)
    began = time.monotonic()
    server.process.terminate()
    out, _ = server.process.communicate(timeout=60)

    assert time.monotonic() - began < 10
    assert "casetrack serving on" not in out
    gone = time.monotonic() + 10  # stopped with the server (or, orphaned, by itself)
    while Path(f"/proc/{projections}").exists() and not Path(
            f"/proc/{projections}/stat").read_text().split(") ")[1].startswith("Z"):
        assert time.monotonic() < gone, "the projection process outlived the server"
        time.sleep(0.05)


def test_a_worker_that_dies_is_replaced_and_the_server_answers_again(tmp_path: Path) -> None:
    """A worker killed outright (as by the kernel's out-of-memory killer) is replaced by
    the main process; what was stored is there when the new worker answers."""
    server = Server(tmp_path, None)
    server.start()
    assert server.process is not None
    token = mint_token(TEST_SECRET, subject="cw-1", role="caseworker", organisation="LA-901")
    try:
        status, child, _ = server.request("POST", "/children", {"date_of_birth": "2016-03-01"},
                                          token)
        assert status == 201, child
        children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
        projections = {pid for pid in children.read_text().split()
                       if "projections" in Path(f"/proc/{pid}/cmdline").read_text()}
        (worker,) = set(children.read_text().split()) - projections
        os.kill(int(worker), signal.SIGKILL)
        deadline = time.monotonic() + 60
        while True:
            assert time.monotonic() < deadline, "no worker answered again within 60 s"
            with contextlib.suppress(OSError):
                status, state, _ = server.request("GET", f"/children/{child['child_id']}",
                                                  token=token)
                if status == 200:
                    break
            time.sleep(0.2)
        assert state["version"] == 1
        replaced = set(children.read_text().split()) - projections
        assert len(replaced) == 1 and worker not in replaced
    finally:
        out = server.stop()
    # granian's own line about it is one of ours: JSON on stderr, nothing on stdout.
    assert "[ERROR]" not in out and "Unexpected exit" not in out
    lines = [json.loads(line) for line in server.stderr_text.splitlines()
             if "Unexpected exit" in line]
    assert len(lines) == 1, server.stderr_text[-2000:]
    assert lines[0]["event"] == "Unexpected exit from worker-1"
    assert lines[0]["level"] == "error" and lines[0]["logger"] == "granian"
    assert lines[0]["timestamp"].endswith("Z")
