"""Documents tied to a journey's events: upload (multipart/form-data) and download.

``POST /children/{id}/documents`` takes one ``multipart/form-data`` body: the document in
the part ``file`` (its part's Content-Type is the type declared, checked against its bytes),
and the fields ``event_version`` (the journey event it belongs to), ``title`` and,
optionally, ``occurred_on`` (when the document was received or sent; default today). The
answer is the ``DocumentAttached`` write. ``GET /children/{id}/documents/{document_id}``
answers the bytes as their type. Both are recorded in the access log.
"""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

from flask import Response, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from application.documents import (
    DOCUMENT_TYPES,
    MAX_TITLE_LENGTH,
    DocumentTooLargeError,
    Upload,
    attach_document,
    read_document,
)
from application.idempotency import fingerprint, key_hash
from application.tracking import Idempotency
from web.children import tracking, written
from web.openapi import IDEMPOTENCY_KEY, journey_links, problems
from web.problems import Problem, validation_problem
from web.requests import current_actor, load
from web.schemas import MAX_INTEGER, WriteResultSchema
from web.security import record_admitted_look
from web.services import services

blp = Blueprint("documents", __name__, url_prefix="/children",
                description="Documents attached to a journey's events")

# Room in a body for the multipart framing and the fields beside the document.
MULTIPART_ALLOWANCE = 64 * 1024
UPLOAD_FIELDS = ("file", "event_version", "title", "occurred_on")


class UploadFieldsSchema(Schema):
    class Meta:
        unknown = RAISE

    event_version = fields.Integer(required=True, strict=False, validate=validate.Range(
        min=1, max=MAX_INTEGER), metadata={"description": "the event it belongs to"})
    title = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TITLE_LENGTH),
                          metadata={"description": "what it is, e.g. 'EP advice'; sealed"})
    occurred_on = fields.Date(metadata={"description": "when it was received or sent "
                                                       "(default: today)"})


UPLOAD_BODY = {"required": True, "content": {"multipart/form-data": {
    "schema": {"type": "object", "required": ["file", "event_version", "title"],
               "additionalProperties": False, "properties": {
                   "file": {"type": "string", "format": "binary", "description":
                            "the document: " + ", ".join(n for n, _ in DOCUMENT_TYPES.values())
                            + "; its part's Content-Type is checked against its bytes"},
                   "event_version": {"type": "integer", "minimum": 1,
                                     "maximum": MAX_INTEGER},
                   "title": {"type": "string", "minLength": 1, "maxLength": MAX_TITLE_LENGTH},
                   "occurred_on": {"type": "string", "format": "date"}}},
    "encoding": {"file": {"contentType": ", ".join(DOCUMENT_TYPES)}}}}}
DOWNLOAD_RESPONSE = {"200": {"description": "the document's bytes, as its type", "content": {
    media: {"schema": {"type": "string", "format": "binary"}} for media in DOCUMENT_TYPES}}}


def upload() -> tuple[Upload, Idempotency | None]:
    """Read the multipart upload (size checked before the body is read)."""
    policy = services().settings.document_policy
    request.max_content_length = policy.max_bytes + MULTIPART_ALLOWANCE
    if (request.content_length or 0) > request.max_content_length:
        raise DocumentTooLargeError(f"the body is {request.content_length} bytes; a "
                                    f"document is at most {policy.max_bytes}")
    if request.mimetype != "multipart/form-data":
        raise Problem(415, "unsupported-media-type", "Unsupported Media Type",
                      "send the document as multipart/form-data (parts: file, "
                      "event_version, title, occurred_on)")
    unknown = sorted((set(request.form) | set(request.files)) - set(UPLOAD_FIELDS))
    if unknown or len(request.files.getlist("file")) > 1:
        raise validation_problem([{"pointer": f"/{name}", "detail": "is not a part of an "
                                   "upload"} for name in unknown or ["file"]])
    data = load(UploadFieldsSchema(), request.form.to_dict())
    part = request.files.get("file")
    if part is None:
        raise validation_problem([{"pointer": "/file", "detail": "the document is required"}])
    content = part.read(policy.max_bytes + 1)
    chosen = Upload(event_version=data["event_version"], title=data["title"],
                    declared_type=part.mimetype, content=content,
                    occurred_on=data.get("occurred_on"))
    key = request.headers.get("Idempotency-Key")
    asked = {"event_version": chosen.event_version, "title": chosen.title,
             "occurred_on": str(chosen.occurred_on), "media_type": chosen.declared_type,
             "sha256": hashlib.sha256(content).hexdigest()}
    return chosen, None if key is None else Idempotency(
        key_hash=key_hash(key), fingerprint=fingerprint(request.method, request.path, asked))


@blp.route("/<uuid:child_id>/documents")
class ChildDocuments(MethodView):
    @blp.response(201, WriteResultSchema)
    @blp.doc(**journey_links())
    @blp.doc(requestBody=UPLOAD_BODY, parameters=[IDEMPOTENCY_KEY])
    @problems(blp, 400, 401, 403, 404, 409, 413, 415, 422, 500)
    def post(self, child_id: UUID) -> Any:
        """Attach a document (advice, a draft or final plan, a decision letter) to an event
        of the journey: kept sealed with the child's key, recorded as DocumentAttached."""
        chosen, idempotency = upload()
        return written(attach_document(
            tracking(), child_id, chosen, actor=current_actor(),
            policy=services().settings.document_policy, request_id=g.request_id,
            idempotency=idempotency))


@blp.route("/<uuid:child_id>/documents/<uuid:document_id>")
class ChildDocument(MethodView):
    @blp.doc(responses=DOWNLOAD_RESPONSE)
    @problems(blp, 401, 403, 404, 409, 500)
    def get(self, child_id: UUID, document_id: UUID) -> Response:
        """Download a document, to whoever may read the event it is attached to."""
        document = read_document(tracking(), child_id, str(document_id),
                                 actor=current_actor(), admitted=record_admitted_look)
        return Response(document.content, 200, mimetype=document.media_type, headers={
            "Content-Disposition": f'attachment; filename="{document.filename}"',
            "ETag": f'"{document.sha256}"', "Cache-Control": "no-store"})
