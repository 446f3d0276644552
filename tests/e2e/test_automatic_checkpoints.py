"""Checkpoints are made without anyone asking: by the embedded server on SQLite, by the
projection worker on PostgreSQL; each lands in the witness file and ``verify`` passes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET
from tests.e2e.test_server import ROOT, Server
from web.auth import mint_token


def register(server: Server, token: str) -> None:
    status, _, _ = server.request("POST", "/children", {
        "authority": "LA-901", "date_of_birth": "2016-05-04",
        "occurred_on": "2024-01-02"}, token)
    assert status == 201


def witnessed(witness: Path, deadline: float) -> list[dict[str, object]]:
    path = witness / "checkpoints.jsonl"
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return [json.loads(line) for line in path.read_text().splitlines()]
        time.sleep(0.2)
    return []


def test_the_embedded_server_checkpoints_every_n_events_into_the_witness(
        tmp_path: Path) -> None:
    server = Server(tmp_path / "data", None)
    server.env.update(CASETRACK_CHECKPOINT_EVENTS="2", CASETRACK_CHECKPOINT_MINUTES="0",
                      CASETRACK_WITNESS_DIR=str(tmp_path / "witness"))
    server.start()
    try:
        token = mint_token(TEST_SECRET, subject="u1", role="manager", organisation="LA-901")
        for _ in range(2):
            register(server, token)
        held = witnessed(tmp_path / "witness", time.monotonic() + 20)
    finally:
        server.stop()
    assert held and held[0]["seq"] == 1 and int(held[0]["tree_size"]) >= 2  # type: ignore[call-overload]
    done = subprocess.run([sys.executable, "-m", "web.cli", "verify"], env=server.env,
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verified: the log is intact" in done.stdout


@pytest.mark.postgres
def test_the_projection_worker_checkpoints_on_postgresql(tmp_path: Path,
                                                         postgres_schema_url: str) -> None:
    server = Server(tmp_path / "data", postgres_schema_url)
    server.start()
    env = {**server.env, "CASETRACK_CHECKPOINT_EVENTS": "1",
           "CASETRACK_CHECKPOINT_MINUTES": "0",
           "CASETRACK_WITNESS_DIR": str(tmp_path / "witness")}
    worker = subprocess.Popen([sys.executable, "-m", "web.cli", "projections", "run"],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        token = mint_token(TEST_SECRET, subject="u1", role="manager", organisation="LA-901")
        register(server, token)
        held = witnessed(tmp_path / "witness", time.monotonic() + 30)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        server.stop()
    assert held and held[-1]["key_id"]
    done = subprocess.run([sys.executable, "-m", "web.cli", "verify", "--json"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["verified"] and report["witnessed"] >= 1
