"""Proving the read model equals a replay of the events.

The read model is derived data inside a file anyone may edit, so ``verify`` rebuilds
it from the events in memory and compares every row; a card, a scoreboard, an export
or a publication read from it is then as trustworthy as the events themselves.
"""

from __future__ import annotations

import re
import sqlite3
from itertools import zip_longest

from ledger.readmodel import details
from ledger.readmodel.dialect import of
from ledger.readmodel.tables import SCHEMA, TABLES, VERSION, _version, applied_seq, apply_rows
from ledger.store import Recorder

# each table walked in its clustered key's order, the same on both sides
COMPARE_SQL = {"rm_findings": "SELECT * FROM rm_findings ORDER BY town, period, seq",
               "rm_corrections": "SELECT * FROM rm_corrections ORDER BY target, seq",
               "rm_facts": "SELECT * FROM rm_facts ORDER BY town, period, seq",
               "rm_details": "SELECT * FROM rm_details ORDER BY seq"}
COMPARED = (*TABLES[:3], details.TABLE)


def own_objects(conn: sqlite3.Connection) -> dict[str, str | None]:
    """The read model's schema objects by name, with their SQL (None: SQLite's own)."""
    objects: dict[str, str | None] = {}
    for statement in SCHEMA.strip().split(";"):
        if statement.strip():
            name = re.search(r"EXISTS\s+(\w+)", statement).group(1)
            objects[name] = statement
    objects["sqlite_autoindex_rm_state_1"] = None
    for statement in details.SCHEMA:
        objects[re.search(r"EXISTS\s+(\w+)", statement).group(1)] = statement
    return objects


def differences(store: Recorder) -> list[str]:
    """What differs between the read model in the file and one rebuilt from the events
    (empty: they are equal). A missing read model differs in nothing: it is rebuilt."""
    with of(store.conn).snapshot(store.conn):  # writers may append meanwhile
        return _differences(store)


def _differences(store: Recorder) -> list[str]:
    conn = store.conn
    dialect = of(conn)
    if _version(conn) == 0:
        return []
    if _version(conn) != VERSION:
        return []  # an older layout: rebuilt on the next write, never read
    found = []
    head = store.head()
    upto = applied_seq(conn)
    if upto > (head.seq if head else 0):
        found.append(f"the read model claims events up to seq {upto}, but the ledger ends at "
                     f"seq {head.seq if head else 0}")
        return found
    fresh = sqlite3.connect(":memory:")
    try:
        for statement in SCHEMA.strip().split(";"):
            if statement.strip():
                fresh.execute(statement)
        keep = details.present(conn)
        if keep:
            details.create(fresh)
        chunk: list[tuple] = []
        lookup = lambda ids: dialect.seqs_of(conn, ids)  # noqa: E731  (targets live in the ledger)
        for row in dialect.event_rows(conn, 0, upto + 1):
            chunk.append(row)
            if len(chunk) >= 5000:
                apply_rows(fresh, chunk, keep_details=keep, seq_lookup=lookup)
                chunk = []
        apply_rows(fresh, chunk, keep_details=keep, seq_lookup=lookup)
        for table in COMPARED:
            if table == details.TABLE and not keep:
                continue
            diff = _first_difference(conn, fresh, table)
            if diff:
                found.append(diff)
    finally:
        fresh.close()
    return found


def _first_difference(ledger: sqlite3.Connection, fresh: sqlite3.Connection,
                      table: str) -> str | None:
    sql = COMPARE_SQL[table]
    try:
        have = ledger.execute(sql)
    except of(ledger).errors() as exc:
        return f"read-model table {table} cannot be read ({' '.join(str(exc).split())})"
    for n, (a, b) in enumerate(zip_longest(have, fresh.execute(sql)), start=1):
        a = None if a is None else tuple(a)
        if a != b:
            if a is None:
                return f"read-model table {table} lacks the row for event {b[_id(table)]!r}"
            if b is None:
                return f"read-model table {table} has a row no event explains ({a!r})"
            return (f"read-model table {table} row {n} differs from the events "
                    f"(file: {a!r}; events: {b!r})")
    return None


def _id(table: str) -> int:
    return {"rm_findings": 3, "rm_corrections": 2, "rm_facts": 3, "rm_details": 1}[table]
