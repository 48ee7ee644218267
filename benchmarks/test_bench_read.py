"""Reads on the cached ledger: a card at random as_of/known_at, the scoreboard,
explain and history of one town, and eventsourcing reading a town back."""

from __future__ import annotations

import time

import pytest
from conftest import PERIOD, CardQueries, record, run

import peers

CARDS = 300  # the card sample: the same seeded queries every run (fewer if over budget)


@pytest.mark.benchmark(group="card")
def test_card(benchmark, bench, lg):
    """``Ledger.score(town, 2017, as_of=random day, known_at=random moment)``, per call."""
    queries = CardQueries(bench)
    times = run(benchmark, lg.score, setup=queries, budget=60.0, min_rounds=50,
                max_rounds=CARDS, warmup=3, bench=bench)
    record(benchmark, bench, "card", bench.version, times, per_call=True)


@pytest.mark.benchmark(group="scoreboard")
def test_scoreboard(benchmark, bench, lg):
    """``Ledger.scoreboard(2017)``: every town's card at the period's end, as the ledger stands."""
    def board():
        return lg.scoreboard(PERIOD)

    t = time.perf_counter()
    assert len(board().towns) == bench.n_towns  # also the warm-up and the calibration
    times = run(benchmark, board, budget=30.0, min_rounds=3, max_rounds=20,
                per_call=time.perf_counter() - t, bench=bench)
    record(benchmark, bench, "scoreboard", bench.version, times, per_call=True)


@pytest.mark.benchmark(group="trace")
def test_explain(benchmark, bench, lg):
    """``Ledger.explain(town, 2017)``: the traced card of one town (2000 records)."""
    town = bench.sample_town()
    times = run(benchmark, lg.explain, setup=lambda: ((town, PERIOD), {}), budget=15.0,
                min_rounds=5, max_rounds=100, warmup=1, bench=bench)
    record(benchmark, bench, "explain", bench.version, times, per_call=True, town=town)


@pytest.mark.benchmark(group="trace")
def test_history(benchmark, bench, lg):
    """``Ledger.history(town, 2017)``: the score after every event that changed it."""
    town = bench.sample_town()
    times = run(benchmark, lg.history, setup=lambda: ((town, PERIOD), {}), budget=15.0,
                min_rounds=5, max_rounds=100, warmup=1, bench=bench)
    record(benchmark, bench, "history", bench.version, times, per_call=True, town=town)


@pytest.mark.benchmark(group="card")
def test_read_town_eventsourcing(benchmark, bench, es_peer):
    """Peer: eventsourcing rebuilding the same town's aggregate from its 2000 events."""
    town = bench.sample_town()
    times = run(benchmark, es_peer.town, setup=lambda: ((town,), {}), budget=15.0,
                min_rounds=20, max_rounds=300, warmup=3, bench=bench)
    record(benchmark, bench, "read.eventsourcing", peers.eventsourcing_version(), times,
           per_call=True, town=town)
