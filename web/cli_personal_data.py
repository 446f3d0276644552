"""``casetrack erase CHILD`` and ``casetrack vault sweep``: the personal data from the shell.

Destroys the child's key in the personal-data vault unless a legal hold stands, after
recording ``PersonalDataShredded`` on the journey; identifiers and free text become
unreadable, the pseudonymous history and its hashes stay. Exit 0 when erased, 1 when
refused (a legal hold, already erased, no such child), 2 on a configuration error.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, get_args
from uuid import UUID

from web.cli_choices import LazyChoices
from web.config import Settings

# What `casetrack erase --help` lists; --basis is checked against the domain's ErasureBasis.
ERASURE_BASES_SHOWN = ("erasure_request", "other", "retention_period_ended")


def _erasure_bases() -> tuple[str, ...]:
    from domain.catalogue.governance import ErasureBasis

    return get_args(ErasureBasis)


def add_commands(commands: Any) -> dict[str, Any]:
    """Add the personal-data subcommands; return their handlers by name."""
    erase = commands.add_parser("erase", help="erase a child's personal data (destroys the "
                                              "child's key unless a legal hold stands)")
    erase.add_argument("child", type=UUID, help="the child id")
    erase.add_argument("--basis", choices=LazyChoices(_erasure_bases, shown=ERASURE_BASES_SHOWN),
                       metavar="BASIS",
                       default="erasure_request",
                       help="the lawful basis recorded (%(choices)s; default %(default)s)")
    erase.add_argument("--user", default="operator", help="recorded as the admin actor")
    erase.add_argument("--yes", action="store_true",
                       help="erase without asking (needed when not run from a terminal)")
    erase.add_argument("--dry-run", action="store_true",
                       help="check that the erasure would be allowed (no legal hold, not "
                            "already erased) and change nothing")
    vault = commands.add_parser("vault", help="maintain the personal-data vault")
    vault_commands = vault.add_subparsers(dest="vault_command", required=True)
    sweep = vault_commands.add_parser(
        "sweep", help="remove identifiers whose journey was never saved (a registration "
                      "cut off mid-way) and documents' bytes no event names (an upload "
                      "cut off mid-way); the server sweeps the last week at start-up")
    sweep.add_argument("--all", action="store_true",
                       help="look at every key, not only the last week's")
    return {"erase": _erase, "vault": _vault}


def _vault(settings: Settings, args: argparse.Namespace) -> int:
    """``casetrack vault sweep``: print the children whose orphan identifiers went, and
    how many documents' orphan bytes."""
    from datetime import UTC, datetime

    from application.documents import sweep_orphan_documents
    from application.personal_data import STARTUP_SWEEP_WINDOW, sweep_orphans
    from application.tracking import CaseTracking
    from web.personal_data import attach_vault

    tracking = CaseTracking(env=settings.event_store_env())
    vault = attach_vault(tracking, settings)
    try:
        since = None if args.all else datetime.now(UTC) - STARTUP_SWEEP_WINDOW
        removed = sweep_orphans(tracking, vault, since=since)
        documents = sweep_orphan_documents(tracking, vault, since=since)
    finally:
        tracking.close()
    print(json.dumps({"removed": len(removed), "child_ids": [str(c) for c in removed],
                      "documents_removed": documents}))
    return 0


def _erase(settings: Settings, args: argparse.Namespace) -> int:
    if not args.dry_run and not args.yes and not _confirmed(args.child):
        return 2
    from application.errors import ApplicationError
    from application.personal_data import PersonalData
    from application.tracking import CaseTracking
    from domain.actors import Actor
    from domain.errors import DomainError
    from web.personal_data import attach_vault

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    tracking = CaseTracking(env=settings.event_store_env())
    vault = attach_vault(tracking, settings)
    try:
        authority = tracking.journey_for_update(args.child).authority
        result = PersonalData(tracking, vault).erase(
            args.child, actor=Actor(args.user, "admin", authority), basis=args.basis,
            dry_run=args.dry_run)
    except (ApplicationError, DomainError) as error:
        print(f"casetrack: not erased: {error}", file=sys.stderr)
        return 1
    finally:
        tracking.close()
    if args.dry_run:
        print(json.dumps({"child_id": str(args.child), "dry_run": True,
                          "would_erase": True}))
        return 0
    print(json.dumps({"child_id": str(result["child_id"]), "version": result["version"],
                      "erased_at": result["erased_at"].isoformat()}))
    return 0


def _confirmed(child: UUID) -> bool:
    """Ask on the terminal; without one, refuse (say --yes)."""
    if not sys.stdin.isatty():
        print("casetrack: erase destroys the child's key for good; run it from a terminal to "
              "confirm, or pass --yes (--dry-run checks without erasing)", file=sys.stderr)
        return False
    answer = input(f"Erase the personal data of child {child}? This cannot be undone. "
                   "Type 'erase' to confirm: ")
    if answer.strip() != "erase":
        print("casetrack: not erased", file=sys.stderr)
        return False
    return True
