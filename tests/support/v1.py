"""A ledger as schema 1 laid it out (the same rows, five indexes), for upgrade tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import ledger


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path)


V1_INDEX_SQL = [
    "CREATE UNIQUE INDEX events_id ON events (id)",
    "CREATE INDEX events_town_period ON events (town, period, occurred_on)",
    "CREATE INDEX events_recorded_at ON events (recorded_at)",
    "CREATE INDEX events_refers_to ON events (refers_to)",
    "CREATE INDEX events_type_period ON events (type, period)",
]


def make_v1_ledger(path: Path) -> str:
    """A ledger laid out as schema 1 wrote it (the same rows, five indexes); its head."""
    with ledger.open(path) as lg:
        lg.import_file(write_records(path.parent / "v1.jsonl"))
        head = str(lg.head())
    conn = raw(path)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                                "AND tbl_name = 'events' AND sql IS NOT NULL").fetchall():
        conn.execute(f"DROP INDEX {name}")
    for sql in V1_INDEX_SQL:
        conn.execute(sql)
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    return head


def write_records(path: Path) -> Path:
    path.write_text("\n".join([
        '{"type": "adopt", "id": "a", "period": "2017", "rubric": "taicang-2017"}',
        '{"type": "town", "id": "t", "name": "沙溪镇"}',
        '{"type": "finding", "id": "f1", "town": "沙溪镇", "period": "2017", '
        '"clause": "B06.1", "occurred_on": "2017-03-01", "quantity": 2}',
        '{"type": "retraction", "id": "r1", "finding": "f1", "reason": "录入错误"}',
    ]) + "\n", encoding="utf-8")
    return path
