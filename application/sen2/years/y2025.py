"""SEN2 2025 (census 16 January 2025; activity in calendar 2024): specification v1.3.

The changes from 2024, as the public readers mark them ``>=v1.3`` (witan.sen2
``blade/pre_submission.clj``) and the 2025 guide v1.4 lists them (witan.sen2
``dictionary.clj``): RequestSource added to Requests; ReviewDraft, PhaseTransferDueDate
and PhaseTransferFinalDate added to ActivePlans; SENSetting gains NEET, NIEC and NIEO;
SENtype gains DS (Down syndrome).
"""

from __future__ import annotations

from application.sen2.spec import Change, Item, derive
from application.sen2.years import y2024

ITEMS = {
    "RequestSource": Item("RequestSource", "code", "RequestSource", required=True),
    "ReviewDraft": Item("ReviewDraft", "date", note="annual review: date the draft amended "
                        "plan was issued (casetrack: the review decision to amend, which "
                        "carries the proposed amendments; Devon)"),
    "PhaseTransferDueDate": Item("PhaseTransferDueDate", "date", note="phase transfer "
                                 "review: due date for any amended plan (clock K12)"),
    "PhaseTransferFinalDate": Item("PhaseTransferFinalDate", "date", note="phase transfer "
                                   "review: final plan date (stops K12)"),
}

SPEC = derive(
    y2024.SPEC, year=2025, version="1.3",
    changes=(
        Change("added", "Person/Requests", "RequestSource", after="ReceivedDate"),
        Change("added", "Person/Requests/ActivePlans", "ReviewDraft", after="ReviewOutcome"),
        Change("added", "Person/Requests/ActivePlans", "PhaseTransferDueDate",
               after="ReviewDraft"),
        Change("added", "Person/Requests/ActivePlans", "PhaseTransferFinalDate",
               after="PhaseTransferDueDate"),
        Change("codes", "Person/Requests/ActivePlans/PlacementDetail", "SENSetting",
               note="adds NEET, NIEC, NIEO"),
        Change("codes", "Person/Requests/ActivePlans/SENneed", "SENtype", note="adds DS"),
    ),
    items=ITEMS,
    code_lists={
        "SENSetting": dict(y2024.CODE_LISTS["SENSetting"]) | {
            "NEET": "Not in education, employment or training (aged 16-25)",
            "NIEC": "Not in education or training: notice to cease issued",
            "NIEO": "Not in education or training: other (e.g. transferred in and awaiting "
                    "placement)",
        },
        "SENtype": dict(y2024.CODE_LISTS["SENtype"]) | {"DS": "Down syndrome"},
    },
    note="Where the new items sit within ActivePlans is witan's column order; no source "
         "shows the XML order.",
)
