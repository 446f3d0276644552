"""The configuration reference, generated from ``web/config.py``.

``web/config.py``'s docstring describes every ``CASETRACK_*`` variable it reads, one bullet
each; this module renders those bullets as docs/configuration.md and as README's table,
and says which variables the code reads that no bullet describes (and the reverse).
``python -m tests.configuration --write`` (``make config``) rewrites both documents.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import web.config

ROOT = Path(__file__).resolve().parent.parent
CONFIGURATION_MD = ROOT / "docs" / "configuration.md"
README = ROOT / "README.md"
START, END = "<!-- configuration: start -->", "<!-- configuration: end -->"
_NAME = re.compile(r"CASETRACK_[A-Z0-9_]+")


def source() -> str:
    return Path(web.config.__file__).read_text()


def bullets() -> list[tuple[list[str], str]]:
    """Return each docstring bullet: the variables it names and its text."""
    doc = ast.get_docstring(ast.parse(source())) or ""
    found: list[tuple[list[str], str]] = []
    for chunk in re.split(r"\n(?=- )", doc):
        if not chunk.startswith("- "):
            continue
        text = " ".join(line.strip() for line in chunk[2:].splitlines())
        names = list(dict.fromkeys(_NAME.findall(text)))
        if names:
            found.append((names, text))
    return found


def described() -> set[str]:
    return {name for names, _ in bullets() for name in names}


def read_by_code() -> set[str]:
    """Return the variable names the module reads: its string literals, not its docstring."""
    tree = ast.parse(source())
    docstring = tree.body[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if node is getattr(docstring, "value", None):
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and _NAME.fullmatch(node.value):
            names.add(node.value)
    return names


def _markdown(text: str) -> str:
    return text.replace("``", "`")


_LEAD = re.compile(r"^(?:``CASETRACK_[A-Z0-9_]+``(?:\s*/\s*)?)+:\s*")


def rows() -> list[str]:
    return [f"| {', '.join(f'`{n}`' for n in names)} | {_markdown(_LEAD.sub('', text))} |"
            for names, text in bullets()]


def render() -> str:
    return ("# Configuration\n\n"
            "<!-- generated from web/config.py by `make config`; do not edit -->\n\n"
            "Every setting is a `CASETRACK_*` environment variable, read once at start-up by\n"
            "`web/config.py`; a bad or missing setting stops the service with one line "
            "naming it.\n\n| variable | meaning |\n|---|---|\n" + "\n".join(rows()) + "\n")


def readme_table() -> str:
    return (START + "\n| variable | meaning |\n|---|---|\n" + "\n".join(rows()) + "\n"
            + END)


def readme_names() -> set[str]:
    text = README.read_text()
    if START not in text or END not in text:
        return set()
    return set(_NAME.findall(text[text.index(START):text.index(END)]))


def write() -> None:
    CONFIGURATION_MD.write_text(render())
    text = README.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(head + readme_table() + tail)


if __name__ == "__main__":
    if "--write" in sys.argv:
        write()
    else:
        print(render())
