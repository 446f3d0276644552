"""What happens next, written for the family at the top of the parent page.

Everything here is read, never worked out again: the next deadline is the journey's
``next_due`` (application.views.next_due over the domain's clock readings), each clock's
status, due date, days late and responsible body by name come from domain.clocks as the
bundle carries them, and the family's rights are the family's own open windows among
those readings (K5: comments on a draft and the school asked for; K19: mediation advice
first; K21: the appeal).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

RUNNING = "running"
BODY_WORDS = {"local_authority": "the council", "setting": "the school, college or nursery",
              "health": "the NHS (health services)", "social_care": "children's social care",
              "family": "you, the family", "tribunal": "the tribunal",
              "mediation": "the mediation service", "none": "no one"}
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


def _e(value: Any) -> str:
    return html.escape(str(value), quote=False)


def _open(bundle: Mapping[str, Any], clock: str) -> list[Mapping[str, Any]]:
    return [c for c in bundle["clocks"] if c["clock"] == clock and c["status"] == RUNNING
            and c["due_on"] is not None and c["stopped_on"] is None]


def _whose(reading: Mapping[str, Any]) -> str:
    body = BODY_WORDS.get(str(reading["responsible"]), str(reading["responsible"]))
    name = reading.get("responsible_name")
    return f"{_e(body)} ({_e(name)})" if name and reading["responsible"] != "family" \
        else _e(body)


def next_steps(bundle: Mapping[str, Any], full_date: Any) -> list[str]:
    """Return the "what happens next" section: the next deadline and whose step it is."""
    out = ["<section aria-labelledby='next'><h2 id='next'>What happens next</h2>"]
    due = bundle.get("next_due")
    if due is None:
        out.append("<p>No step has a deadline running at the moment.</p>")
    else:
        late = due.get("days_late") or 0
        when = (f"was due by {full_date(due['due_on'])} and is {late} days late"
                if late else f"is due by {full_date(due['due_on'])}")
        out.append(f"<p>The next step is <strong>{_e(due['name'].lower())}</strong>. It "
                   f"{when}. Whose step it is: {_whose(due)}.</p>")
    out.append("</section>")
    return out


def rights(bundle: Mapping[str, Any], full_date: Any) -> list[str]:
    """Return what the family may do now, and by when (their own open windows)."""
    out = ["<section aria-labelledby='rights'><h2 id='rights'>What you can do now</h2><ul>"]
    for draft in _open(bundle, "K5"):
        out.append(f"<li>You can comment on the draft plan and ask for a particular school "
                   f"or college to be named in it until {full_date(draft['due_on'])} "
                   "(15 days from when the draft was sent to you). You can also ask to "
                   "meet the council about the draft.</li>")
    for mediation in _open(bundle, "K19"):
        out.append("<li>If you disagree with the council's decision, you can appeal to the "
                   "tribunal. First you must contact a mediation adviser (you do not have "
                   "to go on to mediation, but you need the certificate the adviser gives "
                   f"you): do this by {full_date(mediation['due_on'])}.</li>")
    for appeal in _open(bundle, "K21"):
        out.append(f"<li>You can appeal to the tribunal until {full_date(appeal['due_on'])}."
                   "</li>")
    out.append("<li>You can tell the council your views, and your child's, at any time, "
               "and say how the process is going for you.</li></ul></section>")
    return out


def who(bundle: Mapping[str, Any], contacts: Mapping[str, str | None]) -> list[str]:
    """Return who is involved and whom to contact: the caseworker, SENDIAS, the advisers
    and the school."""
    out = ["<section aria-labelledby='who'><h2 id='who'>Who is involved</h2><ul>"]
    assigned = bundle.get("assignment")
    if assigned:
        out.append(f"<li>Your caseworker at the council: {_e(assigned['assigned_to'])} "
                   f"({_e(assigned['assigned_organisation'])}).</li>")
    else:
        out.append("<li>No caseworker is named yet: contact the council's SEN team.</li>")
    name, reach = contacts.get("sendias_name"), contacts.get("sendias_contact")
    if name:
        out.append(f"<li>Free, impartial advice for families: {_e(name)} (SENDIAS)"
                   + (f", {_e(reach)}" if reach else "") + ".</li>")
    else:
        out.append("<li>Free, impartial advice for families: ask the council for your local "
                   "SENDIAS service.</li>")
    advisers = sorted({str(a.get("responsible_name") or a.get("recipient_org"))
                       for a in bundle["advice"]
                       if a.get("responsible_name") or a.get("recipient_org")})
    if advisers:
        out.append("<li>Asked for advice: " + "; ".join(_e(a) for a in advisers) + ".</li>")
    school = bundle.get("school")
    out.append(f"<li>School or college named in the plan: {_e(school)}.</li>" if school else
               "<li>No school or college is named in a plan yet.</li>")
    out.append("</ul></section>")
    return out
