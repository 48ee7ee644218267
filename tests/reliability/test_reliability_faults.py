"""Resource faults on real files: read-only file, read-only directory and file system,
a full disk, a ledger whose path disappears.

Each case asks two things: the failure is a clear ``LedgerError`` (through the CLI: exit
1 and exactly one stderr line starting ``error:``, no traceback), and the ledger is
intact afterwards (``verify(digest)`` of the head taken before passes, nothing partial).

How the faults are made, as root (tests run as root, where ``chmod 0o444`` stops nothing):

* read-only file / directory: ``chattr +i`` (the immutable attribute, which binds root
  too), removed again in a ``finally``; skipped where ``chattr`` does not work.
* read-only file system: a small ``tmpfs`` remounted ``ro``.
* disk full: a ``tmpfs`` of 2 MiB (``mount -t tmpfs -o size=2m``), then a filler file
  for "completely full". Where mounting is not permitted these tests skip; the
  ``max_page_count`` test below gives a disk-full condition without mounting, through
  the store's own connection (``lg.store.conn``): the limit is per connection and
  not persistent, so the public API alone cannot set it.
* path disappears: the directory is removed with ``shutil.rmtree``.

Bugs this suite found are fixed; their tests stay as regression tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import ledger
from ledger.errors import LedgerError
from support.workers import finding, setup_records

PY = sys.executable
ROOT = Path(__file__).resolve().parents[2]


# -- helpers ------------------------------------------------------------------------

# these tests read English words (messages are Chinese by default)
ENGLISH = {**os.environ, "LEDGER_LANG": "en"}


def cli(db: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "ledger", "--db", str(db), *map(str, args)],
                          capture_output=True, env=ENGLISH, text=True, timeout=120, cwd=ROOT)


def assert_cli_error(r: subprocess.CompletedProcess, *words: str) -> str:
    lines = r.stderr.splitlines()
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert "Traceback" not in r.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def make_ledger(path: Path, findings: int = 3) -> str:
    """A closed ledger (no -wal/-shm left) with the setup and some findings; its head."""
    with ledger.open(path) as lg:
        lg.append(setup_records() + [finding(f"base-{i}", i) for i in range(findings)])
        head = str(lg.head())
    assert not Path(f"{path}-wal").exists()
    return head


def assert_intact(path: Path, head: str) -> None:
    with ledger.open(path) as lg:
        assert str(lg.head()) == head, "the ledger changed"
        lg.verify(head)


def write_findings(path: Path, n: int, prefix: str, note_size: int = 0) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for k in range(n):
            rec = finding(f"{prefix}{k}", k)
            if note_size:
                rec["note"] = "记" * note_size
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


@contextlib.contextmanager
def immutable(*paths: Path):
    """``chattr +i`` on ``paths`` for the block (binds root too); skip if unsupported."""
    if os.geteuid() != 0:
        pytest.skip("needs root for chattr +i")
    done = []
    try:
        for p in paths:
            r = subprocess.run(["chattr", "+i", str(p)], capture_output=True, text=True)
            if r.returncode:
                pytest.skip(f"chattr +i does not work here: {r.stderr.strip()}")
            done.append(p)
        yield
    finally:
        for p in done:
            subprocess.run(["chattr", "-i", str(p)], check=True)


@pytest.fixture
def tmpfs(tmp_path):
    """``tmpfs(size)`` mounts a fresh tmpfs under tmp_path (skips where not permitted)."""
    mounts = []

    def mount(size: str = "2m") -> Path:
        d = tmp_path / f"mnt{len(mounts)}"
        d.mkdir()
        if os.geteuid() != 0:
            pytest.skip("mounting a tmpfs needs root")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(d)],
                           capture_output=True, text=True)
        if r.returncode:
            pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
        mounts.append(d)
        return d

    yield mount
    for d in reversed(mounts):
        subprocess.run(["umount", "-l", str(d)], check=False)


# -- read-only file -------------------------------------------------------------------

def test_read_only_ledger_file_refuses_writes_clearly_and_stays_intact(tmp_path):
    """The ledger file itself immutable (its directory writable): it still opens and
    scores, an append or import is a clear LedgerError, and nothing changes."""
    db = tmp_path / "ro.db"
    head = make_ledger(db)
    batch = tmp_path / "batch.jsonl"
    write_findings(batch, 50, "ro-")
    with immutable(db):
        with ledger.open(db) as lg:
            assert lg.score("沙溪镇", "2017").total is not None
            with pytest.raises(LedgerError, match="readonly|read-only|read only"):
                lg.append([finding("ro-x", 1)])
            with pytest.raises(LedgerError):
                lg.import_file(batch)
            assert str(lg.head()) == head
        assert_cli_error(cli(db, "import", batch), "cannot write ledger")
        assert cli(db, "verify").returncode == 0
    assert_intact(db, head)


# -- read-only directory / file system -------------------------------------------------

def _open_in_read_only_place(how: str, tmp_path: Path, tmpfs) -> tuple[Path, str, contextlib.AbstractContextManager]:
    if how == "chattr-dir":
        d = tmp_path / "rodir"
        d.mkdir()
        db = d / "audit.db"
        return db, make_ledger(db), immutable(d)
    d = tmpfs("4m")
    db = d / "audit.db"
    head = make_ledger(db)

    @contextlib.contextmanager
    def read_only_mount():
        r = subprocess.run(["mount", "-o", "remount,ro", str(d)], capture_output=True, text=True)
        if r.returncode:
            pytest.skip(f"cannot remount read-only: {r.stderr.strip()}")
        try:
            yield
        finally:
            subprocess.run(["mount", "-o", "remount,rw", str(d)], check=True)
    return db, head, read_only_mount()


@pytest.mark.parametrize("how", ["chattr-dir", "ro-mount"])
def test_ledger_in_a_read_only_place_fails_clearly_and_stays_intact(tmp_path, tmpfs, how):
    """A closed ledger in an immutable directory or on a read-only file system (SQLite
    cannot create the -wal/-shm files beside it): every command is a clear LedgerError /
    one ``error:`` line, exit 1; and the ledger is intact once writable again."""
    db, head, read_only = _open_in_read_only_place(how, tmp_path, tmpfs)
    batch = tmp_path / "batch.jsonl"
    write_findings(batch, 20, "rodir-")
    with read_only:
        try:
            with ledger.open(db) as lg:  # may open (then it must refuse the write) ...
                with pytest.raises(LedgerError):
                    lg.import_file(batch)
        except LedgerError:             # ... or refuse to open at all, clearly
            pass
        assert_cli_error(cli(db, "import", batch))
        r = cli(db, "verify")
        assert r.returncode == 0 or assert_cli_error(r)
        with pytest.raises(LedgerError):
            ledger.open(db.parent / "new.db")
        assert not (db.parent / "new.db").exists()
    assert_intact(db, head)


def test_a_ledger_on_read_only_media_is_read_and_verified_read_only(tmp_path):
    """An immutable directory (as on a CD or an archive): read commands open the ledger
    read-only, as it is, say so on stderr, and verify; writes are a clear error."""
    d = tmp_path / "rodir"
    d.mkdir()
    db = d / "audit.db"
    head = make_ledger(db)
    with immutable(d):
        with ledger.open(db, create=False) as lg:
            assert lg.verify(head) and lg.notes and "read-only" in lg.notes[0]
            assert lg.score("沙溪镇", "2017").total is not None
        r = cli(db, "verify")
        assert r.returncode == 0 and r.stdout.startswith("ok:"), r.stderr
        assert "read-only media" in r.stderr and "error" not in r.stderr
        line = assert_cli_error(cli(db, "import", tmp_path / "none.jsonl"))
        assert "not an audit ledger" not in line
    assert_intact(db, head)


# -- disk full ------------------------------------------------------------------------

@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_disk_full_during_import_appends_nothing_and_the_ledger_recovers(tmp_path, tmpfs):
    """A 2 MiB tmpfs: an import that does not fit is a clear LedgerError ('full', nothing
    written), through the API and the CLI; the ledger verifies with its old head; a small
    append still fits afterwards; once there is room the import succeeds."""
    d = tmpfs("2m")
    db = d / "audit.db"
    head = make_ledger(db)
    big = tmp_path / "big.jsonl"
    write_findings(big, 3000, "big-", note_size=200)
    with ledger.open(db) as lg:
        with pytest.raises(LedgerError, match="full.*nothing was written"):
            lg.import_file(big)
        assert str(lg.head()) == head
        lg.verify(head)
        assert lg.append([finding("small-1", 1)]) == 1  # the rolled-back space is reusable
        head = str(lg.head())
    assert_cli_error(cli(db, "import", big), "full")
    assert_intact(db, head)
    # room again (a bigger file system): the same import now succeeds, whole
    subprocess.run(["mount", "-o", "remount,size=64m", str(d)], check=True)
    r = cli(db, "import", big)
    assert r.returncode == 0, r.stderr
    with ledger.open(db) as lg:
        assert lg.verify(head) == int(head.split(":")[0]) + 3000


def _fill(directory: Path) -> Path:
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
        except OSError:
            pass
        try:
            while True:
                fh.write(b"\0" * 512)
        except OSError:
            pass
    return filler


def test_completely_full_disk_is_a_clear_error_and_the_ledger_survives(tmp_path, tmpfs):
    """Not one free block: opening or writing the ledger is a clear LedgerError / one
    ``error:`` line, a new ledger cannot be created, and once space is freed the ledger
    verifies with its old head."""
    d = tmpfs("2m")
    db = d / "audit.db"
    head = make_ledger(db)
    small = tmp_path / "small.jsonl"
    write_findings(small, 5, "full-")
    filler = _fill(d)
    with pytest.raises(LedgerError):
        with ledger.open(db) as lg:
            lg.import_file(small)
    assert_cli_error(cli(db, "import", small))
    with pytest.raises(LedgerError):
        with ledger.open(d / "new.db") as lg:
            lg.append(setup_records())
    filler.unlink()
    assert_intact(db, head)


def test_full_disk_error_does_not_call_the_ledger_foreign(tmp_path, tmpfs):
    d = tmpfs("2m")
    db = d / "audit.db"
    make_ledger(db)
    _fill(d)
    line = assert_cli_error(cli(db, "verify"))
    assert "not an audit ledger" not in line


def test_size_limited_database_without_mounting_appends_nothing(tmp_path):
    """Disk full without a mount: ``PRAGMA max_page_count`` on the store's connection caps
    the file just above its size, then a big import must fail whole and clearly."""
    db = tmp_path / "capped.db"
    head = make_ledger(db)
    big = tmp_path / "big.jsonl"
    write_findings(big, 3000, "cap-", note_size=100)
    with ledger.open(db) as lg:
        pages = lg.store.conn.execute("PRAGMA page_count").fetchone()[0]
        lg.store.conn.execute(f"PRAGMA max_page_count = {pages + 8}")
        with pytest.raises(LedgerError, match="full.*nothing was written"):
            lg.import_file(big)
        assert str(lg.head()) == head
        lg.verify(head)
    assert_intact(db, head)


# -- the path disappears -----------------------------------------------------------------

@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_ledger_whose_directory_was_deleted_between_opens_is_a_clear_error(tmp_path):
    """The directory is gone: opening is a LedgerError naming the path, the CLI prints
    one ``error:`` line for every command, and nothing is created in its place."""
    d = tmp_path / "gone"
    d.mkdir()
    db = d / "audit.db"
    make_ledger(db)
    shutil.rmtree(d)
    with pytest.raises(LedgerError) as info:
        ledger.open(db)
    assert str(db) in str(info.value)
    batch = tmp_path / "batch.jsonl"
    write_findings(batch, 3, "gone-")
    for args in (["import", batch], ["verify"], ["head"], ["score", "--town", "沙溪镇",
                                                            "--period", "2017"]):
        assert_cli_error(cli(db, *args))
    assert not d.exists()


def test_append_after_the_ledger_file_was_deleted_is_refused(tmp_path):
    d = tmp_path / "vanishing"
    d.mkdir()
    db = d / "audit.db"
    with ledger.open(db) as lg:
        lg.append(setup_records())
        shutil.rmtree(d)
        with pytest.raises(LedgerError):
            lg.append([finding("lost-1", 1)])  # today: returns 1, and the event is lost


def test_a_read_only_schema_1_ledger_is_read_as_it_is(tmp_path):
    """Schema 1 -> 2 swaps indexes when the file can be written; an immutable schema 1
    file is read (and verified) with the indexes it has."""
    from support.v1 import make_v1_ledger

    db = tmp_path / "v1.db"
    head = make_v1_ledger(db)
    with immutable(db):
        with ledger.open(db, create=False) as lg:
            assert lg.verify(head) == 4
            assert lg.score("沙溪镇", "2017").total == 100
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()
