"""web.serving.freeze_start_up_heap: what is alive at start-up is frozen; what serving
makes later is still collected, cycles included."""

from __future__ import annotations

import gc
import weakref

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
