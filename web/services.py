"""The one wiring object: everything the views use, built once by ``create_app``.

Views reach it through ``services()`` (typed) instead of looking names up in
``app.extensions``; ``Services.close()`` closes every part in one place, in the reverse of
the order they were opened, the event store last. A part added by a later issue (metrics,
rate limits, workers) is opened in ``create_app`` and handed to ``Services.add``, which
keeps it under its name and closes it with the rest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

import structlog
from flask import Flask

from application import access
from application.access_log import AccessLog
from application.inspections import active_inspection
from application.personal_data import PersonalData
from application.reports import ReportContext
from application.tracking import CaseTracking
from infrastructure.cohort import SQLCohortReports
from infrastructure.projections import EmbeddedRunners, ReadModelDatabase
from infrastructure.readmodels import SQLReadModels
from infrastructure.vault import SQLVault
from web.config import Settings
from web.context import current_application

if TYPE_CHECKING:
    from flask_smorest import Api

    from web.integrity import LazyIntegrity

EXTENSION = "casetrack"


class Closable(Protocol):
    def close(self) -> None: ...


@dataclass
class Services:
    """What the views use: the event store application, read models, cohort reports,
    access log, vault and the keys that name people, each opened once."""

    settings: Settings
    tracking: CaseTracking
    read_models: SQLReadModels
    reports: ReportContext
    access_log: AccessLog
    vault: SQLVault
    personal_data: PersonalData
    integrity: LazyIntegrity
    runners: EmbeddedRunners | None
    naming_key: bytes  # staff and child pseudonyms (application.pseudonyms.Naming)
    api: Api | None = None  # set once the blueprints are registered (the /docs page)
    extras: dict[str, Any] = field(default_factory=dict)
    _closables: list[Closable] = field(default_factory=list, repr=False)
    _closed: bool = field(default=False, repr=False)

    def today(self) -> date:
        return self.tracking.today()

    def add(self, name: str, part: Any, *, close: bool = True) -> Any:
        """Keep another part under ``name`` (closed with the rest when it has ``close``)."""
        if name in self.extras:
            raise ValueError(f"a service named {name!r} is already wired")
        self.extras[name] = part
        if close and hasattr(part, "close"):
            self._closables.append(part)
        return part

    def closes(self, part: Closable) -> None:
        """Close ``part`` with the services (before anything opened earlier)."""
        self._closables.append(part)

    def close(self) -> None:
        """Close every part once, newest first; the event store application last."""
        if self._closed:
            return
        self._closed = True
        for part in reversed(self._closables):
            part.close()
        self.tracking.close()


def open_services(settings: Settings, today: Callable[[], date], *,
                  embedded_projections: bool = True) -> Services:
    """Open every part the views use, in the order each needs the ones before.

    On SQLite the projection runners run in this process, in threads, unless
    ``embedded_projections`` is off: ``casetrack serve`` runs them in a process of their
    own beside the server (``casetrack projections run``), and the read models are
    migrated here first."""
    tracking = CaseTracking(env=settings.event_store_env(), today=today,
                            inspectorates=settings.inspectorates)
    opened: list[Closable] = []
    try:
        from web.integrity import LazyIntegrity
        from web.personal_data import vault_for
        from web.security import access_index_for

        database = ReadModelDatabase.beside(settings.database_url, settings.data_dir,
                                            settings.pool)
        read_models = SQLReadModels(database.engine(), CaseTracking.name)
        opened.append(read_models)
        runners = EmbeddedRunners(
            application_class=CaseTracking, event_store_env=settings.event_store_env(),
            database=database, today=today) if settings.store == "sqlite" \
            and embedded_projections else None
        if settings.store == "sqlite" and not embedded_projections:
            from infrastructure.migrations import upgrade

            upgrade(read_models.engine)  # before the projection process starts
        if runners is not None:
            opened.append(runners)
        access_log = AccessLog(env=settings.access_log_env(),
                               index=access_index_for(settings))
        opened.append(access_log)
        vault = vault_for(settings)
        opened.append(vault)
        tracking.vault = vault
        _sweep_vault(tracking, vault)
        integrity = LazyIntegrity(tracking, settings)
        opened.append(integrity)
    except BaseException:
        for part in reversed(opened):
            part.close()
        tracking.close()
        raise
    return Services(
        settings=settings, tracking=tracking, read_models=read_models,
        reports=report_context(tracking, read_models, settings), access_log=access_log,
        vault=vault, personal_data=PersonalData(tracking, vault), integrity=integrity,
        runners=runners,
        naming_key=naming_key(settings),
        _closables=opened)


def webhooks_store(services: Services) -> Any:
    """Return the webhook store over the read-model database (issue 16): its secrets
    sealed under a key derived from the vault's master key."""
    from infrastructure.webhooks import SQLWebhooks
    from web.config import master_key

    return SQLWebhooks(services.read_models.engine, master_key(services.settings))


def naming_key(settings: Settings) -> bytes:
    """Return the key of every pseudonym (staff and children, in the audit trail, the
    access log, a history and the reports), derived from the secret key."""
    return hashlib.sha256(b"casetrack-pseudonyms:" + settings.secret_key.encode()).digest()


def report_context(tracking: CaseTracking, read_models: SQLReadModels, settings: Settings
                   ) -> ReportContext:
    """Return what the report use cases need, built once for the app."""
    key = naming_key(settings)  # one scheme: a child or user is one pseudonym everywhere

    def pseudonym(value: str) -> str:
        return access.pseudonym(value, key)

    def inspecting(inspectorate: str, authority: str) -> bool:
        return active_inspection(tracking, inspectorate, authority) is not None

    return ReportContext(store=SQLCohortReports(read_models.engine), read_models=read_models,
                         inspecting=inspecting, pseudonym=pseudonym, head=tracking.max_position)


def install(app: Flask, services: Services) -> None:
    app.extensions[EXTENSION] = services


def services_of(app: Flask) -> Services:
    """Return the app's services (for tests, the command line and the server)."""
    found: Services = app.extensions[EXTENSION]
    return found


def services() -> Services:
    """Return the current app's services (for views and request hooks)."""
    return services_of(current_application())


def _sweep_vault(tracking: CaseTracking, vault: Any) -> None:
    """Remove identifiers left by registrations cut off mid-way in the last week (issue
    12.5), and documents' bytes left by uploads cut off before their event;
    ``casetrack vault sweep --all`` looks further back."""
    from datetime import UTC, datetime

    from application.documents import sweep_orphan_documents
    from application.personal_data import STARTUP_SWEEP_WINDOW, sweep_orphans

    since = datetime.now(UTC) - STARTUP_SWEEP_WINDOW
    removed = sweep_orphans(tracking, vault, since=since)
    if removed:
        structlog.get_logger().warning("vault_orphans_removed", count=len(removed))
    documents = sweep_orphan_documents(tracking, vault, since=since)
    if documents:
        structlog.get_logger().warning("vault_orphan_documents_removed", count=documents)
