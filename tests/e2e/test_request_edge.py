"""The hooks every request passes through, kept cheap (issue 17) and answering as before:
the summary line's fields and their order, its capture in tests, the security headers a
view may set for itself, how plain and ``async`` functions are run."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

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
        lines = [line for line in map(json.loads, capsys.readouterr().err.splitlines())
                 if line["event"] == "request"]
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


def test_the_summary_s_remembered_pseudonym_is_the_one_definition_for_each_naming_key(
        ) -> None:
    from application.access import pseudonym
    from web import logging as web_logging

    for key in (b"k" * 32, b"m" * 32, b"k" * 32):
        assert web_logging._pseudonym("caseworker-7", key) == pseudonym("caseworker-7", key)
    assert web_logging._pseudonym("caseworker-7", b"k" * 32) != \
        web_logging._pseudonym("caseworker-7", b"m" * 32)


def test_hooks_read_and_write_the_very_request_globals_and_app_the_proxies_stand_for(
        app: Flask, client: FlaskClient) -> None:
    from flask import current_app, g, request

    from web.context import current_application, current_request, request_globals

    with app.test_request_context("/children?purpose=x", headers={"X-Request-ID": "r-1"}):
        assert current_request() is request._get_current_object()  # type: ignore[attr-defined]
        assert current_application() is current_app._get_current_object()  # type: ignore[attr-defined]
        request_globals().seen = "set through the object"
        assert g.seen == "set through the object"
        current_request().args = {}  # type: ignore[assignment]  # as _take_purpose replaces it
        assert request.args == {}
    # A request through every hook: its id, purpose and actor set on the object are what
    # the proxies read (the summary line and the answer's header carry the id given).
    answer = client.get("/livez", headers={"X-Request-ID": "probe-ctx-0001"})
    assert answer.headers["X-Request-ID"] == "probe-ctx-0001"
