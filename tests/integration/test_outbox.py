"""The outbox is written exactly once per event with the projection's tracking record, on
SQLite and PostgreSQL: a crash before a batch commits leaves none of its messages, the
rerun writes each once, and a rebuild adds nothing.

The journey (tests/unit/test_plan_drafting.py): a request received in January 2024, a
decision to assess, every advice asked on 13 February and in on 20 March, a decision to
issue on 25 March, and the draft plan served on Tuesday 2 April 2024: the family's 15
days beginning with that day close on Tuesday 16 April (reg 13(1)). The projection reads
the clocks as at Friday 5 April 2024.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from application.tracking import CaseTracking
from infrastructure.migrations import upgrade
from infrastructure.outbox import OutboxMessage, OutboxProjection
from infrastructure.projections import catch_up, rebuild
from infrastructure.tracking import ProjectionFault, ReadModelDatabase, ReadModelView
from tests.conftest import settings_for
from tests.unit.test_plan_drafting import drafted

READ_ON = date(2024, 4, 5)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """An event store holding one drafted journey, and its read-model database migrated."""
    url = None if request.param == "sqlite" else request.getfixturevalue(
        "postgres_schema_url")
    env = settings_for(tmp_path, url).event_store_env()
    tracking = CaseTracking(env=env)
    journey = drafted()
    tracking.save(journey)
    tracking.close()
    engine = ReadModelDatabase.beside(url, tmp_path).engine()
    upgrade(engine)
    yield {"env": env, "engine": engine, "journey": journey, "url": url, "dir": tmp_path}
    engine.dispose()


def project(engine: Engine, env: dict[str, str], **options: Any) -> int:
    projection = OutboxProjection(ReadModelView(engine, "outbox"))
    projection.today = lambda: READ_ON
    return catch_up(projection, application_class=CaseTracking, event_store_env=env,
                    **options)


def messages(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(OutboxMessage.__table__).order_by(
            OutboxMessage.seq)).mappings()]


def test_each_change_to_a_clock_is_one_message_in_log_order(store: dict[str, Any]) -> None:
    project(store["engine"], store["env"])
    found = messages(store["engine"])
    child = str(store["journey"].id)
    assert {m["child_id"] for m in found} == {child}
    assert [m["position"] for m in found] == sorted(m["position"] for m in found)
    draft = [m["body"] for m in found if m["body"]["reading"]["clock"] == "K5"]
    assert [(b["kind"], b["message"]) for b in draft] == [(
        "clock.started", "Representations on the draft plan for this case: the window "
        "closes on 16 April 2024 (at least 15 days from 2 April 2024; SEND Regulations "
        "2014, reg 13(1))")]
    assert draft[0]["reading"]["due_on"] == "2024-04-16"
    k1 = [(m["kind"], m["body"]["reading"]["status"]) for m in found
          if m["body"]["reading"]["clock"] == "K1"]
    # Read as at 5 April, the request's six weeks (K1) had long passed when the log says
    # it opened; the decision then stopped it, in time.
    assert k1 == [("clock.started", "late"), ("clock.stopped", "met")]
    assert len({m["message_id"] for m in found}) == len(found)
    assert all(m["body"]["id"] == m["message_id"] and m["authority"] == "LA-901"
               for m in found)


def test_a_rebuild_adds_no_message_twice(store: dict[str, Any]) -> None:
    project(store["engine"], store["env"])
    first = messages(store["engine"])
    rebuild("outbox", application_class=CaseTracking, event_store_env=store["env"],
            engine=store["engine"], today=lambda: READ_ON)
    assert messages(store["engine"]) == first


def test_a_batch_that_fails_before_its_commit_leaves_nothing_and_the_rerun_writes_once(
        store: dict[str, Any]) -> None:
    expected = _clean_run(store)
    view = ReadModelView(store["engine"], "outbox")
    projection = OutboxProjection(view)
    projection.today = lambda: READ_ON

    def fault() -> None:
        raise ProjectionFault("stopped before the commit")

    view.before_commit = fault
    with pytest.raises(ProjectionFault):
        catch_up(projection, application_class=CaseTracking, event_store_env=store["env"])
    assert messages(store["engine"]) == []
    assert view.max_tracking_id(CaseTracking.name) is None
    project(store["engine"], store["env"])
    assert [m["message_id"] for m in messages(store["engine"])] == expected


def test_a_worker_killed_between_batches_loses_and_repeats_no_message(
        store: dict[str, Any]) -> None:
    """A real process, killed (os._exit) inside its third batch's transaction: the two
    committed batches' messages stay, the third's are gone with its tracking record, and
    the next run writes the rest, each once."""
    expected = _clean_run(store)
    script = textwrap.dedent("""
        import os, sys
        from datetime import date
        from application.tracking import CaseTracking
        from infrastructure.outbox import OutboxProjection
        from infrastructure.projections import catch_up
        from infrastructure.tracking import ReadModelDatabase, ReadModelView
        from tests.conftest import settings_for
        from pathlib import Path
        url = sys.argv[1] or None
        data_dir = Path(sys.argv[2])
        env = settings_for(data_dir, url).event_store_env()
        view = ReadModelView(ReadModelDatabase.beside(url, data_dir).engine(), "outbox")
        commits = []
        def die_on_third() -> None:
            commits.append(1)
            if len(commits) == 3:
                os._exit(9)
        view.before_commit = die_on_third
        projection = OutboxProjection(view)
        projection.today = lambda: date(2024, 4, 5)
        catch_up(projection, application_class=CaseTracking, event_store_env=env,
                 batch_size=4)
    """)
    killed = subprocess.run([sys.executable, "-c", script, store["url"] or "",
                             str(store["dir"])], cwd=ROOT, env=os.environ.copy(),
                            capture_output=True, text=True, timeout=120, check=False)
    assert killed.returncode == 9, killed.stderr[-2000:]
    view = ReadModelView(store["engine"], "outbox")
    assert view.max_tracking_id(CaseTracking.name) == 8  # two batches of four
    partial = [m["message_id"] for m in messages(store["engine"])]
    assert partial == expected[:len(partial)]
    assert all(m["position"] <= 8 for m in messages(store["engine"]))
    project(store["engine"], store["env"], batch_size=4)
    assert [m["message_id"] for m in messages(store["engine"])] == expected


def _clean_run(store: dict[str, Any]) -> list[str]:
    """The message ids a run with no crash writes (into a database of its own)."""
    other = ReadModelDatabase(f"sqlite:///{store['dir'] / 'clean.sqlite'}").engine()
    upgrade(other)
    try:
        project(other, store["env"])
        return [m["message_id"] for m in messages(other)]
    finally:
        other.dispose()


def test_the_batch_folds_give_the_outbox_the_states_it_would_fold_itself(
        tmp_path: Path) -> None:
    """One definition: the states the runner's folds keep per version (each journey
    folded once per batch for every projection), and the readings they keep per state,
    give the outbox the messages it makes when it folds each journey's log itself
    (``fold_states``), across batches, corrections and retractions included."""
    from eventsourcing.persistence import Tracking

    from benchmarks.read_path import TODAY, generate_cohort
    from domain.clocks import DEFAULT_POLICY, compute_clocks
    from domain.events import JourneyEvent
    from infrastructure.batches import JourneyFolds, JourneyStore
    from infrastructure.outbox import fold_states, journey_messages

    app = CaseTracking(env=settings_for(tmp_path, None).event_store_env())
    try:
        generate_cohort(app, 60, long_journey_events=30)
        items = [(app.mapper.to_domain_event(n), Tracking(app.name, n.id))
                 for n in app.recorder.select_notifications(start=1, limit=100_000)]
        items = [(e, t) for e, t in items if isinstance(e, JourneyEvent)]
        folds = JourneyFolds()
        folds.set_loader(JourneyStore(app))
        compared = corrected = 0
        for start in range(0, len(items), 53):  # batches that split journeys
            batch = items[start:start + 53]
            by_child: dict[Any, list[Any]] = {}
            for event, tracking in batch:
                by_child.setdefault(event.originator_id, []).append((event, tracking))
            with folds.batch(batch):
                for child_id, entries in by_child.items():
                    journey = folds.journey(child_id, entries[-1][0].originator_version)
                    states = folds.states(journey)
                    assert states is not None
                    first = entries[0][0].originator_version
                    assert states == fold_states(journey.log, first, len(journey.log))
                    kept = journey_messages(
                        journey, entries, TODAY, produced_at=1.0, states=states,
                        readings=lambda s: folds.readings(s, TODAY, DEFAULT_POLICY))
                    assert kept == journey_messages(journey, entries, TODAY, produced_at=1.0)
                    assert folds.readings(journey.state, TODAY, DEFAULT_POLICY) == \
                        compute_clocks(journey.state, TODAY)
                    compared += len(entries)
                    corrected += sum(e.type_name in ("EntryCorrected", "EntryRetracted")
                                     for e, _ in entries)
        assert compared == len(items) and corrected > 0
    finally:
        app.close()
