"""Bad input refused before anything parses it (issue 12): JSON nested deeper than any
request needs, lone UTF-16 surrogates, and NUL characters, in bodies and query strings.

Each is a 422 problem naming what is wrong; nothing is stored. The checks are scans of
the raw text (C-speed regular expressions), so a hostile 1 MiB body costs milliseconds,
and ``json.loads`` never recurses deeply enough to fail.
"""

from __future__ import annotations

import re

from flask import Flask

from web.context import current_request
from web.problems import validation_problem

# The deepest a request of ours nests is about six (an event's evidence, a plan's
# sections); 32 leaves room and stays far below any recursion limit.
MAX_JSON_DEPTH = 32
JSON_TYPES = ("application/json", "application/x-ndjson", "application/problem+json")
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")
# A \uD800-\uDBFF escape not followed by a \uDC00-\uDFFF one, or a low one not preceded
# by a high one (an escaped backslash before it, ``\\uD800``, is text, not an escape).
_LONE_SURROGATE = re.compile(
    rb"(?<!\\)(?:\\\\)*\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})(?<!\\)(?:\\\\)*\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def json_depth(body: bytes) -> int:
    """Return how deep ``body``'s arrays and objects nest (strings ignored)."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub(b'""', body)):
        if bracket in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def body_problem(body: bytes) -> str | None:
    """Return why a JSON (or NDJSON) body is refused unread, or None.

    Each full scan runs only when a count over the raw bytes allows what it looks for
    (C-speed, a few microseconds for an ordinary body): nesting deeper than the limit needs
    more opening brackets than the limit, and an escaped surrogate or NUL needs ``\\u``."""
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH \
            and json_depth(body) > MAX_JSON_DEPTH:
        return f"JSON nests deeper than {MAX_JSON_DEPTH} levels"
    if b"\\u" not in body:
        return None
    if _LONE_SURROGATE.search(body):
        return "a string holds a lone UTF-16 surrogate (\\ud800-\\udfff without its pair)"
    if _NUL.search(body):
        return "a string holds a NUL character (\\u0000)"
    return None


def query_problem(args: dict[str, list[str]]) -> tuple[str, str] | None:
    """Return the query parameter and why it is refused (a NUL or a surrogate), or None."""
    for name, values in args.items():
        for text in (name, *values):
            if "\x00" in text:
                return name, "holds a NUL character"
            if any("\ud800" <= ch <= "\udfff" for ch in text):
                return name, "holds a lone UTF-16 surrogate"
    return None


def init_app(app: Flask) -> None:
    """Refuse bad bodies and query strings before any view or parser reads them."""

    @app.before_request
    def refuse_bad_input() -> None:
        asked = current_request()
        args = asked.args
        found = query_problem(args.to_dict(flat=False)) if args else None
        if found is not None:
            raise validation_problem([{"pointer": f"/query/{found[0][:40]}",
                                       "detail": found[1]}], f"{found[0][:40]} {found[1]}")
        if asked.environ.get("CONTENT_TYPE") and asked.mimetype in JSON_TYPES \
                and asked.content_length != 0:  # (no type, as a GET's: no JSON body)
            why = body_problem(asked.get_data(cache=True))
            if why is not None:
                raise validation_problem([{"pointer": "/", "detail": why}], why)
