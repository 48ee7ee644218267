"""Choosing a store by its location, preparing a PostgreSQL database, and copying a
ledger between backends with the same chain.

A location is a SQLite file path or a ``postgresql://`` URL.

>>> import tempfile, os
>>> d = tempfile.mkdtemp()
>>> src = open_store(os.path.join(d, "a.db"))
>>> src.append(lambda reader: [NewEvent("e-1", "Note", 1, payload='{"n":1}')])
1
>>> copy_ledger(os.path.join(d, "a.db"), os.path.join(d, "b.db")) == src.head()
True
"""

from __future__ import annotations

from collections import deque
from typing import Callable

from ledger.errors import LedgerError, TamperError
from ledger.store import tree
from ledger.store.chain import Head
from ledger.store.postgres import is_postgres_url, redact
from ledger.store.rows import NewEvent, parse_timestamp
from ledger.store.sqlite import EventStore


def open_store(location, **options):
    """The store at ``location``: :class:`~ledger.store.sqlite.EventStore` for a path,
    :class:`~ledger.store.postgres.PostgresEventStore` for a ``postgresql://`` URL."""
    if is_postgres_url(location):
        from ledger.store.postgres import PostgresEventStore
        return PostgresEventStore(location, **options)
    return EventStore(location, **options)


def init_db(url: str, role: str = "ledger_app", password: str | None = None) -> None:
    """Create the ledger's schema in the database at ``url`` (connected as the owner it
    will belong to) if it is not there, and the application role ``role`` with only
    SELECT and INSERT (see :func:`ledger.store.postgres_schema.grant_application_role`)."""
    if not is_postgres_url(url):
        raise LedgerError(f"init-db prepares a PostgreSQL database: {url!r} is not a "
                          f"postgresql:// URL (a SQLite ledger needs no preparing)")
    from ledger.store.postgres import PostgresEventStore, _one_line
    from ledger.store.postgres_schema import grant_application_role

    store = PostgresEventStore(url)  # creates the schema when it is missing
    try:
        with store.conn.transaction():
            tree.ensure(store.conn)  # a ledger made before the tree was kept on PostgreSQL
            grant_application_role(store.conn, role, password)
    except store._psycopg.Error as exc:
        raise LedgerError(f"cannot create role {role} in {redact(url)}: {_one_line(exc)}") from None
    finally:
        store.close()


def copy_ledger(source, target, progress: Callable[[int], None] | None = None) -> Head | None:
    """Copy every event of ``source`` missing from ``target`` (empty, or holding a prefix
    of ``source``), keeping each ``seq``, ``recorded_at`` and hash; returns the head.

    The target recomputes every hash as it writes; each must equal the source's, or
    the copy stops with :class:`TamperError` naming the event and nothing is written.
    All or nothing, in one transaction on the target, streaming in constant memory.
    """
    src = open_store(source)
    try:
        dst = open_store(target)
        try:
            return _copy(src, dst, progress)
        finally:
            dst.close()
    finally:
        src.close()


def _copy(src, dst, progress) -> Head | None:
    start = dst.head()
    if start is not None:
        theirs = next(src.events(after_seq=start.seq - 1), None)
        if theirs is None or (theirs.seq, theirs.hash) != (start.seq, start.hash):
            raise LedgerError(f"the target already holds {start}, which is not a prefix of the "
                              f"source: copy only into an empty ledger or one copied from it")
    expected: dict[int, str] = {}
    times: deque[str] = deque()
    copied = [start]

    def check(_conn, rows) -> None:
        for row in rows:
            if expected.pop(row[0], None) != row[12]:
                raise TamperError(f"event seq {row[0]} (id {row[1]!r}): the source's hash does "
                                  f"not match its content; nothing was copied", row[0])
        if progress:
            progress(rows[-1][0])

    def events(_reader):
        seq = start.seq if start else 0
        for e in src.events(after_seq=seq):
            seq += 1
            if e.seq != seq:
                raise TamperError(f"event seq {seq} is missing in the source (next is {e.seq}); "
                                  f"nothing was copied", seq)
            expected[e.seq] = e.hash
            times.append(e.recorded_at)
            copied[0] = Head(e.seq, e.hash)
            yield NewEvent(e.id, e.type, e.schema_version, e.town, e.period, e.occurred_on,
                           e.refers_to, e.actor, e.payload)

    # the source's recorded_at strictly increases, so the target's clock rule keeps it
    dst.clock = lambda: parse_timestamp(times.popleft())
    dst.listeners.append(check)
    if tree.prepare(dst.conn):  # the target's Merkle tree, built as the events arrive
        dst.listeners.append(tree.on_chunk)
    dst.append(events, bulk=True)
    head = dst.head()
    if head != copied[0]:
        raise LedgerError(f"after the copy the target's head is {head}, not the source's "
                          f"{copied[0]}: another writer appended to the target meanwhile")
    return head
