"""Who may do what: deny by default.

- caseworker: record and read journeys of their own authority.
- manager: as caseworker, plus corrections, assignment of cases to caseworkers, and
  opening inspections of their authority.
- inspector: read only journeys in an active inspection sample of the authority under
  inspection (their organisation is the inspectorate); open inspections and select.
- auditor: read journeys' history (the log without case content) and the access log,
  across authorities; personal identifiers pseudonymised unless a purpose is stated
  (application/pseudonyms.py).
- admin: operations only, no case content.
- partner: a school, EP service or health provider (its organisation as the advice
  requests and consultations name it): lists the requests addressed to it; records
  ``AdviceReceived`` against an advice request addressed to it, so "received" is the
  adviser's own record, and a consulted setting's ``SettingConsultationResponded``;
  attaches and downloads the documents of the requests addressed to it and of its own
  answers (``check_may_attach``, ``check_may_read_document``); nothing else.
- family: scoped to one child (the token names it): read that child's parent page, state
  and journey, and record the family's own voice (views, feedback, preferences,
  representations on a draft, consent) and attach documents to it; nothing else.

Every rule is a ``check_*`` function raising ``ForbiddenError``; docs/security.md holds
the table of what each endpoint answers each role.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol
from uuid import UUID

from application.errors import ForbiddenError
from domain.actors import Actor
from domain.events import JourneyEvent

if TYPE_CHECKING:
    from domain.journey import ChildJourney

ROLES = frozenset({"caseworker", "manager", "inspector", "auditor", "admin", "family",
                   "partner"})
# A partner (a school, EP service or health provider: its organisation as the advice
# requests and consultations name it) records the advice asked of it, against the
# request's id, and a consulted setting its answer.
PARTNER_EVENT_TYPES = frozenset({"AdviceReceived", "SettingConsultationResponded"})
# The family's voice: the only events a family's token may record, and only for its child.
FAMILY_EVENT_TYPES = frozenset({
    "ChildViewsRecorded", "FamilyFeedbackRecorded", "FamilyViewsSubmitted",
    "EvidenceSubmitted", "RepresentationsReceived", "PlacementPreferenceExpressed",
    "ConsentToShareRecorded", "ConsentToShareWithdrawn"})
WRITE_ROLES = frozenset({"caseworker", "manager"})
READ_ROLES = frozenset({"caseworker", "manager"})
HISTORY_ROLES = frozenset({"caseworker", "manager", "inspector", "auditor"})
ACCESS_LOG_ROLES = frozenset({"auditor"})


class SampleLookup(Protocol):
    """Whether an inspectorate's active inspection of an authority tracks a child today."""

    def tracks(self, inspectorate: str, authority: str, child_id: UUID) -> bool: ...


def check_may_register(actor: Actor, authority: str) -> None:
    if actor.role not in WRITE_ROLES:
        raise ForbiddenError(f"role {actor.role!r} may not register journeys")
    if actor.organisation != authority:
        raise ForbiddenError("staff register journeys for their own authority only")


def check_may_write(actor: Actor, authority: str, *, child_id: UUID | None = None,
                    type_name: str | None = None) -> None:
    if actor.role == "family":
        _check_family_child(actor, authority, child_id)
        if type_name not in FAMILY_EVENT_TYPES:
            raise ForbiddenError(f"a family records only its own voice "
                                 f"({', '.join(sorted(FAMILY_EVENT_TYPES))}), not {type_name}")
        return
    if actor.role not in WRITE_ROLES:
        raise ForbiddenError(f"role {actor.role!r} may not record events")
    if actor.organisation != authority:
        raise ForbiddenError("this journey belongs to another authority")


def check_may_amend(actor: Actor, target: JourneyEvent) -> None:
    """Allow a correction by a manager, or by the organisation that recorded the original."""
    if actor.role != "manager" and actor.organisation != target.actor.organisation:
        raise ForbiddenError("only a manager or the original organisation may correct an entry")


def check_partner_answer(actor: Actor, type_name: str, payload: Mapping[str, object],
                         recipients: dict[str, str]) -> None:
    """Allow a partner to record only its answer to what was asked of its own
    organisation: advice against an advice request addressed to it (``recipients``: each
    advice request's id and the organisation it went to), a consulted setting's answer
    naming itself (the domain then wants an open consultation of it)."""
    if type_name not in PARTNER_EVENT_TYPES:
        raise ForbiddenError(f"a partner records only its answers to what was asked of it "
                             f"({', '.join(sorted(PARTNER_EVENT_TYPES))}), not {type_name}")
    if type_name == "SettingConsultationResponded":
        if payload.get("setting_ref") != actor.organisation:
            raise ForbiddenError("this consultation is not addressed to your setting")
        return
    request_id = payload.get("advice_request_id")
    if not isinstance(request_id, str) or recipients.get(request_id) != actor.organisation:
        raise ForbiddenError("this advice request is not addressed to your organisation")


# The events a partner's organisation is party to: a request addressed to it (its
# ``recipient_org``, or the consulted setting's ``setting_ref``), and its own answers.
PARTNER_ADDRESSED = {"AdviceRequested": "recipient_org", "SettingConsulted": "setting_ref",
                     "SettingConsultationResponded": "setting_ref"}


def is_addressed_to(event: JourneyEvent, organisation: str, recipients: dict[str, str]
                    ) -> bool:
    """Tell whether ``event`` is a request addressed to ``organisation``, the answer to one
    (``recipients``: each advice request's id and organisation), or the partner's own."""
    if event.actor.role == "partner" and event.actor.organisation == organisation:
        return True
    named = PARTNER_ADDRESSED.get(event.type_name)
    if named is not None and getattr(event, named, None) == organisation:
        return True
    request = getattr(event, "advice_request_id", None)
    return isinstance(request, str) and recipients.get(request) == organisation


def _check_partner_event(actor: Actor, journey: ChildJourney, version: int | None) -> None:
    target = journey.event(version) if isinstance(version, int) else None
    recipients = {a.id: a.recipient_org for a in journey.state.plan.advice}
    if target is None or not is_addressed_to(target, actor.organisation, recipients):
        raise ForbiddenError("a partner reaches only the documents of the requests "
                             "addressed to its organisation and of its own answers")


def check_may_attach(actor: Actor, journey: ChildJourney, event_version: object) -> None:
    """Allow the journey's writers to attach a document to any of its events; a family to
    its own voice; a partner to a request addressed to it, or its answer."""
    version = event_version if isinstance(event_version, int) else None
    if actor.role == "partner":
        _check_partner_event(actor, journey, version)
        return
    if actor.role == "family":
        _check_family_child(actor, journey.authority, journey.id)
        target = journey.event(version) if version is not None else None
        if target is not None and target.type_name not in FAMILY_EVENT_TYPES:
            raise ForbiddenError("a family attaches documents to its own voice only ("
                                 f"{', '.join(sorted(FAMILY_EVENT_TYPES))})")
        return
    check_may_write(actor, journey.authority)


def check_may_read_document(actor: Actor, journey: ChildJourney, event_version: int | None,
                            *, samples: SampleLookup | None = None) -> None:
    """Allow whoever may read the event a document belongs to: the journey's readers, and
    a partner the documents of the requests addressed to it and of its own answers."""
    if actor.role == "partner":
        _check_partner_event(actor, journey, event_version)
        return
    check_may_read(actor, journey.authority, child_id=journey.id, samples=samples)


def check_may_assign(actor: Actor, authority: str) -> None:
    """Allow a manager of the authority to assign its children's cases."""
    if actor.role != "manager":
        raise ForbiddenError(f"role {actor.role!r} may not assign cases")
    if actor.organisation != authority:
        raise ForbiddenError("this journey belongs to another authority")


def check_may_read(actor: Actor, authority: str, *, child_id: UUID | None = None,
                   samples: SampleLookup | None = None) -> None:
    """Allow staff to read their authority's journeys, and inspectors a sampled child's."""
    if actor.role in READ_ROLES:
        if actor.organisation != authority:
            raise ForbiddenError("this journey belongs to another authority")
        return
    if actor.role == "inspector":
        _check_sampled(actor, authority, child_id, samples)
        return
    if actor.role == "family":
        _check_family_child(actor, authority, child_id)
        return
    raise ForbiddenError(f"role {actor.role!r} may not read journeys")


def _check_family_child(actor: Actor, authority: str, child_id: UUID | None) -> None:
    if child_id is None or actor.child_id != str(child_id) or actor.organisation != authority:
        raise ForbiddenError("a family's token is for one child only, and this is not it")


def check_may_invite_family(actor: Actor, authority: str) -> None:
    """Allow a manager of the authority to invite a child's family."""
    if actor.role != "manager":
        raise ForbiddenError(f"role {actor.role!r} may not invite a family")
    if actor.organisation != authority:
        raise ForbiddenError("this journey belongs to another authority")


def check_may_read_history(actor: Actor, authority: str, *, child_id: UUID | None = None,
                           samples: SampleLookup | None = None) -> None:
    """Allow the journey's readers, and auditors of any authority, to read its raw log."""
    if actor.role == "auditor":
        return
    if actor.role not in HISTORY_ROLES:
        raise ForbiddenError(f"role {actor.role!r} may not read journey history")
    check_may_read(actor, authority, child_id=child_id, samples=samples)


def _check_sampled(actor: Actor, authority: str, child_id: UUID | None,
                   samples: SampleLookup | None) -> None:
    if child_id is None or samples is None or not samples.tracks(
            actor.organisation, authority, child_id):
        raise ForbiddenError("inspectors read only the journeys of children in an active "
                             "inspection sample")


def check_may_open_inspection(actor: Actor, authority: str, inspectorate: str | None,
                              recognised: frozenset[str]) -> None:
    """Allow an inspector of a recognised inspectorate, or a manager of the authority
    naming one, to open an inspection of it (``recognised``: CASETRACK_INSPECTORATES)."""
    if actor.role == "inspector":
        if actor.organisation not in recognised:
            raise ForbiddenError(f"organisation {actor.organisation!r} is not an inspectorate "
                                 "this deployment recognises")
        return
    if actor.role == "manager":
        if actor.organisation != authority:
            raise ForbiddenError("managers open inspections of their own authority only")
        return
    raise ForbiddenError(f"role {actor.role!r} may not open inspections")


def check_may_list_inspections(actor: Actor, authority: str) -> None:
    """Allow the inspected authority's managers, auditors and inspectors (who see their
    own inspectorate's only) to list an authority's inspections."""
    if actor.role in ("auditor", "inspector"):
        return
    if actor.role == "manager" and actor.organisation == authority:
        return
    raise ForbiddenError("only the authority's managers, auditors and inspectors may list "
                         "its inspections")


def check_may_select(actor: Actor, authority: str, inspectorate: str) -> None:
    """Allow the authority's manager, or the inspectorate's inspectors, to select children."""
    if actor.role == "manager" and actor.organisation == authority:
        return
    if actor.role == "inspector" and actor.organisation == inspectorate:
        return
    raise ForbiddenError("only the authority's managers or the inspectorate's inspectors "
                         "may select children for this inspection")


def check_may_view_inspection(actor: Actor, authority: str, inspectorate: str) -> None:
    """Allow the inspection's parties, and auditors, to see it and its sample."""
    if actor.role == "auditor":
        return
    check_may_select(actor, authority, inspectorate)


def check_may_read_access_log(actor: Actor) -> None:
    if actor.role not in ACCESS_LOG_ROLES:
        raise ForbiddenError(f"role {actor.role!r} may not read the access log")


def unlocks_identifiers(actor: Actor, purpose: str | None) -> bool:
    """Return whether an auditor's stated purpose unlocks staff identifiers in clear (a
    stated purpose has already been checked against the lawful ones at the edge)."""
    return actor.role != "auditor" or bool(purpose and purpose.strip())


def check_may_see_child_identifiers(actor: Actor, authority: str) -> None:
    """Allow an auditor's purpose to reveal a child's identifiers only when the auditor's
    organisation may see that child's authority: it is that authority."""
    if actor.role == "auditor" and actor.organisation != authority:
        raise ForbiddenError("a purpose reveals the identifiers of children of the "
                             "auditor's own authority only; this child is another "
                             "authority's, so ask without a purpose for the pseudonymised "
                             "history")


def pseudonym(value: str, key: bytes) -> str:
    """Return a stable pseudonym for an identifier: the same person, the same pseudonym."""
    digest = hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
    return "pseudo-" + digest[:16]


INTEGRITY_ROLES = frozenset({"auditor", "manager"})


def check_may_verify_integrity(actor: Actor, authority: str | None) -> None:
    """Allow auditors and managers to check a journey's hash chain (``authority``) or, with
    None, the log-wide checkpoints; a journey of another authority stays closed to them."""
    if actor.role not in INTEGRITY_ROLES:
        raise ForbiddenError(f"role {actor.role!r} may not check integrity")
    if authority is not None and actor.organisation != authority:
        raise ForbiddenError("this journey belongs to another authority")


# Issue 7: thematic reports and the area picture.
REPORT_ROLES = frozenset({"manager", "auditor"})


def check_may_report(actor: Actor, authority: str, *,
                     inspecting: Callable[[str, str], bool]) -> None:
    """Allow managers and auditors of the authority, and inspectors of an inspectorate
    with an active inspection of it (``inspecting(inspectorate, authority)``)."""
    if actor.role in REPORT_ROLES:
        if actor.organisation != authority:
            raise ForbiddenError("reports cover the staff's own authority only")
        return
    if actor.role == "inspector":
        if not inspecting(actor.organisation, authority):
            raise ForbiddenError("inspectors ask reports only of an authority under an "
                                 "active inspection")
        return
    raise ForbiddenError(f"role {actor.role!r} may not ask reports")


def report_pseudonymises(actor: Actor) -> bool:
    """Inspectors see children (and staff) in reports only by pseudonym."""
    return actor.role == "inspector"
