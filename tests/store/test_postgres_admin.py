"""``init-db`` and its application role, and ``copy`` between backends, on a real server.

The role test connects as the role ``init-db`` made and tries everything a careless
or hostile application could: it may append and read, nothing more.
"""

from __future__ import annotations

import uuid

import pytest

from ledger.cli import main
from ledger.errors import LedgerError
from ledger.store import NewEvent
from ledger.store.backends import copy_ledger, init_db, open_store
from support.backends import PostgresBackend
from support.pg import with_user


@pytest.fixture
def app(pg_url):
    """init-db on a fresh database; yields (owner URL, the application role's URL)."""
    role = f"ledger_app_{uuid.uuid4().hex[:8]}"
    init_db(pg_url, role)
    yield pg_url, with_user(pg_url, role)
    import psycopg
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"DROP OWNED BY {role}")
        conn.execute(f"DROP ROLE {role}")


def notes(n: int, prefix: str = "e") -> list[NewEvent]:
    return [NewEvent(f"{prefix}{i}", "Note", 1, town="沙溪镇", period="2017",
                     payload=f'{{"i":{i}}}') for i in range(n)]


def test_the_application_role_appends_reads_and_verifies(app):
    _owner, url = app
    store = open_store(url)
    assert store.append(lambda r: notes(3)) == 3
    assert store.append(lambda r: notes(2, "f")) == 2
    assert [e.seq for e in store.events()] == [1, 2, 3, 4, 5]
    assert store.verify(str(store.head())) == 5
    store.close()


SETUP = [{"type": "adopt", "id": "a1", "period": "2017", "rubric": "taicang-2017"},
         {"type": "town", "id": "t1", "name": "沙溪镇"}]


def b06(fid: str, quantity: int) -> dict:
    return {"type": "finding", "id": fid, "town": "沙溪镇", "period": "2017",
            "clause": "B06.1", "occurred_on": "2017-03-01", "quantity": quantity}


def test_the_application_role_replays_cards_until_the_owner_makes_the_read_model(app):
    import ledger
    owner, url = app
    with ledger.open(url) as lg:  # the role may not create tables: cards are replayed
        lg.append(SETUP + [b06("f1", 2)])
        assert lg.read_model_problem is not None
        assert str(lg.score("沙溪镇", "2017").total) == "99.8"
    with ledger.open(owner) as lg:  # the owner creates it, caught up with the role's events
        assert lg.read_model_problem is None
    with ledger.open(url) as lg:  # from then on the role keeps it in its appends
        assert lg.read_model_problem is None
        lg.append([b06("f2", 3), {"type": "retraction", "id": "x1", "finding": "f1",
                                  "reason": "wrong"}])
        card = lg.score("沙溪镇", "2017")
        assert str(card.total) == "99.7" and card == lg.score("沙溪镇", "2017", replay=True)
        assert lg.verify() == 5  # the read model equals a replay
        with pytest.raises(LedgerError, match="rebuild as the ledger's owner"):  # not the role's
            lg.rebuild()
    with ledger.open(owner) as lg:
        assert lg.rebuild() == [] and lg.verify() == 5


@pytest.mark.parametrize("sql", [
    "UPDATE events SET payload = '{}' WHERE seq = 1",
    "DELETE FROM events WHERE seq = 2",
    "TRUNCATE events",
    "DROP TRIGGER events_no_update ON events",
    "DROP TRIGGER events_appended ON events",
    "ALTER TABLE events DISABLE TRIGGER USER",
    "ALTER TABLE events DISABLE TRIGGER events_no_delete",
    "UPDATE ledger_head SET seq = 0",
    "SELECT * FROM ledger_head FOR UPDATE",
    "DROP TABLE events",
    "CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql "
    "AS $$BEGIN RETURN NEW; END$$",
    "CREATE TABLE events_copy (x int)",
    "SET session_replication_role = replica",
])
def test_the_application_role_can_change_nothing(app, sql):
    import psycopg
    owner, url = app
    store = open_store(url)
    store.append(lambda r: notes(3))
    before = list(store.events())
    with psycopg.connect(url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(sql)
    assert list(store.events()) == before
    assert store.verify() == 3
    store.close()


def test_a_temporary_ledger_head_of_the_role_does_not_stand_in_for_the_real_one(app):
    """The owner's functions search their schema first and pg_temp last: a temp table of
    the role's own, which it may create, changes nothing."""
    _owner, url = app
    store = open_store(url)
    store.conn.execute("CREATE TEMP TABLE ledger_head (one boolean, seq bigint, hash text)")
    store.conn.execute("INSERT INTO pg_temp.ledger_head VALUES (true, 0, repeat('0', 64))")
    store.append(lambda r: notes(2))
    store.append(lambda r: notes(2, "f"))
    assert store.verify() == 4
    store.close()


def test_init_db_refuses_a_file_and_a_bad_role_name(pg_url):
    from ledger import LedgerError
    with pytest.raises(LedgerError, match="postgresql://"):
        init_db("audit.db")
    with pytest.raises(LedgerError, match="role name"):
        init_db(pg_url, 'x"; DROP TABLE events; --')


def test_init_db_from_the_cli_then_the_same_schema_twice(pg_url, capsys):
    role = f"ledger_cli_{uuid.uuid4().hex[:8]}"
    try:
        assert main(["init-db", pg_url, "--role", role]) == 0
        assert main(["init-db", pg_url, "--role", role]) == 0  # idempotent
        assert f"role {role} may only read and append" in capsys.readouterr().out
    finally:
        import psycopg
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


# -- copy -------------------------------------------------------------------------

def demo_ledger(tmp_path):
    from ledger.demo import run_demo
    path = tmp_path / "demo.db"
    run_demo(str(path), "沙溪镇")
    return path


def test_copy_sqlite_to_postgres_and_back_keeps_the_head(tmp_path, pg_url, capsys):
    src = demo_ledger(tmp_path)
    back = tmp_path / "back.db"
    assert main(["copy", str(src), pg_url]) == 0
    assert main(["copy", pg_url, str(back)]) == 0
    heads = []
    for location in (src, pg_url, back):
        capsys.readouterr()
        assert main(["--db", str(location), "head"]) == 0
        heads.append(capsys.readouterr().out.strip())
        assert main(["--db", str(location), "verify", "--digest", heads[-1]]) == 0
    assert heads[0] == heads[1] == heads[2] and int(heads[0].split(":")[0]) > 300
    # cards from the copy back are the original's
    for location in (src, back):
        capsys.readouterr()
        main(["--db", str(location), "score", "--town", "沙溪镇", "--period", "2017", "--json"])
        heads.append(capsys.readouterr().out)
    assert heads[-1] == heads[-2]


def test_copy_continues_a_prefix_and_refuses_a_stranger(tmp_path, pg_url):
    from ledger import LedgerError
    src = open_store(tmp_path / "src.db")
    src.append(lambda r: notes(5))
    assert copy_ledger(tmp_path / "src.db", pg_url).seq == 5
    src.append(lambda r: notes(3, "more"))
    assert copy_ledger(tmp_path / "src.db", pg_url) == src.head()
    other = open_store(tmp_path / "other.db")
    other.append(lambda r: notes(2, "x"))
    with pytest.raises(LedgerError, match="not a prefix"):
        copy_ledger(tmp_path / "other.db", pg_url)
    src.close()
    other.close()


def test_copy_of_a_tampered_source_stops_and_writes_nothing(tmp_path, pg_url):
    from ledger import TamperError
    from support.backends import SqliteBackend
    b = SqliteBackend(tmp_path / "src.db")
    b.open().append(lambda r: notes(20))
    b.tamper("UPDATE events SET payload = '{\"i\":99}' WHERE seq = 12")
    with pytest.raises(TamperError, match="seq 12") as info:
        copy_ledger(b.location, pg_url)
    assert info.value.seq == 12
    target = PostgresBackend(pg_url).open()
    assert target.count() == 0
    target.close()
    b.close()


# -- the application on a postgresql:// URL (cards replayed from events) ------------------

READS = [
    ["score", "--town", "沙溪镇", "--period", "2017", "--json"],
    ["score", "--town", "沙溪镇", "--period", "2017", "--as-of", "2017-06-30",
     "--known-at", "2018-01-01"],
    ["scoreboard", "--period", "2017", "--json"],
    ["scoreboard", "--period", "2017", "--lang", "en"],
    ["explain", "--town", "沙溪镇", "--period", "2017", "--json"],
    ["history", "--town", "沙溪镇", "--period", "2017", "--json"],
    ["compare", "--town", "沙溪镇", "--period", "2017", "--json"],
    ["export", "--period", "2017", "--format", "json", "-o", "OUT"],
]


def test_every_read_command_answers_the_same_on_both_backends(tmp_path, pg_url, capsys):
    """The demo ledger copied to PostgreSQL: each command prints exactly what it prints
    on the SQLite file (cards there are replayed from the events)."""
    src = demo_ledger(tmp_path)
    assert main(["copy", str(src), pg_url]) == 0
    for command in READS:
        outs = []
        for k, location in enumerate((str(src), pg_url)):
            out = tmp_path / f"export-{k}.json"
            capsys.readouterr()
            argv = ["--db", location] + [str(out) if a == "OUT" else a for a in command]
            assert main(argv) == 0, capsys.readouterr().err
            outs.append(out.read_text(encoding="utf-8") if "export" in command
                        else capsys.readouterr().out)
        assert outs[0] == outs[1], command


def test_import_publish_and_reproduce_on_postgresql(tmp_path, pg_url, capsys):
    import json
    records = [{"type": "adopt", "id": "a1", "period": "2017", "rubric": "taicang-2017"},
               {"type": "town", "id": "t1", "name": "沙溪镇"},
               {"type": "finding", "id": "f1", "town": "沙溪镇", "period": "2017",
                "clause": "B06.1", "occurred_on": "2017-03-01", "quantity": 2}]
    data = tmp_path / "records.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")
    assert main(["--db", pg_url, "import", str(data)]) == 0
    assert main(["--db", pg_url, "import", str(data)]) == 0  # the same again: a no-op
    capsys.readouterr()
    assert main(["--db", pg_url, "publish", "--town", "沙溪镇", "--period", "2017"]) == 0
    pub = capsys.readouterr().out.strip().splitlines()[0]  # the receipt's first line is the id
    assert main(["--db", pg_url, "reproduce", pub, "--lang", "en"]) == 0
    assert capsys.readouterr().out.startswith(f"ok: {pub} reproduced")
    store = open_store(pg_url)
    assert store.count() == 4 and store.verify() == 4
    store.close()


def test_a_reading_command_on_an_empty_database_creates_nothing(pg_url, capsys, monkeypatch):
    import psycopg
    monkeypatch.setenv("LEDGER_LANG", "en")  # the English wording is checked below
    assert main(["--db", pg_url, "scoreboard", "--period", "2017"]) == 1
    assert "no ledger in" in capsys.readouterr().err
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT to_regclass('events')").fetchone()[0] is None
