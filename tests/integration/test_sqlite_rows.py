"""The SQLite driver's path for read-model rows (``infrastructure.sqlite_rows``) stores
byte for byte what SQLAlchemy's statements store: every value and its SQLite type.

The path exists on SQLite only (PostgreSQL keeps COPY and SQLAlchemy, covered by the
projection tests on both stores), so these compare the two paths on SQLite.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from application.tracking import CaseTracking
from benchmarks.read_path import TODAY, generate_cohort
from infrastructure import sqlite_rows
from infrastructure.migrations import upgrade
from infrastructure.persistence import event_store_env
from infrastructure.projections import PROJECTIONS, ReadModelView, catch_up
from infrastructure.readmodels import EventIndex, ProjectionTracking, ServiceRecord
from infrastructure.tracking import (
    ReadModelDatabase,
    delete_children,
    insert_rows,
    tracked_positions,
    upsert,
)
from tests.integration import sen2_cohort


def raw(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model row as SQLite holds it: each value beside its storage type."""
    with closing(sqlite3.connect(path)) as db:
        tables = [name for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rm_%' "
            "ORDER BY name")]
        found = {}
        for table in tables:
            columns = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]
            pairs = ", ".join(f'"{c}", typeof("{c}")' for c in columns)
            found[table] = sorted(db.execute(f'SELECT {pairs} FROM "{table}"').fetchall(),
                                  key=repr)
    return found


def engine_at(path: Path) -> Engine:
    engine = ReadModelDatabase(f"sqlite:///{path}").engine()
    upgrade(engine)
    return engine


def test_every_projection_writes_through_the_driver_what_sqlalchemy_writes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = event_store_env(None, tmp_path)
    app = CaseTracking(env=env, today=lambda: TODAY)
    try:
        generate_cohort(app, 40)
        sen2_cohort.build(app)
    finally:
        app.close()
    monkeypatch.setattr(time, "time", lambda: 1_700_000_000.25)  # the outbox's produced_at
    paths = {"driver": tmp_path / "driver.sqlite", "sqlalchemy": tmp_path / "sqlalchemy.sqlite"}
    for path_name, path in paths.items():
        if path_name == "sqlalchemy":
            monkeypatch.setattr(sqlite_rows, "is_sqlite", lambda conn: False)
        engine = engine_at(path)
        try:
            for name, projection_class in PROJECTIONS.items():
                projection = projection_class(ReadModelView(engine, name))
                projection.today = lambda: TODAY
                catch_up(projection, application_class=CaseTracking, event_store_env=env,
                         batch_size=7)
        finally:
            engine.dispose()
    driver, reference = raw(paths["driver"]), raw(paths["sqlalchemy"])
    assert driver == reference
    for table in ("rm_case_summary", "rm_event_index", "rm_outbox_message", "rm_tray_clock",
                  "rm_partner_request", "rm_cohort_child", "rm_tracking"):
        assert driver[table], f"{table} holds rows to compare"


EDGE_SERVICES = [
    {"child_id": "c-1", "record_id": "r-1", "authority": "LA-901", "kind": "direct_payment",
     "started_on": date(2024, 2, 29), "ended_on": None, "data": None},
    {"child_id": "c-1", "record_id": "r-2", "authority": "LA-901", "kind": "tab\there 'q' \\",
     "started_on": None, "ended_on": date(2025, 1, 1),
     "data": {"nested": [1, 2.5, None, True, "é ✓"], "empty": {}}},
    {"child_id": "c-2", "record_id": "r-1", "authority": "LA-902", "kind": "x",
     "started_on": date(2000, 1, 1), "ended_on": date(2000, 1, 2), "data": []},
]


def edge_events() -> list[dict[str, Any]]:
    plus_one = timezone(timedelta(hours=1))
    return [{"position": n, "child_id": f"c-{n % 2}", "version": n, "type": "T",
             "authority": "LA-901", "actor_user": "u", "actor_role": "caseworker",
             "actor_organisation": "LA-901", "responsible": "local_authority",
             "occurred_on": date(2024, 1, n), "recorded_at": moment,
             "corrects_version": None if n % 2 else n - 1,
             "correction_kind": None if n % 2 else "corrected", "corrected_by_version": None,
             "request_id": None if n == 1 else f"req-{n}"}
            for n, moment in enumerate((datetime(2024, 1, 1, 12, 0, 0, 5, tzinfo=UTC),
                                        datetime(2024, 6, 30, 23, 59, 59, tzinfo=plus_one),
                                        datetime(2024, 3, 31, 1, 30, tzinfo=UTC)), start=1)]


def test_rows_deleted_inserted_and_upserted_through_the_driver_are_stored_as_sqlalchemy_stores_them(  # noqa: E501
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = {"driver": tmp_path / "driver.sqlite", "sqlalchemy": tmp_path / "sqlalchemy.sqlite"}
    tracked = {}
    for path_name, path in paths.items():
        if path_name == "sqlalchemy":
            monkeypatch.setattr(sqlite_rows, "is_sqlite", lambda conn: False)
        engine = engine_at(path)
        try:
            with engine.begin() as conn:
                insert_rows(conn, ServiceRecord, EDGE_SERVICES)
                insert_rows(conn, EventIndex, edge_events())
                delete_children(conn, ServiceRecord, ["c-2", "c-9"])
                upsert(conn, ProjectionTracking, [
                    {"projection": p, "application_name": "CaseTracking", "notification_id": n}
                    for p, n in (("a", 1), ("b", 2))], keys=("projection", "application_name"))
                upsert(conn, ProjectionTracking, [
                    {"projection": "a", "application_name": "CaseTracking",
                     "notification_id": 5}], keys=("projection", "application_name"))
                tracked[path_name] = tracked_positions(conn, "CaseTracking")
        finally:
            engine.dispose()
    assert raw(paths["driver"]) == raw(paths["sqlalchemy"])
    assert tracked["driver"] == tracked["sqlalchemy"] == {"a": 5, "b": 2}
    services = raw(paths["driver"])["rm_service_record"]
    assert [row[:4:2] for row in services] == [("c-1", "r-1"), ("c-1", "r-2")]


def test_rows_leaving_out_a_column_with_a_default_are_left_to_sqlalchemy(
        tmp_path: Path) -> None:
    engine = engine_at(tmp_path / "driver.sqlite")
    try:
        row = {k: v for k, v in EDGE_SERVICES[0].items() if k != "data"}
        with engine.begin() as conn:
            assert not sqlite_rows.insert(conn, ServiceRecord.__table__, [row])  # type: ignore[arg-type]
            insert_rows(conn, ServiceRecord, [row])  # SQLAlchemy fills in the default
    finally:
        engine.dispose()
    assert raw(tmp_path / "driver.sqlite")["rm_service_record"][0][12:14] == ("{}", "text")


def test_an_upsert_of_nothing_but_the_keys_is_left_to_sqlalchemy(tmp_path: Path) -> None:
    engine = engine_at(tmp_path / "driver.sqlite")
    try:
        with engine.begin() as conn:
            assert not sqlite_rows.upsert(
                conn, ProjectionTracking.__table__,  # type: ignore[arg-type]
                [{"projection": "a", "application_name": "CaseTracking"}],
                keys=("projection", "application_name"))
    finally:
        engine.dispose()
    assert raw(tmp_path / "driver.sqlite")["rm_tracking"] == []


def test_the_date_columns_quicker_conversion_gives_sqlalchemys_text_and_errors() -> None:
    from sqlalchemy import Column, Date, DateTime, MetaData, Table
    from sqlalchemy.dialects import sqlite

    dialect = sqlite.dialect()
    table = Table("t", MetaData(), Column("d", Date), Column("odd", sqlite.DATE(
        storage_format="%(day)02d/%(month)02d/%(year)04d")), Column("at", DateTime))
    statement = sqlite_rows.prepared_insert(table, ("d", "odd", "at"), dialect)
    assert statement is not None
    processors = dict(statement[1])
    reference = {index: table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                 for index, name in enumerate(("d", "odd", "at"))}
    values: list[Any] = [date(1, 1, 1), date(999, 12, 31), date(2024, 2, 29),
                         date(9999, 12, 31), None,
                         datetime(2024, 3, 31, 1, 30, 5, 7, tzinfo=timezone(timedelta(hours=1))),
                         datetime(2024, 3, 31)]
    for index, processor in processors.items():
        for value in values:
            assert processor(value) == reference[index](value), (index, value)
        with pytest.raises(TypeError):
            processor("2024-01-01")
    assert processors[0] is not reference[0]  # the default format: the quicker conversion


def test_checkpoint_leaves_written_through_the_driver_are_stored_as_sqlalchemy_stores_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from infrastructure.checkpoints import Checkpoint, CheckpointStore, Leaf, engine_beside

    leaves = [Leaf(1, "a" * 32, 1, "sha256:" + "0" * 64),
              Leaf(2, "other-kind", 0, "sha256:" + "1" * 64),
              Leaf(2**40, "b" * 32, 7, "")]
    checkpoint = Checkpoint(1, 2**40, 3, "r" * 64, "2026-12-07T00:00:00+00:00", "k" * 16, "")
    found = {}
    for path_name in ("driver", "sqlalchemy"):
        if path_name == "sqlalchemy":
            monkeypatch.setattr(sqlite_rows, "is_sqlite", lambda conn: False)
        (tmp_path / path_name).mkdir()
        store = CheckpointStore(engine_beside(None, tmp_path / path_name))
        try:
            store.append(checkpoint, leaves)
            assert list(store.leaves()) == leaves
        finally:
            store.close()
        with closing(sqlite3.connect(tmp_path / path_name / "casetrack-integrity.sqlite")) as db:
            found[path_name] = db.execute(
                "SELECT position, typeof(position), originator_id, typeof(originator_id), "
                "version, typeof(version), digest, typeof(digest) FROM integrity_leaves "
                "ORDER BY position").fetchall()
    assert found["driver"] == found["sqlalchemy"] and len(found["driver"]) == 3


def test_none_bound_through_the_registered_adapter_is_stored_as_null(tmp_path: Path) -> None:
    engine_at(tmp_path / "read-models.sqlite").dispose()  # registers the adapter
    assert (type(None), sqlite3.PrepareProtocol) in sqlite3.adapters
    with closing(sqlite3.connect(":memory:")) as db:
        db.execute("CREATE TABLE t (a, b TEXT, c INTEGER, d DATE, e JSON)")
        db.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)",
                       [(None, None, None, None, None), (1, "x", 2, "2026-12-07", "null")])
        db.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", (None, "y", None, None, None))
        assert db.execute("SELECT typeof(a), typeof(b), typeof(c), typeof(d), typeof(e), "
                          "a IS NULL FROM t ORDER BY rowid").fetchall() == [
            ("null", "null", "null", "null", "null", 1),
            ("integer", "text", "integer", "text", "text", 0),
            ("null", "text", "null", "null", "null", 1)]
