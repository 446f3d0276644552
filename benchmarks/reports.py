"""Benchmark the reports (issue 7): the area picture and three thematic questions.

Generates a synthetic cohort straight into the cohort read-model tables of a fresh
PostgreSQL schema (rows shaped as ``infrastructure.cohort.cohort_rows`` writes them: a
child, a request, its K1/K2/K4 clock facts, a placement, a review clock), then times
each report ``--repeat`` times and prints p50 and p99. It measures the read path of the
reports, not the projection (benchmarks/read_path.py covers projecting).

    .venv/bin/python -m benchmarks.reports --journeys 100000 \
        --url postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert, text

from application.reports import Cohort, answer, area_picture
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--journeys", type=int, default=20_000)
    parser.add_argument("--authorities", type=int, default=1,
                        help="spread the journeys over this many authorities (reports ask "
                             "one authority; 1 is the worst case)")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    schema = f"bench_reports_{uuid.uuid4().hex[:8]}"
    admin = make_engine(args.url.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(args.url.replace("postgresql://", "postgresql+psycopg://", 1),
                         schema=schema)
    try:
        upgrade(engine)
        start = time.perf_counter()
        generate(engine, args.journeys, args.authorities, args.seed)
        print(f"generated {args.journeys} journeys over {args.authorities} authorities in "
              f"{time.perf_counter() - start:.1f} s (schema {schema})")
        store = SQLCohortReports(engine)
        cohort = Cohort(authority="LA-800", as_at=date(2025, 1, 31),
                        period_from=date(2024, 1, 1), period_to=date(2024, 12, 31))
        cases = {
            "area picture 2024": lambda: area_picture(store, "LA-800", 2024,
                                                      as_at=date(2025, 6, 30)),
            "timeliness by primary need": lambda: answer(
                store, "timeliness", Cohort(**{**cohort.__dict__,
                                               "breakdown": "primary_need"})),
            "advice by adviser type": lambda: answer(
                store, "advice", Cohort(**{**cohort.__dict__, "breakdown": "adviser_type"})),
            "annual reviews overdue": lambda: answer(store, "reviews-overdue", cohort),
        }
        print(f"{'report':32} {'p50 s':>8} {'p99 s':>8}")
        for name, fn in cases.items():
            p50, p99 = timed(fn, args.repeat)
            print(f"{name:32} {p50:8.3f} {p99:8.3f}")
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
