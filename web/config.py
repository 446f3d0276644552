"""Settings, read once from ``CASETRACK_*`` variables; bad settings fail with one line.

- ``CASETRACK_ENV``: ``development`` (default) or ``production``.
- ``CASETRACK_DATA_DIR``: the SQLite store and the generated secret (default ``./var``).
- ``CASETRACK_DATABASE_URL``: ``postgresql://...`` selects PostgreSQL (default: SQLite);
  ``?schema=`` names the schema, every other query option (``sslmode``...) is passed to
  every connection.
- ``CASETRACK_SECRET_KEY``: signs tokens; generated into the data dir in development,
  required in production.
- ``CASETRACK_HOST`` / ``CASETRACK_PORT``: where ``casetrack serve`` listens.
- ``CASETRACK_LOG_FORMAT``: ``json`` (default unless a terminal) or ``console``.
- ``CASETRACK_MAX_BODY_BYTES``: larger request bodies are refused with 413 (default 1 MiB).
- ``CASETRACK_MAX_DOCUMENT_BYTES``: the largest document ``POST /children/{id}/documents``
  accepts, and that endpoint's body limit (default 10485760, 10 MiB; up to 268435456);
  larger is 413 ``document-too-large``.
- ``CASETRACK_DOCUMENT_TYPES``: the kinds of document accepted, comma-separated, of ``pdf``,
  ``docx``, ``odt``, ``png``, ``jpeg`` (default: all five), each checked by its bytes (415
  ``document-type-not-allowed`` / ``document-type-mismatch``).
- ``CASETRACK_JWKS_URL``: the identity provider's JWK set; tokens are then RS256/ES256
  verified against it (required in production; https, or http on a loopback host).
- ``CASETRACK_TOKEN_ISSUER`` / ``CASETRACK_TOKEN_AUDIENCE``: the exact ``iss`` and ``aud``
  tokens must carry (required with a JWKS; default ``casetrack`` / ``casetrack-api``).
- ``CASETRACK_TOKEN_LEEWAY``: clock skew allowed on ``exp``/``nbf``/``iat``, in seconds
  (default 30, at most 60).
- ``CASETRACK_SEN2_LA_NUMBERS``: ``authority=NNN`` pairs, each authority's DfE
  three-digit LA number for the SEN2 return (``sen2_la_numbers``).
- ``CASETRACK_CORS_ORIGINS``: comma-separated origins allowed to call the API from a
  browser; CORS is off when unset.
- ``CASETRACK_SIGNING_KEY_FILE``: the Ed25519 key that signs checkpoints (PEM); required
  in production, and outside the data directory.
- ``CASETRACK_WITNESS_DIR``: the directory of the append-only witness file of checkpoints
  (default ``<data dir>/witness``); ``CASETRACK_WITNESS_COMMAND`` /
  ``CASETRACK_WITNESS_URL``: also publish each checkpoint to a command's stdin / a URL.
- ``CASETRACK_CHECKPOINT_EVENTS`` / ``CASETRACK_CHECKPOINT_MINUTES``: a checkpoint is made
  automatically after this many events or minutes, whichever first (default 1000 / 5;
  0 turns that trigger off).
- ``CASETRACK_READY_MAX_LAG``: ``/readyz`` answers 503 when a projection is more than this
  many events behind the log (default 1000).
- ``CASETRACK_DB_POOL_SIZE`` / ``CASETRACK_DB_MAX_OVERFLOW``: PostgreSQL connections kept /
  added under load, per pool (default 2 / 6); ``CASETRACK_DB_POOL_TIMEOUT``: seconds a
  request waits for a connection before a 503 (default 5); ``CASETRACK_DB_CONNECT_TIMEOUT``:
  seconds to wait for the database to answer a connection (default 5).
- ``CASETRACK_INSPECTORATES``: comma-separated organisation ids of the inspectorates the
  deployment recognises (e.g. ``OFSTED,CQC``); only their inspectors open inspections.
  None when unset.
- ``CASETRACK_PURPOSES``: comma-separated lawful purposes a caller may state (default
  ``application.purposes.LAWFUL_PURPOSES``: complaint, subject-access, ...).
- ``CASETRACK_MASTER_KEY``: the 32-byte key (base64url or hex) that wraps each child's
  personal-data key in the vault; generated into the data dir in development, required
  in production (``master_key``).
- ``CASETRACK_METRICS_TOKEN``: a bearer token (32+ characters) that opens ``GET /metrics``
  and nothing else, for the Prometheus scraper; an ``admin`` token opens it too. Unset:
  admin tokens only.
- ``CASETRACK_RATE_LIMIT``: how often each caller may call each expensive endpoint
  (reports, CSV, SEN2, imports), e.g. ``30/minute`` (default) or ``100/hour;10/minute``.
- ``CASETRACK_RATE_LIMIT_STORAGE``: where the counts live: ``memory://`` (default; one
  process) or ``redis://host:6379/0`` (production, ``--workers``: shared by every process).
- ``CASETRACK_RATE_LIMIT_PREFIX``: the prefix of the counts' keys, for deployments sharing
  one Redis (default ``casetrack``).
- ``CASETRACK_FAMILY_INVITATION_DAYS``: how many days a family's invitation token lasts
  (default 90, at most 366).
- ``CASETRACK_SENDIAS_NAME`` / ``CASETRACK_SENDIAS_CONTACT``: the local SENDIAS service
  (free, impartial SEND information and advice for families) and how to reach it (a
  telephone number, address or web page), named on the parent page. Unset: the page says
  to ask the council for it.
- ``CASETRACK_UNDER_FIVE_REVIEW_MONTHS``: the authority's interval for reviewing plans of
  children under five (Code 9.178), 3 to 6 or ``off`` (default 6): clock K7U, counted
  apart in ``reviews-overdue``; never moves the statutory review date (K7).
- ``CASETRACK_WEBHOOK_MAX_ATTEMPTS``: tries of a webhook before its dead letter (default
  8); ``CASETRACK_WEBHOOK_BACKOFF_SECONDS``: the first wait, doubled after each failure up
  to an hour (30); ``CASETRACK_WEBHOOK_TIMEOUT_SECONDS``: a receiver's time to answer (10).
- ``CASETRACK_SMTP_HOST`` / ``CASETRACK_SMTP_PORT`` (default 587): the digest's mail
  server (unset: no mail); ``CASETRACK_SMTP_FROM``: its sender (required with a host);
  ``CASETRACK_SMTP_TLS``: ``starttls`` (default), ``ssl`` or ``none`` (loopback only);
  ``CASETRACK_SMTP_USER`` / ``CASETRACK_SMTP_PASSWORD``: a login, if the server wants one.
- ``CASETRACK_DIGEST_HOUR``: the hour (0 to 23, UK time) after which the worker mails the
  day's digest (unset: only ``casetrack digest`` does); ``CASETRACK_DIGEST_ADDRESS``: a
  caseworker's address, e.g. ``{user}@la-901.example.gov.uk`` (default ``{user}``, may
  name ``{organisation}``); ``CASETRACK_DIGEST_CONTACTS``: ``organisation=address``
  pairs, adviser organisations (as requests name them) mailed the steps that are theirs.
- ``CASETRACK_ANNIVERSARY_REVIEWS``: ``yes`` shows the review on the plan's anniversary
  (K7A) beside the statutory date (K7, the day before: s.44(1) "starting with"); default
  ``no``.
- ``CASETRACK_PHASE_TRANSFER_BY_THE_DAY``: ``yes`` shows a phase transfer's plan due on 15
  February / 31 March (K12P, the Code 9.179 "by") beside the statutory date (K12, the day
  before: reg 18(1) "before"); default ``no``.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from application.addresses import is_loopback
from application.purposes import LAWFUL_PURPOSES
from infrastructure.persistence import (
    DatabaseURLError,
    event_store_env,
    is_postgres,
    secure_data_dir,
)
from infrastructure.pools import PoolSettings
from web.config_delivery import DeliverySettings, delivery_settings

if TYPE_CHECKING:  # the domain is imported when settings are read, not for --help
    from application.documents import DocumentPolicy
    from domain.clocks import LocalPolicy

ENVIRONMENTS = ("development", "production")
SECRET_FILE = "secret_key"
MIN_SECRET_LENGTH = 32
# A production secret must look random: a long run of one character is not.
MIN_PRODUCTION_SECRET_DISTINCT = 16
DEFAULT_ISSUER = "casetrack"
DEFAULT_AUDIENCE = "casetrack-api"
MAX_LEEWAY_SECONDS = 60
ACCESS_LOG_SQLITE_FILE = "casetrack-access.sqlite"


class ConfigError(Exception):
    """Raised when a setting is missing or invalid; its message is one line for the operator."""


@dataclass(frozen=True)
class Settings:
    """Everything the service needs to start."""

    env: str
    data_dir: Path
    database_url: str | None
    secret_key: str
    host: str = "127.0.0.1"
    port: int = 8080
    log_format: str = "json"
    max_body_bytes: int = 1_048_576
    jwks_url: str | None = None
    token_issuer: str = DEFAULT_ISSUER
    token_audience: str = DEFAULT_AUDIENCE
    token_leeway: int = 30
    cors_origins: tuple[str, ...] = ()
    signing_key_file: str | None = None
    witness_dir: Path | None = None
    witness_command: str | None = None
    witness_url: str | None = None
    checkpoint_events: int = 1000
    checkpoint_minutes: int = 5
    ready_max_lag: int = 1000
    pool: PoolSettings = PoolSettings()
    inspectorates: frozenset[str] = frozenset()
    purposes: frozenset[str] = frozenset(LAWFUL_PURPOSES)
    metrics_token: str | None = None
    rate_limit: str = "30/minute"
    rate_limit_storage: str = "memory://"
    rate_limit_prefix: str = "casetrack"
    family_invitation_days: int = 90
    sendias_name: str | None = None
    sendias_contact: str | None = None
    local_policy: LocalPolicy = field(default_factory=lambda: _local_policy({}))
    delivery: DeliverySettings = DeliverySettings()  # webhooks and the digest (issue 16)
    document_policy: DocumentPolicy = field(default_factory=lambda: _document_policy({}))

    @property
    def witness_directory(self) -> Path:
        return self.witness_dir if self.witness_dir is not None else self.data_dir / "witness"

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def store(self) -> str:
        return "postgresql" if self.database_url else "sqlite"

    def event_store_env(self) -> dict[str, str]:
        # The local policy travels with the store's settings: the service, its projection
        # runners and the CLI read clocks the same way (CaseTracking.policy).
        env = event_store_env(self.database_url, self.data_dir) | self.local_policy.as_env()
        if is_postgres(env):
            env.update(self.pool.event_store_env())
        return env

    def access_log_env(self) -> dict[str, str]:
        """Return the access log's store: a file beside SQLite's, or its own table."""
        # Looks are written once and never loaded as aggregates: no aggregate cache.
        env = {k: v for k, v in self.event_store_env().items()
               if not k.startswith(("AGGREGATE_CACHE", "DEEPCOPY_FROM_AGGREGATE_CACHE"))}
        if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
            events = Path(env["SQLITE_DBNAME"])
            env["SQLITE_DBNAME"] = str(events.with_name(
                ACCESS_LOG_SQLITE_FILE if not self.database_url
                else events.stem + "-access" + events.suffix))
        return env


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read settings from ``environ`` (the process environment by default)."""
    environ = os.environ if environ is None else environ
    env = environ.get("CASETRACK_ENV", "development").strip() or "development"
    if env not in ENVIRONMENTS:
        raise ConfigError(f"CASETRACK_ENV must be one of {', '.join(ENVIRONMENTS)}, got {env!r}")
    data_dir = Path(environ.get("CASETRACK_DATA_DIR", "./var")).expanduser()
    database_url = environ.get("CASETRACK_DATABASE_URL", "").strip() or None
    if database_url:
        try:
            event_store_env(database_url, data_dir)
        except DatabaseURLError as error:
            raise ConfigError(f"CASETRACK_DATABASE_URL: {error}") from None
    port_text = environ.get("CASETRACK_PORT", "8080")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"CASETRACK_PORT must be a port number, got {port_text!r}")
    log_format = environ.get("CASETRACK_LOG_FORMAT") or (
        "console" if sys.stderr.isatty() else "json")
    if log_format not in ("json", "console"):
        raise ConfigError(f"CASETRACK_LOG_FORMAT must be json or console, got {log_format!r}")
    max_body = environ.get("CASETRACK_MAX_BODY_BYTES", "1048576")
    if not max_body.isdigit() or int(max_body) < 1024:
        raise ConfigError(f"CASETRACK_MAX_BODY_BYTES must be at least 1024, got {max_body!r}")
    secret_key = _secret_key(environ.get("CASETRACK_SECRET_KEY", ""), env, data_dir)
    if env == "production":
        _refuse_development_secret(secret_key, data_dir)
    return Settings(
        env=env, data_dir=data_dir, database_url=database_url, secret_key=secret_key,
        host=environ.get("CASETRACK_HOST", "127.0.0.1"), port=int(port_text),
        log_format=log_format, max_body_bytes=int(max_body),
        **_token_settings(environ, env), cors_origins=_cors_origins(environ),
        **_integrity_settings(environ), **_operations_settings(environ),
        inspectorates=_organisations(environ, "CASETRACK_INSPECTORATES"),
        purposes=_organisations(environ, "CASETRACK_PURPOSES") or frozenset(LAWFUL_PURPOSES),
        **_family_settings(environ),
        local_policy=_local_policy(environ),
        delivery=delivery_settings({name: environ[name] for name in DELIVERY_VARIABLES
                                    if name in environ}),
        document_policy=_document_policy(environ),
    )


# Read by web.config_delivery (webhooks and the daily digest, issue 16).
DELIVERY_VARIABLES = (
    "CASETRACK_WEBHOOK_MAX_ATTEMPTS", "CASETRACK_WEBHOOK_BACKOFF_SECONDS",
    "CASETRACK_WEBHOOK_TIMEOUT_SECONDS", "CASETRACK_SMTP_HOST", "CASETRACK_SMTP_PORT",
    "CASETRACK_SMTP_FROM", "CASETRACK_SMTP_TLS", "CASETRACK_SMTP_USER",
    "CASETRACK_SMTP_PASSWORD", "CASETRACK_DIGEST_HOUR", "CASETRACK_DIGEST_ADDRESS",
    "CASETRACK_DIGEST_CONTACTS")

def _document_policy(environ: Mapping[str, str]) -> DocumentPolicy:
    """The documents accepted (CASETRACK_MAX_DOCUMENT_BYTES, CASETRACK_DOCUMENT_TYPES)."""
    from application.documents import DocumentPolicy

    max_bytes = _number(environ, "CASETRACK_MAX_DOCUMENT_BYTES", 10 * 1024 * 1024, 1024,
                        256 * 1024 * 1024)
    try:
        return DocumentPolicy.named(max_bytes, environ.get("CASETRACK_DOCUMENT_TYPES", ""))
    except ValueError as error:
        raise ConfigError(f"CASETRACK_DOCUMENT_TYPES {error}") from None


def _family_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """How long a family's invitation lasts (CASETRACK_FAMILY_INVITATION_DAYS), and the
    local SENDIAS service the parent page names (CASETRACK_SENDIAS_NAME and
    CASETRACK_SENDIAS_CONTACT: a telephone number, address or web page)."""
    name = environ.get("CASETRACK_SENDIAS_NAME", "").strip() or None
    contact = environ.get("CASETRACK_SENDIAS_CONTACT", "").strip() or None
    for setting, value in (("CASETRACK_SENDIAS_NAME", name),
                           ("CASETRACK_SENDIAS_CONTACT", contact)):
        if value is not None and (len(value) > 200 or not value.isprintable()):
            raise ConfigError(f"{setting} must be printable text of at most 200 characters")
    return {"family_invitation_days": _number(environ, "CASETRACK_FAMILY_INVITATION_DAYS",
                                              90, 1, 366),
            "sendias_name": name, "sendias_contact": contact}


def _local_policy(environ: Mapping[str, str]) -> LocalPolicy:
    from domain.clocks import LocalPolicy

    named = ("CASETRACK_UNDER_FIVE_REVIEW_MONTHS", "CASETRACK_ANNIVERSARY_REVIEWS",
             "CASETRACK_PHASE_TRANSFER_BY_THE_DAY")
    try:
        return LocalPolicy.from_env({name: environ.get(name, "") for name in named})
    except ValueError as error:
        raise ConfigError(str(error)) from None


def _number(environ: Mapping[str, str], name: str, default: int, low: int, high: int
            ) -> int:
    """Return the whole-number setting ``name``, within ``low``..``high``."""
    text = environ.get(name, "").strip() or str(default)
    if not text.isdigit() or not low <= int(text) <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, got {text!r}")
    return int(text)


def _integrity_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    witness_dir = environ.get("CASETRACK_WITNESS_DIR", "").strip()
    witness_url = environ.get("CASETRACK_WITNESS_URL", "").strip() or None
    if witness_url and urlsplit(witness_url).scheme not in ("https", "http"):
        raise ConfigError(f"CASETRACK_WITNESS_URL must be an http(s) URL, got {witness_url!r}")
    return {
        "signing_key_file": environ.get("CASETRACK_SIGNING_KEY_FILE", "").strip() or None,
        "witness_dir": Path(witness_dir).expanduser() if witness_dir else None,
        "witness_command": environ.get("CASETRACK_WITNESS_COMMAND", "").strip() or None,
        "witness_url": witness_url,
        "checkpoint_events": _number(environ, "CASETRACK_CHECKPOINT_EVENTS", 1000, 0,
                                     10_000_000),
        "checkpoint_minutes": _number(environ, "CASETRACK_CHECKPOINT_MINUTES", 5, 0, 24 * 60),
    }


def _operations_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    return {
        "ready_max_lag": _number(environ, "CASETRACK_READY_MAX_LAG", 1000, 0, 10**9),
        "pool": PoolSettings(
            size=_number(environ, "CASETRACK_DB_POOL_SIZE", 2, 1, 100),
            overflow=_number(environ, "CASETRACK_DB_MAX_OVERFLOW", 6, 0, 100),
            timeout=_number(environ, "CASETRACK_DB_POOL_TIMEOUT", 5, 1, 120),
            connect_timeout=_number(environ, "CASETRACK_DB_CONNECT_TIMEOUT", 5, 1, 120)),
        "metrics_token": _metrics_token(environ),
        **_rate_limit_settings(environ),
    }


RATE_LIMIT_STORAGES = ("memory://", "redis://", "rediss://", "redis+sentinel://",
                       "redis+cluster://")


def _rate_limit_settings(environ: Mapping[str, str]) -> dict[str, str]:
    from limits import parse_many

    limit = environ.get("CASETRACK_RATE_LIMIT", "").strip() or "30/minute"
    try:
        parse_many(limit)
    except ValueError:
        raise ConfigError("CASETRACK_RATE_LIMIT must read like 30/minute or 100/hour;10/minute"
                          f", got {limit!r}") from None
    storage = environ.get("CASETRACK_RATE_LIMIT_STORAGE", "").strip() or "memory://"
    if not storage.startswith(RATE_LIMIT_STORAGES):
        raise ConfigError("CASETRACK_RATE_LIMIT_STORAGE must be memory:// or a redis:// URL, "
                          f"got {storage.split('://')[0]!r}")
    prefix = environ.get("CASETRACK_RATE_LIMIT_PREFIX", "").strip() or "casetrack"
    return {"rate_limit": limit, "rate_limit_storage": storage, "rate_limit_prefix": prefix}


def _metrics_token(environ: Mapping[str, str]) -> str | None:
    token = environ.get("CASETRACK_METRICS_TOKEN", "").strip()
    if token and len(token) < MIN_SECRET_LENGTH:
        raise ConfigError(f"CASETRACK_METRICS_TOKEN must be at least {MIN_SECRET_LENGTH} "
                          "characters")
    return token or None


def _token_settings(environ: Mapping[str, str], env: str) -> dict[str, Any]:
    jwks_url = environ.get("CASETRACK_JWKS_URL", "").strip() or None
    issuer = environ.get("CASETRACK_TOKEN_ISSUER", "").strip()
    audience = environ.get("CASETRACK_TOKEN_AUDIENCE", "").strip()
    if env == "production" and not jwks_url:
        raise ConfigError("CASETRACK_JWKS_URL is required when CASETRACK_ENV=production "
                          "(tokens are verified against the identity provider's keys)")
    if jwks_url:
        parts = urlsplit(jwks_url)
        if parts.scheme != "https" and not (parts.scheme == "http" and is_loopback(
                parts.hostname or "")):
            raise ConfigError("CASETRACK_JWKS_URL must be an https:// URL")
        if not issuer or not audience:
            raise ConfigError("CASETRACK_TOKEN_ISSUER and CASETRACK_TOKEN_AUDIENCE are "
                              "required with CASETRACK_JWKS_URL")
    leeway = environ.get("CASETRACK_TOKEN_LEEWAY", "30").strip()
    if not leeway.isdigit() or int(leeway) > MAX_LEEWAY_SECONDS:
        raise ConfigError(f"CASETRACK_TOKEN_LEEWAY must be 0 to {MAX_LEEWAY_SECONDS} seconds, "
                          f"got {leeway!r}")
    return {"jwks_url": jwks_url, "token_issuer": issuer or DEFAULT_ISSUER,
            "token_audience": audience or DEFAULT_AUDIENCE, "token_leeway": int(leeway)}


def _cors_origins(environ: Mapping[str, str]) -> tuple[str, ...]:
    origins = tuple(o.strip().rstrip("/") for o in environ.get(
        "CASETRACK_CORS_ORIGINS", "").split(",") if o.strip())
    for origin in origins:
        parts = urlsplit(origin)
        if origin == "*" or parts.scheme not in ("https", "http") or not parts.netloc \
                or parts.path:
            raise ConfigError("CASETRACK_CORS_ORIGINS must list origins such as "
                              f"https://app.example.org (no wildcard), got {origin!r}")
    return origins


def _organisations(environ: Mapping[str, str], name: str) -> frozenset[str]:
    """Read a comma-separated list of organisation ids (as tokens carry them in ``org``)."""
    found = frozenset(o.strip() for o in environ.get(name, "").split(",") if o.strip())
    for organisation in found:
        if len(organisation) > 100 or not organisation.isprintable():
            raise ConfigError(f"{name} must list organisation ids, got {organisation[:40]!r}")
    return found


def _refuse_development_secret(secret: str, data_dir: Path) -> None:
    """Refuse, in production, a key that is the generated development one or not random."""
    generated = data_dir / SECRET_FILE
    try:
        development = generated.read_text().strip() if generated.exists() else None
    except OSError:
        development = None
    if development is not None and development == secret:
        raise ConfigError("CASETRACK_SECRET_KEY is the generated development secret "
                          f"({generated}); set a new random key for production")
    if len(set(secret)) < MIN_PRODUCTION_SECRET_DISTINCT:
        raise ConfigError("CASETRACK_SECRET_KEY does not look random; generate one, e.g. "
                          "python -c 'import secrets; print(secrets.token_urlsafe(48))'")


def _secret_key(given: str, env: str, data_dir: Path) -> str:
    if given:
        if len(given) < MIN_SECRET_LENGTH:
            raise ConfigError(f"CASETRACK_SECRET_KEY must be at least {MIN_SECRET_LENGTH} "
                              "characters")
        return given
    if env == "production":
        raise ConfigError("CASETRACK_SECRET_KEY is required when CASETRACK_ENV=production")
    return _development_secret(data_dir)


def _development_secret(data_dir: Path) -> str:
    """Return the data dir's generated secret, creating it (mode 0600) on first use."""
    path = data_dir / SECRET_FILE
    try:
        secure_data_dir(data_dir)
        if path.exists():
            secret = path.read_text().strip()
            if len(secret) >= MIN_SECRET_LENGTH:
                return secret
        secret = secrets.token_urlsafe(48)
        path.write_text(secret + "\n")
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)
        return secret
    except OSError as error:
        raise ConfigError(f"CASETRACK_DATA_DIR {str(data_dir)!r} is not writable: "
                          f"{error.strerror}") from None


# The personal-data vault's master key (docs/decisions/0006-personal-data.md): read by
# web.master_key, re-exported here.
MASTER_KEY_VARIABLE = "CASETRACK_MASTER_KEY"


def sen2_la_numbers(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return each authority's DfE three-digit LA number from ``CASETRACK_SEN2_LA_NUMBERS``.

    The value lists ``authority=number`` pairs separated by commas, e.g.
    ``LA-901=901,LA-877=877``. The SEN2 return's LEA (and TransferLA) items are these
    numbers; without one for the authority the return is refused.
    """
    environ = os.environ if environ is None else environ
    numbers: dict[str, str] = {}
    for pair in environ.get("CASETRACK_SEN2_LA_NUMBERS", "").split(","):
        if not pair.strip():
            continue
        authority, _, number = pair.partition("=")
        if not authority.strip() or not re.fullmatch(r"[0-9]{3}", number.strip()):
            raise ConfigError("CASETRACK_SEN2_LA_NUMBERS must list authority=NNN pairs "
                              f"(DfE three-digit numbers), got {pair.strip()!r}")
        numbers[authority.strip()] = number.strip()
    return numbers


from web.master_key import MASTER_KEY_FILE, master_key  # noqa: E402  (reads Settings above)

__all__ = ["MASTER_KEY_FILE", "ConfigError", "Settings", "load_settings", "master_key",
           "sen2_la_numbers"]
