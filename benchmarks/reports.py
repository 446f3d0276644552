"""Benchmark the reports (issue 7): the area picture and three thematic questions.

Generates a synthetic cohort straight into the cohort read-model tables of a fresh
PostgreSQL schema (rows shaped as ``infrastructure.cohort.cohort_rows`` writes them: a
child, a request, its K1/K2/K4 clock facts, a placement, a review clock), then times
each report ``--repeat`` times, p50 and p99, beside a baseline measured in the same run:
one hand-written SQL statement over the same tables answering the report's headline
counts (``BASELINES``). One table per ``--authorities`` layout. It measures the read
path of the reports; the cohort projection's catch-up is timed by
``benchmarks.sen2 --projection`` (on the journeys it generates).

    .venv/bin/python -m benchmarks.reports --journeys 100000 --authorities 1,20 \
        --url postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
import uuid
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import psycopg
from sqlalchemy import insert, text

from application.reports import Cohort, answer, area_picture, census_day
from domain.calendar import DEFAULT_COUNTING
from infrastructure.cohort import (
    CohortChild,
    CohortDispute,
    CohortFact,
    CohortRequest,
    SQLCohortReports,
)
from infrastructure.migrations import upgrade
from infrastructure.readmodels import make_engine

NEEDS = ("ASD", "SLCN", "SEMH", "MLD", "SPLD", "PD")
SETTINGS = ("MAINSTREAM_LA", "MAINSTREAM_ACADEMY", "SPECIAL_LA", "FE_COLLEGE", None)
ADVICE = ("Educational", "Medical", "Psychological", "SocialCare")


def rows_for(i: int, authority: str, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    child_id = str(uuid.UUID(int=rng.getrandbits(128)))
    received = date(2023, 1, 2) + timedelta(days=rng.randrange(730))
    k1_due = DEFAULT_COUNTING.add_weeks(received, 6)
    k4_due = DEFAULT_COUNTING.add_weeks(received, 20)
    decided = received + timedelta(days=rng.randrange(20, 60))
    assess = rng.random() < 0.75
    final = received + timedelta(days=rng.randrange(90, 260)) if assess else None
    ground = "exceptional_personal_circumstances" if assess and rng.random() < 0.05 else None
    child = {"child_id": child_id, "authority": authority,
             "date_of_birth": date(2006, 1, 1) + timedelta(days=rng.randrange(6000)),
             "sex": rng.choice("MF"), "ethnicity": rng.choice(("WBRI", "ASIA", "BLAF", None)),
             "primary_need": rng.choice(NEEDS), "setting_type": rng.choice(SETTINGS),
             "requester": rng.choice(("Parent", "SchoolOrPost16OnBehalf", "YoungPerson")),
             "status": "open", "plan_made_on": final, "plan_ceased_on":
             final + timedelta(days=400) if final and rng.random() < 0.1 else None,
             "cease_reason": rng.choice("1234") if final else None,
             "transferred_out_on": None, "position": i}
    request: dict[str, Any]
    request = {"child_id": child_id, "request_id": f"request-{i}", "authority": authority,
               "received_on": received, "route": "request",
               "requester_role": child["requester"], "request_source": "1", "rya": False,
               "decision": "assess" if assess else "not_assess",
               "decision_notified_on": decided, "withdrawn_on": None,
               "issue_decision": "issue" if assess else None,
               "issue_decision_on": final, "no_plan_notified_on": None,
               "final_issued_on": final, "k1_due_on": k1_due, "k4_due_on": k4_due,
               "k1_ground": None, "k4_ground": ground, "mediation": False, "tribunal": False}

    def fact(kind: str, key: str, **values: Any) -> dict[str, Any]:
        return {"child_id": child_id, "kind": kind, "key": key, "authority": authority,
                "started_on": None, "due_on": None, "stopped_on": None,
                "responsible": "local_authority", "exception_ground": None, "subject": None,
                "parent": None, "anchor_on": None, "outcome": None, "detail": {}, **values}

    facts = [fact("K1", request["request_id"], started_on=received, due_on=k1_due,
                  stopped_on=decided),
             fact("K4", request["request_id"], started_on=received,
                  due_on=k4_due if assess else None, stopped_on=final,
                  exception_ground=ground)]
    disputes = []
    if assess:
        asked = decided + timedelta(days=2)
        for n, kind in enumerate(ADVICE):
            facts.append(fact("K2", f"advice-{i}-{n}", started_on=asked,
                              due_on=DEFAULT_COUNTING.add_weeks(asked, 6),
                              stopped_on=asked + timedelta(days=rng.randrange(20, 70)),
                              responsible="health" if kind == "Medical" else
                              "social_care" if kind == "SocialCare" else "local_authority",
                              subject=kind, parent=request["request_id"], anchor_on=k4_due,
                              detail={"final_issued_on": final.isoformat() if final else None}))
        assert final is not None
        facts.append(fact("K7", f"review-due-{final}", started_on=final,
                          due_on=DEFAULT_COUNTING.add_months(final, 12)))
        facts.append(fact("placement", f"placement-{i}", started_on=final,
                          subject=child["setting_type"],
                          outcome="full_time" if rng.random() < 0.95 else "part_time"))
    else:
        disputes.append({"child_id": child_id, "decision_id": f"decision-{i}",
                         "authority": authority, "kind": "refuse_assessment",
                         "notified_on": decided, "adviser_contacted_on": None,
                         "mediation_requested_on": None, "mediation_declined_on": None,
                         "mediation_held_on": None, "mediation_outcome": None,
                         "certificate_on": None, "appeal_registered_on": None,
                         "appeal_closed_on": None, "appeal_outcome": None})
    return {"child": [child], "request": [request], "fact": facts, "dispute": disputes}


def generate(engine: Any, journeys: int, authorities: int, seed: int) -> None:
    rng = random.Random(seed)
    tables = {"child": CohortChild, "request": CohortRequest, "fact": CohortFact,
              "dispute": CohortDispute}
    batch: dict[str, list[dict[str, Any]]] = {k: [] for k in tables}
    for i in range(journeys):
        for key, rows in rows_for(i, f"LA-{800 + i % authorities}", rng).items():
            batch[key].extend(rows)
        if (i + 1) % 5000 == 0 or i + 1 == journeys:
            with engine.begin() as conn:
                for key, model in tables.items():
                    if batch[key]:
                        conn.execute(insert(model), batch[key])
            batch = {k: [] for k in tables}
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def timed(fn: Any, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
    return statistics.median(times), p99


# Baselines: one hand-written statement over the same tables answering the report's
# headline figure (counts only: no children, no medians, no breakdown beyond the one
# asked), so the ratio is what the full answer costs over the bare count.
BASELINES = {
    "area picture 2024": """
        SELECT (SELECT count(*) FILTER (WHERE decision_notified_on <= :as_at)
                FROM rm_request WHERE authority = :authority AND route = 'request'
                AND received_on BETWEEN :year_from AND :year_to),
               (SELECT count(*) FILTER (WHERE final_issued_on <= k4_due_on)
                FROM rm_request WHERE authority = :authority
                AND final_issued_on BETWEEN :year_from AND :year_to),
               (SELECT count(*) FROM rm_cohort_child WHERE authority = :authority
                AND plan_made_on <= :census
                AND (plan_ceased_on IS NULL OR plan_ceased_on > :census))""",
    "timeliness by primary need": """
        SELECT c.primary_need, count(*), count(*) FILTER (WHERE r.final_issued_on <=
               r.k4_due_on)
        FROM rm_request r JOIN rm_cohort_child c ON c.child_id = r.child_id
        WHERE r.authority = :authority AND r.final_issued_on BETWEEN :period_from
              AND :period_to AND r.final_issued_on <= :report_as_at
        GROUP BY c.primary_need""",
    "advice by adviser type": """
        SELECT subject, count(*), count(*) FILTER (WHERE stopped_on <= due_on)
        FROM rm_cohort_fact WHERE authority = :authority AND kind = 'K2'
        AND started_on BETWEEN :period_from AND :period_to AND started_on <= :report_as_at
        GROUP BY subject""",
    "annual reviews overdue": """
        SELECT count(*), count(*) FILTER (WHERE due_on < :report_as_at)
        FROM rm_cohort_fact f JOIN rm_cohort_child c ON c.child_id = f.child_id
        WHERE f.authority = :authority AND f.kind = 'K7' AND f.started_on <= :report_as_at
        AND (f.stopped_on IS NULL OR f.stopped_on > :report_as_at)
        AND c.plan_made_on <= :report_as_at
        AND (c.plan_ceased_on IS NULL OR c.plan_ceased_on > :report_as_at)""",
}


def measure(engine: Any, authority: str, repeat: int) -> list[dict[str, Any]]:
    """Time each report and its baseline, interleaved, on the cohort in ``engine``."""
    store = SQLCohortReports(engine)
    cohort = Cohort(authority=authority, as_at=date(2025, 1, 31),
                    period_from=date(2024, 1, 1), period_to=date(2024, 12, 31))
    area_as_at = date(2025, 6, 30)
    cases = {
        "area picture 2024": lambda: area_picture(store, authority, 2024, as_at=area_as_at),
        "timeliness by primary need": lambda: answer(
            store, "timeliness", replace(cohort, breakdown="primary_need")),
        "advice by adviser type": lambda: answer(
            store, "advice", replace(cohort, breakdown="adviser_type")),
        "annual reviews overdue": lambda: answer(store, "reviews-overdue", cohort),
    }
    params = {"authority": authority, "as_at": area_as_at, "year_from": date(2024, 1, 1),
              "year_to": date(2024, 12, 31), "census": census_day(2024),
              "period_from": cohort.period_from, "period_to": cohort.period_to,
              "report_as_at": cohort.as_at}

    def baseline(sql: str) -> Any:
        def run() -> None:
            with engine.connect() as conn:
                conn.execute(text(sql), params).all()
        return run

    rows = []
    for name, fn in cases.items():
        result = fn()
        p50, p99 = timed(fn, repeat)
        b50, b99 = timed(baseline(BASELINES[name]), repeat)
        figures = result.get("total") or result["requests"]["received"]
        rows.append({"report": name, "p50": p50, "p99": p99, "base_p50": b50,
                     "base_p99": b99, "ratio": p50 / b50 if b50 else float("nan"),
                     "records": figures["count"]})
    return rows


def print_table(title: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n{title}")
    print(f"| {'report':28} | {'records':>8} | {'p50 s':>7} | {'p99 s':>7} | "
          f"{'baseline p50 s':>14} | {'baseline p99 s':>14} | {'p50 ratio':>9} |")
    print("|" + "|".join("-" * 30 if n == 0 else "-" * (w - 1) + ":"
                         for n, w in enumerate((30, 10, 9, 9, 16, 16, 11))) + "|")
    for r in rows:
        print(f"| {r['report']:28} | {r['records']:>8} | {r['p50']:7.3f} | {r['p99']:7.3f} | "
              f"{r['base_p50']:14.3f} | {r['base_p99']:14.3f} | {r['ratio']:9.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--journeys", type=int, default=20_000)
    parser.add_argument("--authorities", default="1",
                        help="comma-separated: spread the journeys over this many "
                             "authorities, one table each (reports ask one authority; 1 is "
                             "the worst case, 20 about how England spreads them)")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    url = args.url.replace("postgresql://", "postgresql+psycopg://", 1)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} "
          f"(1 min) before the run; psycopg {psycopg.pq.__impl__} implementation")
    for authorities in (int(n) for n in args.authorities.split(",")):
        schema = f"bench_reports_{uuid.uuid4().hex[:8]}"
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(url, schema=schema)
        try:
            upgrade(engine)
            start = time.perf_counter()
            generate(engine, args.journeys, authorities, args.seed)
            generated = time.perf_counter() - start
            rows = measure(engine, "LA-800", args.repeat)
            print_table(f"{args.journeys:,} journeys over {authorities} "
                        f"authorit{'y' if authorities == 1 else 'ies'} (LA-800 holds "
                        f"{args.journeys // authorities:,}); generated in {generated:.0f} s; "
                        f"--repeat {args.repeat}; load average now "
                        f"{os.getloadavg()[0]:.2f}", rows)
        finally:
            engine.dispose()
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
