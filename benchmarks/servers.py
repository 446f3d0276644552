"""What the HTTP server alone costs: a bare WSGI app (one small JSON answer, no Flask)
under each server, 8 keep-alive clients (``http_aims.throughput``), the servers taken in
turn round by round so that each sees the same load (ADR 0026).

    python -m benchmarks.servers [--python PYTHON] [--servers granian,waitress,gunicorn]

The server's CPU per answer is its process tree's user + system CPU from /proc (the
main process and its workers). casetrack serves with granian; waitress and gunicorn, the
servers it replaced, are not its dependencies: to measure them beside it, install them
in a scratch virtualenv and name its Python with ``--python`` (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import write_path
from benchmarks.http_aims import throughput
from benchmarks.machine import describe, load_average

APP = '''
import json


def app(environ, start_response):
    body = json.dumps({"status": "live"}).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
'''

# Each server as the command that runs ``bare:app`` with 8 request threads in one worker.
COMMANDS = {
    "granian": "-m granian --interface wsgi --http 1 --workers 1 --blocking-threads 8 "
               "--log-level error --port {port} bare:app",
    "waitress": "-m waitress --threads 8 --port {port} bare:app",
    "gunicorn": "-m gunicorn -k gthread --threads 8 --workers 1 --bind 127.0.0.1:{port} "
                "bare:app",
}


def start(python: str, name: str, directory: Path) -> write_path.Server:
    return write_path.start_listening(
        lambda port: [python, *COMMANDS[name].format(port=port).split()], directory, 8)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.servers", description=__doc__)
    parser.add_argument("--python", default=sys.executable,
                        help="the Python whose servers are measured (default: this one)")
    parser.add_argument("--servers", default="granian",
                        help=f"comma-separated, of {', '.join(COMMANDS)} (default granian)")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)
    names = [name for name in args.servers.split(",") if name]
    unknown = sorted(set(names) - set(COMMANDS))
    if unknown:
        parser.error(f"unknown servers: {', '.join(unknown)}")
    before = load_average()
    answers = {name: 0 for name in names}
    seconds = {name: 0.0 for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="casetrack-servers-") as directory:
        (Path(directory) / "bare.py").write_text(APP)
        for round_ in range(args.rounds):
            for name in names if round_ % 2 == 0 else reversed(names):
                server = start(args.python, name, Path(directory))
                try:
                    run = throughput(server, ["/livez"], args.seconds)
                finally:
                    server.stop()
                answers[name] += run.answers
                seconds[name] += run.seconds
                cpu[name].append(sum(map(sum, run.server_cpu.values())) / run.answers * 1000)
                time.sleep(0.5)
    print(f"{describe()}; load average before: {before}; after: {load_average()}")
    print(f"a bare WSGI app, 8 keep-alive clients, {args.rounds} rounds x {args.seconds:g} s "
          "per server")
    print(f"{'server':<10} {'answers/s':>10} {'server CPU ms/answer':>21}  each round")
    for name in names:
        rounds = " ".join(f"{ms:.3f}" for ms in cpu[name])
        whole = sum(cpu[name]) / len(cpu[name])
        print(f"{name:<10} {answers[name] / seconds[name]:>10,.0f} {whole:>21.3f}  {rounds}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
