"""The ledger on a PostgreSQL server: the same interface, rows and chain as
:class:`ledger.store.sqlite.EventStore`, for many writers on many machines.

Appends serialise on the one row of ``ledger_head`` (see
:mod:`ledger.store.postgres_schema`): the writer locks it, reads the head and the
server's clock, assigns ``seq``, ``prev_hash`` and ``recorded_at`` itself and writes
the rows with binary COPY, in chunks, in one transaction. The lock is released only
at commit, so every snapshot, on the primary or a replica, is a gap-free prefix.

Needs psycopg 3: ``pip install -e '.[postgres]'``. ``url`` is a libpq URL
(``postgresql://user@host:5432/db``).
"""

from __future__ import annotations

import os
import re
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Callable, Iterable, Iterator

from ledger.errors import LedgerError, SchemaError, TamperError
from ledger.store import chain
from ledger.store.chain import COLUMNS, GENESIS_HASH, Head, parse_digest
from ledger.store.postgres_schema import SCHEMA_VERSION, check_guards, create_schema
from ledger.store.postgres_rows import SELECT, PostgresReader, select_events
from ledger.store.rows import NewEvent, StoredEvent, StoreReader, parse_timestamp

CHUNK = 5000  # rows per COPY statement (and per listener call)
SYNCHRONOUS = {"OFF": "off", "NORMAL": "on", "FULL": "on", "EXTRA": "on"}
COPY_TYPES = ["int8", "text", "text", "int4", "text", "text", "text", "text", "text", "text",
              "text", "text", "text"]
INSTALL_HINT = "PostgreSQL ledgers need psycopg 3: pip install -e '.[postgres]'"


def is_postgres_url(location) -> bool:
    """Whether ``location`` names a PostgreSQL ledger rather than a SQLite file.

    >>> is_postgres_url("postgresql://ledger@db.example/audit"), is_postgres_url("audit.db")
    (True, False)
    """
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def redact(url: str) -> str:
    """The URL without its password, for messages.

    >>> redact("postgresql://app:s3cret@db:5432/audit")
    'postgresql://app:***@db:5432/audit'
    """
    return re.sub(r"^(postgres(?:ql)?://[^:/@]*):[^@]*@", r"\1:***@", url)


def _psycopg():
    try:
        import psycopg
    except ImportError:
        raise LedgerError(INSTALL_HINT) from None
    return psycopg


def connect(url: str, timeout: float = 60.0):
    """An autocommit connection (transactions are explicit) that waits at most
    ``timeout`` for a lock; connection failures are a :class:`LedgerError`."""
    psycopg = _psycopg()
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(timeout)))
    except psycopg.Error as exc:
        raise LedgerError(f"cannot open ledger {redact(url)}: {_one_line(exc)}") from None
    conn.execute("SELECT set_config('lock_timeout', %s, false)", (str(int(timeout * 1000)),))
    # the ledger's schema first and pg_temp last: a temporary table named events or
    # ledger_head must not stand in for the real one in this session's queries
    conn.execute("SELECT set_config('search_path', coalesce(quote_ident(current_schema()), 'public') || ', pg_temp', "
                 "false)")
    conn.execute("SET TIME ZONE 'UTC'")
    return conn


def _one_line(exc) -> str:
    return " ".join(str(exc).split())


class PostgresEventStore:
    """The ledger in a PostgreSQL database; a database without it gets the schema.

    ``clock`` (tests inject one) replaces the server's clock; ``timeout`` is how long
    a writer waits for another's transaction; ``synchronous="OFF"`` turns off
    ``synchronous_commit`` (an acknowledged append may then be lost in a crash);
    ``create=False`` refuses a database without a ledger instead of creating the schema.
    """

    dialect = "postgresql"

    def __init__(self, url: str, clock: Callable[[], datetime] | None = None,
                 timeout: float = 60.0, synchronous: str = "FULL", create: bool = True):
        if synchronous not in SYNCHRONOUS:
            raise LedgerError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}, "
                              f"not {synchronous!r}")
        self.url = url
        self.path = None  # not a file: nothing to check its identity against
        self.clock = clock
        self.timeout = timeout
        # listener(conn, rows) after each chunk is copied in, inside the transaction
        self.listeners: list[Callable[[object, list[tuple]], None]] = []
        self._psycopg = _psycopg()
        self._lock = threading.RLock()
        self.conn = connect(url, timeout)
        try:
            self.conn.execute("SELECT set_config('synchronous_commit', %s, false)",
                              (SYNCHRONOUS[synchronous],))
            self._prepare(create)
        except BaseException:
            self.conn.close()
            raise

    # -- schema -------------------------------------------------------------
    def _mark(self):
        return self.conn.execute(
            "SELECT to_regclass('events') IS NOT NULL, "
            "obj_description(to_regclass('events'), 'pg_class')").fetchone()

    def _prepare(self, create: bool) -> None:
        psycopg = self._psycopg
        where = redact(self.url)
        try:
            exists, mark = self._mark()
            if not exists and not create:
                raise LedgerError(f"no ledger in {where} (import a file into it, or run "
                                  f"`python -m ledger init-db URL`, to create one)")
            if not exists:
                with self.conn.transaction():
                    # two first openers at once: one creates, the other then finds it
                    self.conn.execute("SELECT pg_advisory_xact_lock(hashtext('audit-ledger'))")
                    if not self._mark()[0]:
                        create_schema(self.conn)
                exists, mark = self._mark()
        except psycopg.errors.InsufficientPrivilege as exc:
            raise LedgerError(f"cannot create the ledger schema in {where}: {_one_line(exc)}; "
                              f"run `python -m ledger init-db URL` as the database's owner") from None
        except psycopg.Error as exc:
            raise LedgerError(f"cannot open ledger {where}: {_one_line(exc)}") from None
        found = re.fullmatch(r"audit-ledger events, schema ([0-9]+)", mark or "")
        if found is None:
            raise SchemaError(f"{where} has a table events that is not an audit ledger's")
        if int(found.group(1)) > SCHEMA_VERSION:
            raise SchemaError(f"{where} has ledger schema {found.group(1)}, newer than this "
                              f"version reads ({SCHEMA_VERSION}); upgrade audit-ledger")

    # -- writing -------------------------------------------------------------
    def append(self, prepare: Callable[[StoreReader], Iterable[NewEvent]],
               bulk: bool = False) -> int:
        """Append what ``prepare(reader)`` yields, all in one transaction or nothing.

        ``bulk`` changes nothing here: the server's guard runs once per statement (a COPY
        of a chunk), not per row, so it stays on for imports too.

        As :meth:`ledger.store.sqlite.EventStore.append`: ``prepare`` runs with the head
        locked, so what it reads cannot change before the events are written, and its
        reader sees the events yielded so far. Returns how many were appended.
        """
        psycopg = self._psycopg
        where = redact(self.url)
        with self._lock:
            try:
                with self.conn.transaction():
                    return self._append(prepare)
            except psycopg.errors.UniqueViolation as exc:
                if exc.diag.table_name == "merkle_nodes":  # derived rows edited by hand
                    raise TamperError("the Merkle tree holds a node the events do not make "
                                      "(edited outside the ledger): run verify; nothing was "
                                      "written") from None
                raise LedgerError(f"duplicate event id in one batch ({_one_line(exc)}); "
                                  f"nothing was written") from None
            except psycopg.errors.LockNotAvailable:
                raise LedgerError(f"ledger {where} stayed locked by another writer for "
                                  f"{self.timeout:.0f} s; nothing was written") from None
            except (psycopg.errors.UntranslatableCharacter,
                    psycopg.errors.CharacterNotInRepertoire) as exc:
                # the server checks every text (a NUL character above all): no cost here
                raise LedgerError(f"a text PostgreSQL cannot store, such as a NUL character "
                                  f"({_one_line(exc)}); nothing was written") from None
            except psycopg.Error as exc:
                raise LedgerError(f"cannot write ledger {where}: {_one_line(exc)}; "
                                  f"nothing was written") from None

    def _append(self, prepare) -> int:
        conn = self.conn
        seq, prev, last, server_now = conn.execute(
            "SELECT head_seq, head_hash, last_recorded_at, server_now FROM ledger_lock_head()"
        ).fetchone()
        last = parse_timestamp(last) if last is not None else None
        started = time.monotonic()
        clock = self.clock or (lambda: server_now + timedelta(seconds=time.monotonic() - started))
        reader = PostgresReader(conn)
        count = 0
        for rows in chain.chain_chunks(prepare(reader), reader, seq, prev, last, clock, CHUNK):
            self._copy(rows)
            count += len(rows)
        return count

    def _copy(self, rows: list[tuple]) -> None:
        with self.conn.cursor() as cur:
            with cur.copy(f"COPY events ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(COPY_TYPES)
                for row in rows:
                    copy.write_row(row)
        for listener in self.listeners:
            listener(self.conn, rows)

    # -- reading -------------------------------------------------------------
    def _one(self, sql: str, params=()):
        with self._lock:
            return self.conn.execute(sql, params).fetchone()

    def head(self) -> Head | None:
        """The digest ``SEQ:HASH`` of the last event (None for an empty ledger)."""
        row = self._one("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
        return Head(*row) if row else None

    def last_recorded_at(self) -> str | None:
        """``recorded_at`` of the last event: every event at or before it is committed."""
        row = self._one("SELECT recorded_at FROM events ORDER BY seq DESC LIMIT 1")
        return row[0] if row else None

    def get(self, event_id: str) -> StoredEvent | None:
        with self._lock:
            return PostgresReader(self.conn).get(event_id)

    def events(self, **criteria) -> Iterator[StoredEvent]:
        """Stored events matching ``type``, ``town``, ``period``, ``refers_to``,
        ``recorded_until`` (inclusive), in ``seq`` order."""
        return select_events(self.conn, lock=self._lock, **criteria)

    def count(self) -> int:
        return self._one("SELECT count(*) FROM events")[0]

    def last(self) -> StoredEvent | None:
        """The last event, read in one statement (its seq, hash and recorded_at agree)."""
        row = self._one(f"{SELECT} ORDER BY seq DESC LIMIT 1")
        return StoredEvent(*row) if row else None

    def get_seq(self, seq: int) -> StoredEvent | None:
        row = self._one(f"{SELECT} WHERE seq = %s", (seq,))
        return StoredEvent(*row) if row else None

    def latest(self, type: str, period: str, recorded_until: str) -> StoredEvent | None:
        """As :meth:`ledger.store.sqlite.EventStore.latest`."""
        row = self._one(f"{SELECT} WHERE type = %s AND period = %s AND "
                        f"(town IS NULL OR period IS NULL) AND recorded_at <= %s "
                        f"ORDER BY seq DESC LIMIT 1", (type, period, recorded_until))
        return StoredEvent(*row) if row else None

    def has_town(self, town: str, recorded_until: str) -> bool:
        return self._one("SELECT 1 FROM events WHERE town = %s AND period IS NULL AND "
                         "type = 'TownRegistered' AND recorded_at <= %s LIMIT 1",
                         (town, recorded_until)) is not None

    def rows(self, after_seq: int = 0, before_seq: int | None = None) -> Iterator[tuple]:
        """Raw rows (``COLUMNS`` order) with ``after_seq < seq < before_seq``, in seq order."""
        end = (1 << 62) if before_seq is None else before_seq
        with self._lock:
            found = self.conn.execute(f"{SELECT} WHERE seq > %s AND seq < %s ORDER BY seq",
                                      (after_seq, end)).fetchall()
        return iter(found)

    @contextmanager
    def write(self):
        """One write transaction (the store's; derived tables would join it)."""
        with self._lock:
            with self.conn.transaction():
                yield self.conn

    # -- verification ----------------------------------------------------------
    def verify(self, digest: str | None = None, workers: int | None = None) -> int:
        """Re-hash the whole chain here, in the client; raise :class:`TamperError` naming
        the first bad event. As :func:`ledger.store.chain.verify_chain`: the guards,
        gap-free seq, links, hashes and, given one, a digest taken earlier. A large
        ledger is checked in ``workers`` processes, each streaming a range of seq."""
        want = parse_digest(digest) if digest is not None else None
        with self._lock:
            try:
                return self._verify(want, workers)
            except self._psycopg.Error as exc:
                raise LedgerError(f"cannot verify ledger {redact(self.url)}: "
                                  f"{_one_line(exc)}") from None

    def _verify(self, want: Head | None, workers: int | None) -> int:
        conn = self.conn
        check_guards(conn)
        # one statement, one snapshot: the head row must name the last event exactly
        last, last_hash, head_seq, head_hash = conn.execute(
            "SELECT e.seq, e.hash, h.seq, h.hash FROM ledger_head h LEFT JOIN LATERAL "
            "(SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1) e ON true").fetchone()
        last, last_hash = (last, last_hash) if last is not None else (0, GENESIS_HASH)
        workers = workers or os.cpu_count() or 1
        if workers < 2 or last < chain.PARALLEL_MIN:
            failure, count = _verify_range(conn, 1, last, GENESIS_HASH, want)
        else:
            bounds = [(last * k // workers + 1, last * (k + 1) // workers) for k in range(workers)]
            # spawn, not fork: a forked child must never touch the parent's connection
            import multiprocessing  # here: a verify that fans out is the only user
            from concurrent.futures import ProcessPoolExecutor
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
                parts = list(pool.map(_verify_part, [(self.url, lo, hi, want)
                                                     for lo, hi in bounds]))
            failures = [f for f, _ in parts if f is not None]
            failure = min(failures) if failures else None
            count = parts[-1][1]
        if failure is not None:
            raise TamperError(failure[1], failure[0])
        if want and want.seq > count:
            raise TamperError(f"digest {want} names event seq {want.seq}, but the ledger ends at "
                              f"seq {count}: events were removed", count + 1)
        if (head_seq, head_hash) != (last, last_hash):
            # the triggers move the head with every insert: only hands make them differ
            raise TamperError(f"ledger_head says {head_seq}:{head_hash} but the last event is "
                              f"{last}:{last_hash}: events were removed or added past the "
                              f"guards", min(head_seq, last) + 1)
        return count

    def close(self) -> None:
        self.conn.close()


FULL_SQL = f"{SELECT} WHERE seq >= %s AND seq <= %s ORDER BY seq"


def _verify_range(conn, lo: int, hi: int, prev: str, want: Head | None):
    """Stream seq ``lo..hi`` through a server-side cursor in one snapshot; (first
    failure or None, last seq checked)."""
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        with conn.cursor(name="ledger_verify") as cur:
            cur.itersize = 4096
            cur.execute(FULL_SQL, (lo, hi))
            failure, count = chain._verify_rows(cur, prev, lo, want)
    if failure is None and count != hi:
        failure = (count + 1, f"event seq {count + 1} is missing")
    return failure, count


def _verify_part(job) -> tuple[tuple[int, str] | None, int]:
    """One worker's range ``lo..hi``, on its own connection."""
    url, lo, hi, want = job
    conn = connect(url)
    try:
        row = conn.execute("SELECT hash FROM events WHERE seq = %s", (lo - 1,)).fetchone()
        prev = GENESIS_HASH if lo == 1 else (row[0] if row else None)
        if prev is None:
            return (lo - 1, f"event seq {lo - 1} is missing"), lo - 2
        return _verify_range(conn, lo, hi, prev, want)
    finally:
        conn.close()
