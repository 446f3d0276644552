"""Errors raised by the application layer (the domain's own errors pass through)."""

from __future__ import annotations


class ApplicationError(Exception):
    """Raised when a use case cannot be carried out."""


class ChildNotFoundError(ApplicationError):
    """Raised when no journey has the given child id."""

    def __init__(self, child_id: object) -> None:
        super().__init__(f"no journey with child id {child_id}")
        self.child_id = child_id


class VersionNotFoundError(ApplicationError):
    """Raised when a read names a journey version the journey has not reached."""

    def __init__(self, version: int, current: int) -> None:
        super().__init__(f"the journey has no version {version}; it is at version {current}")
        self.version = version
        self.current = current


class StaleVersionError(ApplicationError):
    """Raised when a write names a journey version that is no longer current (If-Match)."""

    def __init__(self, expected: int, current: int) -> None:
        super().__init__(f"the journey is at version {current}, not {expected}")
        self.expected = expected
        self.current = current


class GroupNotCommittedError(ApplicationError):
    """Raised when the group of records a record was saved with failed to commit."""

    def __init__(self, cause: str) -> None:
        super().__init__(f"the group this record was saved with did not commit ({cause})")


class ConcurrentWriteError(ApplicationError):
    """Raised when another write to the same journey won twice in a row."""


class CaseReferenceTakenError(ApplicationError):
    """Raised when an authority's case reference already names another journey."""

    def __init__(self, authority: str, case_ref: str) -> None:
        super().__init__(f"case reference {case_ref!r} is already used in {authority}")
        self.authority = authority
        self.case_ref = case_ref


class ForbiddenError(ApplicationError):
    """Raised when the actor may not act on this journey."""


class JourneyDamagedError(ApplicationError):
    """Raised when a journey's stored events are not a whole sequence (a version missing):
    it fails its integrity check, and no state is derived from it (issue 12.12)."""

    def __init__(self, child_id: object, versions: tuple[object, ...] = ()) -> None:
        super().__init__(f"the journey {child_id} fails its integrity check: its stored "
                         "events are not a whole sequence of versions; nothing is derived "
                         f"from it until it is restored (GET /children/{child_id}/integrity shows "
                         "where)")
        self.child_id = child_id
        self.versions = versions
