"""Thematic and cohort questions, and the area picture, from the cohort read model.

Each question takes a ``Cohort`` (authority, ``as_at``, period, filters, a breakdown
dimension) and answers counts, percentages, medians and means, each with the children
behind it, overall and per group of the breakdown. Facts are read as at ``as_at`` from
their dates: a step counts if it happened by ``as_at`` (as the record now stands,
corrections included); a clock is late as at ``as_at`` if it stopped after its due date,
or had not stopped by ``as_at`` and ``as_at`` is past its due date.

The package mirrors ``domain/catalogue/``: one module per statutory group holds its
questions' records, definitions and scopes, registered by declaration (``registry``);
``answering`` counts them (or lets the store count them in the database), ``area`` gives
the area picture, ``use_cases`` checks who may ask. Importing the package registers every
question.

Inspectors get pseudonymous child ids (a keyed hash); managers and auditors the child ids.
"""

from application.reports import (  # noqa: F401  (registers every question)
    advice,
    assessment,
    budgets,
    disputes,
    exceptions,
    health,
    movement,
    plan,
    registration,
    reviews,
)
from application.reports.answering import (
    NOT_RECORDED,
    UnknownReportError,
    answer,
    child_dims,
    counted_figures,
    figures,
)
from application.reports.area import area_picture, census_day, counted_plans, responsible_delays
from application.reports.as_at import (
    age_band,
    age_on,
    days_late,
    happened,
    late_at,
    open_at,
    weeks,
)
from application.reports.cohort import (
    Cohort,
    CohortStore,
    Data,
    Record,
    Scope,
    UndeclaredReadError,
    Window,
)
from application.reports.registry import (
    CHILD_DIMENSIONS,
    COHORT_PROJECTION,
    QUESTIONS,
    SCOPES,
    Question,
    question,
)
from application.reports.use_cases import ReportContext, area, ask, with_period

__all__ = [
    "CHILD_DIMENSIONS", "COHORT_PROJECTION", "NOT_RECORDED", "QUESTIONS", "SCOPES", "Cohort",
    "CohortStore", "Data", "Question", "Record", "ReportContext", "Scope", "UndeclaredReadError",
    "UnknownReportError", "Window", "age_band", "age_on", "answer", "area", "area_picture",
    "ask", "census_day", "child_dims", "counted_figures", "counted_plans", "days_late",
    "figures", "happened", "late_at", "open_at", "question", "responsible_delays", "weeks",
    "with_period",
]
