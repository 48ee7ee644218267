"""Child processes for the reliability proofs (tests/test_reliability_*.py).

Run as a script, never imported by pytest as a test module::

    python tests/support/workers.py COMMAND ARGS...

Commands (every stdout line is flushed at once, so a parent can act on it):

``import DB FILE``
    Opens DB, prints ``started``, imports FILE with ``Ledger.import_file`` and prints
    ``imported N`` after it returned (the acknowledgement). The crash proofs kill it.

``append-loop DB PREFIX START``
    Opens DB, prints ``ready``, then appends one finding per ``Ledger.append`` call,
    ids ``PREFIX{START}``, ``PREFIX{START+1}``…, and prints each id only after its
    ``append`` returned: a printed id is an acknowledged write. Runs until killed.

``writer DB SPEC``
    A concurrency writer. SPEC is a JSON file ``{"timeout", "start_at", "ops"}``; each
    op is ``{"append": [records]}`` or ``{"import": PATH}``. Waits for wall time
    ``start_at`` (every process starts together), runs the ops in order and retries an
    op that raised ``LedgerError`` (a busy ledger) until it succeeds. Prints one JSON
    line: ``{"appended", "busy", "errors"}`` (``errors``: LedgerError messages).
    Anything but a LedgerError escapes as a traceback (exit 1): the parent fails.

``reader DB TOWNS_JSON OUT STOP``
    Scores every town of TOWNS_JSON for "2017" over and over until the file STOP
    exists, recording ``[town, known_at, total, sha256 of the canonical card JSON]``;
    writes ``{"seen": [...], "errors": [...]}`` to OUT.

``locker DB SECONDS``
    Holds the ledger's write lock (a raw ``BEGIN IMMEDIATE``) for SECONDS: prints
    ``locked``, sleeps, rolls back, prints ``released``.

``build DB RECORDS_JSON``
    Appends the records of RECORDS_JSON (a list of batches) with a fixed clock
    (2017-03-01T00:00:00Z, +1 s per event), so the same records give the same ledger.

``cards DB TOWNS_JSON KNOWN_AT``
    Prints one JSON object: the head digest, ``canonical_json(card.to_dict())`` for
    every town (period 2017, as_of default and 2017-06-30) at KNOWN_AT, and the
    scoreboard's. The determinism proof runs it under different TZ and hash seeds.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
import time
from datetime import date, datetime, timedelta, timezone

import ledger
from ledger.errors import LedgerError
from ledger.events import canonical_json

# -- shared record makers (the tests import these too) -----------------------

TOWNS = ("沙溪镇", "浏河镇", "城厢镇", "璜泾镇")
# (clause, counts units): units may have quantity > 1, occurrences only 1
CLAUSES = (("B06.1", True), ("A03.1", True), ("A01.2", False), ("B10.2", True),
           ("A10.2", False))  # (A05.4 became a deadline at 12-31 in contract v2)


def setup_records(towns=TOWNS, prefix: str = "setup") -> list[dict]:
    """Adopt taicang-2017 for 2017 and register ``towns``."""
    return [{"type": "adopt", "id": f"{prefix}-adopt", "period": "2017",
             "rubric": "taicang-2017"}] + [
        {"type": "town", "id": f"{prefix}-town-{i}", "name": t} for i, t in enumerate(towns)]


def finding(fid: str, k: int, towns=TOWNS) -> dict:
    """A valid finding whose content depends only on ``(fid, k)``: two writers making
    the record for the same id make identical records."""
    clause, units = CLAUSES[k % len(CLAUSES)]
    rec = {"type": "finding", "id": fid, "town": towns[k % len(towns)], "period": "2017",
           "clause": clause, "occurred_on": (date(2017, 1, 1) + timedelta(days=k % 365)).isoformat(),
           "quantity": 1 + (k * 7) % 5 if units else 1}
    if k % 3 == 0:
        rec["note"] = f"核查记录 {k}, \"引号\"; =SUM(A1:A2)"
    if k % 4 == 1:
        rec["evidence"] = [f"证据{k}", f"photo-{k}.jpg"]
    return rec


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# -- commands ---------------------------------------------------------------------

def cmd_import(db: str, path: str) -> None:
    with ledger.open(db) as lg:
        say("started")
        n = lg.import_file(path)
        say(f"imported {n}")


def orphaned(parent: int = os.getppid()) -> bool:
    """True once the parent (the test) is gone: a looping child then stops by itself."""
    return os.getppid() != parent


def cmd_append_loop(db: str, prefix: str, start: str) -> None:
    with ledger.open(db) as lg:
        say("ready")
        i = int(start)
        while not orphaned():
            fid = f"{prefix}{i}"
            lg.append([finding(fid, i)])
            say(fid)
            i += 1


def cmd_writer(db: str, spec_path: str) -> None:
    with open(spec_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    appended, busy, errors = 0, 0, []
    with ledger.open(db, timeout=spec.get("timeout", 60)) as lg:
        while time.time() < spec.get("start_at", 0):
            time.sleep(0.005)
        for op in spec["ops"]:
            for attempt in range(10_000):
                try:
                    if "append" in op:
                        appended += lg.append(op["append"])
                    else:
                        appended += lg.import_file(op["import"])
                    break
                except LedgerError as exc:  # busy: nothing was written, try again
                    busy += 1
                    errors.append(str(exc))
                    time.sleep(0.01 * (1 + attempt % 5))
            else:
                raise SystemExit(f"op never succeeded: {errors[-1]}")
    say(json.dumps({"appended": appended, "busy": busy, "errors": errors[:50]},
                   ensure_ascii=False))


def cmd_reader(db: str, towns_json: str, out: str, stop: str) -> None:
    towns = json.loads(towns_json)
    seen, errors = [], []
    with ledger.open(db) as lg:
        while True:
            # one more full round after the stop sign (or once the test is gone)
            last_round = os.path.exists(stop) or orphaned()
            for town in towns:
                try:
                    card = lg.score(town, "2017")
                except LedgerError as exc:
                    errors.append(str(exc))
                    continue
                digest = hashlib.sha256(canonical_json(card.to_dict()).encode()).hexdigest()
                seen.append([town, card.known_at, str(card.total), digest])
            if last_round:
                break
    with open(out, "w", encoding="utf-8") as fh:
        json.dump({"seen": seen, "errors": errors}, fh, ensure_ascii=False)


def cmd_locker(db: str, seconds: str) -> None:
    conn = sqlite3.connect(db, isolation_level=None, timeout=30)
    conn.execute("BEGIN IMMEDIATE")
    say("locked")
    time.sleep(float(seconds))
    conn.execute("ROLLBACK")
    conn.close()
    say("released")


class FixedClock:
    """2017-03-01T00:00:00Z, then one second later at every call."""

    def __init__(self):
        self.now = datetime(2017, 3, 1, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def cmd_build(db: str, records_json: str) -> None:
    with open(records_json, encoding="utf-8") as fh:
        batches = json.load(fh)
    with ledger.open(db, clock=FixedClock()) as lg:
        for batch in batches:
            lg.append(batch)
        say(str(lg.head()))


def cmd_cards(db: str, towns_json: str, known_at: str) -> None:
    out = {}
    with ledger.open(db) as lg:
        out["head"] = str(lg.head())
        for town in json.loads(towns_json):
            for as_of in (None, "2017-06-30"):
                card = lg.score(town, "2017", as_of=as_of, known_at=known_at)
                out[f"{town}@{as_of}"] = canonical_json(card.to_dict())
        out["board"] = canonical_json(lg.scoreboard("2017", known_at=known_at).to_dict())
    say(json.dumps(out, ensure_ascii=False, sort_keys=True))


COMMANDS = {"import": cmd_import, "append-loop": cmd_append_loop, "writer": cmd_writer,
            "reader": cmd_reader, "locker": cmd_locker, "build": cmd_build, "cards": cmd_cards}



# -- parent side: running a child and reading its acknowledgements ---------------

class Child:
    """A child process whose stdout is read line by line in a thread.

    ``lines`` holds the complete (newline-terminated) lines only: a line cut short by a
    kill is kept apart in ``partial`` and never counts as an acknowledgement.
    """

    def __init__(self, args, env=None, cwd=None):
        import subprocess
        import threading
        self.proc = subprocess.Popen([str(a) for a in args], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env, cwd=cwd)
        self.lines: list[str] = []
        self.partial = b""
        self.stderr = b""
        self.eof = False
        self.cond = threading.Condition()
        self._threads = [threading.Thread(target=self._pump, daemon=True),
                         threading.Thread(target=self._pump_err, daemon=True)]
        for t in self._threads:
            t.start()

    def _pump(self) -> None:
        for raw in self.proc.stdout:
            with self.cond:
                if raw.endswith(b"\n"):
                    self.lines.append(raw[:-1].decode("utf-8"))
                else:
                    self.partial = raw
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def _pump_err(self) -> None:
        self.stderr = self.proc.stderr.read()

    def wait_for(self, wanted: str, timeout: float) -> bool:
        """True once the line ``wanted`` was printed; False on timeout or exit."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while wanted not in self.lines:
                left = deadline - time.monotonic()
                if self.eof or left <= 0:
                    return False
                self.cond.wait(left)
            return True

    def kill(self) -> int:
        """SIGKILL (no cleanup of any kind in the child), then collect what it printed."""
        import signal
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return self.finish()

    def finish(self, timeout: float | None = None) -> int:
        rc = self.proc.wait(timeout)
        for t in self._threads:
            t.join(30)
        return rc

    def describe(self) -> str:
        return (f"rc={self.proc.returncode} stdout tail={self.lines[-3:]} "
                f"stderr={self.stderr.decode('utf-8', 'replace')[-2000:]}")


if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])
