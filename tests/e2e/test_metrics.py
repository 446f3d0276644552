"""GET /metrics: Prometheus text, protected, counting requests, events, refusals, looks,
projection lag and pools, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import TEST_SECRET, settings_for
from tests.e2e.test_slice import DECISION, REQUEST, register
from web import create_app
from web.services import services_of

METRICS_TOKEN = "metrics-" + "m" * 40


def scrape(client: FlaskClient, headers: dict[str, str]) -> dict[tuple[str, tuple[Any, ...]],
                                                                  float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.data
    assert response.content_type.startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[tuple[str, tuple[Any, ...]], float], name: str, **labels: str
          ) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_need_an_admin_token_or_the_metrics_token(
        tmp_path: Path, auth: Callable[..., dict[str, str]]) -> None:
    app = create_app(replace(settings_for(tmp_path), metrics_token=METRICS_TOKEN))
    try:
        client = app.test_client()
        anonymous = client.get("/metrics")
        assert anonymous.status_code == 401
        assert anonymous.content_type == "application/problem+json"
        assert client.get("/metrics", headers={
            "Authorization": "Bearer " + "x" * 48}).status_code == 401
        refused = client.get("/metrics", headers=auth("caseworker"))
        assert refused.status_code == 403 and "admin" in refused.json["detail"]
        assert client.get("/metrics", headers=auth("admin")).status_code == 200
        scraper = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert scraper.status_code == 200 and b"casetrack_http_requests_total" in scraper.data
    finally:
        services_of(app).close()


def test_requests_events_refusals_and_looks_are_counted(
        client: FlaskClient, auth: Callable[..., dict[str, str]], read_side: None) -> None:
    headers, admin = auth(), auth("admin")
    child_id = register(client, headers)["child_id"]
    refused = client.post(f"/children/{child_id}/events", json=DECISION, headers=headers)
    assert refused.status_code == 409
    assert client.post(f"/children/{child_id}/events", json=REQUEST,
                       headers=headers).status_code == 201
    assert client.get(f"/children/{child_id}", headers=headers).status_code == 200
    assert client.get("/no-such-page", headers=headers).status_code == 404

    samples = scrape(client, admin)
    assert value(samples, "casetrack_http_requests_total", route="/children",
                 method="POST", status="201") == 1
    assert value(samples, "casetrack_http_requests_total",
                 route="/children/<uuid:child_id>/events", method="POST", status="409") == 1
    assert value(samples, "casetrack_http_requests_total", route="(unmatched)",
                 method="GET", status="404") == 1
    assert value(samples, "casetrack_http_request_duration_seconds_count",
                 route="/children/<uuid:child_id>/events", method="POST") == 2
    assert value(samples, "casetrack_events_recorded_total",
                 type="EHCNeedsAssessmentRequested") == 1
    assert value(samples, "casetrack_events_recorded_total", type="DecisionToAssessMade") == 0
    assert value(samples, "casetrack_refusals_total", code="decision-needs-request") == 1
    assert value(samples, "casetrack_access_log_writes_total", outcome="written") == 1
    assert not any(str(child_id) in str(key) for key in samples)  # routes, never ids


def test_a_look_the_access_log_cannot_write_is_counted_as_failed(
        client: FlaskClient, app: Flask, auth: Callable[..., dict[str, str]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    headers = auth()
    child_id = register(client, headers)["child_id"]
    log = services_of(app).access_log

    def broken(*_: Any, **__: Any) -> None:
        raise OSError("the access log is away")

    monkeypatch.setattr(log, "save", broken)
    assert client.get(f"/children/{child_id}", headers=headers).status_code == 503
    samples = scrape(client, auth("admin"))
    assert value(samples, "casetrack_access_log_writes_total", outcome="failed") == 1
    assert value(samples, "casetrack_http_requests_total", route="/children/<uuid:child_id>",
                 method="GET", status="503") == 1


def test_projection_lag_and_pools_are_read_when_scraped(
        app: Flask, client: FlaskClient, auth: Callable[..., dict[str, str]],
        read_side: None, store_url: str | None) -> None:
    from infrastructure.projections import PROJECTIONS

    register(client, auth())
    head = services_of(app).tracking.max_position()
    assert head > 0
    deadline = time.monotonic() + 30
    while True:  # the runners catch up on their own; the gauges follow them
        samples = scrape(client, auth("admin"))
        lags = {name: value(samples, "casetrack_projection_lag_events", projection=name)
                for name in PROJECTIONS}
        positions = {name: value(samples, "casetrack_projection_position", projection=name)
                     for name in PROJECTIONS}
        assert all(positions[name] + lags[name] == head for name in PROJECTIONS)
        if not any(lags.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert lags == {name: 0 for name in PROJECTIONS}
    assert positions == {name: head for name in PROJECTIONS}
    assert value(samples, "casetrack_db_pool_connections", pool="read_models",
                 state="size") >= 1
    if store_url is not None:
        assert value(samples, "casetrack_db_pool_connections", pool="event_store",
                     state="size") >= 1


def test_the_metrics_token_must_be_long(tmp_path: Path) -> None:
    from web.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match="CASETRACK_METRICS_TOKEN"):
        load_settings({"CASETRACK_DATA_DIR": str(tmp_path), "CASETRACK_SECRET_KEY": TEST_SECRET,
                       "CASETRACK_METRICS_TOKEN": "short"})
