"""Choices for the command line read only when needed, so building the parser (and
``casetrack --help``) never imports the domain or the infrastructure."""

from __future__ import annotations

import argparse
import copy
from collections.abc import Callable, Iterable, Iterator
from typing import Any


class LazyChoices:
    """An argparse ``choices`` whose values come from ``load`` the first time they are
    checked or listed; ``shown``, when given, is what ``--help`` lists instead, so it
    need not load them (a copy of the definition, tested equal to it:
    tests/e2e/test_command_line.py)."""

    def __init__(self, load: Callable[[], Iterable[str]],
                 shown: Iterable[str] | None = None) -> None:
        self._load = load
        self._values: list[str] | None = None
        self.shown = sorted(shown) if shown is not None else None

    def _all(self) -> list[str]:
        if self._values is None:
            self._values = sorted(self._load())
        return self._values

    def __contains__(self, value: object) -> bool:
        return value in self._all()

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


# What `casetrack token --help` lists; a token is checked against application.access.ROLES.
ROLES_SHOWN = ("admin", "auditor", "caseworker", "family", "inspector", "manager", "partner")


def roles() -> LazyChoices:
    def load() -> Iterable[str]:
        from application.access import ROLES

        return ROLES

    return LazyChoices(load, shown=ROLES_SHOWN)


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, reading an option's choices only when its help shows them
    (``%(choices)s``): argparse lists every option's choices to expand its help."""

    def _expand_help(self, action: argparse.Action) -> str:
        if "%(choices)" not in (action.help or "") and action.choices is not None:
            action = copy.copy(action)
            action.choices = None
        elif isinstance(choices := action.choices, LazyChoices) and choices.shown is not None:
            action = copy.copy(action)
            action.choices = choices.shown
        return super()._expand_help(action)


class Parser(argparse.ArgumentParser):
    """The ``casetrack`` parser (its subcommands' parsers are of its class)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)
