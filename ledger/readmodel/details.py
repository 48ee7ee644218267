"""The read model's details: what the browsing views show beyond what cards need.

Notes, evidence, reasons, actors and appeal effects are not read by any card, so they
are kept only once someone asks for the views (:func:`enable`); from then on every
append keeps them, in the same transaction, read through the mapper like the rest of
the read model.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Iterable

from ledger.readmodel.dialect import Insert, of
from ledger.store import mapper

TABLE = "rm_details"
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS rm_details (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, "
    "type TEXT NOT NULL, town TEXT, period TEXT, actor TEXT, note TEXT, evidence TEXT, "
    "reason TEXT, effects TEXT)",
    "CREATE INDEX IF NOT EXISTS rm_details_id ON rm_details(id)",
)
INSERT = Insert(
    "INSERT INTO rm_details (seq, id, type, town, period, actor, note, evidence, reason, "
    "effects) VALUES (?,?,?,?,?,?,?,?,?,?)",
    "COPY rm_details (seq, id, type, town, period, actor, note, evidence, reason, effects) "
    "FROM STDIN")
TYPES = frozenset({"FindingRecorded", "PaymentRecorded", "ReportRecorded", "RecordRetracted",
                   "FindingAmended", "AppealDecided"})


def _list(v) -> str | None:
    return None if v is None else json.dumps(list(v), ensure_ascii=False)


def present(conn: sqlite3.Connection) -> bool:
    return of(conn).has_table(conn, TABLE)


def apply_rows(conn: sqlite3.Connection, rows: Iterable[tuple]) -> None:
    """Write the details of event rows (``COLUMNS`` order) inside their transaction."""
    out = []
    for seq, eid, etype, sv, town, period, _occ, _ref, _rec, actor, payload, _p, _h in rows:
        if etype in TYPES:
            d = mapper.to_data(etype, sv, payload)
            out.append((seq, eid, etype, town, period, actor, d.get("note"),
                        _list(d.get("evidence")), d.get("reason"), _list(d.get("effects"))))
    if out:
        of(conn).insert_many(conn, INSERT, out)


def create(conn: sqlite3.Connection) -> None:
    for sql in SCHEMA:
        conn.execute(of(conn).table(sql))
