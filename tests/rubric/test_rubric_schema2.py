"""Schema 2: what contract v2 reads from a rubric file, and what a schema 1 file cannot say."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest

from ledger.errors import RubricError
from ledger.rubric import load_bundled, load_rubric_text

from test_rubric_loader import MINIMAL, edited  # noqa: E402  (same folder, on pytest's path)

V2 = ("schema = 1", "schema = 2")
WINDOW = ('veto_grade = "不合格"\n', 'veto_grade = "不合格"\nveto_rank = "last"\n\n[window]\n'
          'end = 2018-02-28\nsource = "于次年2月底前做好自评价工作"\n')
FIXED = 'rule = { kind = "fixed", amount = 2 }'
DEADLINE = 'rule = { kind = "deadline", amount = 1, due = 2017-07-31 }'
BONUS = 'rule = { kind = "bonus", amount = 0.5 }'


def load(*edits):
    return load_rubric_text(edited(*edits), origin="t.toml")


def test_schema_2_reads_every_new_key():
    r = load(V2, WINDOW, (FIXED, FIXED[:-2] + ", condition = true }"),
             (DEADLINE, DEADLINE[:-2] + ", condition = true }"),
             (BONUS, BONUS + '\nevidence_required = "以镇级层面出台文件为依据"'))
    assert r.schema == 2 and r.window.end == date(2018, 2, 28) == r.assessed_until
    assert r.veto_rank == "last"
    assert r.clause("A01.1").rule.condition and r.clause("A01.2").rule.condition
    assert r.clause("A01.1").is_condition and r.clause("D01.1").evidence_required


def test_without_the_new_keys_nothing_changes():
    r = load(V2)
    assert r.window is None and r.assessed_until == date(2017, 12, 31)
    assert r.veto_rank == "by_total" and not r.clause("A01.1").is_condition
    assert r.clause("D01.1").evidence_required is None


@pytest.mark.parametrize("edits, fragment", [
    ((WINDOW,), "header: veto_rank: needs schema = 2"),
    (((FIXED, FIXED[:-2] + ", condition = true }"),), "A01.1: rule.condition: needs schema = 2"),
    (((BONUS, BONUS + '\nevidence_required = "x"'),), "D01.1: evidence_required: needs schema = 2"),
    ((V2, ('veto_grade = "不合格"\n', 'veto_grade = "不合格"\n\n[window]\nend = 2017-12-31\n'
                                      'source = "x"\n')), "window: end: 2017-12-31 must come after"),
    ((V2, ('veto_grade = "不合格"\n', 'veto_grade = "不合格"\nveto_rank = "first"\n')),
     "header: veto_rank: unsupported value 'first'"),
    ((V2, (FIXED, FIXED + '\nevidence_required = "x"')), "A01.1: evidence_required: only bonus"),
    ((V2, (FIXED, FIXED[:-2] + ', condition = "yes" }')), "rule.condition: expected true or false"),
])
def test_refused(edits, fragment):
    with pytest.raises(RubricError, match=fragment.replace("(", r"\(")):
        load(*edits)


def test_rubric_show_says_per_clause_condition_or_unit_ceiling_and_evidence():
    proc = subprocess.run([sys.executable, "-m", "ledger", "rubric", "show", "taicang-2017"],
                          capture_output=True, text=True, encoding="utf-8")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "评价截至2018-02-28（于次年2月底前" in out
    lines = out.splitlines()

    def counting(cid):
        i = next(n for n, line in enumerate(lines) if line.strip().startswith(cid + " "))
        return lines[i + 1].strip()

    assert counting("B09.1") == "计分: 条件：每镇每期至多扣一次；无证据要求"
    assert counting("A09.3") == "计分: 按单位：每例；封顶3例；无证据要求"
    assert counting("B06.1") == "计分: 按单位：每例；无上限；无证据要求"
    assert counting("D01.1").endswith("须有证据：「以镇级层面出台文件、签订协议为依据」")
    assert counting("D02.1").endswith("须有证据：「被苏州市局以上部门通报表彰」")
    assert "民法典 第二百零三条" in counting("A09.1")
    assert "一票否决的镇排在其他镇之后" in out
    en = subprocess.run([sys.executable, "-m", "ledger", "rubric", "show", "taicang-2017",
                         "--lang", "en"], capture_output=True, text=True, encoding="utf-8").stdout
    assert "ceiling 96 month-items" in en and "condition: deducts at most once" in en


def test_every_bundled_condition_deadline_lies_in_the_period():
    r = load_bundled("taicang-2017")
    assert all(r.valid_from <= c.rule.due <= r.valid_to for c in r.clauses()
               if c.rule.kind == "deadline")
