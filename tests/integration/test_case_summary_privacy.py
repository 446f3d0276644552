"""The case summary (GET /children) carries need codes and ranks, never a need's free-text
description: that is personal data sealed with the child's key, which a list across
children does not open (issue 6)."""

from __future__ import annotations

from datetime import date

from infrastructure.projections import case_rows
from tests.unit.test_governance import record, registered


def test_the_summary_keeps_need_codes_and_drops_descriptions() -> None:
    journey = registered()
    record(journey, "NeedsRecorded", {"needs": [
        {"code": "SLCN", "rank": 1, "description": "MARKER-NEED-TEXT about speech"},
        {"code": "ASD", "rank": 2, "description": "MARKER-NEED-TEXT about autism"}]})
    summary = case_rows(journey, 2, date(2026, 6, 30)).summary
    assert summary["needs"] == [{"code": "SLCN", "rank": 1}, {"code": "ASD", "rank": 2}]
    assert summary["primary_need"] == "SLCN"
    assert "MARKER-NEED-TEXT" not in str(summary)
