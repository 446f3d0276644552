"""Checks several catalogue groups share."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from domain.errors import RuleViolationError
from domain.reference import list_path, reference_version
from domain.rules import Rule, rule

UNKNOWN_CODE = rule(
    "code-not-in-reference-data", "SEN2 technical specification; casetrack reference data",
    "Codes (needs, settings, request sources, cease reasons) come from the reference "
    "data version the event was recorded under.")
DATE_ORDER = rule(
    "dates-out-of-order", "casetrack journey rule (dates within one event)",
    "A later step within one event cannot be dated before the earlier one.")

APPEAL_NOTICE_CONTENT = frozenset({
    "appeal_rights", "time_limits", "mediation", "disagreement_resolution",
    "information_advice",
})


def check(condition: bool, violated: Rule, detail: str) -> None:
    """Raise ``RuleViolationError`` for ``violated`` unless ``condition`` holds."""
    if not condition:
        raise RuleViolationError(violated, detail)


def check_code(ref_version: str, list_name: str, code: str, field_name: str) -> None:
    """Check ``code`` is in ``list_name`` of the reference data version recorded."""
    check(reference_version(ref_version).has(list_name, code), UNKNOWN_CODE,
          f"{field_name} {code!r} is not in the {list_name} list ({ref_version or 'current'}; "
          f"its codes: {list_path(list_name)})")


def check_codes(ref_version: str, list_name: str, codes: Iterable[str], field_name: str) -> None:
    for code in codes:
        check_code(ref_version, list_name, code, field_name)


def check_not_before(later: date | None, earlier: date, later_name: str, earlier_name: str) -> None:
    if later is not None:
        check(later >= earlier, DATE_ORDER, f"{later_name} ({later}) is before {earlier_name} "
              f"({earlier})")


def check_notice_content(included: Iterable[str], violated: Rule) -> None:
    """Check an appealable decision's notice carries the content the law requires."""
    missing = sorted(APPEAL_NOTICE_CONTENT - set(included))
    check(not missing, violated, "the notice must include: " + ", ".join(missing))
