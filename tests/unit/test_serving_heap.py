"""web.serving: what is alive at start-up is frozen, and what serving makes later is still
collected, cycles included; what each worker runs after the fork; the parent watch."""

from __future__ import annotations

import gc
import io
import os
import signal
import threading
import time
import weakref
from pathlib import Path
from typing import Any

import pytest

from web import serving
from web.services import services_of


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_start_up_objects_are_frozen_and_later_cycles_are_still_collected() -> None:
    kept = _Node()
    try:
        serving.freeze_start_up_heap()
        assert gc.get_freeze_count() > 0
        assert not any(obj is kept for obj in gc.get_objects())  # frozen, out of reach

        later_a, later_b = _Node(), _Node()
        later_a.other, later_b.other = later_b, later_a
        gone = weakref.ref(later_a)
        del later_a, later_b
        gc.collect()
        assert gone() is None
    finally:
        gc.unfreeze()
    assert any(obj is kept for obj in gc.get_objects())


def test_each_worker_builds_its_app_then_freezes_its_heap_and_forgets_the_secrets(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """What granian's worker runs after the fork: the app, built from the settings; the
    heap frozen; no secret left in the environment granian copies into every request's
    WSGI environ (checked through granian's own wrapper)."""
    from granian.wsgi import _callback_wrapper

    from tests.conftest import settings_for

    # The worker takes every CASETRACK_* variable out of the environment: give it a copy
    # (this process's own, CASETRACK_TEST_POSTGRES_URL among them, stays for later tests).
    monkeypatch.setattr(os, "environ", dict(os.environ))
    monkeypatch.setenv("CASETRACK_SECRET_KEY", "a-synthetic-secret-for-this-test-only-0123456789")
    monkeypatch.setenv("CASETRACK_MASTER_KEY", "ab" * 32)  # synthetic, 32 bytes in hex
    monkeypatch.setenv("PGPASSWORD", "synthetic")
    monkeypatch.setenv("CASETRACK_TEST_KEPT_BY_MONKEYPATCH", "x")
    assert gc.get_freeze_count() == 0
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    ready = serving.WorkersReady(1)
    app = serving.worker_app(settings_for(tmp_path), False, os.getppid(), ready)
    assert ready.count.value == 1
    try:
        assert gc.get_freeze_count() > 0
        assert not [name for name in os.environ if name.startswith(("CASETRACK_", "PGPASSWORD"))]
        seen: dict[str, Any] = {}

        def inner(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            seen.update(environ)
            return app(environ, start_response)  # type: ignore[no-any-return]

        class Proto:
            def response_bytes(self, status: int, headers: Any, body: bytes) -> None:
                seen["status"] = status

            def response_iter(self, status: int, headers: Any, body: Any) -> None:
                seen["status"], seen["body"] = status, b"".join(iter(body.__next__, None))

        scope = {"REQUEST_METHOD": "GET", "PATH_INFO": "/livez", "QUERY_STRING": "",
                 "SERVER_PROTOCOL": "HTTP/1.1", "SERVER_NAME": "127.0.0.1",
                 "SERVER_PORT": "80", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
                 "wsgi.input": io.BytesIO(b"")}
        _callback_wrapper(inner, {})(Proto(), scope)
        assert seen["status"] == 200
        assert "PATH" in seen or "HOME" in seen  # the environment is there, less the secrets
        assert not [name for name in seen if name.startswith(("CASETRACK_", "PGPASSWORD"))]
    finally:
        gc.unfreeze()
        services_of(app).close()
        for signum, handler in saved.items():  # the worker set them to the default
            signal.signal(signum, handler)


def test_workers_wait_for_each_other_then_a_replaced_one_serves_at_once() -> None:
    ready = serving.WorkersReady(2)
    ready.one_more()
    began = time.monotonic()
    assert not ready.wait(0.2)  # one of two
    assert time.monotonic() - began >= 0.2
    ready.one_more()
    assert ready.wait(0)
    ready.one_more()  # a replaced worker, later
    assert ready.wait(0)


def test_a_worker_stops_itself_once_the_main_process_is_gone() -> None:
    """``watch_parent`` calls back once the parent it was given is not this process's."""
    gone = threading.Event()
    thread = serving.watch_parent(os.getppid() + 1_000_000, gone.set)
    assert gone.wait(5)
    thread.join(5)
    stopping = threading.Event()
    kept = threading.Event()
    thread = serving.watch_parent(os.getppid(), kept.set, stopping)
    time.sleep(1.5)
    stopping.set()
    thread.join(5)
    assert not kept.is_set() and not thread.is_alive()


def test_a_wait_ends_once_the_server_is_told_to_stop() -> None:
    from web.serving import wait_unless_stopped

    stopping = threading.Event()
    looks: list[float] = []

    def never(timeout: float) -> bool:
        looks.append(timeout)
        if len(looks) == 3:
            stopping.set()  # as the SIGTERM handler does, between two looks
        return False

    assert wait_unless_stopped(never, stopping, timeout=3600) is False
    assert len(looks) == 3 and all(0 <= t <= 0.1 for t in looks)
    ready = threading.Event()
    ready.set()
    assert wait_unless_stopped(ready.wait, threading.Event(), timeout=1) is True
    assert wait_unless_stopped(threading.Event().wait, threading.Event(), timeout=0.2) is False
