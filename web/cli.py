"""The ``casetrack`` command: serve, token, demo, import, and the operations commands."""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from infrastructure.persistence import secure_data_dir
from web import (
    cli_choices,
    cli_delivery,
    cli_exports,
    cli_integrity,
    cli_personal_data,
    cli_projections,
)
from web.config import ConfigError, Settings, load_settings
from web.progress import add_options as add_progress_options
from web.progress import progress_for

DEMO_ROLES = ("caseworker", "manager", "inspector", "auditor", "admin")


def main(argv: Sequence[str] | None = None) -> int:
    parser, handlers = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        try:
            return handlers[args.command](settings, args)
        finally:
            if settings.store == "sqlite" and settings.data_dir.exists():
                secure_data_dir(settings.data_dir)  # files a command made: 0600
    except ConfigError as error:
        print(f"casetrack: configuration error: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        from infrastructure.pools import database_trouble, first_line

        if database_trouble(error) is None:
            raise
        print(f"casetrack: the database does not answer: {first_line(error)}",
              file=sys.stderr)
        return 2


Handler = Callable[[Settings, argparse.Namespace], int]


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Handler]]:
    """The ``casetrack`` parser and each command's handler. Building it imports nothing
    heavy (choices are read when checked), so ``--help`` answers at once."""
    parser = cli_choices.Parser(prog="casetrack", description=__doc__)
    parser.add_argument("--version", action=_VersionAction, nargs=0,
                        help="show the installed version and exit")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the HTTP API (granian)")
    serve.add_argument("--host", help="address to listen on (default CASETRACK_HOST or "
                       "127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default CASETRACK_PORT "
                       "or 8080)")
    serve.add_argument("--threads", type=int, default=8,
                       help="request threads per worker process (default 8)")
    serve.add_argument("--workers", type=int, default=1,
                       help="worker processes (PostgreSQL only, default 1)")
    serve.add_argument("--projections", action="store_true",
                       help="on PostgreSQL, also run the projection worker beside the server "
                            "and restart it if it stops (otherwise run `casetrack projections "
                            "run` on its own)")
    serve.add_argument("--no-demo", action="store_true",
                       help="do not load the demo cohort into an empty development store")
    serve.add_argument("--migrate", action="store_true",
                       help="on PostgreSQL, migrate every table first (otherwise serve "
                            "refuses to start on a database that is not migrated)")
    token = commands.add_parser("token", help="mint a signed development token")
    token.add_argument("--role", required=True, choices=cli_choices.roles(), metavar="ROLE",
                       help="the role the token carries (%(choices)s)")
    token.add_argument("--org", required=True, help="the organisation (e.g. LA-901)")
    token.add_argument("--sub", required=True, help="the user id the token names")
    token.add_argument("--child", help="the child a family's token is for (role family only)")
    token.add_argument("--ttl", type=int, default=8 * 3600, help="seconds (default 8 hours)")
    add_progress_options(commands.add_parser("demo", help="load the demo cohort of "
                                                          "synthetic journeys"))
    importer = commands.add_parser("import", help="import journeys from a JSON-lines file")
    importer.add_argument("file", help="one JSON object a line (see docs/imports.md)")
    importer.add_argument("--org", required=True, help="the importing local authority")
    importer.add_argument("--user", default="importer", help="recorded as the actor")
    add_progress_options(importer)
    integrity_handlers = cli_integrity.add_commands(commands)
    personal_data_handlers = cli_personal_data.add_commands(commands)
    cli_projections.add_commands(commands)
    cli_exports.add_commands(commands)
    cli_delivery.add_commands(commands)
    handlers: dict[str, Handler] = {
        "serve": _serve, "token": _token, "demo": _demo, "import": _import,
        **integrity_handlers, **personal_data_handlers, **cli_projections.handlers(),
        **cli_exports.handlers(), **cli_delivery.handlers()}
    return parser, handlers


class _VersionAction(argparse.Action):
    """``--version``, reading the installed version only when asked (importlib.metadata
    is not needed to build the parser or to answer ``--help``)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        print(f"{parser.prog} {_version()}")
        parser.exit()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("casetrack")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def _token(settings: Settings, args: argparse.Namespace) -> int:
    from web.auth import mint_token

    try:
        token = mint_token(settings.secret_key, subject=args.sub, role=args.role,
                           organisation=args.org, ttl_seconds=args.ttl, child=args.child)
    except ValueError as error:
        print(f"casetrack token: {error}", file=sys.stderr)
        return 2
    print(token)
    return 0


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from application.demo import DEMO_AUTHORITY, load_demo_cohort
    from application.errors import CaseReferenceTakenError
    from application.tracking import CaseTracking
    from web.personal_data import attach_vault

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    tracking = CaseTracking(env=settings.event_store_env())
    attach_vault(tracking, settings)
    try:
        with progress_for(args) as progress:
            child_ids = load_demo_cohort(tracking, progress=progress)
    except CaseReferenceTakenError:  # its case references are the demo's own
        print(f"the {settings.store} store already has the demo cohort ({DEMO_AUTHORITY}); "
              "nothing loaded")
        return 0
    finally:
        tracking.close()
    print(f"loaded {len(child_ids)} demo journeys into the {settings.store} store")
    return 0


def _import(settings: Settings, args: argparse.Namespace) -> int:
    import json

    from application.tracking import CaseTracking
    from domain.actors import Actor
    from web.imports import run_import
    from web.personal_data import attach_vault

    secure_data_dir(settings.data_dir)
    tracking = CaseTracking(env=settings.event_store_env())
    attach_vault(tracking, settings)
    try:
        with open(args.file, encoding="utf-8") as lines, progress_for(args) as progress:
            report = run_import(tracking, Actor(args.user, "manager", args.org), lines,
                                progress)
    except OSError as error:
        print(f"casetrack: cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return 2
    finally:
        tracking.close()
    print(json.dumps(report.as_dict(), indent=2))
    return 1 if report.refused else 0


def _read_models_migrated(settings: Settings, migrate: bool) -> bool:
    """Is every table casetrack owns on PostgreSQL at the code's revision (after migrating
    them, if asked)? Says why not on stderr, in one line."""
    from infrastructure import migrations
    from web.cli_db import part_engines

    behind = []
    for part, engine in part_engines(settings):
        try:
            if migrate:
                migrations.upgrade(engine, part=part)
            revision, head = migrations.current_revision(engine, part), \
                migrations.head_revision(part)
        finally:
            engine.dispose()
        if revision != head:
            behind.append(f"{part.name} at {revision or 'none'} (needs {head})")
    if behind:
        print(f"casetrack: the database is not migrated: {'; '.join(behind)}; run "
              "`casetrack db upgrade` first, or `casetrack serve --migrate`", file=sys.stderr)
        return False
    return True


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from web import serving

    host = args.host or settings.host
    port = args.port or settings.port
    if settings.store == "sqlite" and (args.workers > 1 or args.projections):
        print("casetrack: the embedded (SQLite) store serves from one worker process, beside "
              "its own projection process; --workers and --projections need "
              "CASETRACK_DATABASE_URL=postgresql://...", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("casetrack: --workers must be 1 or more", file=sys.stderr)
        return 2
    if settings.store == "postgresql" and not _read_models_migrated(settings, args.migrate):
        return 2
    try:
        return _run_server(settings, host, port, args)
    except serving.PortTakenError as error:
        print(error, file=sys.stderr)
        return 2


def _run_server(settings: Settings, host: str, port: int, args: argparse.Namespace) -> int:
    from web import serving

    # On SQLite the projections run in a process of their own beside the server's worker
    # (issue 17: a write's CPU in the worker is the write's alone), restarted if it
    # stops, and it makes the automatic checkpoints and sends the webhooks (issue 16), as
    # the PostgreSQL projection worker does.
    embedded = settings.store == "sqlite"
    _introduce(settings, host, port, args)
    supervisor = serving.ProjectionSupervisor(
        [sys.executable, "-m", "web.cli", "projections", "run", "--parent", str(os.getpid())],
        ready_line=PROJECTIONS_RUNNING if embedded else None,
    ) if args.projections or embedded else None

    def started(stopping: threading.Event) -> None:
        if supervisor is not None:
            supervisor.start()
        # Told to stop meanwhile (SIGTERM/SIGINT): no wait, no announcement; the server
        # then stops its workers and the projection process (``stopped``).
        if embedded and supervisor is not None:
            running = serving.wait_unless_stopped(supervisor.ready.wait, stopping,
                                                  PROJECTIONS_START)
            if not running and not stopping.is_set():
                print(f"casetrack: the projection process did not start in "
                      f"{PROJECTIONS_START:.0f}s; serving, the read models behind until it "
                      "does (/readyz)", file=sys.stderr)
        if not stopping.is_set():
            _announce(settings, host, port, args.workers)

    def stopped() -> None:
        if supervisor is not None:
            supervisor.stop()

    return serving.run_granian(settings, host, port, args.workers, args.threads,
                               embedded_projections=not embedded, started=started,
                               stopped=stopped)


# What the projection worker prints once its runners run (web.cli_projections), and how
# long the embedded server waits for it before serving.
PROJECTIONS_RUNNING = "projections running:"
PROJECTIONS_START = 60.0


def _announce(settings: Settings, host: str, port: int, workers: int) -> None:
    processes = f", {workers} processes" if workers > 1 else ""
    print(f"casetrack serving on http://{host}:{port} ({settings.store} store, "
          f"{settings.env}{processes})", flush=True)


def _introduce(settings: Settings, host: str, port: int, args: argparse.Namespace) -> None:
    """In development: load the demo into an empty store and print its tokens; else say
    how to mint one. A short-lived app loads it (none is built with ``--no-demo``), closed
    before the workers are forked."""
    if settings.is_production:
        return
    from application.demo import DEMO_AUTHORITY, load_demo_cohort
    from web import create_app
    from web.auth import mint_token
    from web.services import services_of

    child_ids = None
    if not args.no_demo:
        app = create_app(settings, embedded_projections=False)
        try:
            tracking = services_of(app).tracking
            if tracking.max_position() == 0:
                child_ids = load_demo_cohort(tracking)
        finally:
            services_of(app).close()
    if child_ids is None:
        print("Development: mint a token with `casetrack token --role caseworker --org "
              f"{DEMO_AUTHORITY} --sub you` (roles: {', '.join(DEMO_ROLES)})", flush=True)
        return
    base = f"http://{host}:{port}"
    print(f"\nLoaded {len(child_ids)} synthetic demo journeys for {DEMO_AUTHORITY}.")
    print("Development tokens (valid 8 hours):")
    tokens = {role: mint_token(settings.secret_key, subject=f"demo-{role}", role=role,
                               organisation=DEMO_AUTHORITY) for role in DEMO_ROLES}
    for role, value in tokens.items():
        print(f"  {role:<10} {value}")
    print("\nTry:")
    print(f"  curl -s -H 'Authorization: Bearer {tokens['caseworker']}' "
          f"{base}/children/{child_ids[0]}")
    print(f"  curl -s -X POST -H 'Authorization: Bearer {tokens['caseworker']}' "
          f"-H 'Content-Type: application/json' -d '{{\"date_of_birth\": \"2016-05-04\"}}' "
          f"{base}/children\n", flush=True)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
