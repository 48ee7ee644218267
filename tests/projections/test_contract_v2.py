"""Contract v2's readings, hand-computed from the seed's words (太政民〔2017〕72号).

Each expected number below is worked out in the comment above it from the seed's
评价标准 sentence and spec/clause-ids.md "Readings"; nothing is computed from the rubric.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

import ledger
from ledger.dates.workdays import is_working_day
from ledger.text.cards import render_board, render_card
from ledger.text.trace import render_explain
from support.scoring import (
    PERIOD,
    TOWN,
    Env,
    env,  # noqa: F401  (fixture)
    finding,
    payment,
    report,
)

D = Decimal


# ------------------------------------------------------------------ 1. condition clauses
def test_three_b09_1_findings_deduct_1_once(env):
    # "7月底前未完成清退整改工作，扣1分" is one deduction: three findings -> 1; B09 5 -> 4; 99
    env.append([finding("B09.1", "2017-07-31"), finding("B09.1", "2017-08-15"),
                finding("B09.1", "2017-11-30")])
    card = env.score()
    line = card.line("B09.1")
    assert (line.amount, line.quantity, len(line.events)) == (D(1), 1, 3)
    assert card.indicator("B09").score == D(4) and card.total == D(99)
    assert line.repeated == line.events[1:]  # the later two are evidence only


def test_two_b08_3_findings_deduct_2_not_4(env):
    # "年审没有落实扣2分": two findings -> 2 once; B08 4 -> 2; total 98
    env.append([finding("B08.3", "2017-04-01"), finding("B08.3", "2017-09-01")])
    card = env.score()
    assert card.line("B08.3").amount == D(2)
    assert card.indicator("B08").score == D(2) and card.total == D(98)


def test_two_a05_4_findings_deduct_half_once_and_only_at_year_end(env):
    # "全年无1例…临时救助，扣0.5分": a whole-year condition, known at 12-31: two findings ->
    # 0.5 once; A05 4 -> 3.5; total 99.5. Before 12-31 it cannot occur.
    env.append([finding("A05.4", "2017-12-31"), finding("A05.4", "2018-01-15")])
    assert env.score().total == D("99.5")
    assert env.score(as_of="2017-12-30").total == D(100)
    assert env.score(as_of="2017-12-31").line("A05.4").amount == D("0.5")
    with pytest.raises(ledger.LedgerError, match="occurred_on.*before the deadline 2017-12-31"):
        env.append([finding("A05.4", "2017-03-01")])


def test_a_condition_whose_first_finding_is_retracted_still_deducts_once(env):
    # the second finding supports the same condition: still 0.5 (A01.2), total 99.5
    first, second = finding("A01.2", "2017-03-01"), finding("A01.2", "2017-06-01")
    env.append([first, second])
    env.append([{"type": "retraction", "id": "x-1", "finding": first["id"], "reason": "重复"}])
    card = env.score()
    assert card.line("A01.2").events == (second["id"],) and card.total == D("99.5")


def test_explain_lists_further_condition_findings_as_evidence(env):
    env.append([finding("B08.3", "2017-04-01", id="c-1"), finding("B08.3", "2017-09-01", id="c-2")])
    tree = env.lg.explain(TOWN, PERIOD, clause="B08.3")
    node = tree["indicators"][0]["clauses"][0]
    assert node["condition"] is True and node["amount"] == D(2)
    assert [(e["id"], e["counted"]) for e in node["events"]] == [("c-1", True), ("c-2", False)]
    text = render_explain(tree)
    assert "c-2" in text and "条件条款每镇每期至多扣一次" in text
    assert "at most once per town and period" in render_explain(tree, lang="en")


# ------------------------------------------------------------------ 2. the assessment window
def test_as_of_in_the_window_is_accepted_and_the_default_is_its_end(env):
    assert env.score(as_of="2018-01-31").as_of == date(2018, 1, 31)
    assert env.score().as_of == date(2018, 2, 28)
    with pytest.raises(ledger.LedgerError, match="2017-01-01 to 2018-02-28"):
        env.score(as_of="2018-03-01")


def test_payment_approved_12_25_paid_01_10_is_late(env):
    # approved Mon 12-25: working days after it 12-26, 27, 28, 29, then 2018-01-01 is the
    # New Year holiday, so 01-02 is the 5th: paid 01-10 is late -> 0.1; total 99.9
    env.append([payment("K-1", "2017-12-25", "2018-01-10")])
    card = env.score()
    assert card.line("C02.1").amount == D("0.1") and card.total == D("99.9")
    assert card.line("C02.1").late[0].deadline == date(2018, 1, 2)


def test_unpaid_payment_approved_12_25_is_late_from_01_03(env):
    env.append([payment("K-2", "2017-12-25")])
    assert env.score(as_of="2018-01-02").line("C02.1") is None
    assert env.score(as_of="2018-01-03").line("C02.1").amount == D("0.1")
    assert env.score().total == D("99.9")  # and it counts in the final card


def test_unpaid_payment_approved_12_29_is_late_from_01_09(env):
    # approved Fri 12-29: 01-02 (1st), 01-03, 01-04, 01-05, Mon 01-08 (5th): late from 01-09
    env.append([payment("K-3", "2017-12-29")])
    assert env.score(as_of="2018-01-08").line("C02.1") is None
    assert env.score(as_of="2018-01-09").line("C02.1").amount == D("0.1")


def test_report_due_12_29_submitted_01_05_is_4_working_days_late(env):
    # (12-29, 01-05]: 12-30/31 weekend, 01-01 holiday, then 01-02, 03, 04, 05 -> 4 -> 0.4
    env.append([report("年终总结", "2017-12-29", "2018-01-05")])
    card = env.score()
    assert card.line("A09.1").quantity == 4 and card.line("A09.1").amount == D("0.4")
    assert card.total == D("99.6")


def test_the_self_evaluation_due_by_the_end_of_february_can_be_recorded(env):
    # "于次年2月底前…自评价": due 2018-02-28; unsubmitted, as of the window's end it is not
    # yet late ((02-28, 02-28] is empty); its A09.3 finding may fall in the window too.
    env.append([report("2017年度绩效自评价", "2018-02-28"),
                finding("A09.3", "2018-02-28", note="自评价未上报")])
    card = env.score()
    assert card.line("A09.1") is None and card.line("A09.3").amount == D("0.5")


def test_approvals_stay_inside_the_period(env):
    with pytest.raises(ledger.LedgerError, match="approved_on.*2018-01-02 is outside period 2017"):
        env.append([payment("K-9", "2018-01-02")])


# ------------------------------------------------------------------ 3. due dates off rest days
def test_report_due_sunday_03_12_submitted_monday_is_on_time(env):
    # Sun 2017-03-12 moves to Mon 03-13 (民法典 第二百零三条): submitted 03-13 -> on time;
    # a second report submitted Tue 03-14 -> 1 working day late -> 0.1
    env.append([report("2月报表", "2017-03-12", "2017-03-13"),
                report("2月统计", "2017-03-12", "2017-03-14")])
    card = env.score()
    line = card.line("A09.1")
    assert (line.amount, line.quantity, len(line.events)) == (D("0.1"), 1, 1)
    assert line.late[0].moved_due == date(2017, 3, 13)


def test_explain_shows_the_moved_due_date_and_cites_the_rule(env):
    env.append([report("2月统计", "2017-03-12", "2017-03-14", id="r-1")])
    tree = env.lg.explain(TOWN, PERIOD, clause="A09.1")
    event = tree["indicators"][0]["clauses"][0]["events"][0]
    assert event["start"] == "2017-03-12" and event["deadline"] == "2017-03-13"
    assert event["due_moved"]["to"] == "2017-03-13"
    assert event["due_moved"]["rule"] == "民法典 第二百零三条"
    text = render_explain(tree)
    assert "顺延至 2017-03-13" in text and "民法典 第二百零三条" in text


def test_spring_festival_and_new_year_2018_working_days():
    # the State Council's 2018 calendar: 01-01 off; 02-15…02-21 off; Sun 02-11 and Sat 02-24
    # are make-up working days (Sat 02-10 is not)
    assert not is_working_day(date(2018, 1, 1))
    assert [is_working_day(date(2018, 2, d)) for d in range(15, 22)] == [False] * 7
    assert is_working_day(date(2018, 2, 11)) and is_working_day(date(2018, 2, 24))
    assert not is_working_day(date(2018, 2, 10)) and is_working_day(date(2018, 2, 22))


def test_reports_across_the_2018_spring_festival(env):
    # due Sat 02-10 moves to the make-up Sunday 02-11 (a working day), so submitted Mon 02-12
    # is (02-11, 02-12] = 1 working day late -> 0.1.
    # due Wed 02-14, submitted Mon 02-26: (02-14, 02-26] holds 02-22, 02-23, Sat 02-24
    # (make-up), 02-26 -> 4 -> 0.4 (02-15…02-21 are the holiday, Sun 02-25 a rest day).
    # due Mon 2018-01-01 (New Year) moves to 01-02: submitted 01-02 is on time.
    env.append([report("1月报表", "2018-02-10", "2018-02-12"),
                report("春节值班报告", "2018-02-14", "2018-02-26"),
                report("12月报表", "2018-01-01", "2018-01-02")])
    line = env.score().line("A09.1")
    assert sorted(item.units for item in line.late) == [1, 4]
    assert line.amount == D("0.5")


# ------------------------------------------------------------------ 4. unit ceilings
def test_a09_3_at_most_three_reports(env):
    # "年审报告、救助工作绩效自评价、年终工作总结未上报的，每例扣0.5分": three reports are
    # named, so quantities 2 + 2 count 3 -> 1.5; A09 3 -> 1.5; total 98.5
    env.append([finding("A09.3", "2017-12-31", quantity=2),
                finding("A09.3", "2018-02-28", quantity=2)])
    card = env.score()
    line = card.line("A09.3")
    assert (line.amount, line.quantity, line.capped, line.ceiling) == (D("1.5"), 3, True, 3)
    assert card.total == D("98.5")
    assert "A09.3 1.5（封顶3）" in render_card(card)
    assert "capped at 3" in render_card(card, lang="en")
    text = render_explain(env.lg.explain(TOWN, PERIOD, clause="A09.3"))
    assert "封顶3，超出部分不扣分" in text


@pytest.mark.parametrize("clause, quantity, counted, ceiling", [
    ("A08.1", 100, 96, 96),   # 8个项目 × 12 months
    ("A08.2", 97, 96, 96),
    ("A08.4", 13, 12, 12),    # 12 months
    ("B01.1", 14, 12, 12),    # 每推迟1个月: at most 12 months
    ("A03.1", 4, 3, 3),       # 三项政策
])
def test_unit_ceilings(env, clause, quantity, counted, ceiling):
    env.append([finding(clause, "2017-12-31", quantity=quantity)])
    line = env.score().line(clause)
    assert (line.quantity, line.capped, line.ceiling) == (counted, True, ceiling)


def test_below_the_ceiling_nothing_is_capped(env):
    env.append([finding("B01.1", "2017-06-30", quantity=2)])  # 2 months late -> 2
    line = env.score().line("B01.1")
    assert (line.amount, line.capped) == (D(2), False)


# ------------------------------------------------------------------ 6. vetoed towns rank last
EIGHT = ["城厢镇", "沙溪镇", "浏河镇", "浮桥镇", "璜泾镇", "双凤镇", "娄东街道", "港区"]


def test_a_single_vetoed_town_among_eight_ranks_8th(ledger_url):
    # 港区 has no deduction (100) but a V2 veto: it ranks 8th, after 浮桥镇's 99.5 (A01.2);
    # the other six tie at 100 and share rank 1; 浮桥镇 is 7th
    e = Env(ledger_url, towns=EIGHT)
    try:
        e.append([finding("V2", "2017-11-02", town="港区"),
                  finding("A01.2", "2017-05-01", town="浮桥镇")])
        board = e.lg.scoreboard(PERIOD)
        rows = [(s.rank, s.town, s.total, s.grade) for s in board.towns]
        assert rows[-1] == (8, "港区", D(100), "不合格")
        assert rows[-2] == (7, "浮桥镇", D("99.5"), "优秀")
        assert {r[0] for r in rows[:6]} == {1}
        assert board.to_dict()["towns"][-1]["rank"] == 8
        assert render_board(board).rstrip().splitlines()[-1].split()[:2] == ["8", "港区"]
    finally:
        e.close()


def test_vetoed_towns_tie_among_themselves(ledger_url):
    # two vetoed towns at 100 share rank 2 after the one unvetoed town (99.9): 1, 2, 2
    e = Env(ledger_url, towns=["甲镇", "乙镇", "丙镇"])
    try:
        e.append([finding("V1", town="甲镇"), finding("V4", town="乙镇"),
                  finding("B06.1", town="丙镇")])
        rows = [(s.rank, s.town) for s in e.lg.scoreboard(PERIOD).towns]
        assert rows == [(1, "丙镇"), (2, "乙镇"), (2, "甲镇")]  # 乙 U+4E59 < 甲 U+7532
    finally:
        e.close()


def test_vetoed_town_ranks_last_in_every_export(ledger_url, tmp_path):
    import csv
    import json

    import openpyxl

    from ledger.exports import export

    e = Env(ledger_url, towns=EIGHT)
    try:
        e.append([finding("V2", "2017-11-02", town="港区"),
                  finding("A01.2", "2017-05-01", town="浮桥镇"),
                  finding("A09.3", "2017-12-31", town="沙溪镇", quantity=5),
                  finding("B08.3", "2017-04-01", town="双凤镇"),
                  finding("B08.3", "2017-09-01", town="双凤镇")])
        out = {fmt: export(e.lg, PERIOD, fmt, tmp_path / f"board.{fmt}")
               for fmt in ("json", "csv", "xlsx", "html")}
        data = json.loads(out["json"].read_text(encoding="utf-8"))
        assert [(t["rank"], t["town"]) for t in data["scoreboard"]["towns"]][-1] == (8, "港区")
        with out["csv"].open(encoding="utf-8-sig", newline="") as f:
            towns = list(dict.fromkeys(r["town"] for r in csv.DictReader(f)))
        assert towns[-1] == "港区"
        ws = openpyxl.load_workbook(out["xlsx"]).worksheets[0]
        # the title row, the header, then the eight towns (rows 3 to 10)
        assert (ws.cell(row=10, column=1).value, ws.cell(row=10, column=2).value) == (8, "港区")
        html = out["html"].read_text(encoding="utf-8")
        assert html.index(">港区<") > html.index(">浮桥镇<")
        assert '<td class="n">8</td><td><a href="#town-8">港区</a>' in html
        assert "封顶3" in html and "本条仅作证据" in html   # 沙溪镇's A09.3, 双凤镇's B08.3
    finally:
        e.close()


def test_the_demo_shows_the_v2_readings(ledger_url, tmp_path):
    from support.backends import demo_into

    with ledger.open(demo_into(ledger_url, tmp_path)) as lg:
        board = lg.scoreboard(PERIOD, known_at="2018-12-31")
        assert board.as_of == date(2018, 2, 28)
        assert (board.towns[-1].town, board.towns[-1].rank, board.towns[-1].vetoes) == (
            "璜泾镇", 8, ("t5-v2",))
        # 浮桥镇: two B08.3 findings, one deduction of 2
        fq = lg.score("浮桥镇", PERIOD, known_at="2018-12-31").line("B08.3")
        assert (fq.amount, fq.repeated) == (D(2), ("t4-b083b",))
        sx = lg.score("沙溪镇", PERIOD, known_at="2018-12-31")
        # the payment approved 12-25, paid 2018-01-10: late (its later record replaces the first)
        assert "t2-p92b" in sx.line("C02.1").events
        # due on National Day 10-01, moved to 10-09, submitted 10-11: 2 working days
        late = {item.fact: item for item in sx.line("A09.1").late}
        assert (late["t2-r92"].units, late["t2-r92"].moved_due) == (2, date(2017, 10, 9))
        assert late["t2-r91"].units == 4  # the year-end summary, due in the window
        # 港区's self-evaluation, due "于次年2月底前", never reported: A09.3 in the window
        gq = lg.score("港区", PERIOD, known_at="2018-12-31")
        assert gq.line("A09.3").events == ("t8-a093",)
        assert lg.score("港区", PERIOD, as_of="2018-02-27", known_at="2018-12-31").line("A09.3") is None
