"""One child's cipher: free text, identifiers, request fingerprints and documents sealed
and opened with keys derived (HKDF-SHA256) from the child's data key, which the vault
(``infrastructure.vault``) keeps wrapped by the master key. See the vault's docstring for
the envelope and why free text is sealed with AES-SIV."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from functools import cached_property
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from domain.personal_data import is_blank, is_sealed, seal_format, sealed_parts


class VaultError(Exception):
    """Raised when the vault cannot do what was asked."""


class MasterKeyMismatchError(VaultError):
    """Raised when a child's key was wrapped by another master key than the configured one."""


class ChildKeyShreddedError(VaultError):
    """Raised when sealing for a child whose key was destroyed."""


def master_key_id(master_key: bytes) -> str:
    """Return a short, non-secret name of a master key (to detect the wrong one)."""
    return hashlib.sha256(b"casetrack-master-key-id:" + master_key).hexdigest()[:16]


class ChildCipher:
    """Seal and open one child's free text and identifiers with the child's data key."""

    def __init__(self, child_id: UUID, data_key: bytes) -> None:
        self._aad = str(child_id).encode()
        self._data_key = data_key

    # Each use's key is derived at its first use: a registration needs only the request
    # fingerprints' (and the identifiers' when it has some), not all four (issue 17).

    @cached_property
    def _siv(self) -> AESSIV:
        return AESSIV(derive_key(self._data_key, b"casetrack free text", 64))

    @cached_property
    def _gcm(self) -> AESGCM:
        return AESGCM(derive_key(self._data_key, b"casetrack identifiers", 32))

    @cached_property
    def _mac_key(self) -> bytes:
        return derive_key(self._data_key, b"casetrack request fingerprints", 32)

    @cached_property
    def _documents(self) -> AESGCM:
        return AESGCM(derive_key(self._data_key, b"casetrack documents", 32))

    def seal(self, text: str) -> str:
        """Return ``text`` sealed; blank text stays as it is."""
        if is_blank(text) or is_sealed(text):
            return text
        ciphertext = self._siv.encrypt(text.encode(), [self._aad])
        return seal_format(len(text), base64.urlsafe_b64encode(ciphertext).decode())

    def open(self, sealed: str) -> str:
        """Return the clear text of ``sealed`` (text that is not sealed is returned as is)."""
        if not is_sealed(sealed):
            return sealed
        _, encoded = sealed_parts(sealed)
        try:
            return self._siv.decrypt(base64.urlsafe_b64decode(encoded), [self._aad]).decode()
        except InvalidTag:
            raise VaultError("sealed text does not open with this child's key") from None

    def mac(self, data: bytes) -> str:
        """Return an HMAC-SHA256 of ``data`` under the child's key (hex): it cannot be
        recomputed, or guessed at, once the key is destroyed."""
        return hmac.new(self._mac_key, data, hashlib.sha256).hexdigest()

    def seal_document(self, content: bytes, sha256: str) -> bytes:
        """Return a document's bytes sealed (a fresh nonce; the hash bound to them)."""
        nonce = os.urandom(12)
        return nonce + self._documents.encrypt(nonce, content, self._document_aad(sha256))

    def open_document(self, sealed: bytes, sha256: str) -> bytes:
        try:
            return self._documents.decrypt(sealed[:12], sealed[12:],
                                           self._document_aad(sha256))
        except InvalidTag:
            raise VaultError("the document does not open with this child's key") from None

    def _document_aad(self, sha256: str) -> bytes:
        return self._aad + b"/document/" + sha256.encode()

    def seal_record(self, record: dict[str, Any]) -> bytes:
        nonce = os.urandom(12)
        plain = json.dumps(record, sort_keys=True).encode()
        return nonce + self._gcm.encrypt(nonce, plain, self._aad)

    def open_record(self, blob: bytes) -> dict[str, Any]:
        try:
            plain = self._gcm.decrypt(blob[:12], blob[12:], self._aad)
        except InvalidTag:
            raise VaultError("the identifiers record does not open with this child's key"
                             ) from None
        record: dict[str, Any] = json.loads(plain)
        return record


def derive_key(data_key: bytes, info: bytes, length: int) -> bytes:
    """Return ``length`` bytes derived from ``data_key`` for the use ``info`` names
    (HKDF-SHA256, no salt: the key is already random)."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(
        data_key)
