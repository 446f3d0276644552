"""The ids the journey mints are declared once (domain/record_ids.py): every kind has its
own prefix, and no module builds an id from a version itself (the read side asks the
kind: ``EXCEPTION_CLAIM.id_for(version)``)."""

from __future__ import annotations

import re
from pathlib import Path

import domain.catalogue  # noqa: F401  (declares every record kind)
from domain.record_ids import RECORD_KINDS, answer_key
from domain.state import JourneyState

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("domain", "application", "infrastructure", "web")
# An f-string id built from a version: f"advice-{self.originator_version}" and the like.
HAND_MADE_ID = re.compile(r'f"[a-z_{}-]*-\{[a-z_.]*(originator_)?version\}')


def test_every_kind_has_its_own_prefix_and_answer_key() -> None:
    kinds = list(RECORD_KINDS.values())
    assert len({kind.prefix for kind in kinds}) == len(kinds)
    assert len({answer_key(kind) for kind in kinds}) == len(kinds)


def test_no_module_builds_an_id_from_a_version_itself() -> None:
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for layer in LAYERS for path in sorted((ROOT / layer).rglob("*.py"))
             for number, line in enumerate(path.read_text().splitlines(), start=1)
             if HAND_MADE_ID.search(line)]
    assert found == []


def test_a_mint_is_noted_against_its_event_once_and_answered_by_key() -> None:
    advice = RECORD_KINDS["advice_request_id"]
    steps = RECORD_KINDS["obligation_id"]
    state = JourneyState()
    assert state.mint(advice, 7) == "advice-7"
    assert state.mint(advice, 7) == "advice-7"  # a refold mints the same id again
    state.mint(steps, 9, "assess", "notice")
    state.mint(steps, 9, "assess", "draft")
    assert state.created_by(7) == {"advice_request_id": "advice-7"}
    assert state.created_by(9) == {"obligation_ids": ["order-9-assess-notice",
                                                      "order-9-assess-draft"]}
    assert state.created_by(8) == {}
