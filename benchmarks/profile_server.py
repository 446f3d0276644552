"""Profile a real ``casetrack serve`` under the write-path load with py-spy.

Starts the server on a fresh store exactly as ``benchmarks.write_path`` does, records it
with ``py-spy record --format raw`` (all threads, CPU samples only unless ``--idle``)
while N clients write, then prints the functions with the most samples, inclusive and
self. Needs py-spy (``.venv/bin/pip install py-spy``) and permission to ptrace.

    .venv/bin/python -m benchmarks.profile_server --store sqlite --clients 8 --children 300
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.write_path import (
    POSTGRES_URL_VARIABLES,
    drive,
    fresh_postgres,
    fresh_sqlite,
    http_target,
)


def summarise(raw: Path, top: int, focus: str | None) -> str:
    """Return the top frames of py-spy's collapsed stacks, inclusive and self."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f.split(" (")[0] + " (" + f.split(" (")[1].split(":")[0].rsplit("/", 2)[-1]
                  + ")" if " (" in f else f for f in stack.split(";")[1:]]
        if focus and not any(focus in f for f in frames):
            continue
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        if frames:
            own[frames[-1]] += count
    lines = [f"{total} samples" + (f" in stacks through {focus!r}" if focus else "")]
    for title, counter in (("inclusive", inclusive), ("self", own)):
        lines.append(f"\ntop {top} {title}:")
        for frame, count in counter.most_common(top):
            lines.append(f"  {100 * count / max(total, 1):5.1f}%  {frame}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_server")
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--children", type=int, default=300)
    parser.add_argument("--server-threads", type=int, default=8)
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--gil", action="store_true",
                        help="only samples of the thread holding the GIL (Python CPU)")
    parser.add_argument("--idle", action="store_true", help="include waiting threads")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--focus", help="only stacks through a frame containing this text")
    parser.add_argument("--out", type=Path, help="keep the raw collapsed stacks here")
    parser.add_argument("--postgres-url", default=next(
        (os.environ[v] for v in POSTGRES_URL_VARIABLES if os.environ.get(v)), None))
    args = parser.parse_args(argv)
    if args.store == "postgres" and not args.postgres_url:
        parser.error("postgres needs --postgres-url or CASETRACK_BENCH_POSTGRES_URL")
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    fresh = fresh_sqlite() if args.store == "sqlite" else fresh_postgres(args.postgres_url or "")
    raw = args.out or Path(tempfile.mkstemp(prefix="casetrack-pyspy-", suffix=".txt")[1])
    with fresh as (database_url, data_dir):
        target = http_target(database_url, data_dir, args.server_threads)
        assert target.server is not None
        command = [py_spy, "record", "--pid", str(target.server.process.pid), "--format", "raw",
                   "--rate", str(args.rate), "--output", str(raw), "--threads", "--nonblocking"]
        if args.idle:
            command.append("--idle")
        if args.gil:
            command.append("--gil")
        spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(1.0)
        try:
            seconds, latencies, cpu, _counted = drive(target, args.clients, args.children)
        finally:
            spy.send_signal(2)  # SIGINT: py-spy writes its output and exits
            _, err = spy.communicate(timeout=30)
            target.close()
    events = args.children * 3
    print(f"{args.store}, {args.clients} clients: {events / seconds:,.0f} events/s, "
          f"server CPU {cpu / seconds:.2f} cores; raw stacks in {raw}")
    if spy.returncode not in (0, -2) and not raw.stat().st_size:
        print(err.decode(errors="replace"), file=sys.stderr)
        return 1
    print(summarise(raw, args.top, args.focus))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
