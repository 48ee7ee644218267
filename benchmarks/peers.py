"""The peers the benchmarks compare the ledger with, on the same generated rows.

* ``raw_executemany``: the rows exactly as the ledger stored them (13 columns,
  hashes included), already in memory, written with one ``executemany`` in one
  transaction into a plain table: the floor any SQLite store pays.
* ``LedgerRows`` / ``schema_floor``: every row a bulk import writes (``events``, the read
  model's tables, the Merkle tree's nodes), read beforehand from the cached ledger, written
  into a fresh ledger file (the ledger's own schema) with ``executemany`` in one
  transaction, as the import does: its PRAGMAs, the append guard dropped inside the
  transaction and created again before COMMIT, 1,000 events at a time, each chunk followed
  by its read-model rows and tree nodes. No Python work at all beyond ``executemany``:
  what SQLite alone costs for this schema on the stdlib binding.
* ``jsonl_executemany``: read the JSONL import file, ``json.loads`` every line,
  build a row (id, type, town, period, occurred_on, refers_to, the line as
  payload) and write them with one ``executemany``: the floor any importer of
  that file pays.
* ``RawCommitter``: one row per transaction (``BEGIN IMMEDIATE``/``INSERT``/
  ``COMMIT``), the floor of a single durable append.
* ``EventsourcingPeer``: the `eventsourcing` library (SQLite persistence)
  storing the same records as events of one aggregate per town, and reading a
  town back.

Every SQLite peer uses the ledger's durability: WAL, ``synchronous=FULL``; each
timed operation includes opening and closing its connection (closing the last
connection checkpoints the WAL), as an import through the ledger does.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from importlib import metadata
from pathlib import Path

from ledger import store

COLUMNS = ("seq", "id", "type", "schema_version", "town", "period", "occurred_on",
           "refers_to", "recorded_at", "actor", "payload", "prev_hash", "hash")
# what the schema floor writes besides ``events``, in the order the import writes them
LEDGER_TABLES = ("rm_findings", "rm_facts", "rm_corrections")
CHUNK = 1000  # events a chunk, as the store hands them to the read model and the tree

# interchange record type -> the ledger's event type (for the JSONL floor's rows)
EVENT_TYPES = {"adopt": "RubricAdopted", "town": "TownRegistered", "finding": "FindingRecorded",
               "retraction": "RecordRetracted", "amendment": "FindingAmended",
               "payment": "PaymentRecorded", "report": "ReportRecorded"}


def sqlite_version() -> str:
    return f"SQLite {sqlite3.sqlite_version} (Python sqlite3)"


def ledger_version() -> str:
    return f"audit-ledger {metadata.version('audit-ledger')}"


def eventsourcing_version() -> str | None:
    try:
        return f"eventsourcing {metadata.version('eventsourcing')}"
    except metadata.PackageNotFoundError:
        return None


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def stored_rows(ledger_db: Path) -> list[tuple]:
    """Every row of a ledger file, in seq order (the documented file format, read with sqlite3)."""
    conn = sqlite3.connect(f"file:{ledger_db}?mode=ro", uri=True)
    try:
        return conn.execute(f"SELECT {', '.join(COLUMNS)} FROM events ORDER BY seq").fetchall()
    finally:
        conn.close()


def last_stored_row(ledger_db: Path) -> tuple:
    """The last row of a ledger file (a template for ledger-shaped rows)."""
    conn = sqlite3.connect(f"file:{ledger_db}?mode=ro", uri=True)
    try:
        return conn.execute(f"SELECT {', '.join(COLUMNS)} FROM events "
                            f"ORDER BY seq DESC LIMIT 1").fetchone()
    finally:
        conn.close()


def create_plain_table(path: Path, columns=COLUMNS) -> None:
    conn = _connect(path)
    conn.execute(f"CREATE TABLE t ({columns[0]} INTEGER PRIMARY KEY, "
                 f"{', '.join(c + ' TEXT' for c in columns[1:])})")
    conn.close()


class LedgerRows:
    """Every row of a ledger file's own tables, grouped by the chunk of 1,000 events
    whose import writes them (read-model rows by their event's seq, tree nodes by the
    last leaf they cover)."""

    def __init__(self, ledger_db: Path):
        conn = sqlite3.connect(f"file:{ledger_db}?mode=ro", uri=True)
        try:
            events = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM events "
                                  f"ORDER BY seq").fetchall()
            self.events = len(events)
            self.chunks: list[list[tuple[str, list[tuple]]]] = [
                [(_insert_sql("events", COLUMNS), events[i:i + CHUNK])]
                for i in range(0, len(events), CHUNK)]
            # each chunk ends by moving the read model's and the tree's marks
            self.marks = [[(STATE_SQL.format(table=t), [(key, part[-1][0])])
                           for t, key in (("rm_state", "applied_seq"), ("merkle_state", "size"))]
                          for [(_, part)] in self.chunks]
            for table in LEDGER_TABLES:
                columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
                self._spread(_insert_sql(table, columns), columns.index("seq"),
                             conn.execute(f"SELECT * FROM {table} ORDER BY seq"))
            # node (level, idx) is written with leaf (idx + 1) * 2**level, its last
            self._spread(_insert_sql("merkle_nodes", ("level", "idx", "hash")), None,
                         conn.execute("SELECT level, idx, hash, (idx + 1) << level "
                                      "FROM merkle_nodes ORDER BY (idx + 1) << level, level"))
        finally:
            conn.close()

    def _spread(self, sql: str, seq_at: int | None, rows) -> None:
        by_chunk: dict[int, list[tuple]] = {}
        for row in rows:
            seq = row[seq_at] if seq_at is not None else row[-1]
            by_chunk.setdefault((seq - 1) // CHUNK, []).append(
                row if seq_at is not None else row[:-1])
        for i, part in sorted(by_chunk.items()):
            self.chunks[i].append((sql, part))


STATE_SQL = ("INSERT INTO {table} (key, value) VALUES (?, ?) "
             "ON CONFLICT (key) DO UPDATE SET value = excluded.value")


def _insert_sql(table: str, columns) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def create_ledger_file(path: Path) -> None:
    """An empty ledger file with the ledger's own schema (made by the ledger)."""
    import ledger
    with ledger.open(path):
        pass


def schema_floor(path: Path, rows: LedgerRows) -> int:
    """Write ``rows`` into the empty ledger file ``path`` as a bulk import does."""
    conn = _connect(path)
    conn.execute("PRAGMA cache_size=-32768")  # the ledger's own (ledger/store/sqlite.py)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DROP TRIGGER events_only_append")
    for chunk, marks in zip(rows.chunks, rows.marks):
        for sql, part in (*chunk, *marks):
            conn.executemany(sql, part)
    conn.execute(store.GUARDS["events_only_append"])
    conn.execute("COMMIT")
    conn.close()
    return rows.events


def raw_executemany(path: Path, rows: list[tuple]) -> int:
    """Insert ``rows`` (ledger rows) into table ``t`` of ``path`` in one transaction."""
    conn = _connect(path)
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(f"INSERT INTO t VALUES ({', '.join('?' * len(COLUMNS))})", rows)
    conn.execute("COMMIT")
    conn.close()
    return len(rows)


JSONL_COLUMNS = ("seq", "id", "type", "town", "period", "occurred_on", "refers_to", "payload")


def jsonl_executemany(path: Path, jsonl: Path) -> int:
    """Read ``jsonl`` line by line with json.loads and insert one row per record, streaming."""
    count = 0

    def rows():
        nonlocal count
        with open(jsonl, encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                count += 1
                yield (count, rec["id"], EVENT_TYPES[rec["type"]], rec.get("town"),
                       rec.get("period"), rec.get("occurred_on"), rec.get("finding"),
                       line.rstrip("\n"))

    conn = _connect(path)
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(f"INSERT INTO t VALUES ({', '.join('?' * len(JSONL_COLUMNS))})", rows())
    conn.execute("COMMIT")
    conn.close()
    return count


class RawCommitter:
    """Single-row durable commits into a plain table (WAL, synchronous=FULL)."""

    def __init__(self, path: Path):
        create_plain_table(path)
        self.conn = _connect(path)
        self.sql = f"INSERT INTO t VALUES ({', '.join('?' * len(COLUMNS))})"

    def commit(self, row: tuple) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute(self.sql, row)
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


# -- eventsourcing ----------------------------------------------------------------
try:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event
except ImportError:  # the peer is optional: its benchmarks skip with a message
    Application = None


if Application is not None:
    class Town(Aggregate):
        """One town's stream: every record about the town is an event of it.

        Its state is the fold a card needs: live findings with their quantity,
        and the payments and reports.
        """

        @staticmethod
        def create_id(name: str) -> uuid.UUID:
            return uuid.uuid5(uuid.NAMESPACE_URL, f"ledger-bench/town/{name}")

        @event("Registered")
        def __init__(self, name: str):
            self.name = name
            self.findings: dict[str, int] = {}
            self.facts: dict[str, dict] = {}

        @event("Recorded")
        def record(self, kind: str, record: dict) -> None:
            if kind == "finding":
                self.findings[record["id"]] = record.get("quantity", 1)
            elif kind == "retraction":
                self.findings.pop(record["finding"], None)
            elif kind == "amendment":
                if record["finding"] in self.findings:
                    self.findings[record["finding"]] = record["quantity"]
            else:
                self.facts[record["id"]] = record

    class Towns(Application):
        pass


class EventsourcingPeer:
    """The `eventsourcing` library with ``PERSISTENCE_MODULE=eventsourcing.sqlite``."""

    CHUNK = 2000  # records per app.save() transaction, as the ledger's import chunks

    def __init__(self, dbfile: Path):
        if Application is None:
            raise RuntimeError("eventsourcing is not installed")
        self.app = Towns(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                              "SQLITE_DBNAME": str(dbfile)})

    @staticmethod
    def available() -> bool:
        return Application is not None

    def import_jsonl(self, jsonl: Path) -> int:
        """Store every record of the file (the adoption aside) as an event; returns the count."""
        towns: dict[str, Town] = {}
        owner: dict[str, str] = {}  # record id -> town, for corrections (they name no town)
        pending: dict[uuid.UUID, Town] = {}
        count = since = 0
        with open(jsonl, encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                kind = rec["type"]
                if kind == "adopt":
                    continue
                if kind == "town":
                    agg = towns[rec["name"]] = Town(rec["name"])
                else:
                    name = rec.get("town") or owner[rec["finding"]]
                    owner[rec["id"]] = name
                    agg = towns[name]
                    agg.record(kind, rec)
                pending[agg.id] = agg
                count += 1
                since += 1
                if since >= self.CHUNK:
                    self.app.save(*pending.values())
                    pending.clear()
                    since = 0
        if pending:
            self.app.save(*pending.values())
        return count

    def town(self, name: str) -> "Town":
        return self.app.repository.get(Town.create_id(name))

    def close(self) -> None:
        self.app.close()
