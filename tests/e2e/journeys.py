"""Synthetic journeys for the e2e tests: ordered request bodies, one journey per child.

Every reference, name and date here is made up. Each journey is a ``Journey``: the body
to register the child with (``POST /children``) and the events to post in order
(``POST /children/{id}/events``), each a ``Step``. Steps are in date order, because the
journey folds its events by ``occurred_on``.

A step may be ``label``led; a later step takes what the labelled step's answer gave, as a
client would: an id it created (the answer's ``created``), e.g. ``Ref("medical",
"advice_request_id")`` for the advice request's id, or its version, ``Ref("complaint")``
for a ``target_version``. No id is built here from a version.
A step with ``if_match`` is sent with ``If-Match`` naming the journey's current version
(corrections and retractions need it); ``role`` picks the token's role.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Each labelled step's answer (the JSON of its 201), by label.
Answers = dict[str, dict[str, Any]]

NOTICE = ["appeal_rights", "time_limits", "mediation", "disagreement_resolution",
          "information_advice"]


@dataclass(frozen=True)
class Ref:
    """What a labelled step's answer gave: the id it created under ``created`` (of a list
    of ids, the one ``ending`` so), or, with no ``created``, the version it was recorded as."""

    label: str
    created: str | None = None
    ending: str | None = None

    def resolve(self, answers: Answers) -> int | str:
        answer = answers[self.label]
        if self.created is None:
            return int(answer["version"])
        value = answer["created"][self.created]
        if isinstance(value, list):
            (value,) = [v for v in value if self.ending and v.endswith(self.ending)]
        return str(value)


@dataclass(frozen=True)
class Step:
    """One event to post: its body, and how to post it."""

    body: dict[str, Any]
    label: str | None = None
    role: str = "caseworker"
    if_match: bool = False

    @property
    def type(self) -> str:
        return str(self.body["type"])

    def resolved(self, answers: Answers) -> dict[str, Any]:
        """Return the body with every ``Ref`` replaced by what it names in ``answers``."""
        return _resolve(self.body, answers)


@dataclass(frozen=True)
class Journey:
    """A child's registration and the steps of their journey, in order."""

    registration: dict[str, Any]
    steps: list[Step] = field(default_factory=list)

    @property
    def types(self) -> set[str]:
        return {step.type for step in self.steps}


def _resolve(value: Any, answers: Answers) -> Any:
    if isinstance(value, Ref):
        return value.resolve(answers)
    if isinstance(value, dict):
        return {k: _resolve(v, answers) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, answers) for v in value]
    return value


def step(type_name: str, occurred_on: str, *, label: str | None = None,
         role: str = "caseworker", if_match: bool = False, **fields: Any) -> Step:
    return Step({"type": type_name, "occurred_on": occurred_on, **fields}, label=label,
                role=role, if_match=if_match)


def advice(advice_type: str, on: str, label: str, **extra: Any) -> Step:
    return step("AdviceRequested", on, label=label, advice_type=advice_type,
                received_by_adviser_on=on, **extra)


def advice_in(label: str, on: str, author: str, document_ref: str) -> Step:
    return step("AdviceReceived", on, advice_request_id=Ref(label, "advice_request_id"),
                author=author, document_ref=document_ref)


# Plan content -------------------------------------------------------------------------

ORDERED_DRAFT = {
    "A": "Loves swimming; wants to read chapter books.",
    "B": [{"need": "SPLD", "description": "Reading well below age level"}],
    "E": [{"outcome": "Reads a short chapter book by July 2026"}],
    "F": [{"need": "SPLD", "provision": "Specialist literacy teaching, 2 hours weekly",
           "quantified": True}],
    "I": None,
}
ORDERED_SETTING = {"setting_ref": "urn-100001", "setting_name": "Oakfield Primary School",
                   "setting_type": "MAINSTREAM_LA"}

PRIMARY_G = [{"provision": "Community paediatric review every 6 months",
              "commissioner": "ICB-901"}]
PRIMARY_SECTIONS = {
    "A": "Likes trains and drawing; wants to make friends at school.",
    "B": [{"need": "SLCN", "description": "Expressive language well below age level"},
          {"need": "ASD", "description": "Finds changes of routine very hard"}],
    "E": [{"outcome": "Uses 4-word sentences to ask for help by July 2025"}],
    "F": [{"need": "SLCN", "provision": "Speech and language therapy, 1 hour weekly",
           "quantified": True},
          {"need": "ASD", "provision": "Visual timetable and a named adult at transitions",
           "quantified": False}],
    "G": PRIMARY_G,
}
PRIMARY_FINAL = PRIMARY_SECTIONS | {
    "I": {"setting_ref": "urn-100001", "setting_name": "Oakfield Primary School",
          "setting_type": "MAINSTREAM_LA"}}

POST16_SECTIONS = {
    "A": "Wants to work with animals and live independently.",
    "B": [{"need": "MLD", "description": "Literacy and numeracy around age 10"}],
    "E": [{"outcome": "Travels to college independently by Easter 2024",
           "pfa": "independent_living"}],
    "F": [{"need": "MLD", "provision": "Small-group English and maths, 5 hours weekly",
           "quantified": True},
          {"need": "MLD", "provision": "Supported work placement one day a week",
           "quantified": True, "pfa": "employment"}],
}
POST16_FINAL = POST16_SECTIONS | {
    "I": {"setting_ref": "ukprn-10004567", "setting_name": "Riverside College",
          "setting_type": "FE_COLLEGE"}}

TRANSFERRED_SECTIONS = {
    "B": [{"need": "SEMH", "description": "Anxiety; struggles in large groups"}],
    "F": [{"need": "SEMH", "provision": "Weekly mentoring session", "quantified": True,
           "pfa": "community_participation"}],
    "I": {"setting_ref": "urn-100002", "setting_name": "Hillside Academy",
          "setting_type": "MAINSTREAM_ACADEMY"},
}


# Journeys ----------------------------------------------------------------------------

# A primary-age child: SEN support, a request, advice, a draft and a final plan naming a
# mainstream school, health and social care beside it, a personal budget with direct
# payments, the family's voice, an appeal of the plan's content to the Tribunal and its
# orders, complaints, and finally a correction and a retraction by a manager.
PRIMARY_PLAN = Journey(
    registration={"date_of_birth": "2015-03-03", "occurred_on": "2023-09-01",
                  "sex": "M"},
    steps=[
        step("SENSupportRecorded", "2023-09-20", setting_urn="urn-100001",
             start_on="2023-09-06", needs=[{"code": "SLCN", "rank": 1}],
             plan_review_on="2023-12-15"),
        step("SENSupportCycleReviewed", "2023-12-15", cycle_start_on="2023-09-06",
             outcomes="Some progress with small-group language work",
             interventions=["Talk Boost"], external_advice=["SALT drop-in"]),
        step("EHCNeedsAssessmentRequested", "2024-01-08", requester_role="Parent",
             request_source="1", channel="email", consent_to_share=["icb", "school"]),
        step("RequestAcknowledged", "2024-01-10"),
        step("FamilyNotifiedAssessmentBeingConsidered", "2024-01-11"),
        step("PartnersNotifiedOfConsideration", "2024-01-12",
             icb_notified_on="2024-01-12", social_care_notified_on="2024-01-12",
             setting_notified_on="2024-01-12"),
        step("ConsentToShareRecorded", "2024-01-12", scope=["icb", "social_care"],
             given_by="parent"),
        step("DisclosureMade", "2024-01-15", recipient="icb", legal_basis="consent",
             documents=["doc-request-summary"]),
        step("FamilyViewsSubmitted", "2024-01-20", author_role="Parent",
             document_refs=["doc-1001"]),
        step("EvidenceSubmitted", "2024-01-22", author_role="SENCO",
             document_refs=["doc-1002", "doc-1003"]),
        step("TimescaleExceptionClaimed", "2024-01-25", label="claim", clock="K1",
             ground="exceptional_personal_circumstances", period_from="2024-01-15",
             period_to="2024-02-10", family_informed=True),
        step("TimescaleExceptionWithdrawn", "2024-02-01",
             claim_id=Ref("claim", "claim_id"), reason="Family were available after all"),
        step("DecisionToAssessMade", "2024-02-12", assessment_test_met=True,
             reasons="May have SEN and may need a plan",
             panel_ref="panel-2024-06"),
        advice("Parent", "2024-02-14", "parent", recipient_org="family"),
        advice("Educational", "2024-02-14", "educational", recipient_org="urn-100001"),
        advice("Medical", "2024-02-14", "medical", recipient_org="icb-901",
               adviser_identified_by_icb=True),
        advice("Psychological", "2024-02-14", "psychological",
               recipient_org="la-901-ep-service", adviser_is_educational_psychologist=True),
        step("ExistingAdviceAdopted", "2024-02-15", advice_type="SocialCare",
             document_ref="doc-sc-2023-88", adviser="LA-901 children's social care",
             adviser_agreed=True, la_agreed=True, family_agreed=True),
        step("HealthReferralMade", "2024-02-20", label="salt", service="SALT",
             referrer="GP", shared_by="ICB-901", accepted_on="2024-02-22"),
        step("ChildViewsRecorded", "2024-02-20", document_ref="doc-views-1",
             method="drawing", about="assessment", summary="Draws himself with friends"),
        step("HealthReferralMade", "2024-03-01", label="autism", service="ND_AUTISM",
             referrer="Community paediatrician", shared_by="ICB-901"),
        step("ComplaintReceived", "2024-03-01", label="complaint", complaint_ref="CMP-901-17",
             body="local_authority", subject="delay"),
        step("AssessmentObservationRecorded", "2024-03-04", label="missed",
             kind="appointment_missed", notes="Clinic letter went to an old address",
             advice_request_id=Ref("medical", "advice_request_id")),
        step("AdviceDelayExceptionClaimed", "2024-03-05",
             advice_request_id=Ref("medical", "advice_request_id"), ground="missed_appointment",
             period_from="2024-03-04", period_to="2024-03-04", family_informed=True),
        step("SocialCareAssessmentCompleted", "2024-03-15",
             assessment_type="s17_child_in_need", outcome="No further action"),
        advice_in("parent", "2024-03-18", "Parent", "doc-adv-p"),
        advice_in("educational", "2024-03-20", "SENCO, Oakfield Primary", "doc-adv-e"),
        advice_in("psychological", "2024-03-22", "Educational psychologist", "doc-adv-ep"),
        step("HealthServiceFirstContact", "2024-04-01", referral_id=Ref("salt", "referral_id"),
             kind="assessment"),
        advice_in("medical", "2024-04-05", "Community paediatrician", "doc-adv-m"),
        step("DecisionToIssuePlanMade", "2024-04-15",
             necessity_reasons="Needs cannot be met from SEN support", panel_ref="panel-2024-14"),
        step("HealthInterventionStarted", "2024-04-15", referral_id=Ref("salt", "referral_id"),
             intervention="Weekly speech and language therapy"),
        step("PersonalBudgetRequested", "2024-04-20", elements=["education"],
             direct_payment_requested=True),
        step("DraftPlanIssued", "2024-04-22", label="draft", sections=PRIMARY_SECTIONS | {
            "I": {}}, service_method="email", schools_info_ref="doc-schools-list"),
        step("DCOQualityAssuranceRecorded", "2024-04-24", target="section_g",
             target_ref=Ref("draft", "draft_id"), rating="good"),
        step("DraftPlanMeetingRequested", "2024-04-25", requested_by="parent"),
        step("DraftPlanMeetingHeld", "2024-04-30", attendees=["parent", "SEN officer"]),
        step("PlacementPreferenceExpressed", "2024-05-01", setting_ref="urn-100001",
             setting_category="maintained_school", setting_name="Oakfield Primary School"),
        step("SettingConsulted", "2024-05-02", setting_ref="urn-100001",
             documents_sent=["draft plan", "advice"]),
        step("HealthProvisionAgreed", "2024-05-03", icb="ICB-901", section_g=PRIMARY_G,
             dco_ref="dco-901"),
        step("RepresentationsReceived", "2024-05-06", sections=["F"], text_ref="doc-reps-1"),
        step("PersonalBudgetDetermined", "2024-05-08", amount_pence=150000,
             elements=["education"], arrangement="direct_payment"),
        step("SettingConsultationResponded", "2024-05-10", setting_ref="urn-100001",
             can_meet_needs=True, reasons="With the therapy in section F"),
        step("DirectPaymentRefused", "2024-05-10",
             reasons="The proposed provider is not yet approved", review_right_explained=True),
        step("PlacementDecided", "2024-05-13", named_setting_ref="urn-100001",
             setting_type="MAINSTREAM_LA", reasons="Parental preference; can meet needs"),
        step("DirectPaymentReconsidered", "2024-05-15", outcome="agreed",
             reasons="Provider approved"),
        step("FinalPlanIssued", "2024-05-20", label="final", sections=PRIMARY_FINAL,
             notice_includes=NOTICE, recipients=["family", "icb", "setting"]),
        step("DirectPaymentAgreed", "2024-05-20", recipient="parent", amount_pence=150000,
             agreed_provision=["Speech and language therapy"],
             conditions_met=["secures_agreed_provision", "no_adverse_impact_on_other_services",
                             "value_for_money"]),
        step("SettingAdmissionConfirmed", "2024-05-28", setting_ref="urn-100001",
             start_on="2024-06-03"),
        step("PlacementStarted", "2024-06-03", urn="100001", rank=1),
        step("NeedsRecorded", "2024-06-03", needs=[{"code": "SLCN", "rank": 1},
                                                   {"code": "ASD", "rank": 2}]),
        step("MediationAdviserContacted", "2024-06-10", decision_id=Ref("final", "decision_id")),
        step("MediationRequested", "2024-06-20", decision_id=Ref("final", "decision_id"),
             issues=["education"]),
        step("MediationHeld", "2024-07-10", decision_id=Ref("final", "decision_id"),
             parties=["parent", "LA-901"], outcome="no_agreement"),
        step("MediationCertificateIssued", "2024-07-11",
             decision_id=Ref("final", "decision_id"), certificate_type="held"),
        step("DirectPaymentReviewed", "2024-08-01", outcome="continue"),
        step("AppealRegistered", "2024-08-05", label="appeal",
             decision_id=Ref("final", "decision_id"), tribunal_ref="SE901/24/00001",
             appeal_type="plan_content", sections_challenged=["B", "F"],
             extended_elements=["G"]),
        step("HealthDiagnosisRecorded", "2024-09-02", referral_id=Ref("autism", "referral_id"),
             outcome="diagnosed", condition_code="6A02"),
        step("SubjectAccessRequestReceived", "2024-09-02", request_ref="SAR-901-0001",
             requester_role="parent_on_behalf"),
        step("DirectPaymentChanged", "2024-09-02", reasons="Therapy hours increased",
             notice_given_on="2024-08-05", amount_pence=180000),
        step("ProvisionDeliveryConcernRaised", "2024-09-10", section="F",
             item="Speech and language therapy", period_from="2024-06-03",
             period_to="2024-07-19", reason="Therapist vacancy", raised_by="parent"),
        step("SubjectAccessRequestExtended", "2024-09-20", request_ref="SAR-901-0001",
             reasons="Records held by three services"),
        step("ProvisionNonDeliveryRecorded", "2024-09-20", section="F",
             item="Speech and language therapy", period_from="2024-06-03",
             period_to="2024-07-19", reason="Therapist vacancy", hours_missed=6.0),
        step("ConsentToShareWithdrawn", "2024-10-01", scope=["social_care"], given_by="parent"),
        step("OmbudsmanDecisionReceived", "2024-10-15", ombudsman="LGSCO",
             finding="fault_causing_injustice", ombudsman_ref="LGO-24-001-901",
             remedy="Apology and £300", complaint_ref="CMP-901-17"),
        step("SubjectAccessRequestFulfilled", "2024-11-15", request_ref="SAR-901-0001",
             documents_disclosed=42, exemptions_applied=["third_party"]),
        step("TribunalDecisionIssued", "2024-11-20", label="tribunal",
             tribunal_ref="SE901/24/00001", outcome="allowed", orders=["amend_b_f"],
             recommendations=["health"], decision_ref="FTT-2024-4411"),
        step("DirectPaymentStopped", "2024-12-02", reasons="Therapy now commissioned by ICB",
             notice_given_on="2024-11-01"),
        step("TribunalOrderComplied", "2024-12-10",
             obligation_id=Ref("tribunal", "obligation_ids", ending="-amend_b_f-amended_plan")),
        step("TribunalRecommendationResponded", "2024-12-20",
             recommendation_id=Ref("tribunal", "recommendation_ids", ending="-1"), body="health",
             accepted=True),
        step("EntryCorrected", "2025-01-06", role="manager", if_match=True,
             target_version=Ref("complaint"), changes={"subject": "communication"},
             reason="The complaint was about letters, not delay"),
        step("EntryRetracted", "2025-01-07", role="manager", if_match=True,
             target_version=Ref("missed"), reason="Recorded against the wrong child"),
    ],
)

# A Year 10 pupil whose plan transferred in from another LA: reviews (one amending, one
# for the phase transfer), amendments, a refused re-assessment with declined mediation,
# section-I-only appeals, a spell out of school, and a move out to another LA.
TRANSFERRED_IN = Journey(
    registration={"date_of_birth": "2009-05-10", "occurred_on": "2023-10-02", "sex": "F"},
    steps=[
        step("PlanTransferredIn", "2023-10-02", old_la="LA-877", original_made_on="2021-06-15",
             last_reviewed_on="2023-03-10", sen2_transfer_la="877", named_setting="urn-100002",
             setting_type="MAINSTREAM_ACADEMY", sections=TRANSFERRED_SECTIONS),
        step("PlacementStarted", "2023-10-02", label="hillside", urn="100002"),
        step("TransferNoticeIssued", "2023-10-20", will_assess=False, review_on="2024-01-15"),
        step("ResponsibleCommissioningBodyChanged", "2023-11-01", old_body="ICB-877",
             new_body="ICB-901", aware_on="2023-10-25", notified_on="2023-11-01"),
        step("AnnualReviewScheduled", "2023-11-06", due_by="2024-03-10", review_type="annual",
             organiser="setting"),
        step("ReviewInvitationsSent", "2023-12-01", invitees=["parent", "SENCO", "EP", "ICB-901"],
             meeting_on="2024-01-15"),
        step("ReviewAdviceCirculated", "2023-12-20", documents=["doc-ep-2023", "doc-school-2023"]),
        step("ReviewMeetingHeld", "2024-01-15", attendees=["parent", "pupil", "SENCO"],
             progress_summary="Attending more", pfa_discussed=True, child_views_recorded=True),
        step("ReviewReportSubmitted", "2024-01-26", recommendations=["Add mentoring in F"],
             disagreements=[]),
        step("ReviewDecisionIssued", "2024-02-05", decision="Amend",
             reasons="Mentoring to increase",
             proposed_amendments=[{"section": "F", "change": "Mentoring twice weekly"}]),
        step("PlacementEnded", "2024-03-01", placement_id=Ref("hillside", "placement_id"),
             reason="Permanent exclusion"),
        step("AmendedPlanFinalised", "2024-03-01", label="amended", sections_changed=["F"],
             notice_includes=NOTICE, recipients=["family", "icb", "setting"]),
        step("ChildOutOfSchoolRecorded", "2024-03-04", reason="Permanently excluded",
             until_on="2024-03-15", hours_offered_per_week=5.0),
        step("EOTASArranged", "2024-03-18", hours_per_week=15.0, reason="Awaiting a placement",
             provider="LA-901 tuition service", end_on="2024-07-19"),
        step("AmendmentNoticeIssued", "2024-04-10", setting_request_right=True, meeting_right=True,
             trigger="reg28",
             proposed_amendments=[{"section": "I", "change": "Name a specialist setting"}],
             evidence_refs=["doc-ep-2024"]),
        step("AppealRegistered", "2024-04-15", decision_id=Ref("amended", "decision_id"),
             tribunal_ref="SE901/24/00003", sections_challenged=["I"]),
        step("DecisionNotToAmendIssued", "2024-05-10", label="not_amend",
             reasons="The current setting can meet needs", notice_includes=NOTICE),
        step("AppealConceded", "2024-05-20", tribunal_ref="SE901/24/00003",
             terms="LA to name the setting requested"),
        step("ReassessmentRequested", "2024-06-03", requester="Parent",
             reasons="Needs have changed since the exclusion"),
        step("AppealRegistered", "2024-06-05", decision_id=Ref("not_amend", "decision_id"),
             tribunal_ref="SE901/24/00004", sections_challenged=["I"]),
        step("ReassessmentDecisionMade", "2024-06-14", label="refused", decision="refuse",
             reasons="Recent advice is up to date", refusal_ground="not_necessary",
             notice_includes=NOTICE),
        step("MediationAdviserContacted", "2024-06-20",
             decision_id=Ref("refused", "decision_id")),
        step("AppealNonOppositionNotified", "2024-06-20", tribunal_ref="SE901/24/00004",
             will=["change_i"]),
        step("MediationDeclined", "2024-06-21", decision_id=Ref("refused", "decision_id")),
        step("MediationCertificateIssued", "2024-06-24",
             decision_id=Ref("refused", "decision_id"), certificate_type="declined"),
        step("AppealRegistered", "2024-07-15", decision_id=Ref("refused", "decision_id"),
             tribunal_ref="SE901/24/00005", appeal_type="refuse_reassessment"),
        step("AppealWithdrawn", "2024-09-01", tribunal_ref="SE901/24/00005",
             reason="Re-assessment no longer sought"),
        step("PhaseTransferIdentified", "2024-09-20", transfer_type="secondary_to_post16",
             transfer_on="2025-09-01"),
        step("AnnualReviewScheduled", "2024-10-01", due_by="2025-01-15",
             review_type="phase_transfer", organiser="local_authority"),
        step("ReviewInvitationsSent", "2024-11-20", invitees=["parent", "pupil", "college"],
             meeting_on="2024-12-10"),
        step("ReviewAdviceCirculated", "2024-11-25", documents=["doc-careers-2024"]),
        step("ReviewMeetingHeld", "2024-12-10", attendees=["parent", "pupil", "college"],
             pfa_discussed=True),
        step("ReviewReportSubmitted", "2024-12-18", recommendations=["Name the college"]),
        step("ReviewDecisionIssued", "2025-01-06", decision="Amend",
             reasons="Phase transfer to post-16",
             proposed_amendments=[{"section": "I", "change": "Riverside College"}]),
        step("PhaseTransferPlanFinalised", "2025-02-10", sections_changed=["I"],
             notice_includes=NOTICE, named_setting="ukprn-10004567", setting_type="FE_COLLEGE",
             recipients=["family", "icb", "setting"]),
        step("MoveNotified", "2025-06-02", move_on="2025-08-01", new_la="LA-902",
             aware_on="2025-05-30"),
        step("DecisionMakerChanged", "2025-07-01", to="young_person",
             reason="End of compulsory school age"),
        step("PlanTransferredOut", "2025-07-25", new_la="LA-902",
             documents_sent=["plan", "latest review"]),
    ],
)

# An early-years child: a health body's notice, being brought to the LA's attention,
# a refusal to assess, coming into care, a withdrawn request, then an assessment ending
# in no plan.
EARLY_YEARS = Journey(
    registration={"date_of_birth": "2020-02-10", "occurred_on": "2023-02-20"},
    steps=[
        step("HealthBodyNotifiedPossibleSEN", "2023-03-01",
             notifying_body="Community paediatrics, ICB-901"),
        step("ChildBroughtToLAAttention", "2023-03-06", brought_by="health",
             consent_known=True),
        step("DecisionNotToAssessMade", "2023-04-14", reasons="Needs met at nursery",
             notice_includes=NOTICE, partners_notified=True),
        step("LookedAfterStatusRecorded", "2023-09-04", looked_after=True),
        step("EHCNeedsAssessmentRequested", "2024-01-15", requester_role="Parent",
             request_source="1"),
        step("AssessmentRequestWithdrawn", "2024-02-01", withdrawn_by="parent",
             reason="Moving nursery first"),
        step("EHCNeedsAssessmentRequested", "2024-06-03", requester_role="SchoolOrPost16OnBehalf",
             request_source="2"),
        step("DecisionToAssessMade", "2024-07-10", assessment_test_met=True,
             reasons="May have SEN"),
        step("ExistingAdviceAdopted", "2024-08-01", advice_type="Educational",
             document_ref="doc-nursery-2024", adviser="Nursery SENCO", adviser_agreed=True,
             la_agreed=True, family_agreed=True),
        step("DecisionNotToIssuePlanMade", "2024-10-01", reasons="Needs can be met from SEN "
             "support", notice_includes=NOTICE, feedback_shared=True, icb_notified=True,
             head_notified=True),
    ],
)

# A young person over compulsory school age: their own request, preparation-for-adulthood
# advice, a plan naming a college, then employment, the plan ceasing, and their feedback
# (allowed after the journey has closed).
YOUNG_PERSON = Journey(
    registration={"date_of_birth": "2007-04-12", "occurred_on": "2023-09-01"},
    steps=[
        step("EHCNeedsAssessmentRequested", "2023-09-11", requester_role="YoungPerson",
             request_source="1"),
        step("DecisionToAssessMade", "2023-10-16", assessment_test_met=True,
             reasons="May have SEN"),
        advice("Parent", "2023-10-18", "yp", recipient_org="young person"),
        advice("Educational", "2023-10-18", "college", recipient_org="ukprn-10004567"),
        advice("Medical", "2023-10-18", "gp", recipient_org="icb-901",
               adviser_identified_by_icb=True),
        advice("Psychological", "2023-10-18", "ep", recipient_org="la-901-ep-service",
               adviser_is_educational_psychologist=True),
        advice("SocialCare", "2023-10-18", "sc", recipient_org="la-901-adult-social-care"),
        advice("PreparationForAdulthood", "2023-10-18", "pfa", recipient_org="la-901-careers"),
        advice_in("yp", "2023-11-01", "Young person", "doc-yp-1"),
        advice_in("college", "2023-11-10", "Learning support, Riverside College", "doc-c-1"),
        advice_in("gp", "2023-11-15", "GP", "doc-gp-1"),
        advice_in("ep", "2023-11-20", "Educational psychologist", "doc-ep-1"),
        advice_in("sc", "2023-11-22", "Transitions social worker", "doc-sc-1"),
        advice_in("pfa", "2023-11-24", "Careers adviser", "doc-pfa-1"),
        step("DecisionToIssuePlanMade", "2023-12-04", necessity_reasons="Needs support to "
             "progress to employment"),
        step("DraftPlanIssued", "2023-12-11", sections=POST16_SECTIONS | {"I": None}),
        step("RepresentationsReceived", "2023-12-20", nothing_further=True),
        step("FinalPlanIssued", "2024-01-08", sections=POST16_FINAL, notice_includes=NOTICE,
             recipients=["family", "icb", "setting"]),
        step("SocialCareAssessmentCompleted", "2024-06-01",
             assessment_type="care_act_transition", outcome="Eligible needs likely at 18"),
        step("CeasingProposed", "2025-05-01", ground="no_longer_responsible",
             responsibility_reason="paid_employment", family_informed_on="2025-05-01",
             family_consulted=True, head_consulted=True),
        step("CeaseDecisionIssued", "2025-05-20", ground="no_longer_responsible",
             reasons="Started an apprenticeship", recipients=["family", "icb", "setting"],
             notice_includes=NOTICE),
        step("PlanCeased", "2025-07-22", cease_reason="4"),
        step("FamilyFeedbackRecorded", "2025-08-04", given_by="young_person", about="overall",
             rating=4, summary="Clear letters, but a long wait for the plan"),
    ],
)

# A refusal to assess taken to the Tribunal: every mediation step (information, arranging,
# the LA's notice that it cannot take place in 30 days, the certificate), the parent's
# appeal, the order to assess, and the LA carrying it out through the ordinary steps to a
# final plan (reg 44(2)(b)-(c)): no longer "assessment_refused", a plan with its review.
ORDERED_DECISION = Ref("refusal", "decision_id")
TRIBUNAL_ORDER = Journey(
    registration={"date_of_birth": "2016-02-10", "occurred_on": "2024-01-08", "sex": "F"},
    steps=[
        step("EHCNeedsAssessmentRequested", "2024-04-08", requester_role="Parent",
             request_source="1"),
        step("DecisionNotToAssessMade", "2024-05-13", label="refusal",
             reasons="Needs met at SEN support", notice_includes=NOTICE),
        step("MediationAdviserContacted", "2024-06-03", decision_id=ORDERED_DECISION),
        step("MediationInformationProvided", "2024-06-04", decision_id=ORDERED_DECISION),
        step("MediationRequested", "2024-06-05", decision_id=ORDERED_DECISION,
             issues=["education"]),
        step("MediationArranged", "2024-06-12", decision_id=ORDERED_DECISION,
             mediation_on="2024-07-01", mediator_ref="MED-901-3"),
        step("MediationCannotTakePlaceNotified", "2024-06-28", decision_id=ORDERED_DECISION,
             reason="mediator_unavailable"),
        step("MediationCertificateIssued", "2024-07-02", decision_id=ORDERED_DECISION,
             certificate_type="not_arranged_in_30_days"),
        step("AppealRegistered", "2024-07-29", decision_id=ORDERED_DECISION,
             tribunal_ref="SE901/24/00031", appeal_type="refuse_assessment",
             appellant="parent"),
        step("TribunalDecisionIssued", "2024-11-04", label="order", tribunal_ref="SE901/24/00031",
             outcome="allowed", orders=["assess"]),
        step("DecisionToAssessMade", "2024-11-15", assessment_test_met=True,
             reasons="As the Tribunal ordered"),
        advice("Parent", "2024-11-18", "o_parent", recipient_org="family"),
        advice("Educational", "2024-11-18", "o_educational", recipient_org="urn-100001"),
        advice("Medical", "2024-11-18", "o_medical", recipient_org="icb-901",
               adviser_identified_by_icb=True),
        advice("Psychological", "2024-11-18", "o_psychological",
               recipient_org="la-901-ep-service", adviser_is_educational_psychologist=True),
        advice("SocialCare", "2024-11-18", "o_social", recipient_org="la-901-social-care"),
        advice_in("o_parent", "2024-12-02", "Parent", "doc-o-p"),
        advice_in("o_educational", "2024-12-09", "SENCO", "doc-o-e"),
        advice_in("o_medical", "2024-12-20", "Paediatrician", "doc-o-m"),
        advice_in("o_psychological", "2024-12-20", "Educational psychologist", "doc-o-ep"),
        advice_in("o_social", "2024-12-20", "Social worker", "doc-o-sc"),
        step("DecisionToIssuePlanMade", "2025-01-06", necessity_reasons="As assessed"),
        step("DraftPlanIssued", "2025-01-13", sections=ORDERED_DRAFT),
        step("FinalPlanIssued", "2025-02-03", sections=ORDERED_DRAFT | {"I": ORDERED_SETTING},
             notice_includes=NOTICE, recipients=["family", "icb", "setting"]),
    ],
)

# A refusal to assess settled at mediation (reg 42): the agreement to assess opens the
# steps an order would, timed from the agreement (K27); an educational psychologist's
# involvement and a health assessment agreed besides are due in two weeks (reg 42(3)).
AGREED_DECISION = Ref("refused", "decision_id")
MEDIATION_AGREEMENT = Journey(
    registration={"date_of_birth": "2017-03-14", "occurred_on": "2025-01-06", "sex": "M"},
    steps=[
        step("EHCNeedsAssessmentRequested", "2025-03-03", requester_role="Parent",
             request_source="1"),
        step("DecisionNotToAssessMade", "2025-04-07", label="refused",
             reasons="Needs met at SEN support", notice_includes=NOTICE),
        step("MediationAdviserContacted", "2025-04-28", decision_id=AGREED_DECISION),
        step("MediationInformationProvided", "2025-04-29", decision_id=AGREED_DECISION),
        step("MediationRequested", "2025-04-30", decision_id=AGREED_DECISION,
             issues=["education", "health"], icb_notified_on="2025-05-01"),
        step("MediationArranged", "2025-05-06", decision_id=AGREED_DECISION,
             mediation_on="2025-05-19", mediator_ref="MED-901-7"),
        step("MediationHeld", "2025-05-19", decision_id=AGREED_DECISION,
             parties=["family", "local_authority", "icb"], outcome="agreement",
             agreement_ref="MA-901-7"),
        step("MediationAgreementReached", "2025-05-19", label="agreement",
             decision_id=AGREED_DECISION, will=["assess"],
             other_steps=["professional_involvement", "health_assessment"],
             agreement_ref="MA-901-7"),
        step("MediationCertificateIssued", "2025-05-21", decision_id=AGREED_DECISION,
             certificate_type="held"),
        step("MediationAgreementStepCompleted", "2025-05-30",
             step_id=Ref("agreement", "agreement_step_ids", ending="-1-professional_involvement")),
        step("DecisionToAssessMade", "2025-05-30", assessment_test_met=True,
             reasons="As agreed at mediation"),
        advice("Parent", "2025-06-02", "m_parent", recipient_org="family"),
        advice("Educational", "2025-06-02", "m_educational", recipient_org="urn-100001"),
        advice("Medical", "2025-06-02", "m_medical", recipient_org="icb-901",
               adviser_identified_by_icb=True),
        advice("Psychological", "2025-06-02", "m_psychological",
               recipient_org="la-901-ep-service", adviser_is_educational_psychologist=True),
        advice("SocialCare", "2025-06-02", "m_social", recipient_org="la-901-social-care"),
        step("MediationAgreementStepCompleted", "2025-06-04",
             step_id=Ref("agreement", "agreement_step_ids", ending="-2-health_assessment")),
        advice_in("m_parent", "2025-06-16", "Parent", "doc-m-p"),
        advice_in("m_educational", "2025-06-23", "SENCO", "doc-m-e"),
        advice_in("m_medical", "2025-07-04", "Paediatrician", "doc-m-m"),
        advice_in("m_psychological", "2025-07-04", "Educational psychologist", "doc-m-ep"),
        advice_in("m_social", "2025-07-04", "Social worker", "doc-m-sc"),
        step("DecisionToIssuePlanMade", "2025-07-14", necessity_reasons="As assessed"),
        step("DraftPlanIssued", "2025-07-21", sections=ORDERED_DRAFT),
        step("FinalPlanIssued", "2025-08-18", sections=ORDERED_DRAFT | {"I": ORDERED_SETTING},
             notice_includes=NOTICE, recipients=["family", "icb", "setting"]),
    ],
)

JOURNEYS: dict[str, Journey] = {
    "primary_plan": PRIMARY_PLAN,
    "transferred_in": TRANSFERRED_IN,
    "early_years": EARLY_YEARS,
    "young_person": YOUNG_PERSON,
    "tribunal_order": TRIBUNAL_ORDER,
    "mediation_agreement": MEDIATION_AGREEMENT,
}
