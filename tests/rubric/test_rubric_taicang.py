"""The bundled Taicang 2017 rubric against the seed text and spec/clause-ids.md.

The expectations below are written by hand from the seed (太政民〔2017〕72号), not
generated from the TOML, so a typo in the rubric file shows up as a failure here.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ledger.errors import RubricError
from ledger.rubric import (
    Bonus,
    Deadline,
    Fixed,
    PerUnit,
    RateShortfall,
    Veto,
    WorkingDayDelay,
    ZeroScore,
    bundled_rubrics,
    load_bundled,
    load_rubric,
    load_rubric_text,
    resolve_rubric,
)
from ledger.text.rubric import check_summary, render_tree

REPO = Path(__file__).resolve().parents[2]
RUBRIC_FILE = REPO / "ledger" / "rubric" / "bundled" / "taicang" / "2017.toml"  # rubrics/ links here
REVISED_FILE = REPO / "tests" / "support" / "fixtures" / "rubrics" / "taicang-2017-revised.toml"
# the first edition, as bundled before contract v2 (ledgers that adopted it store this text)
FIRST_FILE = REPO / "tests" / "support" / "fixtures" / "rubrics" / "taicang-2017-first.toml"
SEED_NAME = "shared/seeds/000_ff6bc83b88124ad4.txt"
SEED_CANDIDATES = [Path(__file__).resolve().parents[3] / SEED_NAME, Path("/work") / SEED_NAME]

D = Decimal

# clause id -> (rule kind, amount, unit or due or None), from the seed's 评价标准 column.
CLAUSES = {
    "A01.1": ("fixed", "2", None),
    "A01.2": ("fixed", "0.5", None),
    "A02.1": ("zero_score", None, None),
    "A02.2": ("fixed", "1", None),
    "A03.1": ("per_unit", "1", "policies"),
    "A03.2": ("per_unit", "0.1", "cases"),
    "A03.3": ("per_unit", "0.2", "cases"),
    "A04.1": ("deadline", "1", date(2017, 7, 31)),
    "A04.2": ("deadline", "1", date(2017, 10, 31)),
    "A04.3": ("deadline", "4", date(2017, 12, 31)),
    "A05.1": ("per_unit", "0.2", "cases"),
    "A05.2": ("per_unit", "0.1", "cases"),
    "A05.3": ("per_unit", "0.1", "cases"),
    "A05.4": ("deadline", "0.5", date(2017, 12, 31)),  # contract v2: a whole-year condition
    "A05.5": ("per_unit", "0.5", "cases"),
    "A06.1": ("fixed", "2", None),
    "A06.2": ("fixed", "2", None),
    "A07.1": ("fixed", "2", None),
    "A08.1": ("per_unit", "0.1", "month-items"),
    "A08.2": ("per_unit", "0.1", "month-items"),
    "A08.3": ("per_unit", "0.2", "cases"),
    "A08.4": ("per_unit", "0.5", "months"),
    "A09.1": ("working_day_delay", "0.1", "working days"),
    "A09.2": ("per_unit", "0.1", "times"),
    "A09.3": ("per_unit", "0.5", "cases"),
    "A10.1": ("fixed", "0.2", None),
    "A10.2": ("fixed", "0.5", None),
    "A10.3": ("fixed", "0.2", None),
    "A10.4": ("per_unit", "0.2", "items"),
    "A11.1": ("per_unit", "0.1", "cases"),
    "A11.2": ("per_unit", "0.1", "cases"),
    "B01.1": ("per_unit", "1", "months"),
    "B02.1": ("per_unit", "0.1", "households"),
    "B02.2": ("per_unit", "0.5", "cases"),
    "B03.1": ("per_unit", "0.1", "cases"),
    "B03.2": ("per_unit", "0.2", "cases"),
    "B03.3": ("per_unit", "0.1", "cases"),
    "B04.1": ("per_unit", "0.5", "cases"),
    "B04.2": ("rate_shortfall", "0.1", None),
    "B04.3": ("fixed", "1", None),
    "B05.1": ("per_unit", "0.1", "case-items"),
    "B05.2": ("per_unit", "0.5", "cases"),
    "B06.1": ("per_unit", "0.1", "cases"),
    "B06.2": ("per_unit", "0.1", "villages"),
    "B06.3": ("per_unit", "0.1", "places"),
    "B07.1": ("per_unit", "0.5", "cases"),
    "B08.1": ("per_unit", "0.1", "cases"),
    "B08.2": ("per_unit", "0.5", "cases"),
    "B08.3": ("fixed", "2", None),
    "B09.1": ("deadline", "1", date(2017, 7, 31)),
    "B10.1": ("per_unit", "0.1", "households"),
    "B10.2": ("per_unit", "0.1", "households"),
    "B10.3": ("per_unit", "0.1", "cases"),
    "B10.4": ("per_unit", "1", "cases"),
    "B10.5": ("per_unit", "0.1", "cases"),
    "B11.1": ("per_unit", "0.5", "cases"),
    "B12.1": ("deadline", "1", date(2017, 5, 31)),
    "C01.1": ("zero_score", None, None),
    "C01.2": ("per_unit", "0.5", "cases"),
    "C02.1": ("working_day_delay", "0.1", "cases"),
    "D01.1": ("bonus", "0.5", None),
    "D01.2": ("bonus", "1", None),
    "D02.1": ("bonus", "1.5", None),
    "D02.2": ("bonus", "1", None),
    "D02.3": ("bonus", "0.5", None),
}

POINTS = {
    "A01": 2, "A02": 3, "A03": 5, "A04": 4, "A05": 4, "A06": 4, "A07": 2, "A08": 5, "A09": 3,
    "A10": 4, "A11": 4,
    "B01": 5, "B02": 5, "B03": 4, "B04": 4, "B05": 4, "B06": 5, "B07": 4, "B08": 4, "B09": 5,
    "B10": 4, "B11": 4, "B12": 2,
    "C01": 5, "C02": 5,
    "D01": 2, "D02": 3,
}

VETOES = {
    "V1": "社会救助资金监管不到位，发生重大资金问题的",
    "V2": "被审计等部门查出严重问题或发生违纪违规问题造成重大影响的",
    "V3": "发生救助对象因救助不及时或管理不到位出现非正常现象和责任事故的",
    "V4": "因政策落实不到位等原因导致困难群众集体上访的",
}


@pytest.fixture(scope="module")
def rubric():
    return load_rubric(RUBRIC_FILE)


@pytest.fixture(scope="module")
def seed() -> str:
    for path in SEED_CANDIDATES:
        if path.is_file():
            return _squash(path.read_text(encoding="utf-8"))
    pytest.skip(f"seed file {SEED_NAME} not found")


def _squash(text: str) -> str:
    """Drop all whitespace (the seed breaks cells and names across lines)."""
    return "".join(text.split())


# --------------------------------------------------------------------------- clauses and points


def test_every_clause_id_is_present_and_no_other(rubric):
    ids = [c.id for ind in rubric.indicators for c in ind.clauses]
    assert ids == list(CLAUSES)


@pytest.mark.parametrize("clause_id", CLAUSES)
def test_clause_rule_kind_and_amount(rubric, clause_id):
    kind, amount, extra = CLAUSES[clause_id]
    rule = rubric.clause(clause_id).rule
    assert rule.kind == kind
    if amount is not None:
        assert rule.amount == D(amount)
    if isinstance(extra, date):
        assert rule.due == extra
    elif extra is not None:
        assert rule.unit == extra


# contract v2, clause-ids.md "Unit ceilings": where the seed names how many there can be
CEILINGS = {"A03.1": 3, "A09.3": 3, "A08.1": 96, "A08.2": 96, "A08.4": 12, "B01.1": 12}
# clause-ids.md "Condition clauses": the seed's sentence has no unit
CONDITIONS = {"A01.1", "A01.2", "A02.2", "A04.1", "A04.2", "A04.3", "A05.4", "A06.1", "A06.2",
              "A07.1", "A10.1", "A10.2", "A10.3", "B04.3", "B08.3", "B09.1", "B12.1"}


def test_special_rules(rubric):
    assert rubric.clause("A03.1").rule == PerUnit(amount=D(1), unit="policies", max_units=3)
    assert {c: rubric.clause(c).rule.max_units for c, (kind, _, _) in CLAUSES.items()
            if kind == "per_unit" and rubric.clause(c).rule.max_units is not None} == CEILINGS
    assert isinstance(rubric.clause("A02.1").rule, ZeroScore)
    assert isinstance(rubric.clause("C01.1").rule, ZeroScore)
    assert rubric.clause("B04.2").rule == RateShortfall(amount=D("0.1"), target=D(100), step=D(1), rounding="floor")
    assert rubric.clause("C02.1").rule == WorkingDayDelay(
        amount=D("0.1"), fact="payment", allowed_days=5, per="case", unit="cases")
    assert rubric.clause("A09.1").rule == WorkingDayDelay(
        amount=D("0.1"), fact="report", allowed_days=0, per="working_day", unit="working days",
        holiday_due="next_working_day")
    assert [rubric.clause(f"D01.{i}").rule for i in (1, 2)] == [Bonus(amount=D("0.5")), Bonus(amount=D(1))]
    assert [rubric.clause(f"D02.{i}").rule for i in (1, 2, 3)] == [
        Bonus(amount=D(a), highest_per_project=True) for a in ("1.5", "1", "0.5")]
    assert rubric.clause("D02.1").needs_project and rubric.clause("B04.2").needs_value
    assert isinstance(rubric.clause("A04.1").rule, Deadline) and isinstance(rubric.clause("A01.1").rule, Fixed)


def test_condition_clauses_are_exactly_the_listed_ones(rubric):
    flagged = {c.id for c in rubric.clauses() if getattr(c.rule, "condition", False)}
    assert flagged == CONDITIONS
    assert all(rubric.clause(c).is_condition for c in ("A02.1", "C01.1"))  # 不得分: once anyway


def test_bonus_evidence_requirements_quote_the_seed(rubric, seed):
    required = {c.id: c.evidence_required for c in rubric.clauses() if c.evidence_required}
    assert required == {"D01.1": "以镇级层面出台文件、签订协议为依据",
                        "D01.2": "以镇级层面出台文件、签订协议为依据",
                        "D02.1": "被苏州市局以上部门通报表彰", "D02.2": "被苏州市局以上部门通报表彰",
                        "D02.3": "被苏州市局以上部门通报表彰"}
    assert all(_squash(words) in seed for words in required.values())


def test_window_and_veto_rank(rubric, seed):
    assert rubric.window.end == date(2018, 2, 28) == rubric.assessed_until
    assert "于次年2月底前" in rubric.window.source and _squash(rubric.window.source) in seed
    assert rubric.veto_rank == "last"


def test_first_edition_is_kept_and_has_none_of_the_v2_readings(rubric):
    first = load_rubric(FIRST_FILE)
    assert first.id == rubric.id and first.schema == 1 and first.sha256 != rubric.sha256
    assert first.sha256 == "3aaaf83e03baa4339e901418ae33f87bc180cca0cadc9887ecc1354c00d4b028"
    assert first.window is None and first.assessed_until == date(2017, 12, 31)
    assert first.veto_rank == "by_total"
    assert not any(c.is_condition and not isinstance(c.rule, ZeroScore) or c.evidence_required
                   for c in first.clauses())
    assert first.clause("A09.1").rule.holiday_due == "as_given"
    assert isinstance(first.clause("A05.4").rule, Fixed)


def test_points_per_indicator_and_totals(rubric):
    assert {ind.id: ind.points for ind in rubric.indicators} == {k: D(v) for k, v in POINTS.items()}
    assert sum(ind.points for ind in rubric.indicators if not ind.bonus) == D(100) == rubric.base_total
    caps = {ind.id: ind.points for ind in rubric.indicators if ind.bonus}
    assert caps == {"D01": D(2), "D02": D(3)}
    assert [g.id for g in rubric.groups] == ["A", "B", "C", "D"]
    assert [g.bonus for g in rubric.groups] == [False, False, False, True]
    assert [g.name for g in rubric.groups] == ["综合保障", "救助实施", "资金使用", "创新探索（附加）"]


def test_header(rubric):
    assert (rubric.id, rubric.schema, rubric.period, rubric.locale) == ("taicang-2017", 2, "2017", "zh-CN")
    assert (rubric.valid_from, rubric.valid_to) == (date(2017, 1, 1), date(2017, 12, 31))
    assert rubric.source.title == "太仓市社会救助工作绩效评价指标及评分标准（2017年）"
    assert rubric.source.document_number == "太政民〔2017〕72号"
    assert rubric.source.issuer == "太仓市民政局"
    assert rubric.source.issued_on == date(2017, 8, 7)
    assert rubric.veto_grade == "不合格"
    assert "太政民〔2015〕62号" in rubric.grades_source and "民发〔2016〕242号" in rubric.grades_source
    assert [(b.name, b.min, b.name_en) for b in rubric.grades] == [
        ("优秀", D(90), "Excellent"), ("良好", D(80), "Good"), ("合格", D(60), "Pass"), ("不合格", D(0), "Fail")]


def test_vetoes(rubric):
    assert {v.id: v.text_zh for v in rubric.vetoes} == VETOES
    assert all(isinstance(v.rule, Veto) and v.text_en for v in rubric.vetoes)
    assert rubric.indicator_of("V1") is None and rubric.has_clause("V4")


def test_every_clause_has_an_english_gloss(rubric):
    assert [c.id for c in rubric.clauses() if not c.text_en] == []


def test_readings_carry_notes(rubric):
    for clause_id in ("A08.1", "A08.2", "A08.3", "A10.1", "B04.2", "A03.1"):
        assert rubric.clause(clause_id).note, clause_id
    assert "8个项目分别计算" in rubric.clause("A08.1").note


@pytest.mark.parametrize("value, steps", [("97.4", 2), ("100", 0), ("99.99", 0), ("99", 1), ("0", 100),
                                          ("100.5", 0)])
def test_rate_steps_short(rubric, value, steps):
    assert rubric.clause("B04.2").rule.steps_short(D(value)) == steps


@pytest.mark.parametrize("total, vetoed, grade", [
    ("90", False, "优秀"), ("89.99", False, "良好"), ("80", False, "良好"), ("79.9", False, "合格"),
    ("60", False, "合格"), ("59.9", False, "不合格"), ("0", False, "不合格"), ("103", False, "优秀"),
    ("100", True, "不合格"),
])
def test_grade_for(rubric, total, vetoed, grade):
    assert rubric.grade_for(D(total), vetoed=vetoed) == grade


# --------------------------------------------------------------------------- verbatim text


def test_clause_and_veto_texts_are_verbatim(rubric, seed):
    missing = [c.id for c in rubric.clauses() if _squash(c.text_zh) not in seed]
    assert missing == []


def test_clause_text_lies_in_its_criteria(rubric):
    for ind in rubric.indicators:
        for c in ind.clauses:
            assert _squash(c.text_zh) in _squash(ind.criteria), c.id


def test_indicator_cells_are_verbatim(rubric, seed):
    missing = [(ind.id, key) for ind in rubric.indicators
               for key in ("name", "requirement", "criteria") if _squash(getattr(ind, key)) not in seed]
    assert missing == []
    assert [g.id for g in rubric.groups if _squash(g.name) not in seed] == []


def test_seed_oddities_kept(rubric):
    assert "0.２" in rubric.clause("A10.1").text_zh
    assert "末通过" in rubric.clause("A08.3").text_zh
    assert rubric.indicators[3].name == "“一户一档一策”机制"


# --------------------------------------------------------------------------- identity and loading


def test_sha256_is_of_the_file_bytes():
    first, second = load_rubric(RUBRIC_FILE), load_rubric(RUBRIC_FILE)
    assert first.sha256 == second.sha256 == hashlib.sha256(RUBRIC_FILE.read_bytes()).hexdigest()
    assert first.text == RUBRIC_FILE.read_bytes().decode("utf-8")


def test_text_load_equals_file_load():
    from_text = load_rubric_text(RUBRIC_FILE.read_text(encoding="utf-8"), origin="event 1")
    assert from_text == load_rubric(RUBRIC_FILE)
    assert from_text.sha256 == load_rubric(RUBRIC_FILE).sha256


def test_bundled_and_resolve(rubric):
    assert bundled_rubrics()["taicang-2017"] == RUBRIC_FILE
    assert load_bundled("taicang-2017") == rubric
    assert resolve_rubric("taicang-2017") == rubric
    assert resolve_rubric(str(RUBRIC_FILE)) == rubric
    assert resolve_rubric(REVISED_FILE).id == "taicang-2017-revised"
    assert "taicang-2017-revised" not in bundled_rubrics()  # test fixtures are never bundled


def test_unknown_bundled_id_lists_known_ids():
    with pytest.raises(RubricError, match=r"unknown rubric 'taicang-2099' \(known: .*taicang-2017"):
        load_bundled("taicang-2099")
    with pytest.raises(RubricError, match=r"nope\.toml: neither a bundled rubric id \(known: .*taicang-2017"):
        resolve_rubric("nope.toml")


# --------------------------------------------------------------------------- the revised test edition


def test_revised_edition_differs_in_exactly_three_places():
    # the test-only edition is a copy of the first edition (schema 1), not of the bundled one
    rubric = load_rubric(FIRST_FILE)
    revised = load_rubric(REVISED_FILE)
    assert revised.id == "taicang-2017-revised" and revised.period == rubric.period
    old = {c.id: c for c in rubric.clauses()}
    new = {c.id: c for c in revised.clauses()}
    assert set(new) - set(old) == {"B06.4"} and set(old) - set(new) == set()
    changed = {cid for cid in old if old[cid] != new[cid]}
    assert changed == {"B06.1", "C02.1"}
    assert (old["B06.1"].rule.amount, new["B06.1"].rule.amount) == (D("0.1"), D("0.2"))
    assert (old["C02.1"].rule.amount, new["C02.1"].rule.amount) == (D("0.1"), D("0.2"))
    assert new["B06.1"].rule.unit == "cases" and new["C02.1"].rule.kind == "working_day_delay"
    assert new["B06.4"].rule == PerUnit(amount=D("0.1"), unit="places")
    assert new["B06.4"].text_zh == "公示单或公示栏上无市民政部门举报电话" and "test-only" in new["B06.4"].note.lower()
    assert revised.indicator_of("B06.4").id == "B06"
    # Everything else (header, points, indicator cells, vetoes, grades) is the same.
    assert [(i.id, i.points, i.name, i.requirement, i.criteria) for i in revised.indicators] == [
        (i.id, i.points, i.name, i.requirement, i.criteria) for i in rubric.indicators]
    assert (revised.source, revised.grades, revised.vetoes, revised.valid_from, revised.valid_to) == (
        rubric.source, rubric.grades, rubric.vetoes, rubric.valid_from, rubric.valid_to)
    assert revised.sha256 != rubric.sha256


# --------------------------------------------------------------------------- rendering


def test_render_tree_zh(rubric):
    tree = render_tree(rubric)
    assert tree.splitlines()[0] == "taicang-2017  太仓市社会救助工作绩效评价指标及评分标准（2017年）"
    assert "太政民〔2017〕72号" in tree and rubric.sha256[:12] in tree
    assert "    A03.2 没有转换、换证的，每例扣0.1分 — 每例扣0.1分 (per_unit, cases)" in tree
    assert "    A04.1 7月底前未完善“一户一档”扣1分 — 扣1分，截止2017-07-31 (deadline)" in tree
    assert "  D01 社会力量介入社会救助  上限2分" in tree
    assert "  V1 社会救助资金监管不到位，发生重大资金问题的" in tree
    assert "  优秀 ≥ 90" in tree
    assert all(f" {cid} " in tree for cid in CLAUSES)


def test_render_tree_en(rubric):
    tree = render_tree(rubric, lang="en")
    assert "  A01 Leadership body  2 pts" in tree
    assert "(per_unit, cases)" in tree and "cap 3 pts" in tree and "Excellent (优秀) ≥ 90" in tree
    with pytest.raises(ValueError):
        render_tree(rubric, lang="fr")


def test_check_summary(rubric):
    assert check_summary(rubric, "en") == (
        f"ok: taicang-2017 (27 indicators, 65 clauses, 4 vetoes, sha256 {rubric.sha256})")
    assert check_summary(rubric) == (
        f"ok: taicang-2017（27 个指标，65 个条款，4 项一票否决，sha256 {rubric.sha256}）")
