"""Run the benchmark suite for some sizes and write the results table.

    python benchmarks/run.py                      # 10k only (a few minutes)
    python benchmarks/run.py --sizes 10k,100k     # the README's preliminary table
    python benchmarks/run.py --sizes 10k,100k,1m  # the full table (1m: long)
    python benchmarks/run.py --render-only        # re-render from the last results

Each size runs ``python -m pytest benchmarks --benchmark-enable -p no:cacheprovider
--bench-size SIZE --benchmark-json CACHE/results-SIZE.json`` in a child process; then
the table (targets and a met/not-met column) is printed and written into
``benchmarks/README.md`` between the ``results:begin``/``results:end`` markers
(``--no-readme`` to only print it). Nothing is asserted: the benchmarks record,
this script judges.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
README = HERE / "README.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
SIZES = ("10k", "100k", "1m")
TOWNS = {"10k": 5, "100k": 50, "1m": 500}


# -- running -----------------------------------------------------------------------------
def code_version() -> str | None:
    """The commit the package is at (``+dirty`` if ``ledger/`` has uncommitted changes):
    taken before pytest starts, as that is when the package is imported."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "ledger"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def run_size(size: str, cache: Path, extra: list[str]) -> Path:
    out = cache / f"results-{size}.json"
    cmd = [sys.executable, "-m", "pytest", "benchmarks", "--benchmark-enable",
           "-p", "no:cacheprovider", "--bench-size", size, "--bench-cache", str(cache),
           f"--benchmark-json={out}", "-q", *extra]
    print(f"$ {' '.join(cmd)}", file=sys.stderr, flush=True)
    out.unlink(missing_ok=True)  # never tabulate a stale file as this run's
    load, code = os.getloadavg(), code_version()
    t = time.monotonic()
    done = subprocess.run(cmd, cwd=ROOT)
    elapsed = time.monotonic() - t
    if not out.exists():
        sys.exit(f"size {size}: pytest wrote no results (exit {done.returncode})")
    data = json.loads(out.read_text())
    data["run"] = {"size": size, "exit": done.returncode, "seconds": elapsed,
                   "load_before": load, "load_after": os.getloadavg(), "code": code,
                   "command": "python -m pytest benchmarks --benchmark-enable "
                              f"-p no:cacheprovider --bench-size {size}"}
    out.write_text(json.dumps(data, indent=1))
    if done.returncode != 0:
        print(f"warning: size {size}: pytest exited {done.returncode}; the table shows "
              f"what was recorded", file=sys.stderr)
    return out


# -- the results -------------------------------------------------------------------------
class Results:
    """extra_info of every benchmark, by size and metric."""

    def __init__(self, files: list[Path]):
        self.by_size: dict[str, dict[str, dict]] = {}
        self.runs: dict[str, dict] = {}
        self.machine: dict = {}
        for f in files:
            data = json.loads(Path(f).read_text())
            self.machine = self.machine or data.get("machine_info", {})
            for b in data["benchmarks"]:
                top = b.get("extra_info") or {}
                for info in [top, *top.get("also", [])]:
                    if "metric" in info and "median_s" in info:
                        self.by_size.setdefault(info["size"], {})[info["metric"]] = info
            run = data.get("run") or {}
            size = run.get("size") or next(iter({b["extra_info"].get("size")
                                                 for b in data["benchmarks"]}), None)
            if size:
                self.runs[size] = {**run, "datetime": data.get("datetime")}
        self.sizes = [s for s in SIZES if s in self.by_size]

    def get(self, size: str, metric: str, key: str):
        return self.by_size.get(size, {}).get(metric, {}).get(key)

    def impl(self, metric: str) -> str | None:
        for size in reversed(self.sizes):
            impl = self.get(size, metric, "impl")
            if impl:
                return impl
        return None


def ratio(res: Results, size: str, ours: str, peer: str, key: str = "median_s"):
    """ours ÷ peer of the time per event (> 1: ours is slower)."""
    a, b = res.get(size, ours, key), res.get(size, peer, key)
    ea, eb = res.get(size, ours, "events") or 1, res.get(size, peer, "events") or 1
    if a is None or b is None:
        return None
    return (a / ea) / (b / eb)


@dataclass
class Row:
    label: str
    value: Callable[[Results, str], float | None]
    fmt: Callable[[float], str]
    target: str = ""
    check: Callable[[float], bool] | None = None
    at: str | None = None  # the size the target is stated for (None: any size)
    project: Callable[[Results, str], float | None] | None = None  # estimate at `at`
    cell: Callable[[Results, str], str | None] | None = None  # a cell other than fmt(value)


def metric(name: str, key: str, scale: float = 1.0):
    def value(res, size):
        v = res.get(size, name, key)
        return None if v is None else v * scale
    return value


def rate(v): return f"{v:,.0f}"
def ms(v): return f"{v:,.2f}" if v < 10 else f"{v:,.1f}" if v < 100 else f"{v:,.0f}"
def secs(v): return f"{v:,.2f}"
def times(v): return f"{v:.2f}×"
def mb(v): return f"{v:,.0f}"


def flatness(key: str):
    """card ``key`` at this size ÷ the same at the smallest size run."""
    def value(res: Results, size: str):
        base = res.sizes[0] if res.sizes else None
        a, b = res.get(size, "card", key), res.get(base, "card", key) if base else None
        if a is None or b is None or size == base:
            return None
        return a / b
    return value


def linear_projection(name: str, key: str, to_events: int = 1_000_501):
    """Extrapolate ``key`` linearly in the ledger's events, from the two largest sizes run."""
    def project(res: Results, size: str):
        pts = [(res.get(s, name, "ledger_events"), res.get(s, name, key)) for s in res.sizes]
        pts = [p for p in pts if None not in p]
        if len(pts) < 2:
            return None
        (x0, y0), (x1, y1) = pts[-2], pts[-1]
        return y1 + (y1 - y0) / (x1 - x0) * (to_events - x1)
    return project


def scoreboard_projection(res: Results, size: str):
    """The 500-town scoreboard, extrapolated linearly from this size's per-town time."""
    v = res.get(size, "scoreboard", "median_s")
    return None if v is None else v / TOWNS[size] * 500


def rows(res: Results) -> list[Row]:
    es = res.impl("import.eventsourcing") or "eventsourcing (not installed)"
    sq = res.impl("import.raw") or "SQLite"
    return [
        Row("**Bulk import** (events/s)", metric("import", "rate"), rate),
        Row("  the same with workers=1 (one process; by default a file of 4 MB or more is "
            "read by a second process)", metric("import.one_process", "rate"), rate),
        Row("  speed-up of the second process (one process's time ÷ the default's)",
            lambda r, s: ratio(r, s, "import.one_process", "import"), times),
        Row(f"  peer: raw executemany, the same rows, plain table ({sq})",
            metric("import.raw", "rate"), rate),
        Row("  peer: SQLite alone writing every row an import writes (events, read model, "
            "tree; built beforehand) into the ledger's own schema and settings",
            metric("import.schema_floor", "rate"), rate),
        Row("  peer: JSONL floor (json.loads + one executemany)",
            metric("import.jsonl", "rate"), rate),
        Row(f"  peer: {es}", metric("import.eventsourcing", "rate"), rate),
        Row("  ratio ours / JSONL floor (time per event)",
            lambda r, s: ratio(r, s, "import", "import.jsonl"), times,
            "≤ 2× (≥ half the floor's rate)", lambda v: v <= 2.0),
        Row("  the same in CPU time (what other jobs inflate less)",
            lambda r, s: ratio(r, s, "import", "import.jsonl", "cpu_median_s"), times),
        Row("  ratio ours / raw executemany (time per event)",
            lambda r, s: ratio(r, s, "import", "import.raw"), times),
        Row("  ratio SQLite alone / JSONL floor (the least any importer of this schema "
            "needs on this binding)",
            lambda r, s: ratio(r, s, "import.schema_floor", "import.jsonl"), times),
        Row("  ratio ours / SQLite alone (what the ledger's Python adds)",
            lambda r, s: ratio(r, s, "import", "import.schema_floor"), times),
        Row("  ratio ours / eventsourcing (time per event)",
            lambda r, s: ratio(r, s, "import", "import.eventsourcing"), times,
            "≤ 0.33× (≥ 3× its rate)", lambda v: v <= 1 / 3),
        Row("  the same in CPU time",
            lambda r, s: ratio(r, s, "import", "import.eventsourcing", "cpu_median_s"), times),
        Row("**Single durable append**, synchronous=FULL (events/s)",
            metric("append", "rate"), rate),
        Row("  p50 / p99 (ms)", metric("append", "p50_ms"), ms,
            cell=lambda r, s: f"{ms(r.get(s, 'append', 'p50_ms'))} / "
                              f"{ms(r.get(s, 'append', 'p99_ms'))}"),
        Row("  peer, interleaved: raw SQLite single-row commit, WAL + FULL (events/s)",
            metric("append.raw", "rate"), rate),
        Row(f"  peer, interleaved: {es}, one event per save (events/s)",
            metric("append.eventsourcing", "rate"), rate),
        Row("  ratio ours / raw commit (p50 time)",
            lambda r, s: ratio(r, s, "append", "append.raw"), times, "≤ 1.5×",
            lambda v: v <= 1.5),
        Row("  ratio ours / raw commit at p10 (the disk at its quietest)",
            lambda r, s: ratio(r, s, "append", "append.raw", "p10_ms"), times),
        Row("  CPU per append, ours / raw commit (ms; the rest is waiting for the disk)",
            metric("append", "cpu_p50_ms"), ms,
            cell=lambda r, s: f"{ms(r.get(s, 'append', 'cpu_p50_ms'))} / "
                              f"{ms(r.get(s, 'append.raw', 'cpu_p50_ms'))}"),
        Row("**Card**, random town/as_of/known_at: p50 (ms)", metric("card", "p50_ms"), ms,
            "≤ 5 ms at 1m", lambda v: v <= 5, at="1m"),
        Row("  p99 (ms)", metric("card", "p99_ms"), ms, "≤ 20 ms at 1m", lambda v: v <= 20,
            at="1m"),
        Row("  p50 in CPU time (ms)", metric("card", "cpu_p50_ms"), ms),
        Row("  flat: p50 ÷ p50 at the smallest size", flatness("p50_ms"), times,
            "≤ 1.5× (10k → 1m)", lambda v: v <= 1.5, at="1m"),
        Row("  the same in CPU time", flatness("cpu_p50_ms"), times),
        Row(f"  peer: {es} rebuilding one town's aggregate, p50 (ms)",
            metric("read.eventsourcing", "p50_ms"), ms),
        Row("**Scoreboard**, every town (s)", metric("scoreboard", "median_s"), secs,
            "≤ 2 s for 500 towns at 1m", lambda v: v <= 2.0, at="1m",
            project=scoreboard_projection),
        Row("**Verify** the whole chain (events/s)", metric("verify", "rate"), rate,
            "≥ 500,000 over 1m events", lambda v: v >= 500_000, at="1m"),
        Row("  in CPU time (events/s)", metric("verify", "cpu_rate"), rate),
        Row("**Explain** one town, 2000 records (ms)", metric("explain", "p50_ms"), ms),
        Row("**History** one town, 2000 records (ms)", metric("history", "p50_ms"), ms),
        Row("**Peak RSS** of `python -m ledger import` (MB)", metric("rss", "peak_rss_mb"), mb,
            "≤ 200 MB at 1m", lambda v: v <= 200, at="1m",
            project=linear_projection("rss", "peak_rss_mb")),
        Row("  the same child's RSS for `--version` only (MB)",
            metric("rss", "baseline_rss_mb"), mb),
    ]


def verdict(row: Row, res: Results) -> str:
    """Met or not: a target stated for one size is judged at that size (or, when it was
    not run, at the largest size run, or projected to it); any other target must hold at
    every size run."""
    if row.check is None:
        return ""
    measured = [s for s in res.sizes if row.value(res, s) is not None]
    if not measured:
        return "not measured"
    if row.at is None:
        failed = [s for s in measured if not row.check(row.value(res, s))]
        if failed:
            return "**NOT MET** (" + "; ".join(f"{s}: {row.fmt(row.value(res, s))}"
                                              for s in failed) + ")"
        return f"**met** ({', '.join(measured)})"
    size = measured[-1]
    if size == row.at:
        return f"**{'met' if row.check(row.value(res, size)) else 'NOT MET'}** ({size})"
    est = row.project(res, size) if row.project is not None else None
    if est is not None:
        return (f"{'met' if row.check(est) else 'not met'}? (projected to {row.at}: "
                f"{row.fmt(est)}; {row.at} not run)")
    ok = row.check(row.value(res, size))
    return f"{'met' if ok else 'not met'} at {size} ({row.at} not run)"


def machine_line(res: Results) -> str:
    cpu = res.machine.get("cpu", {})
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, AttributeError):
        pass
    return (f"{cpu.get('brand_raw', platform.processor() or '?')}, {cpu.get('count', os.cpu_count())} "
            f"cores{mem}; {res.machine.get('system', platform.system())} "
            f"{res.machine.get('release', platform.release())}; Python "
            f"{res.machine.get('python_version', platform.python_version())}; SQLite "
            f"{sqlite3.sqlite_version}")


def table(res: Results, note: str | None = None) -> str:
    head = ["", *[f"{s} ({TOWNS[s]} towns)" for s in res.sizes], "target", "met?"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows(res):
        cells = []
        for s in res.sizes:
            v = row.value(res, s)
            cells.append("–" if v is None else row.cell(res, s) if row.cell else row.fmt(v))
        label = "↳ " + row.label[2:] if row.label.startswith("  ") else row.label
        lines.append("| " + " | ".join([label, *cells, row.target, verdict(row, res)]) + " |")
    out = []
    if note:
        out += [f"**{note}**", ""]
    when = max((r.get("datetime") or "" for r in res.runs.values()), default="")
    out += [f"Machine: {machine_line(res)}."]
    load = "; ".join(f"{s}: {r['load_before'][0]:.1f} → {r['load_after'][0]:.1f}"
                     for s, r in res.runs.items() if "load_before" in r)
    if load:
        out += [f"Load average (1 min) before → after each size's run: {load} "
                f"(other jobs share the machine: expect noise)."]
    code = ", ".join(f"{s} at {r['code']}" for s, r in res.runs.items() if r.get("code"))
    out += [f"Run {when[:19].replace('T', ' ')} UTC"
            + (f" (code: {code})" if code else "") + "; ours is "
            f"{res.impl('import') or 'audit-ledger'}; each size is N towns × 2000 records "
            f"(10,006 / 100,051 / 1,000,501 events). Rates are events/s from the median "
            f"round; ratios are ours ÷ peer of the time per event (below 1: ours is faster).",
            "", *lines, "",
            "Reproduce: " + "`python benchmarks/run.py --sizes " + ",".join(res.sizes) + "`"
            + " (one size by hand: `python -m pytest benchmarks --benchmark-enable "
              "-p no:cacheprovider --bench-size SIZE`)."]
    return "\n".join(out)


def write_readme(text: str) -> None:
    readme = README.read_text(encoding="utf-8") if README.exists() else f"{BEGIN}\n{END}\n"
    if BEGIN not in readme or END not in readme:
        readme += f"\n{BEGIN}\n{END}\n"
    before, rest = readme.split(BEGIN, 1)
    _, after = rest.split(END, 1)
    README.write_text(f"{before}{BEGIN}\n{text}\n{END}{after}", encoding="utf-8")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10k", help="comma-separated: 10k,100k,1m (default 10k)")
    p.add_argument("--cache", default=os.environ.get("BENCH_CACHE", str(HERE / ".cache")))
    p.add_argument("--render-only", action="store_true",
                   help="do not run: tabulate the results last written for --sizes")
    p.add_argument("--no-readme", action="store_true", help="print the table only")
    p.add_argument("--preliminary", action="store_true",
                   help="mark the table preliminary (the read side is being rewritten)")
    p.add_argument("--note", default=None, help="a line printed above the table")
    p.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = p.parse_args(argv)
    sizes = [s.strip().lower() for s in args.sizes.split(",") if s.strip()]
    bad = [s for s in sizes if s not in SIZES]
    if bad:
        p.error(f"unknown size {bad[0]!r}: use {', '.join(SIZES)}")
    cache = Path(args.cache).resolve()
    cache.mkdir(parents=True, exist_ok=True)
    files = []
    for size in sizes:
        files.append(cache / f"results-{size}.json" if args.render_only
                     else run_size(size, cache, args.pytest_args))
    missing = [f for f in files if not f.exists()]
    if missing:
        sys.exit(f"no results at {missing[0]}: run without --render-only first")
    note = args.note
    if args.preliminary and not note:
        note = ("Preliminary: the read side of Ledger.score is being rewritten and these "
                "numbers come from a shared, busy 2-core machine; they will change.")
    text = table(Results(files), note)
    print(text)
    if not args.no_readme:
        write_readme(text)
        print(f"\nwrote the table into {README.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
