"""``casetrack db upgrade | current | history``: every table casetrack owns, under Alembic.

The read models, the vault, the access log's index and the checkpoints each have their
own revisions (``infrastructure/migrations``); on the embedded store each is a file of
its own, on PostgreSQL they share the database. On PostgreSQL ``upgrade`` also creates
the event stores' tables if missing and creates or replaces their one-round-trip insert
functions (``infrastructure.pgstore``, ADR 0022), so servers may run with ``CREATE_TABLE``
off after it.
"""

from __future__ import annotations

import argparse
from typing import Any

from web.config import Settings


def add_actions(db: Any) -> None:
    actions = db.add_subparsers(dest="action", required=True)
    actions.add_parser("upgrade", help="migrate every part (read models, vault, access "
                       "index, checkpoints) to its newest revision; on PostgreSQL also "
                       "create the event stores' tables and insert functions")
    actions.add_parser("current", help="each part's revision and the newest one (exit 1 "
                       "when any part is behind)")
    actions.add_parser("history", help="each part's revisions, oldest first")


def part_engines(settings: Settings) -> list[tuple[Any, Any]]:
    """Return (part, engine) for every part, opened without migrating anything."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from infrastructure import migrations
    from infrastructure.checkpoints import engine_beside
    from infrastructure.persistence import split_schema
    from infrastructure.projections import ReadModelDatabase
    from web.personal_data import vault_url
    from web.security import access_index_url

    def engine(url: str) -> Any:
        url, connect_args = split_schema(url)
        return create_engine(url, poolclass=NullPool, connect_args=connect_args)

    return [
        (migrations.READ_MODELS,
         ReadModelDatabase.beside(settings.database_url, settings.data_dir).engine()),
        (migrations.VAULT, engine(vault_url(settings))),
        (migrations.ACCESS_INDEX, engine(access_index_url(settings))),
        (migrations.CHECKPOINTS, engine_beside(settings.database_url, settings.data_dir)),
    ]


def db_command(settings: Settings, args: argparse.Namespace) -> int:
    from infrastructure import migrations

    if args.action == "history":
        for part in migrations.PARTS:
            print(f"{part.name}:")
            for revision, revises, doc in migrations.history(part):
                print(f"  {revision:<16} <- {revises or '(empty)':<16} {doc}")
        return 0
    if settings.store == "sqlite":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    behind = 0
    for part, engine in part_engines(settings):
        try:
            if args.action == "upgrade":
                migrations.upgrade(engine, part=part)
            current = migrations.current_revision(engine, part)
        finally:
            engine.dispose()
        head = migrations.head_revision(part)
        state = "at head" if current == head else f"behind (newest {head})"
        behind += current != head
        print(f"{part.name:<13} {current or '(none)':<16} {state}")
    if args.action == "upgrade" and settings.store == "postgresql":
        create_event_stores(settings)
    return 1 if behind else 0


def create_event_stores(settings: Settings) -> None:
    """Create the event store's and the access log's tables if missing, and create or
    replace their insert functions (what a server starting with CREATE_TABLE on does)."""
    from application.access_log import AccessLog
    from application.tracking import CaseTracking
    from infrastructure.pgstore import create_event_store

    for name, env in ((CaseTracking.name, settings.event_store_env()),
                      (AccessLog.name, settings.access_log_env())):
        function = create_event_store(name, env)
        print(f"{'events':<13} {function} created or replaced")
