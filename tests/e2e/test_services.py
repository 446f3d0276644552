"""The one wiring object: built once by create_app, closed in one place."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import settings_for
from web import create_app
from web.services import services_of


class Part:
    def __init__(self, log: list[str], name: str) -> None:
        self.log, self.name = log, name

    def close(self) -> None:
        self.log.append(self.name)


def test_one_close_closes_every_part_once_newest_first(tmp_path: Path) -> None:
    app = create_app(settings_for(tmp_path))
    services = services_of(app)
    closed: list[str] = []
    services.add("workers", Part(closed, "workers"))
    services.add("limits", Part(closed, "limits"))
    assert services.extras["workers"].name == "workers"
    services.close()
    services.close()  # a second close is harmless
    assert closed == ["limits", "workers"]
    with pytest.raises(Exception):  # noqa: B017 (the store says "closed" its own way)
        services.tracking.max_position()


def test_a_part_is_wired_under_one_name_only(tmp_path: Path) -> None:
    app = create_app(settings_for(tmp_path))
    services = services_of(app)
    try:
        services.add("workers", object())
        with pytest.raises(ValueError, match="already wired"):
            services.add("workers", object())
    finally:
        services.close()


def test_views_share_the_parts_built_once_rather_than_one_per_request(tmp_path: Path) -> None:
    app = create_app(settings_for(tmp_path))
    services = services_of(app)
    try:
        with app.test_request_context("/reports/timeliness"):
            from web.services import services as current
            first = current().reports
        with app.test_request_context("/reports/timeliness"):
            assert current().reports is first
        assert services.tracking.vault is services.vault
        assert services.personal_data is not None
    finally:
        services.close()


def test_the_request_line_names_the_actor_by_pseudonym_not_user_id(tmp_path: Path) -> None:
    import structlog

    from application.access import pseudonym
    from tests.conftest import TEST_SECRET
    from web.auth import mint_token

    app = create_app(settings_for(tmp_path))
    services = services_of(app)
    token = mint_token(TEST_SECRET, subject="officer-jo-1", role="caseworker",
                       organisation="LA-901")
    try:
        with structlog.testing.capture_logs() as logs:
            app.test_client().get("/children", headers={"Authorization": f"Bearer {token}"})
        (line,) = [entry for entry in logs if entry.get("event") == "request"]
        assert line["actor"] == pseudonym("officer-jo-1", services.naming_key)
        assert "officer-jo-1" not in str(logs)
    finally:
        services.close()
