"""The cohort read model: facts per child for thematic questions and the area picture.

``CohortProjection`` (``projection``) follows the ``ReadModelProjection`` pattern: each
batch folds every touched journey once and replaces that child's rows (``rows``,
``question_facts``) in four tables (``tables``):

- ``rm_cohort_child``: one row per child (authority, equality fields, primary need,
  setting type, first requester, plan made / ceased and why);
- ``rm_request``: one row per assessment request (received, decisions, final plan,
  the K1/K4 due dates and standing exception grounds as the clocks read them, links to
  disputes);
- ``rm_dispute``: one row per appealable decision (mediation and appeal funnel);
- ``rm_cohort_fact``: dated facts of every other kind: each clock episode (K1..K27, with
  its due date, responsible body and exception ground as the domain's reading gives
  them), health waits, placements, out-of-school spells, looked-after periods, personal
  budgets, exception claims (and whether they hold), corrections that changed a clock's
  outcome, and for the later questions plan versions (section I, F and G content),
  placement decisions, transfers, held reviews, the school at each appealable decision
  and advice recorded as unobtainable.

Rows keep what the domain decided (due dates, verdicts, responsible bodies) and the dates
things happened; the reports decide "as at" a day from those dates
(docs/decisions/0007-reports.md). ``SQLCohortReports`` (``queries``) reads these tables
for ``application.reports``, and counts some questions in PostgreSQL (``counting``,
``sql_records``).
"""

from infrastructure.cohort.counting import SQLCounting
from infrastructure.cohort.projection import CohortProjection
from infrastructure.cohort.queries import SQLCohortReports, Window
from infrastructure.cohort.question_facts import THERAPIES, question_facts, therapies
from infrastructure.cohort.rows import CohortRows, cohort_rows
from infrastructure.cohort.sql_records import SQL_RECORDS, RecordsSQL
from infrastructure.cohort.tables import (
    COHORT,
    COHORT_TABLES,
    CohortChild,
    CohortDispute,
    CohortFact,
    CohortRequest,
)

__all__ = [
    "COHORT", "COHORT_TABLES", "SQL_RECORDS", "THERAPIES", "CohortChild", "CohortDispute",
    "CohortFact", "CohortProjection", "CohortRequest", "CohortRows", "RecordsSQL",
    "SQLCohortReports", "SQLCounting", "Window", "cohort_rows", "question_facts",
    "therapies",
]
