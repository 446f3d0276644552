"""``casetrack erase CHILD``: erase a child's personal data from the shell.

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

from domain.catalogue.governance import ErasureBasis
from web.config import Settings


def add_commands(commands: Any) -> dict[str, Any]:
    """Add the personal-data subcommands; return their handlers by name."""
    erase = commands.add_parser("erase", help="erase a child's personal data (destroys the "
                                              "child's key unless a legal hold stands)")
    erase.add_argument("child", type=UUID, help="the child id")
    erase.add_argument("--basis", choices=get_args(ErasureBasis), default="erasure_request")
    erase.add_argument("--user", default="operator", help="recorded as the admin actor")
    return {"erase": _erase}


def _erase(settings: Settings, args: argparse.Namespace) -> int:
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
            args.child, actor=Actor(args.user, "admin", authority), basis=args.basis)
    except (ApplicationError, DomainError) as error:
        print(f"casetrack: not erased: {error}", file=sys.stderr)
        return 1
    finally:
        tracking.close()
    print(json.dumps({"child_id": str(result["child_id"]), "version": result["version"],
                      "erased_at": result["erased_at"].isoformat()}))
    return 0
