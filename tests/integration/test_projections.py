"""Projections on real SQLite and PostgreSQL: exactly once, rebuild equals incremental."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import Tracking
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from application.tracking import CaseTracking
from benchmarks.read_path import TODAY, generate_cohort
from infrastructure.migrations import current_revision, head_revision, upgrade
from infrastructure.persistence import event_store_env
from infrastructure.projections import (
    PROJECTIONS,
    EmbeddedRunners,
    JourneyStore,
    ProjectionFault,
    ReadModelDatabase,
    ReadModelView,
    catch_up,
    insert_rows,
    rebuild,
)
from infrastructure.readmodels import (
    CaseClock,
    CaseSummary,
    EventIndex,
    HealthWait,
    ProjectionTracking,
    ServiceRecord,
)

TABLES = (CaseSummary, CaseClock, EventIndex, ServiceRecord, HealthWait)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The event-store env and two read-model databases (live and reference)."""
    url = None if request.param == "sqlite" else request.getfixturevalue(
        "postgres_schema_url")
    env = event_store_env(url, tmp_path)
    database = ReadModelDatabase.beside(url, tmp_path)
    live = database.engine()
    if url is None:
        reference = ReadModelDatabase(f"sqlite:///{tmp_path / 'reference.sqlite'}").engine()
    else:
        from tests.postgres import fresh_schema

        schema_cm = fresh_schema(request.getfixturevalue("postgres_url"), "ref")
        reference = ReadModelDatabase.beside(schema_cm.__enter__(), tmp_path).engine()
    for engine in (live, reference):
        upgrade(engine)
    app = CaseTracking(env=env, today=lambda: TODAY)
    yield {"env": env, "live": live, "reference": reference, "app": app, "database": database}
    app.close()
    live.dispose()
    reference.dispose()
    if url is not None:
        schema_cm.__exit__(None, None, None)


def contents(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Return every read-model row, in key order, for comparison."""
    with engine.connect() as conn:
        return {table.__tablename__: [tuple(row) for row in conn.execute(
            select(table.__table__).order_by(*table.__table__.primary_key.columns))]
            for table in TABLES}


def project(name: str, engine: Engine, env: dict[str, str], **view_options: Any) -> Any:
    view = ReadModelView(engine, name)
    for key, value in view_options.items():
        setattr(view, key, value)
    projection = PROJECTIONS[name](view)
    projection.today = lambda: TODAY
    return catch_up(projection, application_class=CaseTracking, event_store_env=env,
                    batch_size=97)


def test_migrations_reach_head_and_are_idempotent(stores: dict[str, Any]) -> None:
    upgrade(stores["live"])
    assert head_revision() is not None
    assert current_revision(stores["live"]) == head_revision()
    upgrade(stores["live"])  # a second upgrade is a no-op
    assert current_revision(stores["live"]) == head_revision()


def test_a_fault_between_the_event_commit_and_the_view_commit_loses_and_doubles_nothing(
        stores: dict[str, Any]) -> None:
    env, live, reference = stores["env"], stores["live"], stores["reference"]
    generate_cohort(stores["app"], 300)
    head = stores["app"].max_position()
    calls = {"n": 0}

    def crash_on_third_commit() -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise ProjectionFault("killed before the view commit")

    for name in PROJECTIONS:
        calls["n"] = 0
        with pytest.raises(ProjectionFault):
            project(name, live, env, before_commit=crash_on_third_commit)
    with live.connect() as conn:
        tracked = dict(conn.execute(select(ProjectionTracking.projection,
                                           ProjectionTracking.notification_id)).all())
        indexed = conn.scalar(select(EventIndex.position).order_by(
            EventIndex.position.desc()).limit(1))
    # Two batches committed with their tracking; the third rolled back with its rows.
    assert 0 < tracked["event_index"] < head
    assert indexed is not None and indexed <= tracked["event_index"]
    for name in PROJECTIONS:  # the restart resumes from the tracked position
        assert project(name, live, env) == head
        rebuild(name, application_class=CaseTracking, event_store_env=env, engine=reference,
                today=lambda: TODAY)
    assert contents(live) == contents(reference)
    assert len(contents(live)["rm_event_index"]) > 1000


def test_replaying_tracked_events_changes_nothing(stores: dict[str, Any]) -> None:
    env, live = stores["env"], stores["live"]
    generate_cohort(stores["app"], 20)
    project("event_index", live, env)
    before = contents(live)
    app = stores["app"]
    old = [(app.mapper.to_domain_event(n), Tracking(app.name, n.id))
           for n in app.recorder.select_notifications(start=1, limit=10)]
    projection = PROJECTIONS["event_index"](ReadModelView(live, "event_index"))
    assert projection.process_batch(old) == 0
    with live.begin() as conn:  # rewind: upserts make a full replay harmless too
        conn.execute(ProjectionTracking.__table__.update().values(notification_id=0))
    assert project("event_index", live, env) == app.max_position()
    assert contents(live) == before


@pytest.mark.slow
def test_rebuild_from_scratch_equals_the_incremental_build_on_a_cohort(
        stores: dict[str, Any]) -> None:
    env, live, reference = stores["env"], stores["live"], stores["reference"]
    for chunk in range(4):  # the log grows while the projections follow it
        generate_cohort(stores["app"], 500, seed=chunk)
        for name in PROJECTIONS:
            project(name, live, env)
    for name in PROJECTIONS:
        rebuild(name, application_class=CaseTracking, event_store_env=env, engine=reference,
                today=lambda: TODAY)
    live_rows, reference_rows = contents(live), contents(reference)
    assert len(live_rows["rm_case_summary"]) == 2000
    assert any(row[12] is not None for row in live_rows["rm_event_index"])  # corrections
    assert live_rows == reference_rows


def test_the_embedded_runner_follows_new_writes_by_polling(stores: dict[str, Any],
                                                           tmp_path: Path) -> None:
    env, database = stores["env"], stores["database"]
    runners = EmbeddedRunners(application_class=CaseTracking, event_store_env=env,
                              database=database, today=lambda: TODAY)
    try:
        generate_cohort(stores["app"], 5)
        head = stores["app"].max_position()
        assert runners.wait(head, tuple(PROJECTIONS), timeout=10)
        generate_cohort(stores["app"], 5, seed=9)
        later = stores["app"].max_position()
        assert later > head
        assert runners.wait(later, tuple(PROJECTIONS), timeout=10)
        assert runners.errors() == {}
    finally:
        runners.close()
    with stores["live"].connect() as conn:
        assert conn.scalar(select(CaseSummary.child_id).limit(1)) is not None


class CountingJourneyStore(JourneyStore):
    """The runner's journey loader, counting one-at-a-time loads and bulk reads."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.single = 0
        self.bulk = 0

    def __call__(self, child_id: UUID, version: int) -> Any:
        self.single += 1
        return super().__call__(child_id, version)

    def events_before(self, wanted: Any) -> Any:
        self.bulk += 1
        return super().events_before(wanted)


def feed(projection: Any, app: CaseTracking, batch_size: int, until: int | None = None
         ) -> None:
    """Give ``projection`` the log after its tracked position in batches, as a runner does."""
    position = projection.view.max_tracking_id(app.name) or 0
    while notifications := app.recorder.select_notifications(
            start=position, limit=batch_size, stop=until, inclusive_of_start=False):
        projection.process_batch([(app.mapper.to_domain_event(n), Tracking(app.name, n.id))
                                  for n in notifications])
        position = notifications[-1].id


def test_batches_fold_journeys_without_loading_them_one_at_a_time(
        stores: dict[str, Any]) -> None:
    env, live, reference, app = stores["env"], stores["live"], stores["reference"], \
        stores["app"]
    # Journey 0 spans many batches (its events come first in the log).
    journey_zero = str(generate_cohort(app, 40, long_journey_events=45)[0])
    head = app.max_position()
    # Live: the runner's loader; a first projection stops part way through journey 0,
    # a second (nothing folded in memory) goes on from there.
    first = PROJECTIONS["case_summaries"](ReadModelView(live, "case_summaries"))
    first.today = lambda: TODAY
    first.journeys = first_store = CountingJourneyStore(app)
    feed(first, app, batch_size=7, until=30)
    second = PROJECTIONS["case_summaries"](ReadModelView(live, "case_summaries"))
    second.today = lambda: TODAY
    second.journeys = second_store = CountingJourneyStore(app)
    feed(second, app, batch_size=7)
    assert (first_store.single, first_store.bulk) == (0, 0)  # from the batches alone
    assert second_store.single == 0
    assert second_store.bulk >= 1  # journey 0's earlier events, read in one query
    # Reference: a loader that can only load one journey at a time (the fallback).
    loads: list[tuple[UUID, int]] = []

    def one_at_a_time(child_id: UUID, version: int) -> Any:
        loads.append((child_id, version))
        return app.repository.get(child_id, version=version)

    for until in (30, None):  # again two projections, the second starting part way
        fallback = PROJECTIONS["case_summaries"](ReadModelView(reference, "case_summaries"))
        fallback.today = lambda: TODAY
        fallback.journeys = one_at_a_time
        feed(fallback, app, batch_size=7, until=until)
    assert {child_id for child_id, _ in loads} == {UUID(journey_zero)}
    assert contents(live)["rm_case_summary"] == contents(reference)["rm_case_summary"]
    assert contents(live)["rm_case_clock"] == contents(reference)["rm_case_clock"]
    rebuild("case_summaries", application_class=CaseTracking, event_store_env=env,
            engine=reference, today=lambda: TODAY)
    assert contents(live) == contents(reference)
    with live.connect() as conn:
        assert conn.scalar(select(CaseSummary.version).where(
            CaseSummary.version == 45)) == 45
        assert conn.scalar(select(ProjectionTracking.notification_id).where(
            ProjectionTracking.projection == "case_summaries")) == head


def test_bulk_inserted_rows_read_back_as_sqlalchemy_inserts_them(
        stores: dict[str, Any]) -> None:
    """``insert_rows`` (COPY on PostgreSQL) stores what SQLAlchemy's insert would: dates,
    JSON (None as JSON null, nested lists and dicts), booleans, NULLs, odd text."""
    summary = {
        "child_id": "c-1", "authority": "LA-901", "case_ref": "GEN\t'1'\\\n",
        "date_of_birth": TODAY, "status": "open", "stage": "assessment",
        "primary_need": None, "needs": [{"code": "SLCN", "rank": 1}], "steps": {},
        "clocks": [{"clock": "K1", "due_on": "2026-01-05", "stopped_on": None}],
        "placement_type": None, "placement_ref": None, "plan_named_setting": None,
        "plan_setting_type": "special", "plan_names_type_only": True,
        "assigned_organisation": "LA-901", "last_recorded_by": "LA-901",
        "last_event_on": None, "version": 3, "position": 7}
    service = {"child_id": "c-1", "record_id": "r-1", "authority": "LA-901",
               "kind": "direct_payment", "started_on": TODAY, "ended_on": None,
               "data": None}
    with stores["live"].begin() as conn:
        insert_rows(conn, CaseSummary, [summary])
        insert_rows(conn, ServiceRecord, [service])
    with stores["reference"].begin() as conn:
        conn.execute(insert(CaseSummary), [summary])
        conn.execute(insert(ServiceRecord), [service])
    assert contents(stores["live"]) == contents(stores["reference"])
    assert contents(stores["live"])["rm_case_summary"][0][2] == summary["case_ref"]
    # JSON null and SQL NULL both read back as None: tell them apart in SQL.
    sql_nulls = []
    for engine in (stores["live"], stores["reference"]):
        with engine.connect() as conn:
            sql_nulls.append(conn.execute(select(ServiceRecord.record_id).where(
                ServiceRecord.data.is_(None))).all())
    assert sql_nulls[0] == sql_nulls[1]


def test_one_failing_projection_stops_alone_and_the_others_follow_the_log(
        stores: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from infrastructure.worktray import WorktrayProjection

    def broken(*_: Any) -> None:
        raise RuntimeError("a projection that fails")

    monkeypatch.setattr(WorktrayProjection, "apply", broken)
    env, database = stores["env"], stores["database"]
    runners = EmbeddedRunners(application_class=CaseTracking, event_store_env=env,
                              database=database, today=lambda: TODAY)
    others = tuple(name for name in PROJECTIONS if name != "worktray")
    try:
        generate_cohort(stores["app"], 5)
        head = stores["app"].max_position()
        assert runners.wait(head, others, timeout=10)
        generate_cohort(stores["app"], 5, seed=9)
        later = stores["app"].max_position()
        assert runners.wait(later, others, timeout=10)
        assert set(runners.errors()) == {"worktray"}
        assert runners.positions()["worktray"] == 0
    finally:
        runners.close()


def test_a_fault_before_the_shared_commit_loses_and_doubles_nothing(
        stores: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner commits every projection's batch in one transaction: a fault before
    that commit rolls all of them back; the next runner resumes from the tracked
    positions and ends equal to a rebuild."""
    from functools import partial

    import infrastructure.projections
    from infrastructure.outbox import OutboxMessage
    from infrastructure.polling import PollingSubscription

    monkeypatch.setattr(infrastructure.projections, "PollingSubscription",
                        partial(PollingSubscription, batch_size=97))

    env, database, live, reference = (stores["env"], stores["database"], stores["live"],
                                      stores["reference"])
    generate_cohort(stores["app"], 300)
    head = stores["app"].max_position()
    calls = {"n": 0}

    def crash_on_third_commit() -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise ProjectionFault("killed before the view commit")

    runners = EmbeddedRunners(application_class=CaseTracking, event_store_env=env,
                              database=database, today=lambda: TODAY)
    runners.views["cohort"].before_commit = crash_on_third_commit
    try:
        deadline = time.monotonic() + 60
        while not runners.errors() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert set(runners.errors()) == set(PROJECTIONS)
        positions = runners.positions()
    finally:
        runners.close()
    assert len(set(positions.values())) == 1  # committed together, rolled back together
    assert 0 < positions["event_index"] < head
    runners = EmbeddedRunners(application_class=CaseTracking, event_store_env=env,
                              database=database, today=lambda: TODAY)
    try:
        assert runners.wait(head, tuple(PROJECTIONS), timeout=30)
    finally:
        runners.close()
    for name in PROJECTIONS:
        rebuild(name, application_class=CaseTracking, event_store_env=env, engine=reference,
                today=lambda: TODAY)
    assert contents(live) == contents(reference)

    def messages(engine: Engine) -> list[Any]:
        with engine.connect() as conn:
            return sorted(conn.execute(select(OutboxMessage.message_id, OutboxMessage.kind,
                                              OutboxMessage.position)).all())

    assert messages(live) == messages(reference)
    assert len(messages(live)) > 100


def test_a_childs_key_is_its_ids_text_however_often_and_from_whichever_copy_asked() -> None:
    from infrastructure.batches import RECENT_JOURNEYS, child_key

    ids = [UUID(int=n * 7919 + 1) for n in range(3 * RECENT_JOURNEYS)]
    for child_id in ids + ids[::-1]:  # past the cache's size, then back again
        assert child_key(child_id) == str(child_id)
        assert child_key(UUID(child_id.hex)) == str(child_id)  # an equal, other object
