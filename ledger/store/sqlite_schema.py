"""The SQLite ledger file's own layout: the guard triggers, the indexes, the marks that
say a file is an audit ledger, and the move from schema 1 (the store's every statement on
rows lives in :mod:`ledger.store.sqlite`; PostgreSQL's layout is
:mod:`ledger.store.postgres_schema`).

>>> sorted(GUARDS)
['events_no_delete', 'events_no_update', 'events_only_append']
"""

from __future__ import annotations

import sqlite3

from ledger.errors import LedgerError, ReadOnlyLedger
from ledger.store.rows import UNSCOPED

SCHEMA_VERSION = 2
APPLICATION_ID = 0x4C444752  # "LDGR": marks a SQLite file as an audit ledger


GUARDS = {
    "events_no_update": "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
                        "BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END",
    "events_no_delete": "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
                        "BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END",
    # INSERT OR REPLACE deletes the old row without firing the delete trigger, so an
    # insert may only add a new id after the last seq.
    "events_only_append": "CREATE TRIGGER events_only_append BEFORE INSERT ON events "
                          "WHEN NEW.seq <= (SELECT max(seq) FROM events) "
                          "OR EXISTS (SELECT 1 FROM events WHERE id = NEW.id) "
                          "BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END",
}


# Every index costs each insert a B-tree descent, and beside the append guard (a trigger)
# every index written per row costs about twice as much: only two are written for most
# events. Queries on event types use events_unscoped by repeating its WHERE (UNSCOPED).
INDEXES = {
    "events_id": "CREATE UNIQUE INDEX events_id ON events(id)",
    "events_town": "CREATE INDEX events_town ON events(town, period)",
    # registrations, adoptions, closings: the few events not scoped to a town and period
    "events_unscoped": f"CREATE INDEX events_unscoped ON events(type, period) WHERE {UNSCOPED}",
    "events_refers_to": "CREATE INDEX events_refers_to ON events(refers_to) "
                        "WHERE refers_to IS NOT NULL",
}
# Schema 1 indexed every row five ways; opening it for writing moves it to schema 2.
V1_INDEXES = ("events_town_period", "events_recorded_at", "events_refers_to",
              "events_type_period")


def create_schema(store) -> None:
    """Create the events table, its indexes, guards and marks in an empty file."""
    conn = store.conn
    with store.write():
        if not store._table_names():
            store.db["events"].create(
                {"seq": int, "id": str, "type": str, "schema_version": int, "town": str,
                 "period": str, "occurred_on": str, "refers_to": str, "recorded_at": str,
                 "actor": str, "payload": str, "prev_hash": str, "hash": str},
                pk="seq",
                not_null={"id", "type", "schema_version", "recorded_at", "payload",
                          "prev_hash", "hash"},
            )
            for sql in INDEXES.values():
                conn.execute(sql)
            for sql in GUARDS.values():
                conn.execute(sql)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

def upgrade(store) -> None:
    """Schema 1 -> 2: the same rows, fewer indexes. Only the indexes change, so a
    read-only file stays readable as it is."""
    conn = store.conn
    try:
        with store.write():
            if conn.execute("PRAGMA user_version").fetchone()[0] == 1:
                for name in V1_INDEXES:
                    conn.execute(f"DROP INDEX IF EXISTS {name}")
                for sql in INDEXES.values():
                    conn.execute(sql.replace(" INDEX ", " INDEX IF NOT EXISTS ", 1))
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except ReadOnlyLedger:
        return  # read it as schema 1
    except LedgerError:
        return  # locked long by another writer: read it as schema 1 this time
    except sqlite3.OperationalError as exc:
        if "readonly" not in str(exc):
            raise LedgerError(f"cannot upgrade ledger {store.path}: {exc}") from None
