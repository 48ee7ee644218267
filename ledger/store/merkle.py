"""The RFC 9162 (§2.1) Merkle tree over the chain, its proofs and their verifiers.

Leaves are the events' hashes in ``seq`` order: leaf ``i`` (= seq - 1) hashes
``0x00 || hash`` (32 raw bytes), a node hashes ``0x01 || left || right``, and
the tree of size ``n`` covers seq 1..n. Proofs are built from a *source* of the
complete subtrees' hashes (``source(level, index)`` is the root of leaves
``index*2**level .. (index+1)*2**level - 1``), so a stored tree answers in
O(log n) reads. The verifiers follow RFC 9162 §2.1.3.2 and §2.1.4.2 step by step.

>>> leaves = [leaf_hash(bytes([i])) for i in range(5)]
>>> src = memory_source(leaves)
>>> root = range_hash(src, 0, 5)
>>> verify_inclusion(3, 5, leaves[3], inclusion_path(src, 3, 5), root)
True
>>> verify_consistency(2, 5, range_hash(src, 0, 2), root, consistency_path(src, 2, 5))
True
>>> verify_inclusion(3, 5, leaves[2], inclusion_path(src, 3, 5), root)
False
"""

from __future__ import annotations

import hashlib
from typing import Callable, Sequence

Source = Callable[[int, int], bytes]  # (level, index) -> root of that complete subtree
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_hash(source: Source, start: int, end: int) -> bytes:
    """MTH(D[start:end]) where ``start`` is a multiple of the subtree's split (as in proofs)."""
    n = end - start
    if n == 0:
        return EMPTY_ROOT
    if n & (n - 1) == 0 and start % n == 0:
        level = n.bit_length() - 1
        return source(level, start >> level)
    k = _split(n)
    return node_hash(range_hash(source, start, start + k), range_hash(source, start + k, end))


def inclusion_path(source: Source, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1, leaf sibling first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    path, start, end = [], 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(range_hash(source, start + k, end))
            end = start + k
        else:
            path.append(range_hash(source, start, start + k))
            start += k
    return path[::-1]


def consistency_path(source: Source, first: int, second: int) -> list[bytes]:
    """PROOF(first, D[second]) of RFC 9162 §2.1.4.1 (0 < first <= second)."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    path, start, end, m, known = [], 0, second, first, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            path.append(range_hash(source, start + k, end))
            end = start + k
        else:
            path.append(range_hash(source, start, start + k))
            start, m, known = start + k, m - k, False
    if not known:
        path.append(range_hash(source, start, end))
    return path[::-1]


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes],
                     root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does ``path`` prove ``leaf`` at ``index`` in the tree ``root``?"""
    if not (_is_hash(leaf) and _is_hash(root) and all(_is_hash(p) for p in path)):
        return False
    if not 0 <= index < size:                      # step 1
        return False
    fn, sn, r = index, size - 1, leaf              # steps 2, 3
    for p in path:                                 # step 4
        if sn == 0:                                # 4a
            return False
        if fn & 1 or fn == sn:                     # 4b
            r = node_hash(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1                  # 4c
    return sn == 0 and r == root                   # step 5


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       path: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: does ``path`` prove tree ``first_root`` a prefix of ``second_root``?

    Equal sizes (which the RFC's algorithm does not cover) prove themselves only with an
    empty path and equal roots; a proof from the empty tree proves nothing and is refused.
    """
    if not (_is_hash(first_root) and _is_hash(second_root) and all(_is_hash(p) for p in path)):
        return False
    if not 0 < first <= second:
        return False
    if first == second:
        return not path and first_root == second_root
    if not path:                                   # step 1
        return False
    path = list(path)
    if first & (first - 1) == 0:                   # step 2
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1                 # step 3
    while fn & 1:                                  # step 4
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]                              # step 5
    for c in path[1:]:                             # step 6
        if sn == 0:                                # 6a
            return False
        if fn & 1 or fn == sn:                     # 6b
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1                  # 6c
    return fr == first_root and sr == second_root and sn == 0   # step 7


def _is_hash(h) -> bool:
    return isinstance(h, bytes) and len(h) == 32


def append_leaf(frontier: dict[int, bytes], index: int, leaf: bytes) -> list[tuple[int, int, bytes]]:
    """Add leaf ``index`` to the right edge (``frontier[level]`` holds the last complete
    subtree's root at each level whose bit is set in ``index``); returns the complete
    subtrees (level >= 1, index, hash) it finishes, lowest first."""
    node, level, made = leaf, 0, []
    while (index >> level) & 1:
        node = node_hash(frontier.pop(level), node)
        level += 1
        made.append((level, index >> level, node))
    frontier[level] = node
    return made


def memory_source(leaves: Sequence[bytes]) -> Source:
    """A source over leaf hashes held in memory (for tests and small trees)."""
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        row = levels[-1]
        levels.append([node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)])
    return lambda level, index: levels[level][index]
