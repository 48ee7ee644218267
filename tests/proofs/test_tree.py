"""The stored Merkle tree: written in the append's transaction, caught up when behind,
checked by verify against the chain, and proofs from it verify."""

from __future__ import annotations

import sqlite3

import pytest

import ledger
from ledger.errors import TamperError
from ledger.store.merkle import (
    consistency_path, inclusion_path, leaf_hash, memory_source, range_hash, verify_consistency,
    verify_inclusion)
from ledger.events import TownRegistered
from ledger.store import EventStore, NewEvent, mapper, tree


def _notes(start: int, n: int):
    return lambda reader: [mapper.to_stored(TownRegistered(id=f"n-{i}", name=f"镇n-{i}"))
                           for i in range(start, start + n)]


def _leaves(conn) -> list[bytes]:
    return [leaf_hash(bytes.fromhex(h)) for (h,) in
            conn.execute("SELECT hash FROM events ORDER BY seq")]


def _store_with_tree(path) -> EventStore:
    store = EventStore(path)
    assert tree.prepare(store.conn)
    store.listeners.append(tree.on_chunk)
    return store


def test_tree_follows_appends_in_chunks(tmp_path):
    store = _store_with_tree(tmp_path / "t.db")
    for start, n in ((0, 1), (1, 6), (7, 4500), (4507, 3)):  # 4500 spans three chunks
        store.append(_notes(start, n))
    conn = store.conn
    size = store.head().seq
    assert tree.applied_size(conn) == size == 4510
    mem = memory_source(_leaves(conn))
    for s in (1, 2, 7, 2048, 4509, 4510):
        assert tree.root(conn, s) == range_hash(mem, 0, s)
    src = tree.source(conn)
    for i in (0, 5, 2047, 4509):
        path = inclusion_path(src, i, size)
        assert path == inclusion_path(mem, i, size)
        assert verify_inclusion(i, size, _leaves(conn)[i], path, tree.root(conn, size))
    path = consistency_path(src, 1000, size)
    assert verify_consistency(1000, size, tree.root(conn, 1000), tree.root(conn, size), path)
    assert tree.verify_tree(conn) == size
    # the nodes stored are the complete subtrees of 16 leaves or more
    assert conn.execute("SELECT count(*) FROM merkle_nodes").fetchone()[0] == sum(
        size >> k for k in range(tree.LOWEST, size.bit_length()))


def test_tree_catches_up_with_events_written_without_it(tmp_path):
    path = tmp_path / "t.db"
    store = _store_with_tree(path)
    store.append(_notes(0, 5))
    plain = EventStore(path)  # another tool: no tree listener
    plain.append(_notes(5, 9))
    plain.close()
    store.append(_notes(14, 2))  # the listener catches up first
    assert tree.applied_size(store.conn) == 16
    assert tree.verify_tree(store.conn) == 16
    EventStore(path).append(_notes(16, 3))
    with pytest.raises(TamperError, match="covers 16 events but the ledger has 19"):
        tree.verify_tree(store.conn)
    assert tree.prepare(store.conn)
    assert tree.verify_tree(store.conn) == 19


def test_verify_catches_an_altered_missing_or_extra_node(tmp_path):
    path = tmp_path / "t.db"
    with ledger.open(path) as lg:
        lg.store.append(_notes(0, 40))
        assert lg.verify() == 40
    raw = sqlite3.connect(path)
    raw.execute("UPDATE merkle_nodes SET hash = zeroblob(32) WHERE level = 4 AND idx = 1")
    raw.commit()
    with ledger.open(path) as lg, pytest.raises(TamperError, match="node 4/1 does not match"):
        lg.verify()
    raw.execute("DELETE FROM merkle_nodes WHERE level = 4 AND idx = 1")
    raw.commit()
    with ledger.open(path) as lg, pytest.raises(TamperError, match="lacks node 4/1"):
        lg.verify()
    raw.execute("INSERT INTO merkle_nodes SELECT 4, 1, hash FROM merkle_nodes WHERE level = 4 AND idx = 0")
    raw.commit()
    with ledger.open(path) as lg:
        with pytest.raises(TamperError, match="does not match"):
            lg.verify()
        conn = lg.store.conn
        conn.execute("BEGIN IMMEDIATE")
        tree.rebuild(conn)
        conn.execute("COMMIT")
        assert lg.verify() == 40
    raw.execute("INSERT INTO merkle_nodes VALUES (6, 0, zeroblob(32))")
    raw.commit()
    with ledger.open(path) as lg, pytest.raises(TamperError, match="holds node 6/0"):
        lg.verify()
    raw.close()


def test_a_tree_claiming_too_much_is_rebuilt_not_a_failed_append(tmp_path):
    path = tmp_path / "t.db"
    with ledger.open(path) as lg:
        lg.store.append(_notes(0, 9))
    raw = sqlite3.connect(path)
    raw.execute("UPDATE merkle_state SET value = 50 WHERE key = 'size'")
    raw.execute("INSERT INTO merkle_nodes VALUES (4, 1, zeroblob(32))")  # a stale row ahead
    raw.commit()
    with ledger.open(path) as lg:
        lg.store.append(_notes(9, 30))
        assert lg.verify() == 39


def test_signing_refuses_a_tree_that_does_not_match_the_chain(tmp_path):
    from ledger.proofs import note, service
    path = tmp_path / "t.db"
    with ledger.open(path) as lg:
        lg.store.append(_notes(0, 16))
    raw = sqlite3.connect(path)
    raw.execute("UPDATE merkle_nodes SET hash = zeroblob(32) WHERE level = 4")
    raw.commit()
    with ledger.open(path) as lg, pytest.raises(TamperError, match="node 4/0"):
        service.sign_checkpoint(lg, note.generate("t.example/log"))


def test_every_size_up_to_70_matches_the_tree_in_memory(tmp_path):
    store = _store_with_tree(tmp_path / "t.db")
    for size in range(1, 71):
        store.append(_notes(size, 1))
        leaves = _leaves(store.conn)
        mem = memory_source(leaves)
        assert tree.root(store.conn, size) == range_hash(mem, 0, size)
        src = tree.source(store.conn)
        for i in {0, size // 2, size - 1}:
            assert inclusion_path(src, i, size) == inclusion_path(mem, i, size)
        for first in {1, size // 3 or 1, size}:
            assert consistency_path(src, first, size) == consistency_path(mem, first, size)
    assert tree.verify_tree(store.conn) == 70


def test_a_tree_of_another_layout_is_built_again_on_open(tmp_path):
    path = tmp_path / "t.db"
    with ledger.open(path) as lg:
        lg.store.append(_notes(0, 40))
    raw = sqlite3.connect(path)
    raw.execute("UPDATE merkle_state SET value = 1 WHERE key = 'version'")
    raw.execute("INSERT INTO merkle_nodes VALUES (1, 0, zeroblob(32))")  # the old layout's rows
    raw.commit()
    with ledger.open(path) as lg:
        assert lg.verify() == 40
        assert tree.usable(lg.store.conn)
