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
    from web.cli_db import add_actions

    add_actions(subparsers.add_parser("db", help="database migrations of every table "
                                      "casetrack owns"))


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
        checkpointer = start_checkpointer(settings, thread=False)
        stopping = {"now": False}

        def stop(*_: Any) -> None:
            stopping["now"] = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        print(f"projections running: {', '.join(runners.runners)}", flush=True)
        try:
            while not stopping["now"] and not runners.errors():
                time.sleep(0.5)
                if checkpointer is not None:
                    checkpointer.tick()
        finally:
            errors = runners.errors()
            runners.close()
            if checkpointer is not None:
                close_checkpointer(checkpointer)
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


def start_checkpointer(settings: Settings, *, thread: bool) -> Any:
    """Return the automatic checkpointer (ticking in a thread if ``thread``), or None when
    it is turned off or cannot have its key (said on stderr, once)."""
    import sys

    from application.tracking import CaseTracking
    from infrastructure.checkpointing import AutoCheckpointer
    from infrastructure.integrity import IntegrityError
    from web.integrity import build_log

    if not settings.checkpoint_events and not settings.checkpoint_minutes:
        return None
    tracking = CaseTracking(env=settings.event_store_env())
    try:
        log = build_log(tracking, settings)
    except IntegrityError as error:
        tracking.close()
        print(f"casetrack: automatic checkpoints are off: {error}", file=sys.stderr)
        return None
    checkpointer = AutoCheckpointer(log, every_events=settings.checkpoint_events,
                                    every_seconds=settings.checkpoint_minutes * 60)
    if thread:
        checkpointer.start()
    return checkpointer


def close_checkpointer(checkpointer: Any) -> None:
    checkpointer.close()
    checkpointer.log.store.close()
    checkpointer.log.application.close()


def db_command(settings: Settings, args: argparse.Namespace) -> int:
    from web.cli_db import db_command as run

    return run(settings, args)
