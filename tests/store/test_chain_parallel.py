"""A large ledger is verified by several processes: it must find exactly what one finds."""

import sqlite3

import pytest

from ledger.store import chain
from ledger.errors import TamperError
from ledger.store import GUARDS, EventStore, NewEvent


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setattr(chain, "PARALLEL_MIN", 10)  # force the parallel road on a small file
    s = EventStore(tmp_path / "l.db", synchronous="NORMAL")
    s.append(lambda r: [NewEvent(f"e{i}", "Note", 1, payload=f'{{"n":{i}}}') for i in range(1, 301)])
    yield s
    s.close()


def tamper(store, sql, *params):
    conn = sqlite3.connect(store.path)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("DROP TRIGGER events_no_delete")
    conn.execute(sql, params)
    conn.commit()
    for name in ("events_no_update", "events_no_delete"):
        conn.execute(GUARDS[name])
    conn.commit()
    conn.close()


@pytest.mark.parametrize("workers", [2, 3])
def test_parallel_verify_counts_and_checks_a_digest(store, workers):
    digest = str(store.head())
    assert chain.verify_chain(store.conn, GUARDS, digest, path=store.path,
                              workers=workers) == 300


@pytest.mark.parametrize("seq", [1, 150, 151, 300])
def test_parallel_verify_names_the_first_edited_event(store, seq):
    tamper(store, "UPDATE events SET payload = '{\"n\":0}' WHERE seq = ?", seq)
    with pytest.raises(TamperError, match=f"event seq {seq} ") as err:
        store.verify()
    assert err.value.seq == seq


def test_parallel_verify_finds_a_gap_at_a_range_boundary(store):
    tamper(store, "DELETE FROM events WHERE seq = 151")
    with pytest.raises(TamperError, match="seq 151 is missing"):
        store.verify()


def test_parallel_verify_reports_the_earliest_of_two_edits(store):
    tamper(store, "UPDATE events SET payload = '{}' WHERE seq IN (40, 260)")
    with pytest.raises(TamperError) as err:
        store.verify()
    assert err.value.seq == 40


ODD_TEXTS = ['引号"与\\反斜杠', "换行\n制表\t回车\r", "\x00\x01\x1f\x7f", "\u2028\u2029", "😀 𠀋",
             "</script>", "\ufeffBOM", "é" * 300]


@pytest.mark.parametrize("text", ODD_TEXTS)
def test_verify_agrees_with_the_python_envelope_on_odd_text(tmp_path, text):
    """SQLite builds the hash input on the fast road; text it escapes otherwise than our
    JSON must still verify (through the row-by-row road), and a change must still fail."""
    s = EventStore(tmp_path / "odd.db", synchronous="NORMAL")
    s.append(lambda r: [NewEvent(f"{text}/{i}", "Note", 1, town=text, actor=text,
                                 payload=f'{{"n":{i}}}') for i in range(5)])
    assert s.verify() == 5
    tamper(s, "UPDATE events SET actor = ? WHERE seq = 3", text + "x")
    with pytest.raises(TamperError) as err:
        s.verify()
    assert err.value.seq == 3
    s.close()

