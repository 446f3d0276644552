"""The case summary read model says who holds the case (CaseAssigned), after migration."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, inspect

from infrastructure.migrations import upgrade
from infrastructure.projections import case_rows
from tests.unit.test_governance import record, registered


def test_the_case_summary_row_names_the_assigned_caseworker_and_organisation() -> None:
    journey = registered()
    unassigned = case_rows(journey, 1, date(2026, 6, 30)).summary
    assert (unassigned["assigned_to"], unassigned["assigned_organisation"]) == (
        None, "LA-999")
    record(journey, "CaseAssigned", {"assigned_to": "cw-5",
                                     "assigned_organisation": "LA-999-EAST"})
    row = case_rows(journey, 2, date(2026, 6, 30)).summary
    assert (row["assigned_to"], row["assigned_organisation"]) == ("cw-5", "LA-999-EAST")


def test_the_migration_adds_an_indexed_assigned_to_column(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'rm.sqlite'}")
    upgrade(engine)
    columns = {c["name"] for c in inspect(engine).get_columns("rm_case_summary")}
    indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes(
        "rm_case_summary")}
    engine.dispose()
    assert "assigned_to" in columns
    assert indexes["ix_rm_case_summary_authority_assigned_to"] == ["authority", "assigned_to"]
