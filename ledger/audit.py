"""``verify``: everything the ledger holds or prints is checked against the events.

The chain proves the events were not edited, removed or reordered (and, with a digest
kept elsewhere, not rewritten whole). This module checks the rest, which someone with
the file and plain sqlite3 could otherwise change without breaking a hash:

- every payload decodes through the codec, and its envelope (town, period, dates,
  target) is the one the row was hashed with;
- every hash the ledger stores about itself: an adoption's rubric text against its
  ``sha256``, a publication's content against its ``sha256``, its ``chain_head`` against
  the chain at that seq, its rubric against the adoption in force at its ``known_at``;
- the read model equals a replay of the events, row for row;
- the Merkle tree equals the one the events make;
- the file holds no trigger, table, view or index the ledger did not create.
"""

from __future__ import annotations

import hashlib

from ledger import readmodel
from ledger.errors import LedgerError, TamperError
from ledger.exports.views import VIEWS
from ledger.readmodel import check as readmodel_check
from ledger.rubric import load_rubric_text
from ledger.readmodel.layout import unquoted
from ledger.store import COLUMNS, Recorder, StoredEvent, chain, mapper, tree


def audit(store: Recorder, digest: str | None = None) -> int:
    """Verify the chain and everything derived from or stored beside it; returns the
    event count, or raises :class:`TamperError` naming what was found first."""
    count = store.verify(digest)
    check_events(store)
    # the Merkle tree built on the chain (on PostgreSQL its tables' columns and
    # triggers too; the store's own guards are checked in store.verify)
    tree.verify_stored(store.conn)
    if store.dialect == "sqlite":
        check_schema(store)
    found = readmodel_check.differences(store)
    if found:
        raise TamperError(f"{found[0]}: the read model does not match the events; "
                          f"`python -m ledger rebuild` rebuilds it from them")
    return count


def check_events(store: Recorder) -> None:
    """Decode every event and cross-check the hashes events hold about others."""
    adoptions: dict[str, list[tuple[str, str]]] = {}  # period -> [(recorded_at, sha256)]
    heads: list[tuple[int, str, str]] = []  # (publication seq, id, chain_head)
    for row in store.rows():
        stored = StoredEvent(*row)
        where = f"event seq {stored.seq} (id {stored.id!r})"
        failure = chain.time_failure(stored.recorded_at)
        if failure:
            raise TamperError(f"{where}: {failure}", stored.seq)
        event = mapper.to_event(stored)
        if stored.schema_version == type(event).schema_version:
            again = mapper.to_stored(event)
            if (again.id, again.town, again.period, again.occurred_on, again.refers_to,
                    again.actor, again.payload) != (stored.id, stored.town, stored.period,
                                                    stored.occurred_on, stored.refers_to,
                                                    stored.actor, stored.payload):
                raise TamperError(f"{where}: its envelope or payload is not what the ledger "
                                  f"writes for this event (edited outside the ledger)",
                                  stored.seq)
        if stored.type == "RubricAdopted":
            if hashlib.sha256(event.content.encode()).hexdigest() != event.sha256:
                raise TamperError(f"{where}: the adopted rubric's text does not match its "
                                  f"stored sha256 {event.sha256[:12]}…", stored.seq)
            try:
                load_rubric_text(event.content, origin=f"ledger event {stored.id}")
            except LedgerError as exc:
                raise TamperError(f"{where}: the adopted rubric does not load ({exc})",
                                  stored.seq) from None
            adoptions.setdefault(event.period, []).append((stored.recorded_at, event.sha256))
        elif stored.type == "ScorePublished":
            if hashlib.sha256(event.content.encode()).hexdigest() != event.sha256:
                raise TamperError(f"{where}: the published content does not match its "
                                  f"stored sha256", stored.seq)
            in_force = [sha for at, sha in adoptions.get(event.period, ()) if at <= event.known_at]
            if not in_force or in_force[-1] != event.rubric_sha256:
                raise TamperError(f"{where}: the publication names rubric "
                                  f"{event.rubric_sha256[:12]}…, not the one adopted for "
                                  f"{event.period} at its known_at", stored.seq)
            heads.append((stored.seq, stored.id, event.chain_head))
        elif stored.type == "CheckpointSigned":
            heads.append((stored.seq, stored.id, event.chain_head))
            at = int(event.chain_head.partition(":")[0] or 0)
            if at != event.tree_size or (tree.usable(store.conn)
                                         and tree.root(store.conn, at).hex() != event.root_hash):
                raise TamperError(f"{where}: the signed checkpoint's tree size or root is not "
                                  f"the tree of the chain at that size", stored.seq)
    for seq, event_id, chain_head in heads:
        at, _, digest = chain_head.partition(":")
        got = store.get_seq(int(at)) if at.isdigit() else None
        if got is None or int(at) >= seq or got.hash != digest:
            raise TamperError(f"event seq {seq} (id {event_id!r}): the chain head it records "
                              f"{chain_head[:20]}… is not the chain at that seq: the ledger was "
                              f"rewritten after it was published", seq)


def _normal(sql: str | None) -> str | None:
    # SQLite keeps the text as typed: compare it with the white space taken out (and a
    # table's name unquoted, as RENAME writes it when the read model is compacted)
    return None if sql is None else "".join(unquoted(sql.replace("IF NOT EXISTS ", "")).split())


def expected_objects(store: Recorder) -> dict[str, str | None]:
    """Every schema object the ledger creates, by name, with its SQL (None: not compared)."""
    objects = {**store.own_objects(), **readmodel_check.own_objects(store.conn),
               **tree.own_objects()}
    objects.update({name: f"CREATE VIEW {name} AS {sql}" for name, sql in VIEWS.items()})
    return objects


def check_schema(store: Recorder) -> None:
    """Refuse any trigger, table, view or index the ledger did not create (or altered)."""
    expected = expected_objects(store)
    columns = [r[1] for r in store.conn.execute("PRAGMA table_info(events)")]
    if columns != list(COLUMNS):
        raise TamperError(f"the events table's columns were changed ({', '.join(columns)})")
    for kind, name, table, sql in store.schema_objects():
        if name.startswith("sqlite_stat"):
            continue  # ANALYZE's statistics: they change plans, never results
        if name not in expected:
            raise TamperError(f"the file holds a {kind} {name!r} on {table!r} that the ledger "
                              f"did not create: remove it (or restore a copy) and verify again")
        want = expected[name]
        if want is not None and _normal(want) != _normal(sql) and name != "events":
            raise TamperError(f"the {kind} {name!r} was altered from what the ledger creates")


def rebuild(store: Recorder) -> list[str]:
    """Rebuild the read model from the events; returns what was wrong with it before."""
    found = readmodel_check.differences(store)
    readmodel.rebuild(store)
    return found


__all__ = ["audit", "check_events", "check_schema", "expected_objects", "rebuild"]
