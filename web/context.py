"""The current request and its globals, taken from Flask's proxies once per hook or view.

``flask.request`` and ``flask.g`` are proxies: every attribute read through one finds the
context again (about 2 us: werkzeug's proxy raises and catches an ``AttributeError`` on
each read), and a write crosses some fifteen hooks that read forty-odd attributes. Code
that reads several takes the object behind the proxy once, by the proxies' documented way
to it (``_get_current_object``: werkzeug's "Context Locals", Flask's "Notes On Proxies").
"""

from __future__ import annotations

from typing import Any, cast

from flask import Flask, Request, current_app, g, request
from werkzeug.local import LocalProxy


def current_application() -> Flask:
    """Return the app handling the request (what ``flask.current_app`` stands for now)."""
    return cast("LocalProxy[Flask]", current_app)._get_current_object()


def current_request() -> Request:
    """Return the request being handled (what ``flask.request`` stands for now)."""
    return cast("LocalProxy[Request]", request)._get_current_object()


def request_globals() -> Any:
    """Return the request's globals (what ``flask.g`` stands for now)."""
    return cast("LocalProxy[Any]", g)._get_current_object()
