"""The typed shape of a plan's sections A to K (web.plan_sections): what it accepts, what it
refuses (every problem at once, by JSON pointer), and that it agrees with the domain's
declarations (codes, sealing)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from marshmallow import Schema, ValidationError, fields

import domain.journey  # noqa: F401  (registers every event type)
from domain.catalogue.plan import PlanSections
from domain.code_lists import code_fields
from domain.events import EVENT_TYPES
from domain.personal_data import STRUCTURED_CODES, STRUCTURED_FREE_TEXT
from domain.shapes import shape_of
from tests.e2e.journeys import JOURNEYS
from web.plan_sections import (
    PlanSectionsSchema,
    SectionAViewsSchema,
    declared_codes,
)
from web.problems import pointers
from web.schemas import CodeOf

RICH = {
    "A": {"views": "Likes maps", "interests": "Trains", "aspirations": "Drive a train",
          "history": "Moved school in Year 2"},
    "B": [{"need": "SLCN", "description": "Expressive language delay", "rank": 1}],
    "C": [{"description": "Epilepsy, controlled", "need": "SLCN"}],
    "D": [{"description": "Needs support to take part in clubs"}],
    "E": [{"outcome": "Says what he wants in a sentence", "need": "SLCN",
           "timescale": "by July 2026", "shorter_term_targets": "termly, set at review"},
          {"outcome": "Travels to college alone", "pfa": "independent_living"}],
    "F": [{"need": "SLCN", "provision": "Speech and language therapy", "quantified": True,
           "hours": 1, "frequency": "weekly", "group_size": 1, "therapy": "SALT",
           "delivered_by": "a speech and language therapist", "provider": "NHS trust"},
          {"need": "SLCN", "provision": "Small-group literacy", "hours": 1.5,
           "frequency": "daily", "pfa": "employment", "outcome": "Reads a timetable"}],
    "G": [{"provision": "Epilepsy care plan reviewed yearly", "service": "COMMUNITY_PAEDIATRICS",
           "commissioner": "ICB-901"}],
    "H1": [{"provision": "Short breaks, 2 weekends a year", "frequency": "annually"}],
    "H2": [{"provision": "Youth club support worker", "hours": 2, "frequency": "weekly"}],
    "I": {"setting_ref": "urn-100001", "setting_name": "Oakfield Primary School",
          "setting_type": "MAINSTREAM_LA"},
    "J": [{"provision": "Therapy sessions", "amount": 1200, "arrangement": "direct_payment",
           "outcome": "Says what he wants in a sentence"}],
    "K": [{"advice_type": "Psychological", "title": "EP report", "author": "EP service",
           "document_ref": "doc-ep-1", "received_on": "2024-03-01",
           "advice": ["Visual timetable", "Short instructions"]}],
}


def load(sections: Any) -> dict[str, Any]:
    loaded: dict[str, Any] = PlanSectionsSchema().load(sections)
    return loaded


def problems(sections: Any) -> dict[str, str]:
    """Return each problem's pointer (under /sections, as the API answers) and detail."""
    with pytest.raises(ValidationError) as refused:
        load(sections)
    return {p["pointer"]: p["detail"] for p in pointers(refused.value.messages, "/sections")}


def test_every_section_in_its_documented_shape_loads_as_given() -> None:
    given = copy.deepcopy(RICH)
    assert load(given) == RICH
    assert isinstance(load(given)["F"][0]["hours"], int)  # an integer stays one (hashes)
    assert load({"A": "Enjoys drawing", "I": None}) == {"A": "Enjoys drawing", "I": None}
    assert load({"I": {}}) == {"I": {}}
    assert load({}) == {}


def test_every_example_journeys_sections_load_unchanged() -> None:
    seen = 0
    for journey in JOURNEYS.values():
        for step in journey.steps:
            sections = step.body.get("sections")
            if isinstance(sections, dict):
                assert load(copy.deepcopy(sections)) == sections, step.type
                seen += 1
    assert seen >= 6


def test_several_shape_errors_are_all_named_by_pointer_at_once() -> None:
    found = problems({
        "A": ["a list"],
        "B": [{"need": "SLCN", "descripton": "typo"}, {"description": "no need code"}],
        "F": [{"need": "SLCN", "provision": "Therapy", "hours": "1", "frequency": "often"},
              {"need": "SLCN", "provision": "   ", "hours": 200, "quantified": "yes"}],
        "G": "not a list",
        "I": {"setting_type": "NOT_A_TYPE", "urn": "100001"},
        "L": [],
    })
    assert sorted(found) == [
        "/sections/A", "/sections/B/0/descripton", "/sections/B/1/need",
        "/sections/F/0/frequency", "/sections/F/0/hours", "/sections/F/1/hours",
        "/sections/F/1/provision", "/sections/F/1/quantified", "/sections/G",
        "/sections/I/setting_type", "/sections/I/urn", "/sections/L"]
    assert found["/sections/F/0/hours"] == "must be a number"
    assert found["/sections/F/1/hours"] == "must be from 0 to 168"
    assert found["/sections/F/1/provision"] == "must not be blank"
    assert "setting_types list" in found["/sections/I/setting_type"]
    assert found["/sections/L"] == "Unknown field."


@pytest.mark.parametrize(("sections", "pointer"), [
    ({"A": 3}, "/sections/A"),
    ({"A": {"views": "ok", "wishes": "?"}}, "/sections/A/wishes"),
    ({"A": "bad\x00text"}, "/sections/A"),
    ({"B": [{"need": "XYZ"}]}, "/sections/B/0/need"),
    ({"B": [{"need": "SLCN", "rank": 0}]}, "/sections/B/0/rank"),
    ({"C": [{"need": "SLCN"}]}, "/sections/C/0/description"),
    ({"E": [{"outcome": "x", "pfa": "leisure"}]}, "/sections/E/0/pfa"),
    ({"F": [{"need": "SLCN"}]}, "/sections/F/0/provision"),
    ({"F": [{"provision": "x", "hours": True}]}, "/sections/F/0/hours"),
    ({"F": [{"provision": "x", "hours": -1}]}, "/sections/F/0/hours"),
    ({"F": [{"provision": "x", "group_size": 0}]}, "/sections/F/0/group_size"),
    ({"F": [{"provision": "x", "commissioner": "ICB-1"}]}, "/sections/F/0/commissioner"),
    ({"F": [{"provision": "x", "pfa": "leisure"}]}, "/sections/F/0/pfa"),
    ({"F": ["just words"]}, "/sections/F/0/_schema"),
    ({"G": [{"provision": "x", "quantified": True}]}, "/sections/G/0/quantified"),
    ({"I": "Oakfield"}, "/sections/I/_schema"),
    ({"J": [{"amount": -5}]}, "/sections/J/0/amount"),
    ({"J": [{"arrangement": "cash"}]}, "/sections/J/0/arrangement"),
    ({"K": [{"received_on": "1 March"}]}, "/sections/K/0/received_on"),
    ({"K": [{"advice": "not a list"}]}, "/sections/K/0/advice"),
])
def test_each_shape_error_names_where_it_is(sections: dict[str, Any], pointer: str) -> None:
    found = problems(sections)
    assert pointer in found or pointer.removesuffix("/_schema") in found, found


def test_a_section_holds_at_most_200_items() -> None:
    assert "/sections/E" in problems({"E": [{"outcome": "x"}] * 201})


def _walk(schema: type[Schema], at: tuple[str, ...]) -> fields.Field:
    field: fields.Field = schema._declared_fields[at[0]]  # noqa: SLF001
    for step in at[1:]:
        field = field.inner if step == "*" else field.nested._declared_fields[step]  # noqa: SLF001
    return field


def test_every_code_the_domain_declares_inside_the_sections_is_checked_where_it_sits() -> None:
    markers = declared_codes()
    assert {(m.code_list.name, m.at) for m in markers} >= {
        ("needs", ("B", "*", "need")), ("setting_types", ("I", "setting_type"))}
    for marker in markers:
        checks = [v for v in _walk(PlanSectionsSchema, marker.at).validators
                  if isinstance(v, CodeOf)]
        assert [c.code_list for c in checks] == [marker.code_list], marker.at


def test_every_event_carrying_plan_sections_declares_the_one_shape_and_its_codes() -> None:
    shaped = {name: cls for name, cls in EVENT_TYPES.items()
              if shape_of(cls, "sections") is not None}
    assert {"DraftPlanIssued", "FinalPlanIssued", "AmendedPlanFinalised",
            "PhaseTransferPlanFinalised", "PlanTransferredIn"} <= set(shaped)
    expected = {(m.code_list.name, m.at) for m in declared_codes()}
    for name, cls in shaped.items():
        declared = {(c.code_list.name, c.at) for c in code_fields(cls) if c.field == "sections"}
        assert declared == expected, name
    assert shape_of(EVENT_TYPES["RepresentationsReceived"], "sections") is None  # letters
    assert PlanSections is not None


def _keys(schema: type[Schema]) -> set[str]:
    keys = set(schema._declared_fields)  # noqa: SLF001
    for field in schema._declared_fields.values():  # noqa: SLF001
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested) and isinstance(inner.nested, type):
            keys |= _keys(inner.nested)
    return keys


def test_every_key_the_shape_accepts_is_classified_for_sealing() -> None:
    # The section letters name containers; their words sit under the item keys (A's text
    # sits under "A" itself, which is sealed).
    keys = _keys(PlanSectionsSchema) | set(SectionAViewsSchema._declared_fields)  # noqa: SLF001
    containers = {"B", "F", "I"}
    assert sorted(keys - containers - STRUCTURED_CODES - STRUCTURED_FREE_TEXT) == []
    assert "A" in STRUCTURED_FREE_TEXT
    # Words about the child are sealed; codes, numbers and dates stay readable.
    assert {"interests", "delivered_by", "author", "advice"} <= STRUCTURED_FREE_TEXT
    assert {"hours", "frequency", "setting_type", "need"} <= STRUCTURED_CODES
