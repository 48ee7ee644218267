"""Verifying a ledger (events/s): the hash chain alone, and the whole audit.

``Ledger.verify()`` now also decodes every payload, cross-checks the hashes the ledger
keeps about itself, rebuilds the read model in memory to compare it, and checks the Merkle
tree and the schema (docs/reliability.md, "Threat model"). ``test_verify`` keeps timing
what it timed before, the chain (``store.verify()``), so the figure compares across
versions; ``test_audit`` times the whole of ``Ledger.verify()``.
"""

from __future__ import annotations

import pytest
from conftest import record, run


@pytest.mark.benchmark(group="verify")
def test_verify(benchmark, bench, lg):
    """The hash chain (``store.verify()``) over every event of the cached ledger."""
    def target():
        assert lg.store.verify() == bench.events

    times = run(benchmark, target, budget=30.0, min_rounds=3, max_rounds=10, warmup=1,
                bench=bench)
    record(benchmark, bench, "verify", bench.version, times, events=bench.events)


@pytest.mark.benchmark(group="verify")
def test_audit(benchmark, bench, lg):
    """The whole of ``Ledger.verify()``: chain, payloads, stored hashes, read model, tree."""
    def target():
        assert lg.verify() == bench.events

    times = run(benchmark, target, budget=30.0, min_rounds=3, max_rounds=10, warmup=1,
                bench=bench)
    record(benchmark, bench, "audit", bench.version, times, events=bench.events)
