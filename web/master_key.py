"""The personal-data vault's master key (docs/decisions/0006-personal-data.md): from
``CASETRACK_MASTER_KEY`` (described in ``web.config``), or generated into the data
directory in development."""

from __future__ import annotations

import base64
import os
import secrets
import stat
from collections.abc import Mapping

from infrastructure.persistence import secure_data_dir
from web.config import MASTER_KEY_VARIABLE, ConfigError, Settings

MASTER_KEY_FILE = "master_key"


def master_key(settings: Settings, environ: Mapping[str, str] | None = None) -> bytes:
    """Return the 32-byte master key from ``CASETRACK_MASTER_KEY`` (base64url or hex).

    Generated into the data dir in development; required, and not the generated one,
    in production.
    """
    environ = os.environ if environ is None else environ
    given = environ.get(MASTER_KEY_VARIABLE, "").strip()
    generated = settings.data_dir / MASTER_KEY_FILE
    if given:
        key = _decode_master_key(given)
        if settings.is_production and generated.exists() and \
                _decode_master_key(generated.read_text().strip()) == key:
            raise ConfigError("CASETRACK_MASTER_KEY is the generated development key "
                              f"({generated}); set a new random key for production")
        return key
    if settings.is_production:
        raise ConfigError("CASETRACK_MASTER_KEY is required when CASETRACK_ENV=production")
    try:
        if generated.exists():
            return _decode_master_key(generated.read_text().strip())
        text = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        secure_data_dir(generated.parent)
        generated.touch(mode=stat.S_IRUSR | stat.S_IWUSR)
        generated.write_text(text + "\n")
        return _decode_master_key(text)
    except OSError as error:
        raise ConfigError(f"CASETRACK_DATA_DIR {str(settings.data_dir)!r} is not writable: "
                          f"{error.strerror}") from None


def _decode_master_key(text: str) -> bytes:
    try:
        key = bytes.fromhex(text) if len(text) == 64 else base64.urlsafe_b64decode(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ConfigError("CASETRACK_MASTER_KEY must be 32 bytes, as base64url or 64 hex "
                          "digits (python -c 'import secrets, base64; "
                          "print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())')")
    return key
