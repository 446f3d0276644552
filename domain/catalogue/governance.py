"""Information governance of a journey: disclosures, legal holds, erasure and who holds
the case (assignment).

A legal hold (an appeal, complaint, litigation or inquiry) stops the child's personal
data from being erased while it stands (reference section 6.5). Erasure destroys the
child's key in the personal-data vault ("crypto-shredding"); ``PersonalDataShredded``
records that it happened, so the pseudonymous history says so too. Holds and erasures
are recorded by their own use cases, never through the generic events endpoint;
``DisclosureMade`` is an ordinary journey event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, ClassVar, Literal

from domain.catalogue.common import check
from domain.events import JourneyEvent
from domain.rules import rule

if TYPE_CHECKING:
    from domain.state import JourneyState

GOVERNANCE_RULES = "UK GDPR Art. 17(3)(e); casetrack retention policy (reference 6.5)"

HOLD_REF_TAKEN = rule(
    "legal-hold-ref-standing", GOVERNANCE_RULES,
    "A legal hold reference names one standing hold at a time.")
HOLD_NOT_STANDING = rule(
    "legal-hold-not-standing", GOVERNANCE_RULES,
    "Only a standing legal hold can be released.")
ERASURE_UNDER_HOLD = rule(
    "erasure-under-legal-hold", GOVERNANCE_RULES,
    "Personal data is not erased while a legal hold stands (an appeal, complaint, "
    "litigation or inquiry).")
ALREADY_SHREDDED = rule(
    "personal-data-already-shredded", GOVERNANCE_RULES,
    "A child's personal data is erased once; the erasure is not repeated.")

HoldBasis = Literal["appeal", "complaint", "litigation", "inquiry", "ombudsman",
                    "safeguarding"]
ErasureBasis = Literal["retention_period_ended", "erasure_request", "other"]


@dataclass
class LegalHold:
    """A standing or released hold on erasing the child's personal data."""

    hold_ref: str
    basis: str
    placed_on: date
    released_on: date | None = None


@dataclass
class GovernanceState:
    """The journey's legal holds, and when its personal data was erased."""

    holds: list[LegalHold] = field(default_factory=list)
    shredded_on: date | None = None
    disclosures: list[Disclosure] = field(default_factory=list)
    assignment: Assignment | None = None

    def standing_holds(self) -> list[LegalHold]:
        return [h for h in self.holds if h.released_on is None]


def governance_of(state: JourneyState) -> GovernanceState:
    """Return the state's governance part."""
    return state.governance


class GovernanceEvent(JourneyEvent):
    """An information-governance event: recorded by its own use case only."""

    group: ClassVar[str] = "governance"
    allowed_when_closed: ClassVar[bool] = True
    # Not recordable through POST /children/{id}/events (web.schemas.recordable_types).
    via_events_endpoint: ClassVar[bool] = False
    # Holds and erasures are answered by their own events (a release), never by a
    # correction or retraction: an erasure cannot be undone.
    amendable: ClassVar[bool] = False
    abstract: ClassVar[bool] = True


class LegalHoldPlaced(GovernanceEvent):
    """A legal hold was placed: the child's personal data must not be erased."""

    hold_ref: str
    basis: HoldBasis
    reason: str | None = None

    access_fields: ClassVar[frozenset[str]] = frozenset({"hold_ref", "basis"})

    def evolve(self, state: JourneyState) -> None:
        governance = governance_of(state)
        check(all(h.hold_ref != self.hold_ref for h in governance.standing_holds()),
              HOLD_REF_TAKEN, f"legal hold {self.hold_ref!r} already stands")
        governance.holds.append(LegalHold(self.hold_ref, self.basis, self.occurred_on))


class LegalHoldReleased(GovernanceEvent):
    """A standing legal hold was released."""

    hold_ref: str
    reason: str | None = None

    access_fields: ClassVar[frozenset[str]] = frozenset({"hold_ref"})

    def evolve(self, state: JourneyState) -> None:
        standing = [h for h in governance_of(state).standing_holds()
                    if h.hold_ref == self.hold_ref]
        check(bool(standing), HOLD_NOT_STANDING, f"no standing legal hold {self.hold_ref!r}")
        standing[0].released_on = self.occurred_on


class PersonalDataShredded(GovernanceEvent):
    """The child's key was destroyed: identifiers and free text are unreadable for good."""

    basis: ErasureBasis

    def evolve(self, state: JourneyState) -> None:
        governance = governance_of(state)
        check(governance.shredded_on is None, ALREADY_SHREDDED,
              f"the personal data was erased on {governance.shredded_on}")
        holds = governance.standing_holds()
        check(not holds, ERASURE_UNDER_HOLD,
              "a legal hold stands: " + ", ".join(h.hold_ref for h in holds))
        governance.shredded_on = self.occurred_on


DISCLOSURE_CONSENT = rule(
    "disclosure-needs-consent", "UK GDPR Art. 6(1)(a), 9(2)(a); SEND Regulations 2014, "
    "reg 17", "A disclosure made on the basis of consent needs standing consent to share "
    "with that recipient.")

DisclosureBasis = Literal["statutory_recipient", "reg_17_exception", "consent",
                          "court_order"]


@dataclass
class Disclosure:
    """A disclosure of the child's record outside the statutory partners' own use."""

    recipient: str
    legal_basis: str
    disclosed_on: date
    documents: list[str]


class DisclosureMade(JourneyEvent):
    """Information about the child was disclosed to a recipient, on a legal basis."""

    recipient: str
    legal_basis: DisclosureBasis
    documents: list[str] = field(default_factory=list)

    group: ClassVar[str] = "governance"
    allowed_when_closed: ClassVar[bool] = True

    def evolve(self, state: JourneyState) -> None:
        if self.legal_basis == "consent":
            check(self.recipient in state.voice.consents, DISCLOSURE_CONSENT,
                  f"no standing consent to share with {self.recipient!r}")
        governance_of(state).disclosures.append(Disclosure(
            recipient=self.recipient, legal_basis=self.legal_basis,
            disclosed_on=self.occurred_on, documents=self.documents))


# Who holds the case: a manager of the authority assigns it to a caseworker.

ASSIGNMENT_CHANGES = rule(
    "case-assignment-changes", "casetrack access matrix (reference 6.3: the LA SEN case "
    "worker assigned to the case)",
    "An assignment hands the case to a caseworker or organisation other than the one "
    "holding it now.")


@dataclass
class Assignment:
    """The caseworker (a staff user id) and organisation holding the case, and since when."""

    assigned_to: str
    assigned_organisation: str
    assigned_on: date


class CaseAssigned(GovernanceEvent):
    """A manager of the authority assigned the child's case to a caseworker and organisation.

    Recorded through its own endpoint (``PUT /children/{id}/assignment``); a later
    assignment replaces it. It names staff, never the child.
    """

    assigned_to: str
    assigned_organisation: str
    reason: str | None = None

    access_fields: ClassVar[frozenset[str]] = frozenset({"assigned_to",
                                                         "assigned_organisation"})

    def evolve(self, state: JourneyState) -> None:
        governance = governance_of(state)
        current = governance.assignment
        check(current is None or (current.assigned_to, current.assigned_organisation)
              != (self.assigned_to, self.assigned_organisation), ASSIGNMENT_CHANGES,
              f"the case is already assigned to {self.assigned_to!r} of "
              f"{self.assigned_organisation!r}")
        governance.assignment = Assignment(self.assigned_to, self.assigned_organisation,
                                           self.occurred_on)
