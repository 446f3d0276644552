"""Reference data (DfE code lists and the like), versioned with effective dates.

Code lists change (NSA 2014, SEMH 2015, DS 2025, review outcomes 2024); each event keeps
the version it was recorded under, and a new list is a new version, never an edit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache


@dataclass(frozen=True)
class ReferenceData:
    """One version of every code list, in force from a date."""

    version: str
    in_force_from: date
    lists: Mapping[str, Mapping[str, str]]

    def codes(self, list_name: str) -> Mapping[str, str]:
        return self.lists[list_name]

    def has(self, list_name: str, code: str) -> bool:
        return code in self.lists.get(list_name, {})


_NEEDS_2015 = {
    "SPLD": "Specific learning difficulty",
    "MLD": "Moderate learning difficulty",
    "SLD": "Severe learning difficulty",
    "PMLD": "Profound and multiple learning difficulty",
    "SEMH": "Social, emotional and mental health",
    "SLCN": "Speech, language and communication needs",
    "ASD": "Autistic spectrum disorder",
    "HI": "Hearing impairment",
    "VI": "Visual impairment",
    "MSI": "Multi-sensory impairment",
    "PD": "Physical disability",
    "OTH": "Other difficulty or disability",
    "NSA": "SEN support but no specialist assessment of type of need",
}

_REQUEST_SOURCES = {
    "1": "Young person or parent",
    "2": "School or other education setting",
    "3": "Health care professional",
    "4": "Social care professional",
    "5": "Other",
}

_REQUESTER_ROLES = {
    "Parent": "The child's parent",
    "YoungPerson": "The young person (over compulsory school age, under 25)",
    "SchoolOrPost16OnBehalf": "A school or post-16 institution on the child's behalf",
    "DetainedPerson": "A detained person or their parent (relevant youth accommodation)",
}

_SETTING_TYPES = {
    "MAINSTREAM_LA": "Mainstream school, LA maintained",
    "MAINSTREAM_LA_RP": "Mainstream school, LA maintained, resourced provision",
    "MAINSTREAM_LA_UNIT": "Mainstream school, LA maintained, SEN unit",
    "MAINSTREAM_ACADEMY": "Mainstream academy",
    "MAINSTREAM_ACADEMY_RP": "Mainstream academy, resourced provision",
    "MAINSTREAM_ACADEMY_UNIT": "Mainstream academy, SEN unit",
    "MAINSTREAM_FREE": "Mainstream free school",
    "MAINSTREAM_INDEPENDENT": "Independent mainstream school",
    "SPECIAL_LA": "Special school, LA maintained",
    "SPECIAL_ACADEMY": "Special academy or free school",
    "SPECIAL_INDEPENDENT": "Independent special school",
    "SPECIAL_NON_MAINTAINED": "Non-maintained special school",
    "AP_LA": "Alternative provision or pupil referral unit, LA maintained",
    "AP_ACADEMY": "Alternative provision academy",
    "AP_FREE": "Alternative provision free school",
    "HOSPITAL": "Hospital school",
    "FE_COLLEGE": "General FE or tertiary college",
    "SPECIALIST_POST16": "Specialist post-16 institution",
    "OTHER_UKRLP": "Other UKRLP-registered provider",
    "WORK_BASED": "Work-based setting (apprenticeship, supported internship, traineeship)",
    "EARLY_YEARS_PVI": "Early years provider (private, voluntary or independent)",
    "EHE": "Elective home education",
    "OLA": "Other arrangements made by the local authority (EOTAS)",
    "OPA": "Other arrangements made by parents",
    "ONLINE": "Online provider",
    "OTH": "Other school or placement",
    "NEET": "Not in education, employment or training",
    "AWAITING": "Awaiting provision",
}

_CEASE_REASONS = {
    "1": "Reached maximum age",
    "2": "Needs met without an EHC plan",
    "3": "Moved to higher education",
    "4": "Moved to paid employment or apprenticeship",
    "5": "Transferred to another local authority",
    "6": "Young person no longer wishes to engage in education or training",
    "7": "Moved outside England",
    "8": "Deceased",
    "9": "Other",
}

REFERENCE_VERSIONS: tuple[ReferenceData, ...] = (
    ReferenceData(
        version="2015.1",
        in_force_from=date(2015, 1, 1),
        lists={
            "needs": _NEEDS_2015,
            "request_sources": _REQUEST_SOURCES,
            "requester_roles": _REQUESTER_ROLES,
            "setting_types": _SETTING_TYPES,
            "cease_reasons": _CEASE_REASONS,
        },
    ),
    ReferenceData(
        version="2025.1",
        in_force_from=date(2025, 1, 1),
        lists={
            "needs": _NEEDS_2015 | {"DS": "Down syndrome"},
            "request_sources": _REQUEST_SOURCES,
            "requester_roles": _REQUESTER_ROLES,
            "setting_types": _SETTING_TYPES,
            "cease_reasons": _CEASE_REASONS,
        },
    ),
)
_BY_VERSION = {ref.version: ref for ref in REFERENCE_VERSIONS}


def reference_on(day: date) -> ReferenceData:
    """Return the reference data in force on ``day`` (the earliest for older days)."""
    in_force = [ref for ref in REFERENCE_VERSIONS if ref.in_force_from <= day]
    return in_force[-1] if in_force else REFERENCE_VERSIONS[0]


def reference_version(version: str) -> ReferenceData:
    """Return the reference data recorded as ``version`` (the current one if unknown)."""
    return _BY_VERSION.get(version, REFERENCE_VERSIONS[-1])


@cache
def codes_ever(list_name: str) -> frozenset[str]:
    """Return every code the list has held in any version (what a filter may name): the
    versions are fixed when this module is imported, so each list's is made once (each
    write's code checks read it; issue 17)."""
    return frozenset(code for ref in REFERENCE_VERSIONS for code in ref.lists.get(list_name, {}))


def list_path(list_name: str) -> str:
    """Return where a code list is served over HTTP, so a refusal can say where to look."""
    return f"/reference/{list_name}"


def list_names() -> tuple[str, ...]:
    """Return the names of every code list any version holds, sorted."""
    return tuple(sorted({name for ref in REFERENCE_VERSIONS for name in ref.lists}))


def in_force_until(ref: ReferenceData) -> date | None:
    """Return the last day ``ref`` is in force (the day before the next version), or None
    while it is the newest."""
    later = [other.in_force_from for other in REFERENCE_VERSIONS
             if other.in_force_from > ref.in_force_from]
    return min(later) - timedelta(days=1) if later else None
