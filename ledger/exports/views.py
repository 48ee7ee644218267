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

from pathlib import Path

from ledger import readmodel
from ledger.errors import LedgerError
from ledger.store import EventStore
from ledger.store.postgres import is_postgres_url, redact

# The views read the read model (decoded through the mapper, upcasters included), never
# the events' payloads: what they show is what the cards are computed from.
def _retracted_by(alias: str) -> str:
    return (f"(SELECT r.id FROM rm_corrections r WHERE r.target = {alias}.id "
            f"AND r.kind = 'retract' ORDER BY r.seq LIMIT 1)")



_AMENDMENT = ("(SELECT a.id FROM rm_corrections a WHERE a.target = f.id "
              "AND a.kind = 'amend' ORDER BY a.seq DESC LIMIT 1)")


def _amended(field: str) -> str:
    return (f"(SELECT a.{field} FROM rm_corrections a WHERE a.target = f.id AND a.kind = 'amend' "
            f"AND a.{field} IS NOT NULL ORDER BY a.seq DESC LIMIT 1)")


VIEWS = {
    "findings": f"""
SELECT f.seq, f.id, f.town, f.period, f.clause, f.occurred_on,
       COALESCE({_amended('quantity')}, f.quantity) AS quantity,
       CAST(COALESCE({_amended('value')}, f.value) AS REAL) AS value,
       f.quantity AS recorded_quantity, CAST(f.value AS REAL) AS recorded_value,
       f.source, f.project, d.note, d.evidence, f.recorded_at, d.actor,
       CASE WHEN {_retracted_by('f')} IS NOT NULL THEN 'retracted'
            WHEN {_AMENDMENT} IS NOT NULL THEN 'amended' ELSE 'live' END AS status,
       COALESCE({_retracted_by('f')}, {_AMENDMENT}) AS corrected_by
FROM rm_findings f JOIN rm_details d ON d.seq = f.seq ORDER BY f.seq""",
    "facts": f"""
SELECT x.seq, x.id, x.kind, x.town, x.period, x.subject, x.start AS start_on,
       x.done AS done_on, x.recorded_at, d.actor,
       CASE WHEN {_retracted_by('x')} IS NOT NULL THEN 'retracted'
            WHEN EXISTS (SELECT 1 FROM rm_facts later WHERE later.town = x.town
                         AND later.period = x.period AND later.kind = x.kind
                         AND later.subject = x.subject AND later.seq > x.seq
                         AND {_retracted_by('later')} IS NULL)
            THEN 'superseded' ELSE 'live' END AS status,
       {_retracted_by('x')} AS retracted_by
FROM rm_facts x JOIN rm_details d ON d.seq = x.seq ORDER BY x.seq""",
    "corrections": """
SELECT c.seq, c.id, CASE c.kind WHEN 'retract' THEN 'retraction' ELSE 'amendment' END AS kind,
       c.target, t.type AS target_type, d.town, d.period, d.reason, c.quantity,
       CAST(c.value AS REAL) AS value, c.recorded_at, d.actor,
       (SELECT e.id FROM rm_details e, json_each(e.effects) j
        WHERE e.type = 'AppealDecided' AND j.value = c.id LIMIT 1) AS appeal_decision
FROM rm_corrections c JOIN rm_details d ON d.seq = c.seq
LEFT JOIN rm_details t ON t.id = c.target ORDER BY c.seq""",
}


def create_views(target) -> list[str]:
    """Create the views (``CREATE VIEW IF NOT EXISTS``) on a ledger; returns their names.

    ``target`` is an open ledger (anything with a ``store``), an :class:`EventStore`, or
    the ledger file's path. Refuses a file that is not an audit ledger, and a PostgreSQL
    ledger (the views are SQLite's: docs/exports.md says why).
    """
    store = getattr(target, "store", target)
    if isinstance(store, EventStore):
        return _create(store)
    if getattr(store, "dialect", None) == "postgresql" or is_postgres_url(target):
        # SQLite only, by design: Datasette reads SQLite files, and a PostgreSQL view binds
        # to its tables, so it would stop the read model's rebuild (DROP TABLE rm_*)
        url = redact(getattr(store, "url", None) or str(target))
        raise LedgerError(f"the browsing views are for SQLite ledger files (Datasette reads "
                          f"SQLite); on PostgreSQL query the read model's tables, or copy the "
                          f"ledger to a file: python -m ledger copy {url} audit.db; "
                          f"no views created")
    if not Path(target).is_file():
        raise LedgerError(f"no ledger at {target}: no views created")
    store = EventStore(target)
    try:
        return _create(store)
    finally:
        store.close()


def _create(store: EventStore) -> list[str]:
    taken = [name for name, kind in store.conn.execute("SELECT name, type FROM sqlite_master")
             if name in VIEWS and kind != "view"]
    if taken:
        raise LedgerError(f"cannot create view {taken[0]!r}: the ledger already has a "
                          f"table or index of that name; no views created")
    readmodel.enable_details(store)
    with store.write() as conn:
        for name, sql in VIEWS.items():
            conn.execute(f"CREATE VIEW IF NOT EXISTS {name} AS {sql}")
    return list(VIEWS)


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
