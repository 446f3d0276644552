"""The HTML pages people read, rendered from the Jinja2 templates in ``web/templates``.

One environment serves the views and the command line alike: autoescaped (every value
is text, never markup), undefined names an error, and two filters for a reader's dates:
``full_date`` ("8 January 2024") and ``prose`` (escaped free text with any ISO date in it
written in full).
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from application.parent_page import ParentPage

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
_ISO = re.compile(r"\b(\d{4}-\d{2}-\d{2})(T[0-9:.+]+Z?)?\b")


def full_date(day: date | str) -> str:
    """Return ``day`` in full, e.g. "8 January 2024"."""
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def prose(value: Any) -> Markup:
    """Escape free text for HTML, writing any ISO date in it in full."""
    return Markup(_ISO.sub(lambda m: full_date(m.group(1)), str(escape(str(value)))))


@cache
def environment() -> Environment:
    """Return the templates' environment (built once, on first use)."""
    env = Environment(loader=PackageLoader("web", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["full_date"] = full_date
    env.filters["prose"] = prose
    return env


def render(template: str, **context: Any) -> str:
    """Render one of ``web/templates`` with ``context``."""
    return environment().get_template(template).render(**context)


def parent_page_html(page: ParentPage) -> str:
    """Write the parent page: a printable report a family can read, without script."""
    return render("parent_page.html", page=page)
