"""``GET /worktray``: the caller's cases ordered by what is due next (issue 16)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate

from application.notifications import notifications
from application.worktray import (
    DEFAULT_TEAM_PAGE,
    MAX_LIMIT,
    TrayFilter,
    team_tray,
    window_days,
    work_tray,
)
from domain.clocks import CLOCK_SPECS
from domain.responsibility import Body
from domain.state import STAGES
from web.openapi import problems
from web.query_strings import OneOfNow
from web.requests import current_actor, read_model_answer
from web.schemas import MAX_INTEGER
from web.services import services

blp = Blueprint("worktray", __name__, url_prefix="/worktray",
                description="The daily work: the caller's cases by next due date")
reminders = Blueprint("notifications", __name__, url_prefix="/notifications",
                      description="Reminders from the clocks, for the people responsible")


class TrayQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    clock = fields.String(validate=OneOfNow(lambda: set(CLOCK_SPECS), "clock"), metadata={
        "description": "only this clock (K1..K27)"})
    stage = fields.String(validate=validate.OneOf(STAGES))
    responsible = fields.String(validate=validate.OneOf([b.value for b in Body]), metadata={
        "description": "only steps that are this body's to take"})
    due_within = fields.String(load_default="14d", metadata={
        "description": "the window of clocks about to fall due, in days (e.g. 14d)"})
    consistent_after = fields.Integer(validate=validate.Range(min=0, max=MAX_INTEGER), metadata={
        "description": "wait (bounded) until the read models include this log position"})

    @post_load
    def window(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        try:
            data["due_within_days"] = window_days(data.pop("due_within"))
        except ValueError as error:
            raise ValidationError(str(error), "due_within") from error
        return data


class TrayClockSchema(Schema):
    clock = fields.String(required=True)
    name = fields.String(required=True)
    episode = fields.String(required=True)
    started_on = fields.Date(required=True)
    due_on = fields.Date(required=True)
    status = fields.String(required=True)
    responsible = fields.String(required=True, metadata={
        "description": "whose step it is (a body: local_authority, setting, health...)"})
    responsible_name = fields.String(allow_none=True, metadata={
        "description": "that body by name, as recorded"})
    days_late = fields.Integer(allow_none=True)
    citation = fields.String(required=True)
    limit = fields.String(required=True)
    exception_ground = fields.String(allow_none=True)
    kind = fields.String(required=True)


class TrayItemSchema(Schema):
    child_id = fields.UUID(required=True)
    case_ref = fields.String(allow_none=True)
    stage = fields.String(required=True)
    version = fields.Integer(required=True)
    next_due = fields.Nested(TrayClockSchema, allow_none=True, metadata={
        "description": "what is due next (the journey page's next_due)"})
    late = fields.List(fields.Nested(TrayClockSchema), required=True)
    due_soon = fields.List(fields.Nested(TrayClockSchema), required=True, metadata={
        "description": "running clocks due within the window"})


class TraySchema(Schema):
    items = fields.List(fields.Nested(TrayItemSchema), required=True)
    as_at = fields.Date(required=True)
    due_within_days = fields.Integer(required=True)
    position = fields.Integer(required=True)


@blp.route("")
class WorkTray(MethodView):
    @blp.arguments(TrayQuerySchema, location="query")
    @blp.response(200, TraySchema)
    @problems(blp, 401, 403, 422, 500, 503)
    def get(self, query: dict[str, Any]) -> Any:
        """List the cases assigned to the caller, ordered by the next due date."""
        consistent_after = query.pop("consistent_after", None)
        tracking = services().tracking
        result = work_tray(services().read_models, actor=current_actor(),
                           where=TrayFilter(**query), today=tracking.today(),
                           consistent_after=consistent_after, head=tracking.max_position)
        return read_model_answer(result)


class TeamQuerySchema(TrayQuerySchema):
    class Meta:
        unknown = RAISE
        exclude = ("clock", "responsible")

    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_INTEGER),
                           metadata={"description": "the next_after of the previous page "
                                                    "of unassigned cases"})
    limit = fields.Integer(load_default=DEFAULT_TEAM_PAGE,
                           validate=validate.Range(min=1, max=MAX_LIMIT), metadata={
                               "description": "at most this many unassigned cases"})


class HolderSchema(Schema):
    assigned_to = fields.String(required=True, metadata={"description": "staff user id"})
    assigned_organisation = fields.String(required=True)
    cases = fields.Integer(required=True)


class TeamSchema(Schema):
    caseworkers = fields.List(fields.Nested(HolderSchema), required=True, metadata={
        "description": "everyone holding cases of the authority, most cases first"})
    unassigned = fields.List(fields.Nested(TrayItemSchema), required=True, metadata={
        "description": "a page of the cases no one holds, by next due date"})
    next_after = fields.Integer(allow_none=True, metadata={
        "description": "pass as after for the next page of unassigned cases; null on "
                       "the last"})
    as_at = fields.Date(required=True)
    due_within_days = fields.Integer(required=True)
    position = fields.Integer(required=True)


@blp.route("/team")
class TeamTray(MethodView):
    @blp.arguments(TeamQuerySchema, location="query")
    @blp.response(200, TeamSchema)
    @problems(blp, 401, 403, 422, 500, 503)
    def get(self, query: dict[str, Any]) -> Any:
        """A manager's team: cases per caseworker, and the unassigned cases by due date
        (paged: ``after``/``limit``, ``next_after``)."""
        consistent_after = query.pop("consistent_after", None)
        after, limit = query.pop("after"), query.pop("limit")
        tracking = services().tracking
        result = team_tray(services().read_models, actor=current_actor(),
                           where=TrayFilter(**query), today=tracking.today(),
                           consistent_after=consistent_after, head=tracking.max_position,
                           after=after, limit=limit)
        return read_model_answer(result)


class NotificationQuerySchema(TrayQuerySchema):
    class Meta:
        unknown = RAISE
        exclude = ("clock", "responsible", "stage")


class NotificationSchema(Schema):
    child_id = fields.UUID(required=True)
    case_ref = fields.String(allow_none=True)
    clock = fields.String(required=True)
    episode = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "late, or due (soon)"})
    due_on = fields.Date(required=True)
    days_late = fields.Integer(allow_none=True)
    responsible = fields.String(required=True)
    responsible_name = fields.String(allow_none=True)
    message = fields.String(required=True)


class NotificationsSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)
    as_at = fields.Date(required=True)
    due_within_days = fields.Integer(required=True)
    position = fields.Integer(required=True)


@reminders.route("")
class Notifications(MethodView):
    @reminders.arguments(NotificationQuerySchema, location="query")
    @reminders.response(200, NotificationsSchema)
    @problems(reminders, 401, 403, 422, 500, 503)
    def get(self, query: dict[str, Any]) -> Any:
        """The caller's reminders: late steps, and steps due within the window (cases
        they hold; a family's token: their child)."""
        tracking = services().tracking
        result = notifications(services().read_models, actor=current_actor(),
                               today=tracking.today(), within_days=query["due_within_days"],
                               consistent_after=query.get("consistent_after"),
                               head=tracking.max_position)
        return read_model_answer(result)
