"""The hand-built cohorts' world: a fresh SQLite store per test (tests/application)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.application.reports_cohort import World, world_on


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with world_on(tmp_path, None) as w:
        yield w
