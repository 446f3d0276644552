"""Legal holds and the erasure event: a hold stops erasure while it stands."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.actors import Actor
from domain.catalogue.governance import governance_of
from domain.errors import RuleViolationError
from domain.journey import ChildJourney

ADMIN = Actor("admin-1", "admin", "LA-999")
TODAY = date(2026, 6, 30)


def registered() -> ChildJourney:
    return ChildJourney.register(authority="LA-999", date_of_birth=date(2012, 3, 4),
                                 actor=ADMIN, occurred_on=date(2020, 1, 6), today=TODAY)


def record(journey: ChildJourney, type_name: str, payload: dict[str, Any],
           on: date = date(2026, 6, 1)) -> None:
    journey.record(type_name, payload, actor=ADMIN, occurred_on=on, today=TODAY)


def refusal(journey: ChildJourney, type_name: str, payload: dict[str, Any]) -> str:
    """Return the rule code that refuses the command, checking nothing was stored."""
    before = journey.version
    with pytest.raises(RuleViolationError) as refused:
        record(journey, type_name, payload)
    assert journey.version == before
    return refused.value.code


@pytest.mark.proves("erasure-under-legal-hold")
def test_erasure_is_refused_while_a_legal_hold_stands_and_allowed_once_released() -> None:
    journey = registered()
    record(journey, "LegalHoldPlaced", {"hold_ref": "APPEAL-1", "basis": "appeal"},
           date(2026, 5, 1))
    assert refusal(journey, "PersonalDataShredded", {"basis": "retention_period_ended"}) \
        == "erasure-under-legal-hold"
    record(journey, "LegalHoldReleased", {"hold_ref": "APPEAL-1"}, date(2026, 5, 20))
    record(journey, "PersonalDataShredded", {"basis": "retention_period_ended"})
    assert governance_of(journey.state).shredded_on == date(2026, 6, 1)


@pytest.mark.proves("legal-hold-ref-standing")
def test_a_hold_reference_stands_once_and_can_be_placed_again_after_release() -> None:
    journey = registered()
    record(journey, "LegalHoldPlaced", {"hold_ref": "LIT-7", "basis": "litigation"},
           date(2026, 5, 1))
    assert refusal(journey, "LegalHoldPlaced", {"hold_ref": "LIT-7", "basis": "inquiry"}) \
        == "legal-hold-ref-standing"
    record(journey, "LegalHoldReleased", {"hold_ref": "LIT-7"}, date(2026, 5, 2))
    record(journey, "LegalHoldPlaced", {"hold_ref": "LIT-7", "basis": "inquiry"})
    assert [h.hold_ref for h in governance_of(journey.state).standing_holds()] == ["LIT-7"]


@pytest.mark.proves("legal-hold-not-standing")
def test_only_a_standing_hold_is_released() -> None:
    journey = registered()
    assert refusal(journey, "LegalHoldReleased", {"hold_ref": "NONE-1"}) \
        == "legal-hold-not-standing"


@pytest.mark.proves("personal-data-already-shredded")
def test_personal_data_is_erased_once() -> None:
    journey = registered()
    record(journey, "PersonalDataShredded", {"basis": "erasure_request"})
    assert refusal(journey, "PersonalDataShredded", {"basis": "erasure_request"}) \
        == "personal-data-already-shredded"



@pytest.mark.proves("entry-not-amendable")
def test_an_erasure_and_a_hold_cannot_be_retracted_or_corrected() -> None:
    journey = registered()
    record(journey, "LegalHoldPlaced", {"hold_ref": "LIT-8", "basis": "litigation"},
           date(2026, 5, 1))
    record(journey, "LegalHoldReleased", {"hold_ref": "LIT-8"}, date(2026, 5, 2))
    record(journey, "PersonalDataShredded", {"basis": "retention_period_ended"})
    assert refusal(journey, "EntryRetracted", {"target_version": 4, "reason": "undo"}) \
        == "entry-not-amendable"
    assert refusal(journey, "EntryCorrected", {"target_version": 2, "reason": "x",
                                               "changes": {"basis": "appeal"}}) \
        == "entry-not-amendable"
    assert governance_of(journey.state).shredded_on == date(2026, 6, 1)


@pytest.mark.proves("disclosure-needs-consent")
def test_a_disclosure_on_consent_needs_standing_consent_for_that_recipient() -> None:
    journey = ChildJourney.register(authority="LA-999", date_of_birth=date(2015, 3, 4),
                                    actor=ADMIN, occurred_on=date(2020, 1, 6), today=TODAY)
    disclosure = {"recipient": "icb", "legal_basis": "consent", "documents": ["doc-1"]}
    assert refusal(journey, "DisclosureMade", disclosure) == "disclosure-needs-consent"
    record(journey, "ConsentToShareRecorded", {"scope": ["icb"], "given_by": "parent"},
           date(2026, 5, 1))
    record(journey, "DisclosureMade", disclosure)
    record(journey, "DisclosureMade", {"recipient": "court", "legal_basis": "court_order"})
    assert [(d.recipient, d.legal_basis) for d in governance_of(journey.state).disclosures] \
        == [("icb", "consent"), ("court", "court_order")]
