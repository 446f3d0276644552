"""Benchmark the work tray (issue 16) at an authority's scale: 100,000 journeys.

The read model is filled with the projection's own rows (``infrastructure.worktray.
tray_rows``) of real journeys, then the read paths are timed on it. Building 100,000
journeys in the domain takes minutes, so ``--distinct`` journeys (default 3,000) are
built for real, varied (a request on a spread of days; refused, withdrawn or undecided;
assessing with advice requested of named advisers, some back; a draft plan; a final plan
with its review clock; a timescale exception claimed), and their rows are **replicated**
under fresh child ids and case references until the authority holds ``--journeys``
rows (default 100,000): ``--cases`` (default 200) assigned to each caseworker, the last
``--unassigned`` (default 1,000) held by no one. ``--others`` (default 100,000) more
copies belong to three other authorities whose caseworkers have the same user ids, so
a query that forgot the organisation would count them. Rows are loaded with bulk inserts
(COPY on PostgreSQL) into a fresh read-model database (SQLite, or PostgreSQL with
``--url``), then, ``--repeat`` times each, p50 and p99 (nearest rank):

- ``GET /worktray``'s use case (``application.worktray.work_tray``) for one caseworker:
  their cases and stored readings read, each reading's status and days late derived as
  at today by ``domain.clocks``, ordered;
- ``GET /notifications``'s use case for the same caseworker;
- ``GET /worktray/team``'s use case (``application.worktray.team_tray``) for a manager:
  the cases counted per holder over the whole authority, and the unassigned cases
  ordered as a tray;

each beside its baseline measured in the same run: the bare SQL reading the same rows
(the worker's cases joined with their readings; for the team, the same per-holder count,
the unassigned cases, and their readings), nothing derived or ordered.

    .venv/bin/python -m benchmarks.worktray
    .venv/bin/python -m benchmarks.worktray --url postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python -m benchmarks.worktray --journeys 20000 --others 0 --explain
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, text

from application.notifications import notifications
from application.worktray import TrayFilter, team_tray, work_tray
from benchmarks.machine import describe, load_average
from domain.actors import Actor
from domain.journey import ChildJourney
from infrastructure.migrations import upgrade
from infrastructure.readmodels import SQLReadModels, make_engine
from infrastructure.tracking import insert_rows
from infrastructure.worktray import TrayCase, TrayClock, tray_rows

AUTHORITY = "LA-BENCH"
OTHERS = ("LA-OTHER-1", "LA-OTHER-2", "LA-OTHER-3")
TODAY = date(2025, 6, 2)
MANAGER = Actor("mgr-bench", "manager", AUTHORITY)
WORKER = Actor("cw-0", "caseworker", AUTHORITY)
CHUNK = 20_000

WORKER_ROWS = """
    SELECT c.child_id, c.case_ref, k.reading FROM rm_tray_case c
    LEFT JOIN rm_tray_clock k ON k.child_id = c.child_id
    WHERE c.assigned_organisation = :organisation AND c.assigned_to = :worker"""
TEAM_COUNTS = """
    SELECT assigned_organisation, assigned_to, count(*) FROM rm_tray_case
    WHERE authority = :authority GROUP BY assigned_to, assigned_organisation"""
# The unassigned cases, then their readings (as a join, PostgreSQL's planner chose a
# parallel sequential scan of every authority's cases: 55 ms, against 0.2 ms + the
# readings' index scans for these two).
UNASSIGNED_CASES = """
    SELECT child_id, case_ref FROM rm_tray_case
    WHERE authority = :authority AND assigned_to IS NULL"""
READINGS = text("SELECT child_id, reading FROM rm_tray_clock WHERE child_id IN :ids"
                ).bindparams(bindparam("ids", expanding=True))
NOTICE = ["appeal_rights", "time_limits", "mediation", "disagreement_resolution",
          "information_advice"]
SECTIONS = {"A": "Likes music.", "B": [{"need": "SLCN", "description": "Language delay"}],
            "F": [{"need": "SLCN", "provision": "Therapy weekly", "quantified": True,
                   "pfa": "employment"}], "I": {}}


def journey(i: int, worker: str, rng: random.Random) -> ChildJourney:
    """A journey at a request (half decided), assigned to ``worker`` (the outbox
    benchmark's cohort)."""
    received = TODAY - timedelta(days=rng.randrange(1, 200))
    child = ChildJourney.register(authority=AUTHORITY, date_of_birth=date(2015, 5, 5),
                                  actor=MANAGER, occurred_on=received, today=TODAY,
                                  case_ref=f"BENCH-{i:06d}")
    child.record("EHCNeedsAssessmentRequested", {"requester_role": "Parent",
                                                 "request_source": "1"},
                 actor=MANAGER, occurred_on=received, today=TODAY)
    if rng.random() < 0.5:
        child.record("DecisionToAssessMade", {"assessment_test_met": True,
                                              "reasons": "May need a plan"}, actor=MANAGER,
                     occurred_on=min(TODAY, received + timedelta(days=rng.randrange(20, 60))),
                     today=TODAY)
    child.record("CaseAssigned", {"assigned_to": worker, "assigned_organisation": AUTHORITY},
                 actor=MANAGER, occurred_on=TODAY, today=TODAY)
    return child


def varied(i: int, rng: random.Random) -> ChildJourney:
    """A journey stopped at one of several points of the statutory path (unassigned)."""
    received = TODAY - timedelta(days=rng.randrange(1, 420))
    child = ChildJourney.register(authority=AUTHORITY, date_of_birth=date(2015, 5, 5),
                                  actor=MANAGER, occurred_on=received, today=TODAY,
                                  case_ref=f"SEED-{i:06d}")

    def record(type_name: str, days: int, **payload: Any) -> bool:
        on = received + timedelta(days=days)
        if on > TODAY:
            return False
        child.record(type_name, payload, actor=MANAGER, occurred_on=on, today=TODAY)
        return True

    record("EHCNeedsAssessmentRequested", 0, requester_role="Parent", request_source="1")
    kind = i % 10
    if kind == 0:
        record("DecisionNotToAssessMade", 30 + rng.randrange(20), reasons="SEN support",
               notice_includes=NOTICE)
    elif kind == 1:
        record("AssessmentRequestWithdrawn", 10 + rng.randrange(20), withdrawn_by="parent",
               reason="moved")
    elif kind >= 3 and record("DecisionToAssessMade", 20 + rng.randrange(25),
                              assessment_test_met=True, reasons="May need a plan"):
        assessed(child, record, received, rng)
    return child


def assessed(child: ChildJourney, record: Callable[..., bool], received: date,
             rng: random.Random) -> None:
    """Advice asked of named advisers (some back), then perhaps a draft and final plan."""
    asked, requested = 45, {}
    for advice, org, extra in (
            ("Parent", "FAMILY", {}), ("Educational", f"SCHOOL-{rng.randrange(40)}", {}),
            ("Medical", f"ICB-{rng.randrange(5)}", {"adviser_identified_by_icb": True}),
            ("Psychological", f"EP-{rng.randrange(8)}",
             {"adviser_is_educational_psychologist": True})):
        if not record("AdviceRequested", asked, advice_type=advice, recipient_org=org,
                      received_by_adviser_on=received + timedelta(days=asked), **extra):
            return
        requested[advice] = child.version
    record("ExistingAdviceAdopted", asked, advice_type="SocialCare", document_ref="d",
           adviser="sc", adviser_agreed=True, la_agreed=True, family_agreed=True)
    back = asked + 30 + rng.randrange(30)
    if rng.random() < 0.5:
        return
    for advice, version in requested.items():
        record("AdviceReceived", back, advice_request_id=f"advice-{version}", author=advice,
               document_ref="d")
    if rng.random() < 0.2:
        record("TimescaleExceptionClaimed", back, clock="K4",
               ground="exceptional_personal_circumstances",
               period_from=received + timedelta(days=back - 5),
               period_to=received + timedelta(days=back), family_informed=True)
    if not record("DecisionToIssuePlanMade", back + 5, necessity_reasons="Needed"):
        return
    if not record("DraftPlanIssued", back + 6, sections=SECTIONS) or rng.random() < 0.4:
        return
    record("FinalPlanIssued", back + 22 + rng.randrange(40), sections=SECTIONS | {"I": {
        "setting_ref": "urn-100001", "setting_type": "MAINSTREAM_LA"}},
        notice_includes=NOTICE, recipients=["family", "icb", "setting"])


def seed_rows(distinct: int, seed: int) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """The tray rows (case, its readings) of ``distinct`` real journeys."""
    rng = random.Random(seed)
    seeds = []
    for i in range(distinct):
        rows = tray_rows(varied(i, rng), TODAY)
        seeds.append((rows[TrayCase][0], rows[TrayClock]))
    return seeds


def copies(seeds: list[tuple[dict[str, Any], list[dict[str, Any]]]], authority: str,
           count: int, cases: int, unassigned: int, start: int
           ) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """``count`` copies of the seed rows under fresh ids and references in ``authority``:
    ``cases`` per caseworker ``cw-0``, ``cw-1``..., the last ``unassigned`` held by no one."""
    for n in range(count):
        case, clocks = seeds[(start + n) % len(seeds)]
        child_id = str(uuid.UUID(int=start + n + 1))
        held = n < count - unassigned
        yield ({**case, "child_id": child_id, "authority": authority,
                "case_ref": f"{authority}-{n:07d}",
                "assigned_to": f"cw-{n // cases}" if held else None,
                "assigned_organisation": authority},
               [{**clock, "child_id": child_id} for clock in clocks])


def load(engine: Any, rows: Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]) -> None:
    """Bulk-insert the rows, ``CHUNK`` cases a transaction."""
    batch: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    for row in [*rows, None]:
        if row is not None:
            batch.append(row)
        if batch and (row is None or len(batch) >= CHUNK):
            with engine.begin() as conn:
                insert_rows(conn, TrayCase, [case for case, _ in batch])
                insert_rows(conn, TrayClock, [c for _, clocks in batch for c in clocks])
            batch = []


def generate(engine: Any, args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    seeds = seed_rows(args.distinct, args.seed)
    built = time.perf_counter() - started
    load(engine, copies(seeds, AUTHORITY, args.journeys, args.cases, args.unassigned, 0))
    per_other = args.others // len(OTHERS)
    for k, other in enumerate(OTHERS):
        load(engine, copies(seeds, other, per_other, args.cases, args.unassigned // 10,
                            args.journeys + k * per_other))
    # Vacuumed and analysed, as autovacuum leaves a table after a load (PostgreSQL's
    # index-only scans need the visibility map a vacuum writes).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("VACUUM ANALYZE rm_tray_case"))
            conn.execute(text("VACUUM ANALYZE rm_tray_clock"))
        else:
            conn.execute(text("ANALYZE"))
        counted = {t: conn.scalar(text(f"SELECT count(*) FROM {t}"))  # noqa: S608
                   for t in ("rm_tray_case", "rm_tray_clock")}
    return {"built_s": built, "loaded_s": time.perf_counter() - started, **counted}


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1,
                                               round(0.99 * (len(times) - 1)))]


def paths(engine: Any) -> list[tuple[str, Callable[[], int], Callable[[], int]]]:
    """(name, the use case, its baseline): each answers its number of rows."""
    store = SQLReadModels(engine, "CaseTracking")

    def select(sql: str, **params: str) -> int:
        with engine.connect() as conn:
            return len(conn.execute(text(sql), params).all())

    def worker_rows() -> int:
        return select(WORKER_ROWS, organisation=AUTHORITY, worker=WORKER.user_id)

    def tray() -> int:
        return len(work_tray(store, actor=WORKER, where=TrayFilter(), today=TODAY)["items"])

    def reminders() -> int:
        return len(notifications(store, actor=WORKER, today=TODAY, within_days=14)["items"])

    def team() -> int:
        answer = team_tray(store, actor=MANAGER, where=TrayFilter(), today=TODAY)
        return len(answer["caseworkers"]) + len(answer["unassigned"])

    def team_rows() -> int:
        with engine.connect() as conn:
            counts = conn.execute(text(TEAM_COUNTS), {"authority": AUTHORITY}).all()
            cases = conn.execute(text(UNASSIGNED_CASES), {"authority": AUTHORITY}).all()
            readings = conn.execute(READINGS, {"ids": [c[0] for c in cases]}).all()
        return len(counts) + len(cases) + len(readings)

    return [("GET /worktray", tray, worker_rows),
            ("GET /notifications", reminders, worker_rows),
            ("GET /worktray/team", team, team_rows)]


def measure(engine: Any, repeat: int) -> list[dict[str, Any]]:
    results = []
    for name, use_case, baseline in paths(engine):
        rows, base_rows = use_case(), baseline()
        p50, p99 = timed(use_case, repeat)
        b50, b99 = timed(baseline, repeat)
        results.append({"path": name, "rows": rows, "p50": p50, "p99": p99,
                        "base_rows": base_rows, "b50": b50, "b99": b99})
    return results


def explain(engine: Any) -> None:
    """Print the plans of the statements the paths run (PostgreSQL: EXPLAIN ANALYZE)."""
    pg = engine.dialect.name == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS OFF) " if pg else "EXPLAIN QUERY PLAN "
    params = {"organisation": AUTHORITY, "worker": WORKER.user_id, "authority": AUTHORITY}
    with engine.connect() as conn:
        for sql in (WORKER_ROWS, TEAM_COUNTS, UNASSIGNED_CASES):
            print(f"\n{' '.join(sql.split())}")
            for row in conn.execute(text(prefix + sql), params):
                print("   ", " ".join(str(v) for v in row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--journeys", type=int, default=100_000,
                        help="the authority's journeys (rows of rm_tray_case)")
    parser.add_argument("--cases", type=int, default=200, help="cases per caseworker")
    parser.add_argument("--unassigned", type=int, default=1_000,
                        help="the authority's cases no one holds")
    parser.add_argument("--others", type=int, default=100_000,
                        help="journeys of three other authorities")
    parser.add_argument("--distinct", type=int, default=3_000,
                        help="journeys built in the domain, whose rows are replicated")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    parser.add_argument("--url", default=None, help="PostgreSQL (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.url:
            from tests.postgres import fresh_schema

            with fresh_schema(args.url) as url:
                from infrastructure.tracking import ReadModelDatabase

                run(ReadModelDatabase.beside(url, Path(folder)).engine(), "PostgreSQL", args)
        else:
            run(make_engine(f"sqlite:///{Path(folder) / 'rm.sqlite'}"), "SQLite", args)


def run(engine: Any, store: str, args: argparse.Namespace) -> None:
    upgrade(engine)
    before = load_average()
    made = generate(engine, args)
    if args.explain:
        explain(engine)
    rows = measure(engine, args.repeat)
    engine.dispose()
    print(f"\nwork tray, {store}: {args.journeys:,} journeys in {AUTHORITY} "
          f"({args.cases} per caseworker, {args.unassigned:,} unassigned) and "
          f"{args.others:,} in {len(OTHERS)} other authorities; the rows of "
          f"{args.distinct:,} real journeys replicated under fresh ids "
          f"({made['rm_tray_case']:,} cases, {made['rm_tray_clock']:,} open readings; "
          f"built in {made['built_s']:.0f} s, loaded in {made['loaded_s']:.0f} s); "
          f"--repeat {args.repeat}")
    print(f"{describe()}; load average before {before}, after {load_average()}")
    print(f"| {'path':20} | {'rows':>5} | {'p50 ms':>8} | {'p99 ms':>8} | "
          f"{'baseline rows':>13} | {'baseline p50':>12} | {'baseline p99':>12} | "
          f"{'x baseline':>10} |")
    print("|----------------------|------:|---------:|---------:|--------------:|"
          "-------------:|-------------:|-----------:|")
    for r in rows:
        print(f"| {r['path']:20} | {r['rows']:5} | {r['p50'] * 1000:8.2f} | "
              f"{r['p99'] * 1000:8.2f} | {r['base_rows']:13} | {r['b50'] * 1000:12.2f} | "
              f"{r['b99'] * 1000:12.2f} | {r['p50'] / r['b50']:10.1f} |")


if __name__ == "__main__":
    main()
