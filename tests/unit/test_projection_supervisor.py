"""``casetrack serve``'s projection process supervisor (``web.serving.ProjectionSupervisor``):
restarted when it stops, and never left running once the supervisor is stopped, even when
the stop comes as a process starts."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from web import serving

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def test_a_stop_that_comes_as_a_process_starts_leaves_no_process_running(
        monkeypatch: pytest.MonkeyPatch) -> None:
    supervisor = serving.ProjectionSupervisor(SLEEPER)
    started: list[subprocess.Popen[bytes]] = []
    stops: list[threading.Thread] = []
    real_popen = subprocess.Popen

    def popen_while_stopped(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        # The stop arrives between the supervisor's check and its start of the process.
        stop = threading.Thread(target=supervisor.stop)
        stop.start()
        stops.append(stop)
        assert supervisor.stopping.wait(5)
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(serving.subprocess, "Popen", popen_while_stopped)
    supervisor.start()
    deadline = time.monotonic() + 10
    while not stops and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        stops[0].join(timeout=30)
        assert not stops[0].is_alive()
        assert len(started) == 1
        assert started[0].poll() is not None  # stopped by the stop, not left running
    finally:
        for process in started:
            process.kill()
            process.wait()


def test_stopped_before_it_starts_it_starts_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    supervisor = serving.ProjectionSupervisor(SLEEPER)
    supervisor.stopping.set()
    supervisor.start()
    supervisor.stop()
    assert supervisor.process is None


def test_a_process_that_stops_is_restarted_and_the_last_is_stopped_with_the_supervisor(
        ) -> None:
    supervisor = serving.ProjectionSupervisor(
        [sys.executable, "-c", "import time; time.sleep(0.2)"], backoff=0.05, max_backoff=0.1)
    supervisor.start()
    try:
        deadline = time.monotonic() + 30
        while supervisor.restarts < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert supervisor.restarts >= 2
    finally:
        supervisor.stop()
    process = supervisor.process
    assert process is not None and process.poll() is not None
    restarts = supervisor.restarts
    time.sleep(1)
    assert supervisor.restarts == restarts  # nothing started after the stop
