"""Concurrency: 8 writer processes and 2 reader processes on one ledger file, at once.

Writers (``tests/support/workers.py writer``) run a seeded plan of operations: appends
of 1..500 records and imports of JSONL and CSV files, each mixing the writer's own new
ids with ids from a pool shared by all writers. A shared id always comes with identical
content (``finding(id, k)`` depends only on its arguments; the CSV and JSONL forms of a
record decode to the same event), so whichever writer comes second appends nothing for
it. Two writers run with a 0.3 s lock timeout, so they meet busy conditions: each must
surface as a ``LedgerError`` saying the ledger stayed locked (nothing written), after
which the writer retries. Anything else (a traceback, a sqlite3 error) fails the test.

Readers (``… reader``) call ``lg.score(town, "2017")`` over and over and record
``(known_at, total, sha256 of the canonical card)``.

Afterwards: the writers' acknowledged counts add up to exactly the distinct ids of all
plans; the ledger holds each expected id once and nothing else; ``seq`` runs 1..N
without a gap; the chain verifies; re-appending every planned record appends 0; and
every card a reader saw is reproduced exactly by ``lg.score(town, "2017",
known_at=<its known_at>)`` (and, for a sample, where ``score`` offers ``replay=True``, by a
full replay of the events, bypassing the read model).

Default: 8 writers x 8 operations (a few thousand events), under ~45 s. ``-m slow``:
8 writers x 40 operations (about 150,000 events).
"""

from __future__ import annotations

import csv
import inspect
import json
import os
import random
import sys
import time
from pathlib import Path

import pytest

import ledger
from ledger.errors import LedgerError
from support.workers import TOWNS, Child, finding, setup_records

ROOT = Path(__file__).resolve().parents[2]
WORKERS = Path(__file__).resolve().parents[1] / "support" / "workers.py"
SEED = int(os.environ.get("RELIABILITY_SEED", "20171231"))
PY = sys.executable
CSV_FIELDS = ["type", "id", "town", "period", "clause", "occurred_on", "quantity", "note",
              "evidence"]
SHORT_TIMEOUT = 0.3


def write_csv(path: Path, records: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(CSV_FIELDS)
        for r in records:
            row = dict(r, quantity=str(r["quantity"]), evidence=";".join(r.get("evidence", [])))
            w.writerow([row.get(k, "") for k in CSV_FIELDS])


def write_jsonl(path: Path, records: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


def batch_size(rng: random.Random, biggest: int) -> int:
    """Mostly small batches, some medium, a few up to ``biggest``."""
    pick = rng.random()
    if pick < 0.4:
        return rng.randint(1, 5)
    if pick < 0.8:
        return rng.randint(6, 100)
    return rng.randint(101, biggest)


def make_plans(tmp: Path, rng: random.Random, writers: int, ops: int, pool: int,
               biggest_import: int) -> tuple[list[dict], dict[str, dict]]:
    """Each writer's spec and every planned record by id."""
    expected: dict[str, dict] = {}
    specs = []
    for w in range(writers):
        own = 0
        spec_ops = []
        for o in range(ops):
            kind = rng.choice(["append", "append", "jsonl", "csv"])
            size = batch_size(rng, 500) if kind == "append" else rng.randint(1, biggest_import)
            shared_n = rng.randint(0, size)
            keys = rng.sample(range(pool), min(shared_n, pool))
            records = [finding(f"c-{k}", k) for k in keys]
            for _ in range(size - len(records)):
                records.append(finding(f"w{w}-{own}", own * 7 + w))
                own += 1
            rng.shuffle(records)
            for r in records:
                expected[r["id"]] = r
            if kind == "append":
                spec_ops.append({"append": records})
            else:
                path = tmp / f"w{w}-op{o}.{kind}"
                (write_jsonl if kind == "jsonl" else write_csv)(path, records)
                spec_ops.append({"import": str(path)})
        specs.append({"timeout": SHORT_TIMEOUT if w >= writers - 2 else 60, "ops": spec_ops})
    return specs, expected


def run_concurrently(tmp: Path, writers: int, ops: int, pool: int, biggest_import: int,
                     readers: int = 2, deadline: float = 600, replays: int = 20) -> dict:
    rng = random.Random(SEED)
    db = tmp / "shared.db"
    setup = setup_records()
    with ledger.open(db) as lg:
        lg.append(setup)
    specs, expected = make_plans(tmp, rng, writers, ops, pool, biggest_import)
    start_at = time.time() + 3
    stop = tmp / "stop"
    reader_children = [
        Child([PY, WORKERS, "reader", db, json.dumps(list(TOWNS), ensure_ascii=False),
               tmp / f"reader-{r}.json", stop], cwd=ROOT) for r in range(readers)]
    writer_children = []
    for w, spec in enumerate(specs):
        spec["start_at"] = start_at
        path = tmp / f"spec-{w}.json"
        path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
        writer_children.append(Child([PY, WORKERS, "writer", db, path], cwd=ROOT))
    t0 = time.monotonic()
    try:
        for c in writer_children:
            c.finish(timeout=max(1, deadline - (time.monotonic() - t0)))
    finally:
        stop.write_text("stop")
        for c in reader_children:
            c.finish(timeout=120)
        for c in writer_children + reader_children:
            if c.proc.poll() is None:
                c.kill()
    wall = time.monotonic() - t0

    appended, busy = 0, 0
    for w, c in enumerate(writer_children):
        assert c.proc.returncode == 0, f"writer {w}: {c.describe()}"
        out = json.loads(c.lines[-1])
        appended += out["appended"]
        busy += out["busy"]
        for msg in out["errors"]:  # the only LedgerError a writer may meet: busy
            assert "locked" in msg and "nothing was written" in msg, f"writer {w}: {msg}"
    seen, reader_errors = [], []
    for r, c in enumerate(reader_children):
        assert c.proc.returncode == 0, f"reader {r}: {c.describe()}"
        data = json.loads((tmp / f"reader-{r}.json").read_text(encoding="utf-8"))
        seen += data["seen"]
        reader_errors += data["errors"]
    assert reader_errors == [], reader_errors[:5]

    assert appended == len(expected), "acknowledged appends != distinct planned ids"
    with ledger.open(db) as lg:
        n = lg.verify()
        conn = lg.store.conn
        assert n == len(setup) + len(expected)
        assert conn.execute("SELECT min(seq), max(seq), count(*) FROM events").fetchone() == (1, n, n)
        ids = [row[0] for row in conn.execute("SELECT id FROM events")]
        assert len(ids) == len(set(ids)), "an id appears twice"
        assert set(ids) == {r["id"] for r in setup} | set(expected)
        assert lg.append(list(expected.values())) == 0, "stored content differs from the plan"
        checked = {}
        for town, known_at, total, digest in seen:
            if (town, known_at) not in checked:
                card = lg.score(town, "2017", known_at=known_at)
                checked[(town, known_at)] = (str(card.total), _digest(card))
            assert checked[(town, known_at)] == (total, digest), (
                f"{town} at {known_at}: reader saw {total}, recomputed "
                f"{checked[(town, known_at)][0]}")
        # where the ledger keeps a read model, its cards equal a full replay of the events
        # (a sample: a replay costs seconds on a big ledger)
        if "replay" in inspect.signature(lg.score).parameters:
            for town, known_at in rng.sample(sorted(checked), min(replays, len(checked))):
                assert _digest(lg.score(town, "2017", known_at=known_at, replay=True)) \
                    == checked[(town, known_at)][1], f"{town} at {known_at}: replay differs"
    known = {k for _, k in checked}
    return {"writers": writers, "readers": readers, "ops": writers * ops, "events": n,
            "shared_pool": pool, "busy_errors_retried": busy, "cards_seen": len(seen),
            "distinct_known_at": len(known), "wall_s": round(wall, 1)}


def _digest(card) -> str:
    import hashlib
    from ledger.events import canonical_json
    return hashlib.sha256(canonical_json(card.to_dict()).encode()).hexdigest()


@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_eight_writers_two_readers_lose_nothing_and_readers_see_consistent_cards(tmp_path):
    figures = run_concurrently(tmp_path, writers=8, ops=8, pool=400, biggest_import=600,
                               deadline=120)
    print(f"\n[concurrency default] {figures} failures=0")
    assert figures["distinct_known_at"] > 1, "the readers never saw the ledger change"


@pytest.mark.slow
def test_eight_writers_two_readers_bigger(tmp_path):
    figures = run_concurrently(tmp_path, writers=8, ops=40, pool=5000, biggest_import=3000,
                               deadline=900, replays=20)
    print(f"\n[concurrency slow] {figures} failures=0")
    assert figures["distinct_known_at"] > 1


# -- a ledger held locked by another process ------------------------------------------

@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_writer_meets_a_held_lock_with_a_clear_error_and_the_cli_waits(tmp_path):
    """While another process holds the write lock: a short-timeout append raises the
    'stayed locked' LedgerError and writes nothing; reading still works; a CLI import
    (60 s timeout) started during the lock finishes once it is released."""
    db = tmp_path / "locked.db"
    with ledger.open(db) as lg:
        lg.append(setup_records())
        before = lg.head()
    path = tmp_path / "two.jsonl"
    write_jsonl(path, [finding("late-1", 1), finding("late-2", 2)])
    locker = Child([PY, WORKERS, "locker", db, 3], cwd=ROOT)
    try:
        assert locker.wait_for("locked", 60), locker.describe()
        cli = Child([PY, "-m", "ledger", "--db", db, "--lang", "en", "import", path], cwd=ROOT)
        with ledger.open(db, timeout=0.5) as lg:
            t = time.monotonic()
            with pytest.raises(LedgerError, match="locked.*nothing was written"):
                lg.append([finding("blocked", 3)])
            assert time.monotonic() - t < 10
            assert lg.head() == before
            assert lg.score(TOWNS[0], "2017").total is not None  # readers are not blocked
        assert cli.finish(timeout=120) == 0, cli.describe()
        assert locker.finish(timeout=60) == 0
    finally:
        locker.kill()
    assert cli.lines[0].startswith("imported 2 events"), cli.describe()
    with ledger.open(db) as lg:
        assert lg.verify(str(before)) == before.seq + 2
        assert lg.store.get("blocked") is None
