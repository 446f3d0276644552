"""SEN2 XML: written, read back and described by an XSD, all from the year's ``YearSpec``.

- ``to_xml``: ``Message/Header/(CollectionDetails, Source)`` then ``Persons/Person`` with
  the person's items and its ``Requests`` (each with ``Assessment/NamedPlan/PlanDetail``
  and ``ActivePlans/(PlacementDetail, SENneed)``); items in the spec's order, empty ones
  left out. Written straight to text (two spaces a level): a whole authority's return
  is most of the export's time otherwise.
- ``from_xml``: reads a submitted file with ``defusedxml`` (no entities, no external
  references) into the JSON shape, under the same year's spec.
- ``xsd``: an XML Schema generated from the spec (ours, not DfE's, which is not public).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import Element

from application.sen2.spec import Item, Module, YearSpec
from application.sen2.years import spec_for


def to_xml(result: Any) -> bytes:
    """Write the return (a ``Sen2Return`` or its dict) as SEN2 XML."""
    data = result.as_dict() if hasattr(result, "as_dict") else result
    spec = spec_for(int(data["header"]["Year"]))
    out = ["<?xml version='1.0' encoding='utf-8'?>\n<Message>\n  <Header>\n"]
    head = data["header"]
    out.append("    <CollectionDetails>\n")
    for name in ("Collection", "Year", "ReferenceDate"):
        out.append(f"      <{name}>{_escape(str(head[name]))}</{name}>\n")
    out.append("    </CollectionDetails>\n    <Source>\n")
    source = spec.header.child("Source")
    assert source is not None
    for item in source.items:
        if head["Source"].get(item.name) not in (None, ""):
            out.append(f"      <{item.name}>{_escape(str(head['Source'][item.name]))}"
                       f"</{item.name}>\n")
    out.append("    </Source>\n  </Header>\n")
    if data["persons"]:
        out.append("  <Persons>\n")
        for person in data["persons"]:
            values = dict(person["Person"])
            values["Requests"] = person.get("Requests", [])
            _module(out, values, spec.person, 2)
        out.append("  </Persons>\n")
    else:
        out.append("  <Persons />\n")
    out.append("</Message>")
    return "".join(out).encode("utf-8")


def _module(out: list[str], values: dict[str, Any], module: Module, level: int) -> None:
    pad = "  " * level
    inner = pad + "  "
    out.append(f"{pad}<{module.name}>\n")
    for item in module.items:
        value = values.get(item.name)
        if value not in (None, ""):
            out.append(f"{inner}<{item.name}>{_escape(str(value))}</{item.name}>\n")
    for child in module.children:
        value = values.get(child.name)
        rows = value if isinstance(value, list) else [value] if value else []
        for row in rows:
            _module(out, row, child, level + 1)
    out.append(f"{pad}</{module.name}>\n")


def _escape(text: str) -> str:
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


# Reading a submitted file.

class Sen2FileError(ValueError):
    """Raised for a file that is not a SEN2 return casetrack can read."""


def from_xml(content: bytes) -> dict[str, Any]:
    """Read SEN2 XML into the JSON shape (``header``, ``persons``) under its year's spec."""
    from defusedxml import ElementTree as SafeET
    from defusedxml.common import DefusedXmlException

    try:
        root = SafeET.fromstring(content)
    except (DefusedXmlException, SafeET.ParseError) as error:
        raise Sen2FileError(f"not a SEN2 XML file: {error}") from None
    year_text = root.findtext("Header/CollectionDetails/Year")
    if not (year_text or "").strip().isdigit():
        raise Sen2FileError("the file has no Header/CollectionDetails/Year")
    spec = spec_for(int(year_text or "0"))
    header: dict[str, Any] = {name: root.findtext(f"Header/CollectionDetails/{name}") or ""
                              for name in ("Collection", "Year", "ReferenceDate")}
    header["Source"] = {child.tag: child.text or "" for child in root.iterfind(
        "Header/Source/*")}
    persons = []
    for element in root.iterfind("Persons/Person"):
        values = _read(element, spec.person)
        persons.append({"Person": {k: v for k, v in values.items() if k != "Requests"},
                        "Requests": values.get("Requests", [])})
    return {"header": header, "persons": persons}


def _read(element: Element, module: Module) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for child in element:
        sub = module.child(child.tag)
        if sub is None:
            out[child.tag] = (child.text or "").strip()  # unknown to the spec: kept as read
        elif sub.repeats:
            out.setdefault(child.tag, []).append(_read(child, sub))
        else:
            out[child.tag] = _read(child, sub)
    return out


def load_return(content: bytes) -> dict[str, Any]:
    """Read a submitted return: SEN2 XML, or the JSON this module writes."""
    import json

    text = content.lstrip()
    if text.startswith(b"{"):
        data: dict[str, Any] = json.loads(text)
        return data
    return from_xml(content)


# The XSD.

_TYPES = {"date": "xs:date", "datetime": "xs:dateTime", "integer": "xs:positiveInteger"}


def xsd(spec: YearSpec) -> bytes:
    """Return an XML Schema for ``spec``'s year, generated from the spec alone."""
    out = ['<?xml version="1.0" encoding="utf-8"?>\n',
           '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
           'elementFormDefault="qualified">\n',
           f"  <!-- SEN2 {spec.year} (specification {spec.version}), generated by casetrack "
           "from application/sen2/years; not DfE's schema. -->\n"]
    out.append('  <xs:element name="Message">\n    <xs:complexType>\n      <xs:sequence>\n')
    out += _element(spec.header, spec, 4, min_occurs=1)
    out.append('        <xs:element name="Persons">\n          <xs:complexType>\n'
               '            <xs:sequence>\n')
    out += _element(spec.person, spec, 8, min_occurs=0)
    out.append('            </xs:sequence>\n          </xs:complexType>\n'
               '        </xs:element>\n')
    out.append('      </xs:sequence>\n    </xs:complexType>\n  </xs:element>\n')
    for name in sorted(spec.code_lists):
        out.append(f'  <xs:simpleType name="{name}Code">\n'
                   '    <xs:restriction base="xs:string">\n')
        out += [f'      <xs:enumeration value="{code}" />\n'
                for code in spec.code_lists[name]]
        out.append("    </xs:restriction>\n  </xs:simpleType>\n")
    out.append('  <xs:simpleType name="LANumber">\n    <xs:restriction base="xs:string">\n'
               '      <xs:pattern value="[0-9]{3}" />\n    </xs:restriction>\n'
               '  </xs:simpleType>\n')
    out.append('  <xs:simpleType name="UPN">\n    <xs:restriction base="xs:string">\n'
               '      <xs:pattern value="[A-HJ-NP-RT-Z][0-9]{11}[0-9A-HJ-NP-RT-Z]" />\n'
               '    </xs:restriction>\n  </xs:simpleType>\n')
    out.append('  <xs:simpleType name="ULN">\n    <xs:restriction base="xs:string">\n'
               '      <xs:pattern value="[1-9][0-9]{9}" />\n    </xs:restriction>\n'
               '  </xs:simpleType>\n')
    out.append("</xs:schema>\n")
    return "".join(out).encode("utf-8")


def _element(module: Module, spec: YearSpec, level: int, *, min_occurs: int) -> list[str]:
    pad = "  " * level
    max_occurs = ' maxOccurs="unbounded"' if module.repeats else ""
    lines = [f'{pad}<xs:element name="{module.name}" minOccurs="{min_occurs}"{max_occurs}>\n',
             f"{pad}  <xs:complexType>\n{pad}    <xs:sequence>\n"]
    for item in module.items:
        lines.append(f'{pad}      <xs:element name="{item.name}" type="{_type(item)}" '
                     f'minOccurs="{1 if item.required else 0}" />\n')
    for child in module.children:
        lines += _element(child, spec, level + 3, min_occurs=1 if child.required else 0)
    lines.append(f"{pad}    </xs:sequence>\n{pad}  </xs:complexType>\n{pad}</xs:element>\n")
    return lines


def _type(item: Item) -> str:
    if item.codes:
        return f"{item.codes}Code"
    if item.kind == "la":
        return "LANumber"
    if item.kind in ("upn", "uln"):
        return item.kind.upper()
    return _TYPES.get(item.kind, "xs:string")


def xsd_items(spec: YearSpec) -> Iterator[tuple[str, Item]]:
    """Yield (module path, item) for every person item (for docs and tests)."""
    for path, module in spec.modules():
        for item in module.items:
            yield path, item
