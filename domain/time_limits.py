"""Every time limit of the SEND Regulations 2014 rule set, in its provision's words.

Each entry records the words of the provision (quoted where ``quoted``, otherwise a
summary), where they were checked against the provision's text (``source``: the
legislation.gov.uk page read and its version, as made, revised or at a point in time)
and what is still to be checked (``verify``: the text was not found, or only part of it,
or only an older version; those words are still the domain reference's). The counting
follows from the words (``domain.calendar.Wording``): "beginning with" / "starting with"
a day makes that day the first of the period, "of" / "after" / "from" a day starts the
period the next day, "at least ... before" (or "in advance of") counts back, and
"before" a fixed day of the year ends the day before it. Keys are clock ids, or
``K15.aware``-style where one clock has several limits. ``domain.rules`` puts this table
into the rule sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from domain.calendar import DayOfYear, Period, Source, TimeLimit, Unit, Wording

REGS = "SEND Regulations 2014"
AFTER, BEGINNING_WITH, BEFORE, ON = (Wording.AFTER, Wording.BEGINNING_WITH, Wording.BEFORE,
                                     Wording.ON)
DAYS, WEEKS, MONTHS, WORKING_DAYS = Unit.DAYS, Unit.WEEKS, Unit.MONTHS, Unit.WORKING_DAYS
HESC_RULES = "Tribunal Procedure (First-tier Tribunal) (HESC Chamber) Rules 2008"

# The pages the words were checked against (legislation.gov.uk, read December 2026). Each
# names the version of the text it carries; "text as made" is the text of 1 September 2014.
_LEG = "https://www.legislation.gov.uk/uksi/2014/1530"
REG_4_5 = Source(f"{_LEG}/regulation/5/data.htm", "revised text (latest available)",
                 "reg 4(1) read in its revised text too: \"as soon as practicable, but in any "
                 "event within 6 weeks of\" receiving the request")
REG_10 = Source(f"{_LEG}/regulation/10/made", "text as made")
REG_13 = Source(f"{_LEG}/regulation/13/made", "text as made")
REG_15 = Source(f"{_LEG}/regulation/15/made", "text as made",
                "the page's text of reg 15(5) stops at \"(a) the period of 12 months "
                "beginning with the d\"")
REG_18 = Source(f"{_LEG}/part/2/crossheading/reviews-and-reassessments",
                "revised text (latest available)")
REG_20_21 = Source(f"{_LEG}/regulation/21/made", "text as made",
                   "reg 20(3)-(4) read in its revised text too (/regulation/20): the same words")
REG_21 = Source(f"{_LEG}/regulation/21/made", "text as made")
REG_22 = Source(f"{_LEG}/regulation/22/2020-05-01", "text at 1 May 2020 (point in time)")
REG_27 = Source(f"{_LEG}/regulation/27/made", "text as made")
REG_33 = Source(f"{_LEG}/part/2/crossheading/mediation/made", "text as made")
REG_42 = Source(f"{_LEG}/regulation/42/2014-09-01", "text at 1 September 2014 (point in time)")
REG_45 = Source("https://www.legislation.gov.uk/uksi/2015/359/regulation/8", "SI 2015/359 "
                "reg 8 as made, which substitutes reg 45(3)-(6) (2, 10, 14 and 5 weeks of the "
                "date the local authority notified the First-tier Tribunal)")
RULE_20 = Source("https://www.legislation.gov.uk/uksi/2008/2699/article/20",
                 "revised text (latest available)")

NOT_FOUND = ("the provision's text was not found on legislation.gov.uk among the pages "
             "searched; the words are the reference's. Check them there before relying on "
             "these dates")
VERIFY_REG_42 = ("reg 42 was read as it stood on 1 September 2014, not in its current revised "
                 "text: check that text on legislation.gov.uk for a later amendment, and reg "
                 "42(5) (a different timescale agreed in writing displaces (2) and (3)), before "
                 "relying on these dates")

_LIMITS: dict[str, TimeLimit] = {
    "K1": Period(6, WEEKS, AFTER, "as soon as practicable and in any event within 6 weeks "
                 "of ... receiving a request for an assessment under section 36(1) of the Act",
                 f"{REGS}, regs 4(1), 5(1)", source=REG_4_5),
    "K2": Period(6, WEEKS, AFTER, "must comply with that request within 6 weeks of the date "
                 "on which they receive it", f"{REGS}, reg 8(1)",
                 verify=f"{NOT_FOUND} (a secondary source quotes reg 8(1) in these words)"),
    "K3": Period(16, WEEKS, AFTER, "as soon as practicable, and in any event within 16 weeks "
                 "of the local authority receiving a request for an EHC needs assessment",
                 f"{REGS}, reg 10(1)", source=REG_10),
    "K4": Period(20, WEEKS, AFTER, "as soon as practicable, and in any event within 20 weeks "
                 "of the local authority receiving a request for an EHC needs assessment",
                 f"{REGS}, reg 13(2)", source=REG_13),
    "K5": Period(15, DAYS, BEGINNING_WITH, "at least 15 days, beginning with the day on "
                 "which the draft plan was served", f"{REGS}, reg 13(1)", source=REG_13),
    "K6": Period(15, DAYS, AFTER, "should respond within 15 days of receiving the "
                 "consultation", "SEND Code of Practice 2015, 9.83", quoted=False,
                 verify=NOT_FOUND),
    "K7": Period(12, MONTHS, BEGINNING_WITH, "in the period of 12 months starting with the "
                 "date on which the plan was first made, and in each subsequent period of 12 "
                 "months starting with the date on which the plan was last reviewed",
                 "CFA 2014 s.44(1)",
                 verify=f"{NOT_FOUND} (a secondary source quotes s.44(1) in these words)"),
    "K8": Period(2, WEEKS, BEFORE, "at least two weeks' notice of the date of the meeting "
                 "must be given ... at least two weeks in advance of the review meeting",
                 f"{REGS}, reg 20(3)-(4), 21(3)-(4)", source=REG_20_21),
    "K9": Period(2, WEEKS, AFTER, "within two weeks of the review meeting",
                 f"{REGS}, reg 20(7)-(8), 21(7)", source=REG_21,
                 verify="reg 20(7)-(8) (the school's report) was not found on "
                        "legislation.gov.uk; the words are checked in reg 21(7) only"),
    "K10": Period(4, WEEKS, AFTER, "within four weeks of the review meeting",
                  f"{REGS}, reg 20(10), 21(8)", verify=NOT_FOUND),
    "K11": Period(8, WEEKS, AFTER, "as soon as practicable, and in any event within 8 weeks "
                  "of the local authority sending a copy of the EHC plan in accordance with "
                  "paragraph (2)(a)", f"{REGS}, reg 22(3)", source=REG_22),
    "K11.representations": Period(15, DAYS, BEGINNING_WITH, "at least 15 days, beginning "
                                  "with the day on which the draft plan was served",
                                  f"{REGS}, reg 22(2)(c)", source=REG_22),
    "K12.early": DayOfYear(2, 15, "before ... 15 February in the calendar year of the "
                           "child's transfer in any other case", f"{REGS}, reg 18(1)(b)",
                           source=REG_18),
    "K12.post16": DayOfYear(3, 31, "before ... 31 March in the calendar year of the child or "
                            "young person's transfer from secondary school to a post-16 "
                            "institution", f"{REGS}, reg 18(1)(a)", source=REG_18),
    "K12.post16_to_post16": Period(5, MONTHS, BEFORE, "at least five months before that "
                                   "transfer takes place", f"{REGS}, reg 18(2)",
                                   source=REG_18),
    "K13": Period(15, DAYS, AFTER, "within 15 days of receiving the request",
                  f"{REGS}, reg 25(1)", verify=NOT_FOUND),
    "K14": Period(14, WEEKS, AFTER, "as soon as practicable, and in any event within 14 "
                  "weeks of the notification under regulation 25(1) or of deciding it is "
                  "necessary to reassess under section 44(3)", f"{REGS}, reg 27(2)",
                  source=REG_27),
    "K15.move": Period(0, DAYS, ON, "on the day of the move", f"{REGS}, reg 15(2)",
                       source=REG_15),
    "K15.aware": Period(15, WORKING_DAYS, BEGINNING_WITH, "where it has not become aware of "
                        "the move at least 15 working days prior to that move, within 15 "
                        "working days beginning with the day on which it did become aware",
                        f"{REGS}, reg 15(2)", source=REG_15),
    "K16": Period(6, WEEKS, AFTER, "within 6 weeks of the date of the transfer",
                  f"{REGS}, reg 15(4)", source=REG_15),
    "K17.review": Period(12, MONTHS, BEGINNING_WITH, "the period of 12 months beginning with "
                         "the date on which the plan was made or last reviewed",
                         f"{REGS}, reg 15(5)(a)", quoted=False, source=REG_15,
                         verify="the page read shows reg 15(5)(a) only as far as \"the "
                                "period of 12 months beginning with the d\"; check the rest"),
    "K17.transfer": Period(3, MONTHS, BEGINNING_WITH, "the period of 3 months beginning with "
                           "the date of the transfer", f"{REGS}, reg 15(5)(b)", quoted=False,
                           verify=NOT_FOUND),
    "K18": Period(15, WORKING_DAYS, BEGINNING_WITH, "on the day of the move, or within 15 "
                  "working days beginning with the day on which it became aware",
                  f"{REGS}, reg 16(2)", quoted=False, verify=NOT_FOUND),
    "K19": Period(2, MONTHS, AFTER, "must contact the mediation adviser within 2 months after "
                  "written notice of the local authority's decision was sent",
                  f"{REGS}, reg 33; CFA 2014 s.55(2)", source=REG_33),
    "K20.certificate_declined": Period(3, WORKING_DAYS, AFTER, "issue a certificate within "
                                       "3 working days of being informed that the parent or "
                                       "young person does not wish to pursue mediation",
                                       f"{REGS}, reg 34", quoted=False, verify=NOT_FOUND),
    "K20.icb_notice": Period(3, WORKING_DAYS, AFTER, "notify the responsible commissioning "
                             "body within 3 working days of receiving the request for "
                             "mediation", f"{REGS}, reg 36", quoted=False, verify=NOT_FOUND),
    "K20.mediation": Period(30, DAYS, AFTER, "ensure that mediation takes place within 30 "
                            "days of the date on which it received the notification",
                            f"{REGS}, regs 37(1), 38", quoted=False, verify=NOT_FOUND),
    "K20.certificate_held": Period(3, WORKING_DAYS, AFTER, "issue a certificate within 3 "
                                   "working days of the conclusion of the mediation (or of "
                                   "being told that it cannot take place within 30 days)",
                                   f"{REGS}, regs 37, 39(1)", quoted=False, verify=NOT_FOUND),
    "K21.notice": Period(2, MONTHS, AFTER, "within 2 months after written notice of the "
                         "decision being challenged was sent to the applicant",
                         f"{HESC_RULES}, r.20(1)(c)(i)", source=RULE_20),
    "K21.certificate": Period(1, MONTHS, AFTER, "within 1 month from the date of issue of the "
                              "mediation certificate if that date would be a later date than "
                              "the date calculated by reference to paragraph (i)",
                              f"{HESC_RULES}, r.20(1)(c)(ii)", source=RULE_20),
    "K22": Period(None, WEEKS, AFTER, "within [2, 5, 10, 11 or 14] weeks of the date of the "
                  "order (or of the notice that the appeal will not be opposed)",
                  f"{REGS}, regs 44(2), 45", quoted=False, source=REG_45,
                  verify="reg 44 was not found on legislation.gov.uk (a secondary source "
                         "quotes reg 44(2) with these periods); reg 45 is checked in the "
                         "amending instrument only"),
    "K23": Period(5, WEEKS, AFTER, "within 5 weeks of the date of the recommendation",
                  "SEND (First-tier Tribunal Recommendations Power) Regulations 2017, reg 6",
                  quoted=False, verify=NOT_FOUND),
    "K24": Period(3, MONTHS, AFTER, "review at least once within the first three months of "
                  "direct payments being made", "SEN (Personal Budgets) Regulations 2014, "
                  "reg 11", quoted=False,
                  verify=f"{NOT_FOUND} (these are the words of the 2012 pilot order, Sch 1 "
                         "para 15(2)(a), which the 2014 Regulations replaced)"),
    "K25": Period(1, MONTHS, AFTER, "without undue delay and in any event within one month "
                  "of receipt of the request", "UK GDPR Art. 12(3)", verify=NOT_FOUND),
    "K25.extended": Period(3, MONTHS, AFTER, "within one month of receipt of the request; "
                           "that period may be extended by two further months",
                           "UK GDPR Art. 12(3)", verify=NOT_FOUND),
    "K26": Period(3, MONTHS, AFTER, "have the diagnostic assessment started within 3 months "
                  "of their referral", "NICE quality standard QS51, statement 1",
                  verify=NOT_FOUND),
    # Reg 42: read as it stood on 1 September 2014 (the reference had marked it "verify -
    # not retrieved"); configuration until checked against the current text (DESIGN.md).
    "K27": Period(None, WEEKS, AFTER, "where the mediation issues are ones the family could "
                  "appeal, the local authority keeps to the time limits of regulation 44 as if "
                  "the mediation agreement were an order of the First-tier Tribunal: within "
                  "[2, 5, 10, 11 or 14] weeks of the date of the agreement",
                  f"{REGS}, reg 42(2), 44(2)", quoted=False, verify=VERIFY_REG_42,
                  source=REG_42),
    "K27.other": Period(2, WEEKS, AFTER, "must do that thing within two weeks of the date of "
                        "the mediation agreement", f"{REGS}, reg 42(3)",
                        verify=VERIFY_REG_42, source=REG_42),
    "K27.notify": Period(1, WEEKS, AFTER, "must notify the local authority of the mediation "
                         "agreement within 1 week of the date of that agreement",
                         f"{REGS}, reg 42(4)", verify=VERIFY_REG_42, source=REG_42),
}

# Read-only: a rule set whose period has begun is never edited (domain.rules).
TIME_LIMITS_2014: Mapping[str, TimeLimit] = MappingProxyType(_LIMITS)
