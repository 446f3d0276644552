"""Documents tied to events (issue 16): uploaded against an event's version, kept once per
child and sealed with the child's key, shown in the journey and the bundle, downloaded by
whoever may read the event, logged, refused by size and by their bytes' type, and erased
with the child's key (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from application.documents import DocumentPolicy
from tests.conftest import AUTHORITY, TEST_SECRET, settings_for
from tests.e2e.test_bundles import post_journey
from tests.e2e.test_created_ids import answers_as_the_schema_dumps  # noqa: F401  (autouse)
from tests.e2e.test_partners import ASKED
from tests.e2e.test_server import Server
from web import create_app
from web.auth import mint_token
from web.services import services_of

Auth = Callable[..., dict[str, str]]
MARKER = b"ZZQX-DOC-MARKER"
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n" + MARKER + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16 + MARKER
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16 + MARKER
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT_TYPE = "application/vnd.oasis.opendocument.text"
FEEDBACK = {"type": "FamilyFeedbackRecorded", "occurred_on": "2024-01-08",
            "given_by": "parent", "about": "assessment", "rating": 4}


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), ODT_TYPE)  # stored, first
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def upload(client: FlaskClient, child_id: str, headers: dict[str, str], *,
           version: int = 1, content: bytes = PDF, media_type: str = "application/pdf",
           title: str = "EP advice for the child", **extra: Any) -> TestResponse:
    data = {"file": (io.BytesIO(content), "advice.bin", media_type),
            "event_version": str(version), "title": title, **extra}
    return client.post(f"/children/{child_id}/documents", data=data, headers=headers,
                       content_type="multipart/form-data")


def register(client: FlaskClient, auth: Auth) -> str:
    answer = client.post("/children", json={"date_of_birth": "2015-03-02"}, headers=auth())
    assert answer.status_code == 201, answer.json
    return str(answer.json["child_id"])


def family(child_id: str, sub: str = "family-1") -> dict[str, str]:
    token = mint_token(TEST_SECRET, subject=sub, role="family", organisation=AUTHORITY,
                       child=child_id)
    return {"Authorization": f"Bearer {token}"}


def vault_of(app: Flask) -> Any:
    return services_of(app).tracking.vault


def test_a_document_is_attached_to_its_event_shown_against_it_and_downloaded_as_sent(
        app: Flask, client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth)
    answer = upload(client, child_id, auth(), version=1)
    assert answer.status_code == 201, answer.json
    event = answer.json["event"]
    assert event["type"] == "DocumentAttached" and answer.json["version"] == 2
    assert event["data"]["event_version"] == 1
    assert event["data"]["title"] == "EP advice for the child"
    assert event["data"]["size"] == len(PDF)
    document_id = event["data"]["document_id"]
    journey = client.get(f"/children/{child_id}/journey", headers=auth()).json
    registered = next(e for e in journey["timeline"] if e["version"] == 1)
    assert [(d["document_id"], d["title"], d["media_type"], d["in_force"])
            for d in registered["documents"]] == [
        (document_id, "EP advice for the child", "application/pdf", True)]
    got = client.get(f"/children/{child_id}/documents/{document_id}", headers=auth())
    assert got.status_code == 200
    assert got.data == PDF and got.mimetype == "application/pdf"
    assert got.headers["Content-Disposition"] == (
        f'attachment; filename="document-{document_id}.pdf"')
    bundle = client.get(f"/children/{child_id}/bundle", headers=auth()).json
    assert [(d["document_id"], d["event_version"], d["event_type"])
            for d in bundle["documents"]] == [(document_id, 1, "ChildRegistered")]
    page = client.get(f"/children/{child_id}/bundle.html", headers=auth()).get_data(True)
    assert "EP advice for the child (PDF), added on" in page


def test_every_accepted_type_is_told_by_its_bytes(client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth)
    for content, media_type in ((PDF, "application/pdf"), (PNG, "image/png"),
                                (JPEG, "image/jpeg"), (docx(), DOCX_TYPE), (odt(), ODT_TYPE)):
        answer = upload(client, child_id, auth(), content=content, media_type=media_type)
        assert answer.status_code == 201, (media_type, answer.json)


def test_the_same_content_is_stored_once_and_sealed(app: Flask, client: FlaskClient,
                                                     auth: Auth) -> None:
    child_id = register(client, auth)
    first = upload(client, child_id, auth(), title="Draft plan")
    second = upload(client, child_id, auth(), title="Final plan")
    assert first.status_code == second.status_code == 201
    assert first.json["event"]["data"]["sha256"] == second.json["event"]["data"]["sha256"]
    stored = vault_of(app).raw_documents(_uuid(child_id))
    assert len(stored) == 1 and MARKER not in stored[0]


@pytest.mark.parametrize(("content", "media_type", "status", "code"), [
    (PNG, DOCX_TYPE, 415, "document-type-mismatch"),
    (b"MZ\x90\x00 not a pdf", "application/pdf", 415, "document-type-mismatch"),
    (b"%PDF-1.4 but called text", "text/plain", 415, "document-type-not-allowed"),
    (b"PK\x03\x04 a zip that is no office document", DOCX_TYPE, 415,
     "document-type-mismatch"),
])
def test_a_document_whose_bytes_are_not_an_accepted_type_is_refused_and_nothing_kept(
        app: Flask, client: FlaskClient, auth: Auth, content: bytes, media_type: str,
        status: int, code: str) -> None:
    child_id = register(client, auth)
    answer = upload(client, child_id, auth(), content=content, media_type=media_type)
    assert answer.status_code == status, answer.json
    assert answer.json["code"] == code
    assert client.get(f"/children/{child_id}", headers=auth()).json["version"] == 1
    assert vault_of(app).raw_documents(_uuid(child_id)) == []


@pytest.mark.parametrize(("form", "pointer"), [
    ({"title": ""}, "/title"), ({"event_version": "first"}, "/event_version"),
    ({"colour": "red"}, "/colour")])
def test_a_bad_field_is_a_422_naming_it(client: FlaskClient, auth: Auth,
                                        form: dict[str, str], pointer: str) -> None:
    child_id = register(client, auth)
    base = {"file": (io.BytesIO(PDF), "a.pdf", "application/pdf"), "event_version": "1",
            "title": "Advice"}
    answer = client.post(f"/children/{child_id}/documents", data={**base, **form},
                         headers=auth(), content_type="multipart/form-data")
    assert answer.status_code == 422, answer.json
    assert [e["pointer"] for e in answer.json["errors"]] == [pointer]


def test_without_the_file_or_as_json_the_upload_is_refused(client: FlaskClient,
                                                           auth: Auth) -> None:
    child_id = register(client, auth)
    missing = client.post(f"/children/{child_id}/documents", headers=auth(),
                          data={"event_version": "1", "title": "Advice"},
                          content_type="multipart/form-data")
    assert missing.status_code == 422 and missing.json["errors"][0]["pointer"] == "/file"
    as_json = client.post(f"/children/{child_id}/documents", headers=auth(),
                          json={"event_version": 1, "title": "Advice"})
    assert as_json.status_code == 415


@pytest.mark.proves("document-event-missing", "document-event-retracted",
                    "document-event-is-attachment")
def test_a_document_belongs_to_an_event_in_force_of_this_journey(
        client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth)
    missing = upload(client, child_id, auth(), version=9)
    assert missing.status_code == 409 and missing.json["code"] == "document-event-missing"
    feedback = client.post(f"/children/{child_id}/events", json=FEEDBACK, headers=auth())
    retracted = client.post(f"/children/{child_id}/events", headers={
        **auth(role="manager"), "If-Match": '"2"'}, json={
        "type": "EntryRetracted", "occurred_on": "2024-01-09", "target_version": 2,
        "reason": "recorded on the wrong child"})
    assert feedback.status_code == retracted.status_code == 201, retracted.json
    refused = upload(client, child_id, auth(), version=2)
    assert refused.status_code == 409 and refused.json["code"] == "document-event-retracted"
    attached = upload(client, child_id, auth(), version=1)
    on_itself = upload(client, child_id, auth(), version=attached.json["version"])
    assert on_itself.status_code == 409
    assert on_itself.json["code"] == "document-event-is-attachment"


def test_a_retracted_attachment_stays_in_the_journey_not_in_force(
        client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth)
    attached = upload(client, child_id, auth(), version=1)
    retracted = client.post(f"/children/{child_id}/events", headers={
        **auth(role="manager"), "If-Match": '"2"'}, json={
        "type": "EntryRetracted", "occurred_on": "2024-01-09", "target_version": 2,
        "reason": "the wrong letter"})
    assert retracted.status_code == 201, retracted.json
    journey = client.get(f"/children/{child_id}/journey", headers=auth()).json
    documents = next(e for e in journey["timeline"] if e["version"] == 1)["documents"]
    assert [(d["document_id"], d["in_force"]) for d in documents] == [
        (attached.json["event"]["data"]["document_id"], False)]
    assert client.get(f"/children/{child_id}/bundle", headers=auth()).json["documents"] == []


def test_a_document_cannot_be_corrected_to_other_bytes_or_another_event(
        client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth)
    upload(client, child_id, auth(), version=1)
    for changes in ({"sha256": "0" * 64}, {"event_version": 1}):
        answer = client.post(f"/children/{child_id}/events", headers={
            **auth(role="manager"), "If-Match": '"2"'}, json={
            "type": "EntryCorrected", "occurred_on": "2024-01-09", "target_version": 2,
            "changes": changes, "reason": "typing error"})
        assert answer.status_code == 409 and answer.json["code"] == (
            "access-field-not-correctable")


def test_documents_are_attached_by_upload_only(client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth)
    answer = client.post(f"/children/{child_id}/events", headers=auth(), json={
        "type": "DocumentAttached", "occurred_on": "2024-01-09", "document_id": "d",
        "event_version": 1, "title": "t", "media_type": "application/pdf",
        "sha256": "0" * 64, "size": 1})
    assert answer.status_code == 422


def test_the_family_reads_its_childs_documents_and_attaches_to_its_own_voice_only(
        client: FlaskClient, auth: Auth) -> None:
    child_id, other_child = register(client, auth), register(client, auth)
    staff_doc = upload(client, child_id, auth(), version=1).json["event"]["data"]
    got = client.get(f"/children/{child_id}/documents/{staff_doc['document_id']}",
                     headers=family(child_id))
    assert got.status_code == 200 and got.data == PDF
    assert client.get(f"/children/{child_id}/documents/{staff_doc['document_id']}",
                      headers=family(other_child)).status_code == 403
    voice = client.post(f"/children/{child_id}/events", json=FEEDBACK, headers=family(child_id))
    assert voice.status_code == 201, voice.json
    own = upload(client, child_id, family(child_id), version=voice.json["version"],
                 content=PNG, media_type="image/png", title="Photo of the letter")
    assert own.status_code == 201, own.json
    assert own.json["event"]["actor"]["role"] == "family"
    assert upload(client, child_id, family(child_id), version=1).status_code == 403


def test_a_partner_attaches_its_advice_to_the_request_and_reads_only_its_own(
        client: FlaskClient, auth: Auth) -> None:
    child_id = post_journey(client, auth, ASKED)
    timeline = client.get(f"/children/{child_id}/journey", headers=auth()).json["timeline"]
    asked = {e["data"]["recipient_org"]: e["version"] for e in timeline
             if e["type"] == "AdviceRequested"}
    ep = auth(role="partner", org="la-901-ep-service", sub="ep-1")
    icb = auth(role="partner", org="icb-901", sub="icb-1")
    report = upload(client, child_id, ep, version=asked["la-901-ep-service"],
                    title="Psychological advice")
    assert report.status_code == 201, report.json
    assert report.json["event"]["actor"]["organisation"] == "la-901-ep-service"
    document_id = report.json["event"]["data"]["document_id"]
    assert client.get(f"/children/{child_id}/documents/{document_id}",
                      headers=ep).status_code == 200
    assert client.get(f"/children/{child_id}/documents/{document_id}",
                      headers=icb).status_code == 403
    staff_doc = upload(client, child_id, auth(), version=1).json["event"]["data"]
    assert client.get(f"/children/{child_id}/documents/{staff_doc['document_id']}",
                      headers=ep).status_code == 403
    assert upload(client, child_id, ep, version=asked["icb-901"]).status_code == 403
    assert upload(client, child_id, ep, version=1).status_code == 403


def test_uploads_and_downloads_are_in_the_access_log_and_auditors_read_no_document(
        client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth)
    document = upload(client, child_id, auth(sub="uploader")).json["event"]["data"]
    path = f"/children/{child_id}/documents/{document['document_id']}"
    assert client.get(path, headers=auth(sub="reader")).status_code == 200
    assert client.get(path, headers=auth(role="auditor")).status_code == 403
    looks = client.get(f"/audit/access?child_id={child_id}", headers={
        **auth(role="auditor"), "X-Access-Purpose": "data-protection-audit: DOC-1"}).json
    seen = [(i["kind"], i["actor"]["user_id"], i["route"]) for i in looks["items"]]
    assert ("document-upload", "uploader", "/children/<uuid:child_id>/documents") in seen
    assert ("document", "reader",
            "/children/<uuid:child_id>/documents/<uuid:document_id>") in seen
    assert not any(user == "auditor-1" for _, user, _ in seen)


def test_after_erasure_the_document_cannot_be_read_or_attached(
        app: Flask, client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth)
    document = upload(client, child_id, auth()).json["event"]["data"]
    erased = client.post(f"/children/{child_id}/erasure", headers=auth(role="admin"),
                         json={"basis": "erasure_request"})
    assert erased.status_code in (200, 201), erased.json
    got = client.get(f"/children/{child_id}/documents/{document['document_id']}",
                     headers=auth())
    assert got.status_code == 409 and got.json["code"] == "personal-data-erased"
    assert MARKER not in got.data
    assert vault_of(app).raw_documents(_uuid(child_id)) == []
    again = upload(client, child_id, auth())
    assert again.status_code == 409 and again.json["code"] == "personal-data-erased"
    journey = client.get(f"/children/{child_id}/journey", headers=auth()).json
    listed = next(e for e in journey["timeline"] if e["version"] == 1)["documents"]
    assert listed[0]["title"] == "[erased]" and listed[0]["sha256"] == document["sha256"]


def test_a_repeated_upload_under_one_idempotency_key_records_once(
        client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth)
    headers = auth(**{"Idempotency-Key": "upload-1"})
    first, again = upload(client, child_id, headers), upload(client, child_id, headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotency-Replayed"] == "true"
    assert again.json["event"] == first.json["event"]
    assert client.get(f"/children/{child_id}", headers=auth()).json["version"] == 2
    other = upload(client, child_id, headers, title="Another title")
    assert other.status_code == 422


def test_an_unknown_document_is_404_to_a_reader_and_403_to_others(
        client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth)
    path = f"/children/{child_id}/documents/00000000-0000-4000-8000-000000000001"
    assert client.get(path, headers=auth()).status_code == 404
    assert client.get(path, headers=auth(org="LA-902")).status_code == 403
    assert client.get(path, headers=auth(role="partner", org="icb-901")).status_code == 403


@pytest.fixture
def small_app(tmp_path: Path, store_url: str | None) -> Iterator[Flask]:
    """The app accepting documents of at most 2 KiB, PDFs only."""
    if store_url:
        from infrastructure.migrations import upgrade
        from infrastructure.projections import ReadModelDatabase

        engine = ReadModelDatabase.beside(store_url, tmp_path).engine()
        upgrade(engine)
        engine.dispose()
    settings = replace(settings_for(tmp_path, store_url), document_policy=DocumentPolicy(
        max_bytes=2048, media_types=frozenset({"application/pdf"})))
    flask_app = create_app(settings)
    yield flask_app
    services_of(flask_app).close()


def test_a_document_over_the_limit_is_413_and_a_type_not_allowed_here_415(
        small_app: Flask, auth: Auth) -> None:
    client = small_app.test_client()
    child_id = register(client, auth)
    big = b"%PDF-1.4\n" + b"0" * 4096
    too_large = upload(client, child_id, auth(), content=big)
    assert too_large.status_code == 413 and too_large.json["code"] == "document-too-large"
    huge = upload(client, child_id, auth(), content=b"%PDF-1.4\n" + b"0" * 200_000)
    assert huge.status_code == 413 and huge.json["code"] == "document-too-large"
    png = upload(client, child_id, auth(), content=PNG, media_type="image/png")
    assert png.status_code == 415 and png.json["code"] == "document-type-not-allowed"
    assert "PDF" in png.json["detail"]
    assert client.get(f"/children/{child_id}", headers=auth()).json["version"] == 1


def _uuid(value: str) -> uuid.UUID:
    return uuid.UUID(value)


def multipart(fields: dict[str, str], content: bytes, media_type: str
              ) -> tuple[bytes, str]:
    """Return a multipart/form-data body with ``fields`` and the document as ``file``."""
    boundary = "casetrack-test-boundary-7d41"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
             f"{value}\r\n".encode() for name, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="advice.pdf"\r\nContent-Type: {media_type}\r\n\r\n'.encode()
                 + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}")


def test_a_document_goes_up_and_comes_back_through_a_real_server(
        tmp_path: Path, store_url: str | None) -> None:
    server = Server(tmp_path, store_url)
    server.start()
    try:
        token = mint_token(TEST_SECRET, subject="user-1", role="caseworker",
                           organisation=AUTHORITY)
        status, registered, _ = server.request("POST", "/children",
                                               {"date_of_birth": "2015-03-02"}, token)
        assert status == 201
        child_id = registered["child_id"]
        body, content_type = multipart({"event_version": "1", "title": "Decision letter"},
                                       PDF, "application/pdf")
        sent = urllib.request.Request(
            f"{server.base}/children/{child_id}/documents", data=body, method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": content_type})
        with urllib.request.urlopen(sent, timeout=10) as response:
            assert response.status == 201
            document_id = json.loads(response.read())["event"]["data"]["document_id"]
        fetch = urllib.request.Request(
            f"{server.base}/children/{child_id}/documents/{document_id}",
            headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(fetch, timeout=10) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "application/pdf"
            assert response.read() == PDF
        body, content_type = multipart({"event_version": "1", "title": "Not a PDF"},
                                       PNG, "application/pdf")
        refused = urllib.request.Request(
            f"{server.base}/children/{child_id}/documents", data=body, method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": content_type})
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(refused, timeout=10)
        with error.value:
            assert error.value.code == 415
            assert json.loads(error.value.read())["code"] == "document-type-mismatch"
    finally:
        server.stop()
