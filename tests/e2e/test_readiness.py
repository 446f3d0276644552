"""Readiness that means ready (issue 15), pools that are settings and fail safe (12.18),
and a projection worker that survives a dropped database connection (12.17)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from application.tracking import CaseTracking
from domain.actors import Actor
from infrastructure.migrations import head_revision, upgrade
from infrastructure.projections import ReadModelDatabase, status
from tests.conftest import TEST_SECRET
from tests.e2e.test_server import ROOT
from web import create_app
from web.auth import mint_token
from web.config import ConfigError, load_settings
from web.services import services_of

MANAGER = Actor("user-1", "manager", "LA-901")


def settings_with(tmp_path: Path, url: str | None, **extra: str):  # type: ignore[no-untyped-def]
    environ = {"CASETRACK_DATA_DIR": str(tmp_path), "CASETRACK_SECRET_KEY": TEST_SECRET,
               "CASETRACK_LOG_FORMAT": "json", **extra}
    if url:
        environ["CASETRACK_DATABASE_URL"] = url
    return load_settings(environ)


def register(tracking: CaseTracking) -> None:
    tracking.register_child(authority="LA-901", date_of_birth=date(2016, 5, 4),
                            actor=MANAGER, occurred_on=date(2024, 1, 2))


def migrate(url: str, tmp_path: Path) -> None:
    engine = ReadModelDatabase.beside(url, tmp_path).engine()
    upgrade(engine)
    engine.dispose()


@pytest.mark.postgres
def test_readyz_names_an_unmigrated_read_model_schema_then_a_lagging_projection(
        tmp_path: Path, postgres_schema_url: str) -> None:
    app = create_app(settings_with(tmp_path, postgres_schema_url,
                                   CASETRACK_READY_MAX_LAG="2"))
    client = app.test_client()
    try:
        answer = client.get("/readyz")
        assert answer.status_code == 503 and answer.headers["Retry-After"]
        assert answer.mimetype == "application/problem+json"
        assert "schema revision none" in answer.json["detail"]
        assert "casetrack db upgrade" in answer.json["detail"]
        migrate(postgres_schema_url, tmp_path)
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json["read_models_revision"] == head_revision()
        assert set(ready.json["projections"].values()) == {0}
        for _ in range(3):
            register(services_of(app).tracking)
        behind = client.get("/readyz")
        assert behind.status_code == 503
        assert "events behind the log" in behind.json["detail"]
        assert "CASETRACK_READY_MAX_LAG=2" in behind.json["detail"]
    finally:
        services_of(app).close()


def test_readyz_on_the_embedded_store_answers_revision_and_lag(tmp_path: Path) -> None:
    app = create_app(settings_with(tmp_path, None))
    try:
        ready = app.test_client().get("/readyz")
        assert ready.status_code == 200
        assert ready.json["store"] == "sqlite"
        assert ready.json["read_models_revision"] == head_revision()
        assert ready.json["max_lag"] == 1000
    finally:
        services_of(app).close()


def _fails(*_: object) -> None:
    raise OSError("the disk is busy")


@pytest.mark.parametrize(("broken", "reason"), [
    ("infrastructure.migrations.current_revision", "the read models' database does not answer"),
    ("infrastructure.projections.status", "the read models' database does not answer"),
    ("web.health._head_revision", "the readiness check could not be made (OSError)"),
    ("application.tracking.CaseTracking.max_position", "the event store does not answer"),
])
def test_readyz_answers_503_naming_the_check_that_failed_never_500(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: str, reason: str) -> None:
    """Whatever part of the check fails, /readyz is a 503 problem with Retry-After (the
    contract test once saw it answer 500); a failed read is not called unmigrated."""
    app = create_app(settings_with(tmp_path, None))
    try:
        monkeypatch.setattr(broken, _fails)
        answer = app.test_client().get("/readyz")
        assert answer.status_code == 503, answer.get_data(as_text=True)
        assert answer.mimetype == "application/problem+json"
        assert answer.headers["Retry-After"] == "5"
        assert answer.json["detail"] == reason
        monkeypatch.undo()
        assert app.test_client().get("/readyz").status_code == 200
    finally:
        services_of(app).close()


def run_cli(args: list[str], env: dict[str, str], timeout: float = 60
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "web.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def cli_env(tmp_path: Path, url: str) -> dict[str, str]:
    return {**os.environ, "CASETRACK_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT),
            "CASETRACK_SECRET_KEY": TEST_SECRET, "CASETRACK_DATABASE_URL": url,
            "CASETRACK_LOG_FORMAT": "json"}


@pytest.mark.postgres
def test_serve_refuses_an_unmigrated_postgresql_database_in_one_line(
        tmp_path: Path, postgres_schema_url: str) -> None:
    done = run_cli(["serve", "--no-demo", "--port", "1"], cli_env(tmp_path, postgres_schema_url))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "the database is not migrated" in lines[0]
    assert "read models at none" in lines[0]
    assert "casetrack db upgrade" in lines[0] and "--migrate" in lines[0]


def test_an_unreachable_database_is_one_clear_line_within_seconds(tmp_path: Path) -> None:
    env = cli_env(tmp_path, "postgresql://postgres@127.0.0.1:1/nowhere")
    env["CASETRACK_DB_POOL_TIMEOUT"] = "2"
    for args in (["serve", "--no-demo", "--migrate"], ["projections", "status"], ["verify"]):
        started = time.monotonic()
        done = run_cli(args, env, timeout=30)
        elapsed = time.monotonic() - started
        assert done.returncode == 2, (args, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, (args, done.stderr)
        assert lines[0].startswith("casetrack: the database does not answer: ")
        assert elapsed < 15, (args, elapsed)


def test_pool_sizes_are_settings_with_bounded_defaults(tmp_path: Path) -> None:
    defaults = settings_with(tmp_path, "postgresql://db.example/casetrack")
    assert (defaults.pool.size, defaults.pool.overflow) == (2, 6)
    env = defaults.event_store_env()
    assert (env["POSTGRES_POOL_SIZE"], env["POSTGRES_MAX_OVERFLOW"]) == ("2", "6")
    assert env["POSTGRES_CONNECT_TIMEOUT"] == "5"
    # The server's five pools together stay well under PostgreSQL's default 100.
    assert 5 * (defaults.pool.size + defaults.pool.overflow) <= 40
    with pytest.raises(ConfigError, match="CASETRACK_DB_POOL_SIZE"):
        settings_with(tmp_path, None, CASETRACK_DB_POOL_SIZE="0")
    with pytest.raises(ConfigError, match="CASETRACK_DB_MAX_OVERFLOW"):
        settings_with(tmp_path, None, CASETRACK_DB_MAX_OVERFLOW="many")


@pytest.mark.postgres
def test_every_pool_of_a_server_takes_its_size_from_the_settings(
        tmp_path: Path, postgres_schema_url: str) -> None:
    app = create_app(settings_with(tmp_path, postgres_schema_url, CASETRACK_DB_POOL_SIZE="3",
                                   CASETRACK_DB_MAX_OVERFLOW="1"))
    try:
        store_pool = services_of(app).tracking.recorder.datastore.pool
        assert (store_pool.min_size, store_pool.max_size) == (3, 4)
        # SQLAlchemy's pools have room for size + overflow, kept once opened (pools.py).
        engine = services_of(app).read_models.engine
        assert (engine.pool.size(), engine.pool._max_overflow) == (4, 0)  # noqa: SLF001
        vault = services_of(app).vault
        assert vault._engine.pool.size() == 4  # noqa: SLF001
    finally:
        services_of(app).close()


@pytest.mark.postgres
def test_an_exhausted_pool_answers_503_with_retry_after_never_500(
        tmp_path: Path, postgres_schema_url: str) -> None:
    migrate(postgres_schema_url, tmp_path)
    app = create_app(settings_with(tmp_path, postgres_schema_url, CASETRACK_DB_POOL_SIZE="1",
                                   CASETRACK_DB_MAX_OVERFLOW="0",
                                   CASETRACK_DB_POOL_TIMEOUT="1"))
    tracking = services_of(app).tracking
    client = app.test_client()
    token = mint_token(TEST_SECRET, subject="u1", role="manager", organisation="LA-901")
    try:
        register(tracking)
        pool = tracking.recorder.datastore.pool
        held = [pool.getconn(timeout=5)]
        read_models = services_of(app).read_models.engine.connect()
        try:
            answer = client.post("/children", json={
                "authority": "LA-901", "date_of_birth": "2016-05-04",
                "occurred_on": "2024-01-02"}, headers={"Authorization": f"Bearer {token}"})
            listed = client.get("/children", headers={"Authorization": f"Bearer {token}"})
        finally:
            read_models.close()
            for conn in held:
                pool.putconn(conn)
        for busy in (answer, listed):
            assert busy.status_code == 503, busy.json
            assert busy.headers["Retry-After"] == "2"
            assert busy.json["type"] == "/problems/database-busy"
        assert client.get("/children", headers={
            "Authorization": f"Bearer {token}"}).status_code == 200
    finally:
        services_of(app).close()


@pytest.mark.postgres
def test_the_projection_worker_retries_a_dropped_connection_and_catches_up(
        tmp_path: Path, postgres_schema_url: str) -> None:
    import psycopg
    from psycopg.sql import SQL, Identifier

    migrate(postgres_schema_url, tmp_path)
    name = f"casetrack-worker-{os.getpid()}-{time.monotonic_ns()}"
    env = {**cli_env(tmp_path, postgres_schema_url), "CASETRACK_CHECKPOINT_EVENTS": "0",
           "CASETRACK_CHECKPOINT_MINUTES": "0", "PGAPPNAME": name,
           "CASETRACK_DB_POOL_TIMEOUT": "1"}
    settings = settings_with(tmp_path, postgres_schema_url)
    tracking = CaseTracking(env=settings.event_store_env())
    engine = ReadModelDatabase.beside(postgres_schema_url, tmp_path).engine()
    # Files, not pipes: a pipe nobody reads while the worker logs tracebacks fills up
    # and blocks it.
    log = (tmp_path / "worker.log").open("w+")
    worker = subprocess.Popen([sys.executable, "-m", "web.cli", "projections", "run"],
                              env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                              text=True)

    def caught_up(within: float) -> bool:
        deadline = time.monotonic() + within
        head = tracking.max_position()
        while time.monotonic() < deadline:
            if all(row["behind"] <= 0 for row in status(engine, tracking.name, head)):
                return True
            time.sleep(0.2)
        return False

    try:
        register(tracking)
        assert caught_up(60)
        # An outage: the worker's connections dropped, and the database refusing new ones
        # for longer than eventsourcing's own retries (10 attempts, each waiting the 1 s
        # pool timeout and 0.2 s), so the worker's runners fail and it must restart them.
        dbname = postgres_schema_url.split("?")[0].rsplit("/", 1)[1]
        with psycopg.connect(os.environ["CASETRACK_TEST_POSTGRES_URL"],
                             autocommit=True) as admin:
            admin.execute(SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(
                Identifier(dbname)))
            try:
                dropped = admin.execute("SELECT pg_terminate_backend(pid) FROM "
                                        "pg_stat_activity WHERE application_name = %s",
                                        (name,)).fetchall()
                assert dropped  # the worker's connections, and only those
                time.sleep(16)
            finally:
                admin.execute(SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true").format(
                    Identifier(dbname)))
        register(tracking)
        recovered = caught_up(60)
        running = worker.poll() is None
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        tracking.close()
        engine.dispose()
        log.seek(0)
        out, err = log.read(), ""
        log.close()
    assert recovered, "the worker did not catch up after the outage: " + out + err
    assert running, "the worker exited: " + out + err
    assert worker.returncode == 0, err
    assert "retrying in" in out, out + err


def test_readyz_rereads_a_matching_revision_at_most_every_few_seconds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A probe every few seconds need not ask Alembic each time: a revision that matched
    is trusted for REVISION_RECHECK_SECONDS, then read again (and a changed one seen)."""
    import infrastructure.migrations
    from web import health

    app = create_app(settings_with(tmp_path, None))
    reads: list[str | None] = []
    real = infrastructure.migrations.current_revision
    answers: list[str | None] = []

    def counted(engine, *args):  # type: ignore[no-untyped-def]
        reads.append(answers[0] if answers else real(engine, *args))
        return reads[-1]

    clock = [1000.0]
    monkeypatch.setattr(infrastructure.migrations, "current_revision", counted)
    monkeypatch.setattr(health, "_revisions", health._Recheck(lambda: clock[0]))
    client = app.test_client()
    try:
        assert [client.get("/readyz").status_code for _ in range(5)] == [200] * 5
        assert len(reads) == 1
        clock[0] += health.REVISION_RECHECK_SECONDS + 0.1
        answers.append("an-older-revision")  # a downgrade while the server runs
        answer = client.get("/readyz")
        assert answer.status_code == 503 and "an-older-revision" in answer.json["detail"]
        assert client.get("/readyz").status_code == 503  # not trusted: read every call
        assert len(reads) == 3
        answers.clear()
        assert client.get("/readyz").status_code == 200  # migrated: seen at once
        assert len(reads) == 4
    finally:
        services_of(app).close()


@pytest.mark.postgres
def test_db_upgrade_makes_the_insert_functions_servers_without_table_creation_need(
        tmp_path: Path, postgres_schema_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With CREATE_TABLE=n (an operator's migration made the tables) a server that finds
    the one-round-trip insert function missing is not ready, naming it and the command;
    `casetrack db upgrade` creates or replaces it (twice is fine) and writes then work."""
    import psycopg
    from psycopg.sql import SQL, Identifier

    env = {**cli_env(tmp_path, postgres_schema_url), "CREATE_TABLE": "n"}
    schema = postgres_schema_url.split("schema=", 1)[1]
    functions = ["casetrack_events_insert_batch", "casetrack_access_events_insert_batch"]
    with psycopg.connect(postgres_schema_url.split("?")[0], autocommit=True) as admin:
        # The operator's migration: tables and types, no functions.
        assert run_cli(["db", "upgrade"], env).returncode == 0
        for function in functions:
            admin.execute(SQL("DROP FUNCTION {}.{}").format(Identifier(schema),
                                                            Identifier(function)))
            # What an older version left: the name, with other arguments.
            admin.execute(SQL("CREATE FUNCTION {}.{}(sizes int[]) RETURNS int LANGUAGE sql "
                              "AS 'SELECT 1'").format(Identifier(schema), Identifier(function)))
        monkeypatch.setenv("CREATE_TABLE", "n")
        app = create_app(settings_with(tmp_path, postgres_schema_url))
        client = app.test_client()
        try:
            answer = client.get("/readyz")
            assert answer.status_code == 503, answer.json
            assert "insert function casetrack_events_insert_batch is missing" in \
                answer.json["detail"]
            assert "casetrack db upgrade" in answer.json["detail"]
            for _ in range(2):
                done = run_cli(["db", "upgrade"], env)
                assert done.returncode == 0, done.stderr
                for function in functions:
                    assert f"{function} created or replaced" in done.stdout
            found = admin.execute(
                "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = "
                "p.pronamespace WHERE n.nspname = %s AND p.proname = ANY(%s)",
                (schema, functions)).fetchone()
            assert found == (4,)  # the old ones stay beside the new
            assert client.get("/readyz").status_code == 200
            register(services_of(app).tracking)
            assert services_of(app).tracking.max_position() == 1
        finally:
            services_of(app).close()
