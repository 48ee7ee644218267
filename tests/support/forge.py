"""An attacker's tools: plain sqlite3 on a ledger file, as anyone holding it could.

``forge_append`` adds a correctly hashed row through the intact triggers; ``rewrite``
drops the guards, changes rows, recomputes every later hash and puts the guards back
exactly as the ledger made them, so the chain alone is consistent again.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ledger.store import COLUMNS, GUARDS, NewEvent, event_hash, tree


def forge_append(path: Path, *, id: str, type: str, payload: str, recorded_at: str,
                 town: str | None = None, period: str | None = None,
                 occurred_on: str | None = None, refers_to: str | None = None,
                 schema_version: int = 1) -> None:
    conn = sqlite3.connect(path)
    seq, prev = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    e = NewEvent(id, type, schema_version, town, period, occurred_on, refers_to, None, payload)
    digest = event_hash(prev, seq + 1, e, recorded_at)
    with conn:
        conn.execute(f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES "
                     f"({', '.join('?' * len(COLUMNS))})",
                     (seq + 1, id, type, schema_version, town, period, occurred_on, refers_to,
                      recorded_at, None, payload, prev, digest))
    conn.close()


def rewrite(path: Path, edit) -> None:
    """``edit(row: dict) -> dict | None`` for every row in seq order (None drops it); the
    chain is recomputed from the first row on and renumbered without gaps."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute(f"SELECT {', '.join(COLUMNS)} FROM events ORDER BY seq")]
    with conn:
        for name in GUARDS:
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("DELETE FROM events")
        prev, seq = "0" * 64, 0
        for row in rows:
            row = edit(dict(row))
            if row is None:
                continue
            seq += 1
            e = NewEvent(row["id"], row["type"], row["schema_version"], row["town"],
                         row["period"], row["occurred_on"], row["refers_to"], row["actor"],
                         row["payload"])
            digest = event_hash(prev, seq, e, row["recorded_at"])
            conn.execute(f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES "
                         f"({', '.join('?' * len(COLUMNS))})",
                         (seq, row["id"], row["type"], row["schema_version"], row["town"],
                          row["period"], row["occurred_on"], row["refers_to"],
                          row["recorded_at"], row["actor"], row["payload"], prev, digest))
            prev = digest
        for sql in GUARDS.values():
            conn.execute(sql)
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'merkle_state'").fetchone():
            tree.rebuild(conn)  # the tree is plain rows too: a careful attacker redoes it
    conn.close()


def sql(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    with conn:
        for statement in statements:
            conn.execute(statement)
    conn.close()
