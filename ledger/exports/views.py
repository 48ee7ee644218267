"""SQL views that make a ledger file explorable in any SQLite tool (e.g. Datasette).

Views are not events: :func:`create_views` adds ``findings``, ``facts`` and
``corrections`` to the schema but never touches the ``events`` table, its rows or
its guard triggers, so the hash chain and ``verify`` are unaffected. The views show
the ledger as it stands (every event recorded so far); bitemporal questions
(``as_of``/``known_at``) are for the library and the CLI.

>>> import ledger, sqlite3, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "audit.db")
>>> with ledger.open(path) as lg:
...     _ = lg.append([{"type": "adopt", "id": "a1", "period": "2017", "rubric": "taicang-2017"},
...                    {"type": "town", "id": "t1", "name": "沙溪镇"},
...                    {"type": "finding", "id": "f1", "town": "沙溪镇", "period": "2017",
...                     "clause": "B06.1", "occurred_on": "2017-03-01", "quantity": 3}])
>>> create_views(path)
['findings', 'facts', 'corrections']
>>> sqlite3.connect(path).execute("SELECT id, clause, quantity, status FROM findings").fetchall()
[('f1', 'B06.1', 3, 'live')]
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ledger.errors import LedgerError
from ledger.store import APPLICATION_ID

_P = "json_extract(e.payload, '$.{}')"


def _latest_amended(field: str) -> str:
    return (f"(SELECT json_extract(a.payload, '$.{field}') FROM events a "
            f"WHERE a.type = 'FindingAmended' AND a.refers_to = e.id "
            f"AND json_extract(a.payload, '$.{field}') IS NOT NULL ORDER BY a.seq DESC LIMIT 1)")


_RETRACTION = ("(SELECT r.id FROM events r WHERE r.type = 'RecordRetracted' "
               "AND r.refers_to = e.id ORDER BY r.seq LIMIT 1)")
_AMENDMENT = ("(SELECT a.id FROM events a WHERE a.type = 'FindingAmended' "
              "AND a.refers_to = e.id ORDER BY a.seq DESC LIMIT 1)")

VIEWS = {
    "findings": f"""
SELECT e.seq, e.id, e.town, e.period, {_P.format('clause')} AS clause, e.occurred_on,
       COALESCE({_latest_amended('quantity')}, {_P.format('quantity')}) AS quantity,
       COALESCE({_latest_amended('value')}, {_P.format('value')}) AS value,
       {_P.format('quantity')} AS recorded_quantity, {_P.format('value')} AS recorded_value,
       {_P.format('source')} AS source, {_P.format('project')} AS project,
       {_P.format('note')} AS note, json_extract(e.payload, '$.evidence') AS evidence,
       e.recorded_at, e.actor,
       CASE WHEN {_RETRACTION} IS NOT NULL THEN 'retracted'
            WHEN {_AMENDMENT} IS NOT NULL THEN 'amended' ELSE 'live' END AS status,
       COALESCE({_RETRACTION}, {_AMENDMENT}) AS corrected_by
FROM events e WHERE e.type = 'FindingRecorded' ORDER BY e.seq""",
    "facts": f"""
SELECT e.seq, e.id, CASE e.type WHEN 'PaymentRecorded' THEN 'payment' ELSE 'report' END AS kind,
       e.town, e.period,
       COALESCE({_P.format('case')}, {_P.format('report')}) AS subject,
       COALESCE({_P.format('approved_on')}, {_P.format('due_on')}) AS start_on,
       COALESCE({_P.format('paid_on')}, {_P.format('submitted_on')}) AS done_on,
       e.recorded_at, e.actor,
       CASE WHEN {_RETRACTION} IS NOT NULL THEN 'retracted'
            WHEN EXISTS (SELECT 1 FROM events later WHERE later.type = e.type
                         AND later.town = e.town AND later.period = e.period
                         AND later.seq > e.seq
                         AND COALESCE(json_extract(later.payload, '$.case'),
                                      json_extract(later.payload, '$.report'))
                             = COALESCE({_P.format('case')}, {_P.format('report')})
                         AND NOT EXISTS (SELECT 1 FROM events x WHERE x.type = 'RecordRetracted'
                                         AND x.refers_to = later.id))
            THEN 'superseded' ELSE 'live' END AS status,
       {_RETRACTION} AS retracted_by
FROM events e WHERE e.type IN ('PaymentRecorded', 'ReportRecorded') ORDER BY e.seq""",
    "corrections": f"""
SELECT e.seq, e.id, CASE e.type WHEN 'RecordRetracted' THEN 'retraction' ELSE 'amendment' END
           AS kind,
       e.refers_to AS target, t.type AS target_type, e.town, e.period,
       {_P.format('reason')} AS reason, {_P.format('quantity')} AS quantity,
       {_P.format('value')} AS value, e.recorded_at, e.actor,
       (SELECT d.id FROM events d, json_each(d.payload, '$.effects') j
        WHERE d.type = 'AppealDecided' AND j.value = e.id LIMIT 1) AS appeal_decision
FROM events e LEFT JOIN events t ON t.id = e.refers_to
WHERE e.type IN ('RecordRetracted', 'FindingAmended') ORDER BY e.seq""",
}


def create_views(conn: sqlite3.Connection | str | Path) -> list[str]:
    """Create the views (``CREATE VIEW IF NOT EXISTS``) on a ledger; returns their names.

    ``conn`` is an open connection to the ledger file, or its path. Refuses a file
    that is not an audit ledger.
    """
    own = not isinstance(conn, sqlite3.Connection)
    db = sqlite3.connect(str(conn)) if own else conn
    try:
        if db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            raise LedgerError("not an audit ledger (PRAGMA application_id differs): "
                              "no views created")
        taken = [name for name, kind in db.execute("SELECT name, type FROM sqlite_master")
                 if name in VIEWS and kind != "view"]
        if taken:
            raise LedgerError(f"cannot create view {taken[0]!r}: the ledger already has a "
                              f"table or index of that name; no views created")
        with db:
            for name, sql in VIEWS.items():
                db.execute(f"CREATE VIEW IF NOT EXISTS {name} AS {sql}")
        return list(VIEWS)
    finally:
        if own:
            db.close()


def datasette_metadata(database: str = "audit", title: str = "审计台账 audit ledger") -> dict:
    """Datasette metadata (save as ``metadata.json``; ``datasette audit.db -m metadata.json``).

    ``database`` is the file's name without ``.db``.
    """
    status = "live, retracted (a RecordRetracted names it) or amended (a FindingAmended does)"
    tables = {
        "events": {"description": "The append-only ledger: one row per event, hash-chained. "
                                  "Never edit it; `python -m ledger verify` checks it."},
        "findings": {"description": "One row per FindingRecorded, with its current status.",
                     "columns": {
                         "clause": "Rubric clause id (e.g. B06.1)",
                         "occurred_on": "When it happened (valid time)",
                         "quantity": "Units counted, after the latest amendment",
                         "value": "Measured rate, after the latest amendment",
                         "recorded_quantity": "Quantity as first recorded",
                         "recorded_value": "Value as first recorded",
                         "source": "city (市局核查) or self (自评)",
                         "evidence": "JSON list of evidence references",
                         "recorded_at": "When it was recorded (UTC, transaction time)",
                         "status": status,
                         "corrected_by": "The retraction, else the latest amendment"}},
        "facts": {"description": "Payments (C02.1) and reports (A09.1) with their dates.",
                  "columns": {
                      "subject": "The case (payment) or report name",
                      "start_on": "approved_on (payment) or due_on (report)",
                      "done_on": "paid_on (payment) or submitted_on (report)",
                      "status": "live, retracted, or superseded by a later live record "
                                "of the same case/report"}},
        "corrections": {"description": "Retractions and amendments: the target and the reason.",
                        "columns": {
                            "target": "The corrected event's id",
                            "appeal_decision": "The appeal decision that caused it, if any"}},
    }
    return {"title": title,
            "description": "Social-assistance performance findings as an immutable ledger. "
                           "Views show the ledger as it stands now; for scores at an as_of "
                           "or known_at use `python -m ledger score`.",
            "databases": {database: {"tables": tables}}}
