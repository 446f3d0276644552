"""Which event fields hold free text, sealed text's shape, and the identifier checks."""

from __future__ import annotations

import pytest

import domain.journey  # noqa: F401  (registers every event type)
from domain.catalogue.voice import SUMMARY_LIMIT
from domain.events import EVENT_TYPES, payload_fields
from domain.personal_data import (
    FREE_TEXT,
    NOT_FREE_TEXT,
    free_text_fields,
    nhs_number_check_digit,
    nhs_number_is_valid,
    postcode_is_valid,
    seal_format,
    text_kind,
    text_length,
    uln_is_valid,
    upn_check_letter,
    upn_is_valid,
)


def test_every_text_field_of_every_event_type_is_classified() -> None:
    unclassified = sorted(
        f"{name}.{field}" for name, cls in EVENT_TYPES.items()
        for field, (annotation, _) in payload_fields(cls).items()
        if text_kind(annotation) is not None and field not in FREE_TEXT | NOT_FREE_TEXT)
    assert unclassified == []


def test_no_field_name_is_both_free_text_and_not() -> None:
    assert FREE_TEXT & NOT_FREE_TEXT == set()


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
