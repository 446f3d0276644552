"""Every table casetrack owns is Alembic's: upgrades from empty, from the previous
revision and from tables ``create_all`` made before, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, create_engine, inspect, select
from sqlalchemy.pool import NullPool

from infrastructure import migrations
from infrastructure.migrations import PARTS, Part
from infrastructure.persistence import split_schema, sqlalchemy_url


def metadata_of(part: Part) -> MetaData:
    return part.metadata()


@pytest.fixture
def engine(tmp_path: Path, store_url: str | None) -> Iterator[Engine]:
    if store_url is None:
        made = create_engine(f"sqlite:///{tmp_path / 'part.sqlite'}", poolclass=NullPool)
    else:
        url, connect_args = split_schema(sqlalchemy_url(store_url, tmp_path, ""))
        made = create_engine(url, poolclass=NullPool, connect_args=connect_args)
    yield made
    made.dispose()


@pytest.fixture
def store_url(request: pytest.FixtureRequest) -> str | None:
    """SQLite, or a PostgreSQL schema of this test's own (the engine's search path)."""
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("postgres_schema_url")
    return url


STORES = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


def differences(engine: Engine, part: Part) -> list[Any]:
    """What Alembic's autogenerate would change to make the tables equal the code's."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": True, "version_table": part.version_table,
            "include_name": lambda name, type_, _: type_ != "table"
            or str(name).startswith(part.tables)})
        return list(compare_metadata(context, metadata_of(part)))


@pytest.mark.parametrize("store_url", STORES, indirect=True)
@pytest.mark.parametrize("part", PARTS, ids=[p.folder for p in PARTS])
def test_an_empty_database_upgrades_to_the_tables_the_code_declares(
        engine: Engine, part: Part) -> None:
    assert migrations.current_revision(engine, part) is None
    migrations.upgrade(engine, part=part)
    assert migrations.current_revision(engine, part) == migrations.head_revision(part)
    assert differences(engine, part) == []
    migrations.upgrade(engine, part=part)  # a second upgrade changes nothing
    assert migrations.current_revision(engine, part) == migrations.head_revision(part)


@pytest.mark.parametrize("store_url", STORES, indirect=True)
@pytest.mark.parametrize("part", PARTS, ids=[p.folder for p in PARTS])
def test_the_previous_revision_upgrades_to_the_newest(engine: Engine, part: Part) -> None:
    revisions = [revision for revision, _, _ in migrations.history(part)]
    previous = revisions[-2] if len(revisions) > 1 else "base"
    migrations.upgrade(engine, previous, part=part)
    migrations.upgrade(engine, part=part)
    assert migrations.current_revision(engine, part) == revisions[-1]
    assert differences(engine, part) == []


@pytest.mark.parametrize("store_url", STORES, indirect=True)
@pytest.mark.parametrize("part", PARTS[1:], ids=[p.folder for p in PARTS[1:]])
def test_tables_create_all_made_before_are_adopted_and_kept(engine: Engine,
                                                            part: Part) -> None:
    """A deployment from before these revisions has the tables and no version table."""
    metadata_of(part).create_all(engine)
    table = next(iter(metadata_of(part).sorted_tables))
    row = sample_row(part)
    with engine.begin() as conn:
        conn.execute(table.insert().values(**row))
    migrations.ensure_current(engine, part)
    assert migrations.current_revision(engine, part) == migrations.head_revision(part)
    assert differences(engine, part) == []
    with engine.connect() as conn:
        assert len(conn.execute(select(table)).all()) == 1


@pytest.mark.parametrize("store_url", STORES, indirect=True)
def test_a_checkpoint_from_before_the_merkle_tree_keeps_its_row_with_an_empty_tree(
        engine: Engine) -> None:
    from infrastructure.checkpoints import CHECKPOINTS  # noqa: PLC0415

    migrations.upgrade(engine, "c0001", part=migrations.CHECKPOINTS)
    assert "tree_size" not in {c["name"] for c in inspect(engine).get_columns(
        "integrity_checkpoints")}
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO integrity_checkpoints (seq, position, root, created_at, key_id, "
            "previous, signature) VALUES (1, 15, 'r', 't', 'k', 'p', 's')")
    migrations.upgrade(engine, part=migrations.CHECKPOINTS)
    with engine.connect() as conn:
        stored = conn.execute(select(CHECKPOINTS.c.seq, CHECKPOINTS.c.position,
                                     CHECKPOINTS.c.tree_size, CHECKPOINTS.c.frontier)).all()
    assert [tuple(r) for r in stored] == [(1, 15, 0, "")]


def test_every_part_has_one_head_and_its_own_version_table() -> None:
    for part in PARTS:
        assert len(migrations.scripts(part).get_heads()) == 1, part.name
    assert len({part.version_table for part in PARTS}) == len(PARTS)


def sample_row(part: Part) -> dict[str, Any]:
    now = datetime(2024, 1, 8, tzinfo=UTC)
    if part is migrations.VAULT:
        return {"child_id": "00000000-0000-4000-8000-000000000001", "master_key_id": "k" * 16,
                "wrapped_key": b"key", "identifiers": None, "created_at": now}
    if part is migrations.ACCESS_INDEX:
        return {"position": 1, "child_id": None, "kind": "list", "user_id": "user-1",
                "role": "caseworker", "organisation": "LA-901", "at_us": 1}
    return {"seq": 1, "position": 15, "tree_size": 15, "root": "r", "created_at": "t",
            "key_id": "k", "previous": "p", "signature": "s", "frontier": ""}
