"""The layers keep to their own (docs/design.md; issue 11): the domain speaks SEND with
the standard library and eventsourcing only; application/ and infrastructure/ know no
web framework and assemble no HTML, which is written by web/templates."""

from __future__ import annotations

import ast
import re
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB_ONLY = frozenset({"flask", "flask_smorest", "flask_limiter", "werkzeug", "marshmallow",
                      "jinja2", "markupsafe", "web"})
# An HTML element in a string: the page's building blocks, not a word in angle brackets
# such as "<needs code>" in a docstring.
ELEMENT = re.compile(r"</?(?:html|head|body|main|section|h[1-6]|p|ul|ol|li|table|caption|"
                     r"tr|td|th|strong|em|div|span|br)(?:\s[^<>]*)?/?>", re.IGNORECASE)


@cache
def trees(package: str) -> tuple[tuple[str, ast.Module], ...]:
    return tuple((path.relative_to(ROOT).as_posix(), ast.parse(path.read_text("utf-8")))
                 for path in sorted((ROOT / package).rglob("*.py")))


def imported(package: str) -> dict[str, set[str]]:
    """Each top-level module the package imports, with the files that import it."""
    found: dict[str, set[str]] = {}
    for path, tree in trees(package):
        for node in ast.walk(tree):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom)
                     and node.level == 0 else [])
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(path)
    return found


def test_the_domain_imports_only_the_standard_library_and_eventsourcing() -> None:
    outside = {name: files for name, files in imported("domain").items()
               if name not in sys.stdlib_module_names and name not in ("domain", "eventsourcing")}
    assert outside == {}


def test_application_and_infrastructure_know_no_web_framework() -> None:
    for package in ("application", "infrastructure"):
        web = {name: files for name, files in imported(package).items() if name in WEB_ONLY}
        assert web == {}, package


def docstrings(tree: ast.Module) -> set[int]:
    """The ids of the docstrings' nodes: words about the code, which may name "<body>"."""
    return {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef
                          | ast.AsyncFunctionDef)
            and node.body and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)}


def test_no_html_is_assembled_outside_web() -> None:
    html = []
    for package in ("application", "infrastructure"):
        for path, tree in trees(package):
            skip = docstrings(tree)
            html += [f"{path}:{node.lineno} {node.value[:40]!r}" for node in ast.walk(tree)
                     if isinstance(node, ast.Constant) and isinstance(node.value, str)
                     and id(node) not in skip and ELEMENT.search(node.value)]
    assert html == [], "write HTML in web/templates, fed plain data"


def test_the_html_check_finds_html() -> None:
    assert ELEMENT.search("out.append(f'<li>{x}</li>')")
    assert ELEMENT.search("<td class='n'>") and ELEMENT.search("<br/>")
    assert not ELEMENT.search('{"need": <needs code>, "provision": <text>}')
