"""A document's type is told by its bytes, and a deployment names the kinds it accepts
(issue 16)."""

from __future__ import annotations

import pytest

from application.documents import (
    DOCUMENT_TYPES,
    DocumentPolicy,
    DocumentTooLargeError,
    DocumentTypeMismatchError,
    DocumentTypeNotAllowedError,
    check_document,
    sniff,
)
from tests.e2e.test_documents import DOCX_TYPE, JPEG, ODT_TYPE, PDF, PNG, docx, odt
from web.config import ConfigError, load_settings


@pytest.mark.parametrize(("content", "media_type"), [
    (PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg"),
    (docx(), DOCX_TYPE), (odt(), ODT_TYPE)])
def test_each_accepted_type_is_known_by_its_magic_bytes(content: bytes,
                                                         media_type: str) -> None:
    assert sniff(content) == media_type


@pytest.mark.parametrize("content", [
    b"", b"MZ\x90\x00", b"GIF89a", b"PK\x03\x04 not a zip", b"<html>%PDF-</html>"])
def test_other_bytes_are_of_no_accepted_type(content: bytes) -> None:
    assert sniff(content) is None


def test_a_document_passes_only_at_most_the_size_of_a_type_allowed_and_declared() -> None:
    policy = DocumentPolicy(max_bytes=len(PDF), media_types=frozenset({"application/pdf"}))
    assert check_document(policy, "application/pdf", PDF) == "application/pdf"
    with pytest.raises(DocumentTooLargeError):
        check_document(policy, "application/pdf", PDF + b" ")
    with pytest.raises(DocumentTypeNotAllowedError):
        check_document(policy, "image/png", PNG)
    with pytest.raises(DocumentTypeMismatchError, match="declared PDF but its bytes are PNG"):
        check_document(DocumentPolicy(), "application/pdf", PNG)


def test_the_deployment_names_the_kinds_it_accepts(tmp_path: object) -> None:
    environ = {"CASETRACK_DATA_DIR": str(tmp_path)}
    assert load_settings(environ).document_policy.media_types == frozenset(DOCUMENT_TYPES)
    named = load_settings({**environ, "CASETRACK_DOCUMENT_TYPES": "pdf, JPEG",
                           "CASETRACK_MAX_DOCUMENT_BYTES": "2048"}).document_policy
    assert named == DocumentPolicy(2048, frozenset({"application/pdf", "image/jpeg"}))
    with pytest.raises(ConfigError, match="'exe'"):
        load_settings({**environ, "CASETRACK_DOCUMENT_TYPES": "pdf,exe"})
    with pytest.raises(ConfigError, match="CASETRACK_MAX_DOCUMENT_BYTES"):
        load_settings({**environ, "CASETRACK_MAX_DOCUMENT_BYTES": "10"})
