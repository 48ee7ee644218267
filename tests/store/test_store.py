"""The event store on real SQLite files: schema, sequence, time, guards, tamper evidence.

Tampering is done the way an attacker with file access would do it: a raw
``sqlite3`` connection that drops the guard triggers, edits rows and puts the
triggers back, so that ``verify`` has to find the damage in the chain itself.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from attrs import evolve

import ledger
from ledger import LedgerError, SchemaError, TamperError
from ledger.store import (
    APPLICATION_ID,
    CHUNK,
    GUARDS,
    SCHEMA_VERSION,
    EventStore,
    NewEvent,
    event_hash,
    format_timestamp,
)

T0 = datetime(2017, 3, 1, 8, 0, tzinfo=timezone.utc)


# -- helpers ------------------------------------------------------------------

def notes(prefix: str, n: int, start: int = 0) -> list[NewEvent]:
    return [NewEvent(id=f"{prefix}{i}", type="Note", schema_version=1, town="沙溪镇",
                     period="2017", payload=f'{{"i":{i},"text":"note {i}"}}')
            for i in range(start, start + n)]


def add(store: EventStore, events) -> int:
    events = list(events)
    return store.append(lambda reader: events)


def make_store(tmp_path: Path, n: int = 0, **kw) -> EventStore:
    store = EventStore(tmp_path / "store.db", **kw)
    if n:
        add(store, notes("e", n))
    return store


def raw(path) -> sqlite3.Connection:
    """A plain sqlite3 connection in autocommit mode: the attacker's tool."""
    return sqlite3.connect(str(path), isolation_level=None)


def drop_guards(conn: sqlite3.Connection) -> None:
    for name in GUARDS:
        conn.execute(f"DROP TRIGGER {name}")


def restore_guards(conn: sqlite3.Connection) -> None:
    """Put the exact guard triggers back, so only the chain can tell what happened."""
    for sql in GUARDS.values():
        conn.execute(sql)


def tampered(store: EventStore, *statements, params=()) -> None:
    """Run ``statements`` on the store's file with the guards dropped, then restore them."""
    with raw(store.path) as conn:
        drop_guards(conn)
        for sql in statements:
            conn.execute(sql, params)
        restore_guards(conn)
    conn.close()


def seqs(store: EventStore) -> list[int]:
    return [e.seq for e in store.events()]


def recorded(store: EventStore) -> list[str]:
    return [e.recorded_at for e in store.events()]


def strictly_increasing(values) -> bool:
    return all(a < b for a, b in zip(values, values[1:]))


# -- schema -------------------------------------------------------------------

def test_new_file_is_wal_with_schema_version_and_application_id(tmp_path):
    """A fresh ledger file is in WAL mode and carries user_version 2 and the LDGR id."""
    path = tmp_path / "new.db"
    EventStore(path).close()
    conn = raw(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID == 0x4C444752
    triggers = {name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'")}
    assert triggers == set(GUARDS)
    conn.close()


def test_ledger_open_creates_the_same_schema(tmp_path):
    """``ledger.open`` on a missing path creates a WAL ledger file with version and id."""
    path = tmp_path / "audit.db"
    with ledger.open(path) as lg:
        assert lg.head() is None
        assert lg.verify() == 0
    conn = raw(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    conn.close()




def test_zero_byte_file_becomes_an_empty_ledger(tmp_path):
    """An empty file (e.g. made by ``touch``) is an empty SQLite database: it becomes a ledger."""
    path = tmp_path / "touched.db"
    path.write_bytes(b"")
    store = EventStore(path)
    assert add(store, notes("e", 2)) == 2
    assert store.verify() == 2


def test_open_waits_for_a_writer_while_switching_to_wal(tmp_path):
    """A ledger not yet in WAL mode (the state right after a concurrent opener created it)
    whose write lock is held for 0.3 s by another connection: opening waits, then succeeds."""
    path = tmp_path / "fresh.db"
    store = EventStore(path)
    add(store, notes("e", 2))
    store.close()
    writer = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    writer.execute("PRAGMA journal_mode=DELETE")
    writer.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, writer.execute, args=("COMMIT",))
    release.start()
    try:
        store = EventStore(path, timeout=10)
    finally:
        release.join()
        writer.close()
    assert store.verify() == 2
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reopening_keeps_events_and_continues_the_chain(tmp_path):
    """Closing and reopening a ledger keeps its events; new ones continue seq and chain."""
    store = make_store(tmp_path, 3)
    head = store.head()
    store.close()
    again = EventStore(tmp_path / "store.db")
    assert again.head() == head
    add(again, notes("more", 2))
    assert seqs(again) == [1, 2, 3, 4, 5]
    assert again.get("more0").prev_hash == head.hash
    assert again.verify(str(head)) == 5


# -- sequence and time --------------------------------------------------------

def test_seq_runs_one_to_n_without_gaps_across_batches_and_chunks(tmp_path):
    """seq is 1..n with no gaps over small batches, a batch larger than a chunk, and a reopen."""
    store = make_store(tmp_path)
    assert add(store, notes("a", 3)) == 3
    assert add(store, notes("b", CHUNK * 2 + 7)) == CHUNK * 2 + 7
    store.close()
    store = EventStore(tmp_path / "store.db")
    assert add(store, notes("c", 1)) == 1
    n = 3 + CHUNK * 2 + 7 + 1
    assert seqs(store) == list(range(1, n + 1))
    assert store.count() == n
    assert store.head().seq == n
    events = list(store.events())
    assert all(e.prev_hash == p.hash for p, e in zip(events, events[1:]))
    assert store.verify() == n


def test_recorded_at_follows_an_advancing_clock(tmp_path):
    """With a clock that moves forward, recorded_at is exactly the clock's time (UTC, µs, Z)."""
    times = iter([T0 + timedelta(seconds=i) for i in range(5)])
    store = make_store(tmp_path, clock=lambda: next(times))
    add(store, notes("e", 5))
    assert recorded(store) == [format_timestamp(T0 + timedelta(seconds=i)) for i in range(5)]
    assert recorded(store)[0] == "2017-03-01T08:00:00.000000Z"


def test_recorded_at_strictly_increases_when_the_clock_stands_still(tmp_path):
    """A frozen clock still yields strictly increasing recorded_at, within and across batches."""
    store = make_store(tmp_path, clock=lambda: T0)
    add(store, notes("a", 4))
    add(store, notes("b", 3))
    values = recorded(store)
    assert values[0] == format_timestamp(T0)
    assert strictly_increasing(values)
    assert len(set(values)) == 7


def test_recorded_at_strictly_increases_when_the_clock_goes_backwards(tmp_path):
    """A clock running backwards by less than the skew (even across a reopen) never makes
    recorded_at go back."""
    ticks = (T0 - timedelta(seconds=i) for i in range(1000))
    store = make_store(tmp_path, clock=lambda: next(ticks))
    add(store, notes("a", 5))
    add(store, notes("b", 5))
    store.close()
    earlier = EventStore(tmp_path / "store.db", clock=lambda: T0 - timedelta(minutes=4))
    add(earlier, notes("c", 3))
    values = recorded(earlier)
    assert len(values) == 13
    assert strictly_increasing(values)
    assert earlier.verify() == 13


def test_a_head_far_in_the_future_is_refused_not_followed(tmp_path):
    """One run with a clock ten years ahead must not poison every later timestamp: a
    writer whose clock is behind the head by more than the skew is refused, and says why."""
    ahead = make_store(tmp_path, clock=lambda: T0 + timedelta(days=3650))
    add(ahead, notes("a", 2))
    ahead.close()
    now = EventStore(tmp_path / "store.db", clock=lambda: T0)
    with pytest.raises(LedgerError, match="in the future of this machine's clock"):
        add(now, notes("b", 1))
    assert now.count() == 2
    with pytest.raises(TamperError, match="in the future"):
        now.verify()


def test_empty_append_writes_nothing(tmp_path):
    """A batch that yields no events appends 0 and leaves an empty ledger empty."""
    store = make_store(tmp_path)
    assert store.append(lambda reader: []) == 0
    assert store.head() is None
    assert store.count() == 0


# -- all or nothing -----------------------------------------------------------

def test_duplicate_id_in_a_raw_batch_appends_nothing(tmp_path):
    """Two NewEvents with one id in a batch: LedgerError, and the batch leaves no trace."""
    store = make_store(tmp_path, 2)
    head = store.head()
    batch = notes("x", 3) + [NewEvent("x1", "Note", 1, payload='{"other":1}')]
    with pytest.raises(LedgerError, match="nothing was written"):
        add(store, batch)
    assert store.count() == 2
    assert store.head() == head
    assert store.get("x0") is None


def test_error_raised_by_prepare_after_flushed_chunks_rolls_everything_back(tmp_path):
    """An exception after more than a chunk was written inside the transaction undoes it all,
    and the store stays usable."""
    store = make_store(tmp_path, 2)
    head = store.head()

    def prepare(reader):
        yield from notes("big", CHUNK + 500)
        raise LedgerError("record 2501: bad")

    with pytest.raises(LedgerError, match="record 2501"):
        store.append(prepare)
    assert store.count() == 2
    assert store.head() == head
    assert store.get("big0") is None
    assert add(store, notes("after", 1)) == 1
    assert store.verify() == 3


# -- append-only guards ---------------------------------------------------------

@pytest.mark.parametrize("sql", [
    "UPDATE events SET payload = '{}' WHERE seq = 2",
    "UPDATE events SET town = '浏河镇'",
    "DELETE FROM events WHERE seq = 3",
    "DELETE FROM events",
])
def test_raw_update_and_delete_are_refused_by_sqlite(tmp_path, sql):
    """The guard triggers make SQLite itself refuse UPDATE and DELETE on events."""
    store = make_store(tmp_path, 3)
    before = list(store.events())
    conn = raw(store.path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute(sql)
    conn.close()
    assert list(store.events()) == before
    assert store.verify() == 3


REPLACE_SAME_SEQ = (
    "INSERT OR REPLACE INTO events SELECT seq, id, type, schema_version, town, period, "
    "occurred_on, refers_to, recorded_at, actor, '{\"forged\":1}', prev_hash, hash "
    "FROM events WHERE seq = 2")
REPLACE_SAME_ID = (
    "INSERT OR REPLACE INTO events SELECT 100, id, type, schema_version, town, period, "
    "occurred_on, refers_to, recorded_at, actor, payload, prev_hash, hash "
    "FROM events WHERE seq = 2")
UPSERT = (
    "INSERT INTO events SELECT * FROM events WHERE seq = 2 "
    "ON CONFLICT(seq) DO UPDATE SET payload = '{\"forged\":1}'")


@pytest.mark.parametrize("sql", [REPLACE_SAME_SEQ, REPLACE_SAME_ID, UPSERT],
                         ids=["replace-same-seq", "replace-same-id", "upsert"])
def test_insert_or_replace_and_upsert_cannot_rewrite_an_event(tmp_path, sql):
    """REPLACE deletes the old row without firing DELETE triggers (unless recursive_triggers
    is on) and an upsert is an update in disguise: the guards must refuse both."""
    store = make_store(tmp_path, 3)
    before = list(store.events())
    conn = raw(store.path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute(sql)
    conn.close()
    assert list(store.events()) == before
    assert store.verify() == 3


def test_raw_insert_of_a_forged_event_at_the_end_is_caught_by_verify(tmp_path):
    """The guards allow appending; a row appended behind the store's back with a made-up
    hash is named by verify."""
    store = make_store(tmp_path, 3)
    last = store.get("e2")
    conn = raw(store.path)
    conn.execute("INSERT INTO events (seq, id, type, schema_version, recorded_at, payload, "
                 "prev_hash, hash) VALUES (4, 'forged', 'Note', 1, ?, '{}', ?, ?)",
                 (last.recorded_at, last.hash, "b" * 64))
    conn.close()
    with pytest.raises(TamperError, match=r"seq 4\b.*'forged'") as info:
        store.verify()
    assert info.value.seq == 4


# -- tamper evidence ------------------------------------------------------------

def test_intact_ledger_verifies_and_returns_its_count(tmp_path):
    """verify() passes on an untouched ledger and returns the event count (0 when empty)."""
    assert EventStore(tmp_path / "empty.db").verify() == 0
    store = make_store(tmp_path, 8)
    assert store.verify() == 8
    assert store.verify(str(store.head())) == 8


def test_edited_payload_fails_verify_at_that_seq(tmp_path):
    """Drop the guards, edit one payload, put the guards back: verify names that seq and id."""
    store = make_store(tmp_path, 8)
    tampered(store, "UPDATE events SET payload = '{\"i\":3,\"text\":\"forged\"}' WHERE seq = 4")
    with pytest.raises(TamperError) as info:
        store.verify()
    assert info.value.seq == 4
    assert "seq 4" in str(info.value) and "'e3'" in str(info.value)


@pytest.mark.parametrize("column, value", [
    ("id", "e3-forged"), ("type", "Forged"), ("schema_version", 2), ("town", "浏河镇"),
    ("period", "2018"), ("occurred_on", "2017-01-01"), ("refers_to", "e0"),
    ("recorded_at", "2000-01-01T00:00:00.000000Z"), ("actor", "mallory"),
])
def test_edited_envelope_field_fails_verify_at_that_seq(tmp_path, column, value):
    """Every envelope column is covered by the hash: editing any one is caught at its seq."""
    store = make_store(tmp_path, 6)
    tampered(store, f"UPDATE events SET {column} = ? WHERE seq = 4", params=(value,))
    with pytest.raises(TamperError, match=r"seq 4\b") as info:
        store.verify()
    assert info.value.seq == 4


def test_edited_hash_fails_verify(tmp_path):
    """Rewriting a stored hash breaks that row (and the next row's prev_hash link)."""
    store = make_store(tmp_path, 5)
    tampered(store, "UPDATE events SET hash = ? WHERE seq = 3", params=("f" * 64,))
    with pytest.raises(TamperError, match=r"seq 3\b") as info:
        store.verify()
    assert info.value.seq == 3


@pytest.mark.parametrize("guard", sorted(GUARDS))
def test_missing_guard_alone_is_detected(tmp_path, guard):
    """A dropped guard trigger is tampering even when every row is still intact."""
    store = make_store(tmp_path, 3)
    with raw(store.path) as conn:
        conn.execute(f"DROP TRIGGER {guard}")
    conn.close()
    with pytest.raises(TamperError, match=guard):
        store.verify()


def test_altered_guard_is_detected(tmp_path):
    """A guard replaced by a same-named trigger that lets updates through is detected."""
    store = make_store(tmp_path, 3)
    with raw(store.path) as conn:
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT 1; END")
    conn.close()
    with pytest.raises(TamperError, match="events_no_update"):
        store.verify()


@pytest.mark.parametrize("victim", [1, 5, 8])
def test_deleted_row_is_detected_as_a_gap(tmp_path, victim):
    """Deleting a row (first, middle, or the one before the last) leaves a gap verify names."""
    store = make_store(tmp_path, 9)
    tampered(store, f"DELETE FROM events WHERE seq = {victim}")
    with pytest.raises(TamperError, match=rf"seq {victim} is missing") as info:
        store.verify()
    assert info.value.seq == victim


def test_swapped_payloads_are_detected(tmp_path):
    """Swapping two rows' payloads is caught at the first of the two."""
    store = make_store(tmp_path, 8)
    a, b = store.get("e2").payload, store.get("e5").payload
    tampered(store, "UPDATE events SET payload = CASE seq WHEN 3 THEN ? ELSE ? END "
                    "WHERE seq IN (3, 6)", params=(b, a))
    assert store.get("e2").payload == b
    with pytest.raises(TamperError, match=r"seq 3\b") as info:
        store.verify()
    assert info.value.seq == 3


def test_swapped_ids_and_payloads_are_detected(tmp_path):
    """Swapping the ids and payloads of two rows (their content changes places) is caught."""
    store = make_store(tmp_path, 8)
    e2, e5 = store.get("e2"), store.get("e5")
    with raw(store.path) as conn:
        drop_guards(conn)
        conn.execute("UPDATE events SET id = 'tmp' WHERE seq = 3")
        conn.execute("UPDATE events SET id = 'e2', payload = ? WHERE seq = 6", (e2.payload,))
        conn.execute("UPDATE events SET id = 'e5', payload = ? WHERE seq = 3", (e5.payload,))
        restore_guards(conn)
    conn.close()
    assert store.get("e5").seq == 3 and store.get("e2").seq == 6
    with pytest.raises(TamperError, match=r"seq 3\b") as info:
        store.verify()
    assert info.value.seq == 3


def test_reordered_rows_are_detected(tmp_path):
    """Moving whole rows (hashes included) to other seqs breaks the prev_hash links."""
    store = make_store(tmp_path, 6)
    tampered(store,
             "UPDATE events SET seq = 100 WHERE seq = 2",
             "UPDATE events SET seq = 2 WHERE seq = 4",
             "UPDATE events SET seq = 4 WHERE seq = 100")
    with pytest.raises(TamperError, match=r"seq 2\b") as info:
        store.verify()
    assert info.value.seq == 2


def test_truncated_tail_passes_plain_verify_but_not_a_digest_that_covers_it(tmp_path):
    """A chain alone cannot see a cut tail (threat model); a digest taken after it can."""
    store = make_store(tmp_path, 5)
    early = str(store.head())
    add(store, notes("late", 5))
    late = str(store.head())
    assert late.startswith("10:")
    tampered(store, "DELETE FROM events WHERE seq > 7")
    # The remaining prefix is a perfectly valid chain: plain verify cannot know.
    assert store.verify() == 7
    assert store.verify(early) == 7
    with pytest.raises(TamperError, match="removed") as info:
        store.verify(late)
    assert info.value.seq == 8
    assert "10" in str(info.value)


def test_recreated_empty_table_passes_plain_verify_but_not_a_digest(tmp_path):
    """Dropping the events table and recreating it empty, guards and all, leaves a valid empty
    chain; only a digest taken earlier shows that every event is gone."""
    store = make_store(tmp_path, 4)
    digest = str(store.head())
    with raw(store.path) as conn:
        schema = [sql for (sql,) in conn.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'events' AND sql IS NOT NULL "
            "ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END")]
        conn.execute("DROP TABLE events")
        for sql in schema:
            conn.execute(sql)
    conn.close()
    assert store.verify() == 0
    with pytest.raises(TamperError, match="removed") as info:
        store.verify(digest)
    assert info.value.seq == 1


def test_digest_beyond_the_end_is_detected(tmp_path):
    """A digest naming a seq the ledger never reached (or no longer holds) fails."""
    store = make_store(tmp_path, 3)
    with pytest.raises(TamperError):
        store.verify("4:" + "a" * 64)


def test_digest_with_the_wrong_hash_at_its_seq_fails(tmp_path):
    """A digest whose seq exists but whose hash is not that event's hash fails at that seq."""
    store = make_store(tmp_path, 4)
    with pytest.raises(TamperError, match=r"seq 2\b") as info:
        store.verify("2:" + "a" * 64)
    assert info.value.seq == 2


def test_forged_chain_passes_plain_verify_but_not_an_earlier_digest(tmp_path):
    """Rewrite event 4 and recompute every later hash: the chain is consistent again, so plain
    verify passes, but a digest taken before the forgery (at seq 6) exposes it; a digest
    from before the rewritten event (seq 2) cannot."""
    store = make_store(tmp_path, 6)
    before_forged_event = str(store.get("e1").seq) + ":" + store.get("e1").hash
    digest = str(store.head())
    add(store, notes("late", 2))
    rows = list(store.events())
    conn = raw(store.path)
    drop_guards(conn)
    prev = rows[2].hash
    for row in rows[3:]:
        if row.seq == 4:
            row = evolve(row, payload='{"i":3,"text":"forged"}')
        digest_ = event_hash(prev, row.seq, row, row.recorded_at)
        conn.execute("UPDATE events SET payload = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                     (row.payload, prev, digest_, row.seq))
        prev = digest_
    restore_guards(conn)
    conn.close()
    assert "forged" in store.get("e3").payload
    assert store.verify() == 8
    assert store.verify(before_forged_event) == 8
    with pytest.raises(TamperError, match="rewritten") as info:
        store.verify(digest)
    assert info.value.seq == 6


@pytest.mark.parametrize("digest", [
    "abc", "5", "5:", ":" + "a" * 64, "0:" + "a" * 64, "-1:" + "a" * 64, "x:" + "a" * 64,
    "3:" + "a" * 63, "3:" + "a" * 65, "3:" + "A" * 64, "3:" + "g" * 64, "3 :" + "a" * 64,
    "3:" + "a" * 32 + ":" + "a" * 31,
    # empty: once skipped the digest check silently (`if digest`)
    "",
    # str.isdigit() characters: '²' once escaped as ValueError, '５' was read as 5
    "²:" + "a" * 64, "５:" + "a" * 64,
])
def test_malformed_digest_is_a_ledger_error(tmp_path, digest):
    """A digest that is not SEQ:HASH (64 lowercase hex) is refused with LedgerError."""
    store = make_store(tmp_path, 3)
    with pytest.raises(LedgerError, match="malformed digest"):
        store.verify(digest)


# -- the application's all-or-nothing appends ---------------------------------------

SETUP = [
    {"type": "adopt", "id": "a1", "period": "2017", "rubric": "taicang-2017"},
    {"type": "town", "id": "t1", "name": "沙溪镇"},
]


def finding(fid: str, quantity: int = 2, **extra) -> dict:
    return {"type": "finding", "id": fid, "town": "沙溪镇", "period": "2017",
            "clause": "B06.1", "occurred_on": "2017-03-01", "quantity": quantity, **extra}


@pytest.fixture
def lg(tmp_path):
    with ledger.open(tmp_path / "audit.db", clock=lambda: T0) as opened:
        yield opened


def test_reappending_the_same_records_appends_nothing(lg):
    """Re-importing records already in the ledger with identical content is a no-op."""
    records = SETUP + [finding("f1"), finding("f2", 3), finding("f3", note="重复 \"quoted\"")]
    assert lg.append(records) == 5
    head = lg.head()
    assert lg.append(records) == 0
    assert lg.head() == head
    assert lg.append(records + [finding("f4")]) == 1
    assert lg.store.count() == 6
    assert lg.verify() == 6


def test_same_id_with_other_content_is_refused_and_nothing_appended(lg):
    """An id already stored with different content is an error; the whole batch is dropped."""
    lg.append(SETUP + [finding("f1", 2)])
    head = lg.head()
    with pytest.raises(LedgerError, match="f1"):
        lg.append([finding("f9"), finding("f1", 5)])
    assert lg.head() == head
    assert lg.store.count() == 3
    assert lg.store.get("f9") is None


def test_failing_batch_appends_nothing(lg):
    """A bad record at position 3 of 5 fails the batch: nothing appended, head unchanged."""
    lg.append(SETUP)
    head, count = lg.head(), lg.store.count()
    batch = [finding("f1"), finding("f2"), finding("f3", clause="Z99.9"), finding("f4"),
             finding("f5")]
    with pytest.raises(LedgerError, match="record 3"):
        lg.append(batch)
    assert lg.store.count() == count
    assert lg.head() == head
    assert all(lg.store.get(f"f{i}") is None for i in range(1, 6))
    assert lg.append([finding("f1")]) == 1


def test_text_that_is_not_valid_utf8_is_a_ledger_error(lg):
    """Text holding a lone surrogate (what json.loads makes of "\\ud800") is bad input:
    LedgerError naming the record and field, nothing appended. It once escaped as a
    UnicodeEncodeError from hashing."""
    lg.append(SETUP)
    head = lg.head()
    with pytest.raises(LedgerError, match="record 2.*note"):
        lg.append([finding("f1"), finding("f2", note="broken \ud800 text")])
    with pytest.raises(LedgerError, match="evidence"):
        lg.append([finding("f3", evidence=["ok.pdf", "\udfff.pdf"])])
    assert lg.head() == head
    assert lg.store.get("f1") is None


# -- files that are not (this version's) ledgers --------------------------------------

def test_ledger_from_a_newer_version_is_refused(tmp_path):
    """A ledger whose user_version is above this code's schema raises SchemaError ('newer')."""
    path = tmp_path / "future.db"
    with ledger.open(path) as lg:
        lg.append(SETUP)
    with raw(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(SchemaError, match="newer") as info:
        ledger.open(path)
    assert "99" in str(info.value)


def test_plain_sqlite_database_is_refused_and_left_untouched(tmp_path):
    """A SQLite file of another application is not a ledger: SchemaError, file not modified."""
    path = tmp_path / "other.db"
    conn = raw(path)
    conn.execute("CREATE TABLE foo (x INTEGER)")
    conn.execute("INSERT INTO foo VALUES (42)")
    conn.close()
    with pytest.raises(SchemaError, match="not an audit ledger"):
        ledger.open(path)
    conn = raw(path)
    assert conn.execute("SELECT x FROM foo").fetchall() == [(42,)]
    assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("foo",)]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_text_file_is_refused_with_a_ledger_error(tmp_path):
    """A text file is refused with a LedgerError naming the file; no sqlite3 error leaks."""
    path = tmp_path / "notes.txt"
    text = "沙溪镇 2017 findings\n" * 200
    path.write_text(text, encoding="utf-8")
    with pytest.raises(Exception) as info:
        ledger.open(path)
    assert isinstance(info.value, LedgerError)
    assert not isinstance(info.value, sqlite3.Error)
    assert str(path) in str(info.value)
    assert "not an audit ledger" in str(info.value)
    assert path.read_text(encoding="utf-8") == text


def test_path_in_a_missing_directory_is_a_ledger_error(tmp_path):
    """A ledger path in a directory that does not exist: LedgerError, nothing created."""
    path = tmp_path / "no" / "such" / "dir" / "audit.db"
    with pytest.raises(LedgerError) as info:
        ledger.open(path)
    assert not isinstance(info.value, sqlite3.Error)
    assert str(path) in str(info.value)
    assert not (tmp_path / "no").exists()
