"""The Merkle tree's few PostgreSQL differences (:mod:`ledger.store.tree` holds the rest).

The tables are the same rows as SQLite's (``BYTEA`` for ``BLOB``); the tree's SQL is
written once with ``?`` placeholders and turned into psycopg's ``%s`` here. Nodes are
written with binary COPY (a node is written once, under the appenders' lock, so a plain
insert never meets an old row); reads that must agree with each other (``verify``) run
in one REPEATABLE READ snapshot, since appenders on other machines commit meanwhile.

>>> sql("SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?")
'SELECT hash FROM merkle_nodes WHERE level = %s AND idx = %s'
>>> table("CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, h BLOB NOT NULL)")
'CREATE TABLE IF NOT EXISTS t (k TEXT COLLATE "C" PRIMARY KEY, h BYTEA NOT NULL)'
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import contextmanager, nullcontext

from ledger.errors import LedgerError, TamperError

COPY_NODES = "COPY merkle_nodes (level, idx, hash) FROM STDIN (FORMAT BINARY)"
NODE_TYPES = ["int4", "int8", "bytea"]
# (column, type) of each table as format_type names them; verify compares them
COLUMNS = {"merkle_nodes": [("level", "integer"), ("idx", "bigint"), ("hash", "bytea")],
           "merkle_state": [("key", "text"), ("value", "bigint")]}


def sql(text: str) -> str:
    """The tree's SQL (``?`` placeholders, no ``%``) as psycopg reads it."""
    return text.replace("?", "%s")


def table(text: str) -> str:
    """A CREATE TABLE of the tree in PostgreSQL's types (text compares byte by byte)."""
    return re.sub(r"\bTEXT\b", 'TEXT COLLATE "C"', text.replace("BLOB", "BYTEA"))


def exists(conn) -> bool:
    return conn.execute("SELECT to_regclass('merkle_state') IS NOT NULL").fetchone()[0]


def insert_nodes(conn, nodes: list[tuple[int, int, bytes]]) -> None:
    with conn.cursor() as cur:
        with cur.copy(COPY_NODES) as copy:
            copy.set_types(NODE_TYPES)
            for node in nodes:
                copy.write_row(node)


def snapshot(conn):
    """One snapshot for the reads inside (unless the caller's transaction is one)."""
    from psycopg.pq import TransactionStatus
    if conn.info.transaction_status != TransactionStatus.IDLE:
        return nullcontext()
    return _repeatable_read(conn)


@contextmanager
def _repeatable_read(conn):
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def prepare(conn, ready, build) -> bool:
    """``build()`` (create, rebuild, catch up) under the appenders' lock unless ``ready()``;
    False where the tree cannot be written (a replica, a role that may not create it)."""
    import psycopg
    try:
        if ready():
            return True
        with conn.transaction():
            conn.execute("SELECT head_seq FROM ledger_lock_head()").fetchone()
            build()
        return True
    except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction):
        return False
    except psycopg.errors.LockNotAvailable:
        raise LedgerError("the ledger stayed locked by another writer: the Merkle tree could "
                          "not be brought up to date; try again") from None
    except psycopg.Error as exc:
        raise LedgerError(f"cannot bring the Merkle tree up to date: "
                          f"{' '.join(str(exc).split())}") from None


@contextmanager
def database_errors(what: str):
    """A psycopg error inside becomes one :class:`LedgerError` line naming ``what``."""
    import psycopg
    try:
        yield
    except psycopg.Error as exc:
        raise LedgerError(f"{what}: {' '.join(str(exc).split())}") from None


@contextmanager
def refused_reset(conn, claimed: int, head: int):
    """Starting the tree again, which PostgreSQL's application role may not (no DELETE):
    only hands can make it claim events the ledger lacks, so say that, and who can fix it."""
    if isinstance(conn, sqlite3.Connection):
        yield
        return
    import psycopg
    try:
        yield
    except psycopg.errors.InsufficientPrivilege:
        raise TamperError(f"the Merkle tree claims {claimed} events but the ledger has {head}: "
                          f"it was edited outside the ledger; open the ledger once as the "
                          f"database's owner to build it again, then run verify; nothing was "
                          f"written") from None


def check_objects(conn) -> None:
    """Raise TamperError unless the tree's tables have their columns and nothing the
    ledger did not create fires on them (a trigger or rule could change what is read)."""
    for name, want in COLUMNS.items():
        # the catalog, not information_schema: that one hides what the role may not read
        got = [(c, t) for c, t in conn.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE "
            "attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            (name,))]
        if got != want:
            raise TamperError(f"the Merkle tree's table {name} was altered from what the "
                              f"ledger creates")
    found = conn.execute(
        "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE c.relnamespace = to_regnamespace(current_schema()) AND NOT t.tgisinternal "
        "AND c.relname = ANY(%s) UNION ALL SELECT tablename, rulename FROM pg_rules "
        "WHERE schemaname = current_schema() AND tablename = ANY(%s) LIMIT 1",
        (list(COLUMNS), list(COLUMNS))).fetchone()
    if found is not None:
        raise TamperError(f"the database holds a trigger or rule {found[1]!r} on {found[0]!r} "
                          f"that the ledger did not create: remove it and verify again")
