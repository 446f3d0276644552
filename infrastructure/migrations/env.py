"""Alembic environment: the engine comes from the caller, never from a file."""

from __future__ import annotations

from typing import Any

from alembic import context

from infrastructure.readmodels import Base

config = context.config
target_metadata = Base.metadata


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Leave the event store's tables (and anything else not ours) alone."""
    if type_ == "table":
        return bool(name) and name.startswith("rm_")  # type: ignore[union-attr]
    return True


def run_migrations_online() -> None:
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata,
            version_table=config.get_main_option("version_table") or "rm_alembic_version",
            render_as_batch=True, include_name=include_name, compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():  # pragma: no cover
    raise SystemExit("offline (SQL script) migrations are not supported; pass an engine")
run_migrations_online()
