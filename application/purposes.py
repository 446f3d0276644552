"""Why someone looks: a lawful purpose from the deployment's list, and its reference.

A stated purpose (``X-Access-Purpose`` or ``?purpose=``) reads ``<purpose>: <reference>``,
for example ``complaint: CMP-2025-0042``: the purpose is one of the configured lawful
purposes (``CASETRACK_PURPOSES``), the reference the complaint, case or request it is
for. A purpose that is malformed, unknown, too long or without a reference is refused
with a 422 that says why; it is never cut or quietly ignored (issue 12.3).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from application.errors import ApplicationError

# The default list; a deployment sets its own with CASETRACK_PURPOSES.
LAWFUL_PURPOSES = (
    "complaint", "subject-access", "safeguarding", "legal-proceedings", "tribunal",
    "ombudsman", "data-protection-audit", "information-request",
    # Distributing the inspectorate's survey to families during an area SEND inspection
    # (application.send_list.survey_contacts).
    "inspection-survey",
)
MAX_PURPOSE_LENGTH = 300
MIN_REFERENCE_LENGTH = 3


class PurposeRefusedError(ApplicationError):
    """Raised when a stated purpose is not one the deployment accepts."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Purpose:
    """A lawful purpose and the reference it is for."""

    name: str
    reference: str

    def __str__(self) -> str:
        return f"{self.name}: {self.reference}"


def parse_purpose(text: str, lawful: Iterable[str]) -> Purpose:
    """Return the purpose ``text`` states, or raise ``PurposeRefusedError`` saying why."""
    allowed = sorted(lawful)
    if len(text) > MAX_PURPOSE_LENGTH:
        raise PurposeRefusedError("purpose-too-long", f"a purpose is at most "
                                  f"{MAX_PURPOSE_LENGTH} characters, got {len(text)}")
    if not text.isprintable():
        raise PurposeRefusedError("purpose-malformed", "a purpose is one line of printable "
                                  "text")
    name, colon, reference = text.partition(":")
    name, reference = name.strip().lower(), reference.strip()
    if name not in allowed:
        raise PurposeRefusedError("purpose-not-lawful", f"{name[:40]!r} is not a lawful "
                                  "purpose here; state one of " + ", ".join(allowed)
                                  + " as '<purpose>: <reference>'")
    if not colon or len(reference) < MIN_REFERENCE_LENGTH:
        raise PurposeRefusedError("purpose-reference-missing", f"state the reference the "
                                  f"{name} is for (a complaint, case or request number) as "
                                  f"'{name}: <reference>' (at least {MIN_REFERENCE_LENGTH} "
                                  "characters)")
    return Purpose(name, reference)
