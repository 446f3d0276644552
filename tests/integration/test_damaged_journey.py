"""A journey with an event row deleted from the store (issue 12.12), on SQLite and on
PostgreSQL: reads answer that it fails its integrity check, and the projections record
the damage and go on with every other journey."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from structlog.testing import capture_logs

from application.errors import JourneyDamagedError
from application.tracking import CaseTracking
from infrastructure.migrations import upgrade
from infrastructure.projections import PROJECTIONS, ReadModelDatabase, ReadModelView, catch_up
from infrastructure.readmodels import CaseSummary
from tests.integration.test_tamper_evidence import MANAGER, TODAY, Store
from tests.integration.test_tamper_evidence import store as store  # noqa: F401 (fixture)


def test_reading_or_writing_a_journey_with_a_missing_version_names_the_damage(
        store: Store) -> None:
    damaged, whole = store.children[0], store.children[1]
    store.rows.delete(damaged, 3, 3)
    fresh = CaseTracking(env=store.tracking.env, today=lambda: TODAY)
    try:
        with pytest.raises(JourneyDamagedError, match="fails its integrity check"):
            fresh.get_journey(damaged, actor=MANAGER)
        with pytest.raises(JourneyDamagedError):
            fresh.record_event(damaged, "FamilyViewsSubmitted", {"author_role": "parent"},
                               actor=MANAGER, occurred_on=date(2024, 1, 20))
        assert fresh.get_journey(whole, actor=MANAGER)["version"] == 5
    finally:
        fresh.close()


@pytest.mark.parametrize("name", sorted(n for n in PROJECTIONS if n != "event_index"))
def test_a_projection_records_the_damaged_journey_and_goes_on(
        store: Store, tmp_path: Any, name: str) -> None:
    damaged = store.children[0]
    store.rows.delete(damaged, 2, 2)
    url = store.tracking.env.get("POSTGRES_DBNAME") and _url(store)
    engine = ReadModelDatabase.beside(url, tmp_path).engine()
    upgrade(engine)
    projection = PROJECTIONS[name](ReadModelView(engine, name))
    projection.today = lambda: TODAY
    try:
        with capture_logs() as logs:
            reached = catch_up(projection, application_class=CaseTracking,
                               event_store_env=store.tracking.env, batch_size=4)
        assert reached == store.tracking.max_position()
        assert set(projection.damaged) == {damaged}
        assert [log["child_id"] for log in logs if log["event"] == "journey_damaged"]
        if name == "case_summaries":
            with engine.connect() as conn:
                children = {row[0] for row in conn.execute(
                    CaseSummary.__table__.select().with_only_columns(CaseSummary.child_id))}
            assert str(damaged) not in children
            assert {str(c) for c in store.children[1:]} <= children
    finally:
        engine.dispose()


def _url(store: Store) -> str:
    env = store.tracking.env
    return (f"postgresql://{env['POSTGRES_USER']}@{env['POSTGRES_HOST']}:"
            f"{env['POSTGRES_PORT']}/{env['POSTGRES_DBNAME']}?schema={env['POSTGRES_SCHEMA']}")
