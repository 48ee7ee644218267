"""Reading the ``events`` table on PostgreSQL: the reader an append validates against,
and the streaming queries the store and the read model use. The same answers as
:mod:`ledger.store.rows` gives on SQLite, in PostgreSQL's SQL (``= ANY(%s)`` for lists,
pages by seq instead of one open cursor).
"""

from __future__ import annotations

import threading
from typing import Iterable, Iterator

from ledger.store.chain import COLUMNS
from ledger.store.rows import StoredEvent, StoreReader, criteria

PAGE = 5000  # rows per query when streaming events()
SELECT = f"SELECT {', '.join(COLUMNS)} FROM events"


class PostgresReader(StoreReader):
    """:class:`StoreReader` inside a PostgreSQL append: the same answers, in its SQL."""

    def __init__(self, conn):
        super().__init__(conn)
        self._select = select_events  # this module's, streamed a page at a time

    def get(self, event_id: str) -> StoredEvent | None:
        if event_id in self._pending:
            return StoredEvent(*self._pending[event_id])
        row = self._conn.execute(f"{SELECT} WHERE id = %s", (event_id,)).fetchone()
        return StoredEvent(*row) if row else None

    def get_many(self, ids: list[str]) -> list[StoredEvent]:
        found = [StoredEvent(*row) for row in self._conn.execute(
            f"{SELECT} WHERE id = ANY(%s)", (list(ids),))]
        return found + [StoredEvent(*self._pending[i]) for i in ids if i in self._pending]

    def has_town(self, town: str) -> bool:
        return self._conn.execute(
            "SELECT 1 FROM events WHERE town = %s AND period IS NULL AND type = 'TownRegistered' "
            "LIMIT 1", (town,)).fetchone() is not None

    def latest_each(self, types: tuple[str, ...], period: str) -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}
        for type_, id_, hash_ in self._conn.execute(
                "SELECT type, id, hash FROM events WHERE type = ANY(%s) AND period = %s "
                "AND (town IS NULL OR period IS NULL) ORDER BY seq DESC", (list(types), period)):
            found.setdefault(type_, (id_, hash_))
        return found

    def towns(self) -> list[str]:
        return [t for (t,) in self._conn.execute(
            "SELECT town FROM events WHERE period IS NULL AND town IS NOT NULL "
            "AND type = 'TownRegistered'")]


def select_events(conn, *, type: str | Iterable[str] | None = None, town: str | None = None,
                  period: str | None = None, refers_to: str | None = None,
                  recorded_until: str | None = None, after_seq: int = 0,
                  unscoped: bool = False, lock=None) -> Iterator[StoredEvent]:
    """:func:`ledger.store.rows.select_events` on PostgreSQL, streamed a page at a time.

    The pages stop at the last seq there was when the first was read: every snapshot
    is a prefix of the chain, so the events are exactly one snapshot's.
    """
    where, params = criteria(type=type, town=town, period=period, refers_to=refers_to,
                             recorded_until=recorded_until, unscoped=unscoped)
    # the terms are fixed text and placeholders (values are bound): psycopg's mark is %s
    where = ["seq > %s", "seq <= %s", *(term.replace("?", "%s") for term in where)]
    sql = f"{SELECT} WHERE {' AND '.join(where)} ORDER BY seq LIMIT {PAGE}"
    lock = lock or threading.RLock()
    with lock:
        end = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
    last = after_seq
    while last < end:
        with lock:
            rows = conn.execute(sql, (last, end, *params)).fetchall()
        for row in rows:
            yield StoredEvent(*row)
        if len(rows) < PAGE:
            return
        last = rows[-1][0]


def event_rows(conn, after_seq: int = 0, before_seq: int | None = None) -> Iterator[tuple]:
    """:func:`ledger.store.rows.event_rows` on PostgreSQL: rows a page at a time, by seq
    (constant memory, and no cursor left open between the caller's own statements)."""
    end = (1 << 62) if before_seq is None else before_seq
    last = after_seq
    while True:
        page = conn.execute(f"{SELECT} WHERE seq > %s AND seq < %s ORDER BY seq LIMIT {PAGE}",
                            (last, end)).fetchall()
        yield from page
        if len(page) < PAGE:
            return
        last = page[-1][0]


def seqs_of(conn, ids: Iterable[str]) -> dict[str, int]:
    """:func:`ledger.store.rows.seqs_of` on PostgreSQL: ``id -> seq`` for these ids."""
    return dict(conn.execute("SELECT id, seq FROM events WHERE id = ANY(%s)", (list(ids),)))


def lock_writers(conn) -> None:
    """Take the appenders' lock (the ``ledger_head`` row) in the caller's transaction:
    derived tables written outside an append then cannot race one."""
    conn.execute("SELECT head_seq FROM ledger_lock_head()").fetchone()
