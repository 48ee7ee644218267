"""Schema 1 -> 2: a ledger written before the index change opens, upgrades and verifies."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import ledger
from ledger.store import INDEXES
from support.v1 import V1_INDEX_SQL, make_v1_ledger, raw, write_records  # noqa: F401


def index_names(path: Path) -> set[str]:
    conn = raw(path)
    names = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                                        "AND tbl_name = 'events' AND sql IS NOT NULL")}
    conn.close()
    return names


def test_a_schema_1_ledger_is_upgraded_on_open_and_keeps_its_chain(tmp_path):
    """Schema 2 changed only the indexes: opening a schema 1 file for writing swaps them,
    the chain and every card stay as they were."""
    path = tmp_path / "v1.db"
    head = make_v1_ledger(path)
    assert index_names(path) == {"events_id", "events_town_period", "events_recorded_at",
                                 "events_refers_to", "events_type_period"}
    with ledger.open(path) as lg:
        assert lg.verify(head) == 4
        assert lg.score("沙溪镇", "2017").total == 100  # the finding was retracted
        lg.import_file(write_records(tmp_path / "again.jsonl"))  # identical: a no-op
        assert str(lg.head()) == head
    assert index_names(path) == set(INDEXES)
    conn = raw(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    conn.close()
