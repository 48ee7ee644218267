"""Issue 13, items 6 and 7: no command loses a ledger.

``export -o`` never replaces the ledger it reads (nor its -wal/-shm), any other SQLite file
or a non-regular file, and writes atomically. ``demo`` replaces only a file holding exactly
the demo's own events."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import ledger
from ledger.demo import build_demo
from ledger.errors import LedgerError
from ledger.exports import _write, export

ROOT = Path(__file__).resolve().parents[2]
TOWN = "沙溪镇"


# these tests read English words (messages are Chinese by default)
ENGLISH = {**os.environ, "LEDGER_LANG": "en"}


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ledger", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env={**ENGLISH, "PYTHONPATH": str(ROOT)})


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def small_ledger(path: Path) -> Path:
    with ledger.open(path) as lg:
        lg.append([{"type": "adopt", "id": "a", "period": "2017", "rubric": "taicang-2017"},
                   {"type": "town", "id": "t1", "name": TOWN},
                   {"type": "finding", "id": "f1", "town": TOWN, "period": "2017",
                    "clause": "B06.1", "occurred_on": "2017-03-01"}])
    return path


@pytest.mark.parametrize("fmt", ["csv", "html", "xlsx", "json"])
def test_export_over_the_ledger_itself_is_refused_and_the_ledger_kept(tmp_path, fmt):
    """Before: exit 0, and audit.db was the CSV."""
    db = small_ledger(tmp_path / "audit.db")
    before = digest(db)
    r = cli(tmp_path, "--db", "audit.db", "export", "--period", "2017", "--format", fmt,
            "-o", "audit.db")
    assert r.returncode == 1 and r.stderr.startswith("error: refusing to export over")
    assert "the ledger being read" in r.stderr
    assert digest(db) == before
    with ledger.open(db) as lg:
        assert lg.verify() == 3


def test_export_over_the_ledger_by_another_path_or_a_link_is_refused(tmp_path):
    db = small_ledger(tmp_path / "audit.db")
    (tmp_path / "sub").mkdir()
    os.symlink(db, tmp_path / "link.db")
    with ledger.open(db) as lg:
        for target in (tmp_path / "sub" / ".." / "audit.db", tmp_path / "link.db",
                       Path(str(db) + "-wal")):
            with pytest.raises(LedgerError, match="refusing to export over"):
                export(lg, "2017", "csv", target)
        assert lg.verify() == 3


def test_export_over_another_sqlite_file_or_a_device_is_refused(tmp_path):
    db = small_ledger(tmp_path / "audit.db")
    other = small_ledger(tmp_path / "other-ledger.db")
    plain = tmp_path / "plain.sqlite"
    sqlite3.connect(plain).execute("CREATE TABLE t (x)").connection.close()
    kept = {p: digest(p) for p in (other, plain)}
    with ledger.open(db) as lg:
        for target in (other, plain):
            with pytest.raises(LedgerError, match="an SQLite database"):
                export(lg, "2017", "json", target)
        with pytest.raises(LedgerError, match="not a regular file"):
            export(lg, "2017", "json", Path("/dev/null"))
    assert {p: digest(p) for p in kept} == kept
    assert Path("/dev/null").is_char_device()


def test_export_replaces_an_earlier_export(tmp_path):
    db = small_ledger(tmp_path / "audit.db")
    out = tmp_path / "2017.csv"
    out.write_text("an older export", encoding="utf-8")
    with ledger.open(db) as lg:
        export(lg, "2017", "csv", out)
    assert out.read_text(encoding="utf-8-sig").startswith("town,period")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_failed_export_leaves_the_old_file_intact_and_no_temporary_file(tmp_path):
    out = tmp_path / "report.html"
    out.write_text("the old report", encoding="utf-8")

    def half_then_fail(tmp: Path):
        tmp.write_text("half a rep", encoding="utf-8")
        raise OSError(28, "No space left on device")

    with pytest.raises(LedgerError, match="No space left on device"):
        _write(out, half_then_fail)
    assert out.read_text(encoding="utf-8") == "the old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_demo_refuses_a_demo_ledger_with_anything_appended(tmp_path):
    """Before: a ledger whose first event is the demo's adoption was deleted and rebuilt,
    whatever was appended later (a real finding and a publication were lost)."""
    db = build_demo(tmp_path / "demo.db")
    with ledger.open(db) as lg:
        lg.append([{"type": "finding", "id": "real-1", "town": TOWN, "period": "2017",
                    "clause": "B06.1", "occurred_on": "2017-12-01", "note": "真实发现"}])
        n = lg.verify()
    before = digest(db)
    r = cli(tmp_path, "--db", "demo.db", "demo")
    assert r.returncode == 1 and "not a demo ledger" in r.stderr and "'real-1'" in r.stderr
    assert digest(db) == before
    with ledger.open(db) as lg:
        assert lg.verify() == n and lg.store.get("real-1") is not None
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("demo.db")) == []


def test_demo_refuses_a_ledger_that_starts_like_the_demo_but_differs(tmp_path):
    db = tmp_path / "look.db"
    with ledger.open(db) as lg:
        lg.append([{"type": "adopt", "id": "demo-adopt-2017", "period": "2017",
                    "rubric": "taicang-2017", "actor": "市民政局"},
                   {"type": "town", "id": "town-1", "name": "别的镇", "actor": "市民政局"}])
    before = digest(db)
    with pytest.raises(LedgerError, match="not a demo ledger: its event 2 \\('town-1'\\)"):
        build_demo(db)
    assert digest(db) == before


def test_demo_rebuilds_its_own_ledger_and_refuses_what_is_no_ledger(tmp_path):
    db = build_demo(tmp_path / "demo.db")
    with ledger.open(db) as lg:
        head = str(lg.head())
    build_demo(db)  # exactly the demo's events: replaced by a fresh build
    with ledger.open(db) as lg:
        assert str(lg.head()) == head and lg.verify() > 0
    for name, content in (("empty.db", b""), ("notes.db", b"not a database")):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(LedgerError, match="not a demo ledger"):
            build_demo(tmp_path / name)
        assert (tmp_path / name).read_bytes() == content
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(LedgerError, match="not a regular file"):
        build_demo(tmp_path / "dir.db")
