"""``POST /children/{id}/family-invitations``: the authority invites a child's family."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from application.families import family_invitation
from web.auth import mint_invitation
from web.openapi import problems
from web.requests import current_actor
from web.services import services

blp = Blueprint("families", __name__, url_prefix="/children",
                description="The family inside the journey: invitations for one child")


class InvitationSchema(Schema):
    child_id = fields.UUID(required=True)
    user_id = fields.String(required=True, metadata={"description": "the family's user id"})
    token = fields.String(required=True, metadata={
        "description": "the bearer token to give the family (role family, this child only)"})
    expires_at = fields.DateTime(required=True)


@blp.route("/<uuid:child_id>/family-invitations")
class FamilyInvitations(MethodView):
    @blp.response(201, InvitationSchema)
    @problems(blp, 401, 403, 404, 500)
    def post(self, child_id: UUID) -> Any:
        """Invite the child's family (a manager of the authority): a token for this one
        child that reads its parent page and journey and records the family's voice."""
        ours = services()
        authority, user_id = family_invitation(ours.tracking, child_id, actor=current_actor())
        now = time.time()
        ttl = ours.settings.family_invitation_days * 86400
        token = mint_invitation(ours.settings.secret_key, child=str(child_id),
                                organisation=authority, subject=user_id, ttl_seconds=ttl,
                                now=now)
        return {"child_id": child_id, "user_id": user_id, "token": token,
                "expires_at": datetime.fromtimestamp(int(now) + ttl, tz=UTC)}, 201, {
            "Cache-Control": "no-store"}
