"""Contract: every field that takes a code carries its list as the enum in /openapi.json
(issue 15), the list the domain holds, and a code outside it is refused naming the list.

The expectations are read from the domain (``domain/reference.py``'s versions, the
domain's own lists), never copied here: a code added to a list must reach the spec.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from domain.code_lists import code_fields
from domain.events import EVENT_TYPES, payload_fields
from domain.reference import REFERENCE_VERSIONS, list_names
from domain.state import STAGES
from tests.conftest import settings_for
from web import create_app
from web.schemas import recordable_types
from web.services import services_of

# Field names that, wherever an event has them, take codes: each must carry an enum.
CODE_FIELD_NAMES = frozenset({
    "request_source", "requester_role", "setting_type", "cease_reason", "needs",
    "notice_includes", "recipients", "ground", "clock", "conditions_met",
    "sections_changed",
})


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    app = create_app(settings_for(tmp_path_factory.mktemp("spec")))
    yield app.test_client().get("/openapi.json").json
    services_of(app).close()


def every_version(list_name: str) -> list[str]:
    """The union of a reference list's codes over every version, from the versions."""
    return sorted({code for ref in REFERENCE_VERSIONS for code in ref.lists.get(list_name, {})})


def walk(schema: dict[str, Any], at: tuple[str, ...], spec: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema ``at`` a place inside ``schema`` ("*": an array's items), through
    the components a shaped value refers to (plan sections: ``$ref``, ``allOf``,
    ``anyOf``)."""
    schema = _resolved(schema, spec)
    for step in at:
        schema = _resolved(schema["items"] if step == "*" else schema["properties"][step],
                           spec)
    return schema


def _resolved(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema or "allOf" in schema or "anyOf" in schema:
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        else:
            arms = schema.get("allOf") or schema["anyOf"]
            schema = next(arm for arm in arms if "$ref" in arm or "properties" in arm)
    return schema


def declared() -> list[tuple[str, Any]]:
    return [(name, code) for name in recordable_types()
            for code in code_fields(EVENT_TYPES[name])]


@pytest.mark.parametrize(("event_type", "code"), declared(),
                         ids=[f"{n}.{c.field}{''.join('.' + s for s in c.at)}"
                              for n, c in declared()])
def test_every_declared_code_field_carries_its_list_as_the_enum(
        spec: dict[str, Any], event_type: str, code: Any) -> None:
    field = spec["components"]["schemas"][event_type]["properties"][code.field]
    leaf = walk(field, code.at, spec)
    expected = (every_version(code.code_list.name) if code.code_list.versioned
                else sorted(code.code_list.source()))
    assert [c for c in leaf["enum"] if c is not None] == expected
    assert code.code_list.name in leaf["description"]
    if code.code_list.versioned:
        assert f"GET /reference/{code.code_list.name}" in leaf["description"]


def test_every_field_named_as_a_code_field_has_an_enum(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    seen = set()
    for name in recordable_types():
        for field, schema in schemas[name]["properties"].items():
            if field not in CODE_FIELD_NAMES:
                continue
            seen.add(field)
            text = str(schema)
            assert "'enum'" in text, f"{name}.{field} takes codes but has no enum"
    assert seen == CODE_FIELD_NAMES


def literal_choices(annotation: Any) -> tuple[list[Any], bool] | None:
    """The values a field typed with a fixed set (``Literal``) takes, and whether they are
    its items (a list of them); None for any other field."""
    if typing.get_origin(annotation) in (types.UnionType, typing.Union):
        arms = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = arms[0] if len(arms) == 1 else None
    if typing.get_origin(annotation) in (list, tuple):
        inner = literal_choices(typing.get_args(annotation)[0])
        return (inner[0], True) if inner is not None else None
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation)), False
    return None


def test_every_field_of_a_fixed_set_carries_it_as_the_enum(spec: dict[str, Any]) -> None:
    """Kinds, roles, outcomes, grounds, ...: the catalogue's ``Literal`` types."""
    schemas = spec["components"]["schemas"]
    checked = 0
    for name in recordable_types():
        for field, (annotation, _) in payload_fields(EVENT_TYPES[name]).items():
            found = literal_choices(annotation)
            if found is None:
                continue
            choices, items = found
            schema = schemas[name]["properties"][field]
            enum = (schema["items"] if items else schema)["enum"]
            assert {c for c in enum if c is not None} == set(choices), f"{name}.{field}"
            checked += 1
    assert checked > 50


def test_a_field_that_takes_a_list_is_not_also_a_fixed_set_copying_it() -> None:
    """One definition of each list: a field declaring its code list (``takes``) is typed
    ``str``; a ``Literal`` beside it would be a second copy of the list's codes (as
    ``requester_role``'s was of ``requester_roles``) that a new code would not reach."""
    copies = [f"{name}.{code.field}" for name, code in declared()
              if literal_choices(payload_fields(EVENT_TYPES[name])[code.field][0])]
    assert copies == []


def test_every_reference_list_is_taken_by_some_field() -> None:
    taken = {code.code_list.name for _, code in declared()}
    assert set(list_names()) <= taken


def test_the_needs_list_in_the_spec_is_every_version_s_including_down_syndrome(
        spec: dict[str, Any]) -> None:
    needs = spec["components"]["schemas"]["NeedsRecorded"]["properties"]["needs"]
    assert "DS" in needs["items"]["properties"]["code"]["enum"]
    assert "DS" not in REFERENCE_VERSIONS[0].codes("needs")


def test_the_list_filters_carry_the_same_lists(spec: dict[str, Any]) -> None:
    parameters = {p["name"]: p["schema"] for p in spec["paths"]["/children"]["get"]["parameters"]}
    assert parameters["primary_need"]["enum"] == every_version("needs")
    assert parameters["stage"]["enum"] == list(STAGES)


@pytest.fixture
def store_url() -> None:
    """The lists come from the domain: SQLite only."""
    return None


@pytest.fixture
def registered(client: FlaskClient, auth: Callable[..., dict[str, str]]) -> str:
    answer = client.post("/children", json={"date_of_birth": "2015-03-02"}, headers=auth())
    assert answer.status_code == 201, answer.json
    return str(answer.json["child_id"])


def record(client: FlaskClient, auth: Callable[..., dict[str, str]], child_id: str,
           body: dict[str, Any]) -> Any:
    return client.post(f"/children/{child_id}/events", json=body, headers=auth())


def test_a_code_in_no_version_is_a_422_naming_the_list_and_where_it_is_served(
        client: FlaskClient, auth: Callable[..., dict[str, str]], registered: str
) -> None:
    answer = record(client, auth, registered, {
        "type": "EHCNeedsAssessmentRequested", "occurred_on": "2024-01-08",
        "requester_role": "Parent", "request_source": "7"})
    assert answer.status_code == 422, answer.json
    assert answer.json["errors"][0]["pointer"] == "/request_source"
    assert "request_sources list" in answer.json["errors"][0]["detail"]
    assert "/reference/request_sources" in answer.json["errors"][0]["detail"]
    assert client.get(f"/children/{registered}/journey", headers=auth()).json["version"] == 1


def test_a_requester_role_outside_the_list_is_a_422_naming_the_list(
        client: FlaskClient, auth: Callable[..., dict[str, str]], registered: str) -> None:
    answer = record(client, auth, registered, {
        "type": "EHCNeedsAssessmentRequested", "occurred_on": "2024-01-08",
        "requester_role": "Neighbour", "request_source": "1"})
    assert answer.status_code == 422, answer.json
    assert answer.json["errors"][0]["pointer"] == "/requester_role"
    assert "requester_roles list" in answer.json["errors"][0]["detail"]
    assert client.get(f"/children/{registered}/journey", headers=auth()).json["version"] == 1


def test_a_code_of_a_later_version_is_a_409_naming_the_list(
        client: FlaskClient, auth: Callable[..., dict[str, str]], registered: str) -> None:
    answer = record(client, auth, registered, {
        "type": "SENSupportRecorded", "occurred_on": "2024-01-08", "setting_urn": "100001",
        "start_on": "2024-01-08", "needs": [{"code": "DS", "rank": 1}]})
    assert answer.status_code == 409, answer.json
    assert answer.json["code"] == "code-not-in-reference-data"
    assert "needs list (2015.1; its codes: /reference/needs)" in answer.json["detail"]


def test_a_nested_code_outside_its_list_is_a_422_naming_the_list(
        client: FlaskClient, auth: Callable[..., dict[str, str]], registered: str) -> None:
    answer = record(client, auth, registered, {
        "type": "SENSupportRecorded", "occurred_on": "2024-01-08", "setting_urn": "100001",
        "start_on": "2024-01-08", "needs": [{"code": "XYZ", "rank": 1}]})
    assert answer.status_code == 422, answer.json
    assert answer.json["errors"][0]["pointer"] == "/needs"
    assert "needs list" in answer.json["errors"][0]["detail"]


def test_a_domain_list_code_outside_it_is_a_422_listing_the_codes(
        client: FlaskClient, auth: Callable[..., dict[str, str]], registered: str) -> None:
    answer = record(client, auth, registered, {
        "type": "TimescaleExceptionClaimed", "occurred_on": "2024-01-08", "clock": "K1",
        "ground": "waiting_list", "period_from": "2024-01-01", "period_to": "2024-01-08",
        "family_informed": True})
    assert answer.status_code == 422, answer.json
    detail = answer.json["errors"][0]["detail"]
    assert "exception_grounds list" in detail and "school_closure_window" in detail

