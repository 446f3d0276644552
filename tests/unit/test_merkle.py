"""The log's Merkle tree answers RFC 9162's roots and proofs, and its verifiers reject
any proof that does not hold."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from infrastructure.merkle import (
    EMPTY_ROOT,
    Frontier,
    Tree,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)


def reference_root(leaves: list[bytes]) -> bytes:
    """MTH exactly as RFC 9162 §2.1.1 writes it."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


def leaves_of(n: int) -> list[bytes]:
    return [leaf_hash(f"entry {i}".encode()) for i in range(n)]


def test_the_root_of_small_trees_matches_the_rfc_definition() -> None:
    for n in range(0, 40):
        leaves = leaves_of(n)
        tree, frontier = Tree(leaves), Frontier()
        for leaf in leaves:
            frontier.append(leaf)
        assert tree.root() == frontier.root() == reference_root(leaves)
        assert Frontier.from_text(n, frontier.to_text()).root() == reference_root(leaves)
        for m in range(n + 1):
            assert tree.root(m) == reference_root(leaves[:m])
    assert Tree().root() == EMPTY_ROOT


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 70).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))))
def test_every_leaf_has_an_inclusion_proof_that_verifies(case: tuple[int, int]) -> None:
    n, index = case
    leaves = leaves_of(n)
    tree = Tree(leaves)
    proof = tree.inclusion_proof(index, n)
    assert verify_inclusion(index, n, leaves[index], proof, tree.root())
    assert not verify_inclusion(index, n, leaf_hash(b"forged"), proof, tree.root())
    if proof:
        bent = [bytes(32)] + proof[1:]
        assert not verify_inclusion(index, n, leaves[index], bent, tree.root())
    if n > 1:
        other = (index + 1) % n
        assert not verify_inclusion(other, n, leaves[index], proof, tree.root()) or \
            leaves[other] == leaves[index]


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 70).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_a_later_tree_proves_it_extends_an_earlier_one(case: tuple[int, int]) -> None:
    first, second = case
    leaves = leaves_of(second)
    tree = Tree(leaves)
    proof = tree.consistency_proof(first, second)
    assert verify_consistency(first, second, tree.root(first), tree.root(second), proof)
    if 0 < first < second:
        rewritten = list(leaves)
        rewritten[first - 1] = leaf_hash(b"rewritten")
        forged_root = Tree(rewritten).root(first)
        assert not verify_consistency(first, second, forged_root, tree.root(second), proof)
        assert not verify_consistency(first, second, tree.root(first),
                                      Tree(rewritten).root(second), proof)
        assert not verify_consistency(first, second, tree.root(first), tree.root(second),
                                      proof[:-1])
