"""The Merkle tree's stored nodes: every SQL statement of ``merkle_nodes`` lives here.

Each complete subtree of ``2**LOWEST`` (16) or more leaves is one row
``(level, idx, hash)``, written in the append's transaction through the store's
``listeners`` hook, so a proof reads O(log n) rows. Smaller subtrees are not stored
(one row per 16 events instead of one per event keeps an import's cost low): they are
hashed from at most 15 of the events' ``hash`` read by ``seq``, a leaf being
``SHA-256(0x00 || events.hash)``. Like the read model the table
is a cache: caught up from the events when behind (a ledger written by a tool
that did not keep it) and checked against the chain by :func:`verify_tree`.

The same rows on SQLite and PostgreSQL: the SQL is written once, in SQLite's words;
:mod:`ledger.store.tree_pg` holds PostgreSQL's few differences (placeholders, BYTEA,
COPY, the appenders' lock, one snapshot for verify).

>>> import sqlite3
>>> conn = sqlite3.connect(":memory:")
>>> ensure(conn)
>>> applied_size(conn)
0
"""

from __future__ import annotations

import sqlite3

from ledger.errors import TamperError
from ledger.store import tree_pg
from ledger.store.merkle import append_leaf, leaf_hash, node_hash, range_hash

# portable SQL (SQLite and PostgreSQL): BLOB is BYTEA there; no WITHOUT ROWID on purpose
SCHEMA = ("CREATE TABLE IF NOT EXISTS merkle_nodes (level INTEGER NOT NULL, "
          "idx BIGINT NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx))",
          "CREATE TABLE IF NOT EXISTS merkle_state (key TEXT PRIMARY KEY, "
          "value BIGINT NOT NULL)")
# a stale row (left by a crash-free but foreign writer) is overwritten, never a failed append
INSERT = ("INSERT INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?) "
          "ON CONFLICT (level, idx) DO UPDATE SET hash = excluded.hash")
SIZE = "SELECT value FROM merkle_state WHERE key = 'size'"
SET_SIZE = ("INSERT INTO merkle_state (key, value) VALUES ('size', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value")
NODE = "SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?"
EVENT_HASHES = "SELECT seq, hash FROM events WHERE seq > ? AND seq <= ? ORDER BY seq"
PAGE = 10000  # event hashes per query when catching up or verifying (constant memory)
HASH_INDEX = 12  # ``hash`` is the last of the store's COLUMNS
LOWEST = 4  # the lowest level stored
VERSION = 2  # of the tables' layout: another one is built again from the events


def own_objects() -> dict[str, str | None]:
    """The tree's schema objects by name, with their SQL (None: SQLite's own)."""
    return {"merkle_nodes": SCHEMA[0], "merkle_state": SCHEMA[1],
            "sqlite_autoindex_merkle_nodes_1": None, "sqlite_autoindex_merkle_state_1": None}


def _sqlite(conn) -> bool:
    return isinstance(conn, sqlite3.Connection)


def _execute(conn, sql: str, params=()):
    """``conn.execute`` with the tree's SQL in the connection's dialect."""
    return conn.execute(sql if _sqlite(conn) else tree_pg.sql(sql), params)


def ensure(conn) -> None:
    """Create the tables if missing (inside or outside a transaction)."""
    if not _sqlite(conn):
        if not tree_pg.exists(conn):  # IF NOT EXISTS alone needs CREATE on the schema
            for sql in SCHEMA:
                conn.execute(tree_pg.table(sql))
        return
    for sql in SCHEMA:
        conn.execute(sql)


def prepare(conn) -> bool:
    """Create the tables and catch up with the events (building them again if they are
    of another layout); False if the ledger cannot be written here (a read-only file,
    a replica, a role that may not create the tables)."""
    if not _sqlite(conn):
        return tree_pg.prepare(conn, lambda: _ready(conn), lambda: _build(conn))
    try:
        if _ready(conn):
            return True
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return False
    try:
        _build(conn)
        conn.execute("COMMIT")
        return True
    except sqlite3.OperationalError:
        conn.execute("ROLLBACK")
        return False
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _ready(conn) -> bool:
    return _exists(conn) and _version(conn) == VERSION and applied_size(conn) >= head_size(conn)


def _build(conn) -> None:
    """Inside the writers' transaction: the tables, of this layout, caught up."""
    ensure(conn)
    if _version(conn) != VERSION:
        rebuild(conn)
    catch_up(conn)


def _exists(conn) -> bool:
    if not _sqlite(conn):
        return tree_pg.exists(conn)
    return conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'merkle_state'"
                        ).fetchone()[0] == 1


def _version(conn) -> int:
    row = conn.execute("SELECT value FROM merkle_state WHERE key = 'version'").fetchone()
    return row[0] if row else 0


def applied_size(conn) -> int:
    row = conn.execute(SIZE).fetchone()
    return row[0] if row else 0


def head_size(conn) -> int:
    return conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]


def _frontier(conn, size: int) -> dict[int, bytes]:
    """The right edge of the tree of ``size`` leaves: one complete subtree per set bit."""
    frontier = {}
    for level in range(size.bit_length()):
        if size >> level & 1:
            frontier[level] = node(conn, level, (size >> level) - 1)
    return frontier


# The right edge of the tree after the last append, keyed by (size, the hash of the event
# at that size): the chain hash commits to the whole prefix, so the key names one frontier
# in any ledger, and an append of one event need not read its nodes back (a third of its
# cost otherwise). A few entries: one per ledger a process appends to.
_FRONTIERS: dict[tuple[int, str], dict[int, bytes]] = {}


def _apply(conn, size: int, hashes, prev_hash: str | None = None) -> int:
    """Append leaves (event hashes as hex, seq size+1, size+2, …); returns the new size.
    ``prev_hash``: the hash of event ``size`` (finds the frontier without reading it)."""
    cached = _FRONTIERS.pop((size, prev_hash), None) if prev_hash else None
    frontier, made = (cached if cached is not None else _frontier(conn, size)), []
    last = prev_hash
    for h in hashes:
        made += append_leaf(frontier, size, leaf_hash(bytes.fromhex(h)))
        size += 1
        last = h
    made = [m for m in made if m[0] >= LOWEST]
    if made:
        if _sqlite(conn):
            conn.executemany(INSERT, made)
        else:  # nodes are written once, under the appenders' lock: no old row to meet
            tree_pg.insert_nodes(conn, made)
    _execute(conn, SET_SIZE, (size,))
    if last is not None:
        if len(_FRONTIERS) >= 8:
            _FRONTIERS.clear()
        _FRONTIERS[(size, last)] = dict(frontier)
    return size


def on_chunk(conn, rows: list[tuple]) -> None:
    """The store hook: catch up with events the tree lacks, then add ``rows``' leaves."""
    if not rows:
        return
    size = applied_size(conn)
    if size > rows[0][0] - 1:  # claims events the ledger lacks: not ours, build it again
        with tree_pg.refused_reset(conn, size, rows[0][0] - 1):
            conn.execute("DELETE FROM merkle_nodes")
            conn.execute("UPDATE merkle_state SET value = 0 WHERE key = 'size'")
        size = 0
    if size < rows[0][0] - 1:
        size = catch_up(conn, rows[0][0] - 1)
    _apply(conn, size, [r[HASH_INDEX] for r in rows], prev_hash=rows[0][11])


def catch_up(conn, upto: int | None = None) -> int:
    """Add the leaves of events after the tree's size up to seq ``upto`` (default: all)."""
    size = applied_size(conn)
    upto = head_size(conn) if upto is None else upto
    for batch in _event_hashes(conn, size, upto):
        size = _apply(conn, size, [h for _, h in batch])
    return size


def _event_hashes(conn, after: int, upto: int):
    """``(seq, hash)`` of events ``after < seq <= upto`` in pages of PAGE, by seq (no
    cursor is held open across the caller's own statements)."""
    while after < upto:
        page = _execute(conn, EVENT_HASHES, (after, min(upto, after + PAGE))).fetchall()
        if page:
            yield page
        if len(page) < min(PAGE, upto - after):  # missing events: the caller names them
            return
        after += PAGE


def node(conn, level: int, idx: int) -> bytes:
    """The root of complete subtree ``idx`` at ``level`` (a leaf when ``level`` is 0)."""
    if level < LOWEST:  # hashed from its 2**level events (8 at most)
        first, count = idx << level, 1 << level
        hashes = [leaf_hash(bytes.fromhex(h)) for _, h in
                  _execute(conn, EVENT_HASHES, (first, first + count))]
        if len(hashes) != count:
            raise TamperError(f"events seq {first + 1}..{first + count} are missing", first + 1)
        while len(hashes) > 1:
            hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
        return hashes[0]
    row = _execute(conn, NODE, (level, idx)).fetchone()
    if row is None:
        raise TamperError(f"the Merkle tree lacks node {level}/{idx}: run verify")
    return bytes(row[0])


def source(conn):
    """A :data:`ledger.store.merkle.Source` over the stored nodes."""
    return lambda level, idx: node(conn, level, idx)


def root(conn, size: int) -> bytes:
    return range_hash(source(conn), 0, size)


def verify_stored(conn) -> int | None:
    """:func:`verify_tree` if the ledger holds a tree of this layout (a read-only file
    may hold none, or an older one: nothing is proven from it, see :func:`usable`)."""
    return verify_tree(conn) if usable(conn) else None


def usable(conn) -> bool:
    """Whether the stored tree is of this layout (proofs are made only from such a tree)."""
    return _exists(conn) and _version(conn) == VERSION


def verify_tree(conn) -> int:
    """Recompute every stored node from the events' hashes; raise TamperError naming the
    first that differs (or is missing or extra). Returns the tree size checked.

    Call it after the chain is verified: the chain vouches for the events' hashes,
    this for the tree built on them. Reads the events in constant memory; on PostgreSQL
    everything in one snapshot (appenders may commit meanwhile), and its tables are
    checked for columns and triggers the ledger did not make.
    """
    if _sqlite(conn):
        return _verify_tree(conn)
    with tree_pg.database_errors("cannot verify the Merkle tree"):
        tree_pg.check_objects(conn)
        with tree_pg.snapshot(conn):
            return _verify_tree(conn)


def _verify_tree(conn) -> int:
    size = applied_size(conn)
    if size != head_size(conn):
        raise TamperError(f"the Merkle tree covers {size} events but the ledger has "
                          f"{head_size(conn)} (was it written by another tool?)")
    # nodes in the order appends complete them: by the leaf that ends them, lowest first
    stored = conn.execute("SELECT level, idx, hash FROM merkle_nodes "
                          "ORDER BY (idx + 1) * (CAST(1 AS BIGINT) << level), level")
    frontier: dict[int, bytes] = {}
    checked = 0
    for batch in _event_hashes(conn, 0, size):
        for seq, h in batch:
            if seq != checked + 1:
                raise TamperError(f"event seq {checked + 1} is missing", checked + 1)
            checked = seq
            for level, idx, digest in append_leaf(frontier, seq - 1, leaf_hash(bytes.fromhex(h))):
                if level < LOWEST:
                    continue
                row = stored.fetchone()
                if row is None or (row[0], row[1]) != (level, idx):
                    raise TamperError(f"the Merkle tree lacks node {level}/{idx} "
                                      f"(event seq {seq})", seq)
                if bytes(row[2]) != digest:
                    raise TamperError(f"the Merkle tree's node {level}/{idx} does not match "
                                      f"the events (event seq {seq})", seq)
    if checked != size:
        raise TamperError(f"event seq {checked + 1} is missing", checked + 1)
    extra = stored.fetchone()
    if extra is not None:
        raise TamperError(f"the Merkle tree holds node {extra[0]}/{extra[1]}, which the "
                          f"events do not make")
    return size


def rebuild(conn) -> int:
    """Drop the stored nodes and build them again from the events (in a transaction)."""
    if _any_row(conn):  # new tables: only INSERT, which PostgreSQL's application role may
        conn.execute("DELETE FROM merkle_nodes")
        conn.execute("DELETE FROM merkle_state")
    _execute(conn, "INSERT INTO merkle_state (key, value) VALUES ('version', ?)", (VERSION,))
    return catch_up(conn)


def _any_row(conn) -> bool:
    return any(conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
               for table in ("merkle_nodes", "merkle_state"))
