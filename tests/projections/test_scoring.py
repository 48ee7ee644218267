"""Scoring against the Taicang 2017 rubric, every expected number computed by hand.

Sources: the seed 太政民〔2017〕72号 (the 评价标准 column), spec/clause-ids.md (ids, units,
fixed readings) and spec/interchange.md (time rules, JSON). Each test says how its
numbers were obtained. Working days follow the State Council's 2017 holiday notice
(国办发明电〔2016〕17号): Spring Festival 01-27..02-02 off, make-up Sun 01-22 and Sat 02-04;
Dragon Boat 05-28..05-30 off, make-up Sat 05-27; National Day + Mid-Autumn 10-01..10-08 off,
make-up Sat 09-30.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from support.scoring import (
    BUNDLED_FILE,
    PERIOD,
    REVISED,
    TOWN,
    Env,
    amendment,
    deduction_findings,
    env,  # noqa: F401  (fixture)
    finding,
    needs_revised,
    payment,
    report,
    run_cli,
    sha256_of,
)

D = Decimal


def amt(card, clause):
    """A clause's raw amount, 0 when it has no line. Used for derived clauses (C02.1, A09.1)
    where the contract does not say whether an on-time payment/report is listed at 0."""
    line = card.line(clause)
    return D(0) if line is None else line.amount


def only_line(card, clause):
    line = card.line(clause)
    assert line is not None, f"no line for {clause}"
    return line


# -------------------------------------------------------------------------------------------
# per-unit sums and the indicator bound (扣完为止)
# -------------------------------------------------------------------------------------------
def test_per_unit_quantity_b06_1(env):
    # B06.1 少一次公示每例扣0.1分; quantity 3 -> 3 × 0.1 = 0.3; B06 (5) -> 4.7; total 99.7
    f = finding("B06.1", quantity=3)
    env.append([f])
    card = env.score()
    line = only_line(card, "B06.1")
    assert line.amount == D("0.3")
    assert line.quantity == 3
    assert tuple(line.events) == (f["id"],)
    assert card.indicator("B06").score == D("4.7")
    assert (card.base, card.bonus, card.total) == (D("99.7"), D(0), D("99.7"))
    assert card.grade == "优秀"


def test_per_unit_sums_across_findings(env):
    # B06.1 quantity 3 and quantity 2 -> 5 cases × 0.1 = 0.5; B06 -> 4.5; total 99.5
    f1, f2 = finding("B06.1", quantity=3), finding("B06.1", "2017-04-01", quantity=2)
    env.append([f1, f2])
    card = env.score()
    line = only_line(card, "B06.1")
    assert line.amount == D("0.5")
    assert line.quantity == 5
    assert list(line.events) == [f1["id"], f2["id"]]
    assert card.indicator("B06").score == D("4.5")
    assert card.total == D("99.5")


def test_bound_b07_ten_cases_floor_at_zero(env):
    # B07.1 错保、漏保或重复保 每例扣0.5分; 10 findings -> raw 10 × 0.5 = 5.0 > B07's 4 points
    # -> B07 scores 0 (not -1); the line keeps the raw 5; total 100 - 4 = 96.
    fs = [finding("B07.1", f"2017-03-{d:02d}") for d in range(1, 11)]
    env.append(fs)
    card = env.score()
    line = only_line(card, "B07.1")
    assert line.amount == D(5)
    assert line.quantity == 10
    assert sorted(line.events) == sorted(f["id"] for f in fs)
    assert card.indicator("B07").score == D(0)
    assert card.total == D(96)
    assert card.base == D(96)


def test_bound_b07_one_finding_quantity_ten(env):
    # same as above with one finding of quantity 10: raw 5, B07 -> 0, total 96
    env.append([finding("B07.1", quantity=10)])
    card = env.score()
    assert only_line(card, "B07.1").amount == D(5)
    assert card.indicator("B07").score == D(0)
    assert card.total == D(96)


def test_bound_is_per_indicator_not_shared(env):
    # B07.1 × 10 (raw 5 -> B07 0, i.e. 4 deducted) and B06.1 × 3 (0.3): the 1 point of B07
    # overshoot must not spill into other indicators: total = 100 - 4 - 0.3 = 95.7
    env.append([finding("B07.1", quantity=10), finding("B06.1", quantity=3)])
    card = env.score()
    assert card.indicator("B07").score == D(0)
    assert card.indicator("B06").score == D("4.7")
    assert card.total == D("95.7")


# -------------------------------------------------------------------------------------------
# clause kinds
# -------------------------------------------------------------------------------------------
def test_fixed_a01_1(env):
    # A01.1 未建立扣2分 -> amount 2, A01 (2) -> 0, total 98
    f = finding("A01.1")
    env.append([f])
    card = env.score()
    assert only_line(card, "A01.1").amount == D(2)
    assert card.indicator("A01").score == D(0)
    assert card.total == D(98)


def test_condition_second_finding_deducts_nothing(env):
    # contract v2 (clause-ids.md, condition clauses): A01.2 未按要求及时更新扣0.5分 states one
    # condition of the year: two findings -> 0.5 once (the second is evidence); A01 -> 1.5;
    # total 99.5. (Under the first edition, two findings deducted 1.0.)
    env.append([finding("A01.2", "2017-03-01"), finding("A01.2", "2017-06-01")])
    card = env.score()
    assert only_line(card, "A01.2").amount == D("0.5")
    assert card.indicator("A01").score == D("1.5")
    assert card.total == D("99.5")


def test_a03_1_at_most_three_policies_across_findings(env):
    # A03.1 三项政策，未贯彻落实每项扣1分: two findings quantity 2 each = 4 units, but only
    # 3 policies exist -> 3 units -> 3; A03 (5) -> 2; total 100 - 3 = 97
    env.append([finding("A03.1", quantity=2), finding("A03.1", "2017-05-01", quantity=2)])
    card = env.score()
    line = only_line(card, "A03.1")
    assert line.amount == D(3)
    assert line.quantity == 3
    assert card.indicator("A03").score == D(2)
    assert card.total == D(97)


def test_zero_score_a02_1(env):
    # A02.1 ... 不得分 -> A02 scores 0 of 3; the line's amount is the full points 3; total 97
    env.append([finding("A02.1")])
    card = env.score()
    assert only_line(card, "A02.1").amount == D(3)
    ind = card.indicator("A02")
    assert (ind.points, ind.score) == (D(3), D(0))
    assert card.total == D(97)


def test_zero_score_a02_1_with_a02_2(env):
    # A02.1 (3) + A02.2 无专职核对工作人员扣1分 (1) = raw 4 > 3 -> A02 0; total 97
    env.append([finding("A02.1"), finding("A02.2")])
    card = env.score()
    assert card.indicator("A02").score == D(0)
    assert only_line(card, "A02.2").amount == D(1)
    assert card.total == D(97)


def test_zero_score_c01_1(env):
    # C01.1 未实行专项管理，不得分 -> C01 0 of 5, amount 5; total 95
    env.append([finding("C01.1")])
    card = env.score()
    assert only_line(card, "C01.1").amount == D(5)
    assert card.indicator("C01").score == D(0)
    assert card.total == D(95)


@pytest.mark.parametrize("as_of, a04_score, total, lines", [
    # A04.1 (1, due 07-31) on 07-31, A04.2 (1, due 10-31) on 10-31, A04.3 (4, due 12-31) on 12-31
    ("2017-07-30", D(4), D(100), {}),
    ("2017-07-31", D(3), D(99), {"A04.1": D(1)}),                  # end of 07-31: 1 deducted
    ("2017-08-01", D(3), D(99), {"A04.1": D(1)}),
    ("2017-11-01", D(2), D(98), {"A04.1": D(1), "A04.2": D(1)}),   # 1 + 1 = 2
    ("2017-12-31", D(0), D(96), {"A04.1": D(1), "A04.2": D(1), "A04.3": D(4)}),  # raw 6, bound 4
])
def test_a04_stacked_deadlines(env, as_of, a04_score, total, lines):
    env.append([finding("A04.1", "2017-07-31"), finding("A04.2", "2017-10-31"),
                finding("A04.3", "2017-12-31")])
    card = env.score(as_of=date.fromisoformat(as_of))
    ind = card.indicator("A04")
    assert {line.clause: line.amount for line in ind.lines} == lines
    assert ind.score == a04_score
    assert card.total == total


def test_b04_2_rate_floor(env):
    # B04.2 入户调查率每降低1%扣0.1分: 97.4% is 2 whole points short (floor) -> 0.2; B04 3.8
    env.append([finding("B04.2", value=D("97.4"))])
    card = env.score()
    line = only_line(card, "B04.2")
    assert line.amount == D("0.2")
    assert card.indicator("B04").score == D("3.8")
    assert card.total == D("99.8")


@pytest.mark.parametrize("value, amount", [
    (D("100"), D(0)),       # nothing short
    (D("99.5"), D(0)),      # 0.5 short: no whole point
    (D("97"), D("0.3")),    # exactly 3 points short
    (D("96.99"), D("0.3")),  # 3.01 short -> floor 3
    (D("0"), D(10)),        # 100 points short -> raw 10, B04 bounded at 0
])
def test_b04_2_rate_values(env, value, amount):
    env.append([finding("B04.2", value=value)])
    card = env.score()
    line = card.line("B04.2")
    assert (line.amount if line is not None else D(0)) == amount
    assert card.indicator("B04").score == max(D(0), D(4) - amount)


@pytest.mark.parametrize("as_of, amount", [
    ("2017-02-28", None),      # before either measurement
    ("2017-06-01", D("1.0")),  # only the 90% (03-01) counts: 10 points short -> 1.0
    ("2017-12-31", D(0)),      # the later 99.5% (09-01) replaces it: 0 whole points -> 0
])
def test_b04_2_latest_measurement_counts(env, as_of, amount):
    early = finding("B04.2", "2017-03-01", value=D("90"))
    late = finding("B04.2", "2017-09-01", value=D("99.5"))
    env.append([early, late])
    card = env.score(as_of=as_of)
    line = card.line("B04.2")
    if amount is None:
        assert line is None
        assert card.total == D(100)
        return
    # a clause with a live event is listed, even at amount 0 (interchange.md `clauses`)
    assert line is not None
    assert line.amount == amount
    assert card.indicator("B04").score == D(4) - amount
    assert card.total == D(100) - amount
    latest = early if as_of == "2017-06-01" else late
    assert latest["id"] in line.events


def test_d01_cap(env):
    # D01.1 +0.5 each × 2 = 1.0; D01.2 +1 each × 2 = 2; raw 3 > cap 2 -> D01 2; bonus 2;
    # base 100; total 102
    env.append([finding("D01.1", "2017-03-01", evidence=["依据文件"]), finding("D01.1", "2017-04-01", evidence=["依据文件"]),
                finding("D01.2", "2017-05-01", evidence=["依据文件"]), finding("D01.2", "2017-06-01", evidence=["依据文件"])])
    card = env.score()
    assert only_line(card, "D01.1").amount == D(1)
    assert only_line(card, "D01.2").amount == D(2)
    ind = card.indicator("D01")
    assert (ind.points, ind.score) == (D(2), D(2))
    assert (card.base, card.bonus, card.total) == (D(100), D(2), D(102))


def test_d02_highest_level_per_project(env):
    # project P commended at 市 (D02.3, 0.5) and at 省 (D02.2, 1): counts once at 1.
    # The 市 line stays listed with amount 0, its finding in .events and .zeroed.
    p_city = finding("D02.3", "2017-03-01", project="P", evidence=["依据文件"])
    p_prov = finding("D02.2", "2017-06-01", project="P", evidence=["依据文件"])
    env.append([p_city, p_prov])
    card = env.score()
    city = only_line(card, "D02.3")
    assert city.amount == D(0)
    assert p_city["id"] in city.events
    assert p_city["id"] in city.zeroed
    prov = only_line(card, "D02.2")
    assert prov.amount == D(1)
    assert list(prov.events) == [p_prov["id"]]
    assert p_prov["id"] not in prov.zeroed
    assert card.indicator("D02").score == D(1)
    assert card.bonus == D(1)
    assert card.total == D(101)


def test_d02_second_project_and_cap(env):
    # P: 市 0.5 / 省 1 -> 1; Q at 部 (D02.1) 1.5 -> 1 + 1.5 = 2.5
    env.append([finding("D02.3", "2017-03-01", project="P", evidence=["依据文件"]),
                finding("D02.2", "2017-06-01", project="P", evidence=["依据文件"]),
                finding("D02.1", "2017-07-01", project="Q", evidence=["依据文件"])])
    card = env.score()
    assert only_line(card, "D02.1").amount == D("1.5")
    assert card.indicator("D02").score == D("2.5")
    assert card.total == D("102.5")
    # a third project R at 省 (+1): raw 3.5 > cap 3 -> D02 3; bonus 3; total 103
    env.append([finding("D02.2", "2017-08-01", project="R", evidence=["依据文件"])])
    card = env.score()
    assert only_line(card, "D02.2").amount == D(2)   # P and R at 省
    assert card.indicator("D02").score == D(3)
    assert (card.base, card.bonus, card.total) == (D(100), D(3), D(103))


def test_d02_same_project_twice_at_same_level_counts_once(env):
    # "each project counts once, at its highest level": P at 部 twice -> 1.5, not 3
    env.append([finding("D02.1", "2017-03-01", project="P", evidence=["依据文件"]),
                finding("D02.1", "2017-06-01", project="P", evidence=["依据文件"])])
    card = env.score()
    assert card.indicator("D02").score == D("1.5")
    assert card.total == D("101.5")


@pytest.mark.parametrize("veto", ["V1", "V2", "V3", "V4"])
def test_veto_forces_fail_total_still_shown(env, veto):
    # A01.2 (0.5) -> total 99.5 (优秀 by the bands), but a live veto forces 不合格; the veto
    # deducts nothing.
    v = finding(veto, "2017-05-01")
    env.append([finding("A01.2"), v])
    card = env.score()
    assert card.total == D("99.5")
    assert card.base == D("99.5")
    assert card.grade == "不合格"
    assert list(card.vetoes) == [v["id"]]
    d = card.to_dict()
    assert d["total"] == D("99.5") and d["grade"] == "不合格" and d["vetoes"] == [v["id"]]


def test_veto_counts_from_its_occurred_on(env):
    v = finding("V2", "2017-05-01")
    env.append([v])
    assert env.score(as_of="2017-04-30").grade == "优秀"
    card = env.score(as_of="2017-05-01")
    assert card.total == D(100)
    assert card.grade == "不合格"


@pytest.mark.parametrize("tenths, total, grade", [
    (0, D(100), "优秀"),
    (100, D(90), "优秀"),          # exactly 90 -> 优秀 (90 and above)
    (101, D("89.9"), "良好"),
    (200, D(80), "良好"),          # exactly 80 -> 良好
    (201, D("79.9"), "合格"),
    (400, D(60), "合格"),          # exactly 60 -> 合格
    (401, D("59.9"), "不合格"),
])
def test_grade_bands(env, tenths, total, grade):
    # deduction_findings spreads tenths × 0.1 over 0.1-per-unit clauses, never past an
    # indicator's points, so the total is exactly 100 - tenths/10.
    if tenths:
        env.append(deduction_findings(tenths))
    card = env.score()
    assert card.total == total
    assert card.grade == grade


def test_grade_uses_total_with_bonus(env):
    # 89.9 base + D01.1 0.5 bonus = 90.4 -> 优秀
    env.append(deduction_findings(101) + [finding("D01.1", evidence=["依据文件"])])
    card = env.score()
    assert (card.base, card.bonus, card.total) == (D("89.9"), D("0.5"), D("90.4"))
    assert card.grade == "优秀"


# -------------------------------------------------------------------------------------------
# C02.1: payments and the working-day calendar
# -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("approved, paid, late, deadline", [
    # approved Fri 09-29: 1st working day Sat 09-30 (make-up), 10-01..08 off, then 10-09,
    # 10-10, 10-11, 10-12 -> 5th working day is 10-12.
    ("2017-09-29", "2017-10-12", False, date(2017, 10, 12)),
    ("2017-09-29", "2017-10-13", True, date(2017, 10, 12)),
    # approved Fri 05-26: Sat 05-27 (make-up) 1st, 05-28..30 off, 05-31 2nd, 06-01 3rd,
    # 06-02 4th, 06-03/04 weekend, Mon 06-05 5th.
    ("2017-05-26", "2017-06-05", False, date(2017, 6, 5)),
    ("2017-05-26", "2017-06-06", True, date(2017, 6, 5)),
    # an ordinary week: approved Mon 03-06 -> 03-07..03-10, 03-13 = 5th
    ("2017-03-06", "2017-03-13", False, date(2017, 3, 13)),
    ("2017-03-06", "2017-03-14", True, date(2017, 3, 13)),
])
def test_c02_1_payment_deadline(env, approved, paid, late, deadline):
    p = payment("K-1", approved, paid)
    env.append([p])
    card = env.score()
    line = card.line("C02.1")
    if not late:
        assert amt(card, "C02.1") == D(0)
        assert card.indicator("C02").score == D(5)
        assert card.total == D(100)
        return
    # 每例扣0.1分 -> 0.1; C02 4.9; total 99.9
    assert line.amount == D("0.1")
    assert list(line.events) == [p["id"]]
    assert line.late[0].deadline == deadline
    assert line.late[0].fact == p["id"]
    assert card.indicator("C02").score == D("4.9")
    assert card.total == D("99.9")


@pytest.mark.parametrize("approved, fifth", [
    ("2017-09-29", "2017-10-12"),
    ("2017-05-26", "2017-06-05"),
])
def test_c02_1_unpaid_is_late_from_day_after_fifth_working_day(env, approved, fifth):
    # not yet paid: on the 5th working day still on time; the next day late (0.1).
    env.append([payment("K-2", approved)])
    on_fifth = env.score(as_of=fifth)
    assert amt(on_fifth, "C02.1") == D(0)
    assert on_fifth.total == D(100)
    next_day = date.fromisoformat(fifth).toordinal() + 1
    after = env.score(as_of=date.fromordinal(next_day))
    assert only_line(after, "C02.1").amount == D("0.1")
    assert after.total == D("99.9")


def test_c02_1_paid_late_not_late_yet_at_earlier_as_of(env):
    # approved 09-29, paid 10-20: on time as of 10-12, late as of 10-13 and at year end
    env.append([payment("K-3", "2017-09-29", "2017-10-20")])
    assert amt(env.score(as_of="2017-10-12"), "C02.1") == D(0)
    assert env.score(as_of="2017-10-13").line("C02.1").amount == D("0.1")
    assert env.score().line("C02.1").amount == D("0.1")


def test_c02_1_several_cases_sum(env):
    # three late cases (one paid late, two unpaid) and one on time -> 3 × 0.1 = 0.3
    ps = [payment("K-a", "2017-09-29", "2017-10-13"), payment("K-b", "2017-05-26"),
          payment("K-c", "2017-03-06", "2017-03-14"), payment("K-d", "2017-03-06", "2017-03-13")]
    env.append(ps)
    card = env.score()
    line = only_line(card, "C02.1")
    assert line.amount == D("0.3")
    assert sorted(line.events) == sorted(p["id"] for p in ps[:3])
    assert card.total == D("99.7")


def test_c02_1_later_payment_replaces_earlier_from_recorded_at(env):
    # p1 (case K, approved 09-29, unpaid) recorded 10-20; p2 (same case, paid 10-10) recorded
    # 10-25. Known at 10-22: unpaid -> late at year end (0.1). Known at 10-26: paid on time
    # -> no line. A third record p3 (paid 10-20, late) recorded 11-01 -> late again, via p3.
    p1 = payment("K", "2017-09-29")
    p2 = payment("K", "2017-09-29", "2017-10-10")
    p3 = payment("K", "2017-09-29", "2017-10-20")
    env.append([p1], at="2017-10-20T02:00:00Z")
    env.append([p2], at="2017-10-25T02:00:00Z")
    env.append([p3], at="2017-11-01T02:00:00Z")
    c1 = env.score(known_at="2017-10-22")
    assert list(only_line(c1, "C02.1").events) == [p1["id"]]
    assert c1.total == D("99.9")
    c2 = env.score(known_at="2017-10-26")
    assert amt(c2, "C02.1") == D(0)
    assert c2.total == D(100)
    c3 = env.score(known_at="2017-11-02")
    assert list(only_line(c3, "C02.1").events) == [p3["id"]]
    assert c3.total == D("99.9")


# -------------------------------------------------------------------------------------------
# A09.1: reports and working days late
# -------------------------------------------------------------------------------------------
def test_a09_1_spring_festival(env):
    # due Wed 01-25, submitted Mon 02-06: (01-25, 02-06] working days = Thu 01-26, Fri 02-03,
    # Sat 02-04 (make-up), Mon 02-06 = 4 (01-27..02-02 holiday, 02-05 Sunday) -> 0.4;
    # A09 (3) -> 2.6; total 99.6
    r = report("1月报表", "2017-01-25", "2017-02-06")
    env.append([r])
    card = env.score()
    line = only_line(card, "A09.1")
    assert line.amount == D("0.4")
    assert line.quantity == 4
    assert list(line.events) == [r["id"]]
    assert card.indicator("A09").score == D("2.6")
    assert card.total == D("99.6")


def test_a09_1_submitted_after_as_of_counts_to_as_of(env):
    # due 01-25, submitted 02-06, but as_of 02-03: not yet submitted then -> (01-25, 02-03]
    # = 01-26, 02-03 = 2 working days -> 0.2
    env.append([report("1月报表", "2017-01-25", "2017-02-06")])
    card = env.score(as_of="2017-02-03")
    assert only_line(card, "A09.1").amount == D("0.2")
    assert card.total == D("99.8")


@pytest.mark.parametrize("as_of, amount", [
    ("2017-03-01", None),      # (03-01, 03-01] is empty
    ("2017-03-02", D("0.1")),  # Thu 03-02
    ("2017-03-05", D("0.2")),  # + Fri 03-03; 03-04/05 weekend
    ("2017-03-08", D("0.5")),  # + Mon 03-06, Tue 03-07, Wed 03-08 = 5 working days
])
def test_a09_1_not_yet_submitted(env, as_of, amount):
    env.append([report("2月报表", "2017-03-01")])
    card = env.score(as_of=as_of)
    line = card.line("A09.1")
    if amount is None:
        assert amt(card, "A09.1") == D(0)
        assert card.total == D(100)
    else:
        assert line.amount == amount
        assert card.total == D(100) - amount


def test_a09_1_on_time_report_no_deduction(env):
    env.append([report("3月报表", "2017-04-05", "2017-04-05")])
    assert amt(env.score(), "A09.1") == D(0)
    assert env.score().total == D(100)


def test_a09_1_days_bounded_by_indicator(env):
    # due 01-03, never submitted: at year end far more than 30 working days late -> raw > 3,
    # A09 bounded at 0 (扣完为止)
    env.append([report("年报", "2017-01-03")])
    card = env.score()
    assert only_line(card, "A09.1").amount > D(3)
    assert card.indicator("A09").score == D(0)
    assert card.total == D(97)


# -------------------------------------------------------------------------------------------
# sources: self-evaluation vs the city's verification
# -------------------------------------------------------------------------------------------
def test_source_self_vs_city(env):
    # city: B06.1 × 3 (0.3); self: A01.1 (2) + B06.1 × 1 (0.1); a late payment (0.1) counts in
    # both. city total = 100 - 0.3 - 0.1 = 99.6; self total = 100 - 2 - 0.1 - 0.1 = 97.8
    env.append([finding("B06.1", quantity=3),
                finding("A01.1", source="self"),
                finding("B06.1", source="self"),
                payment("K", "2017-09-29", "2017-10-13")])
    city = env.score()
    assert city.total == D("99.6")
    assert city.line("A01.1") is None
    assert city.line("B06.1").amount == D("0.3")
    self_card = env.score(source="self")
    assert self_card.total == D("97.8")
    assert self_card.line("B06.1").amount == D("0.1")
    assert self_card.line("C02.1").amount == D("0.1")
    assert env.score(source="city").total == D("99.6")


def test_explicit_city_source_equals_default(env):
    env.append([finding("B06.1", quantity=2, source="city")])
    assert env.score().total == D("99.8")


# -------------------------------------------------------------------------------------------
# scoring with another rubric edition; unscored findings
# -------------------------------------------------------------------------------------------
@needs_revised
def test_rescore_with_revised_rubric_path(env):
    # adopted taicang-2017: B06.1 × 3 = 0.3, late payment 0.1 -> 99.6.
    # revised edition (B06.1 and C02.1 0.2 each): 0.6 + 0.2 -> 99.2
    env.append([finding("B06.1", quantity=3), payment("K", "2017-09-29", "2017-10-13")])
    card = env.score()
    assert card.rubric_id == "taicang-2017"
    assert card.rubric_sha256 == sha256_of(BUNDLED_FILE)
    assert card.line("B06.1").amount == D("0.3")
    assert card.total == D("99.6")
    rev = env.score(rubric=str(REVISED))
    assert rev.rubric_id == "taicang-2017-revised"
    assert rev.rubric_sha256 == sha256_of(REVISED)
    assert rev.line("B06.1").amount == D("0.6")
    assert rev.line("C02.1").amount == D("0.2")
    assert rev.total == D("99.2")
    assert list(rev.unscored) == []
    # scoring with another edition does not change the adopted one
    assert env.score().total == D("99.6")


@needs_revised
def test_unscored_finding_under_original_edition(ledger_url):
    # adopt the revised edition (which has B06.4, 0.1 per place); B06.4 × 2 -> 0.2 -> 99.8.
    # Scored with taicang-2017 (no B06.4): the finding is unscored; total 100.
    e = Env(ledger_url, rubric=str(REVISED))
    try:
        f = finding("B06.4", quantity=2)
        e.append([f])
        card = e.score()
        assert card.rubric_id == "taicang-2017-revised"
        assert card.line("B06.4").amount == D("0.2")
        assert card.total == D("99.8")
        old = e.score(rubric="taicang-2017")
        assert list(old.unscored) == [f["id"]]
        assert old.line("B06.4") is None
        assert old.total == D(100)
        assert old.to_dict()["unscored"] == [f["id"]]
    finally:
        e.close()


# -------------------------------------------------------------------------------------------
# the card's JSON as `score --json` prints it
# -------------------------------------------------------------------------------------------
# every indicator of taicang-2017 in rubric order with its points (clause-ids.md)
INDICATOR_POINTS = [
    ("A01", 2), ("A02", 3), ("A03", 5), ("A04", 4), ("A05", 4), ("A06", 4), ("A07", 2),
    ("A08", 5), ("A09", 3), ("A10", 4), ("A11", 4),
    ("B01", 5), ("B02", 5), ("B03", 4), ("B04", 4), ("B05", 4), ("B06", 5), ("B07", 4),
    ("B08", 4), ("B09", 5), ("B10", 4), ("B11", 4), ("B12", 2),
    ("C01", 5), ("C02", 5),
    ("D01", 2), ("D02", 3),
]
CARD_KEYS = {"town", "period", "rubric", "as_of", "known_at", "base", "bonus", "total", "grade",
             "vetoes", "indicators"}


def test_score_json_shape_and_exact_numbers(ledger_url):
    e = Env(ledger_url)
    f1 = finding("B06.1", quantity=3)                       # 0.3 (float noise would be 0.30000000000000004)
    f2 = finding("A01.2")                                   # 0.5
    f3 = finding("D02.3", "2017-04-01", project="P", evidence=["依据文件"])        # +0.5
    e.append([f1, f2, f3])
    e.close()
    proc = run_cli("--db", ledger_url, "score", "--town", TOWN, "--period", PERIOD,
                   "--as-of", "2017-12-31", "--json")
    assert proc.returncode == 0, proc.stderr_text
    text = proc.stdout_text
    assert "0.30000000000000004" not in text
    data = json.loads(text, parse_float=Decimal)
    # base = 100 - 0.3 - 0.5 = 99.2; bonus 0.5; total 99.7 (优秀)
    assert set(data) in (CARD_KEYS, CARD_KEYS | {"unscored"})
    assert data["town"] == TOWN and data["period"] == PERIOD
    assert set(data["rubric"]) == {"id", "sha256"}
    assert data["rubric"]["id"] == "taicang-2017"
    assert data["rubric"]["sha256"] == sha256_of(BUNDLED_FILE)
    assert data["as_of"] == "2017-12-31"
    assert isinstance(data["known_at"], str)
    import re
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", data["known_at"])
    assert data["base"] == D("99.2") and data["bonus"] == D("0.5") and data["total"] == D("99.7")
    assert data["grade"] == "优秀"
    assert data["vetoes"] == []
    assert [(i["id"], i["points"]) for i in data["indicators"]] == INDICATOR_POINTS
    for ind in data["indicators"]:
        assert set(ind) == {"id", "points", "score", "clauses"}
        for c in ind["clauses"]:
            assert set(c) == {"id", "amount", "events"}
    by_id = {i["id"]: i for i in data["indicators"]}
    assert by_id["B06"]["score"] == D("4.7")
    assert by_id["B06"]["clauses"] == [{"id": "B06.1", "amount": D("0.3"), "events": [f1["id"]]}]
    assert by_id["A01"]["clauses"] == [{"id": "A01.2", "amount": D("0.5"), "events": [f2["id"]]}]
    assert by_id["D02"]["score"] == D("0.5")
    assert by_id["A02"]["clauses"] == [] and by_id["A02"]["score"] == 3
    # exact JSON number text, not strings and not float noise
    assert re.search(r'"amount":\s*0\.3\b', text)
    assert re.search(r'"total":\s*99\.7\b', text)
    assert re.search(r'"points":\s*2\b', text)


# -------------------------------------------------------------------------------------------
# more hand cases
# -------------------------------------------------------------------------------------------
def test_a09_1_due_on_a_holiday_moves_to_the_next_working_day(env):
    # contract v2 (interchange.md, Time): due Sun 10-01 (National Day break, 10-01..10-08 off)
    # moves to Mon 10-09 (民法典 第二百零三条); submitted 10-09 -> (10-09, 10-09] is empty ->
    # on time, no A09.1 line. (Read literally, as the first edition did, it was 0.1.)
    env.append([report("9月报表", "2017-10-01", "2017-10-09")])
    card = env.score()
    assert card.line("A09.1") is None and card.total == D(100)


def test_c02_1_approved_on_a_holiday(env):
    # approved Sun 10-01 (holiday): working days after it are 10-09, 10-10, 10-11, 10-12,
    # 10-13 -> 5th is Fri 10-13; paid 10-13 on time, Sat 10-14 late.
    env.append([payment("H-1", "2017-10-01", "2017-10-13"),
                payment("H-2", "2017-10-01", "2017-10-14")])
    card = env.score()
    line = only_line(card, "C02.1")
    assert line.amount == D("0.1")
    assert line.late[0].deadline == date(2017, 10, 13)
    assert len(line.events) == 1


def test_a09_1_later_report_record_replaces_earlier(env):
    # r1 (report "1月报表", due 01-25, not submitted) recorded 02-01; r2 (same report,
    # submitted 02-06) recorded 02-10. Known at 02-05 the report is still unsubmitted: at year
    # end it is > 30 working days late -> A09 bounded at 0 -> total 97. Known at 02-10: 4 days
    # -> 0.4 -> 99.6.
    r1 = report("1月报表", "2017-01-25")
    r2 = report("1月报表", "2017-01-25", "2017-02-06")
    env.append([r1], at="2017-02-01T02:00:00Z")
    env.append([r2], at="2017-02-10T02:00:00Z")
    assert env.score(known_at="2017-02-05").total == D(97)
    card = env.score(known_at="2017-02-10")
    assert list(only_line(card, "A09.1").events) == [r2["id"]]
    assert card.total == D("99.6")


def test_d02_before_the_higher_level_exists(env):
    # P at 市 (03-01) and at 省 (06-01): as of 04-01 only 市 counts (0.5, not zeroed)
    p_city = finding("D02.3", "2017-03-01", project="P", evidence=["依据文件"])
    env.append([p_city, finding("D02.2", "2017-06-01", project="P", evidence=["依据文件"])])
    card = env.score(as_of="2017-04-01")
    line = only_line(card, "D02.3")
    assert line.amount == D("0.5")
    assert p_city["id"] not in line.zeroed
    assert card.line("D02.2") is None
    assert card.total == D("100.5")


def test_b04_2_exact_value_via_jsonl(env, tmp_path):
    # a JSON number is exact: 97.4 -> 2 whole points short -> 0.2
    path = tmp_path / "rate.jsonl"
    path.write_text('{"type": "finding", "id": "f-rate", "town": "沙溪镇", "period": "2017", '
                    '"clause": "B04.2", "occurred_on": "2017-03-01", "value": 97.4}\n',
                    encoding="utf-8")
    assert env.import_file(path) == 1
    assert only_line(env.score(), "B04.2").amount == D("0.2")


def test_b04_2_value_is_exact_not_float(env):
    # regression: the read model once stored values through float (99.00000000000000001 ->
    # 99.0 -> scored 0.1)
    # 100 - 99.00000000000000001 = 0.99999999999999999 -> 0 whole points -> 0; total 100
    env.append([finding("B04.2", value=D("99.00000000000000001"))])
    card = env.score()
    assert card.total == D(100)
    line = card.line("B04.2")
    assert line is None or line.amount == D(0)


def test_b04_2_amended_value_is_exact_not_float(env):
    # regression: amendment values too: 98.000000000000000001 is 1.999... short -> 0.1
    f = finding("B04.2", value=D("90"))
    env.append([f])
    env.append([amendment(f["id"], value=D("98.000000000000000001"))])
    assert env.score().total == D("99.9")


def test_clause_lines_in_rubric_order_not_recording_order(env):
    # recorded A05.5, A05.3, A05.1 (in that order): listed A05.1, A05.3, A05.5.
    # A05.1 0.2 + A05.3 0.1 + A05.5 0.5 = 0.8 -> A05 3.2
    env.append([finding("A05.5"), finding("A05.3"), finding("A05.1")])
    card = env.score()
    ind = card.indicator("A05")
    assert [line.clause for line in ind.lines] == ["A05.1", "A05.3", "A05.5"]
    assert [c["id"] for c in card.to_dict()["indicators"][4]["clauses"]] == \
        ["A05.1", "A05.3", "A05.5"]
    assert ind.score == D("3.2")
    assert card.total == D("99.2")
