"""Which event fields hold free text, sealed text's shape, and the identifier checks."""

from __future__ import annotations

import typing
from typing import Any

import pytest

import domain.journey  # noqa: F401  (registers every event type)
from domain.catalogue.voice import SUMMARY_LIMIT
from domain.events import EVENT_TYPES, JourneyEvent, payload_fields
from domain.personal_data import (
    EVIDENCE_CODES,
    EVIDENCE_FREE_TEXT,
    FREE_TEXT,
    NOT_FREE_TEXT,
    NOT_STRUCTURED,
    STRUCTURED_CODES,
    STRUCTURED_FIELDS,
    STRUCTURED_FREE_TEXT,
    free_text_fields,
    is_structured,
    map_free_text,
    nhs_number_check_digit,
    nhs_number_is_valid,
    postcode_is_valid,
    seal_format,
    structured_fields,
    text_kind,
    text_length,
    uln_is_valid,
    upn_check_letter,
    upn_is_valid,
)
from tests.e2e.journeys import JOURNEYS


def test_every_text_field_of_every_event_type_is_classified() -> None:
    unclassified = sorted(
        f"{name}.{field}" for name, cls in EVENT_TYPES.items()
        for field, (annotation, _) in payload_fields(cls).items()
        if text_kind(annotation) is not None and field not in FREE_TEXT | NOT_FREE_TEXT)
    assert unclassified == []


def _holds_text(annotation: object) -> bool:
    """Tell whether a field's type can hold a string at any depth (codes excepted)."""
    origin = typing.get_origin(annotation)
    if annotation is str or annotation is Any:
        return True
    if origin is typing.Literal:
        return False
    return any(_holds_text(arm) for arm in typing.get_args(annotation))


def test_every_field_holding_text_at_any_depth_is_sealed_or_classified_not_free() -> None:
    """Issue 12.4: a string anywhere in an event is free text (sealed) or classified as
    not free text; a new shape (a list of lists, an object of strings) must be listed."""
    unclassified = sorted(
        f"{name}.{field}" for name, cls in EVENT_TYPES.items()
        for field, (annotation, _) in payload_fields(cls).items()
        if _holds_text(annotation)
        and not (text_kind(annotation) is not None and field in FREE_TEXT | NOT_FREE_TEXT)
        and not (is_structured(annotation) and field in STRUCTURED_FIELDS | NOT_STRUCTURED))
    assert unclassified == []


def test_every_key_of_an_evidence_item_is_classified_and_its_text_sealed() -> None:
    from web.schemas import EvidenceSchema

    evidence = typing.get_type_hints(JourneyEvent)["evidence"]
    assert _holds_text(evidence)
    assert set(EvidenceSchema().fields) == EVIDENCE_FREE_TEXT | EVIDENCE_CODES
    assert {"title", "document_ref"} <= EVIDENCE_FREE_TEXT
    assert EVIDENCE_FREE_TEXT & EVIDENCE_CODES == set()


def test_document_references_are_sealed() -> None:
    assert "document_ref" in free_text_fields(EVENT_TYPES["AdviceReceived"])
    assert "documents_sent" in free_text_fields(EVENT_TYPES["PlanTransferredOut"])


def test_no_field_name_is_both_free_text_and_not() -> None:
    assert FREE_TEXT & NOT_FREE_TEXT == set()


def test_every_structured_field_of_every_event_type_is_classified() -> None:
    unclassified = sorted(
        f"{name}.{field}" for name, cls in EVENT_TYPES.items()
        for field, (annotation, _) in payload_fields(cls).items()
        if is_structured(annotation) and field not in STRUCTURED_FIELDS | NOT_STRUCTURED)
    assert unclassified == []
    assert structured_fields(EVENT_TYPES["FinalPlanIssued"]) == ("sections",)
    assert structured_fields(EVENT_TYPES["NeedsRecorded"]) == ("needs",)
    # RepresentationsReceived.sections lists section letters (text): not a structure.
    assert structured_fields(EVENT_TYPES["RepresentationsReceived"]) == ()


def _keys_with_values(value: object, key: str | None = None) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(_keys_with_values(v, k) for k, v in value.items()), set())
    if isinstance(value, list):
        return set().union(*(_keys_with_values(v, key) for v in value), set())
    return {key} if key is not None and value is not None else set()


def test_every_key_in_the_example_journeys_structures_is_classified() -> None:
    seen: set[str] = set()
    for journey in JOURNEYS.values():
        for step in journey.steps:
            for field in structured_fields(EVENT_TYPES[step.type]):
                seen |= _keys_with_values(step.body.get(field, []))
    assert {"description", "provision", "need", "setting_type", "change"} <= seen
    assert sorted(seen - STRUCTURED_CODES - STRUCTURED_FREE_TEXT) == []
    assert STRUCTURED_CODES & STRUCTURED_FREE_TEXT == set()


def test_text_leaves_of_a_structure_change_and_its_codes_and_numbers_do_not() -> None:
    sections = {"A": "Likes trains", "B": [{"need": "SLCN", "description": "Few words"}],
                "F": [{"need": "SLCN", "provision": "Therapy weekly", "quantified": True,
                       "pfa": "employment"}],
                "I": {"setting_ref": "urn-1", "setting_type": "MAINSTREAM_LA"},
                "K": [{"advice": ["Report one", "Report two"]}]}
    changed = map_free_text(sections, str.upper)
    assert changed == {
        "A": "LIKES TRAINS", "B": [{"need": "SLCN", "description": "FEW WORDS"}],
        "F": [{"need": "SLCN", "provision": "THERAPY WEEKLY", "quantified": True,
               "pfa": "employment"}],
        "I": {"setting_ref": "urn-1", "setting_type": "MAINSTREAM_LA"},
        "K": [{"advice": ["REPORT ONE", "REPORT TWO"]}]}
    assert map_free_text([{"code": "ASD", "rank": 1}], str.upper) == [{"code": "ASD",
                                                                        "rank": 1}]


def test_free_text_fields_are_reasons_summaries_and_notes_but_never_codes() -> None:
    assert free_text_fields(EVENT_TYPES["DecisionNotToAssessMade"]) == ("reasons",)
    assert "summary" in free_text_fields(EVENT_TYPES["ChildViewsRecorded"])
    assert free_text_fields(EVENT_TYPES["ReviewReportSubmitted"]) == (
        "recommendations", "disagreements")
    # TribunalDecisionIssued.recommendations is a list of Literal codes: not sealed.
    assert "recommendations" not in free_text_fields(EVENT_TYPES["TribunalDecisionIssued"])
    assert free_text_fields(EVENT_TYPES["PersonalDataShredded"]) == ()


def test_sealed_text_counts_its_clear_characters_for_the_rules_that_limit_length() -> None:
    sealed = seal_format(SUMMARY_LIMIT, "A" * 500)
    assert len(sealed) > SUMMARY_LIMIT
    assert text_length(sealed) == SUMMARY_LIMIT
    assert text_length("plain words") == 11


def synthetic_nhs_number(first_nine: str) -> str:
    check = nhs_number_check_digit(first_nine)
    assert check is not None
    return first_nine + str(check)


def test_nhs_numbers_need_ten_digits_and_their_modulus_11_check_digit() -> None:
    valid = synthetic_nhs_number("999000001")
    assert nhs_number_is_valid(valid)
    assert nhs_number_is_valid(f"{valid[:3]} {valid[3:6]} {valid[6:]}")
    wrong = valid[:9] + str((int(valid[9]) + 1) % 10)
    assert not nhs_number_is_valid(wrong)
    assert not nhs_number_is_valid(valid[:9])


def test_upns_need_their_check_letter() -> None:
    body = "201000123001"
    upn = upn_check_letter(body) + body
    assert upn_is_valid(upn)
    other = next(letter for letter in "ABCDEFGH" if letter != upn[0])
    assert not upn_is_valid(other + body)
    assert not upn_is_valid(upn[:-1])
    assert not upn_is_valid(upn.lower())
    temporary = "20100012300A"
    assert upn_is_valid(upn_check_letter(temporary) + temporary)


def test_ulns_need_ten_digits_and_their_check_digit() -> None:
    first_nine = "123456789"
    remainder = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True)) % 11
    uln = first_nine + str(10 - remainder)
    assert uln_is_valid(uln)
    assert not uln_is_valid(first_nine + str((10 - remainder + 1) % 10))
    assert not uln_is_valid("0" + uln[1:])


@pytest.mark.parametrize("postcode", ["SW1A 1AA", "m1 1ae", "B33 8TH", "CR2 6XH", "DN551PT"])
def test_postcodes_of_every_uk_shape_are_accepted(postcode: str) -> None:
    assert postcode_is_valid(postcode)


@pytest.mark.parametrize("postcode", ["", "12345", "SW1A", "SW1A 1A", "Q1 1AA1", "SW1A-1AA"])
def test_strings_that_are_not_postcodes_are_refused(postcode: str) -> None:
    assert not postcode_is_valid(postcode)
