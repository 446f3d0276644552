"""Draft and final EHC plans, naming the setting, placements, needs and provision delivery.

Clocks: K5 (the family's 15 days for representations on a draft, reg 13(1)) and K6 (a
consulted setting's 15-day response, Code 9.83, guidance). Advice (K2) and the decision
whether to issue are in ``domain.catalogue.advice``; their state is kept here.

Plan sections (``sections`` on ``DraftPlanIssued``, ``FinalPlanIssued``, the amended and
transferred plans: ``PlanSections``) are one object keyed by section, every key optional
(reg 12(1); Code 9.62). Their full shape, key by key, is checked where requests come in
(``web.plan_sections``: 422, every problem at once); the rules here are what the law
asks of the content (409), and the few shape checks kept here let any stored value
replay:

- ``"A"``: free text or an object (views, interests and aspirations);
- ``"B"``: a list of needs, each ``{"need": <needs code>, "description": ...}``;
- ``"F"``: a list of provision, each ``{"need": <a B need>, "provision": <text>,
  "quantified": bool, ...}``; every need in B has at least one F item naming it;
- ``"C"``, ``"D"``, ``"E"``, ``"G"``, ``"H1"``, ``"H2"``, ``"J"``, ``"K"``: lists of
  objects; an E or F item with ``"pfa"`` set (an area such as ``"employment"``) is
  preparation-for-adulthood content, required from Year 9 (reg 12(3));
- ``"I"``: ``null`` or ``{}`` in a draft (s.38(5)); in a final plan
  ``{"setting_ref": <URN or UKPRN>, "setting_name": ..., "setting_type": <setting_types
  code>}`` with at least a ``setting_ref`` or a ``setting_type``.

K5 is a minimum owed to the family, not a deadline for the LA: it runs from the day the
draft is served until the 15th day (or the later deadline the LA gave), and reads
``met`` once that period has passed or the family said they have nothing further to
add; a final plan issued inside the period without that is ``late`` (the period was
cut short). A draft replaced by a new draft inside its period reads ``not_applicable``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from domain.ages import year_group
from domain.catalogue.advice import (
    PFA_FROM_YEAR,
    AdoptedAdvice,
    AdviceRequest,
    AssessmentObservation,
)
from domain.catalogue.common import (
    NEEDS,
    NOTICE_CONTENTS,
    RECIPIENTS,
    SETTING_TYPES,
    check,
    check_code,
    check_not_before,
    check_notice_content,
)
from domain.catalogue.disputes import comply_order_steps
from domain.catalogue.identification import NEEDS_RANKED, check_ranked_needs
from domain.clocks import ClockContext, ClockReading, ClockSpec, ClockStatus, clock, reading
from domain.code_lists import domain_list, takes
from domain.events import JourneyEvent
from domain.record_ids import record_kind
from domain.responsibility import Body
from domain.rules import Rule, rule
from domain.rules import due as rules_due
from domain.shapes import Shape

if TYPE_CHECKING:
    from domain.catalogue.assessment import AssessmentRequest
    from domain.state import JourneyState

SECTION_KEYS = frozenset({"A", "B", "C", "D", "E", "F", "G", "H1", "H2", "I", "J", "K"})
LIST_SECTIONS = SECTION_KEYS - {"A", "I"}
PLAN_SECTIONS = domain_list("plan_sections", lambda: SECTION_KEYS,
                            "the sections of an EHC plan, A to K (reg 12)")
# The four preparation-for-adulthood areas an E outcome or F provision can mark (reg 12(3);
# Code 8.5, 9.63): higher education and employment, independent living, participating in
# society, being as healthy as possible.
PFA_AREAS = domain_list("pfa_areas", lambda: {"employment", "independent_living",
                                              "community_participation", "health"},
                        "preparation-for-adulthood areas (reg 12(3); Code 8.5)")
SECTIONS_SHAPE = Shape("plan_sections", "EHC plan sections A to K (reg 12(1); Code 9.62)")
# A plan's sections, as every event carrying them declares them: the documented shape
# (checked where requests come in) and the codes inside.
PlanSections = Annotated[dict[str, Any], SECTIONS_SHAPE, takes(NEEDS, "B", "*", "need"),
                         takes(SETTING_TYPES, "I", "setting_type"),
                         takes(PFA_AREAS, "E", "*", "pfa"), takes(PFA_AREAS, "F", "*", "pfa")]

# Institutions a parent or young person may ask to have named (CFA 2014 s.38(3)).
S38_CATEGORIES = Literal[
    "maintained_school", "maintained_nursery_school", "academy", "fe_institution",
    "non_maintained_special_school", "independent_special_s41", "other",
]
S39_GROUNDS = Literal["unsuitable", "incompatible_efficient_education",
                      "incompatible_efficient_resources"]


PLAN_VERSION = record_kind(
    "plan_version_id", "plan", "a version of the EHC plan (final, amended, transferred in)")
DRAFT = record_kind("draft_id", "draft", "a draft plan")
PREFERENCE = record_kind("preference_id", "preference", "a placement preference")
CONSULTATION = record_kind("consultation_id", "consultation", "a setting consulted")
PLACEMENT_DECISION = record_kind(
    "placement_decision_id", "placement-decision", "a placement decision")
PLACEMENT = record_kind("placement_id", "placement", "a placement; PlacementEnded names it")
EOTAS = record_kind("eotas_id", "eotas", "education otherwise than at school, arranged")
CONCERN = record_kind("concern_id", "concern", "a concern raised about provision's delivery")
NON_DELIVERY = record_kind("non_delivery_id", "non_delivery",
                           "provision recorded as not delivered")
DELIVERY_RECORDS = {"concern": CONCERN, "non_delivery": NON_DELIVERY}
OUT_OF_SCHOOL = record_kind("out_of_school_id", "out-of-school", "a period out of school")


@dataclass
class PlanVersion:
    """One issued version of the EHC plan (final or amended)."""

    id: str
    number: int
    issued_on: date
    made_on: date  # the date the plan was first made (kept across amendments and transfers)
    named_setting: str | None = None
    setting_type: str | None = None
    sections: dict[str, Any] = field(default_factory=dict)
    # final | amendment | reassessment | tribunal | mediation_agreement | transfer_in
    source: str = "final"


@dataclass
class DraftPlan:
    """A draft plan served on the family, and what happened in its representation period."""

    id: str
    request_id: str
    served_on: date
    representations_due: date
    sections: dict[str, Any]
    meeting_requested_on: date | None = None
    meeting_held_on: date | None = None
    representations_on: list[date] = field(default_factory=list)
    waived_on: date | None = None  # the family said they had nothing further to add
    health_agreed_on: date | None = None
    health_agreed_g: list[dict[str, Any]] | None = None
    finalised_on: date | None = None
    superseded_on: date | None = None

    @property
    def is_outstanding(self) -> bool:
        return self.finalised_on is None and self.superseded_on is None


@dataclass
class Preference:
    """A setting the parent or young person asked to have named."""

    id: str
    setting_ref: str
    category: str
    expressed_by: str
    expressed_on: date


@dataclass
class Consultation:
    """A setting consulted about being named (s.39(2), s.40(2)); K6 runs on it."""

    id: str
    setting_ref: str
    consulted_on: date
    maintaining_la: str | None = None
    responded_on: date | None = None
    can_meet_needs: bool | None = None


@dataclass
class PlacementDecision:
    """The setting (or type) the LA decided to name, and any refused preference."""

    id: str
    decided_on: date
    named_setting_ref: str | None
    setting_type: str | None
    refused_preference: str | None = None
    refusal_ground: str | None = None


@dataclass
class Placement:
    """A period at a setting (SEN2 placement): where the child actually is."""

    id: str
    start_on: date
    rank: int
    urn: str | None = None
    ukprn: str | None = None
    sen_setting: str | None = None
    attendance: str = "full_time"
    sen_unit: bool = False
    resourced_provision: bool = False
    residential: str | None = None
    work_based: bool = False
    end_on: date | None = None
    setting_la: str | None = None  # the authority whose area the setting is in

    def covers(self, day: date) -> bool:
        return self.start_on <= day and (self.end_on is None or day <= self.end_on)


@dataclass
class DeliveryRecord:
    """A concern about, or a record of, provision in the plan not delivered (s.42)."""

    id: str
    kind: str  # concern | non_delivery
    section: str
    item: str
    period_from: date
    period_to: date | None
    reason: str
    recorded_on: date
    # Who must secure it, by statute (s.42(2)-(3)), and that body's name as recorded.
    responsible: str = Body.LOCAL_AUTHORITY.value
    responsible_name: str | None = None


@dataclass
class OutOfSchoolPeriod:
    """Education otherwise than at school (s.61), or a spell out of school."""

    id: str
    kind: str  # eotas | out_of_school
    start_on: date
    end_on: date | None
    hours_per_week: float | None
    reason: str


@dataclass
class PlanState:
    """Advice, drafts, plan versions, placements, needs and provision delivery.

    Other groups read ``current``, ``is_active``, ``made_on`` and call ``add_version``.
    """

    versions: list[PlanVersion] = field(default_factory=list)
    ceased_on: date | None = None
    advice: list[AdviceRequest] = field(default_factory=list)
    adopted_advice: list[AdoptedAdvice] = field(default_factory=list)
    observations: list[AssessmentObservation] = field(default_factory=list)
    drafts: list[DraftPlan] = field(default_factory=list)
    preferences: list[Preference] = field(default_factory=list)
    consultations: list[Consultation] = field(default_factory=list)
    placement_decisions: list[PlacementDecision] = field(default_factory=list)
    admissions: list[tuple[str, date]] = field(default_factory=list)
    placements: list[Placement] = field(default_factory=list)
    needs: list[dict[str, Any]] = field(default_factory=list)
    needs_source: str | None = None
    needs_recorded_on: date | None = None
    delivery: list[DeliveryRecord] = field(default_factory=list)
    out_of_school: list[OutOfSchoolPeriod] = field(default_factory=list)

    @property
    def current(self) -> PlanVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def is_active(self) -> bool:
        return bool(self.versions) and self.ceased_on is None

    @property
    def made_on(self) -> date | None:
        return self.versions[0].made_on if self.versions else None

    @property
    def outstanding_draft(self) -> DraftPlan | None:
        for draft in reversed(self.drafts):
            if draft.is_outstanding:
                return draft
        return None

    def add_version(self, *, version_id: str, event_version: int, issued_on: date, source: str,
                    named_setting: str | None = None, setting_type: str | None = None,
                    sections: dict[str, Any] | None = None,
                    made_on: date | None = None) -> PlanVersion:
        """Add a new plan version; the first one fixes the date the plan was made."""
        version = PlanVersion(
            id=version_id, number=len(self.versions) + 1, issued_on=issued_on,
            made_on=made_on or self.made_on or issued_on,
            named_setting=named_setting if named_setting is not None else (
                self.current.named_setting if self.current else None),
            setting_type=setting_type if setting_type is not None else (
                self.current.setting_type if self.current else None),
            sections=dict(sections) if sections is not None else (
                dict(self.current.sections) if self.current else {}),
            source=source,
        )
        self.versions.append(version)
        return version


SECTIONS_MALFORMED = rule(
    "plan-sections-malformed", "SEND Regulations 2014, reg 12(1)",
    "A plan's sections A-K are separately identified, in the documented shape: B needs "
    "and F provision as lists, section I as an object.")
NEED_NOT_NSA = rule(
    "plan-need-not-nsa", "SEN2 technical specification (SENtype); DfE school census guide",
    "NSA (SEN support, no specialist assessment) is not a need of an EHC plan.")
NEED_WITHOUT_PROVISION = rule(
    "plan-need-without-provision",
    "SEND Regulations 2014, reg 12(1)(b), 12(1)(f); SEND Code of Practice 2015, 9.69",
    "Every special educational need in section B has provision for it in section F.")
PFA_CONTENT = rule(
    "plan-pfa-content-missing", "SEND Regulations 2014, reg 12(3)",
    "From Year 9 a plan includes provision to prepare for adulthood and independent living.")
DRAFT_NEEDS_ISSUE_DECISION = rule(
    "draft-needs-issue-decision", "CFA 2014 s.37(1), s.38(1)",
    "A draft plan follows a decision to issue a plan on the open request.")
DRAFT_NAMES_NO_SETTING = rule(
    "draft-names-no-setting", "CFA 2014 s.38(5)",
    "A draft plan names no school or institution and specifies no type: section I is empty.")
REPRESENTATION_PERIOD_SHORT = rule(
    "representation-period-too-short", "SEND Regulations 2014, reg 13(1)",
    "The family has at least 15 days, beginning with the day the draft is served, to make "
    "representations.")
DRAFT_STEP_NEEDS_DRAFT = rule(
    "draft-step-needs-draft", "SEND Regulations 2014, reg 13(1)",
    "Representations, draft-plan meetings and health agreement need an outstanding draft.")
MEETING_IN_PERIOD = rule(
    "draft-meeting-request-in-period", "SEND Regulations 2014, reg 13(1)(b)",
    "A meeting about the draft is required within the representation period.", Body.FAMILY)
PREFERENCE_NEEDS_DRAFT = rule(
    "preference-needs-draft", "CFA 2014 s.38(2)(b)",
    "A request to name a setting is made while a draft plan or an amendment notice is "
    "outstanding.", Body.FAMILY)
CONSULTATION_NEEDS_REASON = rule(
    "consultation-needs-preference", "CFA 2014 s.39(2), s.40(2)",
    "The LA consults a setting the family asked for, or one it is considering naming.")
RESPONSE_NEEDS_CONSULTATION = rule(
    "consultation-response-needs-consultation", "SEND Code of Practice 2015, 9.83",
    "A setting's response answers an open consultation of that setting.", Body.SETTING)
DECISION_NAMES_SETTING_OR_TYPE = rule(
    "placement-decision-names-setting-or-type", "CFA 2014 s.39(5), s.40(2)",
    "A placement decision names a setting or specifies a type of setting.")
REFUSAL_NEEDS_GROUND = rule(
    "preference-refusal-needs-ground", "CFA 2014 s.39(4)",
    "Not naming a requested s.38(3) institution needs a s.39(4) ground: unsuitable, or "
    "incompatible with others' efficient education or the efficient use of resources.")
HEALTH_NEEDS_DRAFT = rule(
    "health-agreement-needs-draft", "SEND Regulations 2014, reg 12(2)",
    "The ICB agrees section G on an outstanding draft.", Body.HEALTH)
FINAL_NEEDS_DRAFT = rule(
    "final-plan-needs-draft", "SEND Regulations 2014, reg 13",
    "A final plan follows a draft served on the family after a decision to issue.")
REPRESENTATION_PERIOD_RUNNING = rule(
    "representation-period-running", "SEND Regulations 2014, reg 13(1)",
    "A final plan is issued after the representation period, unless the family said they "
    "have nothing further to add.")
FINAL_NAMES_SETTING = rule(
    "final-plan-names-setting", "SEND Regulations 2014, reg 12(1)(i)",
    "A final plan's section I names the setting or specifies its type.")
FINAL_HEALTH_AGREED = rule(
    "final-plan-health-not-agreed", "SEND Regulations 2014, reg 12(2)",
    "Section G of a final plan is the health provision the ICB agreed.", Body.HEALTH)
FINAL_NOTICE = rule(
    "final-plan-notice-content", "SEND Regulations 2014, reg 14",
    "A final plan is sent with notice of appeal rights, time limits, mediation, "
    "disagreement resolution and information and advice services.")
FINAL_RECIPIENTS = rule(
    "final-plan-recipients", "SEND Regulations 2014, reg 13(2)",
    "A final plan goes to the family, the named setting's governing body or proprietor "
    "and the responsible commissioning body.")
ADMISSION_NEEDS_NAMED_SETTING = rule(
    "admission-needs-named-setting", "CFA 2014 s.43(1)",
    "A setting confirms admitting the child when an active plan names it.", Body.SETTING)
PLACEMENT_IDENTIFIES_SETTING = rule(
    "placement-identifies-setting", "SEN2 technical specification (URN, UKPRN, SENSetting)",
    "A placement names a setting by URN or UKPRN, or else by a SENSetting code, not both.")
PLACEMENT_OVERLAP = rule(
    "placement-ranks-overlap", "SEN2 technical specification (PlacementRank, EntryDate, "
    "LeavingDate)",
    "Placements of the same rank do not overlap: a new one starts after the last ended.")
PLACEMENT_TO_END = rule(
    "placement-end-needs-open-placement", "SEN2 technical specification (LeavingDate)",
    "Only a placement that has started and not ended can end.")
PROVISION_NEEDS_PLAN = rule(
    "provision-needs-active-plan", "CFA 2014 s.42(2)",
    "Provision delivery is recorded against an active plan.")


def check_sections(ref_version: str, sections: dict[str, Any]) -> None:
    """Check ``sections`` has the documented shape and B codes from the reference data."""
    unknown = sorted(set(sections) - SECTION_KEYS)
    check(not unknown, SECTIONS_MALFORMED, "unknown sections: " + ", ".join(unknown))
    for key in sorted(LIST_SECTIONS & set(sections)):
        items = sections[key]
        check(isinstance(items, list) and all(isinstance(i, dict) for i in items),
              SECTIONS_MALFORMED, f"section {key} must be a list of objects")
    for need in sections.get("B", []):
        check(isinstance(need.get("need"), str), SECTIONS_MALFORMED,
              "each section B item names its need code")
        check_code(ref_version, "needs", need["need"], "sections.B.need")
        check(need["need"] != "NSA", NEED_NOT_NSA, "section B cannot record NSA")
    for item in sections.get("F", []):
        text = item.get("provision")
        check(isinstance(text, str) and bool(text.strip()), SECTIONS_MALFORMED,
              "each section F item states its provision")
    setting = sections.get("I")
    check(setting is None or isinstance(setting, dict), SECTIONS_MALFORMED,
          "section I must be an object or null")
    if setting and setting.get("setting_type") is not None:
        check_code(ref_version, "setting_types", str(setting["setting_type"]),
                   "sections.I.setting_type")


def check_needs_traced(sections: dict[str, Any]) -> None:
    """Check every section B need has provision naming it in section F."""
    provided = {item.get("need") for item in sections.get("F", [])}
    missing = sorted({need["need"] for need in sections.get("B", [])} - provided)
    check(not missing, NEED_WITHOUT_PROVISION, "no section F provision for: " +
          ", ".join(missing))


def check_pfa(state: JourneyState, sections: dict[str, Any], day: date) -> None:
    """Check a plan for a child in Year 9 or above carries PfA content (reg 12(3))."""
    assert state.child is not None
    year = year_group(state.child.date_of_birth, day)
    if year >= PFA_FROM_YEAR:
        check(any(item.get("pfa") for key in ("E", "F") for item in sections.get(key, [])),
              PFA_CONTENT, f"the child is in Year {year}: mark PfA items in E or F with 'pfa'")


def named_setting(sections: dict[str, Any]) -> dict[str, Any]:
    """Return the filled entries of section I."""
    return {k: v for k, v in (sections.get("I") or {}).items() if v not in (None, "")}


def _issuing_request(state: JourneyState, violated: Rule) -> AssessmentRequest:
    request = state.assessment.open_request
    check(request is not None and request.issue_decision == "issue", violated,
          "there is no open request with a decision to issue a plan")
    assert request is not None
    return request


def _outstanding_draft(state: JourneyState) -> DraftPlan:
    draft = state.plan.outstanding_draft
    check(draft is not None, DRAFT_STEP_NEEDS_DRAFT, "there is no outstanding draft plan")
    assert draft is not None
    return draft


class DraftPlanIssued(JourneyEvent):
    """The LA served a draft plan (occurred_on = served; starts the family's K5 period)."""

    sections: PlanSections
    service_method: str | None = None
    schools_info_ref: str | None = None
    representation_deadline: date | None = None

    group: ClassVar[str] = "plan"

    def evolve(self, state: JourneyState) -> None:
        request = _issuing_request(state, DRAFT_NEEDS_ISSUE_DECISION)
        check_sections(self.reference_version, self.sections)
        check(not named_setting(self.sections), DRAFT_NAMES_NO_SETTING,
              "section I must be empty in a draft")
        check_needs_traced(self.sections)
        check_pfa(state, self.sections, self.occurred_on)
        due = rules_due("K5", self.occurred_on)  # reg 13(1): 15 days beginning with service
        if self.representation_deadline is not None:
            check(self.representation_deadline >= due, REPRESENTATION_PERIOD_SHORT,
                  f"the deadline must be on or after {due}")
            due = self.representation_deadline
        for draft in state.plan.drafts:
            if draft.is_outstanding:
                draft.superseded_on = self.occurred_on
        state.plan.drafts.append(DraftPlan(
            id=state.mint(DRAFT, self.originator_version), request_id=request.id,
            served_on=self.occurred_on, representations_due=due, sections=self.sections))
        request.draft_issued_on = self.occurred_on
        if request.is_ordered:
            comply_order_steps(state, self, ("draft_plan",), target_id=request.id)
        state.stage = "draft_issued"


class DraftPlanMeetingRequested(JourneyEvent):
    """The family required a meeting with an LA officer about the draft (reg 13(1)(b))."""

    requested_by: Literal["parent", "young_person"] = "parent"

    group: ClassVar[str] = "plan"
    recorded_by: ClassVar[Body] = Body.FAMILY

    def evolve(self, state: JourneyState) -> None:
        draft = _outstanding_draft(state)
        check(self.occurred_on <= draft.representations_due, MEETING_IN_PERIOD,
              f"the representation period ended on {draft.representations_due}")
        draft.meeting_requested_on = self.occurred_on


class DraftPlanMeetingHeld(JourneyEvent):
    """A meeting about the draft plan was held."""

    attendees: list[str] = field(default_factory=list)

    group: ClassVar[str] = "plan"

    def evolve(self, state: JourneyState) -> None:
        draft = _outstanding_draft(state)
        draft.meeting_held_on = self.occurred_on


class RepresentationsReceived(JourneyEvent):
    """The family made representations on the draft; ``nothing_further`` ends K5 early."""

    sections: list[Annotated[str, takes(PLAN_SECTIONS)]] = field(default_factory=list)
    text_ref: str | None = None
    nothing_further: bool = False

    group: ClassVar[str] = "plan"
    recorded_by: ClassVar[Body] = Body.FAMILY

    def evolve(self, state: JourneyState) -> None:
        draft = _outstanding_draft(state)
        draft.representations_on.append(self.occurred_on)
        if self.nothing_further and draft.waived_on is None:
            draft.waived_on = self.occurred_on


class PlacementPreferenceExpressed(JourneyEvent):
    """The parent or young person asked for a setting to be named (s.38(2)(b); reg 22)."""

    setting_ref: str
    setting_category: S38_CATEGORIES
    expressed_by: Literal["parent", "young_person"] = "parent"
    setting_name: str | None = None

    group: ClassVar[str] = "plan"
    recorded_by: ClassVar[Body] = Body.FAMILY

    def evolve(self, state: JourneyState) -> None:
        check(state.plan.outstanding_draft is not None
              or state.reviews.open_amendment is not None, PREFERENCE_NEEDS_DRAFT,
              "there is no outstanding draft plan or amendment notice")
        state.plan.preferences.append(Preference(
            id=state.mint(PREFERENCE, self.originator_version), setting_ref=self.setting_ref,
            category=self.setting_category, expressed_by=self.expressed_by,
            expressed_on=self.occurred_on))


class SettingConsulted(JourneyEvent):
    """The LA consulted a setting about being named (starts K6)."""

    setting_ref: str
    maintaining_la: str | None = None
    documents_sent: list[str] = field(default_factory=list)
    la_considering: bool = False

    group: ClassVar[str] = "plan"

    def evolve(self, state: JourneyState) -> None:
        requested = any(p.setting_ref == self.setting_ref for p in state.plan.preferences)
        check(requested or self.la_considering, CONSULTATION_NEEDS_REASON,
              f"{self.setting_ref!r} was not requested; set la_considering if the LA is "
              "considering naming it")
        state.plan.consultations.append(Consultation(
            id=state.mint(CONSULTATION, self.originator_version), setting_ref=self.setting_ref,
            consulted_on=self.occurred_on, maintaining_la=self.maintaining_la))


class SettingConsultationResponded(JourneyEvent):
    """A consulted setting answered whether it can meet the child's needs (stops K6)."""

    setting_ref: str
    can_meet_needs: bool
    reasons: str = ""

    group: ClassVar[str] = "plan"
    recorded_by: ClassVar[Body] = Body.SETTING

    def evolve(self, state: JourneyState) -> None:
        consultation = next((c for c in reversed(state.plan.consultations)
                             if c.setting_ref == self.setting_ref and c.responded_on is None),
                            None)
        check(consultation is not None, RESPONSE_NEEDS_CONSULTATION,
              f"no open consultation of {self.setting_ref!r}")
        assert consultation is not None
        consultation.responded_on = self.occurred_on
        consultation.can_meet_needs = self.can_meet_needs


class PlacementDecided(JourneyEvent):
    """The LA decided the setting or type to name; a refused preference carries its ground."""

    named_setting_ref: str | None = None
    setting_type: Annotated[str, takes(SETTING_TYPES)] | None = None
    refusal_ground: S39_GROUNDS | None = None
    reasons: str = ""

    group: ClassVar[str] = "plan"

    def evolve(self, state: JourneyState) -> None:
        check(bool(self.named_setting_ref or self.setting_type), DECISION_NAMES_SETTING_OR_TYPE,
              "give named_setting_ref or setting_type")
        if self.setting_type is not None:
            check_code(self.reference_version, "setting_types", self.setting_type,
                       "setting_type")
        preference = state.plan.preferences[-1] if state.plan.preferences else None
        refused = (preference is not None and preference.category != "other"
                   and preference.setting_ref != self.named_setting_ref)
        if refused:
            assert preference is not None
            check(self.refusal_ground is not None, REFUSAL_NEEDS_GROUND,
                  f"the family asked for {preference.setting_ref!r}")
        state.plan.placement_decisions.append(PlacementDecision(
            id=state.mint(PLACEMENT_DECISION, self.originator_version), decided_on=self.occurred_on,
            named_setting_ref=self.named_setting_ref, setting_type=self.setting_type,
            refused_preference=preference.setting_ref if refused and preference else None,
            refusal_ground=self.refusal_ground if refused else None))


class HealthProvisionAgreed(JourneyEvent):
    """The ICB agreed the health provision for section G of the draft (reg 12(2))."""

    icb: str
    section_g: list[dict[str, Any]]
    dco_ref: str | None = None

    group: ClassVar[str] = "plan"
    recorded_by: ClassVar[Body] = Body.HEALTH

    def evolve(self, state: JourneyState) -> None:
        draft = state.plan.outstanding_draft
        check(draft is not None, HEALTH_NEEDS_DRAFT, "there is no outstanding draft plan")
        assert draft is not None
        draft.health_agreed_on = self.occurred_on
        draft.health_agreed_g = self.section_g


class FinalPlanIssued(JourneyEvent):
    """The LA issued the final plan (stops K4; the plan is made; appealable).

    ``recipients`` names who it went to: ``family``, ``icb`` and, when section I names
    a setting, ``setting``.
    """

    sections: PlanSections
    notice_includes: list[Annotated[str, takes(NOTICE_CONTENTS)]]
    recipients: list[Annotated[str, takes(RECIPIENTS)]]

    group: ClassVar[str] = "plan"

    def evolve(self, state: JourneyState) -> None:
        request = _issuing_request(state, FINAL_NEEDS_DRAFT)
        draft = state.plan.outstanding_draft
        check(draft is not None and draft.request_id == request.id, FINAL_NEEDS_DRAFT,
              "no draft plan was served on this request")
        assert draft is not None
        waived = draft.waived_on is not None and draft.waived_on <= self.occurred_on
        check(self.occurred_on > draft.representations_due or waived,
              REPRESENTATION_PERIOD_RUNNING,
              f"the family may make representations until {draft.representations_due}")
        check_sections(self.reference_version, self.sections)
        setting = named_setting(self.sections)
        check(bool(setting.get("setting_ref") or setting.get("setting_type")),
              FINAL_NAMES_SETTING, "section I needs a setting_ref or a setting_type")
        check_needs_traced(self.sections)
        check_pfa(state, self.sections, self.occurred_on)
        if self.sections.get("G"):
            check(draft.health_agreed_g == self.sections["G"], FINAL_HEALTH_AGREED,
                  "section G differs from what the ICB agreed" if draft.health_agreed_g
                  is not None else "the ICB has not agreed section G")
        check_notice_content(self.notice_includes, FINAL_NOTICE)
        needed = {"family", "icb"} | ({"setting"} if setting.get("setting_ref") else set())
        missing = sorted(needed - set(self.recipients))
        check(not missing, FINAL_RECIPIENTS, "not sent to: " + ", ".join(missing))
        draft.finalised_on = self.occurred_on
        request.final_issued_on = self.occurred_on
        if request.is_ordered:
            comply_order_steps(state, self, ("outcome", "final_plan"), target_id=request.id,
                               outcome="plan")
        state.plan.add_version(
            version_id=state.mint(PLAN_VERSION, self.originator_version),
            event_version=self.originator_version, issued_on=self.occurred_on,
            source=request.plan_source,
            named_setting=setting.get("setting_ref") or setting.get("setting_name"),
            setting_type=setting.get("setting_type"), sections=self.sections)
        state.add_appealable_decision("plan_content", self.occurred_on, self.originator_version)
        state.stage = "plan_issued"


class SettingAdmissionConfirmed(JourneyEvent):
    """The named setting confirmed it will admit the child (s.43)."""

    setting_ref: str
    start_on: date

    group: ClassVar[str] = "plan"
    recorded_by: ClassVar[Body] = Body.SETTING

    def evolve(self, state: JourneyState) -> None:
        current = state.plan.current
        check(state.plan.is_active and current is not None
              and current.named_setting == self.setting_ref, ADMISSION_NEEDS_NAMED_SETTING,
              f"the active plan does not name {self.setting_ref!r}")
        state.plan.admissions.append((self.setting_ref, self.start_on))


class PlacementStarted(JourneyEvent):
    """The child started at a setting (occurred_on = SEN2 entry date)."""

    urn: str | None = None
    ukprn: str | None = None
    # SEN2 SENSetting codes; NEET, NIEC and NIEO are the 2025 guide's (not in education,
    # employment or training; notice to cease issued; other, e.g. awaiting placement).
    sen_setting: Literal["OLA", "OPA", "EHE", "EYP", "OTH", "NEET", "NIEC", "NIEO"] | None = None
    rank: int = 1
    attendance: Literal["full_time", "part_time"] = "full_time"
    sen_unit: bool = False
    resourced_provision: bool = False
    residential: Literal["A", "B"] | None = None
    work_based: bool = False
    # The authority whose area the setting is in, when it is known: a setting in another
    # area makes the child "educated out of area" on the framework's list.
    setting_la: str | None = None

    group: ClassVar[str] = "placements"

    def evolve(self, state: JourneyState) -> None:
        by_ref = bool(self.urn or self.ukprn)
        check(by_ref != bool(self.sen_setting), PLACEMENT_IDENTIFIES_SETTING,
              "give a URN or UKPRN, or else a SENSetting code")
        running = [p.id for p in state.plan.placements if p.rank == self.rank and (
            p.end_on is None or p.end_on >= self.occurred_on)]
        check(not running, PLACEMENT_OVERLAP,
              f"rank {self.rank} is taken on {self.occurred_on} by {', '.join(running)}")
        state.plan.placements.append(Placement(
            id=state.mint(PLACEMENT, self.originator_version), start_on=self.occurred_on,
            rank=self.rank, urn=self.urn, ukprn=self.ukprn, sen_setting=self.sen_setting,
            attendance=self.attendance, sen_unit=self.sen_unit,
            resourced_provision=self.resourced_provision, residential=self.residential,
            work_based=self.work_based, setting_la=self.setting_la))


class PlacementEnded(JourneyEvent):
    """The child left a placement (occurred_on = SEN2 leaving date)."""

    placement_id: str
    reason: str | None = None

    group: ClassVar[str] = "placements"

    def evolve(self, state: JourneyState) -> None:
        placement = next((p for p in state.plan.placements
                          if p.id == self.placement_id and p.end_on is None), None)
        check(placement is not None, PLACEMENT_TO_END,
              f"no running placement {self.placement_id!r}")
        assert placement is not None
        placement.end_on = self.occurred_on


class NeedsRecorded(JourneyEvent):
    """The child's ranked needs were recorded (SEN2 SENtype and SENtypeRank)."""

    needs: Annotated[list[dict[str, Any]], takes(NEEDS, "*", "code")]
    source: Literal["plan_section_b", "assessment", "census", "other"] = "plan_section_b"

    group: ClassVar[str] = "placements"

    def evolve(self, state: JourneyState) -> None:
        check(bool(self.needs), NEEDS_RANKED, "record at least the primary (rank 1) need")
        check_ranked_needs(self.reference_version, self.needs)
        check(all(need.get("code") != "NSA" for need in self.needs), NEED_NOT_NSA,
              "NSA is for SEN support only")
        state.plan.needs = self.needs
        state.plan.needs_source = self.source
        state.plan.needs_recorded_on = self.occurred_on


# Who secures the provision in each section: the LA secures the special educational
# provision (s.42(2)); the health commissioning body arranges the health provision
# (s.42(3)); the LA's social care services provide sections H1 and H2 (Chronically Sick
# and Disabled Persons Act 1970 s.2; Children Act 1989 s.17).
SECTION_BODY = {"F": Body.LOCAL_AUTHORITY, "G": Body.HEALTH, "H1": Body.SOCIAL_CARE,
                "H2": Body.SOCIAL_CARE}


def provision_responsible(state: JourneyState, section: str, item: str
                          ) -> tuple[Body, str | None]:
    """Return the body that must secure ``item`` of ``section``, and its recorded name.

    Section G names the commissioner of each item as the plan records it; otherwise the
    responsible commissioning body last recorded (reg 16). F, H1 and H2 are the LA's.
    """
    body = SECTION_BODY[section]
    if body is not Body.HEALTH:
        return body, state.child.authority if state.child else None
    current = state.plan.current
    items = [i for i in ((current.sections.get("G") if current else None) or [])
             if isinstance(i, dict)]
    named = {str(i["commissioner"]) for i in items
             if i.get("commissioner") and i.get("provision") == item}
    named = named or {str(i["commissioner"]) for i in items if i.get("commissioner")}
    if len(named) == 1:
        return body, named.pop()
    changes = state.movement.commissioning_changes
    return body, changes[-1].new_body if changes else None


def _record_delivery(state: JourneyState, event: ProvisionDeliveryConcernRaised
                     | ProvisionNonDeliveryRecorded, kind: str) -> None:
    check(state.plan.is_active, PROVISION_NEEDS_PLAN, "there is no active plan")
    check_not_before(event.period_to, event.period_from, "period_to", "period_from")
    body, name = provision_responsible(state, event.section, event.item)
    state.plan.delivery.append(DeliveryRecord(
        id=state.mint(DELIVERY_RECORDS[kind], event.originator_version), kind=kind,
        section=event.section,
        item=event.item, period_from=event.period_from, period_to=event.period_to,
        reason=event.reason, recorded_on=event.occurred_on, responsible=body.value,
        responsible_name=name))


class ProvisionDeliveryConcernRaised(JourneyEvent):
    """Someone raised a concern that provision in the plan is not being delivered."""

    section: Literal["F", "G", "H1", "H2"]
    item: str
    period_from: date
    reason: str
    period_to: date | None = None
    raised_by: Literal["parent", "young_person", "setting", "local_authority",
                       "other"] = "parent"

    group: ClassVar[str] = "placements"

    def evolve(self, state: JourneyState) -> None:
        _record_delivery(state, self, "concern")


class ProvisionNonDeliveryRecorded(JourneyEvent):
    """The LA recorded that provision in the plan was not delivered (s.42 is absolute)."""

    section: Literal["F", "G", "H1", "H2"]
    item: str
    period_from: date
    reason: str
    period_to: date | None = None
    hours_missed: float | None = None

    group: ClassVar[str] = "placements"

    def evolve(self, state: JourneyState) -> None:
        _record_delivery(state, self, "non_delivery")


class EOTASArranged(JourneyEvent):
    """The LA arranged education otherwise than at school (s.61) from occurred_on."""

    hours_per_week: float
    reason: str
    provider: str | None = None
    end_on: date | None = None

    group: ClassVar[str] = "placements"

    def evolve(self, state: JourneyState) -> None:
        check_not_before(self.end_on, self.occurred_on, "end_on", "occurred_on")
        state.plan.out_of_school.append(OutOfSchoolPeriod(
            id=state.mint(EOTAS, self.originator_version), kind="eotas", start_on=self.occurred_on,
            end_on=self.end_on, hours_per_week=self.hours_per_week, reason=self.reason))


class ChildOutOfSchoolRecorded(JourneyEvent):
    """The child was out of school from occurred_on (children missing education)."""

    reason: str
    until_on: date | None = None
    hours_offered_per_week: float | None = None

    group: ClassVar[str] = "placements"

    def evolve(self, state: JourneyState) -> None:
        check_not_before(self.until_on, self.occurred_on, "until_on", "occurred_on")
        state.plan.out_of_school.append(OutOfSchoolPeriod(
            id=state.mint(OUT_OF_SCHOOL, self.originator_version), kind="out_of_school",
            start_on=self.occurred_on, end_on=self.until_on,
            hours_per_week=self.hours_offered_per_week, reason=self.reason))


K5 = ClockSpec("K5", "Representations on the draft plan", "at least 15 days",
               "SEND Regulations 2014, reg 13(1)", Body.LOCAL_AUTHORITY,
               open_past_due=ClockStatus.MET)  # the family's 15 days simply ran
K6 = ClockSpec("K6", "Consulted setting's response", "15 days",
               "SEND Code of Practice 2015, 9.83", Body.SETTING, statutory=False)


@clock(K5)
def representation_clock(state: JourneyState, context: ClockContext
                         ) -> Iterator[ClockReading]:
    """Yield the family's representation period on each draft (see the module docstring)."""
    for draft in state.plan.drafts:
        due = draft.representations_due
        status: ClockStatus
        if draft.waived_on is not None and draft.waived_on <= due:
            stopped, status = draft.waived_on, ClockStatus.MET
        elif draft.finalised_on is not None and draft.finalised_on <= due:
            stopped, status = draft.finalised_on, ClockStatus.LATE
        elif draft.superseded_on is not None and draft.superseded_on <= due:
            stopped, status = draft.superseded_on, ClockStatus.NOT_APPLICABLE
        elif context.today > due:
            stopped, status = due, ClockStatus.MET
        else:
            stopped, status = None, ClockStatus.RUNNING
        yield reading(K5, context, episode=draft.id, started_on=draft.served_on, due_on=due,
                      stopped_on=stopped, status=status)


@clock(K6)
def consultation_clock(state: JourneyState, context: ClockContext
                       ) -> Iterator[ClockReading]:
    """Yield each consultation's 15 days, counted from the day after consulting."""
    for consultation in state.plan.consultations:
        due = context.due("K6", consultation.consulted_on)
        yield reading(K6, context, episode=consultation.id,
                      started_on=consultation.consulted_on, due_on=due,
                      stopped_on=consultation.responded_on,
                      responsible_name=consultation.setting_ref)
