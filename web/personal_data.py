"""Personal data over HTTP: legal holds, erasure (admin) and the subject access export.

``init_app`` opens the vault (SQLite file in the data dir, or a PostgreSQL table), gives
it to the CaseTracking application, and registers these views.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, get_args
from uuid import UUID

from flask import g, request
from flask.views import MethodView
from flask_smorest import Api, Blueprint
from marshmallow import RAISE, Schema, fields, validate

from application.personal_data import PersonalData
from application.tracking import CaseTracking
from domain.catalogue.governance import ErasureBasis, HoldBasis
from infrastructure.persistence import sqlalchemy_url
from infrastructure.vault import SQLITE_FILE, SQLVault
from web.config import Settings, master_key
from web.openapi import problems
from web.requests import current_actor, json_object, load
from web.schemas import StrictDate, Text
from web.services import services

blp = Blueprint("personal_data", __name__, url_prefix="/children",
                description="A child's personal data: legal holds, erasure, subject access")

EXPORT_LOOK = "export"


class LegalHoldSchema(Schema):
    class Meta:
        unknown = RAISE

    # Every accepted reference must be releasable through its URL path segment: no "/",
    # and not "." or ".." (issue 12.11).
    hold_ref = Text(required=True, max_length=60, validate=validate.Regexp(
        r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        error="a letter or digit, then letters, digits and . _ - only"))
    basis = Text(required=True, validate=validate.OneOf(get_args(HoldBasis)))
    reason = Text(max_length=1000)
    occurred_on = StrictDate()


class ReleaseSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = Text(max_length=1000)
    occurred_on = StrictDate()


class ErasureSchema(Schema):
    class Meta:
        unknown = RAISE

    basis = Text(required=True, validate=validate.OneOf(get_args(ErasureBasis)))
    occurred_on = StrictDate()


class GovernanceResultSchema(Schema):
    child_id = fields.UUID(required=True)
    version = fields.Integer(required=True)
    position = fields.Integer()
    erased_at = fields.AwareDateTime(allow_none=True)
    event = fields.Dict(required=True)


class ExportSchema(Schema):
    child_id = fields.UUID(required=True)
    exported_at = fields.AwareDateTime(required=True)
    authority = fields.String(required=True)
    personal_data = fields.String(required=True, metadata={"enum": ["held", "erased"]})
    erased_at = fields.AwareDateTime(allow_none=True)
    identifiers = fields.Dict(allow_none=True)
    registration = fields.Dict(required=True)
    journey = fields.Dict(required=True)
    timeline = fields.List(fields.Dict(), required=True)
    access_log = fields.Dict(required=True)


def personal_data() -> PersonalData:
    service: PersonalData = services().personal_data
    return service


def _today() -> date:
    tracking: CaseTracking = services().tracking
    return tracking.today()


@blp.route("/<uuid:child_id>/legal-holds")
class LegalHolds(MethodView):
    @blp.response(201, GovernanceResultSchema)
    @blp.doc(requestBody={"required": True, "content": {
        "application/json": {"schema": LegalHoldSchema}}})
    @problems(blp, 400, 401, 403, 404, 409, 413, 415, 422, 500)
    def post(self, child_id: UUID) -> Any:
        """Place a legal hold: the child's personal data is not erased while it stands."""
        data = load(LegalHoldSchema(), json_object())
        return personal_data().place_hold(
            child_id, actor=current_actor(), hold_ref=data["hold_ref"], basis=data["basis"],
            reason=data.get("reason"), occurred_on=data.get("occurred_on") or _today())


@blp.route("/<uuid:child_id>/legal-holds/<string:hold_ref>/release")
class LegalHoldRelease(MethodView):
    @blp.response(201, GovernanceResultSchema)
    @blp.doc(requestBody={"required": True, "content": {
        "application/json": {"schema": ReleaseSchema}}})
    @problems(blp, 400, 401, 403, 404, 409, 413, 415, 422, 500)
    def post(self, child_id: UUID, hold_ref: str) -> Any:
        """Release a standing legal hold."""
        data = load(ReleaseSchema(), json_object())
        return personal_data().release_hold(
            child_id, actor=current_actor(), hold_ref=hold_ref, reason=data.get("reason"),
            occurred_on=data.get("occurred_on") or _today())


@blp.route("/<uuid:child_id>/erasure")
class Erasure(MethodView):
    @blp.response(200, GovernanceResultSchema)
    @blp.doc(requestBody={"required": True, "content": {
        "application/json": {"schema": ErasureSchema}}})
    @problems(blp, 400, 401, 403, 404, 409, 413, 415, 422, 500)
    def post(self, child_id: UUID) -> Any:
        """Erase the child's personal data (admin): destroy the child's key, unless a legal
        hold stands; the erasure is recorded as an event and the history stays valid."""
        data = load(ErasureSchema(), json_object())
        return personal_data().erase(child_id, actor=current_actor(), basis=data["basis"],
                                     occurred_on=data.get("occurred_on"))


@blp.route("/<uuid:child_id>/export")
class Export(MethodView):
    @blp.response(200, ExportSchema)
    @problems(blp, 401, 403, 404, 500, 503)
    def get(self, child_id: UUID) -> Any:
        """Return everything held about the child, readable (a subject access export):
        identifiers, the journey, every recorded event with its corrections, who looked."""
        export = personal_data().export(child_id, actor=current_actor(),
                                        access_log=_looks_at)
        _record_look(child_id)
        return export, 200, {"Cache-Control": "no-store"}


# The access log (application.access_log, issue 6): an export lists every look at the
# child's record and is itself recorded as a look before it is answered. Without an
# access log in this app the export says so ("available": false).

def _access_log() -> Any:
    return services().access_log


def _looks_at(child_id: UUID) -> Iterator[dict[str, Any]]:
    log = _access_log()
    if log is None:
        return iter(())
    from application.access_log import AccessFilter

    return log.looks(AccessFilter(child_id=child_id))  # type: ignore[no-any-return]


def _record_look(child_id: UUID) -> None:
    log = _access_log()
    if log is not None:
        log.record(child_id, kind=EXPORT_LOOK, actor=current_actor(), purpose=g.get("purpose"),
                   request_id=g.get("request_id"),
                   route=request.url_rule.rule if request.url_rule else None)


def vault_url(settings: Settings) -> str:
    """Where the vault lives: a SQLite file beside the event store, or its database."""
    return sqlalchemy_url(settings.database_url, settings.data_dir, SQLITE_FILE)


def vault_for(settings: Settings) -> SQLVault:
    """Open the vault beside the event store: a SQLite file, or a PostgreSQL table."""
    return SQLVault.at(vault_url(settings), master_key(settings), pool=settings.pool)


def attach_vault(tracking: CaseTracking, settings: Settings) -> SQLVault:
    """Give ``tracking`` the vault, closed when it closes (for the command line)."""
    vault = vault_for(settings)
    tracking.vault = vault
    close_tracking = tracking.close

    def close() -> None:
        vault.close()
        close_tracking()

    tracking.close = close  # type: ignore[method-assign]
    return vault


def init_app(api: Api) -> None:
    """Register the views (the vault is opened with the services, web.services)."""
    api.register_blueprint(blp)
    from web import (
        assignment,  # who holds the case (issue 6)
        families,  # the family invited into the journey (issue 16)
    )

    api.register_blueprint(assignment.blp)
    api.register_blueprint(families.blp)
    api.register_blueprint(assignment.bulk)  # issue 16: many at once
