"""Alembic migrations of every table casetrack owns, configured in code (no alembic.ini).

Four parts, each with its own revisions and version table, because on the embedded store
each lives in a file of its own (on PostgreSQL all four share the database and schema):

- the read models (``rm_*``, revisions in ``versions/``),
- the personal-data vault (``casetrack_personal_data``, in ``vault/``),
- the access log's index (``casetrack_access_index``, in ``access_index/``),
- the integrity checkpoints and leaves (``integrity_*``, in ``checkpoints/``).

``upgrade(engine)`` brings the read models to the newest revision, ``upgrade(engine,
part=VAULT)`` the vault, and so on; it works from any working directory because the
script location is this package's own folder. The event store's tables belong to
eventsourcing and are never touched. On PostgreSQL an upgrade holds an advisory lock, so
processes starting together migrate one after the other instead of racing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

HERE = Path(__file__).resolve().parent
VERSION_TABLE = "rm_alembic_version"


@dataclass(frozen=True)
class Part:
    """One set of tables with its own revisions and version table."""

    name: str
    folder: str
    version_table: str
    tables: tuple[str, ...]  # table-name prefixes Alembic may compare and change

    @property
    def versions(self) -> Path:
        return HERE / self.folder

    def metadata(self) -> MetaData:
        """The part's tables as the code declares them (what autogenerate compares)."""
        if self.folder == "vault":
            from infrastructure.vault import metadata as vault_metadata

            return vault_metadata
        if self.folder == "access_index":
            from infrastructure.access_index import metadata as index_metadata

            return index_metadata
        if self.folder == "checkpoints":
            from infrastructure.checkpoints import METADATA

            return METADATA
        import infrastructure.mail
        import infrastructure.outbox
        import infrastructure.webhooks
        import infrastructure.worktray  # noqa: F401  (their tables join Base's metadata)
        from infrastructure.readmodels import Base

        return Base.metadata


READ_MODELS = Part("read models", "versions", VERSION_TABLE, ("rm_",))
VAULT = Part("vault", "vault", "casetrack_personal_data_alembic_version",
             ("casetrack_personal_data",))
ACCESS_INDEX = Part("access index", "access_index", "casetrack_access_index_alembic_version",
                    ("casetrack_access_index",))
CHECKPOINTS = Part("checkpoints", "checkpoints", "integrity_alembic_version",
                   ("integrity_checkpoints", "integrity_leaves"))
PARTS = (READ_MODELS, VAULT, ACCESS_INDEX, CHECKPOINTS)


def alembic_config(engine: Engine, part: Part = READ_MODELS) -> Config:
    """Return an Alembic configuration that migrates ``part`` through ``engine``."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(part.versions))
    config.set_main_option("version_table", part.version_table)
    config.attributes["engine"] = engine
    config.attributes["part"] = part
    return config


def upgrade(engine: Engine, revision: str = "head", part: Part = READ_MODELS) -> None:
    """Migrate ``part`` (the read models by default) to ``revision`` (the newest)."""
    command.upgrade(alembic_config(engine, part), revision)


def ensure_current(engine: Engine, part: Part) -> None:
    """Migrate ``part`` to the newest revision unless it is there already (one query).

    The vault, the access index and the checkpoint store call this when they open, as
    they called ``create_all`` before their tables were Alembic's.
    """
    if current_revision(engine, part) != _head(part):
        upgrade(engine, part=part)


@cache
def _head(part: Part) -> str | None:
    return head_revision(part)


def downgrade(engine: Engine, revision: str, part: Part = READ_MODELS) -> None:
    command.downgrade(alembic_config(engine, part), revision)


def scripts(part: Part = READ_MODELS) -> ScriptDirectory:
    return ScriptDirectory(str(HERE), version_locations=[str(part.versions)])


def head_revision(part: Part = READ_MODELS) -> str | None:
    return scripts(part).get_current_head()


def current_revision(engine: Engine, part: Part = READ_MODELS) -> str | None:
    """Return the revision the database is at (None before the first upgrade)."""
    with engine.connect() as conn:
        return MigrationContext.configure(
            conn, opts={"version_table": part.version_table}).get_current_revision()


def history(part: Part = READ_MODELS) -> list[tuple[str, str | None, str]]:
    """Return ``part``'s revisions, oldest first: (revision, revises, first doc line)."""
    revisions = list(scripts(part).walk_revisions())
    revisions.reverse()
    return [(str(r.revision), str(r.down_revision) if r.down_revision else None,
             (r.doc or "").strip().splitlines()[0] if r.doc else "") for r in revisions]
