"""The command line people use: --help imports only the parser, every option says what it
does, --version, demo twice, erase asks (or --yes) and has --dry-run."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET
from tests.e2e.test_server import ROOT
from web.cli import build_parser


def casetrack(tmp_path: Path, *args: str, stdin: str | None = None
              ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CASETRACK_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT),
           "CASETRACK_SECRET_KEY": TEST_SECRET, "CASETRACK_LOG_FORMAT": "json"}
    env.pop("CASETRACK_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "web.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, input=stdin)


PROBE = """
import sys
from web.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
heavy = {heavy!r}
print(sorted({{m.split(".")[0] for m in sys.modules}} & set(heavy)))
"""
# What made --help take seconds: the app, the stores, the domain catalogue, and structlog
# (which imports rich, and rich asyncio and pygments, when rich is installed).
HEAVY = ("flask", "flask_smorest", "flask_limiter", "werkzeug", "jinja2", "marshmallow",
         "sqlalchemy", "eventsourcing", "psycopg", "alembic", "prometheus_client",
         "granian", "structlog", "rich", "redis", "jwt", "cryptography",
         "domain")


def _command_paths(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
                   ) -> list[tuple[str, ...]]:
    found = [path]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _command_paths(sub, (*path, name))
    return found


@pytest.mark.parametrize("command", _command_paths(build_parser()[0]),
                         ids=lambda command: " ".join(command) or "casetrack")
def test_help_imports_no_framework_store_or_domain(command: tuple[str, ...]) -> None:
    """``casetrack --help`` and every (sub)command's --help import only the parser."""
    argv = [*command, "--help"]
    result = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv, heavy=HEAVY)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert "usage: casetrack" in result.stdout


def test_the_choices_helps_list_are_the_definitions_and_still_checked(
        capsys: pytest.CaptureFixture[str]) -> None:
    """`token --help` and `erase --help` list copies (so they import no domain): equal to
    application.access.ROLES and the domain's ErasureBasis, which still check the
    values given."""
    from typing import get_args

    from application.access import ROLES
    from domain.catalogue.governance import ErasureBasis
    from web.cli_choices import ROLES_SHOWN
    from web.cli_personal_data import ERASURE_BASES_SHOWN

    assert set(ROLES_SHOWN) == ROLES and len(ROLES_SHOWN) == len(ROLES)
    assert sorted(ERASURE_BASES_SHOWN) == sorted(get_args(ErasureBasis))
    parser = build_parser()[0]
    for command, shown in ((["token"], ROLES_SHOWN), (["erase"], ERASURE_BASES_SHOWN)):
        with pytest.raises(SystemExit):
            parser.parse_args([*command, "--help"])
        assert ", ".join(sorted(shown)) in " ".join(capsys.readouterr().out.split())
    with pytest.raises(SystemExit):
        parser.parse_args(["token", "--role", "nobody", "--org", "LA-901", "--sub", "u"])
    assert "invalid choice: 'nobody'" in capsys.readouterr().err


def _actions(parser: argparse.ArgumentParser, path: str) -> list[tuple[str, argparse.Action]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _actions(sub, f"{path} {name}")
        elif not isinstance(action, argparse._HelpAction):
            found.append((path, action))
    return found


def test_every_option_and_argument_says_what_it_does() -> None:
    parser, handlers = build_parser()
    missing = [f"{path} {'/'.join(action.option_strings) or action.dest}"
               for path, action in _actions(parser, "casetrack") if not action.help]
    assert missing == []
    assert set(handlers) >= {"serve", "token", "demo", "import", "erase", "db"}


def test_version_prints_the_installed_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    result = casetrack(tmp_path, "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"casetrack {version('casetrack')}"


def test_demo_on_a_store_that_has_it_says_so_and_exits_0(tmp_path: Path) -> None:
    first = casetrack(tmp_path, "demo")
    assert first.returncode == 0 and "loaded 5 demo journeys" in first.stdout
    again = casetrack(tmp_path, "demo")
    assert again.returncode == 0, again.stderr
    assert "already has the demo cohort" in again.stdout and "Traceback" not in again.stderr


def _registered_child(tmp_path: Path) -> str:
    from tests.conftest import settings_for
    from web import create_app
    from web.auth import mint_token
    from web.services import services_of

    app = create_app(settings_for(tmp_path))
    try:
        token = mint_token(TEST_SECRET, subject="user-1", role="caseworker",
                           organisation="LA-901")
        answer = app.test_client().post("/children", json={"date_of_birth": "2015-03-02"},
                                        headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 201
        return str(answer.json["child_id"])  # type: ignore[index]
    finally:
        services_of(app).close()


def test_erase_asks_and_refuses_without_a_terminal_unless_yes(tmp_path: Path) -> None:
    child = _registered_child(tmp_path)
    refused = casetrack(tmp_path, "erase", child, stdin="erase\n")
    assert refused.returncode == 2
    assert "--yes" in refused.stderr and refused.stdout == ""
    dry = casetrack(tmp_path, "erase", child, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout) == {"child_id": child, "dry_run": True, "would_erase": True}
    erased = casetrack(tmp_path, "erase", child, "--yes")  # the dry run erased nothing
    assert erased.returncode == 0, erased.stderr
    assert json.loads(erased.stdout)["child_id"] == child
    again = casetrack(tmp_path, "erase", child, "--dry-run")
    assert again.returncode == 1 and "not erased" in again.stderr
