"""The PostgreSQL store under real concurrency and real crashes: separate OS processes
(tests/support/pg_workers.py) against one database on a real server.

By default a short run (4 writers, 3 s); ``-m slow`` runs the issue's 8 writers for 30 s.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ledger.store import NewEvent
from ledger.store.postgres import CHUNK, PostgresEventStore

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "support" / "pg_workers.py"


class Worker:
    """A pg_workers.py child; its stdout read line by line on a thread."""

    def __init__(self, *args):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen([sys.executable, str(SCRIPT), *map(str, args)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
        self.lines: list[str] = []
        self._queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def expect(self, wanted: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                line = "(timeout)"
            if line is None or line == "(timeout)":
                self.proc.kill()
                pytest.fail(f"no {wanted!r}: got {line}; said {self.lines[-3:]}; "
                            f"stderr {self.proc.stderr.read()[-2000:]}")
            self.lines.append(line)
            if line == wanted or line.startswith(wanted + " "):
                return

    def send(self, text: str) -> None:
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def finish(self, timeout: float = 180) -> list[str]:
        code = self.proc.wait(timeout=timeout)
        while (line := self._queue.get(timeout=30)) is not None:
            self.lines.append(line)
        assert code == 0, self.proc.stderr.read()[-2000:]
        return self.lines

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)


@pytest.fixture
def spawn():
    started: list[Worker] = []

    def start(*args) -> Worker:
        started.append(Worker(*args))
        return started[-1]

    yield start
    for w in started:
        if w.proc.poll() is None:
            w.proc.kill()
            w.proc.wait()


def check_ledger(url: str, acked: set[str], writer_prefixes: tuple[str, ...]) -> int:
    store = PostgresEventStore(url)
    events = list(store.events())
    n = len(events)
    assert [e.seq for e in events] == list(range(1, n + 1)), "seq has a gap"
    ids = [e.id for e in events]
    assert len(set(ids)) == n, "an event is duplicated"
    mine = {i for i in ids if i.startswith(writer_prefixes)}
    assert acked <= mine, f"acknowledged but missing: {sorted(acked - mine)[:5]}"
    assert mine == acked, f"stored but never acknowledged: {sorted(mine - acked)[:5]}"
    stamps = [e.recorded_at for e in events]
    assert all(a < b for a, b in zip(stamps, stamps[1:]))
    assert store.verify(str(store.head())) == n
    store.close()
    return n


SETUP = [{"type": "adopt", "id": "a1", "period": "2017", "rubric": "taicang-2017"},
         {"type": "town", "id": "t1", "name": "沙溪镇"},
         {"type": "finding", "id": "f1", "town": "沙溪镇", "period": "2017",
          "clause": "B06.1", "occurred_on": "2017-03-01", "quantity": 2}]


def run_writers(url: str, spawn, writers: int, seconds: float) -> None:
    import ledger
    with ledger.open(url) as lg:
        assert lg.append(SETUP) == 3
    ws = [spawn("writer", url, f"w{k}", seconds) for k in range(writers)]
    rs = [spawn("reader", url, seconds) for _ in range(2)]
    for w in ws + rs:
        w.expect("ready")
    for w in ws + rs:
        w.send("go")
    acked: set[str] = set()
    for w in ws:
        lines = w.finish(timeout=seconds + 180)
        assert lines[-1] == "done"
        for line in lines:
            if line.startswith("ack "):
                acked.update(line.split()[1:])
    for r in rs:
        lines = r.finish(timeout=seconds + 180)
        assert not [line for line in lines if line.startswith("bad")], lines
        assert lines[-1].startswith("read ") and int(lines[-1].split()[1]) > 0
    n = check_ledger(url, acked, tuple(f"w{k}-" for k in range(writers)))
    assert n == len(acked) + len(SETUP) and len(acked) > writers


@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_writers_and_readers_at_once_leave_one_gap_free_chain(pg_url, spawn):
    """4 writer processes (single events and batches of 5) with 2 readers computing cards
    for 3 s:
    seq 1..N, the chain verifies, every acknowledged event is there exactly once and
    nothing unacknowledged is; every reader's snapshot was a gap-free linked prefix."""
    run_writers(pg_url, spawn, writers=4, seconds=3)


@pytest.mark.slow
def test_eight_writers_for_thirty_seconds(pg_url, spawn):
    run_writers(pg_url, spawn, writers=8, seconds=30)


def seed(url: str, n: int) -> PostgresEventStore:
    store = PostgresEventStore(url)
    store.append(lambda r: [NewEvent(f"seed-{i}", "Note", 1) for i in range(n)])
    return store


def test_kill_9_in_the_middle_of_a_copy_leaves_none_of_the_batch(pg_url, spawn):
    """Killed after two chunks were copied into the server: none of the batch is
    there, the head lock is freed, and the next writer continues the chain."""
    store = seed(pg_url, 3)
    w = spawn("batch", pg_url, "b", CHUNK * 3, CHUNK * 2 + 10)
    w.expect("mark")
    w.kill9()
    # the server ends the dead client's transaction when its socket closes
    store.append(lambda r: [NewEvent("after", "Note", 1)])
    assert store.count() == 4
    assert store.get("b-0") is None and store.get("after").seq == 4
    assert store.verify() == 4
    store.close()


@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_kill_9_around_the_commit_leaves_all_of_the_batch_or_none(pg_url, spawn):
    """Killed at a random moment just before or after its commit: all or nothing."""
    store = seed(pg_url, 1)
    rng = random.Random(16)
    outcomes = set()
    for trial in range(4):
        name = f"t{trial}"
        w = spawn("batch", pg_url, name, 300, 0)
        w.expect("exhausted")
        time.sleep(rng.uniform(0, 0.02))
        w.kill9()
        store.append(lambda r, n=name: [NewEvent(f"{n}-probe", "Note", 1)])  # waits for the lock
        kept = sum(1 for e in store.events(town=name))
        assert kept in (0, 300), f"trial {trial}: {kept} of 300 events survived"
        outcomes.add(kept)
    assert store.verify() == store.count()
    store.close()
