"""Child processes for tests/test_store_processes.py (run as a script, not imported by pytest).

    python tests/support/store_workers.py appends DB WORKER COUNT [SYNCHRONOUS]
        Opens DB, prints "ready", waits for one line on stdin (the start signal), then
        appends COUNT events one per transaction, ids ``w{WORKER}-{i}``; prints "done".

    python tests/support/store_workers.py batch DB BATCH COUNT MARK_AT PRE [LINGER [BULK]]
        Commits a small batch of PRE events ``{BATCH}-pre-{i}`` of its own (if PRE > 0),
        prints "committed-pre", then appends COUNT events ``{BATCH}-{i}`` (period BATCH)
        in ONE ``EventStore.append`` from a generator. The generator prints "mark"
        after yielding MARK_AT events (the parent kills the process when it reads it)
        and "exhausted" after yielding the last one, i.e. before the commit;
        "committed N" follows the commit. MARK_AT 0 means no mark (run to completion).
        LINGER 1 keeps the process alive after the commit (a kill meant to land late
        then still finds it, however fast the batch ran). BULK 1 appends with
        ``bulk=True`` (a file import: the per-row guard swapped out for the transaction).

    python tests/support/store_workers.py race-open DIR WORKER FILES
        Prints "ready", reads a wall-clock START time from stdin, then for k in
        0..FILES-1 waits until START + k * 0.04 s and opens the missing file
        ``DIR/race-{k}.db`` (every worker at the same instant), then appends one
        event ``w{WORKER}``. Prints one line per file: "ok k" or "error k TYPE
        MESSAGE". Stops early once the file ``DIR/stop`` exists.

Every line is flushed at once so the parent can react to it.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ledger.store import EventStore, NewEvent


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def appends(db: str, worker: str, count: str, synchronous: str = "FULL") -> None:
    store = EventStore(db, synchronous=synchronous)
    say("ready")
    sys.stdin.readline()  # the start signal: every worker begins together
    for i in range(int(count)):
        event = NewEvent(id=f"w{worker}-{i}", type="Note", schema_version=1,
                         town=f"w{worker}", payload=json.dumps({"worker": worker, "i": i}))
        store.append(lambda reader, e=event: [e])
    store.close()
    say("done")


def batch(db: str, name: str, count: str, mark_at: str, pre: str, linger: str = "0",
          bulk: str = "0") -> None:
    count, mark_at, pre = int(count), int(mark_at), int(pre)
    store = EventStore(db)
    if pre:
        store.append(lambda reader: [NewEvent(f"{name}-pre-{i}", "Note", 1) for i in range(pre)])
    say("committed-pre")

    def events(reader):
        for i in range(count):
            yield NewEvent(id=f"{name}-{i}", type="Note", schema_version=1, period=name,
                           payload=json.dumps({"batch": name, "i": i, "pad": "x" * 100}))
            if i + 1 == mark_at:
                say("mark")
        say("exhausted")

    appended = store.append(events, bulk=bulk == "1")
    say(f"committed {appended}")
    store.close()
    if int(linger):
        time.sleep(120)  # the parent kills it


def race_open(directory: str, worker: str, files: str) -> None:
    say("ready")
    start_at = float(sys.stdin.readline())
    for k in range(int(files)):
        if (Path(directory) / "stop").exists():
            break
        moment = start_at + k * 0.04
        while time.time() < moment - 0.005:
            time.sleep(0.001)
        while time.time() < moment:  # spin the last few ms for a tight start
            pass
        path = Path(directory) / f"race-{k}.db"
        try:
            store = EventStore(path, timeout=10)
            store.append(lambda reader: [NewEvent(f"w{worker}", "Note", 1)])
            store.close()
            say(f"ok {k}")
        except Exception as exc:  # reported to the parent, which decides
            say(f"error {k} {type(exc).__name__} {exc}")


COMMANDS = {"appends": appends, "batch": batch, "race-open": race_open}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])
