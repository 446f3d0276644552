"""Settings, read once from ``CASETRACK_*`` variables; bad settings fail with one line.

- ``CASETRACK_ENV``: ``development`` (default) or ``production``.
- ``CASETRACK_DATA_DIR``: the SQLite store and the generated secret (default ``./var``).
- ``CASETRACK_DATABASE_URL``: ``postgresql://...`` selects PostgreSQL (default: SQLite).
- ``CASETRACK_SECRET_KEY``: signs tokens; generated into the data dir in development,
  required in production.
- ``CASETRACK_HOST`` / ``CASETRACK_PORT``: where ``casetrack serve`` listens.
- ``CASETRACK_LOG_FORMAT``: ``json`` (default unless a terminal) or ``console``.
- ``CASETRACK_MAX_BODY_BYTES``: larger request bodies are refused with 413 (default 1 MiB).
"""

from __future__ import annotations

import os
import secrets
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from infrastructure.persistence import DatabaseURLError, event_store_env

ENVIRONMENTS = ("development", "production")
SECRET_FILE = "secret_key"
MIN_SECRET_LENGTH = 32


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

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def store(self) -> str:
        return "postgresql" if self.database_url else "sqlite"

    def event_store_env(self) -> dict[str, str]:
        return event_store_env(self.database_url, self.data_dir)


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
    return Settings(
        env=env, data_dir=data_dir, database_url=database_url,
        secret_key=_secret_key(environ.get("CASETRACK_SECRET_KEY", ""), env, data_dir),
        host=environ.get("CASETRACK_HOST", "127.0.0.1"), port=int(port_text),
        log_format=log_format, max_body_bytes=int(max_body),
    )


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
        data_dir.mkdir(parents=True, exist_ok=True)
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
