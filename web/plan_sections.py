"""The shape of an EHC plan's sections A to K, checked where requests come in.

Every event that carries a plan's sections (``domain.catalogue.plan.PlanSections``:
``DraftPlanIssued``, ``FinalPlanIssued``, ``AmendedPlanFinalised``,
``PhaseTransferPlanFinalised``, ``PlanTransferredIn``) loads them with
``PlanSectionsSchema``: each section is optional, separately identified (reg 12(1)), and
has the shape below, after the DfE's statutory guidance on what each section holds
(Code 9.62-9.69) and the sections table of the domain reference. A request whose
sections do not fit is refused with one 422 listing every problem by JSON pointer
(``/sections/F/0/hours``); nothing is recorded. Statutory rules (every B need has F
provision, no setting in a draft, section G as the ICB agreed it, PfA content from Year 9,
a code in force on the day) stay with the domain and answer 409. Events stored before
this schema existed replay as they were: only new requests are checked here.

Section by section (every key optional unless marked *required*):

- ``A``: views, interests and aspirations: text, or ``{views, interests, aspirations,
  history}`` (text each).
- ``B``: special educational needs, a list of ``{need*: needs code, description, rank}``.
- ``C``, ``D``: health and social care needs, lists of ``{description*, need}``.
- ``E``: outcomes, a list of ``{outcome*, need, pfa: PfA area, timescale,
  shorter_term_targets}``.
- ``F``: special educational provision, detailed, specific and normally quantified
  (Code 9.69): a list of ``{provision*, need, quantified, hours, frequency, group_size,
  delivered_by, therapy, service, profession, provider, pfa, outcome}``.
- ``G``, ``H1``, ``H2``: health and social care provision, lists of ``{provision*, need,
  hours, frequency, delivered_by, therapy, service, profession, provider, commissioner}``.
- ``I``: the placement, ``null`` or ``{setting_ref, setting_name, setting_type: setting
  types code}``.
- ``J``: the personal budget, a list of ``{provision, need, outcome, amount,
  arrangement}``.
- ``K``: the advice and information gathered, a list of ``{advice_type, title, author,
  document_ref, received_on, advice: [text]}``.
"""

from __future__ import annotations

import typing
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from domain.catalogue.plan import PlanSections
from domain.code_lists import Takes
from web.schemas import CodeOf, StrictBoolean, Text

MAX_SECTION_ITEMS = 200
MAX_HOURS = 168  # the hours in a week: no provision is quantified past that
FREQUENCIES = ["daily", "weekly", "fortnightly", "half_termly", "termly", "monthly",
               "annually", "once"]
BUDGET_ARRANGEMENTS = ["direct_payment", "notional", "third_party"]


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("must not be blank")


def _required_text(max_length: int = 4000) -> Text:
    return Text(required=True, max_length=max_length, validate=_not_blank)


def _code(max_length: int = 40) -> Text:
    return Text(max_length=max_length)


class Amount(fields.Field):  # type: ignore[misc]
    """A JSON number from 0 to ``maximum``, kept as given (an integer stays one)."""

    def __init__(self, *, maximum: float, **kwargs: Any) -> None:
        self.maximum = maximum
        super().__init__(metadata={"type": "number", "minimum": 0, "maximum": maximum},
                         **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError("must be a number")
        if not 0 <= value <= self.maximum:
            raise ValidationError(f"must be from 0 to {self.maximum}")
        return value


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class SectionAViewsSchema(_Strict):
    """Section A as an object: the views, interests and aspirations of the child and
    their parents, or of the young person (reg 12(1)(a))."""

    views = Text()
    interests = Text()
    aspirations = Text()
    history = Text()


class SectionBNeedSchema(_Strict):
    """One special educational need in section B (reg 12(1)(b))."""

    need = Text(required=True, max_length=40)
    description = Text()
    rank = fields.Integer(strict=True, validate=validate.Range(min=1, max=99))


class SectionCDNeedSchema(_Strict):
    """One health (C) or social care (D) need relating to the SEN or disability."""

    description = _required_text()
    need = _code()


class SectionEOutcomeSchema(_Strict):
    """One outcome sought in section E (reg 12(1)(e)), a PfA outcome when ``pfa`` is set."""

    outcome = _required_text()
    need = _code()
    pfa = _code()
    timescale = Text(max_length=200)
    shorter_term_targets = Text()


class _Provision(_Strict):
    """What every item of provision says: what, for which need, how much, how often, by
    whom (the therapy, service or profession by code, read by the reports)."""

    provision = _required_text()
    need = _code()
    hours = Amount(maximum=MAX_HOURS)
    frequency = Text(validate=validate.OneOf(FREQUENCIES))
    delivered_by = Text(max_length=200)
    therapy = _code()
    service = _code()
    profession = _code()
    provider = Text(max_length=200)


class SectionFProvisionSchema(_Provision):
    """One item of special educational provision in section F: detailed, specific and
    normally quantified (Code 9.69), for a need in B, possibly towards adulthood."""

    quantified = StrictBoolean()
    group_size = fields.Integer(strict=True, validate=validate.Range(min=1, max=100))
    pfa = _code()
    outcome = Text()


class SectionGHProvisionSchema(_Provision):
    """One item of health (G) or social care (H1, H2) provision, and who commissions it."""

    commissioner = Text(max_length=100)


class SectionJBudgetSchema(_Strict):
    """Section J: provision secured by a direct payment (or the personal budget), the
    needs and outcomes it meets (reg 12(1)(j))."""

    provision = Text()
    need = _code()
    outcome = Text()
    amount = Amount(maximum=10_000_000)
    arrangement = Text(validate=validate.OneOf(BUDGET_ARRANGEMENTS))


class SectionKAdviceSchema(_Strict):
    """Section K: one piece of advice or information gathered, attached (Code 9.62)."""

    advice_type = _code()
    title = Text(max_length=200)
    author = Text(max_length=200)
    document_ref = Text(max_length=200)
    received_on = Text(validate=validate.Regexp(r"^\d{4}-\d{2}-\d{2}$",
                                                error="must be a date, YYYY-MM-DD"))
    advice = fields.List(Text(), validate=validate.Length(max=MAX_SECTION_ITEMS))


class SectionISettingSchema(_Strict):
    """Section I: the school or other institution, by reference and name, or its type."""

    setting_ref = Text(max_length=40, allow_none=True)
    setting_name = Text(max_length=200, allow_none=True)
    setting_type = Text(max_length=40, allow_none=True)


class ViewsField(fields.Field):  # type: ignore[misc]
    """Section A: text, or an object of views, interests, aspirations and history."""

    def __init__(self, **kwargs: Any) -> None:
        names = sorted(SectionAViewsSchema._declared_fields)  # noqa: SLF001
        views = {"type": "object", "additionalProperties": False,
                 "properties": {name: {"type": "string", "maxLength": 4000} for name in names}}
        super().__init__(metadata={"oneOf": [{"type": "string", "maxLength": 4000}, views]},
                         **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            return Text().deserialize(value)
        if isinstance(value, dict):
            loaded: dict[str, Any] = SectionAViewsSchema().load(value)
            return loaded
        raise ValidationError("must be text, or an object with views, interests, "
                              "aspirations and history")


def _items(schema: type[Schema]) -> fields.List:
    return fields.List(fields.Nested(schema), validate=validate.Length(max=MAX_SECTION_ITEMS))


class PlanSectionsSchema(_Strict):
    """An EHC plan's sections A to K, each optional and separately identified."""

    A = ViewsField()
    B = _items(SectionBNeedSchema)
    C = _items(SectionCDNeedSchema)
    D = _items(SectionCDNeedSchema)
    E = _items(SectionEOutcomeSchema)
    F = _items(SectionFProvisionSchema)
    G = _items(SectionGHProvisionSchema)
    H1 = _items(SectionGHProvisionSchema)
    H2 = _items(SectionGHProvisionSchema)
    I = fields.Nested(SectionISettingSchema, allow_none=True)  # noqa: E741 (the section's name)
    J = _items(SectionJBudgetSchema)
    K = _items(SectionKAdviceSchema)


def _field_at(schema: type[Schema], at: tuple[str, ...]) -> fields.Field:
    """Return the field of ``schema`` a declared code sits at (``("B", "*", "need")``)."""
    field: fields.Field = schema._declared_fields[at[0]]  # noqa: SLF001
    for step in at[1:]:
        if step == "*":
            assert isinstance(field, fields.List)
            field = field.inner
        else:
            nested = field.nested if isinstance(field, fields.Nested) else None
            assert isinstance(nested, type) and issubclass(nested, Schema), at
            field = nested._declared_fields[step]  # noqa: SLF001
    return field


def declared_codes() -> list[Takes]:
    """Return the code lists ``PlanSections`` declares inside the sections."""
    return [m for m in typing.get_args(PlanSections)[1:] if isinstance(m, Takes)]


def _attach_codes() -> None:
    """Check (and describe) each code the domain declares inside the sections where it
    sits: one declaration, ``domain.catalogue.plan.PlanSections``."""
    for marker in declared_codes():
        field = _field_at(PlanSectionsSchema, marker.at)
        field.validators.append(CodeOf(marker.code_list))
        field.metadata = {**field.metadata, "enum": marker.code_list.codes(),
                          "description": marker.code_list.what()}


_attach_codes()


def plan_sections_field(*, required: bool) -> fields.Field:
    """Return the request field of an event's ``sections``."""
    return fields.Nested(PlanSectionsSchema, required=required, metadata={
        "description": "the plan's sections A to K (reg 12(1)); see docs/api.md"})
