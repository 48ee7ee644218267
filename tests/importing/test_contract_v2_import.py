"""Contract v2's import rules: condition quantities, bonus evidence, the assessment window.

Every refusal is all-or-nothing and names the line (or record) and the field.
"""

from __future__ import annotations

import pytest

import ledger
from support.scoring import (
    Env,
    env,  # noqa: F401  (fixture)
    finding,
    payment,
    report,
    write_jsonl,
)


@pytest.mark.parametrize("clause, day", [("B09.1", "2017-08-01"), ("A01.2", "2017-03-01"),
                                         ("A05.4", "2017-12-31"), ("B08.3", "2017-06-01")])
def test_a_condition_clause_takes_quantity_1_only(env, tmp_path, clause, day):
    head = env.head()
    path = write_jsonl(tmp_path / "q.jsonl", [finding("B06.1"), finding(clause, day, quantity=2)])
    with pytest.raises(ledger.LedgerError) as err:
        env.import_file(path)
    message = str(err.value)
    assert message.startswith("line 2: field 'quantity': ")
    assert f"{clause} is a condition clause" in message and "quantity must be 1, not 2" in message
    assert env.head() == head  # nothing appended
    assert env.append([finding(clause, day, quantity=1)]) == 1


def test_an_amendment_cannot_raise_a_condition_quantity(env):
    f = finding("B08.3", "2017-06-01")
    env.append([f])
    with pytest.raises(ledger.LedgerError, match="field 'quantity': B08.3 is a condition clause"):
        env.append([{"type": "amendment", "id": "m-1", "finding": f["id"], "quantity": 3,
                     "reason": "recount"}])


@pytest.mark.parametrize("clause, extra, words", [
    ("D01.1", {}, "以镇级层面出台文件、签订协议为依据"),
    ("D01.2", {}, "以镇级层面出台文件、签订协议为依据"),
    ("D02.1", {"project": "P"}, "被苏州市局以上部门通报表彰"),
    ("D02.3", {"project": "P"}, "被苏州市局以上部门通报表彰"),
])
def test_a_bonus_without_evidence_is_refused_quoting_the_rubric(env, tmp_path, clause, extra, words):
    head = env.head()
    path = write_jsonl(tmp_path / "b.jsonl", [finding("B06.1"), finding(clause, **extra)])
    with pytest.raises(ledger.LedgerError) as err:
        env.import_file(path)
    message = str(err.value)
    assert message.startswith("line 2: field 'evidence': ") and f"「{words}」" in message
    assert env.head() == head
    with pytest.raises(ledger.LedgerError, match="field 'evidence'"):
        env.append([finding(clause, evidence=[], **extra)])  # an empty list is no evidence
    assert env.append([finding(clause, evidence=["镇政府文件"], **extra)]) == 1


def test_a_bonus_without_evidence_is_refused_in_csv_too(env, tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("type,id,town,period,clause,occurred_on,evidence\n"
                    "finding,f-ok,沙溪镇,2017,D01.1,2017-04-18,协议书.pdf\n"
                    "finding,f-no,沙溪镇,2017,D01.1,2017-05-18,\n", encoding="utf-8")
    with pytest.raises(ledger.LedgerError, match=r"^line 3: field 'evidence': .*以镇级层面"):
        env.import_file(path)


@pytest.mark.parametrize("record, field", [
    (lambda: finding("B06.1", "2018-03-01"), "occurred_on"),
    (lambda: report("年报", "2018-03-01"), "due_on"),
    (lambda: payment("K", "2018-01-02", "2018-01-03"), "approved_on"),
    (lambda: payment("K", "2018-02-28"), "approved_on"),
])
def test_window_bounds(env, record, field):
    with pytest.raises(ledger.LedgerError, match=f"field '{field}'"):
        env.append([record()])


def test_findings_and_due_dates_in_the_window_are_accepted(env):
    assert env.append([finding("B06.1", "2018-02-28"), finding("A09.3", "2018-01-31"),
                       report("自评价", "2018-02-28", "2018-03-05"),
                       payment("K", "2017-12-29", "2018-03-30")]) == 4


def test_fast_and_general_roads_agree_on_bonus_and_window(tmp_path):
    # the hot path leaves evidence-requiring clauses to the general road; both refuse alike
    e = Env(tmp_path / "fast.db")
    try:
        with pytest.raises(ledger.LedgerError, match="field 'evidence'"):
            e.append([finding("D01.1")])
        assert e.append([finding("B06.1", "2018-02-01", quantity=2)]) == 1
        assert str(e.score(as_of="2018-02-01").line("B06.1").amount) == "0.2"
        assert e.score(as_of="2018-01-31").line("B06.1") is None
    finally:
        e.close()
