"""The HTTP edge: the app factory (``web.app``), blueprints, schemas, auth, problems,
logging, the command line.

Importing ``web`` loads nothing else, so ``casetrack --help`` and the light commands start
at once; ``from web import create_app`` loads the app factory (and Flask) when asked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from web.app import PUBLIC_ENDPOINTS, create_app

__all__ = ["PUBLIC_ENDPOINTS", "create_app"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from web import app

        return getattr(app, name)
    raise AttributeError(f"module 'web' has no attribute {name!r}")
