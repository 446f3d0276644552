"""Tamper evidence over HTTP: a journey's hash chain, and the signed log checkpoints."""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from application.integrity import IntegrityChecks
from application.tracking import CaseTracking
from infrastructure.integrity import (
    CheckpointStore,
    LogIntegrity,
    SigningKeyMissingError,
    load_signing_key,
)
from infrastructure.witness import Witnesses
from web.config import Settings
from web.openapi import problems
from web.problems import Problem
from web.requests import current_actor
from web.services import services

blp = Blueprint("integrity", __name__,
                description="Tamper evidence: hash chains and signed checkpoints "
                            "(auditors and managers)")


class CheckpointSchema(Schema):
    seq = fields.Integer(required=True)
    position = fields.Integer(required=True, metadata={
        "description": "the log position the checkpoint anchors, inclusive"})
    tree_size = fields.Integer(required=True, metadata={
        "description": "the number of log entries the checkpoint's Merkle tree covers"})
    root = fields.String(required=True, metadata={
        "description": "RFC 9162 Merkle tree head (SHA-256, hex) over the log entries "
                       "(position, originator_id, version, digest)"})
    created_at = fields.String(required=True)
    key_id = fields.String(required=True)
    previous = fields.String(required=True, metadata={
        "description": "SHA-256 of the previous checkpoint and its signature"})
    signature = fields.String(required=True, metadata={"description": "Ed25519, base64"})


class ListedCheckpointSchema(CheckpointSchema):
    signature_valid = fields.Boolean(required=True)


class CheckpointsSchema(Schema):
    algorithm = fields.String(required=True)
    key_id = fields.String(required=True)
    public_key = fields.String(required=True, metadata={
        "description": "the raw Ed25519 public key, hex, to check signatures offline"})
    checkpoints = fields.List(fields.Nested(ListedCheckpointSchema), required=True)


class JourneyIntegritySchema(Schema):
    child_id = fields.UUID(required=True)
    verified = fields.Boolean(required=True)
    head_version = fields.Integer(required=True)
    head_hash = fields.String(allow_none=True)
    first_bad_version = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    anchored_version = fields.Integer(allow_none=True, metadata={
        "description": "the journey's last version anchored by a signed checkpoint"})
    checkpoint = fields.Nested(CheckpointSchema, allow_none=True)
    checkpoint_signature_valid = fields.Boolean(allow_none=True)


def build_log(application: Any, settings: Settings) -> LogIntegrity:
    """Return the log's integrity checks: the signing key, the checkpoint store beside
    the events, and the witnesses (``IntegrityError`` if the key cannot be had)."""
    key = load_signing_key(settings.signing_key_file, settings.data_dir,
                           production=settings.is_production)
    witnesses = Witnesses.configured(settings.witness_directory, settings.witness_command,
                                     settings.witness_url)
    return LogIntegrity(application, CheckpointStore.beside(settings.database_url,
                                                            settings.data_dir),
                        key, witnesses)


class LazyIntegrity:
    """Build the integrity checks on first use: the key file and checkpoint tables are
    touched only when someone asks."""

    def __init__(self, tracking: CaseTracking, settings: Settings) -> None:
        self._tracking = tracking
        self._settings = settings
        self._lock = threading.Lock()
        self._log: LogIntegrity | None = None

    def log(self) -> LogIntegrity:
        with self._lock:
            if self._log is None:
                try:
                    self._log = build_log(self._tracking, self._settings)
                except SigningKeyMissingError as error:
                    raise Problem(503, "integrity-not-configured", "Service Unavailable",
                                  str(error)) from None
            return self._log

    def close(self) -> None:
        if self._log is not None:
            self._log.store.close()


def checks() -> IntegrityChecks:
    return IntegrityChecks(services().integrity.log())


@blp.route("/children/<uuid:child_id>/integrity")
class JourneyIntegrity(MethodView):
    @blp.response(200, JourneyIntegritySchema)
    @problems(blp, 401, 403, 404, 500, 503)
    def get(self, child_id: UUID) -> Any:
        """Recompute the journey's hash chain; name its first bad version, if any."""
        return checks().check_journey(child_id, actor=current_actor())


@blp.route("/audit/checkpoints")
class Checkpoints(MethodView):
    @blp.response(200, CheckpointsSchema)
    @problems(blp, 401, 403, 500, 503)
    def get(self) -> Any:
        """List the signed checkpoints over the whole log, oldest first."""
        return checks().list_checkpoints(actor=current_actor())
