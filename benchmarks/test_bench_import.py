"""Bulk import (events/s) against the SQLite and eventsourcing peers, and its peak RSS."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from conftest import IMPORT_ROUNDS, record, remove_db, run

import ledger
import peers


@pytest.mark.benchmark(group="import")
@pytest.mark.parametrize("workers", [None, 1], ids=["default", "one-process"])
def test_import_ledger(benchmark, bench, jsonl, workers):
    """``ledger.open(fresh)`` + ``import_file(jsonl)`` + close, real clock; by default a
    file of 4 MB or more is read by a second process, ``workers=1`` keeps one (the A/B)."""
    def setup():
        return (bench.scratch_path("import.db"),), {}

    def target(path):
        with ledger.open(path) as lg:
            n = lg.import_file(jsonl, workers=workers)
        assert n == bench.events

    times = run(benchmark, target, setup=setup, teardown=remove_db,
                rounds=IMPORT_ROUNDS[bench.size])
    record(benchmark, bench, "import" if workers is None else "import.one_process",
           bench.version, times, events=bench.events)


@pytest.mark.benchmark(group="import")
def test_import_raw_executemany(benchmark, bench, ledger_db):
    """The ledger's own rows (from the cached ledger), one executemany into a plain table."""
    rows = peers.stored_rows(ledger_db)

    def setup():
        path = bench.scratch_path("raw.db")
        peers.create_plain_table(path)
        return (path, rows), {}

    times = run(benchmark, peers.raw_executemany, setup=setup,
                teardown=lambda path, rows: remove_db(path), rounds=IMPORT_ROUNDS[bench.size])
    record(benchmark, bench, "import.raw", peers.sqlite_version(), times, events=len(rows))


@pytest.mark.benchmark(group="import")
def test_import_schema_floor(benchmark, bench, ledger_db):
    """Every row an import writes (events, read model, tree), built beforehand, written
    into the ledger's own schema as the import writes them: SQLite alone."""
    rows = peers.LedgerRows(ledger_db)

    def setup():
        path = bench.scratch_path("schema.db")
        peers.create_ledger_file(path)
        return (path, rows), {}

    def target(path, rows):
        assert peers.schema_floor(path, rows) == bench.events

    times = run(benchmark, target, setup=setup, teardown=lambda path, rows: remove_db(path),
                rounds=IMPORT_ROUNDS[bench.size])
    record(benchmark, bench, "import.schema_floor", peers.sqlite_version(), times,
           events=rows.events)
    del rows


@pytest.mark.benchmark(group="import")
def test_import_jsonl_executemany(benchmark, bench, jsonl):
    """Read the same JSONL with json.loads, one streaming executemany into a plain table."""
    def setup():
        path = bench.scratch_path("jsonl.db")
        peers.create_plain_table(path, columns=peers.JSONL_COLUMNS)
        return (path, jsonl), {}

    def target(path, src):
        assert peers.jsonl_executemany(path, src) == bench.events

    times = run(benchmark, target, setup=setup, teardown=lambda path, src: remove_db(path),
                rounds=IMPORT_ROUNDS[bench.size])
    record(benchmark, bench, "import.jsonl", f"json + {peers.sqlite_version()}", times,
           events=bench.events)


@pytest.mark.benchmark(group="import")
def test_import_eventsourcing(benchmark, bench, jsonl):
    """The same records as events of one aggregate per town, saved every 2000 records."""
    if not peers.EventsourcingPeer.available():
        pytest.skip("peer eventsourcing is not installed (pip install 'eventsourcing>=9')")

    def setup():
        return (bench.scratch_path("es.db"),), {}

    def target(path):
        peer = peers.EventsourcingPeer(path)
        try:
            assert peer.import_jsonl(jsonl) == bench.events - 1  # the adoption is skipped
        finally:
            peer.close()

    times = run(benchmark, target, setup=setup, teardown=remove_db,
                rounds=IMPORT_ROUNDS[bench.size])
    record(benchmark, bench, "import.eventsourcing", peers.eventsourcing_version(), times,
           events=bench.events - 1)


# Run a command as a child and report the largest resident set of its children: a
# wrapper process, so that nothing else this pytest process ran counts.
_RSS_WRAPPER = textwrap.dedent("""
    import json, resource, subprocess, sys, time
    t = time.perf_counter()
    done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"rc": done.returncode, "out": done.stdout.decode()[-500:],
                      "err": done.stderr.decode()[-2000:], "wall": wall,
                      "maxrss_kb": usage.ru_maxrss, "cpu": usage.ru_utime + usage.ru_stime}))
""")


def child_rss(*command: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _RSS_WRAPPER, *command], check=True,
                         capture_output=True, text=True).stdout
    result = json.loads(out)
    if result["rc"] != 0:
        raise AssertionError(f"{command} failed: {result['err']}")
    return result


@pytest.mark.benchmark(group="rss")
def test_import_peak_rss(benchmark, bench, jsonl):
    """Peak RSS of ``python -m ledger --db X import FILE`` in a child process."""
    base = child_rss(sys.executable, "-m", "ledger", "--version")
    seen = {}

    def setup():
        return (bench.scratch_path("rss.db"),), {}

    def target(path):
        seen.update(child_rss(sys.executable, "-m", "ledger", "--db", str(path), "import",
                              str(jsonl)))

    times = run(benchmark, target, setup=setup, teardown=remove_db, rounds=1)
    times.cpu = [seen["cpu"]] if times else []  # the child's CPU time, not this process's
    record(benchmark, bench, "rss", bench.version, times, events=bench.events,
           peak_rss_mb=seen.get("maxrss_kb", 0) / 1024, baseline_rss_mb=base["maxrss_kb"] / 1024,
           child_cpu_s=seen.get("cpu"), cli_output=seen.get("out", "").strip())
