"""The family's voice, who decides, consent to share, and subject access requests.

Views and feedback are kept as document references and short structured fields, not
long personal free text (UK GDPR Art. 5(1)(c)). The parent decides for a child; at the
end of compulsory school age the young person decides (CFA 2014 s.80), unless a
capacity decision says otherwise. A subject access request is answered within a month,
or three if extended in the first month (K25, UK GDPR Art. 12(3)).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, ClassVar, Literal

from domain.ages import age_on, compulsory_school_age_ends, is_young_person
from domain.catalogue.common import check, check_not_before
from domain.clocks import ClockContext, ClockReading, ClockSpec, clock, reading
from domain.events import JourneyEvent
from domain.personal_data import text_length
from domain.record_ids import record_kind
from domain.responsibility import Body
from domain.rules import due, rule

if TYPE_CHECKING:
    from domain.state import JourneyState

SUMMARY_LIMIT = 280
SAR_COMPETENCE_AGE = 12  # ICO's working presumption in England and Wales, not statute

_DecisionMaker = Literal["parent", "young_person", "representative"]


CHILD_VIEWS = record_kind("child_views_id", "views", "the child's views, recorded")
FAMILY_FEEDBACK = record_kind("feedback_id", "feedback", "family feedback")
SUBJECT_ACCESS_REQUEST = record_kind(
    "subject_access_request_id", "sar", "a subject access request")


@dataclass(frozen=True)
class ViewsRecord:
    """The child's or family's own words, held as a document reference. Frozen: never
    changed once recorded, so a fold that adds one copies ``views`` without copying the
    records already in it (``domain.copies`` shares an unchanged frozen value)."""

    id: str
    kind: str  # child_views | family_feedback
    recorded_on: date
    document_ref: str | None
    about: str
    rating: int | None = None


@dataclass
class Consent:
    """A standing consent to share with one partner."""

    partner: str
    given_by: str
    given_on: date


@dataclass
class DecisionMakerChange:
    """A recorded change of who makes decisions, with its capacity decision if any."""

    on: date
    to: str
    capacity_decision_ref: str | None


@dataclass
class SubjectAccessRequest:
    """A subject access request and its answer."""

    id: str
    request_ref: str
    received_on: date
    requester_role: str
    extended_on: date | None = None
    fulfilled_on: date | None = None


@dataclass
class VoiceState:
    """Views, feedback, consents, decision-maker changes and subject access requests."""

    views: list[ViewsRecord] = field(default_factory=list)
    consents: dict[str, Consent] = field(default_factory=dict)
    decision_makers: list[DecisionMakerChange] = field(default_factory=list)
    sars: list[SubjectAccessRequest] = field(default_factory=list)

    def decision_maker_on(self, day: date, date_of_birth: date) -> str:
        """Return who decides on ``day``: the latest recorded change, else by age."""
        recorded = [change for change in self.decision_makers if change.on <= day]
        if recorded:
            return recorded[-1].to
        return "young_person" if is_young_person(date_of_birth, day) else "parent"

    def open_sar(self, request_ref: str) -> SubjectAccessRequest | None:
        return next((s for s in self.sars if s.request_ref == request_ref
                     and s.fulfilled_on is None), None)


def decision_maker_on(state: JourneyState, day: date) -> str:
    """Return who makes decisions for the journey on ``day`` (invariant 7.4 #6)."""
    assert state.child is not None
    return state.voice.decision_maker_on(day, state.child.date_of_birth)


SUMMARY_TOO_LONG = rule(
    "voice-summary-too-long", "UK GDPR Art. 5(1)(c)",
    f"Views and feedback are held as a document reference and a summary of at most "
    f"{SUMMARY_LIMIT} characters.")
CONSENT_BY_DECISION_MAKER = rule(
    "consent-by-decision-maker", "CFA 2014 s.80; SEND Regulations 2014, regs 63-64",
    "Consent is given or withdrawn by whoever makes decisions on that day: the parent "
    "for a child, the young person after compulsory school age unless a capacity "
    "decision says otherwise.", Body.FAMILY)
CONSENT_TO_WITHDRAW = rule(
    "consent-withdrawal-needs-consent", "UK GDPR Art. 7(3)",
    "Only a standing consent to share can be withdrawn.", Body.FAMILY)
BEFORE_YOUNG_PERSON = rule(
    "decision-maker-before-young-person", "CFA 2014 s.80; Education Act 1996 s.8",
    "Before the end of compulsory school age the parent decides; the only change "
    "recorded then is a capacity decision for after it.", Body.FAMILY)
NEEDS_CAPACITY_DECISION = rule(
    "decision-maker-needs-capacity-decision", "CFA 2014 s.80; Mental Capacity Act 2005 "
    "ss.2-3; SEND Regulations 2014, reg 64",
    "After compulsory school age a parent or representative decides for the young person "
    "only on a recorded capacity decision.", Body.FAMILY)
SAR_COMPETENCE = rule(
    "sar-competence-recorded", "UK GDPR Art. 15; DPA 2018 s.208; ICO guidance on "
    "children's right of access",
    f"A parent asking for the data of a child aged {SAR_COMPETENCE_AGE} or over records "
    "whether the child is competent and authorised it.")
SAR_OPEN = rule(
    "sar-needs-open-request", "UK GDPR Art. 12(3)",
    "Extending or answering a subject access request names one that is still open.")
SAR_EXTENSION = rule(
    "sar-extension-within-first-month", "UK GDPR Art. 12(3)",
    "The time to answer is extended once, by up to two months, and the requester told "
    "within the first month.")


def _check_summary(summary: str | None) -> None:
    # text_length: the summary may be sealed with the child's key (domain.personal_data).
    length = text_length(summary or "")
    check(summary is None or length <= SUMMARY_LIMIT, SUMMARY_TOO_LONG,
          f"the summary has {length} characters; keep the words in the document")


def _check_decision_maker(state: JourneyState, given_by: str, day: date) -> None:
    who = decision_maker_on(state, day)
    check(given_by == who, CONSENT_BY_DECISION_MAKER, f"on {day} the {who} decides")


class ChildViewsRecorded(JourneyEvent):
    """The child's or young person's views were captured (held as a document)."""

    document_ref: str
    method: Literal["conversation", "drawing", "survey", "advocate", "video", "other"]
    about: Literal["assessment", "plan", "review", "provision", "placement", "other"]
    summary: str | None = None

    group: ClassVar[str] = "voice"
    recorded_by: ClassVar[Body] = Body.FAMILY

    def evolve(self, state: JourneyState) -> None:
        _check_summary(self.summary)
        state.voice.views.append(ViewsRecord(
            id=state.mint(CHILD_VIEWS, self.originator_version), kind="child_views",
            recorded_on=self.occurred_on, document_ref=self.document_ref, about=self.about))


class FamilyFeedbackRecorded(JourneyEvent):
    """The family said how the process felt to them (may follow the journey's close)."""

    given_by: Literal["parent", "young_person", "child", "carer"]
    about: Literal["assessment", "plan", "review", "provision", "communication", "overall"]
    rating: Literal[1, 2, 3, 4, 5]
    document_ref: str | None = None
    summary: str | None = None

    group: ClassVar[str] = "voice"
    recorded_by: ClassVar[Body] = Body.FAMILY
    allowed_when_closed: ClassVar[bool] = True

    def evolve(self, state: JourneyState) -> None:
        _check_summary(self.summary)
        state.voice.views.append(ViewsRecord(
            id=state.mint(FAMILY_FEEDBACK, self.originator_version), kind="family_feedback",
            recorded_on=self.occurred_on, document_ref=self.document_ref, about=self.about,
            rating=self.rating))


class ConsentToShareRecorded(JourneyEvent):
    """The decision-maker consented to sharing with the partners named."""

    scope: list[str]
    given_by: _DecisionMaker

    group: ClassVar[str] = "voice"

    def evolve(self, state: JourneyState) -> None:
        _check_decision_maker(state, self.given_by, self.occurred_on)
        for partner in self.scope:
            state.voice.consents[partner] = Consent(partner=partner, given_by=self.given_by,
                                                    given_on=self.occurred_on)


class ConsentToShareWithdrawn(JourneyEvent):
    """The decision-maker withdrew consent to share with the partners named."""

    scope: list[str]
    given_by: _DecisionMaker

    group: ClassVar[str] = "voice"
    allowed_when_closed: ClassVar[bool] = True

    def evolve(self, state: JourneyState) -> None:
        _check_decision_maker(state, self.given_by, self.occurred_on)
        missing = sorted(set(self.scope) - set(state.voice.consents))
        check(not missing, CONSENT_TO_WITHDRAW, "no consent stands for: " + ", ".join(missing))
        for partner in self.scope:
            del state.voice.consents[partner]


class DecisionMakerChanged(JourneyEvent):
    """Who makes decisions changed (the young person, or a parent on a capacity decision)."""

    to: _DecisionMaker
    reason: str
    capacity_decision_ref: str | None = None

    group: ClassVar[str] = "voice"

    def evolve(self, state: JourneyState) -> None:
        assert state.child is not None
        ends = compulsory_school_age_ends(state.child.date_of_birth)
        if self.occurred_on <= ends:
            check(self.to != "young_person" and self.capacity_decision_ref is not None,
                  BEFORE_YOUNG_PERSON, f"the young person decides only after {ends}")
        elif self.to != "young_person":
            check(self.capacity_decision_ref is not None, NEEDS_CAPACITY_DECISION,
                  "record the capacity decision that the young person lacks capacity")
        state.voice.decision_makers.append(DecisionMakerChange(
            on=self.occurred_on, to=self.to, capacity_decision_ref=self.capacity_decision_ref))


class SubjectAccessRequestReceived(JourneyEvent):
    """A subject access request for the child's record was received (starts K25)."""

    request_ref: str
    requester_role: Literal["child", "young_person", "parent_on_behalf", "representative"]
    competence_assessed: bool = False
    child_authorised: bool | None = None

    group: ClassVar[str] = "governance"
    allowed_when_closed: ClassVar[bool] = True

    def evolve(self, state: JourneyState) -> None:
        assert state.child is not None
        if self.requester_role == "parent_on_behalf" and \
                age_on(state.child.date_of_birth, self.occurred_on) >= SAR_COMPETENCE_AGE:
            check(self.competence_assessed and self.child_authorised is not None,
                  SAR_COMPETENCE, "record the child's competence and whether they authorised it")
        state.voice.sars.append(SubjectAccessRequest(
            id=state.mint(SUBJECT_ACCESS_REQUEST, self.originator_version),
            request_ref=self.request_ref,
            received_on=self.occurred_on, requester_role=self.requester_role))


class SubjectAccessRequestExtended(JourneyEvent):
    """The LA extended the time to answer by two months, telling the requester why."""

    request_ref: str
    reasons: str

    group: ClassVar[str] = "governance"
    allowed_when_closed: ClassVar[bool] = True

    def evolve(self, state: JourneyState) -> None:
        sar = state.voice.open_sar(self.request_ref)
        check(sar is not None, SAR_OPEN, f"no open subject access request {self.request_ref!r}")
        assert sar is not None
        first_month_ends = due("K25", sar.received_on)
        check(sar.extended_on is None and self.occurred_on <= first_month_ends, SAR_EXTENSION,
              f"extend once, by {first_month_ends}")
        check_not_before(self.occurred_on, sar.received_on, "occurred_on", "received_on")
        sar.extended_on = self.occurred_on


class SubjectAccessRequestFulfilled(JourneyEvent):
    """The LA answered the subject access request (stops K25)."""

    request_ref: str
    exemptions_applied: list[str] = field(default_factory=list)
    documents_disclosed: int = 0

    group: ClassVar[str] = "governance"
    allowed_when_closed: ClassVar[bool] = True

    def evolve(self, state: JourneyState) -> None:
        sar = state.voice.open_sar(self.request_ref)
        check(sar is not None, SAR_OPEN, f"no open subject access request {self.request_ref!r}")
        assert sar is not None
        check_not_before(self.occurred_on, sar.received_on, "occurred_on", "received_on")
        sar.fulfilled_on = self.occurred_on


K25 = ClockSpec("K25", "Subject access request", "1 month, extendable by 2 further months",
                "UK GDPR Art. 12(3)", Body.LOCAL_AUTHORITY)


@clock(K25)
def subject_access_clock(state: JourneyState, context: ClockContext
                         ) -> Iterator[ClockReading]:
    for sar in state.voice.sars:
        limit = "K25.extended" if sar.extended_on is not None else "K25"
        yield reading(K25, context, episode=sar.id, started_on=sar.received_on,
                      due_on=context.due(limit, sar.received_on),
                      stopped_on=sar.fulfilled_on)
