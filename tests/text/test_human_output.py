"""What people read (issue 15, items 4, 6, 7, 12, 13): Chinese headers, Beijing time, English
plurals, the lists of what exists, publication receipts, and compare's directions.

One small ledger with an injected clock: 沙溪镇 has a B06.1 finding (city, recorded
2017-03-08 02:00 UTC = 10:00 Beijing), a self-evaluated B06.1, a D01.1 bonus, and a payment
approved 2017-09-29, paid 2017-10-13 (due 10-12: late by the 6th working day).
"""

from __future__ import annotations

import json
import re

import pytest

import ledger
from ledger.text.cards import render_card
from ledger.text.fmt import beijing, plural
from ledger.text.trace import render_compare, render_diff, render_explain, render_history

from support.scoring import TOWN, Clock, adopt, assert_one_error_line, finding, payment, run_cli, town

ENGLISH_HEAD = re.compile(r"\b(clause|status|before|after|events|changed|appeared|known_at)\b")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("human") / "audit.db"
    clock = Clock("2017-03-08T02:00:00Z")
    with ledger.open(path, clock=clock) as lg:
        lg.append([adopt(id="a-1"), town(TOWN, id="t-1"), town("浏河镇", id="t-2")])
        clock.advance(seconds=1)
        lg.append([finding("B06.1", id="f-1")])
        clock.set("2017-10-20T02:00:00Z")
        lg.append([finding("B06.1", id="s-1", source="self", quantity=2),
                   {**finding("D01.1", "2017-04-18", id="d-1"), "evidence": ["协议"]},
                   payment("K-1", "2017-09-29", "2017-10-13", id="p-1")])
    return path


def test_beijing_time_and_plurals():
    assert beijing("2017-05-08T02:00:00.000000Z") == "2017-05-08 10:00:00"
    assert beijing("2017-12-31T16:30:00.000001Z") == "2018-01-01 00:30:00"
    assert (plural(1, "working day"), plural(2, "working day")) == ("1 working day",
                                                                     "2 working days")


def test_card_and_explain_show_beijing_time_json_keeps_utc(db):
    with ledger.open(db) as lg:
        card = lg.score(TOWN, "2017")
        assert card.known_at == "2017-10-20T02:00:00.000002Z"      # JSON: UTC, exact
        text = render_card(card, lg.scoring_rubric("2017", card.known_at))
        assert "账本时点 2017-10-20 10:00:00（北京时间）" in text and "T02:00" not in text
        tree = lg.explain(TOWN, "2017", clause="B06.1")
        out = render_explain(tree)
        assert "记录于 2017-03-08 10:00:01" in out, out
        assert "T02:00" not in out and "known_at" not in out
    proc = run_cli("--db", db, "score", "--town", TOWN, "--period", "2017", "--json")
    assert json.loads(proc.stdout_text)["known_at"] == "2017-10-20T02:00:00.000002Z"


def test_explain_plural_working_days(db):
    with ledger.open(db) as lg:
        tree = lg.explain(TOWN, "2017", clause="C02.1")
    en = render_explain(tree, "en")
    assert "6 working days" in en           # paid on the 6th working day after approval
    assert "个工作日" in render_explain(tree)
    one = {**tree, "indicators": []}
    assert "working days" not in render_explain(one, "en")


def test_history_headers_are_chinese(db):
    with ledger.open(db) as lg:
        rows = [r.to_dict() for r in lg.history(TOWN, "2017")]
    out = render_history(rows)
    assert out.splitlines()[0].startswith("序号") and "记录于（北京时间）" in out
    assert "2017-03-08 10:00:01" in out


def test_diff_headers_and_statuses_are_chinese(db):
    with ledger.open(db) as lg:
        d = lg.diff(TOWN, "2017", {"known_at": "2017-03-08T10:00:00.500000+08:00"},
                    {"known_at": "2017-10-21"})
        board = lg.diff(None, "2017", {"known_at": "2017-03-08T10:00:00.500000+08:00"},
                        {"known_at": "2017-10-21"})
    zh = render_diff(d)
    assert "条款" in zh and "新增" in zh and "之前" in zh, zh
    assert not ENGLISH_HEAD.search(zh), zh
    assert "2017-10-21 23:59:59（北京时间）" in zh
    en = render_diff(d, "en")
    assert "clause" in en and "appeared" in en
    zb = render_diff(board)
    assert zb.splitlines()[1].startswith("镇（区、街道）") and "原名次" in zb, zb


def test_compare_direction_hides_zero_rows_and_bonus_cap(db):
    with ledger.open(db) as lg:
        d = lg.compare(TOWN, "2017")
        rubric = lg.scoring_rubric("2017", d["known_at"])
        card = lg.score(TOWN, "2017")
    bonus = frozenset(c.id for i in rubric.indicators if i.bonus for c in i.clauses)
    # a both-zero row (as a D02 lower level would give) is not shown
    d["clauses"].append({"clause": "D02.2", "self": 0, "city": 0, "self_events": [],
                         "city_events": []})
    out = render_compare(d, "zh", bonus)
    rows = {line.split()[0]: line.split() for line in out.splitlines()[3:]}
    assert rows["B06.1"][1] == "扣" and rows["D01.1"][1] == "加", out
    assert "D02.2" not in rows
    assert out.splitlines()[1].split()[:2] == ["条款", "扣/加"]
    text = render_card(card, rubric)
    d01 = next(line for line in text.splitlines() if line.startswith("D01"))
    assert "加分 上限 2" in d01, d01
    proc = run_cli("--db", db, "compare", "--town", TOWN, "--period", "2017")
    assert proc.returncode == 0 and "扣/加" in proc.stdout_text


@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_towns_periods_rubric_list(db):
    out = run_cli("--db", db, "towns").stdout_text.splitlines()
    assert out == ["2 个镇（区、街道）", f"  {TOWN}", "  浏河镇"]
    assert json.loads(run_cli("--db", db, "towns", "--json").stdout_text) == [TOWN, "浏河镇"]
    assert json.loads(run_cli("--db", db, "periods", "--json").stdout_text) == [
        {"period": "2017", "rubric": "taicang-2017"}]
    assert run_cli("--db", db, "periods", "--lang", "en").stdout_text.startswith("1 period\n")
    listed = run_cli("rubric", "list").stdout_text
    assert "taicang-2017" in listed


@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_publish_receipt_publications_and_reproduce_from_the_receipt(db, tmp_path):
    import shutil
    copy = tmp_path / "pub.db"
    shutil.copy(db, copy)
    proc = run_cli("--db", copy, "publish", "--town", TOWN, "--period", "2017")
    assert proc.returncode == 0, proc.stderr_text
    receipt = proc.stdout_text
    pub_id = receipt.splitlines()[0]
    assert re.fullmatch(r"pub-[0-9a-f]{16}", pub_id)
    for part in (f"镇（区、街道）: {TOWN}", "年度: 2017", "总分: 100.3", "等次: 优秀",
                 "截至（as_of）: 2018-02-28",
                 "账本时点（known_at）: 2017-10-20 10:00:00 (北京时间) = 2017-10-20T02:00:00.000002Z",
                 "链头（chain head）: 7:", f"公布编号: {pub_id}"):
        assert part in receipt, (part, receipt)
    # base 100 - 0.1 (B06.1) - 0.1 (the late payment) = 99.8; bonus D01.1 0.5: total 100.3
    (tmp_path / "receipt.txt").write_text(receipt, encoding="utf-8")
    again = run_cli("--db", copy, "reproduce", tmp_path / "receipt.txt")
    assert again.returncode == 0 and pub_id in again.stdout_text, again.stderr_text
    listed = run_cli("--db", copy, "publications", "--json")
    rows = json.loads(listed.stdout_text)
    assert [r["id"] for r in rows] == [pub_id] and rows[0]["town"] == TOWN
    assert rows[0]["chain_head"].startswith("7:")
    table = run_cli("--db", copy, "publications").stdout_text
    assert table.startswith("1 次公布") and pub_id in table


def test_future_known_at_is_warned_about(db):
    proc = run_cli("--db", db, "score", "--town", TOWN, "--period", "2017", "--known-at",
                   "2999-01-01")
    assert proc.returncode == 0
    warning = proc.stderr_text.strip()
    assert warning.startswith("warning: known_at 2999-01-01 在将来"), warning
    past = run_cli("--db", db, "score", "--town", TOWN, "--period", "2017", "--known-at",
                   "2017-12-01")
    assert past.stderr_text == ""
