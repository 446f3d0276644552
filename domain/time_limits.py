"""Every time limit of the SEND Regulations 2014 rule set, in its provision's words.

Each entry records the words of the provision (quoted where ``quoted``; otherwise a
summary to be checked against the text; ``verify`` where the reference could not
confirm the provision) and the counting the words give
(``domain.calendar.Wording``): "beginning with" / "starting with" a day makes that day
the first of the period, "of" / "after" / "from" a day starts the period the next day,
"at least ... before" counts back. Keys are clock ids, or ``K15.aware``-style where one
clock has several limits. ``domain.rules`` puts this table into the rule sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from domain.calendar import DayOfYear, Period, TimeLimit, Unit, Wording

REGS = "SEND Regulations 2014"
AFTER, BEGINNING_WITH, BEFORE, ON = (Wording.AFTER, Wording.BEGINNING_WITH, Wording.BEFORE,
                                     Wording.ON)
DAYS, WEEKS, MONTHS, WORKING_DAYS = Unit.DAYS, Unit.WEEKS, Unit.MONTHS, Unit.WORKING_DAYS

VERIFY_REG_42 = ("reg 42 is summarised from the regulation as made (1 September 2014) and "
                 "not checked against the current revised text on legislation.gov.uk; "
                 "check each period, its words and reg 42(5) (a different timescale agreed "
                 "in writing) there before relying on these dates")

_LIMITS: dict[str, TimeLimit] = {
    "K1": Period(6, WEEKS, AFTER, "as soon as practicable, and in any event within 6 weeks "
                 "of receiving a request for an EHC needs assessment", f"{REGS}, regs 4(1), "
                 "5(1)"),
    "K2": Period(6, WEEKS, AFTER, "must comply with that request within 6 weeks of the date "
                 "on which they receive it", f"{REGS}, reg 8(1)"),
    "K3": Period(16, WEEKS, AFTER, "as soon as practicable, and in any event within 16 weeks "
                 "of the local authority receiving a request for an EHC needs assessment",
                 f"{REGS}, reg 10(1)"),
    "K4": Period(20, WEEKS, AFTER, "as soon as practicable, and in any event within 20 weeks "
                 "of the local authority receiving a request for an EHC needs assessment",
                 f"{REGS}, reg 13(2)"),
    "K5": Period(15, DAYS, BEGINNING_WITH, "at least 15 days, beginning with the day on "
                 "which the draft plan was served", f"{REGS}, reg 13(1)"),
    "K6": Period(15, DAYS, AFTER, "should respond within 15 days of receiving the "
                 "consultation", "SEND Code of Practice 2015, 9.83", quoted=False),
    "K7": Period(12, MONTHS, BEGINNING_WITH, "in the period of 12 months starting with the "
                 "date on which the plan was first made, and in each subsequent period of 12 "
                 "months starting with the date on which the plan was last reviewed",
                 "CFA 2014 s.44(1)"),
    "K8": Period(2, WEEKS, BEFORE, "at least two weeks' notice of the date of the meeting; "
                 "advice circulated at least two weeks before the meeting",
                 f"{REGS}, reg 20(3)-(4), 21(3)-(4)", quoted=False),
    "K9": Period(2, WEEKS, AFTER, "within two weeks of the review meeting",
                 f"{REGS}, reg 20(7)-(8), 21(7)"),
    "K10": Period(4, WEEKS, AFTER, "within four weeks of the review meeting",
                  f"{REGS}, reg 20(10), 21(8)"),
    "K11": Period(8, WEEKS, AFTER, "as soon as practicable, and in any event within 8 weeks "
                  "of the local authority sending the copy of the plan and the notice of "
                  "proposed amendments", f"{REGS}, reg 22(3)-(4)", quoted=False),
    "K11.representations": Period(15, DAYS, BEGINNING_WITH, "at least 15 days, beginning "
                                  "with the day on which the notice was served",
                                  f"{REGS}, reg 22(2)(c)"),
    "K12.early": DayOfYear(2, 15, "by 15th February in the calendar year of the child's "
                           "transfer", f"{REGS}, reg 18(1)(b)"),
    "K12.post16": DayOfYear(3, 31, "by 31st March in the calendar year of the transfer",
                            f"{REGS}, reg 18(1)(a)"),
    "K12.post16_to_post16": Period(5, MONTHS, BEFORE, "at least five months before that "
                                   "transfer takes place", f"{REGS}, reg 18(2)"),
    "K13": Period(15, DAYS, AFTER, "within 15 days of receiving the request",
                  f"{REGS}, reg 25(1)"),
    "K14": Period(14, WEEKS, AFTER, "as soon as practicable, and in any event within 14 "
                  "weeks of the notification (or of the local authority's decision to "
                  "re-assess)", f"{REGS}, reg 27(2)", quoted=False),
    "K15.move": Period(0, DAYS, ON, "on the day of the move", f"{REGS}, reg 15(2)(a)"),
    "K15.aware": Period(15, WORKING_DAYS, BEGINNING_WITH, "where the old authority has not "
                        "been aware of the move at least 15 working days prior to that move, "
                        "within 15 working days beginning with the day on which it did become "
                        "aware", f"{REGS}, reg 15(2)(b)"),
    "K16": Period(6, WEEKS, AFTER, "within 6 weeks of the date of the transfer",
                  f"{REGS}, reg 15(4)"),
    "K17.review": Period(12, MONTHS, BEGINNING_WITH, "the period of 12 months beginning with "
                         "the date on which the plan was made or last reviewed",
                         f"{REGS}, reg 15(5)(a)", quoted=False),
    "K17.transfer": Period(3, MONTHS, BEGINNING_WITH, "the period of 3 months beginning with "
                           "the date of the transfer", f"{REGS}, reg 15(5)(b)", quoted=False),
    "K18": Period(15, WORKING_DAYS, BEGINNING_WITH, "on the day of the move, or within 15 "
                  "working days beginning with the day on which it became aware",
                  f"{REGS}, reg 16(2)", quoted=False),
    "K19": Period(2, MONTHS, AFTER, "contact a mediation adviser within 2 months of the "
                  "date of the decision notice", f"{REGS}, reg 33; CFA 2014 s.55(2)",
                  quoted=False),
    "K20.certificate_declined": Period(3, WORKING_DAYS, AFTER, "issue a certificate within "
                                       "3 working days of being informed that the parent or "
                                       "young person does not wish to pursue mediation",
                                       f"{REGS}, reg 34", quoted=False),
    "K20.icb_notice": Period(3, WORKING_DAYS, AFTER, "notify the responsible commissioning "
                             "body within 3 working days of receiving the request for "
                             "mediation", f"{REGS}, reg 36", quoted=False),
    "K20.mediation": Period(30, DAYS, AFTER, "ensure that mediation takes place within 30 "
                            "days of the date on which it received the notification",
                            f"{REGS}, regs 37(1), 38", quoted=False),
    "K20.certificate_held": Period(3, WORKING_DAYS, AFTER, "issue a certificate within 3 "
                                   "working days of the conclusion of the mediation (or of "
                                   "being told that it cannot take place within 30 days)",
                                   f"{REGS}, regs 37, 39(1)", quoted=False),
    "K21.notice": Period(2, MONTHS, AFTER, "2 months after the date on which written notice "
                         "of the decision being challenged was sent", "Tribunal Procedure "
                         "(First-tier Tribunal) (HESC Chamber) Rules 2008, r.20(1)(a)"),
    "K21.certificate": Period(1, MONTHS, AFTER, "1 month after the date on which the "
                              "applicant was sent a certificate under section 55(5)",
                              "Tribunal Procedure (First-tier Tribunal) (HESC Chamber) Rules "
                              "2008, r.20(1)(b)"),
    "K22": Period(None, WEEKS, AFTER, "within [2, 5, 10, 11 or 14] weeks of the date of the "
                  "order (or of the notice that the appeal will not be opposed)",
                  f"{REGS}, regs 44(2), 45", quoted=False),
    "K23": Period(5, WEEKS, AFTER, "within 5 weeks of the date of the recommendation",
                  "SEND (First-tier Tribunal Recommendations Power) Regulations 2017, reg 6",
                  quoted=False),
    "K24": Period(3, MONTHS, AFTER, "review at least once within the first three months of "
                  "direct payments being made", "SEN (Personal Budgets) Regulations 2014, "
                  "reg 11", quoted=False),
    "K25": Period(1, MONTHS, AFTER, "without undue delay and in any event within one month "
                  "of receipt of the request", "UK GDPR Art. 12(3)"),
    "K25.extended": Period(3, MONTHS, AFTER, "within one month of receipt of the request; "
                           "that period may be extended by two further months",
                           "UK GDPR Art. 12(3)"),
    "K26": Period(3, MONTHS, AFTER, "have the diagnostic assessment started within 3 months "
                  "of their referral", "NICE quality standard QS51, statement 1"),
    # Reg 42: the reference marks its time limits "(verify - not retrieved)"; configuration
    # until checked (DESIGN.md), each entry carrying VERIFY_REG_42.
    "K27": Period(None, WEEKS, AFTER, "where the mediation issues are ones the family could "
                  "appeal, the local authority keeps to the time limits of regulation 44 as if "
                  "the mediation agreement were an order of the First-tier Tribunal: within "
                  "[2, 5, 10, 11 or 14] weeks of the date of the agreement",
                  f"{REGS}, reg 42(2), 44(2)", quoted=False, verify=VERIFY_REG_42),
    "K27.other": Period(2, WEEKS, AFTER, "anything else the agreement requires of the local "
                        "authority or the responsible commissioning body, which the family "
                        "could not appeal, is done within two weeks of the date of the "
                        "mediation agreement", f"{REGS}, reg 42(3)", quoted=False,
                        verify=VERIFY_REG_42),
    "K27.notify": Period(1, WEEKS, AFTER, "where the local authority was not a party to the "
                         "mediation, the responsible commissioning body notifies it of the "
                         "mediation agreement within 1 week of the date of that agreement",
                         f"{REGS}, reg 42(4)", quoted=False, verify=VERIFY_REG_42),
}

# Read-only: a rule set whose period has begun is never edited (domain.rules).
TIME_LIMITS_2014: Mapping[str, TimeLimit] = MappingProxyType(_LIMITS)
