"""SEN2 2024 (census 18 January 2024; activity in calendar 2023): specification v1.2.

Rebuilt from the public readers of real returns (docs/decisions/0008, "SEN2 sources"):
MastodonC/witan.sen2 ``blade/csv.clj`` and ``blade/pre_submission.clj`` (columns marked
``<v1.2``/``>=v1.2``), data-to-insight/patch ``apps/015_SEN2_app/send2_app.py`` (the XML
nesting) and data-to-insight/ssd-data-model ``data/objects/ssd_ehcp_*.yml`` and
``ssd_send.yml`` (the guide's code definitions). DfE's own XSD was not found.

``required`` marks casetrack's reading of the guide's item texts (identifiers, the dates
and outcomes every record needs, ranks); the sources give no list of required items, so
flags and indicators are optional (witan's pre-submission reader fills missing
indicators with 0).

Changes from 2023 (v1.2): RES and WPB moved from ActivePlans to PlacementDetail;
AttendancePattern removed; ReviewMeeting and ReviewOutcome added; Sex replaced
GenderCurrent.
"""

from __future__ import annotations

from application.sen2.spec import Change, Item, Module, YearSpec

SOURCES = (
    "MastodonC/witan.sen2 src/witan/sen2/return/person_level/blade/csv.clj",
    "MastodonC/witan.sen2 src/witan/sen2/return/person_level/blade/pre_submission.clj",
    "MastodonC/witan.sen2 src/witan/sen2/return/person_level/dictionary.clj",
    "data-to-insight/patch apps/015_SEN2_app/send2_app.py",
    "data-to-insight/ssd-data-model data/objects/ssd_ehcp_*.yml, ssd_send.yml",
)

FLAG = {"0": "No", "1": "Yes"}

CODE_LISTS: dict[str, dict[str, str]] = {
    "flag": FLAG,
    "Sex": {"M": "Male", "F": "Female"},
    "RequestOutcome": {
        "Y": "LA proceeded with an assessment",
        "N": "LA decided not to proceed with an assessment",
        "A": "Decision yet to be made",
        "W": "Request withdrawn or ceased before the decision to assess was made",
        "H": "Historical: the decision to assess was made before the collection period",
    },
    "AssessmentOutcome": {
        "Y": "It was decided an EHC plan would be issued",
        "N": "It was decided an EHC plan would not be issued",
        "A": "Decision has not yet been made",
        "W": "Request withdrawn or ceased before the decision whether to issue was made",
        "H": "Historical: the decision to issue was made before the collection period",
        "S": "Plan issued after another authority's assessment (supplier release notes; "
             "the year it was introduced is not in the sources)",
    },
    "PlanRes": {"A": "Residential 38 to 51 weeks", "B": "Residential 52 weeks"},
    "CeaseReason": {
        "1": "Reached maximum age",
        "2": "Ongoing educational or training needs being met without an EHC plan",
        "3": "Moved on to higher education",
        "4": "Moved on to paid employment, excluding apprenticeships",
        "5": "Transferred to another LA",
        "6": "Young person no longer wishes to engage in education or training",
        "7": "Child or young person has moved outside England",
        "8": "Child or young person deceased",
        "9": "Other",
    },
    "SENSetting": {
        "OLA": "Other arrangements made by the LA (s.61, EOTAS)",
        "OPA": "Other arrangements made by parents or young person (s.42(5)), excluding EHE",
        "EHE": "Elective home education",
        "EYP": "Early years provider with no URN",
        "OTH": "Other (a type of setting named but no specific setting)",
    },
    "ReviewOutcome": {"M": "Maintain the plan", "A": "Amend the plan",
                      "C": "Cease the plan"},
    "SENtype": {
        "SPLD": "Specific learning difficulty", "MLD": "Moderate learning difficulty",
        "SLD": "Severe learning difficulty",
        "PMLD": "Profound and multiple learning difficulty",
        "SEMH": "Social, emotional and mental health",
        "SLCN": "Speech, language and communication needs", "HI": "Hearing impairment",
        "VI": "Vision impairment", "MSI": "Multi-sensory impairment",
        "PD": "Physical disability", "ASD": "Autistic spectrum disorder",
        "OTH": "Other difficulty",
    },
    "UPNunknown": {
        "UN1": "Child is aged under 6 years old and is not yet assigned a UPN",
        "UN2": "Child has never attended a state-funded school in England and has not been "
               "assigned a UPN",
        "UN3": "Child is educated outside of England and has not been assigned a UPN",
        "UN5": "Sources collating UPNs reflect discrepancies preventing reliable matching",
        "UN8": "Person is new to LA and the UPN or ULN is not yet known",
        "UN9": "Young person has never attended a state-funded school or further education "
               "setting in England and has not been assigned a UPN or ULN",
        "UN10": "Request for assessment resulted in no further action before UPN or ULN "
                "known",
    },
    "RequestSource": {
        "1": "Young person or parent", "2": "School or other education setting",
        "3": "Health care professionals", "4": "Social care professionals", "5": "Other",
    },
}

SEN_NEED = Module("SENneed", (
    Item("SENtype", "code", "SENtype", required=True),
    Item("SENtypeRank", "integer", required=True),
), repeats=True, required=True)

PLACEMENT_DETAIL = Module("PlacementDetail", (
    Item("URN", "integer", max_length=6),
    Item("UKPRN", "integer", max_length=8),
    Item("SENSetting", "code", "SENSetting"),
    Item("SENSettingOther", "text", max_length=100),
    Item("PlacementRank", "integer", required=True),
    Item("EntryDate", "date", required=True),
    Item("LeavingDate", "date"),
    Item("SENunitIndicator", "flag", "flag"),
    Item("ResourcedProvisionIndicator", "flag", "flag"),
    Item("RES", "code", "PlanRes", note="moved here from ActivePlans in v1.2 (witan "
         "csv.clj); the XML element name is patch's (RES), its place in the sequence is "
         "not shown by any source"),
    Item("WPB", "flag", "flag", note="moved here from ActivePlans in v1.2; witan's CSV "
         "column is 'wbp', patch's XML element 'WPB': the XML name is used"),
), repeats=True)

ACTIVE_PLANS = Module("ActivePlans", (
    Item("TransferLA", "la", note="the DfE three-digit number of the LA the plan was "
         "transferred in from during the calendar year"),
    Item("ReviewMeeting", "date"),
    Item("ReviewOutcome", "code", "ReviewOutcome"),
    Item("LastReview", "date", note="the date the decision after the review was notified, "
         "not the meeting date (ssd_ehcp_active_plans.yml)"),
), children=(PLACEMENT_DETAIL, SEN_NEED))

PLAN_DETAIL = Module("PlanDetail", (
    Item("URN", "integer", max_length=6),
    Item("UKPRN", "integer", max_length=8),
    Item("SENSetting", "code", "SENSetting"),
    Item("SENSettingOther", "text", max_length=100),
    Item("PlacementRank", "integer", required=True),
    Item("SENunitIndicator", "flag", "flag"),
    Item("ResourcedProvisionIndicator", "flag", "flag"),
), repeats=True, required=True)

NAMED_PLAN = Module("NamedPlan", (
    Item("StartDate", "date", required=True),
    Item("PlanRes", "code", "PlanRes"),
    Item("PlanWPB", "flag", "flag", note="patch's XML name; witan's CSV column is "
         "'planwbp'; sen2.md's list omits it, both readers have it"),
    Item("PB", "flag", "flag"),
    Item("OA", "flag", "flag"),
    Item("DP", "flag", "flag"),
    Item("CeaseDate", "date"),
    Item("CeaseReason", "code", "CeaseReason"),
), children=(PLAN_DETAIL,))

ASSESSMENT = Module("Assessment", (
    Item("AssessmentOutcome", "code", "AssessmentOutcome", required=True),
    Item("AssessmentOutcomeDate", "date"),
    Item("AssessmentMediation", "flag", "flag"),
    Item("AssessmentTribunal", "flag", "flag"),
    Item("OtherMediation", "flag", "flag"),
    Item("OtherTribunal", "flag", "flag"),
    Item("Week20", "flag", "flag"),
), children=(NAMED_PLAN,))

REQUESTS = Module("Requests", (
    Item("ReceivedDate", "date", required=True),
    Item("RYA", "flag", "flag", required=True),
    Item("RequestOutcomeDate", "date"),
    Item("RequestOutcome", "code", "RequestOutcome", required=True),
    Item("RequestMediation", "flag", "flag"),
    Item("RequestTribunal", "flag", "flag"),
    Item("Exported", "flag", "flag", note="written only when the child moved out of the LA "
         "before the assessment was completed; patch reads presence, witan reads an id: the "
         "value's format is not settled by the sources"),
), children=(ASSESSMENT, ACTIVE_PLANS), repeats=True)

PERSON = Module("Person", (
    Item("Surname", "text", required=True, max_length=35),
    Item("Forename", "text", required=True, max_length=35),
    Item("PersonBirthDate", "date", required=True),
    Item("Sex", "code", "Sex", required=True, note="M and F are the values patch charts; "
         "no source lists others"),
    Item("Ethnicity", "text", max_length=4),
    Item("PostCode", "text", max_length=8),
    Item("UPN", "upn"),
    Item("UniqueLearnerNumber", "uln"),
    Item("UPNunknown", "code", "UPNunknown"),
), children=(REQUESTS,), repeats=True)

HEADER = Module("Header", (), children=(
    Module("CollectionDetails", (
        Item("Collection", required=True), Item("Year", "integer", required=True),
        Item("ReferenceDate", "date", required=True))),
    Module("Source", (
        Item("SourceLevel", required=True, note="casetrack writes L (a local authority's "
             "return, as DfE's other COLLECT headers use); the SEN2 sources show the item "
             "(witan's 'sourcelevel') but not its values"),
        Item("LEA", "la", required=True),
        Item("SoftwareCode", required=True), Item("Release", required=True),
        Item("SerialNo", "integer", required=True), Item("DateTime", "datetime",
                                                          required=True))),
))

SPEC = YearSpec(
    year=2024, version="1.2", header=HEADER, person=PERSON, code_lists=CODE_LISTS,
    changes=(
        Change("moved", "Person/Requests/ActivePlans", "RES",
               to="Person/Requests/ActivePlans/PlacementDetail"),
        Change("moved", "Person/Requests/ActivePlans", "WPB",
               to="Person/Requests/ActivePlans/PlacementDetail"),
        Change("removed", "Person/Requests/ActivePlans/PlacementDetail",
               "AttendancePattern"),
        Change("added", "Person/Requests/ActivePlans", "ReviewMeeting"),
        Change("added", "Person/Requests/ActivePlans", "ReviewOutcome"),
    ),
    sources=SOURCES,
    note="RequestSource is marked >=v1.3 by witan's pre-submission reader, so it is not "
         "in 2024.",
)
