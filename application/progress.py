"""How long work tells whoever runs it how far it has got (the command line shows it on
the terminal: web/progress.py). A use case takes a ``Progress`` and never prints."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Told what is being done and how many items there are, then each item done."""

    def start(self, what: str, total: int | None) -> None:
        """Begin a stage of ``total`` items (None: not known)."""

    def advance(self, count: int = 1) -> None:
        """Count ``count`` more items of the stage done."""


class Silent:
    """Progress nobody watches (the HTTP API, tests, a command whose output is piped)."""

    def start(self, what: str, total: int | None) -> None:
        return None

    def advance(self, count: int = 1) -> None:
        return None


SILENT: Progress = Silent()
