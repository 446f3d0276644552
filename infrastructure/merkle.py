"""An RFC 9162 (Certificate Transparency 2.0) Merkle tree over the log's leaves.

- ``leaf_hash(d) = SHA-256(0x00 || d)``, ``node_hash(l, r) = SHA-256(0x01 || l || r)``,
  the root of the empty tree is ``SHA-256("")`` (RFC 9162 §2.1.1).
- ``Frontier``: the right edge of a tree (one perfect subtree per set bit of its size),
  enough to append leaves and compute the root without the earlier leaves. A
  checkpoint stores its frontier, and the frontier is trusted only if it folds to the
  signed root.
- ``Tree``: every level of a tree held in memory, to answer the root at any earlier
  size, inclusion proofs (§2.1.3) and consistency proofs (§2.1.4).
- ``verify_inclusion`` and ``verify_consistency`` are the RFC's verification
  algorithms (§2.1.3.2, §2.1.4.2): they need only hashes, so anyone holding two signed
  checkpoints can check a proof offline.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """Raised when a proof is asked for sizes or an index the tree cannot answer."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """Return the largest power of two strictly smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


class Frontier:
    """The perfect subtrees on a tree's right edge, largest first."""

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != bin(size).count("1"):
            raise ValueError(f"a tree of {size} leaves has {bin(size).count('1')} "
                             f"frontier hashes, not {len(hashes)}")
        self.size = size
        self._hashes = list(hashes)

    def append(self, leaf: bytes) -> None:
        """Append one leaf hash, merging the perfect subtrees it completes."""
        node, size = leaf, self.size
        while size & 1:
            node = node_hash(self._hashes.pop(), node)
            size >>= 1
        self._hashes.append(node)
        self.size += 1

    def root(self) -> bytes:
        if not self._hashes:
            return EMPTY_ROOT
        root = self._hashes[-1]
        for left in reversed(self._hashes[:-1]):
            root = node_hash(left, root)
        return root

    def to_text(self) -> str:
        return ",".join(h.hex() for h in self._hashes)

    @classmethod
    def from_text(cls, size: int, text: str) -> Frontier:
        return cls(size, [bytes.fromhex(part) for part in text.split(",") if part])


class Tree:
    """A whole tree in memory: level 0 holds the leaf hashes, level j the perfect
    subtrees of 2**j leaves."""

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        for leaf in leaves:
            self.append(leaf)

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, leaf: bytes) -> None:
        self.levels[0].append(leaf)
        level = 0
        while len(self.levels[level]) % 2 == 0:
            below = self.levels[level]
            if len(self.levels) == level + 1:
                self.levels.append([])
            self.levels[level + 1].append(node_hash(below[-2], below[-1]))
            level += 1

    def root(self, size: int | None = None) -> bytes:
        """Return MTH(D[0:size]) (the whole tree by default)."""
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ProofError(f"the tree has {self.size} leaves, not {size}")
        return self._hash(0, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """Return PATH(index, D[0:size]) (RFC 9162 §2.1.3.1)."""
        if not 0 <= index < size <= self.size:
            raise ProofError(f"no leaf {index} in a tree of {size} leaves")
        return self._path(index, 0, size)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """Return PROOF(first, D[0:second]) (RFC 9162 §2.1.4.1)."""
        if not 0 <= first <= second <= self.size:
            raise ProofError(f"no consistency proof from {first} to {second} leaves")
        if first in (0, second):
            return []
        return self._subproof(first, 0, second, True)

    def _hash(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) from the stored perfect subtrees."""
        n = end - start
        if n == 0:
            return EMPTY_ROOT
        level = n.bit_length() - 1
        if n == 1 << level and start % n == 0:
            return self.levels[level][start >> level]
        k = _largest_power_of_two_below(n)
        return node_hash(self._hash(start, start + k), self._hash(start + k, end))

    def _path(self, index: int, start: int, end: int) -> list[bytes]:
        n = end - start
        if n == 1:
            return []
        k = _largest_power_of_two_below(n)
        if index < k:
            return self._path(index, start, start + k) + [self._hash(start + k, end)]
        return self._path(index - k, start + k, end) + [self._hash(start, start + k)]

    def _subproof(self, m: int, start: int, end: int, whole: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if whole else [self._hash(start, end)]
        k = _largest_power_of_two_below(n)
        if m <= k:
            return self._subproof(m, start, start + k, whole) + [self._hash(start + k, end)]
        return self._subproof(m - k, start + k, end, False) + [self._hash(start, start + k)]


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes],
                     root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does ``proof`` show leaf ``index`` is in the tree ``root``?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: does ``proof`` show tree ``second`` extends tree ``first``?"""
    if not 0 <= first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof and first_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of two: the old root is a node
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0
