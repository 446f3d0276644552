"""web.serving.freeze_start_up_heap: what is alive at start-up is frozen; what serving
makes later is still collected, cycles included."""

from __future__ import annotations

import gc
import socket
import weakref
from pathlib import Path
from typing import Any

import pytest

from web import serving


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


def test_each_gunicorn_worker_freezes_its_start_up_heap_once_its_app_is_built(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from gunicorn.app.base import BaseApplication

    from tests.conftest import settings_for

    hooks: dict[str, Any] = {}

    def run(self: Any) -> None:  # instead of serving: what a worker runs after its app
        hooks["post_worker_init"] = self.cfg.post_worker_init

    monkeypatch.setattr(serving, "enable_multiprocess_metrics", lambda: str(tmp_path))
    monkeypatch.setattr(BaseApplication, "run", run)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert serving.run_gunicorn(settings_for(tmp_path), "127.0.0.1", port, 2, 4,
                                projections=False, announce=lambda: None) == 0
    assert gc.get_freeze_count() == 0
    try:
        hooks["post_worker_init"](None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
