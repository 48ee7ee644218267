"""A bulk import swaps the per-row append guard out for its own transaction only.

``EventStore.append(..., bulk=True)`` drops ``events_only_append`` after ``BEGIN
IMMEDIATE`` and creates it again, with the same SQL, before ``COMMIT``. These tests
attack the file from a second, plain ``sqlite3`` connection while the import runs and
after it, and check a failed import leaves the guard as it was (a ``kill -9`` mid-import:
``tests/store/test_store_processes.py``).
"""

from __future__ import annotations

import sqlite3

import pytest

from ledger.errors import LedgerError
from ledger.store import EventStore, NewEvent
from ledger.store.sqlite import GUARDS

REPLACE = ("INSERT OR REPLACE INTO events (seq, id, type, schema_version, recorded_at, payload, "
           "prev_hash, hash) VALUES (1, 'forged', 'Note', 1, '2017-01-01T00:00:00.000000Z', "
           "'{}', 'x', 'y')")


def triggers(conn) -> dict[str, str]:
    return dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))


def notes(n: int, prefix: str = "n"):
    return [NewEvent(f"{prefix}-{i}", "Note", 1, payload=f'{{"i":{i}}}') for i in range(n)]


@pytest.fixture
def store(tmp_path):
    s = EventStore(tmp_path / "bulk.db")
    s.append(lambda reader: notes(3, "seed"))
    yield s
    s.close()


def attacker(store) -> sqlite3.Connection:
    return sqlite3.connect(store.path, timeout=0.05, isolation_level=None)


def test_another_connection_is_refused_during_a_bulk_import_and_after_it(store):
    other = attacker(store)
    seen: dict[str, object] = {}

    def events(reader):
        yield from notes(2500)  # past one chunk: rows are in the file, uncommitted
        seen["triggers"] = triggers(other)  # what a reader sees meanwhile
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute(REPLACE)
        seen["tried"] = True
        yield from notes(10, "tail")

    assert store.append(events, bulk=True) == 2510
    assert seen["tried"]
    assert seen["triggers"] == GUARDS  # the committed schema never lacks the guard
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        other.execute(REPLACE)
    assert triggers(other) == GUARDS  # created again with the identical SQL
    assert other.execute("SELECT id FROM events WHERE seq = 1").fetchone() == ("seed-0",)
    other.close()
    assert store.verify() == 2513  # verify's own check of the guards' SQL passes


def test_a_failed_bulk_import_leaves_the_guard_in_place(store):
    def events(reader):
        yield from notes(2500)
        raise LedgerError("line 2501: something wrong")

    with pytest.raises(LedgerError, match="line 2501"):
        store.append(events, bulk=True)
    assert triggers(store.conn) == GUARDS
    assert store.count() == 3
    other = attacker(store)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        other.execute(REPLACE)
    other.close()


def test_without_the_guard_a_reused_id_is_still_refused(store):
    # events_id (unique) stands in for the guard's id check inside the transaction
    with pytest.raises(LedgerError, match="duplicate event id"):
        store.append(lambda reader: [*notes(1, "fresh"), NewEvent("seed-1", "Note", 1)],
                     bulk=True)
    assert store.count() == 3 and triggers(store.conn) == GUARDS


def test_single_appends_keep_the_per_row_guard(store):
    seen = {}

    def events(reader):
        seen["inside"] = triggers(store.conn)
        return notes(1, "one")

    store.append(events)
    assert seen["inside"] == GUARDS


def test_a_bulk_import_drops_the_guard_only_inside_its_own_transaction(store):
    seen = {}

    def events(reader):
        seen["inside"] = set(triggers(store.conn))
        return notes(1, "one")

    store.append(events, bulk=True)
    assert seen["inside"] == set(GUARDS) - {"events_only_append"}  # the swap happened
    assert triggers(store.conn) == GUARDS
