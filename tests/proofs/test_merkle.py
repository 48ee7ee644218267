"""The Merkle tree against RFC 9162 / Certificate Transparency test vectors, and a
property: honest proofs verify, any single-bit change is refused."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings, strategies as st

from ledger.store.merkle import (
    EMPTY_ROOT, append_leaf, consistency_path, inclusion_path, leaf_hash, memory_source,
    range_hash, verify_consistency, verify_inclusion)

# RFC 9162 / Certificate Transparency test vectors: the standard leaf set, the roots of
# its trees of size 0..8, and inclusion / consistency paths.
LEAF_INPUTS = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f")]
ROOTS = [bytes.fromhex(h) for h in (
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")]
# (leaf index, tree size, path)
INCLUSION = [
    (0, 1, []),
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
# (first size, second size, path)
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]
# edge cases from the same vectors: (size1, size2, root1, root2, path (base64)), all refused
B = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="  # the empty tree's root
REFUSED_CONSISTENCY = [
    (0, 1, B, B, [B]), (0, 0, B, "ZG9uJ3QgY2FyZSAy", []), (1, 1, B, "ZG9uJ3QgY2FyZSAy", []),
    (2, 1, "ZG9uJ3QgY2FyZSAx", "ZG9uJ3QgY2FyZSAy", []), (1, 0, "ZG9uJ3QgY2FyZSAx", B, []),
    (0, 1, B, "ZG9uJ3QgY2FyZSAy", []), (1, 2, "ZG9uJ3QgY2FyZSAx", "ZG9uJ3QgY2FyZSAy", []),
    (1, 1, B, B, [B]), (0, 0, B, B, [B]), (0, 0, B, B, []),
]

LEAVES = [leaf_hash(d) for d in LEAF_INPUTS]
SOURCE = memory_source(LEAVES)


def test_leaf_and_empty_hashes():
    assert LEAVES[0].hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert EMPTY_ROOT == ROOTS[0]


@pytest.mark.parametrize("size", range(9))
def test_roots_of_sizes_0_to_8(size):
    assert range_hash(SOURCE, 0, size) == ROOTS[size]
    assert range_hash(memory_source(LEAVES[:size]), 0, size) == ROOTS[size]


@pytest.mark.parametrize("index,size,path", INCLUSION)
def test_inclusion_vectors(index, size, path):
    want = [bytes.fromhex(h) for h in path]
    assert inclusion_path(SOURCE, index, size) == want
    assert verify_inclusion(index, size, LEAVES[index], want, ROOTS[size])


@pytest.mark.parametrize("first,second,path", CONSISTENCY)
def test_consistency_vectors(first, second, path):
    want = [bytes.fromhex(h) for h in path]
    assert consistency_path(SOURCE, first, second) == want
    assert verify_consistency(first, second, ROOTS[first], ROOTS[second], want)


@pytest.mark.parametrize("first,second,root1,root2,path", REFUSED_CONSISTENCY)
def test_refused_consistency_vectors(first, second, root1, root2, path):
    d = base64.b64decode
    assert not verify_consistency(first, second, d(root1), d(root2), [d(p) for p in path])


def test_every_index_and_size_of_the_standard_set():
    for size in range(1, 9):
        for index in range(size):
            assert verify_inclusion(index, size, LEAVES[index],
                                    inclusion_path(SOURCE, index, size), ROOTS[size])
        for first in range(1, size + 1):
            assert verify_consistency(first, size, ROOTS[first], ROOTS[size],
                                      consistency_path(SOURCE, first, size))


def test_structural_forgeries_refused():
    path = inclusion_path(SOURCE, 5, 8)
    assert not verify_inclusion(5, 8, LEAVES[5], path[:-1], ROOTS[8])          # truncated
    assert not verify_inclusion(5, 8, LEAVES[5], path + [ROOTS[0]], ROOTS[8])  # trailing
    assert not verify_inclusion(5, 8, LEAVES[5], [ROOTS[0]] + path, ROOTS[8])  # preceding
    assert not verify_inclusion(8, 8, LEAVES[5], path, ROOTS[8])               # index == size
    assert not verify_inclusion(0, 0, EMPTY_ROOT, [], EMPTY_ROOT)              # empty tree
    assert not verify_inclusion(0, 1, LEAVES[0], [], ROOTS[1][:31])            # short root
    # the root of a one-leaf tree is the leaf: a leaf claimed into a size-1 tree as itself
    assert verify_inclusion(0, 1, ROOTS[1], [], ROOTS[1])
    cons = consistency_path(SOURCE, 6, 8)
    assert not verify_consistency(6, 8, ROOTS[6], ROOTS[8], cons[:-1])
    assert not verify_consistency(6, 8, ROOTS[6], ROOTS[8], cons + [ROOTS[0]])
    assert not verify_consistency(6, 8, ROOTS[8], ROOTS[6], cons)              # swapped roots
    assert not verify_consistency(8, 6, ROOTS[8], ROOTS[6], cons)


def test_append_leaf_builds_the_same_complete_subtrees():
    frontier, made = {}, {}
    for i, leaf in enumerate(LEAVES):
        made.update({(lv, ix): h for lv, ix, h in append_leaf(frontier, i, leaf)})
    assert made[(3, 0)] == ROOTS[8]
    assert made[(1, 2)].hex() == "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"
    assert len(made) == 7


def _flip(b: bytes, bit: int) -> bytes:
    a = bytearray(b)
    a[bit // 8] ^= 1 << (bit % 8)
    return bytes(a)


BIG = [leaf_hash(i.to_bytes(4, "big")) for i in range(256)]
BIG_SOURCE = memory_source(BIG)  # the same leaves continued: every flipped size has a root


@st.composite
def trees(draw):
    size = draw(st.integers(1, 70))
    leaves = BIG[:size]
    return size, leaves, memory_source(leaves)


def _root(size: int) -> bytes:
    return range_hash(BIG_SOURCE, 0, size)


@settings(max_examples=150)
@given(trees(), st.data())
def test_honest_inclusion_verifies_and_any_bit_flip_is_refused(tree, data):
    size, leaves, src = tree
    index = data.draw(st.integers(0, size - 1))
    root = range_hash(src, 0, size)
    path = inclusion_path(src, index, size)
    assert verify_inclusion(index, size, leaves[index], path, root)
    what = data.draw(st.sampled_from(["path", "root", "leaf", "size", "index"]))
    if what == "path" and path:
        k = data.draw(st.integers(0, len(path) - 1))
        bad = list(path)
        bad[k] = _flip(bad[k], data.draw(st.integers(0, 255)))
        assert not verify_inclusion(index, size, leaves[index], bad, root)
    elif what == "root":
        assert not verify_inclusion(index, size, leaves[index], path,
                                    _flip(root, data.draw(st.integers(0, 255))))
    elif what == "leaf":
        assert not verify_inclusion(index, size, _flip(leaves[index], data.draw(
            st.integers(0, 255))), path, root)
    elif what == "size":
        # A proof does not carry its size: the checkpoint signs size and root together, so a
        # changed size is checked with that size's root (the same path can fit two sizes).
        bad_size = size ^ (1 << data.draw(st.integers(0, 7)))
        assert not verify_inclusion(index, bad_size, leaves[index], path, _root(bad_size))
    elif what == "index":
        bad_index = index ^ (1 << data.draw(st.integers(0, 7)))
        assert not verify_inclusion(bad_index, size, leaves[index], path, root)


@settings(max_examples=150)
@given(trees(), st.data())
def test_honest_consistency_verifies_and_any_bit_flip_is_refused(tree, data):
    size, leaves, src = tree
    first = data.draw(st.integers(1, size))
    r1, r2 = range_hash(src, 0, first), range_hash(src, 0, size)
    path = consistency_path(src, first, size)
    assert verify_consistency(first, size, r1, r2, path)
    what = data.draw(st.sampled_from(["path", "root1", "root2", "first", "second"]))
    bit = data.draw(st.integers(0, 255))
    if what == "path" and path:
        k = data.draw(st.integers(0, len(path) - 1))
        bad = list(path)
        bad[k] = _flip(bad[k], bit)
        assert not verify_consistency(first, size, r1, r2, bad)
    elif what == "root1":
        assert not verify_consistency(first, size, _flip(r1, bit), r2, path)
    elif what == "root2":
        assert not verify_consistency(first, size, r1, _flip(r2, bit), path)
    elif what == "first":
        bad = first ^ (1 << (bit % 8))
        assert not verify_consistency(bad, size, r1, r2, path)
        assert bad == 0 or not verify_consistency(bad, size, _root(bad), r2, path)
    elif what == "second":
        bad = size ^ (1 << (bit % 8))  # checked with that size's root, as for inclusion
        assert not verify_consistency(first, bad, r1, _root(bad), path)
