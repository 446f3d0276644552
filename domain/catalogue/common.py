"""Checks several catalogue groups share."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from domain.clocks import CLOCK_SPECS
from domain.code_lists import domain_list, reference_list
from domain.errors import RuleViolationError
from domain.record_ids import record_kind
from domain.reference import list_path, reference_version
from domain.rules import RULE_SETS, Rule, rule

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
# Who a decision's notice or a plan goes to (regs 13(2), 22(4), 31(2)-(3)): the family
# (parent or young person), the named setting ("institution" in reg 31), the ICB.
NOTICE_RECIPIENTS = frozenset({"family", "setting", "institution", "icb"})

# The code lists the catalogue's fields take (domain.code_lists): the reference lists,
# versioned by date, and the lists the domain defines here.
NEEDS = reference_list("needs")
REQUEST_SOURCES = reference_list("request_sources")
REQUESTER_ROLES = reference_list("requester_roles")
SETTING_TYPES = reference_list("setting_types")
CEASE_REASONS = reference_list("cease_reasons")
NOTICE_CONTENTS = domain_list(
    "notice_contents", lambda: APPEAL_NOTICE_CONTENT,
    "what an appealable decision's notice tells the family; every one is required")
EXCEPTION_GROUNDS = domain_list(
    "exception_grounds", lambda: {ground for rule_set in RULE_SETS
                                  for grounds in rule_set.exception_grounds.values()
                                  for ground in grounds},
    "the grounds any rule set allows for a late step; which clock a ground fits is a rule")
CLOCK_IDS = domain_list("clocks", lambda: CLOCK_SPECS, "the statutory clocks (K1, K2, ...)")
RECIPIENTS = domain_list(
    "notice_recipients", lambda: NOTICE_RECIPIENTS,
    "who a notice or plan was sent to")


DECISION = record_kind(
    "decision_id", "decision",
    "an appealable decision (a refusal to assess or to issue a plan, a plan's "
    "content, an amendment, ceasing); mediation and appeals name it")
ASSESSMENT_REQUEST = record_kind(
    "assessment_request_id", "request",
    "an assessment request, or the work a tribunal ordered; its clocks and exception "
    "claims name it as their episode")


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
