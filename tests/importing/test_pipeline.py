"""The piped import (a second process reads the file) against the one-process road.

Identical output is the contract: the same file through both roads gives byte-identical
tables and the same head, and every bad line the same error, at the start, the middle,
the end and across the boundaries of both processes' batches.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import ledger
from ledger.errors import LedgerError
from ledger.importing import pipeline
from ledger.importing import validation
from support.scoring import write_jsonl

TOWNS = ["沙溪镇", "浏河镇", "璜泾镇"]
TABLES = ("events", "rm_findings", "rm_facts", "rm_corrections", "merkle_nodes", "merkle_state")


def clock():
    """The same recorded_at sequence for each ledger."""
    t = [datetime(2017, 12, 1, tzinfo=timezone.utc)]

    def now():
        t[0] += timedelta(milliseconds=3)
        return t[0]
    return now


def records(n: int = 1500) -> list[dict]:
    """Every record type the fast road does not take, among plain findings."""
    recs = [{"type": "adopt", "id": "a1", "period": "2017", "rubric": "taicang-2017"}]
    recs += [{"type": "town", "id": f"t{i}", "name": t} for i, t in enumerate(TOWNS)]
    for i in range(n):
        town = TOWNS[i % 3]
        day = f"2017-{1 + i % 12:02d}-{1 + i % 28:02d}"
        if i % 50 == 7:
            recs.append({"type": "payment", "id": f"p{i}", "town": town, "period": "2017",
                         "case": f"c{i}", "approved_on": day, "paid_on": day})
        elif i % 50 == 9:
            recs.append({"type": "retraction", "id": f"x{i}", "finding": f"f{i - 1}",
                         "reason": "wrong"})
        elif i % 50 == 11:
            recs.append({"type": "amendment", "id": f"m{i}", "finding": f"f{i - 6}",
                         "quantity": 2, "reason": "recount"})
        else:
            rec = {"type": "finding", "id": f"f{i}", "town": town, "period": "2017",
                   "clause": ("A03.2", "B02.1", "B06.1", "A08.1")[i % 4], "occurred_on": day,
                   "quantity": 1 + i % 3, "note": f"第{i}条", "evidence": [f"e{i}.pdf"]}
            if i % 4 == 2:
                rec.pop("quantity")  # a clause that does not count units
            if i % 13 == 0:
                rec["actor"] = "auditor-7"
            recs.append(rec)
    return recs


def imported(tmp_path: Path, name: str, path: Path, workers: int) -> Path:
    db = tmp_path / f"{name}.db"
    with ledger.open(db, clock=clock()) as lg:
        lg.import_file(path, workers=workers)
    return db


def tables(db: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES}
    finally:
        conn.close()


def test_both_roads_write_identical_tables_and_head(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "BATCH", 97)  # many messages, boundaries everywhere
    src = write_jsonl(tmp_path / "in.jsonl", records())
    one = tables(imported(tmp_path, "one", src, workers=1))
    two = tables(imported(tmp_path, "two", src, workers=2))
    assert len(one["events"]) > 1500 and one["rm_corrections"]  # the test covers them
    assert one == two


def test_a_second_import_of_the_same_file_skips_it_on_both_roads(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", records(300))
    db = imported(tmp_path, "again", src, workers=1)
    with ledger.open(db) as lg:
        head = lg.head()
        assert lg.import_file(src, workers=2) == 0  # every record already stored
        assert lg.head() == head


def _mutations():
    """(name, index in records(), how the line changes)."""
    bad_json = ("bad json", lambda r: '{"type": "finding", "id": ')
    dup_key = ("duplicate key", lambda r: json.dumps(r, ensure_ascii=False)[:-1] + ', "id": "z"}')
    kinds = [
        bad_json, dup_key,
        ("unknown clause", lambda r: {**r, "clause": "Z99.9"}),
        ("unregistered town", lambda r: {**r, "town": "沙西镇"}),
        ("outside the period", lambda r: {**r, "occurred_on": "2019-01-01"}),
        ("no such day", lambda r: {**r, "occurred_on": "2017-02-30"}),
        ("quantity 0", lambda r: {**r, "quantity": 0}),
        ("id reused", lambda r: {**r, "id": "f4", "clause": "B02.1"}),
        ("unknown field", lambda r: {**r, "colour": "red"}),
        ("unknown type", lambda r: {**r, "type": "rumour"}),
    ]
    # start, middle, end, and across both batch sizes (validator 500, reader 97 here)
    places = [4, 5, 97, 98, 500, 501, 502, 777, 1000, 1502]
    for k, (name, change) in enumerate(kinds):
        yield name, places[k % len(places)], change
        yield name, places[(k + 5) % len(places)], change


CORPUS = list(_mutations())


@pytest.mark.parametrize("name, at, change", [
    *[pytest.param(*m, marks=pytest.mark.slow, id=f"{m[0]}@{m[1]}") for m in CORPUS],
    pytest.param(*CORPUS[14], id="quick: " + f"{CORPUS[14][0]}@{CORPUS[14][1]}")])
def test_a_bad_line_gives_the_same_error_on_both_roads(tmp_path, monkeypatch, name, at, change):
    monkeypatch.setattr(pipeline, "BATCH", 97)
    recs = records()
    while recs[at]["type"] != "finding":
        at += 1
    lines = [json.dumps(r, ensure_ascii=False) for r in recs]
    changed = change(recs[at])
    lines[at] = changed if isinstance(changed, str) else json.dumps(changed, ensure_ascii=False)
    src = tmp_path / "bad.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    said = {}
    for workers in (1, 2):
        db = tmp_path / f"w{workers}.db"
        with ledger.open(db) as lg:
            lg.append([{"type": "town", "id": "t-early", "name": "太仓港区"}])
            with pytest.raises(LedgerError) as caught:
                lg.import_file(src, workers=workers)
            assert lg.store.count() == 1  # all or nothing
        said[workers] = str(caught.value)
    assert said[1] == said[2]
    assert said[1].startswith(f"line {at + 1}: ")


@pytest.mark.slow  # six imports, three of them starting a process
def test_a_file_that_cannot_be_read_gives_the_same_error(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(b'{"type": "town", "id": "t1", "name": "caf\xe9"}\n')
    for src in (empty, latin, tmp_path / "missing.jsonl"):
        said = []
        for workers in (1, 2):
            with ledger.open(tmp_path / f"{src.stem}-{workers}.db") as lg:
                with pytest.raises(LedgerError) as caught:
                    lg.import_file(src, workers=workers)
                said.append(str(caught.value))
        assert said[0] == said[1], src


def test_small_files_stay_in_one_process_and_large_ones_are_piped(tmp_path, monkeypatch):
    started = []
    real = pipeline.piped_items
    monkeypatch.setattr(pipeline, "piped_items", lambda *a, **k: started.append(1) or real(*a, **k))
    src = write_jsonl(tmp_path / "in.jsonl", records(200))
    with ledger.open(tmp_path / "a.db") as lg:
        lg.import_file(src)
    assert started == []
    monkeypatch.setattr(pipeline, "MIN_BYTES", 1)  # now it counts as large
    with ledger.open(tmp_path / "b.db") as lg:
        lg.import_file(src)
        lg.import_file(src, workers=1)  # workers=1: never piped
    assert started == [1]


def test_it_works_in_a_process_that_already_runs_threads(tmp_path):
    stop = threading.Event()
    busy = [threading.Thread(target=stop.wait, daemon=True) for _ in range(3)]
    for t in busy:
        t.start()
    try:
        src = write_jsonl(tmp_path / "in.jsonl", records(300))
        with ledger.open(tmp_path / "t.db") as lg:
            assert lg.import_file(src, workers=2) > 300
            assert lg.verify() == lg.store.count()
    finally:
        stop.set()


def test_a_script_without_a_main_guard_runs_once(tmp_path):
    """The reader is a fresh interpreter, not a spawn that runs the caller's script again."""
    src = write_jsonl(tmp_path / "in.jsonl", records(100))
    script = tmp_path / "script.py"
    script.write_text(
        "import ledger, pathlib\n"
        "p = pathlib.Path(__file__).with_name('ran.txt')\n"
        "p.write_text(p.read_text() + 'x' if p.exists() else 'x')\n"
        f"with ledger.open({str(tmp_path / 's.db')!r}) as lg:\n"
        f"    print(lg.import_file({str(src)!r}, workers=2))\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "ran.txt").read_text() == "x"


def test_a_reader_that_dies_is_one_error_and_nothing_written(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline.sys, "executable", "/bin/false")  # it exits at once, code 1
    src = write_jsonl(tmp_path / "in.jsonl", records(100))
    with ledger.open(tmp_path / "d.db") as lg:
        with pytest.raises(LedgerError, match=r"stopped \(exit code 1\); nothing was written"):
            lg.import_file(src, workers=2)
        assert lg.store.count() == 0


def test_when_the_two_views_of_a_rubric_differ_it_runs_again_in_one_process(tmp_path,
                                                                             monkeypatch):
    """The guard the reader's rubric knowledge is checked by: forced to disagree once, the
    import rolls back and the one-process road writes exactly what it would have."""
    calls = []
    real = validation.Validator._agree

    def disagree_once(self, period, scope):
        if not calls:
            calls.append(period)
            raise pipeline.Disagreement(period)
        return real(self, period, scope)

    monkeypatch.setattr(validation.Validator, "_agree", disagree_once)
    src = write_jsonl(tmp_path / "in.jsonl", records(300))
    x, y = imported(tmp_path, "x", src, workers=2), imported(tmp_path, "y", src, workers=1)
    assert calls == ["2017"]
    # the first try read the clock too: compare all but the times (and the hashes over them)
    content = "SELECT seq, id, type, schema_version, town, period, payload FROM events ORDER BY seq"
    assert sqlite3.connect(x).execute(content).fetchall() == \
        sqlite3.connect(y).execute(content).fetchall()
    with ledger.open(x) as lg:
        assert lg.verify() == lg.store.count()


def test_after_an_error_the_reading_process_is_gone_at_once(tmp_path):
    """Even while the caller keeps the exception (and so the frames that hold the items)."""
    recs = records(3000)
    recs[20]["clause"] = "Z99.9"
    src = write_jsonl(tmp_path / "bad.jsonl", recs)
    with ledger.open(tmp_path / "e.db") as lg:
        try:
            lg.import_file(src, workers=2)
        except LedgerError as exc:
            kept = exc
    assert str(kept).startswith("line 21: ")
    found = subprocess.run(["pgrep", "-P", str(os.getpid()), "-f", "ledger.importing.readahead"],
                           capture_output=True, text=True).stdout.split()
    assert found == [], found


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_both_roads_agree_on_each_backend(request, tmp_path, kind):
    """On PostgreSQL too (its reader inside the transaction, its COPY path): the same head."""
    from support.backends import ledger_location
    server = request.getfixturevalue("pg_server") if kind == "postgresql" else None
    src = write_jsonl(tmp_path / "in.jsonl", records(400))
    heads = []
    for workers in (1, 2):
        (tmp_path / str(workers)).mkdir()
        with ledger_location(kind, tmp_path / str(workers), server) as url:
            with ledger.open(url, clock=clock()) as lg:
                lg.import_file(src, workers=workers)
                heads.append(str(lg.head()))
                assert lg.verify() == lg.head().seq
    assert heads[0] == heads[1]


def test_a_message_cut_short_is_a_stopped_reader_not_a_crash():
    import io
    body = b"x" * 10
    assert pipeline._receive(io.BytesIO(pipeline.HEADER.pack(100) + body)) is None
    assert pipeline._receive(io.BytesIO(b"\x01")) is None


def test_the_reading_process_starts_without_the_application():
    # the reader imports only what it runs: not the application and the layers above it
    code = ("import sys, ledger.importing.readahead; "
            "print(sorted(m for m in sys.modules if m.startswith(('ledger.application', "
            "'ledger.projections', 'ledger.readmodel', 'ledger.exports', 'ledger.cli'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
    assert ledger.open.__module__ == "ledger.application"  # still there on first use


@pytest.mark.skipif(not hasattr(__import__("fcntl"), "F_GETPIPE_SZ"), reason="Linux only")
def test_the_pipe_holds_a_whole_message():
    import fcntl
    r, w = os.pipe()
    try:
        with os.fdopen(r, "rb") as stream:
            assert fcntl.fcntl(stream.fileno(), fcntl.F_GETPIPE_SZ) < pipeline.PIPE_BYTES
            pipeline._widen(stream)
            assert fcntl.fcntl(stream.fileno(), fcntl.F_GETPIPE_SZ) == pipeline.PIPE_BYTES
    finally:
        os.close(w)
