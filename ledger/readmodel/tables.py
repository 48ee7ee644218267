"""The read model: decoded findings, corrections and facts in plain tables, for speed.

Replaying a town's events means decoding every payload; a card then costs
tens of milliseconds on a town with thousands of events. These tables hold the
same facts already decoded and indexed, so a card is a few indexed queries.

They are a cache, never the truth: written in the same transaction as the
events (through the store's ``on_chunk`` hook), rebuildable from the events at
any time (:func:`rebuild`), caught up automatically when behind (a ledger
written by another tool), and proven equal to a full replay by the tests.
The store knows nothing of them.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from decimal import Decimal
from typing import Iterable

from ledger.events import PaymentRecorded, ReportRecorded
from ledger.projections.evidence import Evidence, FindingLite, group
from ledger.rubric import Rubric

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

# rows as the store writes them: (seq, id, type, schema_version, town, period, occurred_on,
# refers_to, recorded_at, actor, payload, prev_hash, hash)


_loads = json.JSONDecoder(parse_float=str).decode  # values stay exact text


def on_chunk(conn: sqlite3.Connection, rows: list[tuple]) -> None:
    """The store hook: catch up with events another writer left behind, then apply ``rows``."""
    if rows and applied_seq(conn) < rows[0][0] - 1:
        cur = conn.execute("SELECT * FROM events WHERE seq > ? AND seq < ? ORDER BY seq",
                           (applied_seq(conn), rows[0][0]))
        while chunk := cur.fetchmany(5000):
            apply_rows(conn, chunk)
    apply_rows(conn, rows)


def apply_rows(conn: sqlite3.Connection, rows: Iterable[tuple]) -> None:
    """Write the read-model rows for event rows (inside the transaction that holds them)."""
    findings, corrections, facts, touched, last = [], [], [], [], None
    for seq, eid, etype, _sv, town, period, occ, ref, rec, _a, payload, _p, _h in rows:
        last = seq
        if etype == "FindingRecorded":
            d = _loads(payload)
            findings.append((seq, eid, town, period, d["clause"], occ, d.get("quantity", 1),
                             _text(d.get("value")), d.get("project"), d.get("source", "city"), rec))
        elif etype in ("RecordRetracted", "FindingAmended"):
            d = _loads(payload) if etype == "FindingAmended" else {}
            kind = "retract" if etype == "RecordRetracted" else "amend"
            corrections.append((seq, eid, ref, kind, d.get("quantity"), _text(d.get("value")), rec))
            touched.append((town, period, ref))  # a correction carries its target's town and period
        elif etype in ("PaymentRecorded", "ReportRecorded"):
            d = json.loads(payload)
            if etype == "PaymentRecorded":
                facts.append((seq, eid, town, period, "payment", d["case"], d["approved_on"],
                              d.get("paid_on"), rec))
            else:
                facts.append((seq, eid, town, period, "report", d["report"], d["due_on"],
                              d.get("submitted_on"), rec))
    if findings:
        conn.executemany("INSERT INTO rm_findings (seq, id, town, period, clause, occurred_on, "
                         "quantity, value, project, source, recorded_at) "
                         "VALUES (?,?,?,?,?,?,?,?,?,?,?)", findings)
    if facts:
        conn.executemany("INSERT INTO rm_facts (seq, id, town, period, kind, subject, start, done, "
                         "recorded_at) VALUES (?,?,?,?,?,?,?,?,?)", facts)
    if corrections:
        conn.executemany("INSERT INTO rm_corrections (seq, id, target, kind, quantity, value, "
                         "recorded_at) VALUES (?,?,?,?,?,?,?)", corrections)
        # mark the targets so a card only probes corrections where there are some; found by
        # their clustered key (an index on id would cost every insert more than it saves)
        conn.executemany(MARK_SQL.format(table="rm_findings"), touched)
        conn.executemany(MARK_SQL.format(table="rm_facts"), touched)
    if last is not None:
        conn.execute("INSERT OR REPLACE INTO rm_state (key, value) VALUES ('applied_seq', ?)",
                     (last,))


MARK_SQL = ("UPDATE {table} SET corrected = 1 WHERE town = ? AND period = ? "
            "AND seq = (SELECT seq FROM events WHERE id = ?)")


def _text(v) -> str | None:
    return None if v is None else str(v)


def applied_seq(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM rm_state WHERE key = 'applied_seq'").fetchone()
    return row[0] if row else 0


def _version(conn: sqlite3.Connection) -> int:
    if not conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'rm_state'").fetchone()[0]:
        return 0
    row = conn.execute("SELECT value FROM rm_state WHERE key = 'version'").fetchone()
    return row[0] if row else 1


def ensure(conn: sqlite3.Connection, head_seq: int) -> bool:
    """Create the tables and catch up with the events; False if the file is read-only."""
    try:
        version = _version(conn)
        if version == VERSION and applied_seq(conn) >= head_seq:
            return True
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return False
    try:
        if _version(conn) not in (0, VERSION):  # an older layout: start again from the events
            for table in TABLES:
                conn.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in SCHEMA.strip().split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("INSERT OR REPLACE INTO rm_state (key, value) VALUES ('version', ?)", (VERSION,))
        start = applied_seq(conn)
        cur = conn.execute("SELECT * FROM events WHERE seq > ? ORDER BY seq", (start,))
        while chunk := cur.fetchmany(5000):
            apply_rows(conn, chunk)
        conn.execute("COMMIT")
        return True
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def rebuild(conn: sqlite3.Connection) -> int:
    """Drop and rebuild the read model from the events; returns the events replayed."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for table in TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    ensure(conn, 0)
    return applied_seq(conn)


# Dates are read only for findings that carry a value (rate clauses) or a project (per-
# project bonuses), the only rules that look at them: turning text into Python strings is
# most of a card's cost. Validation guarantees value and project go with those clauses.
FINDINGS_SQL = """
SELECT f.id, f.clause,
  CASE WHEN f.value IS NOT NULL OR f.project IS NOT NULL THEN f.occurred_on END,
  CASE WHEN f.value IS NOT NULL OR f.project IS NOT NULL THEN f.recorded_at END,
  CASE WHEN f.corrected THEN coalesce((SELECT c.quantity FROM rm_corrections c
      WHERE c.target = f.id AND c.quantity IS NOT NULL AND c.recorded_at <= :k
      ORDER BY c.seq DESC LIMIT 1), f.quantity) ELSE f.quantity END,
  CASE WHEN f.corrected THEN coalesce((SELECT c.value FROM rm_corrections c
      WHERE c.target = f.id AND c.value IS NOT NULL AND c.recorded_at <= :k
      ORDER BY c.seq DESC LIMIT 1), f.value) ELSE f.value END,
  f.project
FROM rm_findings f
WHERE f.town = :t AND f.period = :p AND f.recorded_at <= :k AND f.occurred_on <= :d
  AND f.source = :s
  AND NOT (f.corrected AND EXISTS (SELECT 1 FROM rm_corrections r WHERE r.target = f.id
      AND r.kind = 'retract' AND r.recorded_at <= :k))
ORDER BY f.seq
"""

FACTS_SQL = """
SELECT x.id, x.kind, x.subject, x.start, x.done FROM rm_facts x
WHERE x.town = :t AND x.period = :p AND x.recorded_at <= :k
  AND NOT (x.corrected AND EXISTS (SELECT 1 FROM rm_corrections r WHERE r.target = x.id
      AND r.kind = 'retract' AND r.recorded_at <= :k))
ORDER BY x.seq
"""


def evidence(conn: sqlite3.Connection, *, town: str, period: str, known_at: str, as_of: date,
             source: str, rubric: Rubric) -> Evidence:
    """The fast road to :class:`Evidence`; scores equal to the replay's (proven by test).

    Findings without a value or project come back without their dates, which no rule
    but the rate and per-project ones reads.
    """
    params = {"t": town, "p": period, "k": known_at, "d": as_of.isoformat(), "s": source}
    fromiso = date.fromisoformat
    make = FindingLite._make
    # Most rows stay plain tuples (FindingLite's layout, read by index): building a named
    # tuple per row was a third of a scoreboard's time. Rows the rate and per-project
    # rules read by name (a value or a project) become FindingLite.
    findings = [row if row[5] is None and row[6] is None
                else make(row)._replace(value=None if row[5] is None else Decimal(row[5]))
                for row in conn.execute(FINDINGS_SQL, params)]
    current: dict[tuple[str, str], object] = {}
    for fid, kind, subject, start, done in conn.execute(FACTS_SQL, params):
        key = (kind, subject)
        current.pop(key, None)  # the later record replaces the earlier, keeping recording order
        if kind == "payment":
            current[key] = PaymentRecorded(fid, town, period, subject, fromiso(start),
                                           fromiso(done) if done else None)
        else:
            current[key] = ReportRecorded(fid, town, period, subject, fromiso(start),
                                          fromiso(done) if done else None)
    facts = list(current.values())
    return group(findings, rubric.has_clause, [f for f in facts if isinstance(f, PaymentRecorded)],
                 [f for f in facts if isinstance(f, ReportRecorded)])
