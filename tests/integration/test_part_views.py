"""A current state view takes ``plain`` of each state part it shares with an earlier
state as first made for that part (``application.kept_views.PartViews``, issue 17); on
both stores, after each write (by this application or a second one on the same store),
with sealed free text, a correction, a retraction and an erased key, the answer equals
the state view built afresh from the events as stored and revealed whole."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from application.kept_views import BuiltView, PartViews, kept_views, part_views
from application.personal_data import holds_sealed
from application.tracking import CaseTracking
from tests.integration.test_timeline_cache import (
    CASEWORKER,
    MANAGER,
    WRITES,
    apps,  # noqa: F401  (fixture)
    fresh,
    state_of,
)


def same(answer: dict[str, Any], expected: dict[str, Any]) -> None:
    assert answer == expected
    assert json.dumps(answer, default=str) == json.dumps(expected, default=str)


def test_the_state_view_from_kept_parts_equals_the_fresh_one_after_every_change(
        apps: list[CaseTracking]) -> None:  # noqa: F811
    reader, other = apps
    parts = part_views(reader)
    child = reader.register_child(authority="LA-901", date_of_birth=date(2015, 3, 2),
                                  actor=CASEWORKER, occurred_on=date(2024, 1, 2)).child_id
    writes = [*WRITES, ("ChildViewsRecorded", {  # a sealed reference in the state
        "document_ref": "Her drawing of her class", "method": "drawing",
        "about": "assessment"}, date(2024, 3, 3), CASEWORKER)]
    reused: list[int] = []
    for n, (type_name, payload, on, actor) in enumerate(writes):
        apps[n % 2].record_event(child, type_name, payload, occurred_on=on, actor=actor)
        hits = parts.hits
        for viewer in (CASEWORKER, MANAGER):
            same(reader.get_journey(child, actor=viewer),
                 state_of(fresh(reader, child, viewer)))
        reused.append(parts.hits - hits)
    # An event folded onto the state before (not an amendment, not sorting before an
    # effective event) changes a part or two: the others were viewed as first made.
    assert sum(reused) >= 30 and max(reused) >= 12
    assert "Her drawing of her class" in repr(reader.get_journey(child, actor=CASEWORKER))
    assert reader.vault is not None and reader.vault.shred(child)
    erased = reader.get_journey(child, actor=CASEWORKER)
    same(erased, state_of(fresh(reader, child, CASEWORKER)))
    assert "Her drawing" not in repr(erased) and "[erased]" in repr(erased)
    assert kept_views(reader).misses["state"] >= len(writes)


def test_a_part_is_kept_as_itself_and_bounded() -> None:
    parts = PartViews(maxsize=2)
    first, second, third = [{"a": 1}], [{"a": 1}], [("sealed-or-not",)]
    made = parts.view(first)
    assert parts.view(first) is made and parts.hits == 1
    assert parts.view(second) is not made and parts.view(second) == made  # by identity
    assert parts.sealed_of(made) is False
    shown = parts.view(third)
    assert shown == [["sealed-or-not"]]
    assert parts.sealed_of(shown) is holds_sealed(shown)
    assert parts.view(first) is not made  # dropped, the least recently viewed
    assert parts.misses == 4 and len(parts._kept) == 2  # noqa: SLF001


def test_a_built_view_marks_the_parts_reveal_would_change_as_walking_it_whole() -> None:
    view = {"episodes": {"a": {"x": 1}, "b": [("t",)], "c": []}, "next_due": {"d": 1.0},
            "clocks": [{"x": "y"}], "n": float("nan"), "e": {"z": float("nan")}}
    built = BuiltView(view)
    expected = {key: frozenset(k for k, v in value.items() if holds_sealed(v))
                if isinstance(value, dict) else None
                for key, value in view.items() if holds_sealed(value)}
    assert built.sealed.keys() - {"e"} == expected.keys() - {"e"}
    assert built.sealed["episodes"] == expected["episodes"] == {"b"}
