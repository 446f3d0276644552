"""The lock files pin every dependency setup.cfg names, at a version inside its range."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def declared(section: str, key: str) -> list[Requirement]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return [Requirement(line) for line in config[section][key].strip().splitlines()]


def pinned(lock: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / lock).read_text().splitlines():
        spec = line.split("#", 1)[0].strip()
        if "==" in spec:
            name, version = spec.split("==", 1)
            pins[canonicalize_name(name)] = version.strip()
    return pins


@pytest.mark.parametrize(("lock", "requirements"), [
    ("requirements.lock", declared("options", "install_requires")),
    ("requirements-dev.lock", declared("options", "install_requires")
     + declared("options.extras_require", "dev")),
])
def test_every_declared_dependency_is_pinned_inside_its_range(
        lock: str, requirements: list[Requirement]) -> None:
    pins = pinned(lock)
    stale = [f"{r} (locked {pins.get(canonicalize_name(r.name), 'missing')})"
             for r in requirements
             if pins.get(canonicalize_name(r.name)) is None
             or pins[canonicalize_name(r.name)] not in r.specifier]
    assert stale == [], "run make lock"
