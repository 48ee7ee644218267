"""The read model: decoded findings, corrections and facts in plain tables, for speed.

Replaying a town's events means decoding every payload; a card then costs
tens of milliseconds on a town with thousands of events. These tables hold the
same facts already decoded and indexed, so a card is a few indexed queries.

They are a cache, never the truth: written in the same transaction as the
events (through the store's ``on_chunk`` hook), rebuildable from the events at
any time (:func:`rebuild`), caught up automatically when behind (a ledger
written by another tool), and proven equal to a full replay by the tests.
The store knows nothing of them. The same tables and SQL serve SQLite and PostgreSQL;
:mod:`ledger.readmodel.dialect` holds the few differences.
"""

from __future__ import annotations

import sqlite3
from typing import Iterable

from ledger.errors import LedgerError, ReadOnlyLedger, TamperError
from ledger.readmodel import details, layout
from ledger.readmodel.dialect import Insert, execute, of
from ledger.store import Recorder, mapper

VERSION = 3  # bump when the tables change: an older read model is rebuilt
# Clustered by (town, period, seq): a town's rows sit together in recording order, so a
# card reads one contiguous range with no sort and no second lookup per row.
SCHEMA = """
CREATE TABLE IF NOT EXISTS rm_findings (
    town TEXT NOT NULL, period TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL,
    clause TEXT, occurred_on TEXT, quantity INTEGER, value TEXT, project TEXT, source TEXT,
    recorded_at TEXT, corrected INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (town, period, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rm_corrections (
    target TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL,
    quantity INTEGER, value TEXT, recorded_at TEXT,
    PRIMARY KEY (target, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rm_facts (
    town TEXT NOT NULL, period TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL,
    kind TEXT, subject TEXT, start TEXT, done TEXT, recorded_at TEXT,
    corrected INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (town, period, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rm_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""
TABLES = ("rm_findings", "rm_corrections", "rm_facts", "rm_state")
ALL_TABLES = (*TABLES, details.TABLE)  # what a rebuild drops

# rows as the store writes them: (seq, id, type, schema_version, town, period, occurred_on,
# refers_to, recorded_at, actor, payload, prev_hash, hash); payloads are read through the
# mapper, so an upcaster registered with the codec reaches the read model too
_data = mapper.to_data


def on_chunk(conn: sqlite3.Connection, rows: list[tuple]) -> None:
    """The store hook: catch up with events another writer left behind, then apply ``rows``."""
    if rows and applied_seq(conn) < rows[0][0] - 1:
        _apply_all(conn, of(conn).event_rows(conn, applied_seq(conn), rows[0][0]))
    apply_rows(conn, rows)


def _apply_all(conn: sqlite3.Connection, rows: Iterable[tuple]) -> int:
    chunk: list[tuple] = []
    count = 0
    for row in rows:
        chunk.append(row)
        if len(chunk) >= 5000:
            apply_rows(conn, chunk)
            count += len(chunk)
            chunk = []
    if chunk:
        apply_rows(conn, chunk)
    return count + len(chunk)


INSERT_FINDINGS = Insert(
    "INSERT INTO rm_findings (seq, id, town, period, clause, occurred_on, quantity, value, "
    "project, source, recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
    "COPY rm_findings (seq, id, town, period, clause, occurred_on, quantity, value, project, "
    "source, recorded_at) FROM STDIN")
INSERT_FACTS = Insert(
    "INSERT INTO rm_facts (seq, id, town, period, kind, subject, start, done, recorded_at) "
    "VALUES (?,?,?,?,?,?,?,?,?)",
    "COPY rm_facts (seq, id, town, period, kind, subject, start, done, recorded_at) FROM STDIN")
INSERT_CORRECTIONS = Insert(
    "INSERT INTO rm_corrections (seq, id, target, kind, quantity, value, recorded_at) "
    "VALUES (?,?,?,?,?,?,?)",
    "COPY rm_corrections (seq, id, target, kind, quantity, value, recorded_at) FROM STDIN")


def apply_rows(conn: sqlite3.Connection, rows: list[tuple] | tuple,
               keep_details: bool | None = None, seq_lookup=None) -> None:
    """Write the read-model rows for event rows (inside the transaction that holds them)."""
    findings, corrections, facts, touched, last = [], [], [], [], None
    seq = eid = None
    try:
        for seq, eid, etype, sv, town, period, occ, ref, rec, _a, payload, _p, _h in rows:
            last = seq
            if etype == "FindingRecorded":
                d = _data(etype, sv, payload, seq=seq, event_id=eid)
                findings.append((seq, eid, town, period, d["clause"], occ, d.get("quantity", 1),
                                 _text(d.get("value")), d.get("project"), d.get("source", "city"), rec))
            elif etype in ("RecordRetracted", "FindingAmended"):
                d = _data(etype, sv, payload, seq=seq, event_id=eid) if etype == "FindingAmended" else {}
                kind = "retract" if etype == "RecordRetracted" else "amend"
                corrections.append((seq, eid, ref, kind, d.get("quantity"), _text(d.get("value")), rec))
                touched.append((town, period, ref))  # a correction carries its target's town and period
            elif etype in ("PaymentRecorded", "ReportRecorded"):
                d = _data(etype, sv, payload, seq=seq, event_id=eid)
                if etype == "PaymentRecorded":
                    facts.append((seq, eid, town, period, "payment", d["case"], d["approved_on"],
                                  d.get("paid_on"), rec))
                else:
                    facts.append((seq, eid, town, period, "report", d["report"], d["due_on"],
                                  d.get("submitted_on"), rec))
    except (KeyError, TypeError, AttributeError) as exc:
        raise TamperError(f"event seq {seq} (id {eid!r}): its payload lacks or mistypes "
                          f"{exc}; the file was edited outside the ledger: run verify",
                          seq) from None
    dialect = of(conn)
    many, insert = dialect.executemany, dialect.insert_many
    if findings:
        insert(conn, INSERT_FINDINGS, findings)
    if facts:
        insert(conn, INSERT_FACTS, facts)
    if corrections:
        insert(conn, INSERT_CORRECTIONS, corrections)
        # mark the targets so a card only probes corrections where there are some; found by
        # their clustered key (an index on id would cost every insert more than it saves)
        lookup = seq_lookup or (lambda ids: dialect.seqs_of(conn, ids))
        seqs = lookup({ref for _, _, ref in touched})
        marks = [(town, period, seqs[ref]) for town, period, ref in touched if ref in seqs]
        many(conn, MARK_SQL.format(table="rm_findings"), marks)
        many(conn, MARK_SQL.format(table="rm_facts"), marks)
    if keep_details if keep_details is not None else details.present(conn):
        details.apply_rows(conn, rows)
    if last is not None:
        execute(conn, STATE_SQL, ("applied_seq", last))


# an upsert both dialects read (SQLite since 3.24)
STATE_SQL = ("INSERT INTO rm_state (key, value) VALUES (?, ?) "
             "ON CONFLICT (key) DO UPDATE SET value = excluded.value")
MARK_SQL = "UPDATE {table} SET corrected = 1 WHERE town = ? AND period = ? AND seq = ?"


def _text(v) -> str | None:
    return None if v is None else str(v)


def applied_seq(conn: sqlite3.Connection) -> int:
    row = execute(conn, "SELECT value FROM rm_state WHERE key = 'applied_seq'").fetchone()
    return row[0] if row else 0


def _version(conn: sqlite3.Connection) -> int:
    if not of(conn).has_table(conn, "rm_state"):
        return 0
    row = execute(conn, "SELECT value FROM rm_state WHERE key = 'version'").fetchone()
    return row[0] if row else 1


def ensure(store: Recorder) -> bool:
    """Create the tables and catch up with the events.

    False when the ledger cannot be written here (a read-only file): cards are then
    replayed from the events. Any other failure is raised with its cause, so the read
    model never turns itself off silently.
    """
    conn = store.conn
    dialect = of(conn)
    head = store.head()
    try:
        if _version(conn) == VERSION and applied_seq(conn) >= (head.seq if head else 0):
            return True
        with store.write():
            dialect.lock_writers(conn)  # what an append would write, no append writes twice
            if _version(conn) not in (0, VERSION):  # an older layout: start again
                for table in ALL_TABLES:
                    conn.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in SCHEMA.strip().split(";"):
                if statement.strip():
                    conn.execute(dialect.table(statement))
            execute(conn, STATE_SQL, ("version", VERSION))
            caught_up = _apply_all(conn, dialect.event_rows(conn, applied_seq(conn)))
            if layout.worth_compacting(conn, caught_up, head.seq if head else 0):  # a rebuild, a copied ledger
                layout.compact(conn)
    except ReadOnlyLedger:
        return False
    except dialect.errors() as exc:
        if dialect.read_only(exc):
            return False
        where = store.path or "the database"
        raise LedgerError(f"cannot bring the read model of {where} up to date: "
                          f"{' '.join(str(exc).split())}") from None
    return True


def rebuild(store: Recorder) -> int:
    """Drop and rebuild the read model from the events; returns the events replayed."""
    dialect = of(store.conn)
    try:
        with store.write() as conn:
            dialect.lock_writers(conn)
            kept = details.present(conn)
            for table in ALL_TABLES:
                conn.execute(f"DROP TABLE IF EXISTS {table}")
            if kept:
                details.create(conn)
    except dialect.errors() as exc:  # a role that may not drop them: nothing changed
        raise LedgerError(f"cannot rebuild the read model of {store.path or 'the database'}: "
                          f"{' '.join(str(exc).split())} (rebuild as the ledger's owner)") from None
    ensure(store)
    return applied_seq(store.conn)


def enable_details(store: Recorder) -> None:
    """Keep :mod:`details` from now on, filled from every event so far."""
    ensure(store)
    with store.write() as conn:
        of(conn).lock_writers(conn)
        if not details.present(conn):
            details.create(conn)
            chunk: list[tuple] = []
            for row in of(conn).event_rows(conn, 0, applied_seq(conn) + 1):
                chunk.append(row)
                if len(chunk) >= 5000:
                    details.apply_rows(conn, chunk)
                    chunk = []
            details.apply_rows(conn, chunk)
