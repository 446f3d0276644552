"""Choices for the command line read only when needed, so building the parser (and
``casetrack --help``) never imports the domain or the infrastructure."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator


class LazyChoices:
    """An argparse ``choices`` whose values come from ``load`` the first time they are
    checked or listed."""

    def __init__(self, load: Callable[[], Iterable[str]]) -> None:
        self._load = load
        self._values: list[str] | None = None

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


def roles() -> LazyChoices:
    def load() -> Iterable[str]:
        from application.access import ROLES

        return ROLES

    return LazyChoices(load)
