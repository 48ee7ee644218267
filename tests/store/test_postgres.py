"""The PostgreSQL store against a real server, beside the SQLite store: the same tests
on both backends (``backend`` fixture), the same chain for the same records, and two
writers on one head. What only PostgreSQL guards is in test_postgres_guards.py, the
role and copy in test_postgres_admin.py, processes in test_postgres_processes.py.

The server comes from tests/support/pg.py (``$LEDGER_TEST_PG_URL``; under CI a missing
server fails these tests).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from attrs import evolve

from ledger import LedgerError, TamperError
from ledger.importing.validation import validate_into
from ledger.store import COLUMNS, NewEvent, event_hash, format_timestamp
from support.backends import PostgresBackend, SqliteBackend, add, made, notes

T0 = datetime(2017, 3, 1, 8, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, tmp_path):
    if request.param == "sqlite":
        b = SqliteBackend(tmp_path / "store.db")
    else:
        b = PostgresBackend(request.getfixturevalue("pg_url"))
    yield b
    b.close()


@pytest.fixture
def pg(pg_url):
    b = PostgresBackend(pg_url)
    yield b
    b.close()


def seqs(store) -> list[int]:
    return [e.seq for e in store.events()]


# -- appending --------------------------------------------------------------------

def test_seq_runs_one_to_n_across_batches_chunks_and_a_reopen(backend):
    store = made(backend)
    assert add(store, notes("a", 3)) == 3
    assert add(store, notes("b", backend.chunk * 2 + 7)) == backend.chunk * 2 + 7
    store.close()
    store = backend.open()
    assert add(store, notes("c", 1)) == 1
    n = 3 + backend.chunk * 2 + 7 + 1
    assert seqs(store) == list(range(1, n + 1))
    assert store.count() == n and store.head().seq == n
    events = list(store.events())
    assert all(e.prev_hash == p.hash for p, e in zip(events, events[1:]))
    assert store.verify() == n


def test_recorded_at_follows_the_clock_and_never_goes_back(backend):
    """An advancing clock is copied exactly; a frozen or backward clock still gives
    strictly increasing recorded_at, within and across batches."""
    times = iter([T0 + timedelta(seconds=i) for i in range(3)])
    store = made(backend, clock=lambda: next(times))
    add(store, notes("a", 3))
    store.clock = lambda: T0 - timedelta(minutes=2)  # back, within the skew
    add(store, notes("b", 3))
    values = [e.recorded_at for e in store.events()]
    assert values[:3] == [format_timestamp(T0 + timedelta(seconds=i)) for i in range(3)]
    assert values[3] == "2017-03-01T08:00:02.000001Z"
    assert all(a < b for a, b in zip(values, values[1:]))
    assert store.verify() == 6


def test_server_clock_gives_utc_microsecond_text_in_order(pg):
    """Without an injected clock the server's clock_timestamp() is used, in the same
    text form as SQLite's, strictly increasing across writers' batches."""
    store = made(pg, 5)
    add(store, notes("x", 3))
    values = [e.recorded_at for e in store.events()]
    assert all(len(v) == 27 and v.endswith("Z") and v[10] == "T" for v in values)
    assert all(a < b for a, b in zip(values, values[1:]))
    assert store.last_recorded_at() == values[-1]


def test_empty_append_writes_nothing(backend):
    store = made(backend)
    assert store.append(lambda reader: []) == 0
    assert store.head() is None and store.count() == 0 and store.verify() == 0


def test_duplicate_id_in_a_batch_appends_nothing(backend):
    store = made(backend, 2)
    head = store.head()
    with pytest.raises(LedgerError, match="nothing was written"):
        add(store, notes("x", 3) + [NewEvent("x1", "Note", 1, payload='{"other":1}')])
    with pytest.raises(LedgerError, match="nothing was written"):
        add(store, [NewEvent("e0", "Note", 1)])
    assert store.head() == head and store.count() == 2 and store.get("x0") is None


def test_error_after_flushed_chunks_rolls_everything_back(backend):
    store = made(backend, 2)
    head = store.head()

    def prepare(reader):
        yield from notes("big", backend.chunk + 500)
        raise LedgerError("record 2501: bad")

    with pytest.raises(LedgerError, match="record 2501"):
        store.append(prepare)
    assert store.head() == head and store.count() == 2 and store.get("big0") is None
    assert add(store, notes("after", 1)) == 1
    assert store.verify() == 3


def test_reader_sees_committed_and_pending_events(backend):
    """Inside an append the reader sees committed rows and those yielded so far, before
    and after a chunk is flushed."""
    store = made(backend)
    add(store, [NewEvent("t1", "TownRegistered", 1, town="沙溪镇", payload='{}'),
                NewEvent("a1", "RubricAdopted", 1, period="2017", payload='{}')])
    seen = {}

    def prepare(reader):
        seen["town"] = (reader.has_town("沙溪镇"), reader.has_town("浏河镇"))
        seen["latest"] = reader.latest_each(("RubricAdopted", "PeriodClosed"), "2017")
        yield NewEvent("f1", "Note", 1, town="沙溪镇", period="2017")
        yield NewEvent("c1", "Note", 1, refers_to="f1")
        seen["pending"] = (reader.get("f1").seq, [e.id for e in reader.referring("f1")])
        yield from notes("fill", backend.chunk)
        seen["flushed"] = ([e.id for e in reader.get_many(["f1", "t1", "nope"])],
                           [e.id for e in reader.find(refers_to="f1")])

    store.append(prepare)
    assert seen["town"] == (True, False)
    assert seen["latest"] == {"RubricAdopted": ("a1", store.get("a1").hash)}
    assert seen["pending"] == (3, ["c1"])
    assert sorted(seen["flushed"][0]) == ["f1", "t1"] and seen["flushed"][1] == ["c1"]


def test_listeners_get_each_chunk_as_column_tuples_inside_the_transaction(backend):
    store = made(backend)
    got = []
    store.listeners.append(lambda conn, rows: got.append([r[:2] for r in rows]))
    add(store, notes("e", backend.chunk + 1))
    assert [len(c) for c in got] == [backend.chunk, 1]
    assert got[0][0] == (1, "e0") and len(COLUMNS) == 13

    def refuse(conn, rows):
        raise LedgerError("the read model refused")

    store.listeners[:] = [refuse]
    with pytest.raises(LedgerError, match="refused"):
        add(store, notes("x", 2))
    assert store.count() == backend.chunk + 1


def test_records_reappended_through_validation_are_a_no_op(backend):
    """The application's validation reads through the reader: identical records again
    append nothing, the same id with other content is refused whole."""
    store = made(backend, clock=lambda: T0)
    records = [{"type": "adopt", "id": "a1", "period": "2017", "rubric": "taicang-2017"},
               {"type": "town", "id": "t1", "name": "沙溪镇"},
               {"type": "finding", "id": "f1", "town": "沙溪镇", "period": "2017",
                "clause": "B06.1", "occurred_on": "2017-03-01", "quantity": 2}]

    def append(recs):
        numbered = ((f"record {n}", r) for n, r in enumerate(recs, start=1))
        return store.append(lambda reader: validate_into(reader, numbered, set()))

    assert append(records) == 3
    head = store.head()
    assert append(records) == 0
    with pytest.raises(LedgerError, match="f1"):
        append([{**records[2], "quantity": 5}])
    assert store.head() == head and store.verify() == 3


# -- the same chain on both backends -------------------------------------------------

ODD = ['引号"与\\反斜杠', "换行\n制表\t回车\r", "\x01\x1f\x7f", "\u2028\u2029", "😀 𠀋", "\ufeffBOM"]


def test_the_same_records_give_the_same_chain_on_both_backends(tmp_path, pg):
    events = [NewEvent(f"{t}/{i}", "Note", 1, town=t, actor=t, period="2017",
                       payload=f'{{"t":"{i}"}}') for i, t in enumerate(ODD)] + notes("n", 50)
    heads = []
    for b in (SqliteBackend(tmp_path / "same.db"), pg):
        store = b.open(clock=lambda: T0)
        add(store, events)
        heads.append((store.head(), [(e.recorded_at, e.hash) for e in store.events()]))
        assert store.verify() == len(events)
        store.close()
    assert heads[0] == heads[1]


def test_nul_text_is_refused_on_postgresql_with_nothing_written(pg):
    store = made(pg, 1)
    with pytest.raises(LedgerError, match="NUL"):
        add(store, [NewEvent("ok", "Note", 1), NewEvent("bad", "Note", 1, town="a\x00b")])
    assert store.count() == 1


# -- tamper evidence on both ---------------------------------------------------------

def test_intact_ledger_verifies_with_and_without_its_digest(backend):
    store = made(backend, 8)
    assert store.verify() == 8 and store.verify(str(store.head())) == 8


@pytest.mark.parametrize("column, value", [
    ("payload", '{"i":3,"text":"forged"}'), ("id", "e3-forged"), ("type", "Forged"),
    ("schema_version", 2), ("town", "浏河镇"), ("period", "2018"), ("occurred_on", "2017-01-01"),
    ("refers_to", "e0"), ("recorded_at", "2000-01-01T00:00:00.000000Z"), ("actor", "mallory"),
    ("hash", "f" * 64),
])
def test_an_edited_column_fails_verify_at_its_seq(backend, column, value):
    store = made(backend, 6)
    backend.tamper(f"UPDATE events SET {column} = ? WHERE seq = 4", params=(value,))
    with pytest.raises(TamperError, match=r"seq 4\b") as info:
        store.verify()
    assert info.value.seq == 4


@pytest.mark.parametrize("victim", [1, 5, 8])
def test_a_removed_row_is_named_as_a_gap(backend, victim):
    store = made(backend, 9)
    backend.tamper(f"DELETE FROM events WHERE seq = {victim}")
    with pytest.raises(TamperError, match=rf"seq {victim} is missing") as info:
        store.verify()
    assert info.value.seq == victim


def test_reordered_rows_are_detected(backend):
    store = made(backend, 6)
    backend.tamper("UPDATE events SET seq = 100 WHERE seq = 2",
                   "UPDATE events SET seq = 2 WHERE seq = 4",
                   "UPDATE events SET seq = 4 WHERE seq = 100")
    with pytest.raises(TamperError, match=r"seq 2\b") as info:
        store.verify()
    assert info.value.seq == 2


def test_swapped_payloads_are_detected(backend):
    store = made(backend, 8)
    a, b = store.get("e2").payload, store.get("e5").payload
    backend.tamper("UPDATE events SET payload = CASE seq WHEN 3 THEN ? ELSE ? END "
                   "WHERE seq IN (3, 6)", params=(b, a))
    with pytest.raises(TamperError, match=r"seq 3\b"):
        store.verify()


def test_forged_chain_passes_plain_verify_but_not_an_earlier_digest(backend):
    store = made(backend, 6)
    digest = str(store.head())
    rows = list(store.events())
    prev, statements, params = rows[2].hash, [], []
    for row in rows[3:]:
        if row.seq == 4:
            row = evolve(row, payload='{"forged":1}')
        h = event_hash(prev, row.seq, row, row.recorded_at)
        statements.append(f"UPDATE events SET payload = '{row.payload}', prev_hash = '{prev}', "
                          f"hash = '{h}' WHERE seq = {row.seq}")
        prev = h
    if backend.name == "postgres":
        backend.tamper(*statements, head=True)
    else:
        backend.tamper(*statements)
    assert store.verify() == 6
    with pytest.raises(TamperError, match="rewritten") as info:
        store.verify(digest)
    assert info.value.seq == 6


def test_a_cut_tail_is_caught_by_a_digest_that_covers_it(backend):
    store = made(backend, 10)
    late = str(store.head())
    kw = {"head": True} if backend.name == "postgres" else {}
    backend.tamper("DELETE FROM events WHERE seq > 7", **kw)
    assert store.verify() == 7  # a valid prefix: only a digest can tell
    with pytest.raises(TamperError, match="removed") as info:
        store.verify(late)
    assert info.value.seq == 8


@pytest.mark.parametrize("digest", ["abc", "", "0:" + "a" * 64, "3:" + "A" * 64, "５:" + "a" * 64])
def test_malformed_digest_is_a_ledger_error(backend, digest):
    store = made(backend, 3)
    with pytest.raises(LedgerError, match="malformed digest"):
        store.verify(digest)


def test_a_digest_beyond_the_end_or_with_another_hash_fails(backend):
    store = made(backend, 4)
    with pytest.raises(TamperError, match="removed"):
        store.verify("5:" + "a" * 64)
    with pytest.raises(TamperError, match=r"seq 2\b"):
        store.verify("2:" + "a" * 64)


# -- two writers: the head lock ------------------------------------------------------

def test_a_waiting_writer_sees_what_the_holder_committed(pg):
    """B waits for A's lock; once A commits, B's prepare sees A's events (it reads after
    the lock, in a fresh snapshot) and B's events follow A's in the chain."""
    import threading
    a, b = pg.open(), pg.open()
    add(a, notes("e", 1))
    inside, release, seen = threading.Event(), threading.Event(), {}

    def holder(reader):
        yield NewEvent("a1", "Note", 1)
        inside.set()
        release.wait(30)

    def waiter(reader):
        seen["a1"] = reader.get("a1")
        yield NewEvent("b1", "Note", 1)

    ta = threading.Thread(target=a.append, args=(holder,))
    ta.start()
    assert inside.wait(30)
    tb = threading.Thread(target=b.append, args=(waiter,))
    tb.start()
    tb.join(0.5)
    assert tb.is_alive() and "a1" not in seen  # B is waiting for the head
    release.set()
    ta.join(30)
    tb.join(30)
    assert seen["a1"] is not None and seen["a1"].seq == 2
    assert [e.id for e in a.events()] == ["e0", "a1", "b1"]
    assert a.verify() == 3


@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_a_writer_gives_up_after_its_timeout_with_nothing_written(pg):
    import threading
    a, b = pg.open(), pg.open(timeout=1)
    inside, release = threading.Event(), threading.Event()

    def holder(reader):
        yield NewEvent("a1", "Note", 1)
        inside.set()
        release.wait(30)

    ta = threading.Thread(target=a.append, args=(holder,))
    ta.start()
    assert inside.wait(30)
    try:
        with pytest.raises(LedgerError, match="stayed locked by another writer for 1 s"):
            add(b, notes("b", 1))
    finally:
        release.set()
        ta.join(30)
    assert [e.id for e in b.events()] == ["a1"]
    assert add(b, notes("b", 1)) == 1


# -- property: any text, the same chain -------------------------------------------------

def test_any_text_gives_the_same_chain_on_both_backends(tmp_path, pg):
    """Hypothesis: batches of events with arbitrary text (no NUL, which PostgreSQL
    refuses; no lone surrogates, which are not text) appended to both backends with
    the same clock keep the same head after every batch."""
    from hypothesis import given, settings, strategies as st

    text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                   max_size=12)
    optional = st.none() | text
    event = st.builds(lambda i, t, town, period, occ, ref, actor, p: NewEvent(
        f"{i}", t or "Note", 1, town, period, occ, ref, actor, '{"p":%s}' % json.dumps(p)),
        st.just(0), text, optional, optional, optional, optional, optional, text)
    sqlite = SqliteBackend(tmp_path / "prop.db").open(clock=lambda: T0)
    postgres = pg.open(clock=lambda: T0)
    ids = iter(range(10**9))

    @settings(max_examples=40)
    @given(st.lists(event, min_size=1, max_size=6))
    def check(batch):
        batch = [evolve(e, id=f"id{next(ids)}/{e.town}") for e in batch]
        assert add(sqlite, batch) == add(postgres, batch)
        assert sqlite.head() == postgres.head()

    check()
    assert sqlite.verify() == postgres.verify()
    sqlite.close()
