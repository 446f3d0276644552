"""Which documented shape a field's nested value has, declared on the field itself.

A payload field annotated ``Annotated[dict[str, Any], Shape("plan_sections")]`` holds a
value whose shape is documented and checked where requests come in: the request schema
for the shape (``web.plan_sections`` for plan sections) refuses every shape error at
once (422, a pointer each), before anything is recorded. The domain keeps its statutory
rules (409) and replays whatever stored value an older request left, whatever its shape.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Shape:
    """Marks a field whose value has the documented shape ``name``."""

    name: str
    description: str = ""


@cache
def shape_of(cls: type, field_name: str) -> Shape | None:
    """Return the shape ``cls``'s field ``field_name`` declares, if any."""
    hint = typing.get_type_hints(cls, include_extras=True).get(field_name)
    for arm in (hint, *typing.get_args(hint)):
        if typing.get_origin(arm) is typing.Annotated:
            for extra in arm.__metadata__:
                if isinstance(extra, Shape):
                    return extra
    return None
