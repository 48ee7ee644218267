"""Crash safety: a real child process is killed with SIGKILL at random moments.

Two workloads, each on a real ledger file:

* a bulk import (one ``import_file`` of a generated JSONL file, run either by
  ``tests/support/workers.py import`` or by the real CLI ``python -m ledger import``),
  killed at a random moment. Afterwards the ledger opens, ``verify()`` passes, the events
  that were there before are untouched (``verify(digest)`` of the head taken before), and
  the import is wholly present or wholly absent (0 or N events with ids from the file).
  Re-running the import with the CLI completes it, a second re-run appends 0, and the
  imported events equal (id, type, payload, in order) those of an uninterrupted import.
* a loop of single-event appends whose child prints each id only after ``append``
  returned; killed at a random moment, again and again on the same ledger. Every
  acknowledged id is in the ledger, the ledger holds exactly a prefix of the loop (at
  most one unacknowledged event more), and the chain verifies.

SIGKILL proves the ledger survives a *process* crash (the OS keeps what was written).
It does not simulate a power cut; SQLite's ``synchronous=FULL`` (the store's default) is
what covers that and is not exercised here.

Moments come from a seeded ``random.Random`` (``RELIABILITY_SEED`` overrides the seed);
a failure message names the trial, the mode and the delay so it can be replayed.
Default: 3 trials on a 20,000-record file and 3 loop kills; ``-m slow``: 20 trials on
100,000 records and 20 loop kills.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ledger
from ledger.events import canonical_json
from support.workers import TOWNS, Child, finding, setup_records

ROOT = Path(__file__).resolve().parents[2]
WORKERS = Path(__file__).resolve().parents[1] / "support" / "workers.py"
SEED = int(os.environ.get("RELIABILITY_SEED", "20171231"))
PY = sys.executable

# What the ledger holds before every trial: another town and ten findings. The import
# file adopts the rubric again (an erratum adoption, allowed) and registers four towns.
PRE = setup_records(towns=("港区",), prefix="pre") + [
    finding(f"pre-f{i}", i, towns=("港区",)) for i in range(10)]


def write_import_file(path: Path, n: int) -> None:
    """``n`` records: an adoption, four towns, then findings over 4 towns and 5 clauses."""
    with open(path, "w", encoding="utf-8") as fh:
        records = setup_records(prefix="imp")
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        for k in range(n - len(records)):
            fh.write(json.dumps(finding(f"imp-f{k}", k), ensure_ascii=False) + "\n")


def imported_count(lg) -> int:
    return lg.store.conn.execute("SELECT count(*) FROM events WHERE id LIKE 'imp-%'").fetchone()[0]


def imported_digest(lg) -> str:
    """SHA-256 over (id, type, payload) of the imported events, in seq order."""
    h = hashlib.sha256()
    for row in lg.store.conn.execute(
            "SELECT id, type, payload FROM events WHERE id LIKE 'imp-%' ORDER BY seq"):
        h.update(json.dumps(row, ensure_ascii=False).encode())
    return h.hexdigest()


class ImportFile:
    def __init__(self, path: Path, n: int, seconds: float, digest: str, startup: float):
        self.path, self.n, self.seconds, self.digest, self.startup = path, n, seconds, digest, startup


_FILES: dict[int, ImportFile] = {}


@pytest.fixture(scope="session")
def import_file_of(tmp_path_factory):
    """Generate each size once per session; time an uninterrupted import of it (the
    calibration for the kill moments) and keep its digest as the reference."""

    def make(n: int) -> ImportFile:
        if n not in _FILES:
            d = tmp_path_factory.mktemp(f"crash-file-{n}")
            path = d / f"findings-{n}.jsonl"
            write_import_file(path, n)
            with ledger.open(d / "reference.db") as lg:
                lg.append(PRE)
                t = time.monotonic()
                assert lg.import_file(path) == n
                seconds = time.monotonic() - t
                digest = imported_digest(lg)
            t = time.monotonic()
            subprocess.run([PY, "-m", "ledger", "--version"], check=True, capture_output=True)
            _FILES[n] = ImportFile(path, n, seconds, digest, time.monotonic() - t)
        return _FILES[n]

    return make


def assert_cards_equal_replay(lg, town: str, where: str) -> None:
    """The card the ledger serves (its read model, if it has one) equals a full replay of
    the events: the cache beside the events survived the crash in step with them."""
    import inspect
    if "replay" not in inspect.signature(lg.score).parameters:
        return
    fast = canonical_json(lg.score(town, "2017").to_dict())
    slow = canonical_json(lg.score(town, "2017", replay=True).to_dict())
    assert fast == slow, f"{where}: {town}'s card differs from a replay"


def cli_import(db: Path, path: Path) -> str:
    r = subprocess.run([PY, "-m", "ledger", "--db", str(db), "--lang", "en", "import", str(path)],
                       capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0, f"re-run failed: {r.stderr}"
    assert r.stderr == ""
    return r.stdout


def kill_delay(rng: random.Random, seconds: float) -> float:
    """Anywhere in the import, often near its commit, sometimes at its very start."""
    pick = rng.random()
    if pick < 0.5:
        return rng.uniform(0, 1.1 * seconds)
    if pick < 0.85:
        return rng.uniform(0.85 * seconds, 1.15 * seconds)
    return rng.uniform(0, 0.05 * seconds)


def crash_import_trials(tmp_path: Path, f: ImportFile, trials: int) -> list[dict]:
    rng = random.Random(SEED)
    results = []
    for trial in range(trials):
        db = tmp_path / f"trial-{trial}.db"
        with ledger.open(db) as lg:
            lg.append(PRE)
            pre_head = str(lg.head())
        mode = "cli" if rng.random() < 0.3 else "worker"
        delay = kill_delay(rng, f.seconds)
        if mode == "cli":
            child = Child([PY, "-m", "ledger", "--db", db, "--lang", "en", "import", f.path], cwd=ROOT)
            delay += f.startup
        else:
            child = Child([PY, WORKERS, "import", db, f.path], cwd=ROOT)
            assert child.wait_for("started", 60), child.describe()
        time.sleep(delay)
        exited_before_kill = child.proc.poll() is not None
        child.kill()
        acked = any(line.startswith("imported") for line in child.lines)
        where = f"trial {trial} (seed {SEED}, mode {mode}, kill after {delay:.3f} s)"

        with ledger.open(db) as lg:
            total = lg.verify()
            lg.verify(pre_head)  # what was there before is exactly intact
            got = imported_count(lg)
            assert got in (0, f.n), f"{where}: partial import of {got} of {f.n} events"
            assert total == len(PRE) + got, f"{where}: {total} events"
            if acked:
                assert got == f.n, f"{where}: acknowledged import missing"
        first = cli_import(db, f.path)
        assert first.startswith(f"imported {f.n - got} events"), f"{where}: {first}"
        second = cli_import(db, f.path)
        assert second.startswith("imported 0 events"), f"{where}: {second}"
        with ledger.open(db) as lg:
            assert lg.verify(pre_head) == len(PRE) + f.n
            assert imported_count(lg) == f.n
            assert imported_digest(lg) == f.digest, f"{where}: re-run differs from a clean import"
            assert_cards_equal_replay(lg, TOWNS[trial % len(TOWNS)], where)
        results.append({"trial": trial, "mode": mode, "delay": round(delay, 3),
                        "state": "present" if got else "absent", "acked": acked,
                        "exited_before_kill": exited_before_kill})
        for p in tmp_path.glob(f"trial-{trial}.db*"):
            p.unlink()
    return results


def summarise(name: str, results: list[dict], extra: str = "") -> None:
    absent = sum(r["state"] == "absent" for r in results)
    present = len(results) - absent
    acked = sum(r["acked"] for r in results)
    cli = sum(r["mode"] == "cli" for r in results)
    print(f"\n[{name}] trials={len(results)} (cli={cli}) absent={absent} present={present} "
          f"acknowledged={acked} failures=0 {extra}")


@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_killed_import_is_all_or_nothing_and_rerun_completes_it(tmp_path, import_file_of):
    f = import_file_of(20_000)
    results = crash_import_trials(tmp_path, f, trials=3)
    summarise("crash-import default", results, f"records={f.n} import={f.seconds:.1f}s")


@pytest.mark.slow
def test_killed_import_is_all_or_nothing_20_trials_100k(tmp_path, import_file_of):
    f = import_file_of(100_000)
    results = crash_import_trials(tmp_path, f, trials=20)
    summarise("crash-import slow", results, f"records={f.n} import={f.seconds:.1f}s")
    # the trials must actually have landed on both sides of the commit
    assert {r["state"] for r in results} == {"absent", "present"}


# -- single-event appends ------------------------------------------------------------

def append_loop_trials(tmp_path: Path, trials: int, max_delay: float) -> dict:
    rng = random.Random(SEED + 1)
    db = tmp_path / "loop.db"
    with ledger.open(db) as lg:
        lg.append(setup_records())
    next_i, total_acked, unacked_present = 0, 0, 0
    for trial in range(trials):
        child = Child([PY, WORKERS, "append-loop", db, "loop-", next_i], cwd=ROOT)
        assert child.wait_for("ready", 60), child.describe()
        delay = rng.uniform(0.0, max_delay)
        time.sleep(delay)
        assert child.proc.poll() is None, child.describe()
        child.kill()
        acked = [line for line in child.lines if line.startswith("loop-")]
        assert acked == [f"loop-{i}" for i in range(next_i, next_i + len(acked))]
        where = f"loop trial {trial} (seed {SEED + 1}, kill after {delay:.3f} s)"
        with ledger.open(db) as lg:
            n = lg.verify()
            ids = [row[0] for row in lg.store.conn.execute(
                "SELECT id FROM events WHERE id LIKE 'loop-%' ORDER BY seq")]
        assert n == len(setup_records()) + len(ids), where
        assert ids == [f"loop-{i}" for i in range(len(ids))], f"{where}: not a prefix"
        missing = set(acked) - set(ids)
        assert not missing, f"{where}: acknowledged but lost: {sorted(missing)[:5]}"
        extra = len(ids) - (next_i + len(acked))
        assert extra in (0, 1), f"{where}: {extra} unacknowledged events"
        unacked_present += extra
        total_acked += len(acked)
        next_i = len(ids)
    return {"trials": trials, "acknowledged": total_acked, "events": next_i,
            "unacknowledged_but_present": unacked_present}


@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_killed_append_loop_keeps_every_acknowledged_event(tmp_path):
    figures = append_loop_trials(tmp_path, trials=3, max_delay=1.0)
    print(f"\n[crash-append default] {figures} failures=0")
    assert figures["acknowledged"] > 0


@pytest.mark.slow
def test_killed_append_loop_keeps_every_acknowledged_event_20_trials(tmp_path):
    figures = append_loop_trials(tmp_path, trials=20, max_delay=2.0)
    print(f"\n[crash-append slow] {figures} failures=0")
    assert figures["acknowledged"] > 0
