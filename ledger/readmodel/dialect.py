"""The one place the read model's SQL differs between SQLite and PostgreSQL.

The tables, queries and checks are written once, in SQLite's words (``?`` and ``:name``
placeholders, ``WITHOUT ROWID`` tables, ``sqlite_master``); :func:`of` gives the
dialect of a connection, which turns that text into what its server reads.

>>> POSTGRESQL.sql("SELECT 1 FROM t WHERE a = ? AND b = :k")
'SELECT 1 FROM t WHERE a = %s AND b = %(k)s'
>>> POSTGRESQL.table("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID")
'CREATE TABLE t (k TEXT COLLATE "C" PRIMARY KEY, n BIGINT)'
"""

from __future__ import annotations

from attrs import frozen

import re
import sqlite3
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from typing import Iterable, Iterator

from ledger.store import postgres_rows
from ledger.store import rows as sqlite_rows



@frozen
class Insert:
    """One derived table's insert, written out in full (fixed identifiers, ``?`` binds)
    for SQLite, and the COPY statement PostgreSQL writes the same rows with."""

    sql: str
    copy: str

class Sqlite:
    name = "sqlite"

    def sql(self, text: str) -> str:
        return text

    def table(self, text: str) -> str:
        return text

    def executemany(self, conn, sql: str, rows: list) -> None:
        conn.executemany(sql, rows)

    def insert_many(self, conn, insert: "Insert", rows: list) -> None:
        """Insert ``rows`` (tuples in the insert's column order)."""
        conn.executemany(insert.sql, rows)

    def has_table(self, conn, name: str) -> bool:
        return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                            (name,)).fetchone() is not None

    def event_rows(self, conn, after_seq: int = 0,
                   before_seq: int | None = None) -> Iterator[tuple]:
        return sqlite_rows.event_rows(conn, after_seq, before_seq)

    def seqs_of(self, conn, ids: Iterable[str]) -> dict[str, int]:
        return sqlite_rows.seqs_of(conn, ids)

    def lock_writers(self, conn) -> None:
        """Nothing to do: the store's write transaction is ``BEGIN IMMEDIATE``."""

    def snapshot(self, conn):
        """Reads that see one state (as today: the caller's transaction, if any)."""
        return nullcontext()

    def errors(self) -> tuple[type[Exception], ...]:
        return (sqlite3.OperationalError,)

    def read_only(self, exc: Exception) -> bool:
        return "readonly" in str(exc)


class Postgresql:
    name = "postgresql"

    @lru_cache(maxsize=None)
    def sql(self, text: str) -> str:
        # psycopg's placeholders; our SQL holds no '%' nor '::' casts
        return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", text.replace("?", "%s"))

    def table(self, text: str) -> str:
        # text compares byte by byte ("C"), as SQLite's BINARY does, whatever the
        # database's locale: the same ranges, the same order in verify's comparison
        text = text.replace(" WITHOUT ROWID", "")
        text = re.sub(r"\bTEXT\b", 'TEXT COLLATE "C"', text)
        return re.sub(r"\bINTEGER\b", "BIGINT", text)

    def executemany(self, conn, sql: str, rows: list) -> None:
        with conn.cursor() as cur:
            cur.executemany(self.sql(sql), rows)

    def insert_many(self, conn, insert: "Insert", rows: list) -> None:
        """COPY, as the events are written: a third of the cost of row-by-row inserts."""
        with conn.cursor() as cur:
            with cur.copy(insert.copy) as copy:
                for row in rows:
                    copy.write_row(row)

    def has_table(self, conn, name: str) -> bool:
        return conn.execute("SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = "
                            "current_schema() AND tablename = %s", (name,)).fetchone() is not None

    def event_rows(self, conn, after_seq: int = 0,
                   before_seq: int | None = None) -> Iterator[tuple]:
        return postgres_rows.event_rows(conn, after_seq, before_seq)

    def seqs_of(self, conn, ids: Iterable[str]) -> dict[str, int]:
        return postgres_rows.seqs_of(conn, ids)

    def lock_writers(self, conn) -> None:
        postgres_rows.lock_writers(conn)

    @contextmanager
    def snapshot(self, conn):
        """One snapshot for every read inside: appends committed meanwhile stay unseen."""
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield

    def errors(self) -> tuple[type[Exception], ...]:
        import psycopg
        return (psycopg.Error,)

    def read_only(self, exc: Exception) -> bool:
        import psycopg
        # a replica, or a role that may only read and append events
        return isinstance(exc, (psycopg.errors.ReadOnlySqlTransaction,
                                psycopg.errors.InsufficientPrivilege))


SQLITE = Sqlite()
POSTGRESQL = Postgresql()


def of(conn) -> Sqlite | Postgresql:
    """The dialect a connection speaks (a listener is handed only the connection)."""
    return SQLITE if isinstance(conn, sqlite3.Connection) else POSTGRESQL


def execute(conn, sql: str, params=()):
    """``conn.execute`` with ``sql`` in the connection's dialect."""
    return conn.execute(of(conn).sql(sql), params)
