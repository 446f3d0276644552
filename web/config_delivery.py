"""The settings of webhooks and the daily digest (issue 16): ``Settings.delivery``.

``web.config`` describes each ``CASETRACK_*`` variable in its docstring, lists them in
``DELIVERY_VARIABLES`` and hands their values here. This module imports ``web.config``
only when it reads them (``web.config`` imports this one).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DeliverySettings:
    """How webhooks are retried, and how the daily digest is mailed and to whom."""

    webhook_max_attempts: int = 8
    webhook_backoff_seconds: int = 30
    webhook_timeout_seconds: int = 10
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_from: str | None = None
    smtp_tls: str = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    digest_hour: int | None = None
    digest_address: str = "{user}"
    digest_contacts: tuple[tuple[str, str], ...] = ()


def delivery_settings(environ: Mapping[str, str]) -> DeliverySettings:
    """Return the webhook and mail settings from ``environ``."""
    return DeliverySettings(**_webhook_settings(environ), **_mail_settings(environ))


def _webhook_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """How webhooks are retried."""
    from web.config import _number

    return {
        "webhook_max_attempts": _number(environ, "CASETRACK_WEBHOOK_MAX_ATTEMPTS", 8, 1, 100),
        "webhook_backoff_seconds": _number(environ, "CASETRACK_WEBHOOK_BACKOFF_SECONDS", 30,
                                           1, 86_400),
        "webhook_timeout_seconds": _number(environ, "CASETRACK_WEBHOOK_TIMEOUT_SECONDS", 10,
                                           1, 120),
    }


SMTP_TLS = ("starttls", "ssl", "none")
_ADDRESS = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


def _mail_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """The daily digest's mail server, its hour and its recipients."""
    from application.addresses import is_loopback
    from web.config import ConfigError, _number

    host = environ.get("CASETRACK_SMTP_HOST", "").strip() or None
    sender = environ.get("CASETRACK_SMTP_FROM", "").strip() or None
    tls = environ.get("CASETRACK_SMTP_TLS", "").strip() or "starttls"
    if tls not in SMTP_TLS:
        raise ConfigError(f"CASETRACK_SMTP_TLS must be one of {', '.join(SMTP_TLS)}, "
                          f"got {tls!r}")
    if host and not (sender and _ADDRESS.match(sender)):
        raise ConfigError("CASETRACK_SMTP_FROM must be the digest's sender address "
                          "(required with CASETRACK_SMTP_HOST)")
    if host and tls == "none" and not is_loopback(host):
        raise ConfigError("CASETRACK_SMTP_TLS=none is allowed only for a loopback "
                          "CASETRACK_SMTP_HOST; use starttls or ssl")
    hour = environ.get("CASETRACK_DIGEST_HOUR", "").strip()
    template = environ.get("CASETRACK_DIGEST_ADDRESS", "").strip() or "{user}"
    try:
        template.format(user="u", organisation="o")
    except (KeyError, IndexError, ValueError):
        raise ConfigError("CASETRACK_DIGEST_ADDRESS may name only {user} and "
                          "{organisation}") from None
    if "{user}" not in template:
        raise ConfigError("CASETRACK_DIGEST_ADDRESS must contain {user}")
    return {"smtp_host": host, "smtp_from": sender, "smtp_tls": tls,
            "smtp_port": _number(environ, "CASETRACK_SMTP_PORT", 587, 1, 65535),
            "smtp_user": environ.get("CASETRACK_SMTP_USER", "").strip() or None,
            "smtp_password": environ.get("CASETRACK_SMTP_PASSWORD") or None,
            "digest_hour": None if hour in ("", "off") else _number(
                environ, "CASETRACK_DIGEST_HOUR", 7, 0, 23),
            "digest_address": template, "digest_contacts": _contacts(environ)}


def _contacts(environ: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    from web.config import ConfigError

    pairs = []
    for pair in environ.get("CASETRACK_DIGEST_CONTACTS", "").split(","):
        if not pair.strip():
            continue
        organisation, _, address = pair.partition("=")
        if not organisation.strip() or not _ADDRESS.match(address.strip()):
            raise ConfigError("CASETRACK_DIGEST_CONTACTS must list organisation=address "
                              f"pairs, got {organisation.strip()[:40]!r}")
        pairs.append((organisation.strip(), address.strip()))
    return tuple(pairs)


def digest_address(settings: DeliverySettings, user: str, organisation: str) -> str | None:
    """Return a caseworker's digest address, or None when it would not be one."""
    address = settings.digest_address.format(user=user, organisation=organisation)
    return address if _ADDRESS.match(address) else None
