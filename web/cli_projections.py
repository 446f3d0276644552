"""``casetrack projections run | rebuild NAME | status`` and ``casetrack db upgrade``.

Wire into ``web.cli.main`` with ``add_commands(commands)`` before parsing, and dispatch
``handlers()[args.command](settings, args)`` for the commands it adds.
"""

from __future__ import annotations

import argparse
import signal
import time
from collections.abc import Callable
from typing import Any

from web.config import Settings

COMMANDS = ("projections", "db")


def add_commands(subparsers: Any) -> None:
    """Add the ``projections`` and ``db`` commands to the ``casetrack`` parser."""
    from infrastructure.projections import PROJECTIONS

    projections = subparsers.add_parser("projections", help="run, rebuild or inspect the "
                                        "read-model projections")
    actions = projections.add_subparsers(dest="action", required=True)
    actions.add_parser("run", help="follow the log and keep every read model current")
    rebuild = actions.add_parser("rebuild", help="drop one read model and rebuild it from "
                                 "the log")
    rebuild.add_argument("name", choices=sorted(PROJECTIONS))
    actions.add_parser("status", help="each projection's position and lag")
    db = subparsers.add_parser("db", help="read-model database migrations")
    db_actions = db.add_subparsers(dest="action", required=True)
    db_actions.add_parser("upgrade", help="migrate the read models to the newest revision")


def handlers() -> dict[str, Callable[[Settings, argparse.Namespace], int]]:
    return {"projections": projections_command, "db": db_command}


def projections_command(settings: Settings, args: argparse.Namespace) -> int:
    from application.tracking import CaseTracking
    from infrastructure.migrations import upgrade
    from infrastructure.projections import (
        EmbeddedRunners,
        ReadModelDatabase,
        rebuild,
        status,
    )

    database = ReadModelDatabase.beside(settings.database_url, settings.data_dir)
    env = settings.event_store_env()
    if args.action == "run":
        runners = EmbeddedRunners(application_class=CaseTracking, event_store_env=env,
                                  database=database)
        stopping = {"now": False}

        def stop(*_: Any) -> None:
            stopping["now"] = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        print(f"projections running: {', '.join(runners.runners)}", flush=True)
        try:
            while not stopping["now"] and not runners.errors():
                time.sleep(0.5)
        finally:
            errors = runners.errors()
            runners.close()
        for name, error in errors.items():
            print(f"projection {name} failed: {type(error).__name__}: {error}")
        return 1 if errors else 0
    engine = database.engine()
    try:
        upgrade(engine)
        if args.action == "rebuild":
            started = time.perf_counter()
            position = rebuild(args.name, application_class=CaseTracking,
                               event_store_env=env, engine=engine)
            print(f"rebuilt {args.name} to position {position} in "
                  f"{time.perf_counter() - started:.1f}s")
            return 0
        app = CaseTracking(env=env)
        try:
            head = app.max_position()
        finally:
            app.close()
        for row in status(engine, CaseTracking.name, head):
            print(f"{row['projection']:<16} position {row['position']:>10}  "
                  f"head {row['head']:>10}  behind {row['behind']:>8}")
        return 0
    finally:
        engine.dispose()


def db_command(settings: Settings, args: argparse.Namespace) -> int:
    from infrastructure.migrations import current_revision, upgrade
    from infrastructure.projections import ReadModelDatabase

    engine = ReadModelDatabase.beside(settings.database_url, settings.data_dir).engine()
    try:
        upgrade(engine)
        print(f"read models at revision {current_revision(engine)}")
    finally:
        engine.dispose()
    return 0
