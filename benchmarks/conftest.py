"""Shared set-up of the benchmarks: sizes, the cached ledgers, and how to measure.

Run (``benchmarks/`` is not part of the default test run)::

    python -m pytest benchmarks --benchmark-enable -p no:cacheprovider --bench-size 10k

``--bench-size`` (or ``$BENCH_SIZE``) is ``10k``, ``100k`` or ``1m``. Each size is
``N`` towns with a year of 2000 records each (5, 50 or 500 towns), so one town's
card reads the same amount at every size and any growth is the ledger's size.

The JSONL file and the ledger built from it are made once and kept in
``--bench-cache`` (``$BENCH_CACHE``, default ``benchmarks/.cache``), keyed by the
generator's source and the package version; ``--bench-rebuild`` makes them again
(do that after changing how events are written). The cached ledger is built with an
injected clock that records each event on the day the generator says it was
recorded, so ``known_at`` ranges over 2017 like a real year's ledger.

Every benchmark records what ``benchmarks/run.py`` tabulates in ``extra_info``:
``metric``, ``impl`` (ours or the peer, with its version), ``size``, ``events`` and
derived numbers (``rate`` in events/s from the median, ``p50_ms``/``p99_ms``).
Nothing here asserts a timing.
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import os
import random
import resource
import shutil
import sys
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import generate  # noqa: E402
import peers  # noqa: E402

import ledger  # noqa: E402

PER_TOWN = 2000
SIZES = {"10k": 5, "100k": 50, "1m": 500}  # label -> towns (x 2000 records)
SHANGHAI = timezone(timedelta(hours=8))
EPOCH = datetime(2017, 1, 1, tzinfo=SHANGHAI)
PERIOD = "2017"

# rounds of the whole-ledger operations (import, RSS) per size: bounded, not adaptive
IMPORT_ROUNDS = {"10k": 5, "100k": 3, "1m": 1}


def pytest_addoption(parser):
    group = parser.getgroup("ledger benchmarks")
    group.addoption("--bench-size", default=os.environ.get("BENCH_SIZE", "10k"),
                    choices=sorted(SIZES), help="ledger size: 10k, 100k or 1m events "
                    "(default $BENCH_SIZE or 10k)")
    group.addoption("--bench-cache", default=os.environ.get("BENCH_CACHE", str(HERE / ".cache")),
                    help="where generated files and ledgers are kept between runs")
    group.addoption("--bench-rebuild", action="store_true",
                    help="regenerate the cached JSONL and ledgers of this size")
    group.addoption("--bench-budget", type=float, default=float(os.environ.get("BENCH_BUDGET", 1.0)),
                    help="scale the time budget of adaptive benchmarks (0.5 = half as long)")


def pytest_report_header(config):
    size = config.getoption("--bench-size")
    return [f"ledger benchmarks: size {size} ({SIZES[size]} towns x {PER_TOWN} records), "
            f"cache {config.getoption('--bench-cache')}"]


# -- the simulated recording clock ---------------------------------------------------
class YearClock:
    """``recorded_at`` for the i-th event the generated file appends.

    The adoption and the towns are recorded in the first minutes of 2017; slot ``j``
    of the interleaved records at ``EPOCH + 1h + j * (365 days / slots)``, which is on
    or after :func:`generate.recording_day` of its slot. Deterministic, so the cached
    ledger's hashes are the same on every machine.
    """

    def __init__(self, n_towns: int, per_town: int):
        self.head = 1 + n_towns
        self.step = timedelta(days=365) / (n_towns * per_town)
        self.i = 0

    def __call__(self) -> datetime:
        i, self.i = self.i, self.i + 1
        if i < self.head:
            return EPOCH + timedelta(seconds=i)
        return EPOCH + timedelta(hours=1) + (i - self.head) * self.step


# -- the cached files -----------------------------------------------------------------
class Bench:
    """What the benchmarks of one size share: paths, counts, helpers."""

    def __init__(self, config):
        self.config = config
        self.size = config.getoption("--bench-size")
        self.n_towns = SIZES[self.size]
        self.per_town = PER_TOWN
        self.events = generate.count(self.n_towns, self.per_town)
        self.cache = Path(config.getoption("--bench-cache")).resolve()
        self.rebuild = config.getoption("--bench-rebuild")
        self.budget_scale = config.getoption("--bench-budget")
        self.cache.mkdir(parents=True, exist_ok=True)
        gen_key = hashlib.sha256((HERE / "generate.py").read_bytes()).hexdigest()[:10]
        self.version = peers.ledger_version()
        ver = self.version.split()[-1]
        self.jsonl = self.cache / f"records-{self.size}-{gen_key}.jsonl"
        self.ledger_db = self.cache / f"ledger-{self.size}-{gen_key}-{ver}.db"
        es = (peers.eventsourcing_version() or "none").split()[-1]
        self.es_db = self.cache / f"eventsourcing-{self.size}-{gen_key}-{es}.db"
        self.scratch = self.cache / f"scratch-{os.getpid()}"
        self._rebuilt: set[Path] = set()

    def budget(self, seconds: float) -> float:
        return seconds * self.budget_scale

    @contextmanager
    def _locked(self):
        """One builder at a time (other engineers may run the suite concurrently)."""
        with open(self.cache / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _fresh(self, path: Path) -> bool:
        return path.exists() and not (self.rebuild and path not in self._rebuilt)

    def _make(self, path: Path, build) -> Path:
        if self._fresh(path):
            return path
        with self._locked():
            if not self._fresh(path):
                tmp = path.with_name(path.name + f".building-{os.getpid()}")
                remove_db(tmp)
                self.say(f"building {path.name} (once per cache; 1m takes minutes)…")
                t = time.perf_counter()
                build(tmp)
                os.replace(tmp, path)
                self._rebuilt.add(path)
                self.say(f"built {path.name} in {time.perf_counter() - t:.1f} s")
        return path

    def say(self, text: str) -> None:
        """A progress line on the terminal, through pytest's output capture."""
        capman = self.config.pluginmanager.getplugin("capturemanager")
        if capman is None:
            print(f"[bench] {text}", file=sys.stderr)
            return
        with capman.global_and_fixture_disabled():
            print(f"\n[bench] {text}", file=sys.stderr, flush=True)

    def jsonl_file(self) -> Path:
        def build(tmp):
            n = generate.write_jsonl(tmp, self.n_towns, self.per_town)
            assert n == self.events, (n, self.events)
        return self._make(self.jsonl, build)

    def ledger_file(self) -> Path:
        src = self.jsonl_file()

        def build(tmp):
            with ledger.open(tmp, clock=YearClock(self.n_towns, self.per_town)) as lg:
                n = lg.import_file(src)
            assert n == self.events, (n, self.events)
        return self._make(self.ledger_db, build)

    def eventsourcing_file(self) -> Path:
        src = self.jsonl_file()

        def build(tmp):
            peer = peers.EventsourcingPeer(tmp)
            try:
                peer.import_jsonl(src)
            finally:
                peer.close()
            for extra in ("-wal", "-shm"):
                Path(str(tmp) + extra).unlink(missing_ok=True)
        return self._make(self.es_db, build)

    def scratch_path(self, name: str) -> Path:
        """A fresh path on the cache's file system (same disk as the cached ledgers)."""
        self.scratch.mkdir(parents=True, exist_ok=True)
        path = self.scratch / name
        remove_db(path)
        return path

    def town(self, i: int) -> str:
        return generate.town_name(i % self.n_towns)

    def sample_town(self) -> str:
        """The town explain/history/read-back use: the middle one."""
        return self.town(self.n_towns // 2)


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


@pytest.fixture(scope="session")
def bench(request):
    b = Bench(request.config)
    yield b
    shutil.rmtree(b.scratch, ignore_errors=True)


@pytest.fixture(scope="session")
def jsonl(bench) -> Path:
    return bench.jsonl_file()


@pytest.fixture(scope="session")
def ledger_db(bench) -> Path:
    return bench.ledger_file()


@pytest.fixture(scope="session")
def lg(ledger_db):
    """The cached ledger, opened once for the read benchmarks (read only by them)."""
    with ledger.open(ledger_db) as opened:
        yield opened


@pytest.fixture(scope="session")
def es_peer(bench):
    if not peers.EventsourcingPeer.available():
        pytest.skip("peer eventsourcing is not installed (pip install 'eventsourcing>=9')")
    peer = peers.EventsourcingPeer(bench.eventsourcing_file())
    yield peer
    peer.close()


# -- measuring ---------------------------------------------------------------------------
def percentile(sorted_data: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted data (q in 0..100)."""
    if not sorted_data:
        return float("nan")
    k = max(1, math.ceil(q / 100 * len(sorted_data)))
    return sorted_data[k - 1]


def cpu_time() -> float:
    """CPU seconds of this process and of its children that have been waited for (so a
    round that runs worker processes and joins them counts their CPU time too)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


class Timings(list):
    """Sorted wall-clock seconds per round, with the process CPU seconds in ``cpu``."""

    def __init__(self, wall=(), cpu=()):
        super().__init__(sorted(wall))
        self.cpu = sorted(cpu)


def run(benchmark, target, *, setup=None, teardown=None, rounds=None, budget=10.0,
        min_rounds=3, max_rounds=200, warmup=1, per_call=None, bench=None) -> Timings:
    """``benchmark.pedantic`` with the number of rounds fitted to a time budget.

    ``warmup`` untimed calls are made first (they also calibrate); then as many rounds
    as fit in ``budget`` seconds, between ``min_rounds`` and ``max_rounds``, unless
    ``rounds`` is given; ``per_call`` (seconds, measured by the caller) skips the
    warm-up. Returns the per-round wall times and the CPU time per round (see
    :func:`cpu_time`: what another job on the machine inflates much less, and what an
    fsync wait does not count). Empty when benchmarks are disabled: the target then
    runs once, as a smoke test.
    """
    if bench is not None:
        budget = bench.budget(budget)
    if getattr(benchmark, "disabled", False):
        benchmark.pedantic(target, setup=setup, teardown=teardown)
        return Timings()
    if rounds is None and per_call is None:
        spent, calls = 0.0, 0
        for _ in range(max(1, warmup)):
            args, kwargs = (setup() or ((), {})) if setup else ((), {})
            t = time.perf_counter()
            target(*args, **kwargs)
            spent += time.perf_counter() - t
            calls += 1
            if teardown:
                teardown(*args, **kwargs)
        per_call = spent / calls
    if rounds is None:
        rounds = int(min(max_rounds, max(min_rounds, budget / max(per_call, 1e-6))))
    cpu: list[float] = []

    def timed(*args, **kwargs):
        start = cpu_time()
        try:
            return target(*args, **kwargs)
        finally:
            cpu.append(cpu_time() - start)

    benchmark.pedantic(timed, setup=setup, teardown=teardown, rounds=rounds,
                       warmup_rounds=0, iterations=1)
    return Timings(benchmark.stats.stats.data, cpu)


def _median(data: list[float]) -> float:
    return (data[(len(data) - 1) // 2] + data[len(data) // 2]) / 2


def derive(times: Timings, events: int | None = None, per_call: bool = False) -> dict:
    """The numbers run.py tabulates, from per-round times: ``median_s`` (and
    ``cpu_median_s``); with ``events`` per round, ``rate`` and ``cpu_rate`` in events/s;
    with ``per_call`` (each round one call), ``p10_ms``, ``p50_ms``, ``p99_ms``, ``max_ms``."""
    if not times:
        return {}
    info = {"rounds": len(times), "median_s": _median(times)}
    cpu = getattr(times, "cpu", None)
    if cpu:
        info["cpu_median_s"] = _median(cpu)
    if events is not None:
        info["events"] = events
        info["rate"] = events / info["median_s"]
        if cpu:
            info["cpu_rate"] = events / max(info["cpu_median_s"], 1e-9)
    if per_call:
        info["p10_ms"] = percentile(times, 10) * 1e3
        info["p50_ms"] = info["median_s"] * 1e3
        info["p99_ms"] = percentile(times, 99) * 1e3
        info["max_ms"] = times[-1] * 1e3
        if cpu:
            info["cpu_p50_ms"] = info["cpu_median_s"] * 1e3
    return info


def record(benchmark, bench, metric: str, impl: str, times: Timings, *,
           events: int | None = None, per_call: bool = False, also=(), **extra) -> None:
    """Store in ``extra_info`` what run.py tabulates for ``metric``.

    ``also`` holds ``(metric, impl, Timings)`` of peers measured inside the same
    benchmark (interleaved with ours); they get the same derived numbers.
    """
    common = {"size": bench.size, "towns": bench.n_towns, "ledger_events": bench.events}
    info = benchmark.extra_info
    info.update(metric=metric, impl=impl, **common, rounds=len(times),
                load_1min=round(os.getloadavg()[0], 2), **extra)
    info.update(derive(times, events, per_call))
    info.pop("also", None)
    if also:
        info["also"] = [{"metric": m, "impl": i, **common, **derive(t, events, per_call)}
                        for m, i, t in also]


class CardQueries:
    """Seeded random (town, as_of, known_at) for the card benchmark.

    ``as_of`` is any day of 2017; ``known_at`` any moment from 2 January 2017 to New
    Year's Day 2018, written as a user would (``2017-06-30T12:34:56+08:00``).
    """

    def __init__(self, bench: Bench, seed: int = 20170630):
        self.bench = bench
        self.rng = random.Random(seed)

    def __call__(self):
        rng = self.rng
        town = self.bench.town(rng.randrange(self.bench.n_towns))
        as_of = date(2017, 1, 1) + timedelta(days=rng.randrange(365))
        known = EPOCH + timedelta(days=1) + timedelta(seconds=rng.randrange(364 * 86400))
        return (town, PERIOD), {"as_of": as_of, "known_at": known.isoformat()}
