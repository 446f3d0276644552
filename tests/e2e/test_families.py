"""The family inside the journey (issue 16): a manager invites a child's family; the
invitation reads that child's parent page and journey and records the family's voice,
and nothing else (on SQLite and on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jwt
import pytest
from flask.testing import FlaskClient

from tests.conftest import TEST_SECRET
from web.auth import AuthenticationError, TokenVerifier, mint_invitation, mint_token

Auth = Callable[..., dict[str, str]]
FEEDBACK = {"type": "FamilyFeedbackRecorded", "occurred_on": "2024-02-01",
            "given_by": "parent", "about": "assessment", "rating": 2,
            "summary": "We were not told what happens next."}
REQUEST = {"type": "EHCNeedsAssessmentRequested", "occurred_on": "2024-01-08",
           "requester_role": "Parent", "request_source": "1"}


def register(client: FlaskClient, auth: Auth) -> str:
    answer = client.post("/children", json={"date_of_birth": "2015-03-02"}, headers=auth())
    assert answer.status_code == 201, answer.json
    return str(answer.json["child_id"])


def invite(client: FlaskClient, auth: Auth, child_id: str) -> dict[str, Any]:
    answer = client.post(f"/children/{child_id}/family-invitations",
                         headers=auth(role="manager", sub="mgr-1"))
    assert answer.status_code == 201, answer.json
    assert answer.headers["Cache-Control"] == "no-store"
    return dict(answer.json)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_invited_family_reads_its_childs_page_and_journey_and_records_its_voice(
        client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth)
    invitation = invite(client, auth, child_id)
    assert invitation["child_id"] == child_id
    family = bearer(invitation["token"])
    page = client.get(f"/children/{child_id}/bundle.html", headers=family)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert client.get(f"/children/{child_id}/journey", headers=family).status_code == 200
    said = client.post(f"/children/{child_id}/events", json=FEEDBACK, headers=family)
    assert said.status_code == 201, said.json
    assert said.json["event"]["actor"]["role"] == "family"
    assert said.json["event"]["actor"]["user_id"] == invitation["user_id"]
    # The family reads back its own words in clear, and staff see who said them.
    journey = client.get(f"/children/{child_id}", headers=family)
    assert journey.status_code == 200
    staff = client.get(f"/children/{child_id}/journey", headers=auth())
    voiced = [e for e in staff.json["timeline"] if e["type"] == "FamilyFeedbackRecorded"]
    assert voiced[0]["data"]["summary"] == FEEDBACK["summary"]


def test_a_family_records_nothing_but_its_voice_and_reads_nothing_but_its_child(
        client: FlaskClient, auth: Auth) -> None:
    child_id, sibling = register(client, auth), register(client, auth)
    family = bearer(invite(client, auth, child_id)["token"])
    refused = client.post(f"/children/{child_id}/events", json=REQUEST, headers=family)
    assert refused.status_code == 403
    assert "own voice" in refused.json["detail"]
    assert client.post(f"/children/{sibling}/events", json=FEEDBACK,
                       headers=family).status_code == 403
    for path in (f"/children/{sibling}", f"/children/{sibling}/bundle.html",
                 f"/children/{child_id}/history", f"/children/{child_id}/export",
                 "/children?authority=LA-901"):
        assert client.get(path, headers=family).status_code == 403, path
    events = client.get(f"/children/{child_id}/journey", headers=auth()).json["timeline"]
    assert [e["type"] for e in events] == ["ChildRegistered"]


def test_only_a_manager_of_the_childs_authority_invites_its_family(
        client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth)
    for headers in (auth(), auth(role="manager", org="LA-902")):
        answer = client.post(f"/children/{child_id}/family-invitations", headers=headers)
        assert answer.status_code == 403
    family = bearer(invite(client, auth, child_id)["token"])
    assert client.post(f"/children/{child_id}/family-invitations",
                       headers=family).status_code == 403


def test_a_family_token_without_its_child_is_refused(client: FlaskClient) -> None:
    claims = jwt.decode(mint_token(TEST_SECRET, subject="fam", role="caseworker",
                                   organisation="LA-901"), options={"verify_signature": False})
    claims["role"] = "family"
    forged = jwt.encode(claims, TEST_SECRET, algorithm="HS256")
    assert client.get("/children?authority=LA-901", headers=bearer(forged)).status_code == 401


def test_an_invitation_is_accepted_beside_an_identity_provider_but_carries_only_family(
        ) -> None:
    # With JWKS configured, staff tokens come from the identity provider; an invitation
    # is still checked under the deployment's secret, and may only ever be a family's.
    verifier = TokenVerifier(jwks_url="https://idp.invalid/jwks", issuer="https://idp",
                             audience="casetrack", invitation_secret=TEST_SECRET)
    child = "0b0c2d2e-3f40-4a5b-8c6d-7e8f90a1b2c3"
    token = mint_invitation(TEST_SECRET, child=child, organisation="LA-901",
                            subject="family-1", ttl_seconds=600)
    actor = verifier.actor(f"Bearer {token}")
    assert (actor.role, actor.child_id, actor.organisation) == ("family", child, "LA-901")
    claims = jwt.decode(token, options={"verify_signature": False}) | {"role": "manager"}
    with pytest.raises(AuthenticationError):
        verifier.actor("Bearer " + jwt.encode(claims, TEST_SECRET, algorithm="HS256"))
    forged = mint_invitation("another-secret-" + "y" * 40, child=child,
                             organisation="LA-901", subject="family-1", ttl_seconds=600)
    with pytest.raises(AuthenticationError):
        verifier.actor(f"Bearer {forged}")
