"""Instructions per event of a write, counted by valgrind's callgrind: the same count for
the same code and inputs whatever else the machine is doing, so a change of 0.5% shows,
where CPU time on a shared machine moves by a fifth between runs.

Two paths, each in a process of its own under ``valgrind --tool=callgrind
--instr-atstart=no``, counting only the timed part (switched on and off with
``callgrind_control``), on a fresh SQLite store:

- ``casetrack``: the app's WSGI callable (``create_app``, as a serving worker builds it:
  log lines in batches, the start-up heap frozen), called directly with write_path's
  journeys (register and two events per child, bearer token, a fresh Idempotency-Key per
  POST; the bodies encoded before counting, an answer parsed only for the child's id):
  everything a worker does for a write but granian's own work and the threads;
- ``library``: write_path's ``BareJourneys``, the bare eventsourcing library's save of
  the same three events (the aims' baseline).

    .venv/bin/python -m benchmarks.write_instructions
    .venv/bin/python -m benchmarks.write_instructions --roots /tmp/before,. --children 60

``--roots``: checkouts whose casetrack path is counted (``git archive`` of a commit; the
library path runs once, from this checkout). Needs valgrind (Debian's package).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import io
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EVENTS_PER_CHILD = 3
WARM_UP = 20  # children written before counting starts
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def _counting(switch: str) -> None:
    subprocess.run(["callgrind_control", "-i", switch, str(os.getpid())],
                   capture_output=True, check=False)


def casetrack_writes(children: int) -> None:
    """Write ``children`` journeys through the app's WSGI callable, counted."""
    from web.app import create_app
    from web.auth import mint_token
    from web.logging import write_lines_in_batches

    secret = secrets.token_urlsafe(48)
    app = create_app({"CASETRACK_ENV": "development", "CASETRACK_LOG_FORMAT": "json",
                      "CASETRACK_DATA_DIR": tempfile.mkdtemp(prefix="casetrack-instr-"),
                      "CASETRACK_SECRET_KEY": secret}, embedded_projections=False)
    write_lines_in_batches()
    token = mint_token(secret, subject="bench", role="caseworker", organisation="LA-901")
    # The journeys of this checkout's write_path, whichever checkout's code is counted:
    # run as a script, this file's own directory comes first on the path.
    here = importlib.import_module("write_path")
    registration, journey_events = here.registration, here.JOURNEY_EVENTS

    def post(path: str, raw: bytes) -> bytes:
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(raw), "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0), "wsgi.multithread": True, "wsgi.multiprocess": False,
            "wsgi.run_once": False, "wsgi.input_terminated": True, "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000", "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(raw)), "HTTP_AUTHORIZATION": f"Bearer {token}",
            "HTTP_IDEMPOTENCY_KEY": secrets.token_hex(16)}
        status: list[str] = []

        def start(given: str, headers: list[tuple[str, str]], exc_info: Any = None
                  ) -> Callable[[bytes], object]:
            status.append(given)
            return lambda data: None

        answer = b"".join(app.wsgi_app(environ, start))
        if not status[0].startswith("201"):
            raise RuntimeError(f"POST {path} answered {status[0]}: {answer[:300]!r}")
        return answer

    # The request bodies made before counting, the answers read only where the driver
    # needs them (the child's id): what is counted is the server's work.
    event_bodies = [json.dumps(body).encode() for body in journey_events]
    registrations = {n: json.dumps(registration(n)).encode()
                     for n in (*range(children), *range(1_000_000, 1_000_000 + WARM_UP))}

    def journey(n: int) -> None:
        child = json.loads(post("/children", registrations[n]))
        events = f"/children/{child['child_id']}/events"
        for raw in event_bodies:
            post(events, raw)

    for n in range(WARM_UP):
        journey(1_000_000 + n)
    gc.collect()
    gc.freeze()  # as a serving worker does once its app is built
    _counting("on")
    for n in range(children):
        journey(n)
    _counting("off")


def library_writes(children: int) -> None:
    """Write ``children`` journeys with the bare library (``BareJourneys``), counted."""
    from benchmarks.write_path import BareJourneys, library_recorder
    from infrastructure.persistence import event_store_env

    env = event_store_env(None, Path(tempfile.mkdtemp(prefix="casetrack-instr-")))
    journeys = BareJourneys(env=library_recorder(env))

    def journey(n: int) -> None:
        child = journeys.register(f"BENCH-{n:07d}")
        journeys.request_assessment(child)
        journeys.decide_to_assess(child)

    for n in range(WARM_UP):
        journey(1_000_000 + n)
    gc.collect()
    gc.freeze()
    _counting("on")
    for n in range(children):
        journey(n)
    _counting("off")


def counted(path: str, root: Path, children: int, valgrind: str) -> int:
    """Run one path with the code of checkout ``root`` under callgrind (this file's driver,
    so an older checkout needs none); return the instructions."""
    command = [valgrind, "--tool=callgrind", "--instr-atstart=no",
               "--callgrind-out-file=/dev/null", sys.executable, __file__,
               "--driver", path, "--children", str(children)]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(root)})
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{path} from {root} failed:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.write_instructions",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--roots", default=str(ROOT),
                        help="comma-separated checkouts to count casetrack's path in")
    parser.add_argument("--children", type=int, default=60, help="journeys counted per run")
    parser.add_argument("--driver", choices=("casetrack", "library"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.driver:  # inside valgrind
        (casetrack_writes if args.driver == "casetrack" else library_writes)(args.children)
        return 0
    valgrind = shutil.which("valgrind")
    if valgrind is None or shutil.which("callgrind_control") is None:
        parser.error("valgrind is not installed (Debian: apt-get install valgrind)")
    events = args.children * EVENTS_PER_CHILD
    library = counted("library", ROOT, args.children, valgrind) / events
    print(f"{events} events ({args.children} journeys of register and two events) after "
          f"{WARM_UP} journeys of warm-up, SQLite, callgrind instructions")
    print(f"{'path':<10} {'checkout':<40} {'instructions/event':>19} {'/ library':>10}")
    print(f"{'library':<10} {str(ROOT):<40} {library:>19,.0f} {1:>9.2f}x")
    for root in (Path(r).resolve() for r in args.roots.split(",") if r):
        ours = counted("casetrack", root, args.children, valgrind) / events
        print(f"{'casetrack':<10} {str(root):<40} {ours:>19,.0f} {ours / library:>9.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
