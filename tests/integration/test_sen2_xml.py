"""The SEN2 XML writer gives the bytes ElementTree would.

``application.sen2.to_xml`` writes text directly (it is most of the export's time on a
whole authority otherwise). The oracle here is the ElementTree writer it replaced:
build the tree, ``ET.indent``, ``ET.tostring`` with the XML declaration. Both write the
hand-built cohort's return, and a return with every character XML must escape, empty
items, nested lists and a person without a local reference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from application.sen2 import load_return, sen2_return, to_xml
from tests.integration.sen2_cohort import AUTHORITY, YEAR, build, store_env, tracking


def element_tree_xml(data: dict[str, Any]) -> bytes:
    """The ElementTree writer ``to_xml`` replaced, kept here as the oracle."""
    def write(parent: ET.Element, items: dict[str, Any]) -> None:
        for name, value in items.items():
            if isinstance(value, dict):
                write(ET.SubElement(parent, name), value)
            elif isinstance(value, list):
                for item in value:
                    write(ET.SubElement(parent, name), item)
            else:
                ET.SubElement(parent, name).text = str(value)

    root = ET.Element("Message")
    head = ET.SubElement(root, "Header")
    collection = ET.SubElement(head, "CollectionDetails")
    for name in ("Collection", "Year", "ReferenceDate"):
        ET.SubElement(collection, name).text = data["header"][name]
    source = ET.SubElement(head, "Source")
    for name, value in data["header"]["Source"].items():
        ET.SubElement(source, name).text = value
    persons = ET.SubElement(root, "Persons")
    for person in data["persons"]:
        element = ET.SubElement(persons, "Person")
        if person.get("ref"):
            element.set("ref", person["ref"])
        write(element, person["Person"])
        for request in person["Requests"]:
            write(ET.SubElement(element, "Requests"), request)
        if person.get("CeasedPlan"):
            write(ET.SubElement(element, "CeasedPlan"), person["CeasedPlan"])
        if person.get("ActivePlans"):
            write(ET.SubElement(element, "ActivePlans"), person["ActivePlans"])
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def test_the_cohort_return_is_written_byte_for_byte_as_element_tree_would(
        tmp_path: Path) -> None:
    app = tracking(store_env(tmp_path, None))
    try:
        build(app)
        data = sen2_return(app, year=YEAR, authority=AUTHORITY).as_dict()
    finally:
        app.close()
    assert len(data["persons"]) > 3
    written = to_xml(data)
    assert written == element_tree_xml(data)
    assert load_return(written)["persons"] == load_return(element_tree_xml(data))["persons"]


def test_escapes_empty_items_and_nesting_match_element_tree() -> None:
    awkward = 'Tom & "Jerry" <O\'Neil>\ttab\r\nnew line é'
    data = {
        "header": {"Collection": "SEN2", "Year": "2025", "ReferenceDate": "2025-01-16",
                   "Source": {"LEA": "LA-<&>", "SoftwareCode": "casetrack",
                              "Release": "", "SerialNo": "1", "DateTime": "2025-01-31"}},
        "persons": [
            {"ref": awkward, "Person": {"Surname": awkward, "Forename": "", "Sex": "F"},
             "Requests": [{"ReceivedDate": "2024-01-02", "Assessment": {
                 "AssessmentOutcome": "I", "NamedPlan": {
                     "PlanDetail": [{"Rank": 1}, {"Rank": 2}], "Empty": {}}}},
                 {"ReceivedDate": "2024-05-06", "RYA": 0}],
             "CeasedPlan": {"CeaseReason": "1"},
             "ActivePlans": {"SENneed": [{"SENtype": "ASD", "SENtypeRank": 1}],
                             "PlacementDetail": []}},
            {"Person": {"Surname": ">"}, "Requests": []},
        ],
    }
    assert to_xml(data) == element_tree_xml(data)
