"""Child processes for tests/store/test_postgres_processes.py (run as a script).

    python tests/support/pg_workers.py writer URL NAME SECONDS
        Prints "ready", waits for a line on stdin, then for SECONDS appends: two single
        events, then a batch of 5, and so on, ids ``{NAME}-{i}``. After each commit it
        prints "ack ID ID ..." (the ids that commit acknowledged); "done" at the end.

    python tests/support/pg_workers.py reader URL SECONDS
        Prints "ready", waits for stdin, then for SECONDS reads the whole ledger again and
        again: every snapshot must be seq 1..N with each prev_hash the previous hash and
        N the head; computes 沙溪镇's 2017 card each time (the parent registered it; from the read
        model, caught up with the bare writers', and equal to a replay) and
        verifies the chain every few reads. Prints "bad WHAT" on a violation
        and "read K" (snapshots read) at the end.

    python tests/support/pg_workers.py batch URL NAME COUNT MARK_AT
        Appends COUNT events ``{NAME}-{i}`` in ONE append from a generator: prints "mark"
        after yielding MARK_AT (the parent kills it there: the earlier chunks are already
        copied in), "exhausted" after the last, "committed N" after the commit, then waits
        to be killed.

Every line is flushed at once so the parent can react to it.
"""

from __future__ import annotations

import json
import sys
import time

from ledger.store import NewEvent
from ledger.store.postgres import PostgresEventStore


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def event(name: str, i: int) -> NewEvent:
    return NewEvent(f"{name}-{i}", "Note", 1, town=name, period="2017",
                    payload=json.dumps({"writer": name, "i": i}))


def writer(url: str, name: str, seconds: str) -> None:
    store = PostgresEventStore(url)
    say("ready")
    sys.stdin.readline()
    deadline, i, k = time.monotonic() + float(seconds), 0, 0
    while time.monotonic() < deadline:
        size = 5 if k % 3 == 2 else 1
        batch = [event(name, i + j) for j in range(size)]
        store.append(lambda reader, b=batch: b)
        say("ack " + " ".join(e.id for e in batch))
        i, k = i + size, k + 1
    store.close()
    say("done")


def reader(url: str, seconds: str) -> None:
    import ledger
    lg = ledger.open(url)
    store = lg.store
    say("ready")
    sys.stdin.readline()
    deadline, reads = time.monotonic() + float(seconds), 0
    while time.monotonic() < deadline:
        head = store.head()
        events = list(store.events())
        if [e.seq for e in events] != list(range(1, len(events) + 1)):
            say(f"bad gap in a snapshot of {len(events)} events")
        if any(b.prev_hash != a.hash for a, b in zip(events, events[1:])):
            say("bad link")
        if head is not None and head.seq > len(events):
            say(f"bad head {head.seq} beyond the {len(events)} events read after it")
        if reads % 5 == 0:
            store.verify()
        card = lg.score("沙溪镇", "2017")  # from the read model, caught up with the writers
        if card.known_at > store.last_recorded_at():
            say("bad card known_at beyond the ledger")
        if lg.read_model_problem or card.to_dict() != lg.score(
                "沙溪镇", "2017", known_at=card.known_at, replay=True).to_dict():
            say(f"bad read-model card ({lg.read_model_problem or 'differs from replay'})")
        reads += 1
    lg.close()
    say(f"read {reads}")


def batch(url: str, name: str, count: str, mark_at: str) -> None:
    store = PostgresEventStore(url)
    count, mark_at = int(count), int(mark_at)

    def events(reader):
        for i in range(count):
            yield event(name, i)
            if i + 1 == mark_at:
                say("mark")
        say("exhausted")

    say(f"committed {store.append(events)}")
    time.sleep(120)  # the parent kills it


COMMANDS = {"writer": writer, "reader": reader, "batch": batch}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])
