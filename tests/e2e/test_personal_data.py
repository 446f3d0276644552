"""Personal data over HTTP: identifiers in the vault, free text sealed in the store and
readable to staff, legal holds, erasure that keeps history and hashes, and the export."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from domain.integrity import first_break
from domain.personal_data import upn_check_letter
from tests.e2e.journeys import NOTICE, Answers
from web.services import services_of

Auth = Callable[..., dict[str, str]]


def markers() -> dict[str, str]:
    """Return unique synthetic marker values, one per personal field."""
    tag = uuid.uuid4().hex[:10].upper()
    return {name: f"MK{tag}{name.upper()}" for name in (
        "given", "family", "address", "reasons", "reason", "summary", "corrected",
        "why", "hold")}


def synthetic_nhs_number() -> str:
    from domain.personal_data import nhs_number_check_digit

    for serial in range(100):
        first_nine = f"9990{serial:05d}"
        check = nhs_number_check_digit(first_nine)
        if check is not None:
            return first_nine + str(check)
    raise AssertionError("no synthetic NHS number")


UPN_BODY = "901000123045"
UPN = upn_check_letter(UPN_BODY) + UPN_BODY


def synthetic_uln() -> str:
    first_nine = "512345678"
    remainder = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True)) % 11
    return first_nine + str(10 - remainder)


def identifiers(mark: dict[str, str]) -> dict[str, str]:
    return {"given_name": mark["given"], "family_name": mark["family"],
            "address": f"1 {mark['address']} Street, Testtown", "postcode": "sw1a1aa",
            "upn": UPN, "uln": synthetic_uln(), "nhs_number": synthetic_nhs_number()}


def record_journey(client: FlaskClient, auth: Auth, mark: dict[str, str]) -> str:
    """Register a child with identifiers and record events with free text; return its id."""
    registered = client.post("/children", headers=auth(), json={
        "date_of_birth": "2020-02-10", "occurred_on": "2023-02-20",
        "case_ref": f"PD-{uuid.uuid4().hex[:8]}", **identifiers(mark)})
    assert registered.status_code == 201, registered.json
    child_id: str = registered.json["child_id"]  # type: ignore[index]
    steps: list[dict[str, Any]] = [
        {"type": "ChildBroughtToLAAttention", "occurred_on": "2023-03-06",
         "brought_by": "health", "consent_known": True},
        {"type": "DecisionNotToAssessMade", "occurred_on": "2023-04-14",
         "reasons": mark["reasons"], "notice_includes": NOTICE, "partners_notified": True},
        {"type": "EHCNeedsAssessmentRequested", "occurred_on": "2024-01-15",
         "requester_role": "Parent", "request_source": "1"},
        {"type": "AssessmentRequestWithdrawn", "occurred_on": "2024-02-01",
         "withdrawn_by": "parent", "reason": mark["reason"]},
        # 270 characters: under the 280 limit in clear, well over it once sealed.
        {"type": "ChildViewsRecorded", "occurred_on": "2024-02-20", "document_ref": "doc-1",
         "method": "drawing", "about": "assessment",
         "summary": (mark["summary"] + " ") * (270 // (len(mark["summary"]) + 1))},
    ]
    for step in steps:
        answer = client.post(f"/children/{child_id}/events", headers=auth(), json=step)
        assert answer.status_code == 201, answer.json
    corrected = client.post(f"/children/{child_id}/events", headers=auth(
        role="manager", **{"If-Match": '"6"'}), json={
        "type": "EntryCorrected", "occurred_on": "2024-02-21", "target_version": 6,
        "changes": {"summary": mark["corrected"]}, "reason": mark["why"]})
    assert corrected.status_code == 201, corrected.json
    return child_id


def stored_events(app: Flask) -> bytes:
    """Return every stored event's bytes, as the event store holds them."""
    recorder = services_of(app).tracking.recorder
    return b"".join(n.state for n in recorder.select_notifications(0, 100_000))


class TestPersonalData:
    def test_free_text_is_sealed_in_the_store_and_read_in_clear_by_staff(
            self, app: Flask, client: FlaskClient, auth: Auth) -> None:
        mark = markers()
        child_id = record_journey(client, auth, mark)
        stored = stored_events(app)
        for value in (*mark.values(), UPN, synthetic_nhs_number()):
            assert value.encode() not in stored
        assert b"sealed:v1:" in stored
        answer = client.post(f"/children/{child_id}/events", headers=auth(), json={
            "type": "ChildViewsRecorded", "occurred_on": "2024-03-01", "document_ref": "d2",
            "method": "drawing", "about": "plan", "summary": mark["given"]})
        assert answer.status_code == 201, answer.json
        assert answer.json["event"]["data"]["summary"] == mark["given"]  # type: ignore[index]
        assert mark["given"].encode() not in stored_events(app)

    def test_a_correction_that_repeats_the_same_text_is_refused_as_changing_nothing(
            self, client: FlaskClient, auth: Auth) -> None:
        mark = markers()
        child_id = record_journey(client, auth, mark)
        again = client.post(f"/children/{child_id}/events", headers=auth(
            role="manager", **{"If-Match": '"7"'}), json={
            "type": "EntryCorrected", "occurred_on": "2024-02-22", "target_version": 6,
            "changes": {"summary": mark["corrected"]}, "reason": "same again"})
        assert again.status_code == 409, again.json
        assert again.json["code"] == "correction-changes-nothing"  # type: ignore[index]

    def test_a_summary_too_long_in_clear_is_still_refused(
            self, client: FlaskClient, auth: Auth) -> None:
        mark = markers()
        child_id = record_journey(client, auth, mark)
        answer = client.post(f"/children/{child_id}/events", headers=auth(), json={
            "type": "ChildViewsRecorded", "occurred_on": "2024-03-01", "document_ref": "d2",
            "method": "drawing", "about": "assessment", "summary": "x" * 281})
        assert answer.status_code == 409
        assert answer.json["code"] == "voice-summary-too-long"  # type: ignore[index]

    def test_the_export_holds_identifiers_timeline_corrections_and_clear_text(
            self, client: FlaskClient, auth: Auth) -> None:
        mark = markers()
        child_id = record_journey(client, auth, mark)
        export = client.get(f"/children/{child_id}/export", headers=auth(role="manager"))
        assert export.status_code == 200, export.json
        body: dict[str, Any] = export.json  # type: ignore[assignment]
        assert body["identifiers"]["given_name"] == mark["given"]
        assert body["identifiers"]["postcode"] == "SW1A 1AA"
        assert body["personal_data"] == "held"
        assert [e["version"] for e in body["timeline"]] == list(range(1, 8))
        assert body["timeline"][5]["corrected_by"] == [7]
        assert body["timeline"][6]["data"]["changes"]["summary"] == mark["corrected"]
        assert body["timeline"][6]["data"]["reason"] == mark["why"]
        assert body["journey"]["version"] == 7
        assert "sealed:v1:" not in str(body)
        assert body["access_log"]["available"] in (True, False)

    def test_only_a_manager_of_the_authority_exports(
            self, client: FlaskClient, auth: Auth) -> None:
        child_id = record_journey(client, auth, markers())
        assert client.get(f"/children/{child_id}/export", headers=auth()).status_code == 403
        assert client.get(f"/children/{child_id}/export", headers=auth(
            role="manager", org="LA-902")).status_code == 403
        assert client.get(f"/children/{child_id}/export", headers=auth(
            role="admin")).status_code == 403

    def test_a_legal_hold_stops_erasure_until_released(
            self, client: FlaskClient, auth: Auth) -> None:
        mark = markers()
        child_id = record_journey(client, auth, mark)
        held = client.post(f"/children/{child_id}/legal-holds", headers=auth(role="manager"),
                           json={"hold_ref": "APPEAL-1", "basis": "appeal",
                                 "reason": mark["hold"]})
        assert held.status_code == 201, held.json
        assert held.json["event"]["data"]["reason"] == mark["hold"]  # type: ignore[index]
        refused = client.post(f"/children/{child_id}/erasure", headers=auth(role="admin"),
                              json={"basis": "erasure_request"})
        assert refused.status_code == 409, refused.json
        assert refused.json["code"] == "erasure-under-legal-hold"  # type: ignore[index]
        export = client.get(f"/children/{child_id}/export", headers=auth(role="manager"))
        assert export.json["identifiers"]["given_name"] == mark["given"]  # type: ignore[index]
        released = client.post(f"/children/{child_id}/legal-holds/APPEAL-1/release",
                               headers=auth(role="manager"), json={})
        assert released.status_code == 201, released.json
        erased = client.post(f"/children/{child_id}/erasure", headers=auth(role="admin"),
                             json={"basis": "erasure_request"})
        assert erased.status_code == 200, erased.json

    def test_erasure_makes_text_unreadable_and_keeps_history_hashes_and_state(
            self, app: Flask, client: FlaskClient, auth: Auth) -> None:
        mark = markers()
        child_id = record_journey(client, auth, mark)
        before = client.get(f"/children/{child_id}", headers=auth()).json
        assert client.post(f"/children/{child_id}/erasure", headers=auth(),
                           json={"basis": "erasure_request"}).status_code == 403
        erased = client.post(f"/children/{child_id}/erasure", headers=auth(role="admin"),
                             json={"basis": "retention_period_ended"})
        assert erased.status_code == 200, erased.json
        assert erased.json["event"]["type"] == "PersonalDataShredded"  # type: ignore[index]
        after: dict[str, Any] = client.get(
            f"/children/{child_id}", headers=auth()).json  # type: ignore[assignment]
        assert mark["reason"] not in str(after)
        assert after["version"] == 8
        assert (after["status"], after["stage"], after["clocks"]) == (
            before["status"], before["stage"], before["clocks"])  # type: ignore[index]
        journey = services_of(app).tracking.journey_for_update(uuid.UUID(child_id))
        assert first_break(journey.id, journey.log) is None
        export: dict[str, Any] = client.get(f"/children/{child_id}/export", headers=auth(
            role="manager")).json  # type: ignore[assignment]
        assert export["identifiers"] is None and export["personal_data"] == "erased"
        assert export["timeline"][2]["data"]["reasons"] == "[erased]"
        assert export["timeline"][4]["data"]["reason"] == "[erased]"
        assert export["timeline"][7]["type"] == "PersonalDataShredded"
        for value in mark.values():
            assert value not in str(export)
        again = client.post(f"/children/{child_id}/erasure", headers=auth(role="admin"),
                            json={"basis": "retention_period_ended"})
        assert again.status_code == 409
        assert again.json["code"] == "personal-data-already-shredded"  # type: ignore[index]
        more_text = client.post(f"/children/{child_id}/events", headers=auth(), json={
            "type": "ChildViewsRecorded", "occurred_on": "2024-03-01", "document_ref": "d3",
            "method": "drawing", "about": "plan", "summary": "new words"})
        assert more_text.status_code == 409
        assert more_text.json["code"] == "personal-data-erased"  # type: ignore[index]

    def test_governance_events_are_not_recorded_through_the_events_endpoint(
            self, client: FlaskClient, auth: Auth) -> None:
        child_id = record_journey(client, auth, markers())
        answer = client.post(f"/children/{child_id}/events", headers=auth(role="manager"),
                             json={"type": "PersonalDataShredded", "occurred_on": "2024-03-01",
                                   "basis": "other"})
        assert answer.status_code == 422
        assert answer.json["errors"][0]["pointer"] == "/type"  # type: ignore[index]

    @pytest.mark.parametrize(("field", "value"), [
        ("upn", "A123"), ("nhs_number", "9990000010"), ("postcode", "NOT A CODE"),
        ("uln", "0000000000")])
    def test_bad_identifiers_are_refused_without_echoing_them(
            self, app: Flask, client: FlaskClient, auth: Auth, field: str, value: str) -> None:
        before = stored_events(app)
        answer = client.post("/children", headers=auth(), json={
            "date_of_birth": "2020-02-10", field: value})
        assert answer.status_code == 422
        assert answer.json["errors"][0]["pointer"] == f"/{field}"  # type: ignore[index]
        assert value not in answer.get_data(as_text=True)
        assert stored_events(app) == before


def test_casetrack_erase_destroys_the_key_and_refuses_a_second_time(
        app: Flask, client: FlaskClient, auth: Auth, tmp_path: Any, store_url: str | None,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.conftest import TEST_SECRET
    from web.cli import main

    mark = markers()
    child_id = record_journey(client, auth, mark)
    monkeypatch.setenv("CASETRACK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CASETRACK_SECRET_KEY", TEST_SECRET)
    if store_url:
        monkeypatch.setenv("CASETRACK_DATABASE_URL", store_url)
    assert main(["erase", child_id, "--basis", "retention_period_ended", "--yes"]) == 0
    assert child_id in capsys.readouterr().out
    export = client.get(f"/children/{child_id}/export", headers=auth(role="manager")).json
    assert export["personal_data"] == "erased"  # type: ignore[index]
    assert export["timeline"][-1]["actor"]["role"] == "admin"  # type: ignore[index]
    assert main(["erase", child_id, "--yes"]) == 1
    assert "personal-data-already-shredded" in capsys.readouterr().err


def nested_markers(tag: str) -> Callable[[str], str]:
    """Return a marker for each text: the same text, the same marker (the rules compare
    section G with the agreed G, so equal texts must stay equal)."""
    import hashlib

    return lambda text: f"NM{tag}{hashlib.sha256(text.encode()).hexdigest()[:10].upper()}"


def record_marked_journey(client: FlaskClient, auth: Auth, journey: Any, tag: str
                          ) -> tuple[str, set[str]]:
    """Post an example journey with every text leaf of its structured fields (plan
    sections, needs, proposed amendments, ...) replaced by a marker; return the child
    id and the markers used."""
    from domain.events import EVENT_TYPES
    from domain.personal_data import map_free_text, structured_fields

    mark, used = nested_markers(tag), set()

    def marked(text: str) -> str:
        used.add(mark(text))
        return mark(text)

    registered = client.post("/children", headers=auth(), json=dict(
        journey.registration, case_ref=f"NM-{uuid.uuid4().hex[:8]}"))
    assert registered.status_code == 201, registered.json
    child_id, version = registered.json["child_id"], registered.json["version"]
    answers: Answers = {}
    for step in journey.steps:
        body = step.resolved(answers)
        for name in structured_fields(EVENT_TYPES[step.type]):
            if name in body:
                body[name] = map_free_text(body[name], marked)
        extra = {"If-Match": f'"{version}"'} if step.if_match else {}
        answer = client.post(f"/children/{child_id}/events", json=body,
                             headers=auth(role=step.role, **extra))
        assert answer.status_code == 201, (step.type, answer.json)
        version = answer.json["version"]
        if step.label is not None:
            answers[step.label] = answer.json  # type: ignore[assignment]
    return child_id, used


def test_text_inside_plan_sections_needs_and_amendments_is_sealed_and_erased(
        app: Flask, client: FlaskClient, auth: Auth) -> None:
    from tests.e2e.journeys import PRIMARY_PLAN, TRANSFERRED_IN

    tag = uuid.uuid4().hex[:6].upper()
    plan_child, plan_marks = record_marked_journey(client, auth, PRIMARY_PLAN, tag)
    moved_child, moved_marks = record_marked_journey(client, auth, TRANSFERRED_IN, tag)
    marks = plan_marks | moved_marks
    assert len(marks) >= 8  # sections A, B, E, F, G and proposed changes, at least
    stored = stored_events(app)
    assert [m for m in marks if m.encode() in stored] == []

    replay = client.get(f"/children/{plan_child}/journey", headers=auth()).get_data(
        as_text=True)
    assert sorted(m for m in plan_marks if m not in replay) == []
    assert "sealed:v1:" not in replay
    state = client.get(f"/children/{plan_child}", headers=auth()).json
    first_version = state["episodes"]["plan"]["versions"][0]
    assert first_version["sections"]["I"]["setting_type"] == "MAINSTREAM_LA"  # a code
    assert first_version["sections"]["B"][0]["need"] == "SLCN"  # a code
    assert first_version["sections"]["B"][0]["description"] in plan_marks  # opened

    for child_id in (plan_child, moved_child):
        before = client.get(f"/children/{child_id}", headers=auth()).json
        erased = client.post(f"/children/{child_id}/erasure", headers=auth(role="admin"),
                             json={"basis": "retention_period_ended"})
        assert erased.status_code == 200, erased.json
        after = client.get(f"/children/{child_id}", headers=auth()).json
        assert (after["status"], after["stage"], after["clocks"]) == (
            before["status"], before["stage"], before["clocks"])
        journey = services_of(app).tracking.journey_for_update(uuid.UUID(child_id))
        assert first_break(journey.id, journey.log) is None
        everything = "".join(client.get(path, headers=headers).get_data(as_text=True) for
                             path, headers in (
            (f"/children/{child_id}", auth()), (f"/children/{child_id}/journey", auth()),
            (f"/children/{child_id}/export", auth(role="manager"))))
        assert [m for m in marks if m in everything] == []
        assert "[erased]" in everything


def kept_record(app: Flask, org: str, user: str, key: str) -> Any:
    from application.idempotency import IdempotencyRecord, key_hash

    return services_of(app).tracking.repository.get(
        IdempotencyRecord.create_id(f"{org}:{user}", key_hash(key)))


def test_idempotency_records_keep_no_personal_data_or_a_hash_that_survives_erasure(
        app: Flask, client: FlaskClient, auth: Auth) -> None:
    from application.idempotency import KEYED_PREFIX, fingerprint

    mark = markers()
    body = {"date_of_birth": "2020-02-10", "case_ref": f"ID-{uuid.uuid4().hex[:8]}",
            **identifiers(mark)}
    headers = auth(sub="cw-idem", **{"Idempotency-Key": "register-1"})
    first = client.post("/children", json=body, headers=headers)
    assert first.status_code == 201, first.json
    child_id = first.json["child_id"]
    views = {"type": "ChildViewsRecorded", "occurred_on": "2024-02-20", "document_ref": "d1",
             "method": "drawing", "about": "assessment", "summary": mark["summary"]}
    event_headers = auth(sub="cw-idem", **{"Idempotency-Key": "views-1"})
    assert client.post(f"/children/{child_id}/events", json=views,
                       headers=event_headers).status_code == 201

    # A retry answers as the first time; another request under the key is refused.
    again = client.post("/children", json=body, headers=headers)
    assert again.status_code == 201 and again.headers["Idempotency-Replayed"] == "true"
    assert again.json["child_id"] == child_id
    other = client.post("/children", json={**body, "given_name": "Someoneelse"},
                        headers=headers)
    assert other.status_code == 422, other.json
    assert other.json["errors"][0]["pointer"] == "/headers/Idempotency-Key"

    # The records hold keyed fingerprints, and no identifier or free text in clear.
    unkeyed = {fingerprint("POST", "/children", body).unkeyed(),
               fingerprint("POST", f"/children/{child_id}/events", views).unkeyed()}
    for key in ("register-1", "views-1"):
        record = kept_record(app, "LA-901", "cw-idem", key)
        assert record.fingerprint.startswith(KEYED_PREFIX)
        assert record.fingerprint not in unkeyed
        assert [v for v in mark.values() if v in str(record.answer)] == []
    stored = stored_events(app)
    assert [v for v in (*mark.values(), UPN) if v.encode() in stored] == []
    assert [h for h in unkeyed if h.encode() in stored] == []

    # After erasure the child's key is gone: the fingerprints cannot be recomputed, so a
    # guess at the body cannot be tested, and a retry is told why it cannot be compared.
    erased = client.post(f"/children/{child_id}/erasure", headers=auth(role="admin"),
                         json={"basis": "erasure_request"})
    assert erased.status_code == 200, erased.json
    assert services_of(app).vault.cipher(uuid.UUID(child_id)) is None
    for key in ("register-1", "views-1"):
        record = kept_record(app, "LA-901", "cw-idem", key)
        assert record.fingerprint not in unkeyed
    retry = client.post("/children", json=body, headers=headers)
    assert retry.status_code == 409, retry.json
    assert retry.json["code"] == "personal-data-erased"
    assert [v for v in mark.values() if v in retry.get_data(as_text=True)] == []
    # A pseudonymous event with a key is still accepted after erasure.
    later = client.post(f"/children/{child_id}/events", headers=auth(
        sub="cw-idem", **{"Idempotency-Key": "after-1"}), json={
        "type": "EHCNeedsAssessmentRequested", "occurred_on": "2024-03-01",
        "requester_role": "Parent", "request_source": "1"})
    assert later.status_code == 201, later.json


def record_fully_marked_journey(client: FlaskClient, auth: Auth, journey: Any, tag: str
                                ) -> tuple[str, set[str]]:
    """Post an example journey with every free-text leaf at any depth marked: text
    fields, text inside structures, and each step's evidence (title and document
    reference), each step under an Idempotency-Key; return the child and the markers."""
    from domain.events import EVENT_TYPES
    from domain.personal_data import free_text_fields, map_free_text, structured_fields

    mark, used = nested_markers(tag), set()

    def marked(text: str) -> str:
        used.add(mark(text))
        return mark(text)

    registered = client.post("/children", headers=auth(), json=dict(
        journey.registration, case_ref=f"FM-{uuid.uuid4().hex[:8]}"))
    assert registered.status_code == 201, registered.json
    child_id, version = registered.json["child_id"], registered.json["version"]
    answers: Answers = {}
    for number, step in enumerate(journey.steps):
        body, cls = step.resolved(answers), EVENT_TYPES[step.type]
        for name in structured_fields(cls):
            if name in body:
                body[name] = map_free_text(body[name], marked)
        for name in free_text_fields(cls):
            if isinstance(body.get(name), str):
                body[name] = marked(body[name])
            elif isinstance(body.get(name), list):
                body[name] = [marked(v) for v in body[name]]
        body["evidence"] = [{"title": marked(f"report {number}"),
                             "document_ref": marked(f"doc-{number}.pdf"), "sha256": "0" * 64}]
        extra = {"If-Match": f'"{version}"'} if step.if_match else {}
        answer = client.post(f"/children/{child_id}/events", json=body, headers=auth(
            role=step.role, **{"Idempotency-Key": uuid.uuid4().hex, **extra}))
        assert answer.status_code == 201, (step.type, answer.json)
        version = answer.json["version"]
        if step.label is not None:
            answers[step.label] = answer.json  # type: ignore[assignment]
    return child_id, used


def test_every_free_text_leaf_and_evidence_is_sealed_and_unreadable_after_erasure(
        app: Flask, client: FlaskClient, auth: Auth) -> None:
    """Issue 12.4: in events, idempotency rows (the same store) and the subject-access
    export after erasure, no free text of any depth is readable."""
    from tests.e2e.journeys import JOURNEYS

    tag = uuid.uuid4().hex[:6].upper()
    children, marks = [], set()
    for journey in JOURNEYS.values():
        child_id, used = record_fully_marked_journey(client, auth, journey, tag)
        children.append(child_id)
        marks |= used
    assert len(marks) > 100
    stored = stored_events(app)
    assert sorted(m for m in marks if m.encode() in stored) == []
    staff_view = client.get(f"/children/{children[0]}/journey", headers=auth()).get_data(
        as_text=True)
    assert "sealed:v1:" not in staff_view and f"NM{tag}" in staff_view
    for child_id in children:
        erased = client.post(f"/children/{child_id}/erasure", headers=auth(role="admin"),
                             json={"basis": "retention_period_ended"})
        assert erased.status_code == 200, erased.json
        export = client.get(f"/children/{child_id}/export", headers=auth(role="manager"))
        assert export.status_code == 200
        assert sorted(m for m in marks if m in export.get_data(as_text=True)) == []
