"""Reconciling a return submitted earlier with the one casetrack computes now.

Both sides are read under the same year's specification: each person's items become
``item path -> value`` (list entries keyed by their content: a request by its received
date, a placement or plan detail by rank and entry date, a need by rank), and every
path whose value differs, or exists on one side only, is a difference.
"""

from __future__ import annotations

from typing import Any

from application.sen2.spec import Module
from application.sen2.years import spec_for


class YearMismatchError(ValueError):
    """Raised when the two returns are for different collection years."""


def person_key(person: dict[str, Any]) -> str:
    """Match people by casetrack's id (JSON), then UPN, then name and birth date."""
    p = person.get("Person", {})
    if person.get("ref"):
        return str(person["ref"])
    if p.get("UPN"):
        return f"UPN {p['UPN']}"
    return f"{p.get('Surname', '')}|{p.get('Forename', '')}|{p.get('PersonBirthDate', '')}"


def _key(name: str, entry: dict[str, Any]) -> str:
    if name == "Requests":
        return f"ReceivedDate={entry.get('ReceivedDate', '')}"
    if name in ("PlanDetail", "PlacementDetail"):
        entry_date = entry.get("EntryDate")
        return f"rank={entry.get('PlacementRank', '')}" + (f"@{entry_date}" if entry_date
                                                             else "")
    if name == "SENneed":
        return f"rank={entry.get('SENtypeRank', '')}"
    return "?"


def flatten(person: dict[str, Any], module: Module) -> dict[str, str]:
    """Return ``item path -> value`` for one person under the year's person module."""
    items: dict[str, str] = {}

    def walk(prefix: str, values: dict[str, Any], module: Module) -> None:
        for name, value in values.items():
            child = module.child(name)
            if child is None:
                items[f"{prefix}{name}"] = str(value)
            elif isinstance(value, list):
                for entry in value:
                    walk(f"{prefix}{name}[{_key(name, entry)}].", entry, child)
            elif isinstance(value, dict):
                walk(f"{prefix}{name}.", value, child)

    values = dict(person.get("Person", {}))
    values["Requests"] = person.get("Requests", [])
    walk("", values, module)
    return items


def diff_returns(submitted: dict[str, Any], current: dict[str, Any]) -> list[dict[str, str]]:
    """List every difference by child and item: ``submitted`` against ``current``."""
    year = int(current["header"]["Year"])
    submitted_year = int(submitted.get("header", {}).get("Year") or year)
    if submitted_year != year:
        raise YearMismatchError(f"the submitted return is for {submitted_year}, not {year}")
    person_module = spec_for(year).person
    before = {person_key(p): p for p in submitted["persons"]}
    after = {person_key(p): p for p in current["persons"]}
    if not any(p.get("ref") for p in submitted["persons"]):
        # A submitted XML file has no casetrack ids: match the current return the same way.
        after = {person_key({k: v for k, v in p.items() if k != "ref"}): p
                 for p in current["persons"]}
    differences = []
    for key in sorted(set(before) | set(after)):
        if key not in after or key not in before:
            differences.append({"child": _name(key, after), "item": "(person)",
                                "submitted": "present" if key in before else "absent",
                                "now": "present" if key in after else "absent"})
            continue
        old, new = flatten(before[key], person_module), flatten(after[key], person_module)
        for item in sorted(set(old) | set(new)):
            if old.get(item) != new.get(item):
                differences.append({"child": _name(key, after), "item": item,
                                    "submitted": old.get(item, "(absent)"),
                                    "now": new.get(item, "(absent)")})
    return differences


def _name(key: str, current: dict[str, dict[str, Any]]) -> str:
    """Name a child by casetrack's id where the current return knows it."""
    person = current.get(key)
    return str(person["ref"]) if person and person.get("ref") else key
