"""Stratified random draws of children for an inspection, reproducible from a seed.

The population is every journey of the inspected authority, each placed in a stratum by
its journey as it stood on ``as_at`` (default: today): ``stage``, ``primary_need`` (rank
1 of the recorded needs, else the SEN-support needs, else ``none``), ``age_band``
(``application.queries.AGE_BANDS``; ``over-25``) and ``placement_type`` (the SENSetting
of the current placement, else the setting type the plan names, else ``school`` for a
placement by URN/UKPRN, else ``none``). The caller picks which of these dimensions
stratify the draw.

Allocation of ``size`` over strata: ``proportional`` (largest remainder, ties by label),
``equal`` (the same share each, topped up in label order), or explicit counts per
stratum label (``"age_band=5-10|stage=plan_issued"``). Within a stratum the children,
sorted by id, are sampled with ``random.Random(f"{seed}|{label}")``, so the draw depends
only on the seed, the parameters and the population; the population's size and a
SHA-256 digest of (child id, stratum) pairs are recorded with the selection so an
auditor can tell whether a re-run saw the same population (``reproduce``).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from application import access
from application.inspections import _inspection, inspection_view
from application.queries import AGE_BANDS
from application.sen2 import authority_logs
from domain.actors import Actor
from domain.ages import age_on
from domain.inspection import MAX_SELECTION, InspectionError
from domain.state import JourneyState, replay

if TYPE_CHECKING:
    from application.tracking import CaseTracking

DEFAULT_STRATA = ("stage", "primary_need", "age_band", "placement_type")
# ``send_status`` (ehc_plan, assessment_in_progress, sen_support) stratifies a draw from
# the framework's SEND list (``from_list``), so SEN Support children are drawn too.
DIMENSIONS = (*DEFAULT_STRATA, "send_status")
STRATIFIED = "stratified_random"
ALLOCATIONS = ("proportional", "equal")


def stratum_of(state: JourneyState, on: date) -> dict[str, str]:
    """Return the child's value on each stratifying dimension."""
    assert state.child is not None
    needs = state.plan.needs or (state.support.periods[-1].needs if state.support.periods
                                 else [])
    ranked = sorted((n for n in needs if isinstance(n, dict)),
                    key=lambda n: int(n["rank"]) if isinstance(n.get("rank"), int) else 99)
    age = age_on(state.child.date_of_birth, on)
    band = next((name for name, (low, high) in AGE_BANDS.items() if low <= age <= high),
                "over-25")
    current = sorted((p for p in state.plan.placements if p.covers(on)),
                     key=lambda p: (p.rank, p.start_on))
    plan = state.plan.current if state.plan.is_active else None
    if current and current[0].sen_setting:
        placement = current[0].sen_setting
    elif plan is not None and plan.setting_type:
        placement = plan.setting_type
    elif current:
        placement = "school"
    else:
        placement = "none"
    return {"stage": state.stage,
            "primary_need": str(ranked[0].get("code") or ranked[0].get("need") or "none")
            if ranked else "none",
            "age_band": band, "placement_type": placement}


def label(stratum: dict[str, str], dimensions: Sequence[str]) -> str:
    return "|".join(f"{d}={stratum[d]}" for d in sorted(dimensions))


def allocate(sizes: dict[str, int], size: int, allocation: str | dict[str, int]
             ) -> dict[str, int]:
    """Return how many to draw from each stratum (never more than it holds)."""
    if isinstance(allocation, dict):
        unknown = sorted(set(allocation) - set(sizes))
        if unknown:
            raise InspectionError("sample-stratum-unknown",
                                  f"no child is in stratum {unknown[0]!r}")
        return {s: min(int(allocation.get(s, 0)), n) for s, n in sizes.items()}
    total = sum(sizes.values())
    size = min(size, total)
    if total == 0:
        return {}
    if allocation == "equal":
        counts = dict.fromkeys(sizes, 0)
        while sum(counts.values()) < size:
            for stratum in sorted(sizes):
                if counts[stratum] < sizes[stratum] and sum(counts.values()) < size:
                    counts[stratum] += 1
        return counts
    quotas = {s: size * n / total for s, n in sizes.items()}
    counts = {s: int(q) for s, q in quotas.items()}
    order = sorted(sizes, key=lambda s: (-(quotas[s] - counts[s]), s))
    for stratum in order[: size - sum(counts.values())]:
        counts[stratum] += 1
    return counts


def draw(population: Iterable[tuple[UUID, dict[str, str]]], *, seed: str, size: int,
         dimensions: Sequence[str], allocation: str | dict[str, int] = "proportional"
         ) -> tuple[list[UUID], dict[str, Any]]:
    """Draw children from ``population``; return them and what to record about the draw."""
    members: dict[str, list[UUID]] = {}
    digest = hashlib.sha256()
    for child_id, stratum in sorted(population, key=lambda p: str(p[0])):
        key = label(stratum, dimensions)
        members.setdefault(key, []).append(child_id)
        digest.update(f"{child_id}:{key}\n".encode())
    counts = allocate({k: len(v) for k, v in members.items()}, size, allocation)
    chosen: list[UUID] = []
    for key in sorted(members):
        if counts.get(key):
            rng = random.Random(f"{seed}|{key}")
            chosen.extend(rng.sample(members[key], counts[key]))
    return chosen, {
        "seed": seed, "size": size, "strata": sorted(dimensions),
        "allocation": allocation if isinstance(allocation, str) else "explicit",
        "per_stratum": {k: {"population": len(members[k]), "drawn": counts.get(k, 0)}
                        for k in sorted(members)},
        "population_size": sum(len(v) for v in members.values()),
        "population_sha256": digest.hexdigest(),
    }


def population(app: CaseTracking, authority: str, on: date, from_list: str | None = None
               ) -> list[tuple[UUID, dict[str, str]]]:
    """Return every journey of the authority with its stratum; with ``from_list``, only
    the children on the framework's SEND list as at ``on`` in that theme
    (``application.send_list``), each with its ``send_status`` too."""
    if from_list is None:
        return [(child_id, stratum_of(replay(log, as_at=on), on))
                for child_id, log in authority_logs(app, authority)]
    from application.send_list import in_theme, list_rows

    return [(child_id, stratum_of(state, on) | {"send_status": row["send_status"]})
            for child_id, state, row in list_rows(authority_logs(app, authority), on)
            if in_theme(row, from_list)]


def draw_sample(app: CaseTracking, inspection_id: UUID, *, actor: Actor, seed: str,
                size: int, strata: Sequence[str] = DEFAULT_STRATA,
                allocation: str | dict[str, int] = "proportional", as_at: date | None = None,
                theme: str | None = None, from_list: str | None = None) -> dict[str, Any]:
    """Select children into the inspection's sample by a stratified random draw."""
    from eventsourcing.persistence import IntegrityError

    from application.errors import ConcurrentWriteError

    inspection = _inspection(app, inspection_id)
    access.check_may_select(actor, inspection.authority, inspection.inspectorate)
    if not 1 <= size <= MAX_SELECTION:
        raise InspectionError("sample-too-large", f"draw between 1 and {MAX_SELECTION}")
    unknown = sorted(set(strata) - set(DIMENSIONS))
    if unknown or not strata:
        raise InspectionError("sample-strata-unknown",
                              f"strata are some of {', '.join(DIMENSIONS)}")
    if "send_status" in strata and from_list is None:
        raise InspectionError("sample-strata-unknown",
                              "send_status stratifies a draw from the SEND list (from_list)")
    on = as_at or app.today()
    chosen, parameters = draw(population(app, inspection.authority, on, from_list), seed=seed,
                              size=size, dimensions=strata, allocation=allocation)
    if not chosen:
        raise InspectionError("sample-empty", "the draw found no children to select")
    parameters |= {"as_at": on.isoformat(), "drawn": [str(c) for c in chosen]}
    if from_list is not None:
        parameters["from_list"] = from_list
    if isinstance(allocation, dict):
        parameters["allocation_counts"] = dict(sorted(allocation.items()))
    inspection.select(chosen, theme=theme, actor=actor, today=app.today(), method=STRATIFIED,
                      parameters=parameters)
    try:
        app.save(inspection)
    except IntegrityError:
        raise ConcurrentWriteError("the inspection changed while selecting") from None
    return inspection_view(inspection, app.today())


def reproduce(app: CaseTracking, inspection_id: UUID, selection: int, *, actor: Actor
              ) -> dict[str, Any]:
    """Re-run a recorded stratified draw; say whether the population and the draw match."""
    inspection = _inspection(app, inspection_id)
    access.check_may_view_inspection(actor, inspection.authority, inspection.inspectorate)
    recorded = inspection.selections[selection]
    if recorded["method"] != STRATIFIED:
        raise InspectionError("sample-not-drawn", "that selection was not a random draw")
    p = recorded["parameters"]
    allocation = p.get("allocation_counts") or p["allocation"]
    chosen, again = draw(population(app, inspection.authority, date.fromisoformat(p["as_at"]),
                                    p.get("from_list")),
                         seed=p["seed"], size=p["size"], dimensions=p["strata"],
                         allocation=allocation)
    return {"same_population": again["population_sha256"] == p["population_sha256"],
            "same_children": [str(c) for c in chosen] == p["drawn"],
            "drawn": [str(c) for c in chosen], "recorded": p["drawn"]}
