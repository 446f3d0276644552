"""Errors raised by the domain model."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.rules import Rule


class DomainError(Exception):
    """Raised when the journey model refuses a command."""


class RuleViolationError(DomainError):
    """Raised when a command would break a statutory rule or a journey invariant."""

    def __init__(self, rule: Rule, detail: str, *, event_version: int | None = None) -> None:
        super().__init__(f"{rule.code}: {detail} ({rule.citation})")
        self.rule = rule
        self.detail = detail
        self.event_version = event_version

    @property
    def code(self) -> str:
        return self.rule.code

    @property
    def citation(self) -> str:
        return self.rule.citation


class UnknownEventTypeError(DomainError):
    """Raised when an event type is not in the journey's catalogue."""

    def __init__(self, type_name: str) -> None:
        super().__init__(f"unknown event type {type_name!r}")
        self.type_name = type_name


class InvalidFieldError(DomainError):
    """Raised when an event field is missing, unknown or of the wrong kind."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
