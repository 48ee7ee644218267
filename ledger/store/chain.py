"""The hash chain: how each event's hash is made, and how a whole ledger is checked.

    hash = sha256(prev_hash + "\\n" + envelope + "\\n" + payload)
    envelope = JSON array [seq, id, type, schema_version, town, period,
                           occurred_on, refers_to, recorded_at, actor]

The first ``prev_hash`` is 64 zeros. Changing, removing or reordering any event
breaks every hash after it; cutting the tail, or forging the whole chain, is
only caught against a digest (``SEQ:HASH``) kept outside the ledger.

>>> str(parse_digest("3:" + "a" * 64))[:4]
'3:aa'
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

from attrs import frozen

from ledger.events.compactjson import encoder
from ledger.errors import LedgerError, TamperError

GENESIS_HASH = "0" * 64
COLUMNS = ("seq", "id", "type", "schema_version", "town", "period", "occurred_on",
           "refers_to", "recorded_at", "actor", "payload", "prev_hash", "hash")


@frozen
class Head:
    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


_envelope_json = encoder(sort_keys=False)


def event_hash(prev_hash: str, seq: int, e, recorded_at: str) -> str:
    envelope = _envelope_json(
        [seq, e.id, e.type, e.schema_version, e.town, e.period, e.occurred_on, e.refers_to,
         recorded_at, e.actor])
    return hashlib.sha256(f"{prev_hash}\n{envelope}\n{e.payload}".encode()).hexdigest()



def chain_chunks(events, reader, seq: int, prev: str, last: datetime | None, clock,
                 chunk: int):
    """Give each event its place in the chain: ``seq``, ``recorded_at`` (the clock's
    reading, or 1 µs after the previous one: strictly increasing) and ``hash``; yield the
    rows (``COLUMNS`` order) a chunk at a time. The one rule every backend appends by, so
    the same records make byte-identical chains on each.

    ``reader`` is told of every row (:meth:`StoreReader._hold`) and of every chunk handed
    on. A head far in the future of the clock (beyond :data:`CLOCK_SKEW`) is refused on
    the first event: one run with a clock ten years ahead must not poison every later
    timestamp. The clock is read once per event (``copy`` feeds it the source's times).
    """
    rows: list[tuple] = []
    checked = last is None
    for e in events:
        seq += 1
        now = clock()
        if not checked:
            if last > now + CLOCK_SKEW:
                raise LedgerError(
                    f"the ledger's last event is recorded at {format_timestamp(last)}, in the "
                    f"future of this machine's clock ({format_timestamp(now)}); check the clock "
                    f"(or run verify); nothing was written")
            checked = True
        last = now if last is None or now > last else last + timedelta(microseconds=1)
        recorded_at = format_timestamp(last)
        digest = event_hash(prev, seq, e, recorded_at)
        row = (seq, e.id, e.type, e.schema_version, e.town, e.period, e.occurred_on,
               e.refers_to, recorded_at, e.actor, e.payload, prev, digest)
        reader._hold(row)
        rows.append(row)
        prev = digest
        if len(rows) >= chunk:
            yield rows
            rows = []
            reader._flushed()
    if rows:
        yield rows


def format_timestamp(dt: datetime) -> str:
    """UTC, microseconds, ``Z``: sorts as text in time order.

    >>> from datetime import timedelta
    >>> format_timestamp(datetime(2017, 3, 8, 10, 0, tzinfo=timezone(timedelta(hours=8))))
    '2017-03-08T02:00:00.000000Z'
    """
    if dt.utcoffset():
        dt = dt.astimezone(timezone.utc)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (
        dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, dt.microsecond)


PARALLEL_MIN = 200_000  # below this, starting worker processes costs more than it saves


def verify_chain(conn, guards: dict[str, str], digest: str | None = None,
                 path: str | None = None, workers: int | None = None,
                 parallel_min: int = PARALLEL_MIN, now: str | None = None) -> int:
    """Re-hash the whole chain; raise :class:`TamperError` naming the first bad event.

    Checks the guard triggers are in place, ``seq`` runs 1, 2, 3… without gaps,
    each ``prev_hash`` is the previous ``hash`` and each ``hash`` is recomputed
    equal. With ``digest`` (``SEQ:HASH`` from :meth:`head` taken earlier) it also
    proves the ledger still holds that exact prefix. Returns the event count.

    Given the file's ``path``, a large ledger is checked in ``workers`` processes
    (default: one per CPU), each re-hashing a contiguous range of seq.
    """
    _verify_guards(conn, guards)
    want = parse_digest(digest) if digest is not None else None
    last = conn.execute("SELECT max(seq) FROM events").fetchone()[0] or 0
    workers = workers or os.cpu_count() or 1
    if path is None or workers < 2 or last < parallel_min:
        failure, count = _verify_range(conn, 1, last, GENESIS_HASH, want)
    else:
        bounds = [(last * k // workers + 1, last * (k + 1) // workers) for k in range(workers)]
        import multiprocessing  # here: a verify that fans out is the only user
        from concurrent.futures import ProcessPoolExecutor
        ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods()
                                          else "spawn")
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            parts = list(pool.map(_verify_part, [(str(path), lo, hi, want) for lo, hi in bounds]))
        failures = [f for f, _ in parts if f is not None]
        failure = min(failures) if failures else None
        count = parts[-1][1]
    if failure is not None:
        raise TamperError(failure[1], failure[0])
    _verify_last_time(conn, now)
    if want and want.seq > count:
        raise TamperError(f"digest {want} names event seq {want.seq}, but the ledger ends at "
                          f"seq {count}: events were removed", count + 1)
    return count


def _verify_part(job) -> tuple[tuple[int, str] | None, int]:
    """One worker's range ``lo..hi``, on its own read-only connection."""
    path, lo, hi, want = job
    conn = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        row = conn.execute("SELECT hash FROM events WHERE seq = ?", (lo - 1,)).fetchone()
        prev = GENESIS_HASH if lo == 1 else (row[0] if row else None)
        if prev is None:
            return (lo - 1, f"event seq {lo - 1} is missing"), lo - 2
        failure, count = _verify_range(conn, lo, hi, prev, want)
        if failure is None and count != hi:
            failure = (count + 1, f"event seq {count + 1} is missing")
        return failure, count
    finally:
        conn.close()


# SQLite builds each hash's input (the JSON envelope included) in C, which is most of the
# cost in Python. Its JSON must equal ours byte for byte; where a batch does not check out
# (tampering, or a text SQLite escapes otherwise), the batch is checked again row by row
# with the Python envelope, which is the definition, and only that names a failure.
FAST_SQL = ("SELECT seq, prev_hash, hash, CAST(prev_hash || char(10) || json_array(seq, id, "
            "type, schema_version, town, period, occurred_on, refers_to, recorded_at, actor) "
            "|| char(10) || payload AS BLOB), recorded_at FROM events WHERE seq >= ? AND seq <= ? "
            "ORDER BY seq")
FULL_SQL = (f"SELECT {', '.join(COLUMNS)} FROM events WHERE seq >= ? AND seq <= ? "
            f"ORDER BY seq")
BATCH = 4096


def _verify_range(conn, lo: int, hi: int, prev: str, want: Head | None):
    """Check seq ``lo..hi`` given the hash before ``lo``; (first failure or None, last seq)."""
    sha256 = hashlib.sha256
    expected = lo
    before = _recorded_at(conn, lo - 1)
    try:
        cur = conn.execute(FAST_SQL, (lo, hi))
        batches = iter(lambda: cur.fetchmany(BATCH), [])
        for batch in batches:
            seqs, prevs, hashes, texts, times = zip(*batch)
            try:
                ok = (seqs == tuple(range(expected, expected + len(seqs)))
                      and prevs[0] == prev and prevs[1:] == hashes[:-1]
                      and [sha256(t).hexdigest() for t in texts] == list(hashes)
                      and not (want and expected <= want.seq < expected + len(seqs)
                               and hashes[want.seq - expected] != want.hash)
                      # strictly increasing (each row's form: the audit, with its decode)
                      and (before is None or before < times[0])
                      and all(a < b for a, b in zip(times, times[1:])))
            except TypeError:  # a NULL where text belongs: only a tampered file has one
                ok = False
            if not ok:
                rows = conn.execute(FULL_SQL, (expected, seqs[-1]))
                failure, last = _verify_rows(rows, prev, expected, want, before)
                if failure is not None:
                    return failure, last
            prev, expected, before = hashes[-1], seqs[-1] + 1, times[-1]
    except sqlite3.OperationalError:
        # SQLite refuses to build JSON from a BLOB: a tampered column; the rows name it
        rows = conn.execute(FULL_SQL, (expected, hi))
        failure, last = _verify_rows(rows, prev, expected, want, before)
        if failure is not None:
            return failure, last
        expected = last + 1
    return None, expected - 1


TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z").fullmatch


def _recorded_at(conn, seq: int) -> str | None:
    row = conn.execute("SELECT recorded_at FROM events WHERE seq = ?", (seq,)).fetchone()
    return row[0] if row and isinstance(row[0], str) else None


def _valid_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
        return True
    except ValueError:
        return False


def time_failure(rec) -> str | None:
    """What is wrong with a stored ``recorded_at`` (None: it is the ledger's UTC text)."""
    if type(rec) is not str or not TIMESTAMP(rec) or not _valid_time(rec):
        return f"recorded_at {rec!r} is not a UTC timestamp as the ledger writes them"
    return None


def _time_failure(seq: int, id_, rec, before: str | None) -> str | None:
    if time_failure(rec):
        return f"event seq {seq} (id {id_!r}): {time_failure(rec)}"
    if before is not None and rec <= before:
        return (f"event seq {seq} (id {id_!r}): recorded_at {rec} is not after the previous "
                f"event's ({before}): the past was rewritten")
    return None


def _verify_rows(rows, prev: str, expected_seq: int, want: Head | None,
                 before: str | None = None):
    """Check rows in seq order from ``expected_seq``; (first failure or None, last seq)."""
    sha256 = hashlib.sha256
    dumps = _envelope_json
    for (seq, id_, type_, sv, town, period, occ, ref, rec, actor, payload, prev_hash,
         digest_) in rows:
        if seq != expected_seq:
            return (expected_seq, f"event seq {expected_seq} is missing (next is {seq}, "
                                  f"id {id_!r})"), expected_seq - 1
        if prev_hash != prev:
            return (seq, f"event seq {seq} (id {id_!r}): prev_hash does not match the "
                         f"previous event's hash"), seq
        try:
            envelope = dumps([seq, id_, type_, sv, town, period, occ, ref, rec, actor])
            text = f"{prev}\n{envelope}\n{payload}".encode()
        except (TypeError, ValueError, UnicodeError):
            return (seq, f"event seq {seq} (id {id_!r}): a column holds a value of the wrong "
                         f"type"), seq
        if sha256(text).hexdigest() != digest_:
            return (seq, f"event seq {seq} (id {id_!r}): content does not match its hash"), seq
        if want and seq == want.seq and digest_ != want.hash:
            return (seq, f"event seq {seq} (id {id_!r}) differs from digest {want}: "
                         f"the ledger was rewritten after the digest was taken"), seq
        failure = _time_failure(seq, id_, rec, before)
        if failure:
            return (seq, failure), seq
        prev, expected_seq, before = digest_, expected_seq + 1, rec
    return None, expected_seq - 1


CLOCK_SKEW = timedelta(minutes=5)  # how far ahead of this machine a ledger's clock may be


def _verify_last_time(conn, now: str | None) -> None:
    """The last event cannot have been recorded in the future of the verifying machine."""
    row = conn.execute("SELECT seq, id, recorded_at FROM events ORDER BY seq DESC LIMIT 1"
                       ).fetchone()
    limit = now or format_timestamp(datetime.now(timezone.utc) + CLOCK_SKEW)
    if row is not None and row[2] > limit:
        raise TamperError(f"event seq {row[0]} (id {row[1]!r}): recorded_at {row[2]} is in the "
                          f"future of this machine's clock", row[0])



def read_only_uri(path) -> str:
    """A ``file:`` URI for ``path``, read-only, every special character quoted (a ``#``,
    ``?`` or ``%`` in a file name must not name another file)."""
    return Path(os.path.abspath(path)).as_uri() + "?mode=ro"


def _verify_guards(conn, guards: dict[str, str]) -> None:
    found = dict(conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"))
    for name, sql in guards.items():
        if found.get(name) != sql:
            raise TamperError(f"the append-only guard {name} is missing or altered")


def parse_digest(text: str) -> Head:
    m = re.fullmatch(r"([0-9]{1,18}):([0-9a-f]{64})", text) if isinstance(text, str) else None
    if m is None or int(m.group(1)) < 1:
        raise LedgerError(f"malformed digest {text!r}: expected SEQ:HASH as printed by `head`")
    return Head(int(m.group(1)), m.group(2))
