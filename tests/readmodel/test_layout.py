"""A large import leaves each town's read-model rows on consecutive pages of the file.

The pages are read from SQLite's own ``dbstat`` table: a clustered table's leaf pages in
key order (``path`` order) must carry ascending page numbers after compaction, where the
interleaved import left them scattered.
"""

from __future__ import annotations

import sqlite3

import pytest

import ledger
from ledger.errors import TamperError
from ledger.readmodel import layout
from support.scoring import adopt, finding, town, write_jsonl

TOWNS = ["沙溪镇", "浏河镇", "璜泾镇", "双凤镇", "城厢镇"]
CLAUSES = ["A03.2", "A05.2", "A08.1", "B02.1", "B03.1"]


def interleaved(n_per_town: int) -> list[dict]:
    """Every town reporting through the year, in turn: the import's rows interleave."""
    records = [adopt()] + [town(t) for t in TOWNS]
    for i in range(n_per_town):
        for t in TOWNS:
            records.append(finding(CLAUSES[i % len(CLAUSES)], f"2017-{1 + i % 12:02d}-15",
                                   town=t, note="x" * 40))
    return records


def leaf_pages(path, table: str) -> list[int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY path",
            (table,))]
    finally:
        conn.close()


def runs(pages: list[int]) -> int:
    """How many stretches of consecutive page numbers the pages form."""
    return 1 + sum(1 for a, b in zip(pages, pages[1:]) if b != a + 1)


@pytest.fixture
def small_threshold(monkeypatch):
    monkeypatch.setattr(layout, "COMPACT_MIN", 500)  # a test-sized "large import"


def imported(tmp_path, name: str) -> ledger.Ledger:
    lg = ledger.open(tmp_path / f"{name}.db")
    lg.import_file(write_jsonl(tmp_path / "in.jsonl", interleaved(400)))
    return lg


def test_a_large_import_is_compacted_and_still_verifies(tmp_path, small_threshold):
    lg = imported(tmp_path, "big")
    cards = {t: lg.score(t, "2017").total for t in TOWNS}
    lg.close()
    pages = leaf_pages(tmp_path / "big.db", "rm_findings")
    assert len(pages) > 20 and runs(pages) == 1, pages  # one stretch, in key order
    with ledger.open(tmp_path / "big.db") as lg:
        assert lg.verify() == 1 + len(TOWNS) + 400 * len(TOWNS)  # the renamed tables pass
        assert {t: lg.score(t, "2017").total for t in TOWNS} == cards
        assert lg.rebuild() == []  # equal to a replay: nothing differed


def test_without_compaction_the_same_import_is_scattered(tmp_path, monkeypatch):
    monkeypatch.setattr(layout, "COMPACT_MIN", 10**9)  # the control: the test can fail
    imported(tmp_path, "plain").close()
    assert runs(leaf_pages(tmp_path / "plain.db", "rm_findings")) > 5


def test_a_small_import_is_not_compacted(tmp_path):
    with ledger.open(tmp_path / "small.db") as lg:
        lg.import_file(write_jsonl(tmp_path / "in.jsonl", interleaved(20)))
    conn = sqlite3.connect(tmp_path / "small.db")
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'rm_findings'").fetchone()[0]
    conn.close()
    assert '"rm_findings"' not in sql  # never renamed


def test_rebuild_compacts_too(tmp_path, small_threshold, monkeypatch):
    monkeypatch.setattr(layout, "COMPACT_MIN", 10**9)
    imported(tmp_path, "r").close()
    monkeypatch.setattr(layout, "COMPACT_MIN", 500)
    with ledger.open(tmp_path / "r.db") as lg:
        lg.rebuild()
    assert runs(leaf_pages(tmp_path / "r.db", "rm_findings")) == 1


def test_an_altered_table_under_the_quoted_name_is_still_refused(tmp_path, small_threshold):
    imported(tmp_path, "t").close()
    conn = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    conn.execute("DROP TABLE rm_facts")
    conn.execute('CREATE TABLE "rm_facts" (town TEXT, period TEXT, seq INTEGER, id TEXT, '
                 'kind TEXT, subject TEXT, start TEXT, done TEXT, recorded_at TEXT, '
                 'corrected INTEGER, evil TEXT)')
    conn.close()
    with ledger.open(tmp_path / "t.db") as lg, pytest.raises(TamperError, match="rm_facts"):
        lg.verify()
