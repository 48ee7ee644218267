"""SQL views for Datasette: they leave the ledger valid and show corrections faithfully."""

from __future__ import annotations

import json
import sqlite3

import pytest

import ledger
from ledger.demo import build_demo
from ledger.errors import LedgerError
from ledger.exports.views import VIEWS, create_views, datasette_metadata


@pytest.fixture
def demo(tmp_path):
    path = build_demo(tmp_path / "demo.db")
    with ledger.open(path) as lg:
        before = (lg.verify(), str(lg.head()))
    return path, before


def rows(path, sql, *params):
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def test_views_keep_the_ledger_valid(demo):
    path, (count, head) = demo
    assert create_views(path) == ["findings", "facts", "corrections"]
    assert create_views(path) == list(VIEWS)  # idempotent
    with ledger.open(path) as lg:
        assert lg.verify() == count and str(lg.head()) == head
        lg.append([{"type": "finding", "id": "after-views", "town": "沙溪镇", "period": "2017",
                    "clause": "B06.1", "occurred_on": "2017-12-01"}])
        assert lg.verify() == count + 1
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE events SET actor = 'x' WHERE seq = 1")
    names = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    conn.close()
    assert names == set(VIEWS)
    assert rows(path, "SELECT status FROM findings WHERE id = 'after-views'") == \
        [{"status": "live"}]


def test_findings_one_row_each_with_status(demo):
    path, _ = demo
    create_views(path)
    found = rows(path, "SELECT * FROM findings")
    events = rows(path, "SELECT id FROM events WHERE type = 'FindingRecorded' ORDER BY seq")
    assert [f["id"] for f in found] == [e["id"] for e in events]
    status = {f["id"]: f for f in found}
    assert status["t2-f001"]["status"] == "retracted"
    assert status["t2-f001"]["corrected_by"] == "t2-x1"
    amended = status["t2-f002"]
    assert (amended["status"], amended["quantity"], amended["recorded_quantity"]) == \
        ("amended", 1, 2)
    assert {f["status"] for f in found if f["id"] not in ("t2-f001", "t2-f002")} == {"live"}
    b042 = status["t2-b042a"]
    assert (b042["clause"], b042["value"], b042["town"], b042["period"]) == \
        ("B04.2", 98.5, "沙溪镇", "2017")
    assert status["t1-s1"]["source"] == "self" and json.loads(status["t2-f002"]["evidence"])
    assert status["t5-v2"]["note"].startswith("审计查出")
    assert all(f["recorded_at"].endswith("Z") and f["actor"] for f in found)


def test_facts_and_corrections(demo):
    path, _ = demo
    create_views(path)
    facts = rows(path, "SELECT * FROM facts")
    n = rows(path, "SELECT count(*) AS n FROM events WHERE type IN "
                   "('PaymentRecorded', 'ReportRecorded')")[0]["n"]
    # the demo's payment approved 12-25 is recorded unpaid, then replaced once paid (2018-01-10)
    assert len(facts) == n and {f["status"] for f in facts} == {"live", "superseded"}
    assert [f["id"] for f in facts if f["status"] == "superseded"] == ["t2-p92"]
    p90 = next(f for f in facts if f["id"] == "t2-p90")
    assert (p90["kind"], p90["subject"], p90["start_on"], p90["done_on"]) == \
        ("payment", "临救2-90", "2017-09-29", "2017-10-13")
    r90 = next(f for f in facts if f["id"] == "t2-r90")
    assert (r90["kind"], r90["start_on"], r90["done_on"]) == ("report", "2017-01-25", "2017-02-06")
    fixes = rows(path, "SELECT id, kind, target, target_type, reason, quantity FROM corrections")
    assert fixes == [
        {"id": "t2-x1", "kind": "retraction", "target": "t2-f001", "target_type": "FindingRecorded",
         "reason": "复核发现该问题系重复记录", "quantity": None},
        {"id": "t2-x2", "kind": "amendment", "target": "t2-f002", "target_type": "FindingRecorded",
         "reason": "复核后核减为1例", "quantity": 1}]


def test_superseded_facts_and_appeal_decisions(demo):
    path, _ = demo
    create_views(path)
    with ledger.open(path) as lg:
        lg.append([
            {"type": "payment", "id": "t2-p90b", "town": "沙溪镇", "period": "2017",
             "case": "临救2-90", "approved_on": "2017-09-29", "paid_on": "2017-10-12"},
            {"type": "appeal", "id": "ap-1", "town": "沙溪镇", "period": "2017",
             "findings": ["t2-f003"], "grounds": "证据不足"},
            {"type": "appeal_decision", "id": "ad-1", "appeal": "ap-1", "outcome": "upheld",
             "reason": "核实", "decided_by": "市民政局", "retractions": ["t2-f003"]},
        ])
    status = {f["id"]: f["status"] for f in rows(path, "SELECT id, status FROM facts")}
    assert (status["t2-p90"], status["t2-p90b"]) == ("superseded", "live")
    fix = rows(path, "SELECT * FROM corrections WHERE target = 't2-f003'")
    assert [(f["kind"], f["appeal_decision"]) for f in fix] == [("retraction", "ad-1")]
    assert rows(path, "SELECT status FROM findings WHERE id = 't2-f003'") == \
        [{"status": "retracted"}]
    with ledger.open(path) as lg:
        lg.append([{"type": "retraction", "id": "x-p90b", "finding": "t2-p90b",
                    "reason": "录入错误"}])
    status = {f["id"]: f["status"] for f in rows(path, "SELECT id, status FROM facts")}
    assert (status["t2-p90"], status["t2-p90b"]) == ("live", "retracted")


def test_refuses_a_file_that_is_not_a_ledger(tmp_path):
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(LedgerError, match="not an audit ledger"):
        create_views(other)
    assert rows(other, "SELECT name FROM sqlite_master WHERE type = 'view'") == []


def test_refuses_to_shadow_a_table(demo):
    path, _ = demo
    sqlite3.connect(path).execute("CREATE TABLE facts (x)").connection.close()
    with pytest.raises(LedgerError, match="'facts'"):
        create_views(path)
    assert rows(path, "SELECT name FROM sqlite_master WHERE type = 'view'") == []


def test_views_on_an_open_connection(demo):
    path, _ = demo
    with ledger.open(path) as lg:
        create_views(lg)
        assert lg.verify()
    assert len(rows(path, "SELECT * FROM corrections")) == 2


def test_datasette_metadata_describes_the_views():
    meta = datasette_metadata("demo")
    json.dumps(meta, ensure_ascii=False)
    tables = meta["databases"]["demo"]["tables"]
    assert set(VIEWS) <= set(tables) and meta["title"]
    assert "retracted" in tables["findings"]["columns"]["status"]
