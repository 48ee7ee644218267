"""A single durable append (synchronous=FULL) against a raw single-row SQLite commit.

A commit's time is mostly the WAL's fsync, and on a shared disk an fsync takes
0.2 ms or several ms depending on what the other jobs are writing at that moment.
So the peers are interleaved with ours, round by round: before each timed
``Ledger.append`` (pytest-benchmark's rounds), the setup makes one raw SQLite
commit and one eventsourcing save, timed by hand. All three see the same disk.
"""

from __future__ import annotations

import itertools
import os
import shutil
import time

import pytest
from conftest import PERIOD, Timings, record, run

import ledger
import peers

# adaptive rounds: each append is a commit with an fsync, so keep a few seconds' worth
BUDGET, MIN_ROUNDS, MAX_ROUNDS, WARMUP = 20.0, 30, 300, 5


def copy_synced(src, dst) -> None:
    """Copy a database file and flush it, so its writeback does not land on the
    first measured commits."""
    shutil.copyfile(src, dst)
    with open(dst, "rb+") as fh:
        os.fsync(fh.fileno())


def finding(n: int, town: str) -> dict:
    return {"type": "finding", "id": f"bench-append-{n}", "town": town, "period": PERIOD,
            "clause": "B06.1", "occurred_on": "2017-12-30", "note": "核查发现",
            "evidence": [f"记录{n}"]}


@pytest.fixture(scope="module")
def append_ledger(bench, ledger_db):
    """A copy of the cached ledger (appending changes a ledger for good)."""
    path = bench.scratch_path("append.db")
    copy_synced(ledger_db, path)
    with ledger.open(path) as lg:
        yield lg


@pytest.mark.benchmark(group="append")
def test_append(benchmark, bench, ledger_db, append_ledger):
    """``Ledger.append([one finding])`` on a copy of the cached ledger; interleaved
    with a raw single-row commit and (if installed) an eventsourcing save."""
    town, ids = bench.sample_town(), itertools.count()

    # peer 1: BEGIN IMMEDIATE / one ledger-shaped INSERT / COMMIT, WAL, synchronous=FULL
    template = peers.last_stored_row(ledger_db)
    raw = peers.RawCommitter(bench.scratch_path("raw-append.db"))
    raw_times: list[float] = []
    raw_cpu: list[float] = []

    # peer 2: one event on a loaded town aggregate, app.save(town) (its default durability)
    es = es_town = None
    es_times: list[float] = []
    es_cpu: list[float] = []
    if peers.EventsourcingPeer.available():
        es_path = bench.scratch_path("es-append.db")
        copy_synced(bench.eventsourcing_file(), es_path)
        es = peers.EventsourcingPeer(es_path)
        es_town = es.town(town)

    def peers_round(n: int) -> None:
        row = (10_000_000 + n, f"bench-append-{n}", *template[2:])
        t, c = time.perf_counter(), time.process_time()
        raw.commit(row)
        raw_times.append(time.perf_counter() - t)
        raw_cpu.append(time.process_time() - c)
        if es is not None:
            t, c = time.perf_counter(), time.process_time()
            es_town.record("finding", finding(n, town))
            es.app.save(es_town)
            es_times.append(time.perf_counter() - t)
            es_cpu.append(time.process_time() - c)

    def setup():
        n = next(ids)
        peers_round(n)
        return ([finding(n, town)],), {}

    def target(records):
        assert append_ledger.append(records) == 1

    try:
        times = run(benchmark, target, setup=setup, budget=BUDGET, min_rounds=MIN_ROUNDS,
                    max_rounds=MAX_ROUNDS, warmup=WARMUP, bench=bench)
    finally:
        raw.close()
        if es is not None:
            es.close()
    # the warm-up rounds ran the peers too: keep the same number of peer rounds as ours
    keep = len(times)
    also = [("append.raw", peers.sqlite_version(),
             Timings(raw_times[-keep:], raw_cpu[-keep:]) if keep else Timings())]
    if es is not None:
        also.append(("append.eventsourcing", peers.eventsourcing_version(),
                     Timings(es_times[-keep:], es_cpu[-keep:]) if keep else Timings()))
    elif times:
        benchmark.extra_info["skipped"] = "peer eventsourcing is not installed"
    record(benchmark, bench, "append", bench.version, times, events=1, per_call=True,
           also=also)
