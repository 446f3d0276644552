"""Personal data in a journey: which event fields are free text about the child, the
shape of sealed (encrypted) text, and the checks on a child's identifiers.

The domain never encrypts or decrypts. It knows only that a free-text field may hold
*sealed* text (``sealed:v1:<characters>:<ciphertext>``) put there by the application
with the child's own key, so that its rules on text (blank or not, at most so many
characters, equal or not) give the same answer on sealed text as on the clear text:
blank text is never sealed, the clear length travels with the seal, and the same text
of one child seals to the same value.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable
from typing import Any

from domain.events import JourneyEvent, payload_fields

SEALED_PREFIX = "sealed:v1:"
_SEALED = re.compile(r"^sealed:v1:(\d{1,7}):[A-Za-z0-9_-]+={0,2}$")

# Free text about the child (and about the people around them): decided by field name,
# for fields typed str, str | None or list[str]. A Literal-typed field of the same name
# holds a code and is never sealed. tests/unit/test_personal_data_fields.py makes every
# new text field be classified here or in NOT_FREE_TEXT.
FREE_TEXT = frozenset({
    "reason", "reasons", "necessity_reasons", "notes", "summary", "progress_summary",
    "outcome", "outcomes", "terms", "remedy", "description", "comments",
    "recommendations", "disagreements", "recommended_provision", "health_provision_sought",
    "intervention", "interventions", "external_advice", "attendees", "invitees",
    "recipient_person", "author", "adviser",
    # References to documents are often named after the child ("Jo Bloggs EP report"):
    # sealed too (issue 12.4).
    "document_ref", "document_refs", "documents", "documents_sent", "evidence_refs",
    "text_ref",
    # A document's title ("EP advice for <name>"), as an evidence item's is.
    "title",
})

# Text fields that hold codes, references, organisation names or roles: not sealed.
NOT_FREE_TEXT = frozenset({
    "advice_request_id", "ground", "recipient", "recipient_org", "sections_changed",
    "notice_includes", "named_setting", "setting_type", "recipients", "plan_version",
    "tribunal_ref", "decision_id", "appeal_type", "withdrawn_by",
    "review_id", "brought_by", "authority", "case_ref", "sex", "ethnicity", "complaint_ref",
    "scope", "target_ref", "comments_ref", "capacity_decision_ref", "panel_ref",
    "agreed_provision", "conditions_met", "service_method", "schools_info_ref",
    "request_source", "requester_role", "requester_ref", "channel", "consent_to_share", "provider",
    "author_role", "referral_id", "condition_code", "icb", "dco_ref",
    "referrer", "shared_by", "parties", "agreement_ref", "new_la", "ombudsman_ref",
    "named_setting_ref", "placement_id", "setting_ref", "setting_name", "urn", "ukprn",
    "cease_reason", "old_la", "sen2_transfer_la", "item", "old_body", "new_body",
    "setting_urn", "maintaining_la", "request_ref",
    "exemptions_applied", "clock", "phase", "episode", "claim_id", "decision_ref",
    "obligation_id", "step_id", "recommendation_id", "notifying_body", "hold_ref",
    "sections",
    "assigned_to", "assigned_organisation", "mediator_ref", "setting_la",
    "document_id", "sha256",
})

SEALABLE_KINDS = ("text", "optional text", "text list")

# Every event's evidence items (``JourneyEvent.evidence``): a document's title and
# reference are free text about the child; its SHA-256 is a fingerprint, not readable.
EVIDENCE_FREE_TEXT = frozenset({"title", "document_ref"})
EVIDENCE_CODES = frozenset({"sha256"})

# Structured fields (plan sections, needs, proposed amendments, advice that could not be
# had, the agreed section G): objects and lists whose string leaves are free text about
# the child and sealed - section A's views, B's need descriptions, E's outcomes, F's and
# G's provision, an amendment's change - *except* under the keys in STRUCTURED_CODES,
# which hold codes, references and organisations that the rules, read models, SEN2 and
# reports read. Unknown keys are sealed (deny by default).
# tests/unit/test_personal_data_fields.py makes every dict- or Any-typed field be listed
# here or in NOT_STRUCTURED, and every key of the example journeys' structures be in
# STRUCTURED_CODES or STRUCTURED_FREE_TEXT.
STRUCTURED_FIELDS = frozenset({
    "sections", "needs", "proposed_amendments", "advice_unobtainable", "section_g",
})
# A correction's changes are sealed by the corrected event's own fields.
NOT_STRUCTURED = frozenset({"changes"})
STRUCTURED_CODES = frozenset({
    "need", "code", "rank", "pfa", "section", "setting_ref", "setting_name", "setting_type",
    "urn", "ukprn", "commissioner", "icb", "advice_type", "independent_advice_ref",
    "service", "therapy", "profession", "quantified", "provider",
    # Plan sections' codes, numbers and dates (web.plan_sections).
    "hours", "frequency", "group_size", "amount", "arrangement", "received_on",
})
STRUCTURED_FREE_TEXT = frozenset({
    "A", "C", "D", "E", "G", "H1", "H2", "J", "K", "description", "outcome", "provision",
    "change", "reason", "notes", "views", "aspirations",
    # Plan sections' words (web.plan_sections): sealed like the rest of a plan's text.
    "interests", "history", "timescale", "shorter_term_targets", "delivered_by", "title",
    "author", "document_ref", "advice",
})


def text_kind(annotation: Any) -> str | None:
    """Return how a field holds text (``text``, ``optional text``, ``text list``), if it does."""
    if annotation is str:
        return "text"
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        arms = [a for a in typing.get_args(annotation) if a is not type(None)]
        return "optional text" if arms == [str] else None
    if origin in (list, tuple) and typing.get_args(annotation) == (str,):
        return "text list"
    return None


def free_text_fields(cls: type[JourneyEvent]) -> tuple[str, ...]:
    """Return the names of ``cls``'s fields that hold free text to be sealed."""
    return tuple(name for name, (annotation, _) in payload_fields(cls).items()
                 if name in FREE_TEXT and text_kind(annotation) is not None)


def structured_fields(cls: type[JourneyEvent]) -> tuple[str, ...]:
    """Return the names of ``cls``'s structured fields whose text leaves are sealed."""
    return tuple(name for name, (annotation, _) in payload_fields(cls).items()
                 if name in STRUCTURED_FIELDS and is_structured(annotation))


def is_structured(annotation: Any) -> bool:
    """Tell whether a field is typed as an object, a list of objects, or ``Any``."""
    if annotation is Any or typing.get_origin(annotation) is dict:
        return True
    if typing.get_origin(annotation) in (list, tuple):
        return any(is_structured(arm) for arm in typing.get_args(annotation))
    if typing.get_origin(annotation) in (types.UnionType, typing.Union):
        return any(is_structured(arm) for arm in typing.get_args(annotation))
    return False


def map_free_text(value: Any, change: Callable[[str], str], key: str | None = None) -> Any:
    """Return a structure with ``change`` applied to each string leaf that is free text:
    every leaf not under a key of ``STRUCTURED_CODES`` (object keys are never changed)."""
    if isinstance(value, dict):
        return {k: map_free_text(v, change, k) for k, v in value.items()}
    if isinstance(value, list):
        return [map_free_text(v, change, key) for v in value]
    if isinstance(value, str) and key not in STRUCTURED_CODES:
        return change(value)
    return value


def is_blank(text: str) -> bool:
    return not text.strip()


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and _SEALED.match(value) is not None


def seal_format(length: int, ciphertext_b64: str) -> str:
    """Return sealed text for a ciphertext of clear text ``length`` characters long."""
    return f"{SEALED_PREFIX}{length}:{ciphertext_b64}"


def sealed_parts(value: str) -> tuple[int, str]:
    """Return a sealed text's clear length and its ciphertext (base64url)."""
    match = _SEALED.match(value)
    if match is None:
        raise ValueError("not sealed text")
    return int(match.group(1)), value.rsplit(":", 1)[1]


def text_length(value: str) -> int:
    """Return the length in characters of ``value``'s clear text, sealed or not."""
    return sealed_parts(value)[0] if is_sealed(value) else len(value)


# Identifiers (kept in the personal-data vault, never in events).

IDENTIFIER_FIELDS = ("given_name", "family_name", "address", "postcode", "upn", "uln",
                     "nhs_number")

_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_POSTCODE = re.compile(r"^(GIR 0AA|[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2})$")


def normal_postcode(value: str) -> str:
    """Return a postcode upper-cased with one space before the inward code."""
    compact = re.sub(r"\s+", "", value).upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


def postcode_is_valid(value: str) -> bool:
    """Tell whether ``value`` has the shape of a UK postcode (not whether it exists)."""
    return _POSTCODE.match(normal_postcode(value)) is not None


def upn_check_letter(body: str) -> str:
    """Return the check letter of a UPN's last 12 characters (DfE UPN guidance)."""
    total = 0
    for weight, char in enumerate(body, start=2):
        total += weight * (int(char) if char.isdigit() else _UPN_LETTERS.index(char))
    return _UPN_LETTERS[total % 23]


def upn_is_valid(value: str) -> bool:
    """Tell whether ``value`` is a UPN: check letter, 11 digits, then a digit or a letter
    (a temporary UPN), with the right check letter."""
    if not re.fullmatch(r"[A-HJ-NP-RT-Z][0-9]{11}[0-9A-HJ-NP-RT-Z]", value):
        return False
    return upn_check_letter(value[1:]) == value[0]


def uln_is_valid(value: str) -> bool:
    """Tell whether ``value`` is a ULN: ten digits, the first not zero, with its check digit
    (weights 10..2 on the first nine; 10 minus the remainder mod 11)."""
    if not re.fullmatch(r"[1-9][0-9]{9}", value):
        return False
    remainder = sum(int(d) * w for d, w in zip(value[:9], range(10, 1, -1), strict=True)) % 11
    return remainder != 0 and 10 - remainder == int(value[9])


def nhs_number_check_digit(first_nine: str) -> int | None:
    """Return the modulus 11 check digit of an NHS number's first nine digits (None: invalid)."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def normal_nhs_number(value: str) -> str:
    return re.sub(r"[\s-]", "", value)


def nhs_number_is_valid(value: str) -> bool:
    """Tell whether ``value`` is ten digits (spaces allowed) with a valid check digit."""
    digits = normal_nhs_number(value)
    if not re.fullmatch(r"[0-9]{10}", digits):
        return False
    return nhs_number_check_digit(digits[:9]) == int(digits[9])
