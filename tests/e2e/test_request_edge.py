"""The hooks every request passes through, kept cheap (issue 17) and answering as before:
the summary line's fields and their order, its capture in tests, the security headers a
view may set for itself, how plain and ``async`` functions are run."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import structlog
from flask import Flask, Response
from flask.testing import FlaskClient

from tests.conftest import settings_for
from web import create_app
from web.services import services_of

SUMMARY_FIELDS = ["method", "route", "status", "duration_ms", "actor", "role",
                  "organisation", "event", "request_id", "level", "timestamp"]


def test_the_summary_line_on_stderr_is_one_json_line_with_its_fields_in_order(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        auth: Callable[..., dict[str, str]]) -> None:
    app = create_app(settings_for(tmp_path))  # logging configured on the captured stderr
    try:
        client = app.test_client()
        capsys.readouterr()
        client.get("/livez", headers={"X-Request-ID": "probe-0001"})
        client.get("/reference", headers=auth())
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()
                 if '"event": "request"' in line]
    finally:
        services_of(app).close()
    live, reference = lines
    assert list(live) == SUMMARY_FIELDS and list(reference) == SUMMARY_FIELDS
    assert (live["method"], live["route"], live["status"], live["request_id"]) == (
        "GET", "/livez", 200, "probe-0001")
    assert (live["actor"], live["role"], live["organisation"], live["level"]) == (
        None, None, None, "info")
    assert reference["route"] == "/reference" and reference["role"] == "caseworker"
    assert len(reference["request_id"]) == 32 and reference["timestamp"].endswith("Z")


def test_the_summary_line_is_captured_after_the_server_has_logged_others(
        client: FlaskClient) -> None:
    client.get("/livez")  # the summary's logger is assembled here...
    with structlog.testing.capture_logs() as logs:  # ...and again for the capture
        client.get("/livez")
    (line,) = [entry for entry in logs if entry.get("event") == "request"]
    assert (line["route"], line["status"]) == ("/livez", 200)
    client.get("/livez")  # not captured once the capture has ended
    assert len(logs) == 1


def test_a_header_a_view_sets_itself_is_kept_and_the_others_are_added_once(
        app: Flask, auth: Callable[..., dict[str, str]]) -> None:
    @app.get("/framed-test-only")
    def framed() -> Response:
        return Response("{}", mimetype="application/json",
                        headers={"X-Frame-Options": "SAMEORIGIN"})

    answer = app.test_client().get("/framed-test-only", headers=auth())
    assert answer.status_code == 200
    assert answer.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    for name, value in [("X-Content-Type-Options", "nosniff"),
                        ("Referrer-Policy", "no-referrer"),
                        ("Cross-Origin-Resource-Policy", "same-origin")]:
        assert answer.headers.getlist(name) == [value]
    names = [name for name, _ in answer.headers]
    assert names.index("X-Frame-Options") < names.index("X-Content-Type-Options") \
        < names.index("Referrer-Policy") < names.index("Cross-Origin-Resource-Policy") \
        < names.index("Content-Security-Policy")


def test_plain_functions_run_as_they_are_and_async_ones_as_flask_would_run_them(
        app: Flask) -> None:
    def plain() -> None:
        return None

    async def coroutine() -> None:
        return None

    assert app.ensure_sync(plain) is plain
    bound = app.test_client  # a bound method: Flask's own check
    assert app.ensure_sync(bound) == bound
    with pytest.raises(RuntimeError, match="async"):  # Flask without its async extra
        app.ensure_sync(coroutine)


@pytest.mark.parametrize("actor", [None, "caseworker-7"])
def test_the_summary_line_written_directly_is_the_line_structlog_writes(
        capsys: pytest.CaptureFixture[str], actor: str | None) -> None:
    from application.access import pseudonym
    from web import logging as web_logging

    web_logging.configure_logging("json")
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id="probe-0002")
    key = b"k" * 32
    fields = {"method": "POST", "route": "/children/<uuid:child_id>/events", "status": 201,
              "duration_ms": 1.25, "role": "caseworker" if actor else None,
              "actor": web_logging._pseudonym(actor, key) if actor else None,
              "organisation": "LA-901" if actor else None}
    capsys.readouterr()
    assert web_logging._written_directly(web_logging._summary.logger())
    with structlog.testing.capture_logs():
        assert not web_logging._written_directly(web_logging._summary.logger())
    web_logging._write_summary(fields)  # this configuration's own processors, directly
    web_logging._summary.logger().info("request", **fields)  # through structlog
    direct, through = capsys.readouterr().err.splitlines()
    structlog.contextvars.clear_contextvars()
    as_sent = [json.loads(line) for line in (direct, through)]
    assert [list(line) for line in as_sent] == [SUMMARY_FIELDS[:4] + ["role", "actor"]
                                                + SUMMARY_FIELDS[6:]] * 2
    stamps = [line.pop("timestamp") for line in as_sent]
    assert as_sent[0] == as_sent[1] and all(s.endswith("Z") for s in stamps)
    assert direct.replace(stamps[0], stamps[1]) == through
    if actor:
        assert as_sent[0]["actor"] == pseudonym(actor, key)


def test_json_answers_from_the_encoder_made_once_are_flask_s_own(app: Flask) -> None:
    from datetime import UTC, date, datetime
    from uuid import UUID

    from flask.json.provider import DefaultJSONProvider

    answers: list[Any] = [
        {"status": "ok"}, [1, 2.5, None, True], "text", None,
        {"child_id": UUID(int=7), "on": date(2024, 1, 8), "at": datetime(2024, 1, 8, 9, tzinfo=UTC),
         "name": "Zoë \u2603", "nested": {"b": 1, "a": [{"z": None}]}}]
    with app.app_context():
        for obj in answers:
            ours = app.json.response(obj)
            flask_s = DefaultJSONProvider.response(app.json, obj)
            assert ours.get_data() == flask_s.get_data() and ours.headers == flask_s.headers
        assert app.json.response(a=1, b=[2]).get_data() == DefaultJSONProvider.response(
            app.json, a=1, b=[2]).get_data()
        app.debug = True  # indented, as Flask does in debug mode
        try:
            assert app.json.response(answers[-1]).get_data() == DefaultJSONProvider.response(
                app.json, answers[-1]).get_data()
        finally:
            app.debug = False
