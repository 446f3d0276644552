"""``casetrack export sen2 --year YYYY [--authority LA] [--out FILE] [--diff FILE]``.

Wire into ``web.cli.main`` with ``add_commands(commands)`` before parsing, and dispatch
``handlers()[args.command](settings, args)``. The command runs as the operator of the
store (no token); the return holds identifiers from the vault, so write it somewhere
only the authority's SEN2 team can read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from web.config import Settings


def add_commands(subparsers: Any) -> None:
    """Add ``export`` (with ``sen2``) to the ``casetrack`` parser."""
    export = subparsers.add_parser("export", help="statutory returns from the journeys")
    returns = export.add_subparsers(dest="return_name", required=True)
    sen2 = returns.add_parser("sen2", help="the person-level SEN2 return for a year")
    sen2.add_argument("--year", type=int, required=True,
                      help="collection year (census in January; activity the year before)")
    sen2.add_argument("--authority", help="the LA (default: the only one in the store)")
    sen2.add_argument("--out", help="write here (default: standard output)")
    sen2.add_argument("--format", choices=("xml", "json"), default="xml")
    sen2.add_argument("--diff", metavar="FILE",
                      help="reconcile against a return submitted earlier (XML or JSON) and "
                           "list every difference by child and item")


def handlers() -> dict[str, Callable[[Settings, argparse.Namespace], int]]:
    return {"export": export_command}


def export_command(settings: Settings, args: argparse.Namespace) -> int:
    from application.sen2 import (
        authorities,
        diff_returns,
        load_return,
        sen2_return,
        to_xml,
    )
    from application.tracking import CaseTracking
    from web.personal_data import attach_vault

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    tracking = CaseTracking(env=settings.event_store_env())
    attach_vault(tracking, settings)
    try:
        authority = args.authority
        if authority is None:
            found = authorities(tracking)
            if len(found) != 1:
                print("casetrack: name the authority with --authority (the store holds "
                      f"{', '.join(found) or 'none'})", file=sys.stderr)
                return 2
            authority = found[0]
        result = sen2_return(tracking, year=args.year, authority=authority)
        if args.diff:
            try:
                submitted = load_return(Path(args.diff).read_bytes())
            except OSError as error:
                print(f"casetrack: cannot read {args.diff}: {error.strerror}", file=sys.stderr)
                return 2
            differences = diff_returns(submitted, result.as_dict())
            text = json.dumps({"authority": authority, "year": args.year,
                               "differences": differences}, indent=2)
            _write(text.encode(), args.out)
            print(f"{len(differences)} differences", file=sys.stderr)
            return 1 if differences else 0
        content = to_xml(result) if args.format == "xml" else json.dumps(
            result.as_dict(), indent=2).encode()
        _write(content, args.out)
        print(f"SEN2 {args.year} for {authority}: {len(result.persons)} persons in "
              f"{result.summary['seconds']} s", file=sys.stderr)
        return 0
    finally:
        tracking.close()


def _write(content: bytes, out: str | None) -> None:
    if out:
        Path(out).write_bytes(content)
    else:
        sys.stdout.buffer.write(content + b"\n")
        sys.stdout.flush()
