"""The read model's queries: one town's evidence for a card, read from the derived tables."""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal

from ledger.events import PaymentRecorded, ReportRecorded
from ledger.projections.evidence import Evidence, FindingLite, group
from ledger.readmodel.dialect import of
from ledger.rubric import Rubric


# Dates are read only for findings that carry a value (rate clauses) or a project (per-
# project bonuses), the only rules that look at them: turning text into Python strings is
# most of a card's cost. Validation guarantees value and project go with those clauses.
FINDINGS_SQL = """
SELECT f.id, f.clause,
  CASE WHEN f.value IS NOT NULL OR f.project IS NOT NULL THEN f.occurred_on END,
  CASE WHEN f.value IS NOT NULL OR f.project IS NOT NULL THEN f.recorded_at END,
  CASE WHEN f.corrected = 1 THEN coalesce((SELECT c.quantity FROM rm_corrections c
      WHERE c.target = f.id AND c.quantity IS NOT NULL AND c.recorded_at <= :k
      ORDER BY c.seq DESC LIMIT 1), f.quantity) ELSE f.quantity END,
  CASE WHEN f.corrected = 1 THEN coalesce((SELECT c.value FROM rm_corrections c
      WHERE c.target = f.id AND c.value IS NOT NULL AND c.recorded_at <= :k
      ORDER BY c.seq DESC LIMIT 1), f.value) ELSE f.value END,
  f.project
FROM rm_findings f
WHERE f.town = :t AND f.period = :p AND f.recorded_at <= :k AND f.occurred_on <= :d
  AND f.source = :s
  AND NOT (f.corrected = 1 AND EXISTS (SELECT 1 FROM rm_corrections r WHERE r.target = f.id
      AND r.kind = 'retract' AND r.recorded_at <= :k))
ORDER BY f.seq
"""

FACTS_SQL = """
SELECT x.id, x.kind, x.subject, x.start, x.done FROM rm_facts x
WHERE x.town = :t AND x.period = :p AND x.recorded_at <= :k
  AND NOT (x.corrected = 1 AND EXISTS (SELECT 1 FROM rm_corrections r WHERE r.target = x.id
      AND r.kind = 'retract' AND r.recorded_at <= :k))
ORDER BY x.seq
"""


def evidence(conn: sqlite3.Connection, *, town: str, period: str, known_at: str, as_of: date,
             source: str, rubric: Rubric) -> Evidence:
    """The fast road to :class:`Evidence`; scores equal to the replay's (proven by test).

    Findings without a value or project come back without their dates, which no rule
    but the rate and per-project ones reads.
    """
    dialect = of(conn)
    params = {"t": town, "p": period, "k": known_at, "d": as_of.isoformat(), "s": source}
    fromiso = date.fromisoformat
    make = FindingLite._make
    # Most rows stay plain tuples (FindingLite's layout, read by index): building a named
    # tuple per row was a third of a scoreboard's time. Rows the rate and per-project
    # rules read by name (a value or a project) become FindingLite.
    findings = [row if row[5] is None and row[6] is None
                else make(row)._replace(value=None if row[5] is None else Decimal(row[5]))
                for row in conn.execute(dialect.sql(FINDINGS_SQL), params)]
    current: dict[tuple[str, str], object] = {}
    for fid, kind, subject, start, done in conn.execute(dialect.sql(FACTS_SQL), params):
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
