"""PostgreSQL and SQLite side by side, in the same run, on the same rows.

- ``test_store_bulk_append[sqlite|postgres]``: the cached ledger's events appended to a
  fresh store in one ``append`` (hashing, chaining, binary COPY on PostgreSQL); events/s.
- ``test_copy_floor[plain]``: the same 13-column rows, binary COPY into a plain PostgreSQL
  table without indexes or triggers, one transaction: the floor any PostgreSQL store
  pays (the issue's target: the store at >= 50% of it).
- ``test_copy_floor[indexed]``: the same COPY into the ledger's own ``events`` table (its
  primary key and secondary indexes, as ``init-db`` creates them; no trigger): what the
  schema alone costs the server, whatever the client does.
- ``test_durable_append[backend-N]``: one event per transaction (SQLite synchronous=FULL,
  PostgreSQL synchronous_commit=on) while N-1 other processes append as fast as they can;
  p50/p99 of ours.

The server is ``$LEDGER_BENCH_PG_URL`` (or ``$LEDGER_TEST_PG_URL``); without either, one
is started with ``.ci/pg-server`` with fsync on (PG_FSYNC=on) and stopped at the end.
- ``test_card_postgres``: ``Ledger.score`` on PostgreSQL from its read model.

The imports measure the store alone (no read model). Nothing here asserts a timing.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from conftest import IMPORT_ROUNDS, record, remove_db, run

import peers
from ledger.store import COLUMNS, EventStore, NewEvent, postgres_schema

ROOT = Path(__file__).resolve().parents[1]
psycopg = pytest.importorskip("psycopg", reason="pip install -e '.[postgres]'")


@pytest.fixture(scope="module")
def pg_server():
    url = os.environ.get("LEDGER_BENCH_PG_URL") or os.environ.get("LEDGER_TEST_PG_URL")
    if url:
        yield url
        return
    directory = tempfile.mkdtemp(prefix="ledger-bench-pg-")
    done = subprocess.run(["bash", str(ROOT / ".ci" / "pg-server"), "start", directory],
                          capture_output=True, text=True, env={**os.environ, "PG_FSYNC": "on"})
    if done.returncode != 0:
        pytest.skip(f"no PostgreSQL server: {done.stderr[-500:]}")
    try:
        yield done.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["bash", str(ROOT / ".ci" / "pg-server"), "stop", directory],
                       capture_output=True)


def database(server: str) -> str:
    """A new empty database on the server; its URL."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + "/" + name


def drop(server: str, url: str) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


@pytest.fixture(scope="module")
def rows(ledger_db):
    return peers.stored_rows(ledger_db)


def new_events(rows) -> list[NewEvent]:
    return [NewEvent(r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[9], r[10]) for r in rows]


def open_store(backend: str, location, **kw):
    if backend == "sqlite":
        return EventStore(location, **kw)
    from ledger.store.postgres import PostgresEventStore
    return PostgresEventStore(location, **kw)


@pytest.mark.benchmark(group="postgres-import")
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_store_bulk_append(benchmark, bench, rows, pg_server, backend):
    events = new_events(rows)

    def setup():
        location = bench.scratch_path("bulk.db") if backend == "sqlite" else database(pg_server)
        return (location,), {}

    def target(location):
        store = open_store(backend, location)
        assert store.append(lambda reader: iter(events)) == len(events)
        store.close()

    def teardown(location):
        remove_db(location) if backend == "sqlite" else drop(pg_server, location)

    times = run(benchmark, target, setup=setup, teardown=teardown,
                rounds=IMPORT_ROUNDS[bench.size])
    impl = peers.sqlite_version() if backend == "sqlite" else f"postgresql {server_version(pg_server)}"
    record(benchmark, bench, f"store_import.{backend}", impl, times, events=len(events))


@pytest.mark.benchmark(group="postgres-import")
@pytest.mark.parametrize("schema", ["plain", "indexed"])
def test_copy_floor(benchmark, bench, rows, pg_server, schema):
    plain = ", ".join(f"{c} {'bigint' if c == 'seq' else 'integer' if c == 'schema_version' else 'text'}"
                      for c in COLUMNS)
    # the events table and its indexes exactly as init-db creates them (no guard trigger)
    ledger_schema = [sql for sql in postgres_schema.TABLES
                     if sql.lstrip().startswith(("CREATE TABLE events", "CREATE UNIQUE INDEX",
                                                 "CREATE INDEX"))]
    table = "plain" if schema == "plain" else "events"

    def setup():
        url = database(pg_server)
        with psycopg.connect(url, autocommit=True) as conn:
            for sql in [f"CREATE TABLE plain ({plain})"] if schema == "plain" else ledger_schema:
                conn.execute(sql)
        return (url,), {}

    def target(url):
        with psycopg.connect(url) as conn, conn.cursor() as cur:
            with cur.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["int8", "text", "text", "int4"] + ["text"] * 9)
                for row in rows:
                    copy.write_row(row)

    times = run(benchmark, target, setup=setup, teardown=lambda url: drop(pg_server, url),
                rounds=IMPORT_ROUNDS[bench.size])
    record(benchmark, bench, "store_import.copy_floor" if schema == "plain"
           else "store_import.copy_indexed", f"postgresql {server_version(pg_server)}",
           times, events=len(rows))


def server_version(url: str) -> str:
    with psycopg.connect(url) as conn:
        return conn.execute("SHOW server_version").fetchone()[0].split()[0]


LOAD = """
import sys, os, itertools
from ledger.store import NewEvent
from ledger.store.backends import open_store
store = open_store(sys.argv[1])
stop, name = sys.argv[2], sys.argv[3]
print("ready", flush=True)
for i in itertools.count():
    if i % 20 == 0 and os.path.exists(stop):
        break
    store.append(lambda r: [NewEvent(f"{name}-{i}", "Note", 1, town=name, payload='{}')])
"""


@pytest.mark.benchmark(group="postgres-append")
@pytest.mark.parametrize("writers", [1, 4, 8])
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_durable_append(benchmark, bench, pg_server, backend, writers, tmp_path):
    location = str(tmp_path / "append.db") if backend == "sqlite" else database(pg_server)
    store = open_store(backend, location)
    store.append(lambda r: [NewEvent("first", "Note", 1)])
    stop = tmp_path / "stop"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    load = [subprocess.Popen([sys.executable, "-c", LOAD, location, str(stop), f"load{k}"],
                             stdout=subprocess.PIPE, text=True, env=env)
            for k in range(writers - 1)]
    try:
        for proc in load:
            assert proc.stdout.readline().strip() == "ready"
        ids = itertools.count()

        def target():
            n = next(ids)
            assert store.append(lambda r: [NewEvent(f"bench-{n}", "Note", 1)]) == 1

        times = run(benchmark, target, budget=10.0, min_rounds=30, max_rounds=500, warmup=5,
                    bench=bench)
    finally:
        stop.touch()
        for proc in load:
            proc.wait(timeout=120)
        count = store.count()
        store.close()
        if backend == "postgres":
            drop(pg_server, location)
    record(benchmark, bench, f"append.{backend}.{writers}w",
           peers.sqlite_version() if backend == "sqlite" else "postgresql", times, events=1,
           per_call=True, writers=writers, events_during=count)


@pytest.fixture(scope="module")
def pg_ledger(ledger_db, pg_server):
    """The cached ledger copied into a PostgreSQL database (same chain), opened: the
    copy is the bare store's, so opening it builds the read model from every event."""
    import ledger
    from ledger.store.backends import copy_ledger
    url = database(pg_server)
    copy_ledger(ledger_db, url)
    with ledger.open(url) as lg:
        assert lg.read_model_problem is None, lg.read_model_problem
        yield lg
    drop(pg_server, url)


@pytest.mark.benchmark(group="postgres-card")
def test_card_postgres(benchmark, bench, pg_ledger):
    """``Ledger.score`` on PostgreSQL, the same seeded queries as ``test_card`` on SQLite,
    read from the read model kept beside the events (the issue's target: <= 10 ms p50 on
    the 1m ledger)."""
    from conftest import CardQueries
    times = run(benchmark, pg_ledger.score, setup=CardQueries(bench), budget=30.0,
                min_rounds=20, max_rounds=200, warmup=3, bench=bench)
    record(benchmark, bench, "card.postgres", "postgresql", times, per_call=True)
