"""A child's cipher derives each use's key from the child's data key (HKDF-SHA256, no salt)
at its first use: what it seals, opens and MACs is what keys derived up front give, so text
sealed before still opens."""

from __future__ import annotations

import base64
import hashlib
import hmac
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from domain.personal_data import sealed_parts
from infrastructure.ciphers import ChildCipher

CHILD = UUID("8c0f3a52-7f3e-4d2b-9a51-3b1f2c4d5e6f")
DATA_KEY = bytes(range(32))


def hkdf(info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(
        DATA_KEY)


def test_free_text_is_sealed_with_the_aes_siv_key_derived_for_free_text() -> None:
    sealed = ChildCipher(CHILD, DATA_KEY).seal("Needs a quiet room for assessments.")
    _, encoded = sealed_parts(sealed)
    expected = AESSIV(hkdf(b"casetrack free text", 64)).encrypt(
        b"Needs a quiet room for assessments.", [str(CHILD).encode()])
    assert base64.urlsafe_b64decode(encoded) == expected
    assert ChildCipher(CHILD, DATA_KEY).open(sealed) == "Needs a quiet room for assessments."


def test_request_fingerprints_are_macs_under_the_key_derived_for_them() -> None:
    mac_key = hkdf(b"casetrack request fingerprints", 32)
    assert ChildCipher(CHILD, DATA_KEY).mac(b"POST\n/children\n{}") == hmac.new(
        mac_key, b"POST\n/children\n{}", hashlib.sha256).hexdigest()


def test_identifiers_and_documents_open_with_the_keys_derived_for_them() -> None:
    cipher = ChildCipher(CHILD, DATA_KEY)
    record = cipher.seal_record({"name": "A. Child"})
    assert AESGCM(hkdf(b"casetrack identifiers", 32)).decrypt(
        record[:12], record[12:], str(CHILD).encode()) == b'{"name": "A. Child"}'
    document = cipher.seal_document(b"%PDF-1.7", "ab" * 32)
    assert AESGCM(hkdf(b"casetrack documents", 32)).decrypt(
        document[:12], document[12:], str(CHILD).encode() + b"/document/" + b"ab" * 32
    ) == b"%PDF-1.7"
    assert ChildCipher(CHILD, DATA_KEY).open_record(record) == {"name": "A. Child"}


def test_threads_sharing_a_new_cipher_each_get_the_same_seal() -> None:
    cipher = ChildCipher(CHILD, DATA_KEY)
    with ThreadPoolExecutor(8) as pool:
        sealed = set(pool.map(lambda _: cipher.seal("Speech and language."), range(64)))
    assert sealed == {ChildCipher(CHILD, DATA_KEY).seal("Speech and language.")}
