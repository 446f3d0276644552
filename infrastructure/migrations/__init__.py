"""Alembic migrations of the read-model tables, configured in code (no alembic.ini).

``upgrade(engine)`` brings the read models to the newest revision; it works from any
working directory because the script location is this package's own folder. Only the
``rm_`` tables are Alembic's: the event store's tables belong to eventsourcing.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

HERE = Path(__file__).resolve().parent
VERSION_TABLE = "rm_alembic_version"


def alembic_config(engine: Engine) -> Config:
    """Return an Alembic configuration that migrates through ``engine``."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("version_table", VERSION_TABLE)
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the read models to ``revision`` (the newest by default)."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def head_revision() -> str | None:
    return ScriptDirectory(str(HERE)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at (None before the first upgrade)."""
    with engine.connect() as conn:
        return MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE}).get_current_revision()
