"""The rows of the ``events`` table, and reading them.

:class:`NewEvent` is what the application hands the store; :class:`StoredEvent`
is a row as appended; :class:`StoreReader` reads inside a write transaction,
seeing also what the batch has yielded so far.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Iterable, Iterator

from attrs import frozen

from ledger.store.chain import COLUMNS, format_timestamp  # noqa: F401  (the store's vocabulary)


@frozen
class NewEvent:
    """An event ready to append: envelope fields and the canonical payload text."""

    id: str
    type: str
    schema_version: int
    town: str | None = None
    period: str | None = None
    occurred_on: str | None = None
    refers_to: str | None = None
    actor: str | None = None
    payload: str = "{}"


@frozen
class StoredEvent:
    """A row of the ledger, as appended."""

    seq: int
    id: str
    type: str
    schema_version: int
    town: str | None
    period: str | None
    occurred_on: str | None
    refers_to: str | None
    recorded_at: str
    actor: str | None
    payload: str
    prev_hash: str
    hash: str


def same_content(a: StoredEvent | NewEvent, b: NewEvent) -> bool:
    """True when ``b`` repeats ``a`` exactly, its place in the chain aside (what a
    re-import may repeat)."""
    return (a.type, a.schema_version, a.town, a.period, a.occurred_on, a.refers_to, a.actor,
            a.payload) == (b.type, b.schema_version, b.town, b.period, b.occurred_on,
                           b.refers_to, b.actor, b.payload)


def parse_timestamp(text: str) -> datetime:
    """The inverse of :func:`format_timestamp` (for the store's own, well-formed text).

    >>> parse_timestamp("2017-03-08T02:00:00.000005Z")
    datetime.datetime(2017, 3, 8, 2, 0, 0, 5, tzinfo=datetime.timezone.utc)
    """
    return datetime.fromisoformat(text)  # reads the Z; far cheaper than strptime


# the WHERE of the partial index events_unscoped: a query repeats it to use that index
UNSCOPED = "(town IS NULL OR period IS NULL)"


class StoreReader:
    """Read access inside an append's transaction.

    It sees the ledger as committed plus every event the batch has yielded so far,
    including those still waiting in the current chunk.
    """

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn
        # the backend's select_events (a subclass for another backend names its own)
        self._select = select_events
        # rows of the chunk not inserted yet, as the store's row tuples (COLUMNS order):
        # a StoredEvent is made only for the few that are asked for
        self._pending: dict[str, tuple] = {}
        self._pending_refs: dict[str, list[tuple]] = {}

    def _hold(self, row: tuple) -> None:
        self._pending[row[1]] = row
        if row[7] is not None:  # refers_to
            self._pending_refs.setdefault(row[7], []).append(row)

    def _flushed(self) -> None:
        self._pending.clear()
        self._pending_refs.clear()

    def get(self, event_id: str) -> StoredEvent | None:
        """The event with this id, or None."""
        if event_id in self._pending:
            return StoredEvent(*self._pending[event_id])
        row = self._conn.execute(f"SELECT {', '.join(COLUMNS)} FROM events WHERE id = ?",
                                 (event_id,)).fetchone()
        return StoredEvent(*row) if row else None

    def get_many(self, ids: list[str]) -> list[StoredEvent]:
        """Committed-or-flushed events with these ids (pending ones: use :meth:`get`)."""
        found = []
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            sql = (f"SELECT {', '.join(COLUMNS)} FROM events "
                   f"WHERE id IN ({', '.join('?' * len(part))})")
            found += [StoredEvent(*row) for row in self._conn.execute(sql, part)]
        return found + [StoredEvent(*self._pending[i]) for i in ids if i in self._pending]

    def has_town(self, town: str) -> bool:
        """Whether a committed-or-flushed event registers ``town`` (the only kind of event
        with a town and no period, so the (town, period) index finds it at once)."""
        return self._conn.execute(
            "SELECT 1 FROM events WHERE town = ? AND period IS NULL AND +type = 'TownRegistered' "
            "LIMIT 1", (town,)).fetchone() is not None

    def towns(self) -> list[str]:
        """Every committed-or-flushed registered town (reads only the town column, which
        the (town, period) index covers: a registration has a town and no period)."""
        return [t for (t,) in self._conn.execute(
            "SELECT town FROM events WHERE period IS NULL AND town IS NOT NULL "
            "AND type = 'TownRegistered'")]

    def latest_each(self, types: tuple[str, ...], period: str) -> dict[str, tuple[str, str]]:
        """``(id, hash)`` of the last committed-or-flushed unscoped event of each of
        ``types`` for ``period`` (absent types left out), in one query that reads no
        payload (an adoption's is the whole rubric)."""
        found: dict[str, tuple[str, str]] = {}
        for type_, id_, hash_ in self._conn.execute(
                f"SELECT type, id, hash FROM events WHERE type IN "
                f"({', '.join('?' * len(types))}) AND period = ? AND {UNSCOPED} "
                f"ORDER BY seq DESC", (*types, period)):
            found.setdefault(type_, (id_, hash_))
        return found

    def referring(self, event_id: str) -> list[StoredEvent]:
        """Events whose ``refers_to`` is ``event_id`` (corrections of it), in seq order."""
        found = list(self._select(self._conn, refers_to=event_id))
        return found + [StoredEvent(*row) for row in self._pending_refs.get(event_id, ())]

    def find(self, **criteria) -> list[StoredEvent]:
        """Committed-or-flushed events matching ``criteria`` (see :func:`select_events`);
        call it before yielding, as it does not see the current chunk."""
        return list(self._select(self._conn, **criteria))


def criteria(*, type: str | Iterable[str] | None = None, town: str | None = None,
             period: str | None = None, refers_to: str | None = None,
             recorded_until: str | None = None, unscoped: bool = False) -> tuple[list, list]:
    """The terms of :func:`select_events`' WHERE (``?`` placeholders) and their parameters;
    PostgreSQL's reader swaps the placeholders for psycopg's.

    >>> criteria(type=["A", "B"], town="沙溪镇")
    (['type IN (?, ?)', 'town = ?'], ['A', 'B', '沙溪镇'])
    """
    where, params = [], []
    if unscoped:
        where.append(UNSCOPED)
    if type is not None:
        types = [type] if isinstance(type, str) else list(type)
        where.append(f"type IN ({', '.join('?' * len(types))})")
        params += types
    for column, value in (("town", town), ("period", period), ("refers_to", refers_to)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if recorded_until is not None:
        where.append("recorded_at <= ?")
        params.append(recorded_until)
    return where, params


def select_events(conn, *, type: str | Iterable[str] | None = None, town: str | None = None,
                  period: str | None = None, refers_to: str | None = None,
                  recorded_until: str | None = None, after_seq: int = 0,
                  unscoped: bool = False) -> Iterator[StoredEvent]:
    """Events matching every given criterion, in ``seq`` order (all values parameterised).

    ``unscoped=True`` keeps only events without a town or a period, and reads them
    through their own small index: ask it when selecting registrations or adoptions.
    """
    where, params = criteria(type=type, town=town, period=period, refers_to=refers_to,
                             recorded_until=recorded_until, unscoped=unscoped)
    where, params = ["seq > ?", *where], [after_seq, *params]
    sql = f"SELECT {', '.join(COLUMNS)} FROM events WHERE {' AND '.join(where)} ORDER BY seq"
    for row in conn.execute(sql, params):
        yield StoredEvent(*row)




_NO_END = 1 << 62  # a seq no ledger reaches


def event_rows(conn, after_seq: int = 0, before_seq: int | None = None) -> Iterator[tuple]:
    """Rows (``COLUMNS`` order) with ``after_seq < seq < before_seq``, in seq order."""
    cur = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM events WHERE seq > ? AND seq < ? "
                       f"ORDER BY seq", (after_seq, _NO_END if before_seq is None else before_seq))
    while chunk := cur.fetchmany(5000):
        yield from chunk


def seqs_of(conn, ids: Iterable[str]) -> dict[str, int]:
    """``id -> seq`` for the committed-or-flushed events with these ids."""
    ids = list(ids)
    found: dict[str, int] = {}
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        found.update(conn.execute(
            f"SELECT id, seq FROM events WHERE id IN ({', '.join('?' * len(part))})", part))
    return found
