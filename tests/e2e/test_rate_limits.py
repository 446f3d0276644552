"""Rate limits on the expensive endpoints: per caller, 429 problem+json with Retry-After;
counts in memory (one process) or in the real Redis on 127.0.0.1:6379 (shared)."""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import TEST_SECRET, settings_for
from web import create_app, limits
from web.config import ConfigError, Settings, load_settings
from web.services import services_of

REPORT = "/reports/timeliness?authority=LA-901"
REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    apps: list[Flask] = []

    def make(**changes: str) -> Flask:
        settings: Settings = replace(settings_for(tmp_path), rate_limit="2/minute", **changes)
        app = create_app(settings)
        apps.append(app)
        return app

    yield make
    for app in apps:
        services_of(app).close()


def test_the_third_report_in_a_minute_is_429_with_retry_after(
        make_app: Callable[..., Flask], auth: Callable[..., dict[str, str]]) -> None:
    client = make_app().test_client()
    manager = auth("manager")
    began = time.time()  # at or before the window's first hit
    assert [client.get(REPORT, headers=manager).status_code for _ in range(2)] == [200, 200]
    refused = client.get(REPORT, headers=manager)
    elapsed = time.time() - began
    assert refused.status_code == 429
    assert refused.content_type == "application/problem+json"
    assert refused.json["type"].endswith("/rate-limited")
    assert refused.json["status"] == 429 and "2 per 1 minute" in refused.json["detail"]
    # What is left of the one-minute window that began with the first report, to the
    # whole second after its end (flask-limiter's reset_at), rounded up.
    assert 60 - math.ceil(elapsed) <= int(refused.headers["Retry-After"]) <= 61
    assert refused.json["retry_after"] == int(refused.headers["Retry-After"])
    # Counted per caller: another manager is not held back by the first.
    assert client.get(REPORT, headers=auth("manager", sub="user-2")).status_code == 200


def test_reading_one_child_is_not_limited(
        make_app: Callable[..., Flask], auth: Callable[..., dict[str, str]]) -> None:
    client = make_app().test_client()
    headers = auth()
    child_id = client.post("/children", json={"date_of_birth": "2015-03-02"},
                           headers=headers).json["child_id"]
    assert {client.get(f"/children/{child_id}", headers=headers).status_code
            for _ in range(5)} == {200}


def test_the_audit_trail_is_limited_as_csv_only(
        make_app: Callable[..., Flask], auth: Callable[..., dict[str, str]]) -> None:
    client = make_app().test_client()
    auditor = auth("auditor")
    as_json = [client.get("/audit/events", headers=auditor).status_code for _ in range(3)]
    assert as_json == [200, 200, 200]
    as_csv = [client.get("/audit/events", headers={**auditor, "Accept": "text/csv"}
                         ).status_code for _ in range(3)]
    assert as_csv == [200, 200, 429]


def test_redis_counts_are_shared_by_every_process(
        make_app: Callable[..., Flask], auth: Callable[..., dict[str, str]]) -> None:
    prefix = f"casetrack-test-{secrets.token_hex(6)}"  # runs never share counts
    first = make_app(rate_limit_storage=REDIS, rate_limit_prefix=prefix).test_client()
    second = make_app(rate_limit_storage=REDIS, rate_limit_prefix=prefix).test_client()
    manager = auth("manager")
    assert first.get(REPORT, headers=manager).status_code == 200
    assert second.get(REPORT, headers=manager).status_code == 200
    assert first.get(REPORT, headers=manager).status_code == 429
    assert second.get(REPORT, headers=manager).status_code == 429


@pytest.mark.parametrize(("name", "value"), [
    ("CASETRACK_RATE_LIMIT", "lots"),
    ("CASETRACK_RATE_LIMIT_STORAGE", "memcached://127.0.0.1:11211"),
])
def test_a_bad_rate_limit_setting_fails_at_start(tmp_path: Path, name: str, value: str
                                                 ) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({"CASETRACK_DATA_DIR": str(tmp_path),
                       "CASETRACK_SECRET_KEY": TEST_SECRET, name: value})


def test_the_limits_are_checked_for_the_expensive_endpoints_and_only_them(
        make_app: Callable[..., Flask]) -> None:
    """web.limits runs flask-limiter's check only where flask-limiter resolves a limit:
    that must be every endpoint of the expensive blueprints (and the audit trail's)."""
    app = make_app()
    limiter = services_of(app).extras["limiter"]
    limited_blueprints = {*limits.EXPENSIVE_BLUEPRINTS, "audit"}
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert {e for e in endpoints if limits.has_limits(app, limiter, e)} == {
        e for e in endpoints if e.partition(".")[0] in limited_blueprints}
    assert {e.partition(".")[0] for e in endpoints} >= limited_blueprints
    assert limiter._check_request_limit not in app.before_request_funcs[None]
