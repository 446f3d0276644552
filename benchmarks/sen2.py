"""SEN2 export benchmark (issue 7): the time to compute and write a year's return.

    python -m benchmarks.sen2 [--journeys N] [--store sqlite|postgres|both]

Generates N synthetic journeys of one authority (made-up dates only): about 60% reach a
final plan with a placement and ranked needs (about 20 events each), 20% are refused,
10% withdrawn, 10% still awaiting a decision; then times ``sen2_return`` for 2025 and
``to_xml``. PostgreSQL uses CASETRACK_TEST_POSTGRES_URL and a database of its own,
dropped after. Prints a table.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from application.sen2 import Sen2Policy, authority_logs, sen2_return, to_xml
from application.tracking import CaseTracking
from domain.actors import Actor
from domain.journey import ChildJourney

AUTHORITY = "LA-901"
TODAY = date(2025, 1, 31)
NOTICE = ["appeal_rights", "time_limits", "mediation", "disagreement_resolution",
          "information_advice"]
SECTIONS = {"A": "Likes music.", "B": [{"need": "SLCN", "description": "Language delay"}],
            "F": [{"need": "SLCN", "provision": "Therapy weekly", "quantified": True,
                   "pfa": "employment"}]}
NEEDS = ("SLCN", "ASD", "SEMH", "MLD", "SPLD", "PD")


def _journey(number: int, rng: random.Random, actor: Actor) -> ChildJourney:
    received = date(2024, 1, 2) + timedelta(days=rng.randrange(200))
    journey = ChildJourney.register(
        authority=AUTHORITY, actor=actor, occurred_on=received - timedelta(days=1),
        today=TODAY, date_of_birth=date(2012 + rng.randrange(8), rng.randrange(1, 13),
                                        rng.randrange(1, 29)), sex=rng.choice("FM"))

    def record(type_name: str, days: int, **payload: Any) -> int:
        journey.record(type_name, payload, actor=actor,
                       occurred_on=received + timedelta(days=days), today=TODAY)
        return journey.version

    record("EHCNeedsAssessmentRequested", 0, requester_role="Parent", request_source="1")
    kind = number % 10
    if kind in (0, 1):
        record("DecisionNotToAssessMade", 40, reasons="SEN support", notice_includes=NOTICE)
        return journey
    if kind == 2:
        record("AssessmentRequestWithdrawn", 20, withdrawn_by="parent", reason="moved")
        return journey
    if kind == 3:
        return journey
    record("DecisionToAssessMade", 35, assessment_test_met=True, reasons="May need a plan")
    versions = {}
    for advice, extra in (("Parent", {}), ("Educational", {}),
                          ("Medical", {"adviser_identified_by_icb": True}),
                          ("Psychological", {"adviser_is_educational_psychologist": True})):
        versions[advice] = record("AdviceRequested", 37, advice_type=advice,
                                  recipient_org="org",
                                  received_by_adviser_on=received + timedelta(days=37),
                                  **extra)
    record("ExistingAdviceAdopted", 37, advice_type="SocialCare", document_ref="d",
           adviser="sc", adviser_agreed=True, la_agreed=True, family_agreed=True)
    back = 70 + rng.randrange(30)
    for advice, version in versions.items():
        record("AdviceReceived", back, advice_request_id=f"advice-{version}", author=advice,
               document_ref="d")
    if rng.random() < 0.2:
        record("TimescaleExceptionClaimed", back, clock="K4",
               ground="exceptional_personal_circumstances",
               period_from=received + timedelta(days=back - 5),
               period_to=received + timedelta(days=back), family_informed=True)
    record("DecisionToIssuePlanMade", back + 5, necessity_reasons="Needed")
    record("DraftPlanIssued", back + 6, sections=SECTIONS | {"I": {}})
    final = back + 22 + rng.randrange(60)
    record("FinalPlanIssued", final, sections=SECTIONS | {"I": {
        "setting_ref": f"urn-{100000 + number % 500}", "setting_type": "MAINSTREAM_LA"}},
        notice_includes=NOTICE, recipients=["family", "icb", "setting"])
    record("PlacementStarted", final + 7, urn=str(100000 + number % 500), rank=1)
    needs = rng.sample(NEEDS, 2)
    record("NeedsRecorded", final + 7, needs=[{"code": needs[0], "rank": 1},
                                              {"code": needs[1], "rank": 2}])
    return journey


def generate(app: CaseTracking, journeys: int, *, seed: int = 7, batch: int = 200) -> int:
    """Save the cohort; return the number of events stored."""
    rng = random.Random(seed)
    actor = Actor("bench", "caseworker", AUTHORITY)
    pending: list[ChildJourney] = []
    events = 0
    for number in range(journeys):
        journey = _journey(number, rng, actor)
        events += journey.version
        pending.append(journey)
        if len(pending) >= batch:
            app.save(*pending)
            pending.clear()
    if pending:
        app.save(*pending)
    return events


@contextmanager
def store(kind: str, data_dir: Path) -> Iterator[tuple[dict[str, str], str | None]]:
    """Yield the event store's settings and its URL (None for SQLite)."""
    from infrastructure.persistence import event_store_env

    if kind == "sqlite":
        yield event_store_env(None, data_dir), None
        return
    from tests.postgres import fresh_database

    server = os.environ.get("CASETRACK_TEST_POSTGRES_URL",
                            "postgresql://postgres@127.0.0.1:5432/postgres")
    with fresh_database(server) as url:
        yield event_store_env(url, data_dir), url


def read_only(app: CaseTracking) -> int:
    """The baseline: read every stored event of the authority's journeys and decode it,
    with the export's readers, but fold nothing and build no record."""
    return sum(len(log) for _, log in authority_logs(app, AUTHORITY))


def project_cohort(env: dict[str, str], url: str | None, data_dir: Path) -> float:
    """Rebuild the cohort read model from the whole log (the catch-up a new server does)."""
    from infrastructure.migrations import upgrade
    from infrastructure.projections import ReadModelDatabase, rebuild

    database = ReadModelDatabase.beside(url, data_dir)
    engine = database.engine()
    try:
        upgrade(engine)
        started = time.perf_counter()
        rebuild("cohort", application_class=CaseTracking, event_store_env=env, engine=engine,
                today=lambda: TODAY)
        return time.perf_counter() - started
    finally:
        engine.dispose()


def run(kind: str, journeys: int, *, projection: bool = False) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, store(kind, Path(tmp)) as (env, url):
        app = CaseTracking(env=env, today=lambda: TODAY)
        try:
            started = time.perf_counter()
            events = generate(app, journeys)
            generated = time.perf_counter() - started
            started = time.perf_counter()
            read_only(app)
            baseline = time.perf_counter() - started
            started = time.perf_counter()
            result = sen2_return(app, year=2025, authority=AUTHORITY,
                                 policy=Sen2Policy(la_numbers={AUTHORITY: "901"}))
            computed = time.perf_counter() - started
            started = time.perf_counter()
            xml = to_xml(result)
            written = time.perf_counter() - started
        finally:
            app.close()
        projected = project_cohort(env, url, Path(tmp)) if projection else None
    return {"store": kind, "journeys": journeys, "events": events,
            "generate_s": generated, "persons": len(result.persons),
            "read_only_s": baseline, "export_s": computed,
            "vs_read_only": computed / baseline if baseline else float("nan"),
            "ms_per_journey": computed * 1000 / journeys, "xml_s": written,
            "xml_mb": len(xml) / 1e6, "new_plans": result.summary["new_plans"],
            "cohort_rebuild_s": projected if projected is not None else "-",
            "rebuild_events_per_s": events / projected if projected else "-"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=2000)
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--projection", action="store_true",
                        help="also time rebuilding the cohort read model from the same log")
    args = parser.parse_args()
    kinds = ("sqlite", "postgres") if args.store == "both" else (args.store,)
    rows = [run(kind, args.journeys, projection=args.projection) for kind in kinds]
    columns = ("store", "journeys", "events", "persons", "new_plans", "generate_s",
               "read_only_s", "export_s", "vs_read_only", "ms_per_journey", "xml_s",
               "xml_mb", "cohort_rebuild_s", "rebuild_events_per_s")
    print(" | ".join(f"{c:>14}" for c in columns))
    print("-|-".join("-" * 14 for _ in columns))
    for row in rows:
        print(" | ".join(f"{row[c]:>14.3f}" if isinstance(row[c], float) else f"{row[c]:>14}"
                         for c in columns))


if __name__ == "__main__":
    main()
