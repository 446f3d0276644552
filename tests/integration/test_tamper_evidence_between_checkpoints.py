"""Attacks between and on the checkpoints (issue 12.16), on SQLite and on PostgreSQL.

The witness (an append-only file outside the event database) catches deleted, reordered,
altered and re-signed checkpoints; the RFC 9162 tree proves inclusion and consistency;
automatic checkpoints bound the one window left: the events after the newest checkpoint.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, insert, update

from domain.events import JourneyEvent
from domain.integrity import event_hash
from infrastructure.checkpointing import AutoCheckpointer
from infrastructure.checkpoints import KEY_FILE, SigningKeyMissingError, key_id
from infrastructure.integrity import (
    CHECKPOINTS,
    LEAVES,
    Checkpoint,
    LogIntegrity,
    load_signing_key,
)
from infrastructure.merkle import verify_inclusion
from tests.integration import test_tamper_evidence as attacks
from tests.integration.test_tamper_evidence import MANAGER, Store, findings

store = attacks.store  # the fixture: three journeys under one checkpoint, both stores


def record(store: Store, n: int = 1, day: int = 20) -> None:
    for _ in range(n):
        store.tracking.record_event(store.children[0], "FamilyViewsSubmitted",
                                    {"author_role": "parent"}, actor=MANAGER,
                                    occurred_on=date(2024, 1, day))


def kinds(store: Store) -> list[str]:
    return [f[0] for f in findings(store)]


def witness_lines(store: Store) -> list[str]:
    assert store.log.witnesses is not None
    return store.log.witnesses.file.path.read_text().splitlines()


def rewrite_witness(store: Store, lines: list[str]) -> None:
    assert store.log.witnesses is not None
    store.log.witnesses.file.path.write_text("".join(line + "\n" for line in lines))


def test_every_checkpoint_is_appended_to_the_witness_outside_the_database(
        store: Store) -> None:
    record(store)
    second = store.log.checkpoint()
    lines = witness_lines(store)
    assert [json.loads(line) for line in lines] == [c.record()
                                                    for c in store.log.store.checkpoints()]
    assert json.loads(lines[-1])["seq"] == second.seq == 2
    path = store.log.witnesses.file.path  # type: ignore[union-attr]
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    report = store.log.verify()
    assert report.ok and report.witnessed == 2


def test_deleting_every_checkpoint_row_is_a_failure_not_zero_checkpoints(
        store: Store) -> None:
    record(store)
    store.log.checkpoint()
    with store.log.store.engine.begin() as conn:
        conn.execute(delete(CHECKPOINTS))
        conn.execute(delete(LEAVES))
    report = store.log.verify()
    assert report.checkpoints == 0 and not report.ok
    assert [f.kind for f in report.findings] == ["witness", "witness"]
    assert "missing from the store (deleted)" in report.findings[0].detail


def test_deleting_the_newest_checkpoint_with_the_tail_it_anchored_is_caught(
        store: Store) -> None:
    record(store, 2)
    latest = store.log.checkpoint()
    with store.log.store.engine.begin() as conn:
        conn.execute(delete(CHECKPOINTS).where(CHECKPOINTS.c.seq == latest.seq))
        conn.execute(delete(LEAVES).where(LEAVES.c.position > latest.position - 2))
    store.rows.delete(store.children[0], 6)
    found = store.log.verify().findings
    assert [f.kind for f in found] == ["witness"]
    assert found[0].position == latest.position


def test_reordered_or_altered_checkpoints_differ_from_the_witness(store: Store) -> None:
    record(store)
    store.log.checkpoint()
    lines = witness_lines(store)
    rewrite_witness(store, [lines[1], lines[0]])
    assert "out of order" in store.log.verify().findings[0].detail
    rewrite_witness(store, lines)
    assert store.log.verify().ok
    altered = json.loads(lines[0])
    altered["created_at"] = "2020-01-01T00:00:00+00:00"
    rewrite_witness(store, [json.dumps(altered), lines[1]])
    assert "(altered)" in store.log.verify().findings[0].detail


def test_a_checkpoint_the_witness_never_saw_is_reported(store: Store) -> None:
    record(store)
    store.log.checkpoint()
    rewrite_witness(store, witness_lines(store)[:1])
    report = store.log.verify()
    assert [f.kind for f in report.findings] == ["witness"]
    assert "not in the witness" in report.findings[0].detail
    store.log.checkpoint()  # the checkpointer gives the witness what it lacks first
    assert store.log.verify().ok and len(witness_lines(store)) == 3


def test_a_log_rewritten_and_re_signed_with_a_key_from_the_data_directory_is_caught(
        store: Store, tmp_path: Path) -> None:
    """The attacker rewrites a tail with recomputed hashes and re-signs every checkpoint
    with a key they made; verify uses the key from outside, and the witness keeps the
    checkpoints as first signed."""
    child_id = store.children[1]
    events = [e for e in store.tracking.events.get(child_id) if isinstance(e, JourneyEvent)]
    forged = object.__new__(type(events[4]))
    object.__setattr__(forged, "__dict__", dict(vars(events[4])))
    object.__setattr__(forged, "author_role", "child")
    object.__setattr__(forged, "hash", event_hash(forged))
    store.rows.set_state(child_id, 5, store.tracking.mapper.to_stored_event(forged).state)
    position = store.rows.position_of(child_id, 5)
    attacker = Ed25519PrivateKey.generate()
    attacking = LogIntegrity(store.tracking, store.log.store, attacker)
    with store.log.store.engine.begin() as conn:
        conn.execute(delete(CHECKPOINTS))
        conn.execute(update(LEAVES).where(LEAVES.c.position == position)
                     .values(digest=forged.hash))
    attacking.checkpoint()  # signs the rewritten log from scratch
    found = store.log.verify().findings
    assert {f.kind for f in found} >= {"checkpoint", "witness"}
    assert any("signed by another key" in f.detail for f in found)
    assert any("(altered)" in f.detail for f in found)


def test_production_refuses_a_signing_key_inside_the_data_directory(tmp_path: Path) -> None:
    load_signing_key(None, tmp_path, production=False)
    with pytest.raises(SigningKeyMissingError, match="outside CASETRACK_DATA_DIR"):
        load_signing_key(str(tmp_path / KEY_FILE), tmp_path, production=True)
    with pytest.raises(SigningKeyMissingError, match="required"):
        load_signing_key(None, tmp_path, production=True)
    outside = tmp_path.parent / f"{tmp_path.name}-key.pem"
    outside.write_bytes((tmp_path / KEY_FILE).read_bytes())
    key = load_signing_key(str(outside), tmp_path / "data", production=True)
    assert key_id(key.public_key())


def test_any_event_has_an_inclusion_proof_against_a_signed_checkpoint(store: Store) -> None:
    record(store, 3)
    checkpoint = store.log.checkpoint()
    for version in (1, 4):
        position = store.rows.position_of(store.children[2], version)
        answer = store.log.inclusion_proof(position)
        assert answer["checkpoint"] == checkpoint.record()
        assert answer["leaf"]["version"] == version
        proof = [bytes.fromhex(h) for h in answer["proof"]]
        assert verify_inclusion(answer["leaf_index"], checkpoint.tree_size,
                                bytes.fromhex(answer["leaf_hash"]), proof,
                                bytes.fromhex(checkpoint.root))
        assert not verify_inclusion(answer["leaf_index"], checkpoint.tree_size,
                                    bytes.fromhex(answer["leaf_hash"]), proof,
                                    bytes.fromhex(store.log.store.checkpoints()[0].root))


def test_a_checkpoint_whose_tree_does_not_extend_the_previous_one_is_reported(
        store: Store) -> None:
    """A validly signed later checkpoint over a tree that drops an anchored entry: the
    consistency check between consecutive checkpoints fails."""
    record(store)
    first = store.log.store.checkpoints()[0]
    leaves = list(store.log.store.leaves())
    from infrastructure.merkle import Frontier

    frontier = Frontier()
    for leaf in leaves[1:]:
        frontier.append(leaf.hash())
    key = store.log._key  # the real key: only the tree is wrong
    unsigned = Checkpoint(seq=2, position=first.position, tree_size=frontier.size,
                          root=frontier.root().hex(), created_at=first.created_at,
                          key_id=first.key_id, previous=first.digest())
    signed = replace(unsigned, signature=base64.b64encode(
        key.sign(unsigned.statement())).decode())
    with store.log.store.engine.begin() as conn:
        conn.execute(insert(CHECKPOINTS), [asdict(signed)])
    found = [f.detail for f in store.log.verify().findings]
    assert any("does not extend checkpoint 1" in d or "consistency" in d for d in found)


def test_a_consistent_rewrite_after_the_newest_checkpoint_is_the_residual_window(
        store: Store) -> None:
    """Documented residual (ADR 0004): events after the newest checkpoint are covered by
    their chains only. The automatic checkpointer bounds that window to N events."""
    checkpointer = AutoCheckpointer(store.log, every_events=3, every_seconds=0)
    record(store, 2)
    assert checkpointer.tick() is None  # 2 < 3 events unanchored: inside the window
    store.rows.delete(store.children[0], 7)  # drop the newest event
    report = store.log.verify()
    assert report.ok and report.unanchored_events == 1  # not detectable: the window
    record(store, 3)
    made = checkpointer.tick()
    assert made is not None and made.tree_size == 15 + 4
    store.rows.delete(store.children[0], 9)  # now anchored: detected
    assert "log" in kinds(store)


def test_automatic_checkpoints_come_after_n_events_or_m_minutes(store: Store) -> None:
    clock = {"now": datetime.now(UTC)}
    checkpointer = AutoCheckpointer(store.log, every_events=100, every_seconds=300,
                                    now=lambda: clock["now"])
    assert not checkpointer.due()  # nothing unanchored
    record(store)
    assert not checkpointer.due()
    clock["now"] += timedelta(minutes=5, seconds=1)
    made = checkpointer.tick()
    assert made is not None and made.seq == 2 and store.log.verify().ok
    assert json.loads(witness_lines(store)[-1])["seq"] == 2


def test_the_automatic_checkpointer_refuses_to_anchor_a_tampered_unanchored_event(
        store: Store) -> None:
    record(store, 2)
    state = store.rows.state(store.children[0], 6)
    state["author_role"] = "child"
    store.rows.set_state(store.children[0], 6, state)
    checkpointer = AutoCheckpointer(store.log, every_events=1, every_seconds=0)
    assert checkpointer.tick() is None
    assert checkpointer.refused is not None
    assert checkpointer.refused.findings[0].version == 6
    assert len(store.log.store.checkpoints()) == 1


def test_the_automatic_checkpointer_refuses_when_the_anchored_tail_was_truncated(
        store: Store) -> None:
    last = max(store.children, key=lambda c: store.rows.position_of(c, 5))
    position = store.rows.position_of(last, 5)
    store.rows.delete(last, 5)
    record(store, 2)  # SQLite may give the freed position to a new event: still caught
    checkpointer = AutoCheckpointer(store.log, every_events=1, every_seconds=0)
    assert checkpointer.tick() is None
    assert checkpointer.refused is not None
    finding = checkpointer.refused.findings[0]
    assert (finding.kind, finding.child_id, finding.version, finding.position) == (
        "log", str(last), 5, position)
