"""Verifying the whole hash chain (events/s)."""

from __future__ import annotations

import pytest
from conftest import record, run


@pytest.mark.benchmark(group="verify")
def test_verify(benchmark, bench, lg):
    """``Ledger.verify()`` over every event of the cached ledger."""
    def target():
        assert lg.verify() == bench.events

    times = run(benchmark, target, budget=30.0, min_rounds=3, max_rounds=10, warmup=1,
                bench=bench)
    record(benchmark, bench, "verify", bench.version, times, events=bench.events)
