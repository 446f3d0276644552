"""``casetrack projections run | rebuild NAME | status`` and ``casetrack db upgrade``.

Wire into ``web.cli.main`` with ``add_commands(commands)`` before parsing, and dispatch
``handlers()[args.command](settings, args)`` for the commands it adds.
"""

from __future__ import annotations

import argparse
import gc
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from web import serving
from web.config import Settings
from web.progress import add_options as add_progress_options
from web.progress import progress_for

COMMANDS = ("projections", "db")


def add_commands(subparsers: Any) -> None:
    """Add the ``projections`` and ``db`` commands to the ``casetrack`` parser."""
    from web.cli_choices import LazyChoices

    def projection_names() -> list[str]:
        from infrastructure.projections import PROJECTIONS

        return list(PROJECTIONS)

    projections = subparsers.add_parser("projections", help="run, rebuild or inspect the "
                                        "read-model projections")
    actions = projections.add_subparsers(dest="action", required=True)
    run = actions.add_parser("run", help="follow the log and keep every read model current")
    run.add_argument("--parent", type=int, metavar="PID",
                     help="stop when process PID is no longer this one's parent "
                          "(casetrack serve passes its own on SQLite)")
    rebuild = actions.add_parser("rebuild", help="drop one read model and rebuild it from "
                                 "the log")
    rebuild.add_argument("name", choices=LazyChoices(projection_names), metavar="NAME",
                         help="the read model to rebuild (a name not known is refused "
                              "with the list of names)")
    add_progress_options(rebuild)
    actions.add_parser("status", help="each projection's position and lag")
    from web.cli_db import add_actions

    add_actions(subparsers.add_parser("db", help="database migrations of every table "
                                      "casetrack owns"))


def handlers() -> dict[str, Callable[[Settings, argparse.Namespace], int]]:
    return {"projections": projections_command, "db": db_command}


def projections_command(settings: Settings, args: argparse.Namespace) -> int:
    from application.tracking import CaseTracking
    from infrastructure.migrations import upgrade
    from infrastructure.projections import ReadModelDatabase, rebuild, status

    database = ReadModelDatabase.beside(settings.database_url, settings.data_dir,
                                        settings.pool)
    env = settings.event_store_env()
    if args.action == "run":
        return run_worker(settings, database, parent=args.parent)
    engine = database.engine()
    try:
        upgrade(engine)
        if args.action == "rebuild":
            started = time.perf_counter()
            with progress_for(args) as progress:
                position = rebuild(args.name, application_class=CaseTracking,
                                   event_store_env=env, engine=engine, progress=progress)
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


MAX_BACKOFF_SECONDS = 60.0
LAG_REPORT_SECONDS = 30.0


def run_worker(settings: Settings, database: Any, *, max_backoff: float = MAX_BACKOFF_SECONDS,
               parent: int | None = None) -> int:
    """Follow the log until SIGTERM/SIGINT, or until process ``parent`` (the server that
    started this worker) is gone. A transient database error (unreachable,
    connection dropped, pool exhausted) restarts the runners after a backoff (1 s,
    doubling to ``max_backoff``); any other projection error stops the worker (exit 1).
    Reports each projection's lag every ``LAG_REPORT_SECONDS``."""
    import structlog

    from infrastructure.pools import database_trouble, first_line
    from infrastructure.recent_log import RecentLog

    logger = structlog.get_logger()
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    if parent is not None:  # no worker outlives its server
        serving.watch_parent(parent, stopping.set, stopping)
    checkpointer = None
    backoff = 1.0
    try:
        while not stopping.is_set():
            try:
                if checkpointer is None:
                    checkpointer = start_checkpointer(settings, thread=False)
                    if checkpointer is not None:
                        checkpointer.log.recent = RecentLog()
                error = _follow(settings, database, stopping, checkpointer)
            except Exception as raised:  # starting the runners: the database may be down
                error = raised
            if error is None:
                return 0
            if database_trouble(error) is None:
                print(f"projections failed: {type(error).__name__}: {first_line(error)}",
                      flush=True)
                return 1
            logger.warning("projections_retrying", error_type=type(error).__name__,
                           seconds=backoff)
            print(f"projections: the database failed ({first_line(error)}); retrying in "
                  f"{backoff:.0f}s", flush=True)
            stopping.wait(backoff)
            backoff = min(backoff * 2, max_backoff)
        return 0
    finally:
        if checkpointer is not None:
            close_checkpointer(checkpointer)


def _follow(settings: Settings, database: Any, stopping: threading.Event,
            checkpointer: Any) -> BaseException | None:
    """Run the projections until stopped (None) or until one fails (its error)."""
    from application.tracking import CaseTracking
    from infrastructure.projections import EmbeddedRunners

    # The automatic checkpoint takes the entries the projections read and decoded from
    # the store rather than reading and decoding them again (infrastructure.recent_log).
    recent = checkpointer.log.recent if checkpointer is not None else None
    runners = EmbeddedRunners(application_class=CaseTracking,
                              event_store_env=settings.event_store_env(), database=database,
                              on_batch=recent.offer if recent is not None else None)
    from web.cli_delivery import Deliverer, Digester

    if gc.get_freeze_count() == 0:  # once, not again on a restart after a database error
        serving.freeze_start_up_heap()  # as the server does (issue 17)
    print(f"projections running: {', '.join(runners.names)}", flush=True)
    deliverer = Deliverer(settings, runners.engine)  # webhooks from the outbox (issue 16)
    digester = Digester(settings, runners.engine)  # the daily digest by mail (issue 16)
    reported = 0.0
    try:
        while not stopping.is_set() and not runners.errors():
            stopping.wait(0.5)
            if checkpointer is not None:
                checkpointer.tick()
            deliverer.tick()
            digester.tick()
            if time.monotonic() - reported >= LAG_REPORT_SECONDS:
                reported = time.monotonic()
                _report_lag(runners)
        errors = runners.errors()
    finally:
        runners.close()
    return next(iter(errors.values()), None)


def _report_lag(runners: Any) -> None:
    import structlog

    try:
        head = runners.app.recorder.max_notification_id() or 0
        behind = {name: max(0, head - position)
                  for name, position in runners.positions().items()}
    except Exception as error:  # the next pass of the loop sees the failure
        structlog.get_logger().warning("projection_lag_unknown",
                                       error_type=type(error).__name__)
        return
    structlog.get_logger().info("projection_lag", head=head, **behind)
    print("projections lag: " + ", ".join(f"{name} {lag}" for name, lag in behind.items()),
          flush=True)


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
    except Exception:
        tracking.close()
        raise
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
