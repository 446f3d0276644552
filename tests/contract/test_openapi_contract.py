"""Contract: schemathesis drives the app from /openapi.json; no 5xx, no answer off-spec."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.conftest import settings_for
from web import create_app
from web.auth import mint_token
from web.services import services_of

# No 5xx and no answer off the spec. Schema-valid requests that a statutory rule refuses
# (409) are correct answers, so "positive data acceptance" is not among the checks.
SPEC_CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
]

@schemathesis.serializer("application/x-ndjson")
def ndjson(context: object, value: object) -> bytes:
    """Send generated import bodies as they come (a string of JSON lines)."""
    return value.encode() if isinstance(value, str) else json.dumps(value).encode()


@pytest.fixture(scope="module")
def contract_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    settings_ = settings_for(Path(tmp_path_factory.mktemp("contract")))
    flask_app = create_app(settings_)
    token = mint_token(settings_.secret_key, subject="fuzzer", role="caseworker",
                       organisation="LA-901")
    flask_app.config["CONTRACT_TOKEN"] = token
    yield flask_app
    services_of(flask_app).close()


def test_api_answers_within_its_spec_and_never_5xx(contract_app: object) -> None:
    """Every operation, fuzzed from its spec: answers conform and none is a 5xx."""
    token = contract_app.config["CONTRACT_TOKEN"]  # type: ignore[attr-defined]
    schema = schemathesis.openapi.from_wsgi("/openapi.json", contract_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    for operation in operations:

        @given(operation.as_strategy())
        @settings(max_examples=30, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                                   checks=SPEC_CHECKS)

        check()
