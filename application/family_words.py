"""The words a family reads for the codes the case bundle carries.

Each table turns a stored value (a body, a service, a kind of advice, a plan section, a
plan's source, a request's outcome) into plain words; ``describe`` gives a reference-data
code its meaning as it stood on a day, and ``sentence`` gives an event type the first
sentence of its own docstring, in a parent's words. The HTML that uses them is
``web/templates/parent_page.html``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from domain.events import EVENT_TYPES
from domain.reference import reference_on

# Whose step it is, in the "what happens next" section (speaking to the family).
NEXT_STEP_BODIES = {
    "local_authority": "the council", "setting": "the school, college or nursery",
    "health": "the NHS (health services)", "social_care": "children's social care",
    "family": "you, the family", "tribunal": "the tribunal",
    "mediation": "the mediation service", "none": "no one"}
# Who was responsible, in the record of advice and delays.
BODIES = {"local_authority": "the local authority (the council)",
          "setting": "the school, college or nursery", "health": "the NHS (health services)",
          "social_care": "children's social care", "family": "the family",
          "tribunal": "the tribunal", "mediation": "the mediation service",
          "none": "no one"}
SERVICES = {"SALT": "Speech and language therapy", "OT": "Occupational therapy",
            "PHYSIO": "Physiotherapy", "COMMUNITY_PAEDIATRICS": "Community paediatrics",
            "ND_AUTISM": "Autism assessment", "ADHD": "ADHD assessment",
            "CAMHS": "Children and young people's mental health services", "OTHER": "Other"}
ADVICE = {"Parent": "Your own advice as the family", "Educational": "Advice from school or "
          "nursery", "SpecialistTeacherEducational": "Advice from a specialist teacher",
          "Medical": "Medical advice (health)", "Psychological": "Advice from an educational "
          "psychologist", "SocialCare": "Advice from social care",
          "PreparationForAdulthood": "Advice on preparing for adult life",
          "LAOther": "Other advice the council asked for",
          "ParentRequested": "Advice you asked the council to get"}
SECTIONS = {"A": "Section A: the views, interests and hopes of the child and family",
            "B": "Section B: special educational needs",
            "C": "Section C: health needs", "D": "Section D: social care needs",
            "E": "Section E: outcomes (what the help should achieve)",
            "F": "Section F: special educational help (provision)",
            "G": "Section G: health help (provision)",
            "H1": "Section H1: social care help (Chronically Sick and Disabled Persons Act)",
            "H2": "Section H2: other social care help",
            "I": "Section I: the school or college", "J": "Section J: personal budget",
            "K": "Section K: the advice and information gathered"}
SOURCES = {"final": "the first final plan", "amendment": "an amended plan",
           "reassessment": "a plan after a new assessment", "tribunal": "a plan changed "
           "after a tribunal decision", "mediation_agreement": "a plan made or changed as "
           "agreed at mediation", "transfer_in": "a plan transferred from another council"}
OUTCOMES = {"withdrawn": "the request was withdrawn", "not_assessed": "the council decided "
            "not to assess", "plan_not_issued": "the council decided not to issue a plan",
            "plan_issued": "a plan was issued", "open": "still in progress"}
AMENDMENTS = {
    "EntryCorrected": "The council corrected an earlier record",
    "EntryRetracted": "The council withdrew an earlier record made in error",
}
GLOSSARY = (
    ("EHC plan", "an education, health and care plan: the legal document describing a "
     "child's needs and the help they must get"),
    ("local authority", "the council responsible for the plan"),
    ("SEN", "special educational needs"),
    ("ICB", "integrated care board, the local NHS body that pays for health services"),
    ("DCO", "designated clinical officer, who checks the health parts of plans"),
    ("Tribunal", "the First-tier Tribunal (SEND), which hears appeals"),
)
# Abbreviations the page may use, each explained in its word list.
ABBREVIATIONS = (
    ("SENDIAS", "special educational needs and disabilities information, advice and support: "
     "a free, impartial service for families, separate from the council"),
    ("SEND", "special educational needs and disabilities"),
    ("LA", "local authority, the council"),
    ("EP", "educational psychologist"),
    ("NHS", "National Health Service"),
    ("UK", "United Kingdom"),
    ("CFA", "the Children and Families Act 2014, the law on special educational needs"),
    ("NICE", "National Institute for Health and Care Excellence, which sets health "
     "guidance"),
    ("SALT", "speech and language therapy"),
    ("OT", "occupational therapy"),
    ("CAMHS", "children and young people's mental health services"),
    ("ADHD", "attention deficit hyperactivity disorder"),
    ("URN", "unique reference number, the number the government gives each school"),
    ("UKPRN", "UK provider reference number, the number given to each college or "
     "training provider"),
)
SETTING_NAME_KEYS = ("setting_name", "name", "school", "setting", "college", "school_name")


def words(value: str) -> str:
    """Turn a stored value such as ``no_agreement`` into words."""
    return value.replace("_", " ").strip()


def describe(list_name: str, code: Any, on: date) -> str:
    """Give a reference-data code its meaning on ``on``, the code in brackets after it."""
    meaning = reference_on(on).codes(list_name).get(str(code)) if code else None
    return f"{meaning} ({code})" if meaning else words(str(code))


def sentence(type_name: str) -> str:
    """Say what an event type records: its docstring's first sentence, in plain words."""
    cls = EVENT_TYPES.get(type_name)
    doc = (cls.__doc__ or "") if cls else ""
    first = doc.strip().split("\n\n")[0].replace("\n", " ")
    while True:
        shorter = re.sub(r"\s*\([^()]*\)", "", first)
        if shorter == first:
            break
        first = shorter
    first = "; ".join(part.strip() for part in first.rstrip(".").split(";")
                      if "``" not in part and not re.search(r"\bK\d|\breg\b|[()]", part))
    first = first.strip() + "." if first.strip() else ""
    first = re.sub(r"\bthe LA's\b", "the council's", first)
    first = re.sub(r"\bLA's\b", "council's", first)
    first = re.sub(r"\bLA\b", "council", first).replace("an council", "a council")
    return first or words(re.sub(r"(?<!^)(?=[A-Z])", " ", type_name)).capitalize() + "."


def setting_words(value: Any, on: date) -> str:
    """Say which school or college section I names, whatever keys the plan used."""
    if not value:
        return "No school or college named yet."
    if not isinstance(value, dict):
        return str(value)
    name = next((str(value[k]) for k in SETTING_NAME_KEYS if value.get(k)), "")
    parts = [name]
    if value.get("setting_type"):
        parts.append(describe("setting_types", value["setting_type"], on))
    if value.get("setting_ref"):
        parts.append(f"reference number {value['setting_ref']}")
    known = {*SETTING_NAME_KEYS, "setting_type", "setting_ref"}
    parts += [f"{words(k)}: {v}" for k, v in value.items()
              if k not in known and isinstance(v, str | int) and v != ""]
    return ", ".join(p for p in parts if p) or "No school or college named yet."


def section_items(key: str, value: Any, on: date) -> list[str]:
    """Say what one section of a plan holds, one line per need, outcome or provision."""
    if key == "I":
        return [setting_words(value, on)]
    if isinstance(value, str):
        return [value]
    return [_item_words(item, on) if isinstance(item, dict) else str(item)
            for item in (value if isinstance(value, list) else [value])]


def _item_words(item: dict[str, Any], on: date) -> str:
    bits = []
    if item.get("need"):
        bits.append(f"Need: {describe('needs', item['need'], on)}")
    for name in ("description", "provision", "outcome"):
        if item.get(name):
            bits.append(str(item[name]))
    if "quantified" in item:
        bits.append("the amount of help is stated" if item["quantified"] else
                    "the amount of help is not stated")
    if item.get("pfa"):
        bits.append(f"preparing for adult life: {words(str(item['pfa']))}")
    if item.get("commissioner"):
        bits.append(f"paid for by {item['commissioner']}")
    return "; ".join(bits) or ", ".join(f"{words(k)}: {v}" for k, v in item.items())
