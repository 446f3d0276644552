"""Webhooks (issue 16): ``/subscriptions`` (an authority's admins subscribe URLs to the
outbox's messages) and ``/deliveries`` (the dead-letter list, and replaying one)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from application.webhooks import (
    MESSAGE_KINDS,
    check_url,
    dead_letters,
    replay,
    subscribe,
    subscriptions,
    unsubscribe,
)
from web.openapi import problems
from web.requests import current_actor
from web.schemas import Text
from web.services import services

blp = Blueprint("subscriptions", __name__, url_prefix="/subscriptions",
                description="Webhooks: the outbox's messages sent to an authority's URLs")
deliveries = Blueprint("deliveries", __name__, url_prefix="/deliveries",
                       description="Webhook deliveries that failed every attempt")


def _webhooks() -> Any:
    return services().extras["webhooks"]


def _url(value: str) -> None:
    try:
        check_url(value)
    except ValueError as error:
        raise ValidationError(str(error)) from None


class Moment(fields.Float):
    """A time kept as Unix seconds, shown as an ISO 8601 UTC timestamp."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return datetime.fromtimestamp(value, UTC).isoformat()


class NewSubscriptionSchema(Schema):
    class Meta:
        unknown = RAISE

    url = Text(required=True, max_length=2000, validate=_url, metadata={
        "description": "where messages are POSTed: https:// (http:// only to a loopback "
                       "address)"})
    kinds = fields.List(fields.String(validate=validate.OneOf(MESSAGE_KINDS)),
                        validate=validate.Length(max=len(MESSAGE_KINDS)), metadata={
        "description": "the kinds of message sent (default: every kind)"})
    authority = Text(max_length=40, metadata={
        "description": "the authority whose messages are sent: the admin's own (default)"})


class SubscriptionSchema(Schema):
    subscription_id = fields.UUID(required=True)
    authority = fields.String(required=True)
    url = fields.String(required=True)
    kinds = fields.List(fields.String(), required=True)
    created_by = fields.String(required=True)
    created_at = Moment(required=True)


class NewSubscriptionAnswerSchema(SubscriptionSchema):
    secret = fields.String(required=True, metadata={
        "description": "the signing secret: shown this once, never again"})


class SubscriptionListSchema(Schema):
    items = fields.List(fields.Nested(SubscriptionSchema), required=True)


class DeliverySchema(Schema):
    delivery_id = fields.UUID(required=True)
    subscription_id = fields.UUID(required=True)
    authority = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "pending, delivered "
                                                                   "or dead"})
    attempts = fields.Integer(required=True)
    last_error = fields.String(allow_none=True, metadata={
        "description": "the last attempt's HTTP status or connection error"})
    last_attempt_at = Moment(allow_none=True)
    created_at = Moment(required=True)
    message_id = fields.UUID(required=True, metadata={
        "description": "the message's id (X-Casetrack-Message-Id)"})
    kind = fields.String(required=True)
    child_id = fields.UUID(required=True)
    position = fields.Integer(required=True)


class DeliveryListSchema(Schema):
    items = fields.List(fields.Nested(DeliverySchema), required=True)


class DeadQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


@blp.route("")
class Subscriptions(MethodView):
    @blp.response(200, SubscriptionListSchema)
    @problems(blp, 401, 403, 500)
    def get(self) -> Any:
        """List the admin's authority's webhook subscriptions (never their secrets)."""
        return subscriptions(_webhooks(), actor=current_actor())

    @blp.arguments(NewSubscriptionSchema)
    @blp.response(201, NewSubscriptionAnswerSchema)
    @problems(blp, 400, 401, 403, 413, 422, 500)
    def post(self, data: dict[str, Any]) -> Any:
        """Subscribe a URL to the authority's messages; the answer holds the signing
        secret, shown this once."""
        made = subscribe(_webhooks(), actor=current_actor(), url=data["url"],
                         kinds=data.get("kinds", []), authority=data.get("authority"))
        return made, 201, {"Location": f"/subscriptions/{made['subscription_id']}"}


@blp.route("/<uuid:subscription_id>")
class Subscription(MethodView):
    @blp.response(204)
    @problems(blp, 401, 403, 404, 500)
    def delete(self, subscription_id: UUID) -> Any:
        """Remove a subscription and its deliveries not yet sent."""
        unsubscribe(_webhooks(), actor=current_actor(), subscription_id=str(subscription_id))
        return ""


@deliveries.route("/dead")
class DeadLetters(MethodView):
    @deliveries.arguments(DeadQuerySchema, location="query")
    @deliveries.response(200, DeliveryListSchema)
    @problems(deliveries, 401, 403, 422, 500)
    def get(self, query: dict[str, Any]) -> Any:
        """List the admin's authority's deliveries that failed every attempt."""
        return dead_letters(_webhooks(), actor=current_actor(), limit=query["limit"])


@deliveries.route("/<uuid:delivery_id>/replay")
class Replay(MethodView):
    @deliveries.response(200, DeliverySchema)
    @problems(deliveries, 401, 403, 404, 409, 500)
    def post(self, delivery_id: UUID) -> Any:
        """Queue a dead delivery again (its attempts counted afresh)."""
        return replay(_webhooks(), actor=current_actor(), delivery_id=str(delivery_id))
