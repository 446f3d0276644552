"""The SEN2 XML writer gives the bytes ElementTree would, under the year's spec.

``application.sen2.to_xml`` writes text directly (it is most of the export's time on a
whole authority otherwise). The oracle here is an ElementTree writer walking the same
``YearSpec``: items in the spec's order, empty ones left out, child modules after items;
``ET.indent`` and ``ET.tostring`` with the XML declaration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from application.sen2 import Sen2Policy, load_return, sen2_return, spec_for, to_xml
from application.sen2.spec import Module
from tests.integration.sen2_cohort import (
    AUTHORITY,
    LA_NUMBERS,
    YEAR,
    build,
    store_env,
    tracking,
)


def element_tree_xml(data: dict[str, Any]) -> bytes:
    """An ElementTree writer of the same spec, kept here as the oracle."""
    spec = spec_for(int(data["header"]["Year"]))

    def write(parent: ET.Element, values: dict[str, Any], module: Module) -> None:
        element = ET.SubElement(parent, module.name)
        for item in module.items:
            if values.get(item.name) not in (None, ""):
                ET.SubElement(element, item.name).text = str(values[item.name])
        for child in module.children:
            value = values.get(child.name)
            for row in value if isinstance(value, list) else [value] if value else []:
                write(element, row, child)

    root = ET.Element("Message")
    head = ET.SubElement(root, "Header")
    collection = ET.SubElement(head, "CollectionDetails")
    for name in ("Collection", "Year", "ReferenceDate"):
        ET.SubElement(collection, name).text = data["header"][name]
    source = ET.SubElement(head, "Source")
    for name, value in data["header"]["Source"].items():
        if value not in (None, ""):
            ET.SubElement(source, name).text = value
    persons = ET.SubElement(root, "Persons")
    for person in data["persons"]:
        write(persons, {**person["Person"], "Requests": person["Requests"]}, spec.person)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def test_the_cohort_return_is_written_byte_for_byte_as_element_tree_would(
        tmp_path: Path) -> None:
    app = tracking(store_env(tmp_path, None))
    try:
        build(app)
        data = sen2_return(app, year=YEAR, authority=AUTHORITY,
                           policy=Sen2Policy(la_numbers=LA_NUMBERS)).as_dict()
    finally:
        app.close()
    assert len(data["persons"]) > 3
    written = to_xml(data)
    assert written == element_tree_xml(data)
    assert load_return(written)["persons"] == [
        {"Person": p["Person"], "Requests": p["Requests"]} for p in data["persons"]]


def test_escapes_empty_items_and_nesting_match_element_tree() -> None:
    awkward = 'Tom & "Jerry" <O\'Neil>\ttab\r\nnew line é'
    data = {
        "header": {"Collection": "SEN2", "Year": "2025", "ReferenceDate": "2025-01-16",
                   "Source": {"SourceLevel": "L", "LEA": "901", "SoftwareCode": "<&>",
                              "Release": "", "SerialNo": "1", "DateTime": "2025-01-31"}},
        "persons": [
            {"Person": {"Surname": awkward, "Forename": "", "Sex": "F"},
             "Requests": [{"ReceivedDate": "2024-01-02", "Assessment": {
                 "AssessmentOutcome": "Y", "NamedPlan": {
                     "PlanDetail": [{"PlacementRank": 1}, {"PlacementRank": 2}]}}},
                 {"ReceivedDate": "2024-05-06", "RYA": 0, "ActivePlans": {
                     "SENneed": [{"SENtype": "ASD", "SENtypeRank": 1}],
                     "PlacementDetail": []}}]},
            {"Person": {"Surname": ">"}, "Requests": []},
        ],
    }
    assert to_xml(data) == element_tree_xml(data)
