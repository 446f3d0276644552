"""``casetrack export sen2 --year YYYY [--authority LA] [--out FILE] [--diff FILE] [--check]
[--xsd]``.

The authority's DfE three-digit LA number comes from ``CASETRACK_SEN2_LA_NUMBERS``
(``web.config.sen2_la_numbers``); without it the command refuses (exit 2).

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

from web.config import ConfigError, Settings, sen2_la_numbers
from web.progress import add_options as add_progress_options
from web.progress import progress_for


def add_commands(subparsers: Any) -> None:
    """Add ``export`` (with ``sen2``) to the ``casetrack`` parser."""
    export = subparsers.add_parser("export", help="statutory returns from the journeys")
    returns = export.add_subparsers(dest="return_name", required=True)
    sen2 = returns.add_parser("sen2", help="the person-level SEN2 return for a year")
    sen2.add_argument("--year", type=int, required=True,
                      help="collection year (census in January; activity the year before)")
    sen2.add_argument("--authority", help="the LA (default: the only one in the store)")
    sen2.add_argument("--out", help="write here (default: standard output)")
    sen2.add_argument("--format", choices=("xml", "json"), default="xml",
                      help="xml (the DfE return, default) or json (the same records)")
    sen2.add_argument("--diff", metavar="FILE",
                      help="reconcile against a return submitted earlier (XML or JSON) and "
                           "list every difference by child and item")
    sen2.add_argument("--check", action="store_true",
                      help="run the pre-submission checks; exit 1 when there are errors")
    sen2.add_argument("--xsd", action="store_true",
                      help="write the year's XML Schema (generated from its specification)")
    add_progress_options(sen2)


def handlers() -> dict[str, Callable[[Settings, argparse.Namespace], int]]:
    return {"export": export_command}


def export_command(settings: Settings, args: argparse.Namespace) -> int:
    from application.sen2 import UnknownYearError, spec_for, xsd

    try:
        spec = spec_for(args.year)
    except UnknownYearError as error:
        print(f"casetrack: {error}", file=sys.stderr)
        return 2
    if args.xsd:
        _write(xsd(spec), args.out)
        return 0
    try:
        la_numbers = sen2_la_numbers()
    except ConfigError as error:
        print(f"casetrack: {error}", file=sys.stderr)
        return 2
    return _with_store(settings, args, la_numbers)


def _with_store(settings: Settings, args: argparse.Namespace, la_numbers: dict[str, str]
                ) -> int:
    from application.sen2 import MissingLANumberError, Sen2Policy, authorities, sen2_return
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
        try:
            with progress_for(args) as progress:
                result = sen2_return(tracking, year=args.year, authority=authority,
                                     policy=Sen2Policy(la_numbers=la_numbers),
                                     progress=progress)
        except MissingLANumberError as error:
            print(f"casetrack: {error}", file=sys.stderr)
            return 2
        if args.check:
            return _check(result, authority, args)
        if args.diff:
            return _diff(result, authority, args)
        content = to_xml_or_json(result, args.format)
        _write(content, args.out)
        print(f"SEN2 {args.year} for {authority}: {len(result.persons)} persons in "
              f"{result.summary['seconds']} s", file=sys.stderr)
        return 0
    finally:
        tracking.close()


def to_xml_or_json(result: Any, form: str) -> bytes:
    from application.sen2 import to_xml

    return to_xml(result) if form == "xml" else json.dumps(result.as_dict(), indent=2).encode()


def _check(result: Any, authority: str, args: argparse.Namespace) -> int:
    from application.sen2 import check_return
    from application.sen2.checks import summary

    findings = check_return(result.as_dict())
    counts = summary(findings)
    lines = [f"{f.severity.upper():5} {f.rule:32} {f.child} {f.item}: {f.message}"
             for f in findings]
    text = "\n".join(lines) if lines else "no findings"
    _write(text.encode(), args.out)
    print(f"SEN2 {args.year} for {authority}: {counts['errors']} errors, "
          f"{counts['queries']} queries", file=sys.stderr)
    return 1 if counts["errors"] else 0


def _diff(result: Any, authority: str, args: argparse.Namespace) -> int:
    from application.sen2 import Sen2FileError, diff_returns, load_return
    from application.sen2.diff import YearMismatchError

    try:
        submitted = load_return(Path(args.diff).read_bytes())
        differences = diff_returns(submitted, result.as_dict())
    except OSError as error:
        print(f"casetrack: cannot read {args.diff}: {error.strerror}", file=sys.stderr)
        return 2
    except (Sen2FileError, YearMismatchError, ValueError) as error:
        print(f"casetrack: {args.diff}: {error}", file=sys.stderr)
        return 2
    text = json.dumps({"authority": authority, "year": args.year,
                       "differences": differences}, indent=2)
    _write(text.encode(), args.out)
    print(f"{len(differences)} differences", file=sys.stderr)
    return 1 if differences else 0


def _write(content: bytes, out: str | None) -> None:
    if out:
        Path(out).write_bytes(content)
    else:
        sys.stdout.buffer.write(content + b"\n")
        sys.stdout.flush()
