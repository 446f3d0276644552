"""The SEN2 person-level return's structure, as data: modules, items, nesting, code lists.

A collection year is a ``YearSpec``: its modules (each an XML element holding items and
child modules), the code lists its items take, which items are required, and what
changed from the year before. The writer, the reader, the XSD, the checks and the diff
all read it; adding a year is adding a module under ``application/sen2/years``.

Where the public sources (docs/decisions/0008, "SEN2 sources") disagree or are silent,
the item's ``note`` says so; nothing here is invented to fill a gap.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

Kind = Literal["text", "date", "flag", "code", "integer", "la", "upn", "uln", "datetime"]


@dataclass(frozen=True)
class Item:
    """One data item (a leaf element): its name, kind, code list and whether required."""

    name: str
    kind: Kind = "text"
    codes: str | None = None  # the name of a code list in the year's ``code_lists``
    required: bool = False
    max_length: int | None = None
    note: str = ""


@dataclass(frozen=True)
class Module:
    """A module (an element with items, then child modules) and how often it repeats."""

    name: str
    items: tuple[Item, ...]
    children: tuple[Module, ...] = ()
    repeats: bool = False  # more than one under its parent (Requests, PlanDetail, ...)
    required: bool = False  # at least one under its parent
    note: str = ""

    def item(self, name: str) -> Item | None:
        return next((i for i in self.items if i.name == name), None)

    def child(self, name: str) -> Module | None:
        return next((c for c in self.children if c.name == name), None)


@dataclass(frozen=True)
class Change:
    """What a year changed from the year before: an item added, moved or removed."""

    kind: Literal["added", "moved", "removed", "codes"]
    module: str  # the module path, e.g. "Person/Requests/ActivePlans"
    item: str
    to: str | None = None  # for "moved": the module path it moved to
    after: str | None = None  # for "added"/"moved": the item it follows (None: first)
    note: str = ""


@dataclass(frozen=True)
class YearSpec:
    """One collection year: the header and person modules, code lists and changes."""

    year: int
    version: str  # the DfE specification version the readers name (v1.2, v1.3)
    header: Module
    person: Module
    code_lists: Mapping[str, Mapping[str, str]]
    changes: tuple[Change, ...] = ()
    sources: tuple[str, ...] = ()
    note: str = ""

    def module(self, path: str) -> Module:
        """Return the module at ``path`` ("Person/Requests/Assessment")."""
        names = path.split("/")
        module = self.person if names[0] == "Person" else self.header
        for name in names[1:]:
            found = module.child(name)
            if found is None:
                raise KeyError(f"{path}: no module {name!r} in {self.year}")
            module = found
        return module

    def modules(self) -> Iterator[tuple[str, Module]]:
        """Yield (path, module) for every person module, parents first."""
        def walk(prefix: str, module: Module) -> Iterator[tuple[str, Module]]:
            path = f"{prefix}/{module.name}" if prefix else module.name
            yield path, module
            for child in module.children:
                yield from walk(path, child)

        yield from walk("", self.person)

    def codes(self, list_name: str) -> Mapping[str, str]:
        return self.code_lists[list_name]


# Building a year from the one before: the declared changes, applied.

def derive(base: YearSpec, *, year: int, version: str, changes: tuple[Change, ...],
           items: Mapping[str, Item] | None = None,
           code_lists: Mapping[str, Mapping[str, str]] | None = None,
           sources: tuple[str, ...] = (), note: str = "") -> YearSpec:
    """Return ``base`` with ``changes`` applied; ``items`` gives added items by name."""
    person = base.person
    items = items or {}
    for change in changes:
        if change.kind == "added":
            person = _edit(person, change.module, lambda m, c=change: _insert(
                m, items[c.item], c.after))
        elif change.kind == "removed":
            person = _edit(person, change.module, lambda m, c=change: _remove(m, c.item))
        elif change.kind == "moved":
            moved = _find(person, change.module).item(change.item) or items[change.item]
            person = _edit(person, change.module, lambda m, c=change: _remove(m, c.item))
            assert change.to is not None
            person = _edit(person, change.to, lambda m, c=change, i=moved: _insert(
                m, i, c.after))
    lists = dict(base.code_lists) | dict(code_lists or {})
    return YearSpec(year=year, version=version, header=base.header, person=person,
                    code_lists=lists, changes=changes, sources=sources or base.sources,
                    note=note)


def _find(module: Module, path: str) -> Module:
    for name in path.split("/")[1:]:
        found = module.child(name)
        if found is None:
            raise KeyError(path)
        module = found
    return module


def _edit(module: Module, path: str, change: object) -> Module:
    names = path.split("/")[1:]
    if not names:
        return change(module)  # type: ignore[operator, no-any-return]
    head, rest = names[0], "/".join([names[0], *names[1:]])
    children = tuple(_edit(c, rest, change) if c.name == head else c for c in module.children)
    if children == module.children:
        raise KeyError(path)
    return replace(module, children=children)


def _insert(module: Module, item: Item, after: str | None) -> Module:
    if module.item(item.name) is not None:
        raise ValueError(f"{module.name} already has {item.name}")
    names = [i.name for i in module.items]
    at = 0 if after is None else names.index(after) + 1
    return replace(module, items=module.items[:at] + (item,) + module.items[at:])


def _remove(module: Module, name: str) -> Module:
    if module.item(name) is None:
        raise KeyError(f"{module.name} has no {name}")
    return replace(module, items=tuple(i for i in module.items if i.name != name))


@dataclass(frozen=True)
class CodeCoverage:
    """Codes of a list the journeys cannot produce, and why (tests check the rest)."""

    list_name: str
    codes: frozenset[str] = field(default_factory=frozenset)
    reason: str = ""
