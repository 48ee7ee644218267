"""The two stores behind one test interface, for tests/store/test_postgres*.py, and a
ledger's location on either backend (the ``ledger_url`` fixture of tests/conftest.py).

Each backend opens its store at one location, and tampers with it the way someone
holding the database would: guards switched off, rows edited, guards back on exactly,
so that only the chain can tell.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path

from ledger.store import GUARDS, EventStore, NewEvent
from ledger.store import sqlite as sqlite_store


class SqliteBackend:
    name = "sqlite"
    chunk = sqlite_store.CHUNK

    def __init__(self, path: Path):
        self.location = str(path)
        self.opened: list = []

    def open(self, **kw) -> EventStore:
        store = EventStore(self.location, **kw)
        self.opened.append(store)
        return store

    def tamper(self, *statements, params=()) -> None:
        conn = sqlite3.connect(self.location, isolation_level=None)
        for name in GUARDS:
            conn.execute(f"DROP TRIGGER {name}")
        for sql in statements:
            conn.execute(sql, params)
        for sql in GUARDS.values():
            conn.execute(sql)
        conn.close()

    def close(self) -> None:
        for store in self.opened:
            store.close()


class PostgresBackend:
    name = "postgres"

    def __init__(self, url: str):
        from ledger.store import postgres
        self.location = url
        self.chunk = postgres.CHUNK
        self.opened: list = []

    def open(self, **kw):
        from ledger.store.postgres import PostgresEventStore
        store = PostgresEventStore(self.location, **kw)
        self.opened.append(store)
        return store

    def raw(self):
        import psycopg
        return psycopg.connect(self.location, autocommit=True)

    def tamper(self, *statements, params=(), head: bool = False) -> None:
        """As the database's superuser: every trigger off, edit, triggers on. With
        ``head``, ledger_head is also set to the last event left (a thorough forger)."""
        with self.raw() as conn:
            conn.execute("ALTER TABLE events DISABLE TRIGGER USER")
            for sql in statements:
                conn.execute(sql.replace("?", "%s"), params)
            conn.execute("ALTER TABLE events ENABLE TRIGGER USER")
            if head:
                conn.execute("ALTER TABLE ledger_head DISABLE TRIGGER USER")
                conn.execute("UPDATE ledger_head SET (seq, hash) = (SELECT seq, hash FROM events "
                             "ORDER BY seq DESC LIMIT 1)")
                conn.execute("ALTER TABLE ledger_head ENABLE TRIGGER USER")

    def close(self) -> None:
        for store in self.opened:
            store.close()


BACKENDS = ("sqlite", "postgresql")


@contextmanager
def ledger_location(kind: str, directory: Path, pg_server: str | None = None):
    """A new ledger's location: ``directory/audit.db`` for ``"sqlite"``, for
    ``"postgresql"`` a fresh schema in the test database on ``pg_server`` (dropped
    afterwards; the ledger lives in the connection's current schema)."""
    if kind == "sqlite":
        yield str(Path(directory) / "audit.db")
        return
    from support.pg import fresh_schema
    with fresh_schema(pg_server) as url:
        yield url


# -- helpers the backend-parametrised tests share -------------------------------------

def notes(prefix: str, n: int, start: int = 0) -> list[NewEvent]:
    return [NewEvent(id=f"{prefix}{i}", type="Note", schema_version=1, town="沙溪镇",
                     period="2017", payload=f'{{"i":{i},"text":"note {i}"}}')
            for i in range(start, start + n)]


def add(store, events) -> int:
    events = list(events)
    return store.append(lambda reader: events)


def made(backend, n: int = 0, **kw):
    store = backend.open(**kw)
    if n:
        add(store, notes("e", n))
    return store


@contextmanager
def demo_ledger_at(kind: str, directory: Path, pg_server: str | None = None):
    """The demo's ledger on ``kind``: built as a SQLite file in ``directory``, and for
    ``"postgresql"`` copied (verified as it goes) into a fresh schema, so both backends
    hold the very same events (the same chain, the same ``SEQ:HASH``)."""
    from ledger.demo import build_demo
    from ledger.store.backends import copy_ledger
    path = build_demo(Path(directory) / "demo.db")
    if kind == "sqlite":
        yield str(path)
        return
    with ledger_location(kind, directory, pg_server) as url:
        copy_ledger(str(path), url)
        yield url


def location_of(lg) -> str:
    """Where an open ledger lives, as ``--db`` takes it (a file's path or the URL)."""
    store = lg.store
    return store.url if store.dialect == "postgresql" else str(store.path)


def demo_into(location: str, directory: Path) -> str:
    """The demo's events at ``location`` (what the ``ledger_url`` fixture gives): built
    there when it is a file's path, else built in ``directory`` and copied there."""
    from ledger.demo import build_demo
    from ledger.store.backends import copy_ledger
    from ledger.store.postgres import is_postgres_url
    if not is_postgres_url(location):
        return str(build_demo(Path(location)))
    copy_ledger(str(build_demo(Path(directory) / "demo.db")), location)
    return location


def execute_raw(location: str, sql: str) -> None:
    """One statement on the ledger's database as its owner, past the ledger (a forger
    editing derived tables; the events' guards are :meth:`*Backend.tamper`'s)."""
    from ledger.store.postgres import is_postgres_url
    if is_postgres_url(location):
        import psycopg
        with psycopg.connect(location, autocommit=True) as conn:
            conn.execute(sql)
        return
    conn = sqlite3.connect(location, isolation_level=None)
    try:
        conn.execute(sql)
    finally:
        conn.close()


def backend_at(location: str):
    """The test backend (tamper with it) for a ``ledger_url``."""
    from ledger.store.postgres import is_postgres_url
    return PostgresBackend(location) if is_postgres_url(location) else SqliteBackend(Path(location))
