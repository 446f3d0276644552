"""What the benchmarks print about the machine they ran on (one place for all of them)."""

from __future__ import annotations

import contextlib
import os
import platform
from pathlib import Path


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def describe() -> str:
    """System, architecture, CPU model and count: ``Linux x86_64, AMD EPYC, 2 CPUs``."""
    return f"{platform.system()} {platform.machine()}, {cpu_model()}, {os.cpu_count()} CPUs"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())
