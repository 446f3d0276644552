"""What two parts of every answer cost, each beside the way it was made before (issue 17,
round 4), in one process, rounds interleaved, CPU time (``time.process_time``).

    python -m benchmarks.edge [--rounds 20] [--calls 2000]

- the summary line: ``web.logging``'s direct path (the JSON configuration's processors
  and logger, the actor's pseudonym remembered) against structlog's bound logger with
  the pseudonym computed each time (written to /dev/null);
- a JSON answer: ``web.app.JSONProvider.response`` (one compact encoder made once)
  against Flask's ``DefaultJSONProvider.response``, for a write's answer (an event with
  its clocks, about 1.8 kB) and for ``/livez``'s.

Printed per part: the median and the fastest round, microseconds a call.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import structlog

from benchmarks.machine import describe, load_average

WRITE_ANSWER: dict[str, Any] = {
    "child_id": "e0739c9e-4793-4d58-8be5-83abde0e46a4", "version": 2, "position": 5,
    "event": {"version": 2, "type": "EHCNeedsAssessmentRequested",
              "occurred_on": date(2024, 1, 8),
              "recorded_at": datetime(2026, 12, 7, 13, 2, 34, 943533, tzinfo=UTC),
              "actor": {"user_id": "bench", "role": "caseworker", "organisation": "LA-901"},
              "reference_version": "2015.1", "evidence": [],
              "data": {"requester_role": "Parent", "request_source": "1",
                       "requester_ref": None, "channel": None, "rya": False,
                       "consent_to_share": [], "previous_assessment_within_6_months": False,
                       "on_behalf_of_young_person_lacking_capacity": False}},
    "clocks": [{"clock": clock, "name": name, "episode": "request-2",
                "started_on": date(2024, 1, 8), "due_on": due, "stopped_on": None,
                "status": "running", "responsible": "local_authority",
                "citation": "SEND Regulations 2014, reg 13(2), 13(3)", "limit": limit,
                "rule_set": "send-regs-2014", "exception_ground": None, "statutory": True,
                "responsible_name": "LA-901", "days_late": 0, "kind": "statutory"}
               for clock, name, due, limit in (
                   ("K1", "Decision whether to assess", date(2024, 2, 19), "6 weeks"),
                   ("K3", "Notice of a decision not to issue a plan", date(2024, 4, 29),
                    "16 weeks"),
                   ("K4", "Final EHC plan", date(2024, 5, 27), "20 weeks"))],
    "created": {"assessment_request_id": "request-2"}}


def interleaved(parts: dict[str, Callable[[], Any]], rounds: int, calls: int
                ) -> dict[str, list[float]]:
    """Each part's microseconds a call, round by round (the parts' order alternating)."""
    spent: dict[str, list[float]] = {name: [] for name in parts}
    names = list(parts)
    for n in range(rounds):
        for name in names if n % 2 == 0 else names[::-1]:
            call = parts[name]
            began = time.process_time()
            for _ in range(calls):
                call()
            spent[name].append((time.process_time() - began) / calls * 1e6)
    return spent


def summary_parts() -> dict[str, Callable[[], Any]]:
    from application.access import pseudonym
    from web import logging as web_logging

    web_logging.configure_logging("json")
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id="ab" * 16)
    key = b"k" * 32

    def fields(named: Callable[[str, bytes], str]) -> dict[str, Any]:
        return {"method": "POST", "route": "/children/<uuid:child_id>/events",
                "status": 201, "duration_ms": 1.23, "actor": named("bench", key),
                "role": "caseworker", "organisation": "LA-901"}

    return {
        "summary line, structlog": lambda: web_logging._summary.logger().info(
            "request", **fields(pseudonym)),
        "summary line, direct": lambda: web_logging._write_summary(
            fields(web_logging._pseudonym)),
    }


def json_parts(app: Any) -> dict[str, Callable[[], Any]]:
    from flask.json.provider import DefaultJSONProvider

    provider, livez = app.json, {"status": "ok"}
    return {
        "write answer, Flask's": lambda: DefaultJSONProvider.response(provider, WRITE_ANSWER),
        "write answer, ours": lambda: provider.response(WRITE_ANSWER),
        "/livez answer, Flask's": lambda: DefaultJSONProvider.response(provider, livez),
        "/livez answer, ours": lambda: provider.response(livez),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.edge",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args(argv)
    from web import create_app
    from web.services import services_of

    before = load_average()
    stdout, sys.stderr = sys.stdout, Path("/dev/null").open("w")  # the lines written
    data_dir = tempfile.mkdtemp(prefix="casetrack-edge-")
    app = create_app({"CASETRACK_DATA_DIR": data_dir, "CASETRACK_SECRET_KEY": "s" * 64,
                      "CASETRACK_LOG_FORMAT": "json"}, embedded_projections=False)
    try:
        spent = interleaved(summary_parts(), args.rounds, args.calls)
        with app.app_context():
            from flask.json.provider import DefaultJSONProvider

            same = DefaultJSONProvider.response(app.json, WRITE_ANSWER).get_data()
            assert app.json.response(WRITE_ANSWER).get_data() == same
            spent |= interleaved(json_parts(app), args.rounds, args.calls)
    finally:
        services_of(app).close()
    print(f"{describe()}; load average before: {before}; after: {load_average()}",
          file=stdout)
    print(f"{args.rounds} interleaved rounds of {args.calls} calls; us a call", file=stdout)
    for name, each in spent.items():
        print(f"{name:<28} median {statistics.median(each):6.1f}  fastest {min(each):6.1f}",
              file=stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
