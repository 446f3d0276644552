"""The parent page's content: the case bundle as plain data a family can read.

``parent_page`` turns a case bundle (``application.bundles.case_bundle``) into a
``ParentPage``: the sections in the order the page shows them, every code already in
words (``application.family_words``) and every date a ``date``. ``web`` renders it with
``web/templates/parent_page.html``, which writes the dates in full and escapes every word.

Everything here is read, never worked out again: the next deadline is the journey's
``next_due`` (application.views.next_due over the domain's clock readings), each clock's
status, due date, days late and responsible body by name come from domain.clocks as the
bundle carries them, and the family's rights are the family's own open windows among
those readings (K5: comments on a draft and the school asked for; K19: mediation advice
first; K21: the appeal).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from application.documents import DOCUMENT_TYPES
from application.family_words import (
    ABBREVIATIONS,
    ADVICE,
    AMENDMENTS,
    BODIES,
    GLOSSARY,
    NEXT_STEP_BODIES,
    OUTCOMES,
    SECTIONS,
    SERVICES,
    SOURCES,
    describe,
    section_items,
    sentence,
    words,
)
from domain.reference import reference_on
from domain.rules import RULES

RUNNING = "running"
# Free-text fields an entry of the timeline quotes after its sentence, in this order.
TEXT_FIELDS = ("summary", "reasons", "reason", "notes", "outcomes", "terms", "remedy",
               "progress_summary", "necessity_reasons", "intervention")


@dataclass(frozen=True)
class NextStep:
    name: str
    due_on: date
    days_late: int
    body: str
    body_name: str | None


@dataclass(frozen=True)
class Rights:
    draft_comments_until: tuple[date, ...]
    mediation_advice_by: tuple[date, ...]
    appeal_until: tuple[date, ...]


@dataclass(frozen=True)
class Caseworker:
    name: str
    organisation: str


@dataclass(frozen=True)
class Contacts:
    caseworker: Caseworker | None
    sendias_name: str | None
    sendias_contact: str | None
    advisers: tuple[str, ...]
    school: str | None


@dataclass(frozen=True)
class Request:
    received_on: date
    source: str | None
    outcome: str


@dataclass(frozen=True)
class PlanSection:
    heading: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class PlanVersion:
    number: int
    issued_on: date
    source: str
    sections: tuple[PlanSection, ...]


@dataclass(frozen=True)
class Advice:
    kind: str
    requested_on: date
    due_on: date | None
    received_on: date | None
    days_late: int
    exception: str | None
    body: str


@dataclass(frozen=True)
class Delay:
    name: str
    limit: str
    citation: str
    due_on: date
    done_on: date | None
    days_late: int
    body: str
    body_name: str | None
    exception: str | None


@dataclass(frozen=True)
class Review:
    due_by: date
    held_on: date | None
    decision: str | None


@dataclass(frozen=True)
class Mediation:
    adviser_contacted_on: date
    held_on: date | None
    outcome: str


@dataclass(frozen=True)
class Appeal:
    registered_on: date
    closed_on: date | None
    outcome: str


@dataclass(frozen=True)
class Order:
    """What the tribunal ordered, or a mediation agreement asks for (``agreed``), and by
    when: ``weeks`` from ``ordered_on``, or a day the parties agreed in writing."""

    order: str
    step: str
    weeks: int
    ordered_on: date
    complied_on: date | None
    agreed: bool = False
    agreed_by: date | None = None


@dataclass(frozen=True)
class Complaint:
    received_on: date
    subject: str


@dataclass(frozen=True)
class Disputes:
    mediations: tuple[Mediation, ...]
    appeals: tuple[Appeal, ...]
    orders: tuple[Order, ...]
    complaints: tuple[Complaint, ...]

    @property
    def recorded(self) -> bool:
        """Whether there is any disagreement to tell (a tribunal's orders follow an appeal)."""
        return bool(self.mediations or self.appeals or self.complaints)


@dataclass(frozen=True)
class Referral:
    service: str
    referred_on: date
    waiting: bool
    wait_days: int

    @property
    def wait_weeks(self) -> int:
        return self.wait_days // 7


@dataclass(frozen=True)
class Placement:
    where: str
    full_time: bool
    start_on: date
    end_on: date | None


@dataclass(frozen=True)
class OutOfSchool:
    arranged_by_council: bool
    start_on: date
    end_on: date | None


@dataclass(frozen=True)
class Places:
    placements: tuple[Placement, ...]
    out_of_school: tuple[OutOfSchool, ...]
    needs: tuple[str, ...]


@dataclass(frozen=True)
class Said:
    occurred_on: date
    sentence: str
    quoted: str | None


@dataclass(frozen=True)
class Voice:
    section_a: str | None
    entries: tuple[Said, ...]


@dataclass(frozen=True)
class Corrected:
    """The entry an amendment corrects or withdraws: its date and what it recorded."""

    occurred_on: date
    sentence: str


@dataclass(frozen=True)
class Happening:
    """One entry of the timeline, as now corrected: its sentence and quoted free text, or,
    for an amendment, which record it changed and the reason given."""

    occurred_on: date
    sentence: str
    details: tuple[str, ...] = ()
    amendment: bool = False
    corrects: Corrected | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Paper:
    """A document attached to a record (issue 16): its title, kind, when it was added and
    the record it belongs to, in words."""

    title: str
    kind: str
    added_on: date
    about: str


@dataclass(frozen=True)
class ParentPage:
    as_at: date
    date_of_birth: date
    age: int
    case_ref: str | None
    next_step: NextStep | None
    rights: Rights
    contacts: Contacts
    glossary: tuple[tuple[str, str], ...]
    requests: tuple[Request, ...]
    plans: tuple[PlanVersion, ...]
    advice: tuple[Advice, ...]
    delays: tuple[Delay, ...]
    reviews: tuple[Review, ...]
    disputes: Disputes
    referrals: tuple[Referral, ...]
    places: Places
    voice: Voice
    timeline: tuple[Happening, ...]
    anomalies: tuple[str, ...]
    documents: tuple[Paper, ...] = ()


def parent_page(bundle: Mapping[str, Any], contacts: Mapping[str, str | None] | None = None
                ) -> ParentPage:
    """Return what the parent page says: what happens next, the family's rights now and
    whom to contact first (``contacts``: the deployment's SENDIAS service), then
    everything recorded."""
    on = _day(bundle["as_at"])
    child = bundle["child"]
    return ParentPage(
        as_at=on, date_of_birth=_day(child["date_of_birth"]), age=child["age"],
        case_ref=child["case_ref"], next_step=_next_step(bundle.get("next_due")),
        rights=_rights(bundle), contacts=_contacts(bundle, contacts or {}),
        glossary=(*GLOSSARY, *ABBREVIATIONS),
        requests=tuple(_request(r, on) for r in bundle["requests"]),
        plans=tuple(_plan(v, on) for v in bundle["plan_versions"]),
        advice=tuple(_advice(a) for a in bundle["advice"]),
        delays=tuple(_delay(d) for d in bundle["delays"]),
        reviews=tuple(Review(_day(r["due_by"]), _maybe_day(r["held_on"]),
                             words(r["decision"]).lower() if r["decision"] else None)
                      for r in bundle["reviews"]["reviews"]),
        disputes=_disputes(bundle["disputes"]),
        referrals=tuple(Referral(SERVICES.get(r["service"], words(r["service"])),
                                 _day(r["referred_on"]), r["waiting"], r["wait_days"])
                        for r in bundle["health"]["referrals"]),
        places=_places(bundle, on), voice=_voice(bundle["voice"]),
        timeline=_timeline(bundle["timeline"]),
        documents=tuple(_paper(d) for d in bundle.get("documents", ())),
        anomalies=tuple(_anomaly(a["code"]) for a in bundle["anomalies"]))


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _maybe_day(value: Any) -> date | None:
    return _day(value) if value else None


def _next_step(due: Mapping[str, Any] | None) -> NextStep | None:
    if due is None:
        return None
    body = str(due["responsible"])
    name = due.get("responsible_name") if body != "family" else None
    return NextStep(due["name"], _day(due["due_on"]), due.get("days_late") or 0,
                    NEXT_STEP_BODIES.get(body, body), name or None)


def _open(bundle: Mapping[str, Any], clock: str) -> tuple[date, ...]:
    """The due dates of the clock's readings still running (a window still open)."""
    return tuple(_day(c["due_on"]) for c in bundle["clocks"]
                 if c["clock"] == clock and c["status"] == RUNNING
                 and c["due_on"] is not None and c["stopped_on"] is None)


def _rights(bundle: Mapping[str, Any]) -> Rights:
    return Rights(draft_comments_until=_open(bundle, "K5"),
                  mediation_advice_by=_open(bundle, "K19"), appeal_until=_open(bundle, "K21"))


def _contacts(bundle: Mapping[str, Any], contacts: Mapping[str, str | None]) -> Contacts:
    assigned = bundle.get("assignment")
    advisers = sorted({str(a.get("responsible_name") or a.get("recipient_org"))
                       for a in bundle["advice"]
                       if a.get("responsible_name") or a.get("recipient_org")})
    return Contacts(
        caseworker=Caseworker(assigned["assigned_to"], assigned["assigned_organisation"])
        if assigned else None,
        sendias_name=contacts.get("sendias_name") or None,
        sendias_contact=contacts.get("sendias_contact") or None,
        advisers=tuple(advisers), school=bundle.get("school") or None)


def _request(request: Mapping[str, Any], on: date) -> Request:
    source = request.get("request_source")
    meaning = reference_on(on).codes("request_sources").get(str(source)) if source else None
    return Request(_day(request["received_on"]), meaning.lower() if meaning else None,
                   OUTCOMES.get(request["outcome"], words(request["outcome"])))


def _plan(version: Mapping[str, Any], on: date) -> PlanVersion:
    order = list(SECTIONS)
    keys = sorted(version["sections"], key=lambda k: order.index(k) if k in order else 99)
    return PlanVersion(
        version["number"], _day(version["issued_on"]),
        SOURCES.get(version["source"], words(version["source"])),
        tuple(PlanSection(SECTIONS.get(key, "Section " + key),
                          tuple(section_items(key, version["sections"][key], on)))
              for key in keys))


def _advice(advice: Mapping[str, Any]) -> Advice:
    kind = advice["advice_type"]
    late = advice["days_late"]
    return Advice(ADVICE.get(kind, words(kind)), _day(advice["requested_on"]),
                  _maybe_day(advice["due_on"]), _maybe_day(advice["received_on"]), late,
                  words(advice["exception_ground"]) if late and advice["exception_ground"]
                  else None, BODIES.get(advice["responsible"], advice["responsible"]))


def _delay(delay: Mapping[str, Any]) -> Delay:
    ground = delay["exception_ground"]
    return Delay(delay["name"], delay["limit"], delay["citation"], _day(delay["due_on"]),
                 _maybe_day(delay["done_on"]), delay["days_late"],
                 BODIES.get(delay["responsible"], delay["responsible"]),
                 delay["responsible_name"] or None, words(ground) if ground else None)


def _disputes(disputes: Mapping[str, Any]) -> Disputes:
    return Disputes(
        mediations=tuple(Mediation(_day(m["adviser_contacted_on"]), _maybe_day(m["held_on"]),
                                   words(m["outcome"] or "not recorded"))
                         for m in disputes["mediations"]),
        appeals=tuple(Appeal(_day(a["registered_on"]), _maybe_day(a["closed_on"]),
                             words(a["outcome"] or "not recorded"))
                      for a in disputes["appeals"]),
        orders=tuple(_order(o) for o in disputes["obligations"]),
        complaints=tuple(Complaint(_day(c["received_on"]),
                                   words(c["subject"] or "an unrecorded subject"))
                         for c in disputes["complaints"]))


def _order(o: Mapping[str, Any]) -> Order:
    agreed = o["source"] == "mediation_agreement"
    # A mediation agreement's own steps (reg 42(3)-(4)) are named by the step alone.
    order = "" if agreed and o["order"] in ("agreed", "notify") else words(o["order"])
    return Order(order, words(o["step"]), o["weeks"], _day(o["ordered_on"]),
                 _maybe_day(o["complied_on"]), agreed, _maybe_day(o["agreed_by"]))


def _places(bundle: Mapping[str, Any], on: date) -> Places:
    needs = sorted(bundle["needs"], key=lambda n: n.get("rank", 99))
    return Places(
        placements=tuple(Placement(_where(p, on), p["attendance"] == "full_time",
                                   _day(p["start_on"]), _maybe_day(p["end_on"]))
                         for p in bundle["placements"]),
        out_of_school=tuple(OutOfSchool(p["kind"] == "eotas", _day(p["start_on"]),
                                        _maybe_day(p["end_on"]))
                            for p in bundle["out_of_school"]),
        needs=tuple(describe("needs", n.get("code"), on) for n in needs))


def _where(placement: Mapping[str, Any], on: date) -> str:
    if placement["urn"]:
        return f"school reference number (URN) {placement['urn']}"
    if placement["ukprn"]:
        return f"provider reference number (UKPRN) {placement['ukprn']}"
    return describe("setting_types", placement["sen_setting"], on)


def _voice(voice: Mapping[str, Any]) -> Voice:
    return Voice(voice["section_a"] or None, tuple(
        Said(_day(e["occurred_on"]), sentence(e["type"]),
             next((str(e["data"][k]) for k in ("summary", "setting_name")
                   if e["data"].get(k)), None))
        for e in voice["entries"]))


def _timeline(timeline: list[Mapping[str, Any]]) -> tuple[Happening, ...]:
    by_version = {entry["version"]: entry for entry in timeline}
    return tuple(_happening(entry, by_version) for entry in timeline if entry["in_force"])


def _happening(entry: Mapping[str, Any], by_version: Mapping[int, Mapping[str, Any]]
               ) -> Happening:
    """Say what an entry records, in a parent's words, as now corrected."""
    on = _day(entry["occurred_on"])
    if entry["type"] in AMENDMENTS:
        target = by_version.get(entry["corrects_version"] or -1)
        corrects = Corrected(_day(target["occurred_on"]),
                             sentence(target["type"]).rstrip(".")) if target else None
        return Happening(on, AMENDMENTS[entry["type"]], amendment=True, corrects=corrects,
                         reason=entry["data"].get("reason") or None)
    data = entry["as_corrected"] or entry["data"]
    return Happening(on, sentence(entry["type"]), tuple(
        data[k] for k in TEXT_FIELDS if isinstance(data.get(k), str) and data[k]))


def _paper(document: Mapping[str, Any]) -> Paper:
    kind = DOCUMENT_TYPES.get(document["media_type"], ("document", ""))[0]
    about = sentence(document["event_type"]) if document.get("event_type") else ""
    return Paper(str(document["title"]), kind, _day(document["attached_on"]), about)


def _anomaly(code: str) -> str:
    known = RULES.get(code)
    return known.summary if known else words(code)
