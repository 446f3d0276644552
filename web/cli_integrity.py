"""``casetrack verify`` and ``casetrack checkpoint``: tamper evidence from the shell.

``verify`` recomputes every journey's hash chain and every signed checkpoint against
the log, prints the first bad event (and every finding with ``--all``) and exits 1 on
any failure. ``checkpoint`` verifies, then signs a checkpoint at the log's current
position; run it on a schedule (cron or a systemd timer) and after imports.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from web.config import Settings
from web.progress import add_options as add_progress_options
from web.progress import progress_for


def add_commands(commands: Any) -> dict[str, Any]:
    """Add the integrity subcommands; return their handlers by name."""
    verify = commands.add_parser("verify", help="verify every journey's hash chain and the "
                                                "signed checkpoints (exit 1 on failure)")
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.add_argument("--all", action="store_true", help="print every finding")
    verify.add_argument("--witness", metavar="FILE", help="compare with this copy of the "
                        "witness file (default: the one in CASETRACK_WITNESS_DIR)")
    add_progress_options(verify)
    commands.add_parser("checkpoint", help="verify the store, then sign a checkpoint at the "
                                           "log's current position")
    proof = commands.add_parser("proof", help="an RFC 9162 inclusion proof that the event at "
                                              "a log position is in a signed checkpoint")
    proof.add_argument("position", type=int, help="the event's log position")
    proof.add_argument("--checkpoint", type=int, metavar="SEQ",
                       help="the checkpoint (default: the latest)")
    return {"verify": _verify, "checkpoint": _checkpoint, "proof": _proof}


def _open(settings: Settings, witness_file: str | None = None) -> Any:
    from pathlib import Path

    from application.tracking import CaseTracking
    from infrastructure.witness import FileWitness
    from web.integrity import build_log

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    tracking = CaseTracking(env=settings.event_store_env())
    try:
        log = build_log(tracking, settings)
    except Exception:
        tracking.close()
        raise
    if witness_file and log.witnesses is not None:
        log.witnesses.file = FileWitness(Path(witness_file).parent, Path(witness_file))
    return log


def _close(log: Any) -> None:
    log.store.close()
    log.application.close()


def _verify(settings: Settings, args: argparse.Namespace) -> int:
    from infrastructure.integrity import IntegrityError

    try:
        log = _open(settings, args.witness)
    except IntegrityError as error:
        print(f"casetrack: {error}", file=sys.stderr)
        return 2
    try:
        with progress_for(args) as progress:
            report = log.verify(progress=progress)
    finally:
        _close(log)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(f"checked {report.events} events of {report.journeys} journeys up to position "
              f"{report.position}; {report.checkpoints} checkpoints anchor positions up to "
              f"{report.anchored_position}; {report.unanchored_events} events after it")
        print(f"witness {report.witness}: {report.witnessed} checkpoints")
        shown = report.findings if args.all else report.findings[:1]
        for finding in shown:
            print(("first bad event: " if finding is report.findings[0] else "also: ")
                  + finding.describe())
        if len(report.findings) > len(shown):
            print(f"... and {len(report.findings) - len(shown)} more (--all)")
        print("verified: the log is intact" if report.ok else "FAILED: the log was tampered "
              "with or damaged")
    return 0 if report.ok else 1


def _checkpoint(settings: Settings, args: argparse.Namespace) -> int:
    from infrastructure.integrity import IntegrityError, LogTamperedError

    try:
        log = _open(settings)
    except IntegrityError as error:
        print(f"casetrack: {error}", file=sys.stderr)
        return 2
    try:
        checkpoint = log.checkpoint()
    except LogTamperedError as error:
        print(f"casetrack: refusing to sign a checkpoint; first bad event: {error}",
              file=sys.stderr)
        return 1
    except IntegrityError as error:
        print(f"casetrack: {error}", file=sys.stderr)
        return 1
    finally:
        _close(log)
    print(json.dumps(checkpoint.record(), indent=2))
    return 0


def _proof(settings: Settings, args: argparse.Namespace) -> int:
    from infrastructure.integrity import IntegrityError

    try:
        log = _open(settings)
    except IntegrityError as error:
        print(f"casetrack: {error}", file=sys.stderr)
        return 2
    try:
        answer = log.inclusion_proof(args.position, args.checkpoint)
    except IntegrityError as error:
        print(f"casetrack: {error}", file=sys.stderr)
        return 1
    finally:
        _close(log)
    print(json.dumps({**answer, "public_key": log.public_key_hex}, indent=2))
    return 0
