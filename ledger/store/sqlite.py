"""The append-only event store: one SQLite file, a hash chain, no rubric.

Every event is a row of ``events``; triggers refuse UPDATE and DELETE, and each
row's ``hash`` covers the previous row's hash, its envelope and its payload::

    hash = sha256(prev_hash + "\\n" + envelope + "\\n" + payload)
    envelope = JSON array [seq, id, type, schema_version, town, period,
                           occurred_on, refers_to, recorded_at, actor]

so changing, removing or reordering any row breaks every hash after it.

>>> import tempfile, os
>>> store = EventStore(os.path.join(tempfile.mkdtemp(), "doc.db"))
>>> store.append(lambda reader: [NewEvent("e-1", "Note", 1, payload='{"id":"e-1"}')])
1
>>> store.head().seq
1
>>> store.verify()
1
"""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ledger.store.chain import (
    CLOCK_SKEW, COLUMNS, GENESIS_HASH, TIMESTAMP, Head, chain_chunks, read_only_uri, verify_chain,
)
from ledger.store.rows import (  # noqa: F401  (re-exported: the store's vocabulary)
    NewEvent,
    StoredEvent,
    UNSCOPED,
    StoreReader,
    format_timestamp,
    parse_timestamp,
    same_content,
    event_rows,
    select_events,
)
from ledger.errors import LedgerError, ReadOnlyLedger, SchemaError, TamperError
from ledger.store.sqlite_schema import (  # noqa: F401  (re-exported: the file's layout)
    APPLICATION_ID, GUARDS, INDEXES, SCHEMA_VERSION, V1_INDEXES, create_schema, upgrade,
)

CHUNK = 2000
# PRAGMA takes no bound parameters: whole statements, chosen by name, keep values out of SQL
SYNCHRONOUS = {level: f"PRAGMA synchronous={level}" for level in ("OFF", "NORMAL", "FULL", "EXTRA")}


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


INSERT_SQL = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"


class EventStore:
    """The ledger file. Opening a missing file creates an empty ledger.

    ``clock`` returns an aware datetime (tests inject one); ``timeout`` is how long a
    writer waits for another process's transaction before giving up.
    """

    dialect = "sqlite"

    def __init__(self, path: str | Path, clock: Callable[[], datetime] | None = None,
                 timeout: float = 60.0, synchronous: str = "FULL", immutable: bool = False):
        self.path = Path(path)
        # immutable: read-only media (an archived copy, a CD): opened as a file nobody
        # writes, no -wal or -shm beside it, no schema change, nothing written
        self.immutable = immutable
        self.clock = clock or _utcnow
        self.timeout = timeout
        if synchronous not in SYNCHRONOUS:
            raise LedgerError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}, "
                              f"not {synchronous!r}")
        # called as listener(conn, rows) after each chunk is inserted, inside the
        # transaction: caches kept beside the events (a read model) stay in step
        self.listeners: list[Callable[[sqlite3.Connection, list[tuple]], None]] = []
        try:
            if immutable:
                wal = Path(f"{self.path}-wal")
                if wal.exists() and wal.stat().st_size > 0:
                    raise LedgerError(
                        f"ledger {self.path} is on read-only media with unmerged changes in "
                        f"{wal.name} beside it: copy both to writable storage to read it")
                conn = sqlite3.connect(read_only_uri(self.path) + "&immutable=1", uri=True,
                                       isolation_level=None, check_same_thread=False)
            else:
                conn = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None,
                                       check_same_thread=False)
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot open ledger {self.path}: {exc}") from None
        self.conn = conn
        try:
            self._prepare(synchronous)
            self._identity = self._file_identity()
        except sqlite3.DatabaseError as exc:
            conn.close()
            if "not a database" in str(exc):
                raise SchemaError(f"{self.path} is not an audit ledger ({exc})") from None
            # read-only places, full disks, I/O errors: say what really went wrong
            raise LedgerError(f"cannot open ledger {self.path}: {exc}") from None
        except LedgerError:
            conn.close()
            raise

    def _file_identity(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_dev, st.st_ino)

    # -- schema -------------------------------------------------------------
    def _prepare(self, synchronous: str) -> None:
        conn = self.conn
        app_id, version, tables = self._header()
        if self.immutable:
            if app_id != APPLICATION_ID:
                raise SchemaError(f"{self.path} is not an audit ledger")
            if version > SCHEMA_VERSION:
                raise SchemaError(f"{self.path} has ledger schema {version}, newer than this "
                                  f"version reads ({SCHEMA_VERSION}); upgrade audit-ledger")
            return
        if app_id == 0 and version == 0 and not tables:
            create_schema(self)
            app_id, version, tables = self._header()
        if app_id != APPLICATION_ID:
            raise SchemaError(f"{self.path} is a SQLite file but not an audit ledger")
        elif version > SCHEMA_VERSION:
            raise SchemaError(
                f"{self.path} has ledger schema {version}, newer than this version reads "
                f"({SCHEMA_VERSION}); upgrade audit-ledger")
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self._retry_busy(lambda: conn.execute("PRAGMA journal_mode=WAL"))
        if version < SCHEMA_VERSION:
            upgrade(self)
        conn.execute(SYNCHRONOUS[synchronous])
        conn.execute("PRAGMA cache_size=-32768")  # 32 MiB: a card's pages stay warm

    def _header(self) -> tuple[int, int, list[str]]:
        """application_id, user_version and tables, read in one snapshot (another process
        may be creating the ledger right now)."""
        conn = self.conn
        self._retry_busy(lambda: conn.execute("BEGIN"))
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = self._table_names()
        finally:
            conn.execute("COMMIT")
        return app_id, version, tables

    def _table_names(self) -> list[str]:
        return [r[0] for r in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]

    @property
    def db(self):
        """The file as a :class:`sqlite_utils.Database` (imported on first use: it costs
        every command ~80 ms to import, and only creating a ledger needs it)."""
        import sqlite_utils
        return sqlite_utils.Database(self.conn)

    def _retry_busy(self, action) -> None:
        """Run ``action``, waiting up to ``timeout`` while another connection holds a lock
        (some statements, like the switch to WAL, report BUSY at once)."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                action()
                return
            except sqlite3.OperationalError as exc:
                if ("locked" not in str(exc) and "busy" not in str(exc)) \
                        or time.monotonic() > deadline:
                    raise LedgerError(f"cannot open ledger {self.path}: {exc}") from None
                time.sleep(0.02)

    # -- transactions ---------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: ``BEGIN IMMEDIATE`` (waiting for other writers), then
        ``COMMIT``, or ``ROLLBACK`` on any error. Every write of the ledger file, events
        or derived tables, goes through here.

        >>> import tempfile, os
        >>> store = EventStore(os.path.join(tempfile.mkdtemp(), "tx.db"))
        >>> with store.write() as conn:
        ...     _ = conn.execute("CREATE TABLE note (x)")
        """
        self._begin()
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    # -- writing -------------------------------------------------------------
    def append(self, prepare: Callable[[StoreReader], Iterable[NewEvent]],
               bulk: bool = False) -> int:
        """Append what ``prepare(reader)`` yields, all in one transaction or nothing.

        ``prepare`` runs inside ``BEGIN IMMEDIATE``, so what it reads (to validate
        against the ledger) cannot change before the events are written; the reader
        also sees the events it yielded earlier in the batch. ``prepare`` may be a
        generator: events are written in chunks as they come, so a large import
        runs in constant memory. Returns how many events were appended.

        ``bulk`` (a file's import): the per-row guard ``events_only_append`` is dropped
        for this transaction and created again, with the identical SQL, before COMMIT.
        DDL is transactional in SQLite, so no committed state and no other connection
        ever lacks it (the write lock is held throughout; readers see the schema as it
        was committed); a crash rolls the drop back with everything else. The rows the
        guard would check are this transaction's own: ``seq`` is assigned here after the
        head, and ``events_id`` (unique) still refuses a reused id.
        """
        try:
            with self.write():
                if not bulk:
                    return self._append_in(prepare)
                self.conn.execute("DROP TRIGGER events_only_append")
                count = self._append_in(prepare)
                self.conn.execute(GUARDS["events_only_append"])
                return count
        except sqlite3.IntegrityError as exc:
            raise LedgerError(f"duplicate event id in one batch ({exc}); nothing was written") from None
        except sqlite3.OperationalError as exc:
            raise LedgerError(f"cannot write ledger {self.path}: {exc}; nothing was written") from None

    def _append_in(self, prepare) -> int:
        conn = self.conn
        row = conn.execute(
            "SELECT seq, hash, recorded_at FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev, last = (row[0], row[1], self._head_time(row)) if row \
            else (0, GENESIS_HASH, None)
        reader = StoreReader(conn)
        count = 0
        for rows in chain_chunks(prepare(reader), reader, seq, prev, last, self.clock, CHUNK):
            self._insert(rows)
            count += len(rows)
        if self._file_identity() != self._identity:
            # SQLite would happily commit into a deleted file, losing the events
            raise LedgerError(f"the ledger file {self.path} was removed or replaced since it "
                              f"was opened; nothing was written")
        return count

    @staticmethod
    def _head_time(row) -> datetime:
        try:
            if not isinstance(row[2], str) or not TIMESTAMP(row[2]):
                raise ValueError(row[2])
            return parse_timestamp(row[2])
        except ValueError:
            raise TamperError(f"event seq {row[0]}: recorded_at {row[2]!r} is not a timestamp "
                              f"as the ledger writes them; run verify; nothing was written",
                              row[0]) from None

    def _insert(self, rows: list[tuple]) -> None:
        self.conn.executemany(INSERT_SQL, rows)
        for listener in self.listeners:
            listener(self.conn, rows)

    def _begin(self) -> None:
        if self.immutable:
            raise ReadOnlyLedger(f"ledger {self.path} is opened read-only (read-only media); "
                                 f"nothing was written")
        # busy_timeout already waits for other writers; retry a few times on top of
        # it because SQLite may report BUSY at once when it detects a deadlock risk.
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "readonly" in str(exc):
                    raise ReadOnlyLedger(f"ledger {self.path} is read-only here: {exc}") from None
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise LedgerError(f"cannot write ledger {self.path}: {exc}") from None
                if time.monotonic() > deadline:
                    raise LedgerError(
                        f"ledger {self.path} stayed locked by another writer for "
                        f"{self.timeout:.0f} s; nothing was written") from None
                time.sleep(0.05)

    # -- reading -------------------------------------------------------------
    def head(self) -> Head | None:
        """The digest ``SEQ:HASH`` of the last event (None for an empty ledger)."""
        row = self.conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return Head(*row) if row else None

    def last(self) -> StoredEvent | None:
        """The last event, read in one statement (its seq, hash and recorded_at agree)."""
        row = self.conn.execute(
            f"SELECT {', '.join(COLUMNS)} FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return StoredEvent(*row) if row else None

    def last_recorded_at(self) -> str | None:
        """``recorded_at`` of the last event: every event at or before it is committed."""
        row = self.conn.execute("SELECT recorded_at FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def get_seq(self, seq: int) -> StoredEvent | None:
        """The event at position ``seq``, or None."""
        row = self.conn.execute(f"SELECT {', '.join(COLUMNS)} FROM events WHERE seq = ?",
                                (seq,)).fetchone()
        return StoredEvent(*row) if row else None

    def get(self, event_id: str) -> StoredEvent | None:
        return StoreReader(self.conn).get(event_id)

    def events(self, **criteria) -> Iterator[StoredEvent]:
        """Stored events matching ``type``, ``town``, ``period``, ``refers_to``,
        ``recorded_until`` (inclusive), in ``seq`` order."""
        return select_events(self.conn, **criteria)

    def latest(self, type: str, period: str, recorded_until: str) -> StoredEvent | None:
        """The last unscoped event of ``type`` for ``period`` recorded at or before
        ``recorded_until`` (a period's adoption or closing as known then)."""
        row = self.conn.execute(
            f"SELECT {', '.join(COLUMNS)} FROM events WHERE type = ? AND period = ? AND "
            f"{UNSCOPED} AND recorded_at <= ? ORDER BY seq DESC LIMIT 1",
            (type, period, recorded_until)).fetchone()
        return StoredEvent(*row) if row else None

    def has_town(self, town: str, recorded_until: str) -> bool:
        """Whether ``town`` was registered at or before ``recorded_until``."""
        # a registration has a town and no period: the (town, period) index finds it at
        # once, where town alone would walk the town's every event
        return self.conn.execute(
            "SELECT 1 FROM events WHERE town = ? AND period IS NULL AND type = 'TownRegistered' "
            "AND recorded_at <= ? LIMIT 1", (town, recorded_until)).fetchone() is not None

    def rows(self, after_seq: int = 0, before_seq: int | None = None) -> Iterator[tuple]:
        """Raw rows (``COLUMNS`` order) with ``after_seq < seq < before_seq``, in seq
        order: for derived tables that catch up with the events."""
        return event_rows(self.conn, after_seq, before_seq)

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM events").fetchone()[0]

    # -- verification ----------------------------------------------------------
    def verify(self, digest: str | None = None, workers: int | None = None,
               **options) -> int:
        """Re-hash the whole chain; raise :class:`TamperError` naming the first bad event.

        See :func:`ledger.store.chain.verify_chain`. Returns the event count.
        """
        return verify_chain(self.conn, GUARDS, digest, path=self.path, workers=workers, **options,
                            now=format_timestamp(self.clock() + CLOCK_SKEW))

    def schema_objects(self) -> list[tuple[str, str, str, str | None]]:
        """Every ``(type, name, table, sql)`` in the file's schema, for the audit of
        objects the ledger did not create."""
        return [tuple(r) for r in self.conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")]

    def own_objects(self) -> dict[str, str | None]:
        """The store's own schema objects by name, with the SQL they were created with
        (None: made by SQLite itself, as an index for a primary key)."""
        objects = {"events": None, **GUARDS, **INDEXES}
        if self.conn.execute("PRAGMA user_version").fetchone()[0] == 1:  # read as it is
            objects.update(dict.fromkeys(V1_INDEXES))
        return objects

    def close(self) -> None:
        self.conn.close()


def event_contents(path: Path) -> list[tuple] | None:
    """Every event's ``(id, type, schema_version, payload)`` in order, read with a plain
    read-only connection (nothing is created or converted); None when it is no ledger.

    ``demo`` compares a file with the demo's own events this way before replacing it.
    """
    try:
        conn = sqlite3.connect(read_only_uri(path), uri=True)
        try:
            return conn.execute("SELECT id, type, schema_version, payload FROM events "
                                "ORDER BY seq").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
