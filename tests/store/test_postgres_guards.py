"""What only the PostgreSQL store guards: the server's own triggers (even against its
superuser), the statement trigger's chain checks, verify's checks of the guards and
the head, parallel verify, schema marks, and errors without psycopg or a server.
"""

from __future__ import annotations

import sys

import pytest

from ledger import LedgerError, SchemaError, TamperError
from support.backends import PostgresBackend, made


@pytest.fixture
def pg(pg_url):
    b = PostgresBackend(pg_url)
    yield b
    b.close()


# -- what only PostgreSQL guards --------------------------------------------------------

@pytest.mark.parametrize("sql", [
    "UPDATE events SET payload = '{}' WHERE seq = 2", "DELETE FROM events WHERE seq = 3",
    "TRUNCATE events", "UPDATE ledger_head SET seq = 1", "DELETE FROM ledger_head",
    "TRUNCATE ledger_head", "INSERT INTO ledger_head VALUES (false, 9, 'x')",
])
def test_the_server_refuses_changes_even_to_its_superuser(pg, sql):
    import psycopg
    store = made(pg, 3)
    before = list(store.events())
    with pg.raw() as conn, pytest.raises(psycopg.Error, match="append-only|moves only|check"):
        conn.execute(sql)
    assert list(store.events()) == before and store.verify() == 3


def test_a_raw_insert_must_continue_the_head_and_link(pg):
    """Inserts behind the store's back: a seq that skips or repeats, or a prev_hash
    that does not link, is refused by the statement trigger; a linked row with a
    made-up hash gets in, and verify names it."""
    import psycopg
    store = made(pg, 3)
    last = store.get("e2")
    insert = ("INSERT INTO events (seq, id, type, schema_version, recorded_at, payload, "
              "prev_hash, hash) VALUES (%s, %s, 'Note', 1, %s, '{}', %s, %s)")
    with pg.raw() as conn:
        for seq, prev in ((5, last.hash), (4, "0" * 64)):
            with pytest.raises(psycopg.Error, match="continue the chain|does not link"):
                conn.execute(insert, (seq, f"bad{seq}", last.recorded_at, prev, "b" * 64))
        conn.execute(insert, (4, "forged", last.recorded_at, last.hash, "b" * 64))
    with pytest.raises(TamperError, match=r"seq 4\b.*'forged'") as info:
        store.verify()
    assert info.value.seq == 4


@pytest.mark.parametrize("attack", [
    "DROP TRIGGER events_no_update ON events",
    "ALTER TABLE events DISABLE TRIGGER events_appended",
    "DROP TRIGGER ledger_head_guard ON ledger_head",
    "CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql "
    "AS $$BEGIN RETURN NEW; END$$",
    "ALTER FUNCTION ledger_events_appended() SECURITY INVOKER",
    "ALTER FUNCTION ledger_lock_head() RESET search_path",
    # a same-named function in another schema, the trigger pointed at it
    "CREATE SCHEMA evil; CREATE FUNCTION evil.ledger_refuse_change() RETURNS trigger "
    "LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$; DROP TRIGGER events_no_update ON events; "
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events FOR EACH ROW "
    "EXECUTE FUNCTION evil.ledger_refuse_change()",
])
def test_a_missing_disabled_or_altered_guard_fails_verify(pg, attack):
    store = made(pg, 3)
    with pg.raw() as conn:
        conn.execute(attack)
    with pytest.raises(TamperError, match="guard"):
        store.verify()


def test_a_cut_tail_with_the_head_left_behind_is_named(pg):
    store = made(pg, 10)
    pg.tamper("DELETE FROM events WHERE seq > 7")
    with pytest.raises(TamperError, match="ledger_head says 10:") as info:
        store.verify()
    assert info.value.seq == 8


@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_parallel_verify_names_the_first_bad_event(pg, monkeypatch):
    from ledger.store import chain
    monkeypatch.setattr(chain, "PARALLEL_MIN", 10)
    store = made(pg, 300)
    assert store.verify(str(store.head()), workers=2) == 300
    pg.tamper("UPDATE events SET payload = '{}' WHERE seq IN (160, 280)")
    with pytest.raises(TamperError, match="event seq 160 ") as info:
        store.verify(workers=2)
    assert info.value.seq == 160


def test_a_table_named_events_of_another_application_is_refused(pg):
    with pg.raw() as conn:
        conn.execute("CREATE TABLE events (x int)")
    with pytest.raises(SchemaError, match="not an audit ledger"):
        pg.open()


def test_a_newer_schema_is_refused(pg):
    made(pg, 1).close()
    with pg.raw() as conn:
        conn.execute("COMMENT ON TABLE events IS 'audit-ledger events, schema 99'")
    with pytest.raises(SchemaError, match="newer"):
        pg.open()


def test_without_psycopg_a_url_says_what_to_install(monkeypatch):
    from ledger.store.backends import open_store
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(LedgerError, match=r"pip install -e '\.\[postgres\]'"):
        open_store("postgresql://ledger@127.0.0.1/audit")


def test_an_unreachable_server_is_one_ledger_error_without_the_password():
    from ledger.store.backends import open_store
    with pytest.raises(LedgerError, match="cannot open ledger") as info:
        open_store("postgresql://app:s3cret@127.0.0.1:1/audit", timeout=2)
    assert "s3cret" not in str(info.value)
