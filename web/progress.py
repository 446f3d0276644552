"""Progress of long command-line work, on stderr: what is being done, the items done of
the total, the rate, the time taken and the time left (rich, ADR 0023).

Shown when stderr is a terminal, never when it is piped or redirected (a log or a cron
mail gets no bar), unless the command says ``--progress``; ``--quiet`` turns it off.
rich is imported only when a bar is shown, so ``casetrack --help`` stays fast. The use
cases only count (``application.progress.Progress``); they never print.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from application.progress import SILENT, Progress

# rich redraws ten times a second; advances are handed to it no more often.
REDRAW_SECONDS = 0.1


def add_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--progress`` and ``--quiet`` to a long command."""
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--progress", dest="progress", action="store_true", default=None,
                       help="show progress on stderr even when it is not a terminal")
    shown.add_argument("--quiet", dest="progress", action="store_false",
                       help="show no progress (default when stderr is not a terminal)")


def wanted(args: argparse.Namespace, stream: TextIO | None = None) -> bool:
    """Tell whether to show progress: as the command said, else when stderr is a terminal."""
    choice = getattr(args, "progress", None)
    if choice is not None:
        return bool(choice)
    stream = stream or sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


@contextmanager
def progress_for(args: argparse.Namespace) -> Iterator[Progress]:
    """Yield the progress a command reports to: a bar on stderr, or nothing shown."""
    if not wanted(args):
        yield SILENT
        return
    bar = TerminalProgress(sys.stderr, forced=getattr(args, "progress", None) is True)
    try:
        yield bar
    finally:
        bar.close()


class TerminalProgress:
    """A rich progress display: one line per stage, kept on the screen when done."""

    def __init__(self, stream: TextIO, *, forced: bool = False) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        console = Console(file=stream, force_terminal=True if forced else None)
        self._rich = RichProgress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            _rate_column(), TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
            console=console)
        self._rich.start()
        self._task: Any = None
        self._pending = 0
        self._flushed = time.monotonic()

    def start(self, what: str, total: int | None) -> None:
        self._flush()
        self._task = self._rich.add_task(what, total=total)

    def advance(self, count: int = 1) -> None:
        self._pending += count
        if time.monotonic() - self._flushed >= REDRAW_SECONDS:
            self._flush()

    def close(self) -> None:
        self._flush()
        self._rich.stop()

    def _flush(self) -> None:
        if self._task is not None and self._pending:
            self._rich.advance(self._task, self._pending)
            self._pending = 0
        self._flushed = time.monotonic()


def _rate_column() -> Any:
    """Return a column showing items a second (rich's own speed column counts bytes)."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class RateColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed
            return Text("?/s" if speed is None else f"{speed:,.0f}/s")

    return RateColumn()
