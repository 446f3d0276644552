"""The case bundle of one tracked child: JSON for inspectors and staff, HTML for a parent.

The bundle gathers, from the journey replayed at ``as_at`` (today by default): the
journey and its timeline, every plan version with its sections, the advice asked for and
how late it came, reviews, disputes and their outcomes, health referrals and waits,
placements, the family's own voice, and every delay with the body responsible for it.
Access is the journey's (``access.check_may_read`` through ``history.journey_at``):
staff of the authority, and inspectors only for children in an active sample. Sealed
free text is opened for the reader as the journey read does.

``bundle_html`` writes it for a parent: plain words, dates in full ("8 January 2024"),
and every code shown with its meaning (reference data, clock names, rule summaries).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from application import parent_page
from application.history import journey_at, load_journey
from application.views import plain
from domain.actors import Actor
from domain.ages import age_on
from domain.clocks import ClockStatus, compute_clocks
from domain.events import EVENT_TYPES
from domain.reference import reference_on
from domain.rules import RULES

if TYPE_CHECKING:
    from application.tracking import CaseTracking

VOICE_TYPES = frozenset({"ChildViewsRecorded", "FamilyFeedbackRecorded", "FamilyViewsSubmitted",
                         "RepresentationsReceived", "PlacementPreferenceExpressed"})
LATE = (ClockStatus.LATE, ClockStatus.LATE_EXCEPTION_APPLIES)


def case_bundle(app: CaseTracking, child_id: UUID, *, actor: Actor,
                as_at: date | None = None) -> dict[str, Any]:
    """Return the child's case bundle (the caller's access is checked first)."""
    today = app.today()
    view = journey_at(app, child_id, actor=actor, today=today, as_at=as_at)
    journey = load_journey(app, child_id)
    state = journey.state_at(as_at=as_at)
    on = as_at or today
    readings = compute_clocks(state, on, policy=app.policy)
    k2 = {r.episode: r for r in readings if r.clock == "K2"}
    assert state.child is not None
    child = state.child
    section_i = state.plan.current.sections.get("I") if state.plan.current else None
    bundle: dict[str, Any] = {
        "child": {"child_id": str(child_id), "authority": child.authority,
                  "case_ref": child.case_ref, "date_of_birth": child.date_of_birth,
                  "age": age_on(child.date_of_birth, on), "sex": child.sex,
                  "status": state.status, "stage": state.stage},
        "as_at": on,
        "requests": [plain(r) | {"outcome": r.outcome} for r in state.assessment.requests],
        "plan_versions": [plain(v) for v in state.plan.versions],
        "drafts": [{"id": d.id, "served_on": d.served_on,
                    "representations_due": d.representations_due,
                    "finalised_on": d.finalised_on, "superseded_on": d.superseded_on}
                   for d in state.plan.drafts],
        "advice": [_advice(a, k2.get(a.id), on) for a in state.plan.advice],
        "adopted_advice": plain(state.plan.adopted_advice),
        "reviews": plain(state.reviews),
        "disputes": plain(state.disputes),
        "health": {"referrals": [plain(r) | {"wait_days": r.wait_days(on),
                                             "waiting": r.is_waiting}
                                 for r in state.health.referrals if r.referred_on <= on],
                   "social_care_assessments": plain(state.health.social_care_assessments)},
        "placements": plain(state.plan.placements),
        "out_of_school": plain(state.plan.out_of_school),
        "needs": plain(state.plan.needs),
        "voice": {"section_a": state.plan.current.sections.get("A")
                  if state.plan.current else None,
                  "records": plain(state.voice.views),
                  "entries": [{"type": e["type"], "occurred_on": e["occurred_on"],
                               "data": e["as_corrected"] or e["data"]}
                              for e in view["timeline"]
                              if e["type"] in VOICE_TYPES and e["in_force"]]},
        "delays": [_delay(r, on) for r in readings if r.status in LATE],
        "clocks": view["clocks"],
        "next_due": view["next_due"],
        "assignment": plain(state.governance.assignment),
        "school": _setting_words(section_i, on) if section_i else None,
        "anomalies": view["anomalies"],
        "timeline": view["timeline"],
    }
    return _revealed(app, child_id, bundle, actor)


def _revealed(app: CaseTracking, child_id: UUID, data: dict[str, Any], actor: Actor
              ) -> dict[str, Any]:
    vault = getattr(app, "vault", None)
    if vault is None:
        return data
    from application.personal_data import reveal

    revealed: dict[str, Any] = reveal(vault, child_id, data, actor)
    return revealed


def _advice(advice: Any, reading: Any, on: date) -> dict[str, Any]:
    due = reading.due_on if reading else None
    return plain(advice) | {
        "due_on": due, "status": reading.status.value if reading else "not_applicable",
        "days_late": (reading.days_late or 0) if reading and advice.under_reg_8_duty else 0,
        "responsible_name": reading.responsible_name if reading else advice.recipient_org,
        "exception_ground": reading.exception_ground if reading else None}


def _delay(reading: Any, on: date) -> dict[str, Any]:
    return {"clock": reading.clock, "name": reading.name, "episode": reading.episode,
            "limit": reading.limit, "citation": reading.citation,
            "started_on": reading.started_on, "due_on": reading.due_on,
            "done_on": reading.stopped_on,
            "days_late": reading.days_late or 0,
            "responsible": reading.responsible.value,
            "responsible_name": reading.responsible_name,
            "exception_ground": reading.exception_ground, "status": reading.status.value}


# The printable report for a parent.

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
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
           "after a tribunal decision", "transfer_in": "a plan transferred from another council"}
OUTCOMES = {"withdrawn": "the request was withdrawn", "not_assessed": "the council decided "
            "not to assess", "plan_not_issued": "the council decided not to issue a plan",
            "plan_issued": "a plan was issued", "open": "still in progress"}
GLOSSARY = (
    ("EHC plan", "an education, health and care plan: the legal document describing a "
     "child's needs and the help they must get"),
    ("local authority", "the council responsible for the plan"),
    ("SEN", "special educational needs"),
    ("ICB", "integrated care board, the local NHS body that pays for health services"),
    ("DCO", "designated clinical officer, who checks the health parts of plans"),
    ("Tribunal", "the First-tier Tribunal (SEND), which hears appeals"),
)


def full_date(day: Any) -> str:
    """Return ``day`` in full, e.g. "8 January 2024"."""
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _describe(list_name: str, code: Any, on: date) -> str:
    meaning = reference_on(on).codes(list_name).get(str(code)) if code else None
    return f"{meaning} ({code})" if meaning else _words(str(code))


def _words(value: str) -> str:
    """Turn a stored value such as ``no_agreement`` into words."""
    return value.replace("_", " ").strip()


def _sentence(type_name: str) -> str:
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
    return first or _words(re.sub(r"(?<!^)(?=[A-Z])", " ", type_name)).capitalize() + "."


_ISO = re.compile(r"\b(\d{4}-\d{2}-\d{2})(T[0-9:.+]+Z?)?\b")
_TEXT_FIELDS = ("summary", "reasons", "reason", "notes", "outcomes", "terms", "remedy",
                "progress_summary", "necessity_reasons", "intervention")


def _text(value: Any) -> str:
    """Escape text for HTML, writing any ISO date in it in full."""
    return _ISO.sub(lambda m: full_date(m.group(1)), html.escape(str(value), quote=False))


SETTING_NAME_KEYS = ("setting_name", "name", "school", "setting", "college", "school_name")


def _setting_words(value: Any, on: date) -> str:
    """Say which school or college section I names, whatever keys the plan used."""
    if not value:
        return "No school or college named yet."
    if not isinstance(value, dict):
        return str(value)
    name = next((str(value[k]) for k in SETTING_NAME_KEYS if value.get(k)), "")
    parts = [name]
    if value.get("setting_type"):
        parts.append(_describe("setting_types", value["setting_type"], on))
    if value.get("setting_ref"):
        parts.append(f"reference number {value['setting_ref']}")
    known = {*SETTING_NAME_KEYS, "setting_type", "setting_ref"}
    parts += [f"{_words(k)}: {v}" for k, v in value.items()
              if k not in known and isinstance(v, str | int) and v != ""]
    return ", ".join(p for p in parts if p) or "No school or college named yet."


def _section_items(key: str, value: Any, on: date) -> list[str]:
    if key == "I":
        return [_setting_words(value, on)]
    if isinstance(value, str):
        return [value]
    items = []
    for item in value if isinstance(value, list) else [value]:
        if not isinstance(item, dict):
            items.append(str(item))
            continue
        bits = []
        if item.get("need"):
            bits.append(f"Need: {_describe('needs', item['need'], on)}")
        for name in ("description", "provision", "outcome"):
            if item.get(name):
                bits.append(str(item[name]))
        if "quantified" in item:
            bits.append("the amount of help is stated" if item["quantified"] else
                        "the amount of help is not stated")
        if item.get("pfa"):
            bits.append(f"preparing for adult life: {_words(str(item['pfa']))}")
        if item.get("commissioner"):
            bits.append(f"paid for by {item['commissioner']}")
        items.append("; ".join(bits) or ", ".join(f"{_words(k)}: {v}" for k, v in item.items()))
    return items


AMENDMENT_WORDS = {
    "EntryCorrected": "The council corrected an earlier record",
    "EntryRetracted": "The council withdrew an earlier record made in error",
}


def _timeline_words(entry: dict[str, Any], by_version: dict[int, dict[str, Any]]) -> str:
    """Say what an entry records, in a parent's words, as now corrected."""
    if entry["type"] in AMENDMENT_WORDS:
        target = by_version.get(entry["corrects_version"] or -1)
        about = (f" (the record for {full_date(target['occurred_on'])}: "
                 f"{_text(_sentence(target['type']).rstrip('.'))})" if target else "")
        reason = entry["data"].get("reason")
        return (f"{AMENDMENT_WORDS[entry['type']]}{about}."
                + (f" Reason given: {_text(reason)}." if reason else ""))
    data = entry["as_corrected"] or entry["data"]
    detail = "".join(f" {_text(data[k])}." for k in _TEXT_FIELDS
                     if isinstance(data.get(k), str) and data[k])
    return f"{_text(_sentence(entry['type']))}{detail}"


def bundle_html(bundle: dict[str, Any], contacts: Mapping[str, str | None] | None = None
                ) -> str:
    """Write the bundle as a printable page a parent can read: what happens next, the
    family's rights now and whom to contact first (``contacts``: the deployment's SENDIAS
    service), then everything recorded."""
    on: date = bundle["as_at"] if isinstance(bundle["as_at"], date) else date.fromisoformat(
        bundle["as_at"])
    child = bundle["child"]
    out: list[str] = []
    add = out.append
    add("<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Your child's education, health and care journey</title>"
        # A phone is narrower than the advice table: the table scrolls on its own, long
        # references break, and the page never scrolls sideways.
        "<style>body{font-family:sans-serif;max-width:50em;margin:1em auto;padding:0 1em;"
        "line-height:1.5;overflow-wrap:anywhere}"
        "table{border-collapse:collapse;width:100%;display:block;overflow-x:auto}"
        "td,th{border:1px solid #999;"
        "padding:.3em;text-align:left;vertical-align:top}@media print{h2{break-after:avoid}}"
        "</style></head><body><main>")
    add("<h1>Your child's education, health and care journey</h1>")
    add(f"<p>This report shows what is recorded up to {full_date(on)}. "
        f"Date of birth: {full_date(child['date_of_birth'])} (age {child['age']}). "
        f"Council reference: {_text(child['case_ref'] or 'none recorded')}.</p>")
    out += parent_page.next_steps(bundle, full_date)
    out += parent_page.rights(bundle, full_date)
    out += parent_page.who(bundle, contacts or {})
    add("<h2>Words used in this report</h2><ul>" + "".join(
        f"<li><strong>{term}</strong>: {meaning}</li>" for term, meaning in (
            *GLOSSARY, *parent_page.ABBREVIATIONS)) + "</ul>")

    add("<h2>Requests for an assessment</h2>")
    if not bundle["requests"]:
        add("<p>No request for an EHC needs assessment is recorded.</p>")
    for request in bundle["requests"]:
        source = request.get("request_source")
        meaning = reference_on(on).codes("request_sources").get(str(source)) if source else None
        who = f" from {meaning.lower()}" if meaning else ""
        add(f"<p>Request received on {full_date(request['received_on'])}{who}: "
            f"{OUTCOMES.get(request['outcome'], _words(request['outcome']))}.</p>")

    add("<h2>The plan, each time it was issued or changed</h2>")
    if not bundle["plan_versions"]:
        add("<p>No final plan has been issued.</p>")
    for version in bundle["plan_versions"]:
        add(f"<h3>Plan {version['number']}, issued on {full_date(version['issued_on'])}"
            f" ({SOURCES.get(version['source'], _words(version['source']))})</h3>")
        for key in sorted(version["sections"], key=lambda k: list(SECTIONS).index(k)
                          if k in SECTIONS else 99):
            add(f"<h4>{SECTIONS.get(key, 'Section ' + key)}</h4><ul>" + "".join(
                f"<li>{_text(item)}</li>" for item in _section_items(
                    key, version["sections"][key], on)) + "</ul>")

    add("<h2>Advice gathered for the assessment</h2>")
    if bundle["advice"]:
        add("<table><caption>Advice asked for, when it was due and when it came</caption>"
            "<tr>" + "".join(f"<th scope='col'>{h}</th>" for h in (
                "Advice", "Asked for", "Due by", "Received", "On time?", "Whose job"))
            + "</tr>")
        for advice in bundle["advice"]:
            due = full_date(advice["due_on"]) if advice["due_on"] else "no legal time limit"
            got = full_date(advice["received_on"]) if advice["received_on"] else "not yet"
            if advice["days_late"]:
                timing = f"{advice['days_late']} days late"
                if advice["exception_ground"]:
                    timing += (" (the law allows more time here: "
                               f"{_words(advice['exception_ground'])})")
            else:
                timing = "on time" if advice["due_on"] else "no time limit applies"
            add(f"<tr><td>{ADVICE.get(advice['advice_type'], _words(advice['advice_type']))}"
                f"</td><td>{full_date(advice['requested_on'])}</td><td>{due}</td>"
                f"<td>{got}</td><td>{timing}</td>"
                f"<td>{BODIES.get(advice['responsible'], advice['responsible'])}</td></tr>")
        add("</table>")
    else:
        add("<p>No advice has been asked for.</p>")

    add("<h2>Delays, and who was responsible</h2>")
    if not bundle["delays"]:
        add("<p>No step is recorded as late.</p>")
    for delay in bundle["delays"]:
        done = (f"done on {full_date(delay['done_on'])}" if delay["done_on"]
                else "not yet done")
        text = (f"<p><strong>{_text(delay['name'])}</strong> (time limit {delay['limit']}, "
                f"{_text(delay['citation'])}): due by {full_date(delay['due_on'])}, {done}, "
                f"{delay['days_late']} days late. Responsible: "
                f"{BODIES.get(delay['responsible'], delay['responsible'])}"
                + (f" ({_text(delay['responsible_name'])})" if delay["responsible_name"]
                   else "") + ".")
        if delay["exception_ground"]:
            text += (" The council recorded a reason the law accepts for this: "
                     f"{_words(delay['exception_ground'])}.")
        add(text + "</p>")

    reviews = bundle["reviews"]
    add("<h2>Annual reviews</h2>")
    if not reviews["reviews"]:
        add("<p>No review is recorded.</p>")
    for review in reviews["reviews"]:
        held = (f"held on {full_date(review['held_on'])}" if review["held_on"]
                else "not yet held")
        decision = (f"; decision: {_words(review['decision']).lower()}"
                    if review["decision"] else "")
        add(f"<p>Review due by {full_date(review['due_by'])}, {held}{decision}.</p>")

    disputes = bundle["disputes"]
    add("<h2>Disagreements, mediation and appeals</h2>")
    if not (disputes["mediations"] or disputes["appeals"] or disputes["complaints"]):
        add("<p>None recorded.</p>")
    for mediation in disputes["mediations"]:
        held = (f"held on {full_date(mediation['held_on'])}, outcome: "
                f"{_words(mediation['outcome'] or 'not recorded')}" if mediation["held_on"]
                else "not held")
        add(f"<p>Mediation adviser contacted on "
            f"{full_date(mediation['adviser_contacted_on'])}; mediation {held}.</p>")
    for appeal in disputes["appeals"]:
        closed = (f"closed on {full_date(appeal['closed_on'])}, outcome: "
                  f"{_words(appeal['outcome'] or 'not recorded')}" if appeal["closed_on"]
                  else "still open")
        add(f"<p>Appeal to the tribunal registered on {full_date(appeal['registered_on'])};"
            f" {closed}.</p>")
    for order in disputes["obligations"]:
        done = (f"done on {full_date(order['complied_on'])}" if order["complied_on"]
                else "not yet done")
        add(f"<p>The tribunal ordered: {_words(order['order'])} ({_words(order['step'])}), "
            f"within {order['weeks']} weeks of {full_date(order['ordered_on'])}; {done}.</p>")
    for complaint in disputes["complaints"]:
        add(f"<p>Complaint received on {full_date(complaint['received_on'])} about "
            f"{_words(complaint['subject'] or 'an unrecorded subject')}.</p>")

    add("<h2>Health referrals and waiting times</h2>")
    if not bundle["health"]["referrals"]:
        add("<p>No health referral is recorded.</p>")
    for referral in bundle["health"]["referrals"]:
        state = ("still waiting" if referral["waiting"] else "seen")
        add(f"<p>{SERVICES.get(referral['service'], _words(referral['service']))}: referred "
            f"on {full_date(referral['referred_on'])}; {state} after {referral['wait_days']} "
            f"days ({referral['wait_days'] // 7} weeks).</p>")

    add("<h2>School, college and other places</h2>")
    if not bundle["placements"] and not bundle["out_of_school"]:
        add("<p>No placement is recorded.</p>")
    for placement in bundle["placements"]:
        where = (f"school reference number (URN) {placement['urn']}" if placement["urn"] else
                 f"provider reference number (UKPRN) {placement['ukprn']}"
                 if placement["ukprn"] else _describe("setting_types",
                                                      placement["sen_setting"], on))
        until = (f" until {full_date(placement['end_on'])}" if placement["end_on"]
                 else " (still there)")
        hours = "full time" if placement["attendance"] == "full_time" else "part time"
        add(f"<p>{_text(where)}, {hours}, from {full_date(placement['start_on'])}{until}.</p>")
    for period in bundle["out_of_school"]:
        kind = ("Education arranged by the council outside school" if period["kind"] ==
                "eotas" else "Out of school")
        until = f" to {full_date(period['end_on'])}" if period["end_on"] else ""
        add(f"<p>{kind}: from {full_date(period['start_on'])}{until}.</p>")
    if bundle["needs"]:
        add("<p>Needs recorded, most important first: " + "; ".join(
            _describe("needs", n.get("code"), on) for n in sorted(
                bundle["needs"], key=lambda n: n.get("rank", 99))) + ".</p>")

    add("<h2>In your own words</h2>")
    voice = bundle["voice"]
    if voice["section_a"]:
        add(f"<p>From section A of the plan: {_text(voice['section_a'])}</p>")
    for entry in voice["entries"]:
        said = next((entry["data"][k] for k in ("summary", "setting_name")
                     if entry["data"].get(k)), None)
        add(f"<p>{full_date(entry['occurred_on'])}: {_text(_sentence(entry['type']))}"
            + (f" “{_text(said)}”" if said else "") + "</p>")
    if not voice["section_a"] and not voice["entries"]:
        add("<p>No views are recorded yet.</p>")

    add("<h2>Everything that happened, in order</h2><ol>")
    by_version = {entry["version"]: entry for entry in bundle["timeline"]}
    for entry in bundle["timeline"]:
        if not entry["in_force"]:
            continue
        add(f"<li>{full_date(entry['occurred_on'])}: {_timeline_words(entry, by_version)}"
            "</li>")
    add("</ol>")
    if bundle["anomalies"]:
        add("<h2>Records that do not fit the rules</h2>")
        for anomaly in bundle["anomalies"]:
            known = RULES.get(anomaly["code"])
            add(f"<p>{_text(known.summary if known else _words(anomaly['code']))}</p>")
    add("</main></body></html>")
    return "".join(out)
