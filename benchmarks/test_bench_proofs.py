"""Proofs at the benchmark's size: inclusion proof bytes, build and verify time, and
what the Merkle tree adds to a bulk import and to a single append, side by side with
the same ledger written without the tree (its listener removed).

The tree's cost is measured, not asserted: each event adds one leaf hash, about one
node hash and one ``merkle_nodes`` row in the append's transaction.
"""

from __future__ import annotations

import itertools
import json
import random

import pytest
from conftest import IMPORT_ROUNDS, record, remove_db, run
from test_bench_append import copy_synced, finding

import ledger
from ledger.proofs import service
from ledger.proofs.files import parse_proof
from ledger.store.merkle import verify_inclusion
from ledger.store import tree


def _without_tree(lg) -> None:
    lg.store.listeners.remove(tree.on_chunk)


@pytest.fixture(scope="module")
def proof_ledger(bench, ledger_db):
    """The cached ledger with its tree (opening it builds the tree if the cache has none)."""
    path = bench.scratch_path("proofs.db")
    copy_synced(ledger_db, path)
    with ledger.open(path) as lg:
        yield lg


def _sample_ids(lg, k: int = 200) -> list[str]:
    n = lg.head().seq
    rng = random.Random(20171231)
    seqs = sorted(rng.sample(range(1, n + 1), min(k, n)))
    return [lg.store.conn.execute("SELECT id FROM events WHERE seq = ?", (s,)).fetchone()[0]
            for s in seqs]


@pytest.mark.benchmark(group="proofs")
def test_inclusion_proof_build(benchmark, bench, proof_ledger):
    """``prove --event`` without the CLI: the inclusion proof of a random event at the head."""
    ids = itertools.cycle(_sample_ids(proof_ledger))
    times = run(benchmark, lambda: service.inclusion(proof_ledger, next(ids)), budget=5.0,
                min_rounds=50, max_rounds=2000, bench=bench)
    proof = service.inclusion(proof_ledger, next(ids))
    record(benchmark, bench, "proof.inclusion_build", bench.version, times, events=1,
           per_call=True)
    benchmark.extra_info["path_hashes"] = len(proof["path"])
    benchmark.extra_info["proof_json_bytes"] = len(json.dumps(proof).encode())
    benchmark.extra_info["proof_raw_bytes"] = 32 * (len(proof["path"]) + 2) + 16


@pytest.mark.benchmark(group="proofs")
def test_inclusion_proof_verify(benchmark, bench, proof_ledger):
    """Verifying one inclusion proof (RFC 9162 §2.1.3.2), as `check` does, with no ledger."""
    proofs = [parse_proof(service.inclusion(proof_ledger, i)) for i in _sample_ids(proof_ledger, 50)]
    cycle = itertools.cycle(proofs)

    def target():
        p = next(cycle)
        assert verify_inclusion(p["leaf_index"], p["tree_size"], p["leaf_hash"], p["path"],
                                p["root"])

    times = run(benchmark, target, budget=5.0, min_rounds=100, max_rounds=5000, bench=bench)
    record(benchmark, bench, "proof.inclusion_verify", bench.version, times, events=1,
           per_call=True)


@pytest.mark.benchmark(group="proofs")
def test_consistency_proof_build(benchmark, bench, proof_ledger):
    """A consistency proof from a random earlier size to the head."""
    n = proof_ledger.head().seq
    sizes = itertools.cycle(random.Random(7).sample(range(1, n + 1), min(200, n)))
    times = run(benchmark, lambda: service.consistency(proof_ledger, next(sizes)), budget=5.0,
                min_rounds=50, max_rounds=2000, bench=bench)
    record(benchmark, bench, "proof.consistency_build", bench.version, times, events=1,
           per_call=True)


@pytest.mark.benchmark(group="proofs")
@pytest.mark.parametrize("with_tree", [True, False], ids=["tree", "no-tree"])
def test_import_tree_cost(benchmark, bench, jsonl, with_tree):
    """Bulk import of the benchmark's JSONL with and without the tree's listener."""
    def setup():
        return (bench.scratch_path("import-tree.db"),), {}

    def target(path):
        with ledger.open(path) as lg:
            if not with_tree:
                _without_tree(lg)
            assert lg.import_file(jsonl) == bench.events

    times = run(benchmark, target, setup=setup, teardown=remove_db,
                rounds=IMPORT_ROUNDS[bench.size])
    record(benchmark, bench, "import.tree" if with_tree else "import.no_tree", bench.version,
           times, events=bench.events)


@pytest.mark.benchmark(group="proofs")
@pytest.mark.parametrize("with_tree", [True, False], ids=["tree", "no-tree"])
def test_append_tree_cost(benchmark, bench, ledger_db, with_tree):
    """One durable ``Ledger.append([one finding])`` with and without the tree's listener."""
    path = bench.scratch_path(f"append-tree-{with_tree}.db")
    copy_synced(ledger_db, path)
    town, ids = bench.sample_town(), itertools.count()
    with ledger.open(path) as lg:
        if not with_tree:
            _without_tree(lg)

        def setup():
            return ([finding(next(ids), town)],), {}

        times = run(benchmark, lambda records: lg.append(records), setup=setup, budget=10.0,
                    min_rounds=30, max_rounds=300, warmup=5, bench=bench)
    record(benchmark, bench, "append.tree" if with_tree else "append.no_tree", bench.version,
           times, events=1, per_call=True)
