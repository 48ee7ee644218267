"""Keeping a town's read-model rows on neighbouring pages of the file.

The read model is clustered by ``(town, period, seq)``, but its pages are allocated as
the table grows: an import that interleaves 500 towns leaves each town's range spread
over pages allocated between everyone else's, and between the events' own pages. A
card then reads its ~40 pages from all over a large file; where the page cache is cold
(this VM reclaims it within minutes) each is a separate read. :func:`compact` writes
the two clustered tables again in key order, into pages allocated one after another,
so one town's card reads one stretch of the file (measured with a cold cache at 1m
events: p50 6.5 ms before, 3.4 ms after; see benchmarks/README.md).

It rewrites derived rows only, in the caller's write transaction: the content is the
same (``verify`` proves the read model equal to a replay either way). SQLite only: on
PostgreSQL the equivalent is ``CLUSTER``, which needs the table's owner, not the
application's role.

>>> import sqlite3
>>> conn = sqlite3.connect(":memory:")
>>> worth_compacting(conn, appended=500, total=500)
False
"""

from __future__ import annotations

import re
import sqlite3

from ledger.readmodel.dialect import of

# the clustered tables a card reads, with their key; rm_corrections is small and read
# by target, rm_details by seq (already in the order it is written)
# (table: its key, the name its copy is built under)
CLUSTERED = {"rm_findings": ("town, period, seq", "rm_findings_compacted"),
             "rm_facts": ("town, period, seq", "rm_facts_compacted")}
COMPACT_MIN = 20_000  # below this an import's rows fit in a few pages whatever their order
SHARE = 0.25  # compact when an import wrote at least this share of the table


def worth_compacting(conn: sqlite3.Connection, appended: int, total: int) -> bool:
    """Whether an import that appended ``appended`` events of the ledger's ``total``
    should :func:`compact`: a large one, that wrote a good share of the table (so the
    rewrite costs at most a few times what the import wrote)."""
    if appended < COMPACT_MIN or of(conn).name != "sqlite":
        return False
    if not of(conn).has_table(conn, "rm_findings"):
        return False
    return appended >= SHARE * total


def compact(conn: sqlite3.Connection) -> None:
    """Write each clustered table again in key order (inside the caller's transaction).

    The copy is built under another name and renamed, because a table built fresh takes
    new pages at the end of the file in the order its sorted rows arrive, where a table
    emptied and refilled would reuse its old scattered pages.
    """
    for table, (key, fresh) in CLUSTERED.items():
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                           (table,)).fetchone()
        if sql is None:
            continue
        conn.execute(f"DROP TABLE IF EXISTS {fresh}")  # a leftover of a foreign tool
        conn.execute(renamed(sql[0], fresh))
        conn.execute(f"INSERT INTO {fresh} SELECT * FROM {table} ORDER BY {key}")
        conn.execute(f"DROP TABLE {table}")
        conn.execute(f"ALTER TABLE {fresh} RENAME TO {table}")


_NAME = re.compile(r'^(\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?)("?)(\w+)\2', re.I)


def renamed(create_sql: str, name: str) -> str:
    """``create_sql`` creating ``name`` instead.

    >>> renamed('CREATE TABLE "rm_facts" (x)', "t2")
    'CREATE TABLE t2 (x)'
    """
    return _NAME.sub(lambda m: f"{m[1]}{name}", create_sql, count=1)


def unquoted(create_sql: str) -> str:
    """The CREATE TABLE text with its table name unquoted: SQLite's ``RENAME`` writes the
    new name quoted, and the schema check compares the text.

    >>> unquoted('CREATE TABLE "rm_findings" (x)')
    'CREATE TABLE rm_findings (x)'
    """
    return _NAME.sub(lambda m: f"{m[1]}{m[3]}", create_sql, count=1)


def after_import(store, appended: int) -> str | None:
    """Compact the read model after a large import (its own short write transaction:
    the import is committed either way); returns what went wrong, if anything."""
    conn, head = store.conn, store.head()
    if not worth_compacting(conn, appended, head.seq if head else 0):
        return None
    try:
        with store.write():
            compact(conn)
    except sqlite3.OperationalError as exc:  # a full disk: the cards stay right, only slower
        return (f"the read model was not compacted after the import ({exc}): cards are "
                f"right but read more of the file; `python -m ledger rebuild` compacts it")
    return None
