"""Human-readable views of a rubric (``python -m ledger rubric show|check``).

Pure functions: they return text and print nothing.

>>> from ledger.rubric import load_bundled
>>> print(render_tree(load_bundled("taicang-2017")).splitlines()[0])
taicang-2017  太仓市社会救助工作绩效评价指标及评分标准（2017年）
"""

from __future__ import annotations

from decimal import Decimal

from ledger.rubric.model import (
    Bonus,
    Clause,
    Deadline,
    Fixed,
    Indicator,
    PerUnit,
    RateShortfall,
    Rubric,
    Rule,
    Veto,
    WorkingDayDelay,
    ZeroScore,
)
from ledger.text.fmt import num

# Measure words for 每…扣X分; an unknown unit falls back to 单位 (the unit is shown in English anyway).
_UNIT_ZH = {
    "cases": "例", "households": "户", "policies": "项", "items": "项", "times": "次",
    "months": "个月", "month-items": "项每月次", "case-items": "例每项", "villages": "个村（社区）",
    "places": "处", "working days": "个工作日",
}

_LABELS = {
    "zh": {"doc": "文号", "issuer": "发文", "period": "期间", "to": "至", "base": "基本分",
           "pts": "{}分", "cap": "上限{}分", "bonus_group": "附加，上限{}分", "note": "注",
           "vetoes": "一票否决（评为{}）", "grades": "等次", "grades_source": "来源",
           "window": "评价截至{}（{}）", "veto_last": "一票否决的镇排在其他镇之后",
           "counts": "计分", "condition": "条件：每镇每期至多扣一次",
           "per_unit": "按单位：每{}", "ceiling": "封顶{}{}", "no_ceiling": "无上限",
           "per_finding": "每条发现计一次", "zero": "不得分：扣该项全部分值",
           "rate": "测量值：以最新一次为准", "derived": "由{}记录推算", "payment": "发放",
           "report": "上报", "moved": "应报日遇休息日顺延至下一工作日（民法典 第二百零三条）",
           "evidence": "须有证据：「{}」", "no_evidence": "无证据要求",
           "per_project": "同一项目依最高分统计"},
    "en": {"doc": "document", "issuer": "issuer", "period": "period", "to": "to", "base": "base total",
           "pts": "{} pts", "cap": "cap {} pts", "bonus_group": "bonus, cap {} pts", "note": "note",
           "vetoes": "Vetoes (grade {})", "grades": "Grades", "grades_source": "source",
           "window": "assessed until {} ({})", "veto_last": "vetoed towns rank after all others",
           "counts": "counts", "condition": "condition: deducts at most once per town and period",
           "per_unit": "per unit: {}", "ceiling": "ceiling {}{}", "no_ceiling": "no ceiling",
           "per_finding": "once per finding", "zero": "不得分: takes the indicator's full points",
           "rate": "a measurement: the latest counts", "derived": "derived from {} facts",
           "payment": "payment", "report": "report",
           "moved": "a due date on a rest day moves to the next working day (民法典 第二百零三条)",
           "evidence": "evidence required: 「{}」", "no_evidence": "no evidence required",
           "per_project": "a project counts once, at its highest level"},
}


def rule_words(rule: Rule, lang: str = "zh") -> str:
    """One clause's rule in words, with its kind in brackets.

    >>> rule_words(PerUnit(amount=Decimal("0.1"), unit="cases"))
    '每例扣0.1分 (per_unit, cases)'
    >>> rule_words(Deadline(amount=Decimal(1), due=__import__("datetime").date(2017, 7, 31)), "en")
    'deduct 1 if not done by 2017-07-31 (deadline)'
    """
    words = (_rule_zh if lang == "zh" else _rule_en)(rule)
    if isinstance(rule, PerUnit):
        return f"{words} (per_unit, {rule.unit})"
    if isinstance(rule, WorkingDayDelay):
        return f"{words} (working_day_delay, {rule.fact})"
    return f"{words} ({rule.kind})"


def _rule_zh(rule: Rule) -> str:
    if isinstance(rule, PerUnit):
        cap = f"，最多{rule.max_units}{_UNIT_ZH.get(rule.unit, '单位')}" if rule.max_units else ""
        return f"每{_UNIT_ZH.get(rule.unit, '单位')}扣{num(rule.amount)}分{cap}"
    if isinstance(rule, Fixed):
        return f"扣{num(rule.amount)}分"
    if isinstance(rule, ZeroScore):
        return "不得分"
    if isinstance(rule, Deadline):
        return f"扣{num(rule.amount)}分，截止{rule.due.isoformat()}"
    if isinstance(rule, RateShortfall):
        return f"低于{num(rule.target)}%每{num(rule.step)}个百分点扣{num(rule.amount)}分（{rule.rounding}）"
    if isinstance(rule, WorkingDayDelay):
        if rule.per == "case":
            return f"超过{rule.allowed_days}个工作日的每例扣{num(rule.amount)}分"
        grace = f"超过{rule.allowed_days}个工作日后" if rule.allowed_days else ""
        return f"{grace}每晚1个工作日扣{num(rule.amount)}分"
    if isinstance(rule, Bonus):
        return f"加{num(rule.amount)}分" + ("，同一项目取最高" if rule.highest_per_project else "")
    if isinstance(rule, Veto):
        return "一票否决"
    raise TypeError(f"unknown rule {rule!r}")


def _rule_en(rule: Rule) -> str:
    if isinstance(rule, PerUnit):
        cap = f", at most {rule.max_units}" if rule.max_units else ""
        return f"deduct {num(rule.amount)} per unit{cap}"
    if isinstance(rule, Fixed):
        return f"deduct {num(rule.amount)}"
    if isinstance(rule, ZeroScore):
        return "indicator scores 0"
    if isinstance(rule, Deadline):
        return f"deduct {num(rule.amount)} if not done by {rule.due.isoformat()}"
    if isinstance(rule, RateShortfall):
        return (f"deduct {num(rule.amount)} per {num(rule.step)} point(s) below {num(rule.target)}%"
                f" ({rule.rounding})")
    if isinstance(rule, WorkingDayDelay):
        if rule.per == "case":
            return f"deduct {num(rule.amount)} per case not done within {rule.allowed_days} working days"
        grace = f" beyond {rule.allowed_days} allowed" if rule.allowed_days else ""
        return f"deduct {num(rule.amount)} per working day late{grace}"
    if isinstance(rule, Bonus):
        return f"add {num(rule.amount)}" + (", highest level per project" if rule.highest_per_project else "")
    if isinstance(rule, Veto):
        return "veto"
    raise TypeError(f"unknown rule {rule!r}")


def render_tree(rubric: Rubric, lang: str = "zh") -> str:
    """The whole rubric as an indented tree: header, groups, indicators, clauses, vetoes, grades.

    ``lang="en"`` uses the English names and glosses where the file has them.

    >>> from ledger.rubric import load_bundled
    >>> tree = render_tree(load_bundled("taicang-2017"), lang="en")
    >>> "    B04.2 Home-visit survey rate below 100%" in tree
    True
    """
    if lang not in _LABELS:
        raise ValueError(f"lang must be one of {', '.join(_LABELS)}, not {lang!r}")
    en, t = lang == "en", _LABELS[lang]
    src = rubric.source
    lines = [
        f"{rubric.id}  {src.title}",
        f"{t['doc']}: {src.document_number}  {t['issuer']}: {src.issuer} {src.issued_on.isoformat()}",
        f"{t['period']}: {rubric.period} ({rubric.valid_from.isoformat()} {t['to']} "
        f"{rubric.valid_to.isoformat()})  {t['base']}: {num(rubric.base_total)}  sha256: {rubric.sha256[:12]}",
    ]
    if rubric.window is not None:
        lines.append(t["window"].format(rubric.window.end.isoformat(), rubric.window.source))
    for group in rubric.groups:
        total = num(sum((i.points for i in group.indicators), Decimal(0)))
        size = t["bonus_group" if group.bonus else "pts"].format(total)
        lines += ["", f"{group.id} {_pick(group.name, group.name_en, en)}  {size}"]
        for ind in group.indicators:
            lines.append(f"  {ind.id} {_pick(ind.name, ind.name_en, en)}  {_points(ind, t)}")
            lines += [f"    {line}" for c in ind.clauses for line in _clause(c, lang, t)]
    lines += ["", t["vetoes"].format(rubric.veto_grade)]
    if rubric.veto_rank == "last":
        lines.append(f"  {t['veto_last']}")
    lines += [f"  {line}" for v in rubric.vetoes for line in _clause(v, lang, t, show_rule=False)]
    lines += ["", t["grades"]]
    for band in sorted(rubric.grades, key=lambda b: b.min, reverse=True):
        name = f"{band.name_en} ({band.name})" if en and band.name_en else band.name
        lines.append(f"  {name} ≥ {num(band.min)}")
    lines.append(f"  {t['grades_source']}: {' '.join(rubric.grades_source.split())}")
    return "\n".join(lines)


def _pick(zh: str, en_text: str | None, en: bool) -> str:
    return en_text if en and en_text else zh


def _points(ind: Indicator, t: dict) -> str:
    return t["cap" if ind.bonus else "pts"].format(num(ind.points))


def _clause(c: Clause, lang: str, t: dict, show_rule: bool = True) -> list[str]:
    text = _pick(c.text_zh, c.text_en, lang == "en")
    lines = [f"{c.id} {text}" + (f" — {rule_words(c.rule, lang)}" if show_rule else "")]
    if show_rule:
        lines.append(f"  {t['counts']}: {clause_counting(c, lang)}")
    if c.note:
        lines.append(f"  {t['note']}: {c.note}")
    return lines


def clause_counting(c: Clause, lang: str = "zh") -> str:
    """How a clause counts its findings: condition or per unit, its ceiling, its evidence.

    >>> from ledger.rubric import load_bundled
    >>> r = load_bundled("taicang-2017")
    >>> clause_counting(r.clause("B09.1"))
    '条件：每镇每期至多扣一次；无证据要求'
    >>> clause_counting(r.clause("A09.3"))
    '按单位：每例；封顶3例；无证据要求'
    >>> clause_counting(r.clause("D01.1"), "en")
    'once per finding; evidence required: 「以镇级层面出台文件、签订协议为依据」'
    """
    t, rule = _LABELS[lang], c.rule
    unit = _UNIT_ZH.get(getattr(rule, "unit", ""), "单位") if lang == "zh" else getattr(rule, "unit", "")
    if c.is_condition and not isinstance(rule, ZeroScore):
        parts = [t["condition"]]
    elif isinstance(rule, ZeroScore):
        parts = [t["zero"]]
    elif isinstance(rule, PerUnit):
        parts = [t["per_unit"].format(unit)]
        parts.append(t["ceiling"].format(rule.max_units, unit if lang == "zh" else f" {unit}")
                     if rule.max_units else t["no_ceiling"])
    elif isinstance(rule, RateShortfall):
        parts = [t["rate"]]
    elif isinstance(rule, WorkingDayDelay):
        parts = [t["derived"].format(t[rule.fact]), t["per_unit"].format(unit), t["no_ceiling"]]
        if rule.holiday_due == "next_working_day":
            parts.append(t["moved"])
    elif isinstance(rule, Bonus) and rule.highest_per_project:
        parts = [t["per_project"]]
    else:
        parts = [t["per_finding"]]
    if not isinstance(rule, Veto):
        parts.append(t["evidence"].format(c.evidence_required) if c.evidence_required
                     else t["no_evidence"])
    return ("；" if lang == "zh" else "; ").join(parts)


def check_summary(rubric: Rubric, lang: str = "zh") -> str:
    """One line for ``rubric check``: counts and the full SHA-256.

    >>> from ledger.rubric import load_bundled
    >>> check_summary(load_bundled("taicang-2017")).split("，sha256 ")[0]
    'ok: taicang-2017（27 个指标，65 个条款，4 项一票否决'
    >>> check_summary(load_bundled("taicang-2017"), "en").split(" sha256 ")[0]
    'ok: taicang-2017 (27 indicators, 65 clauses, 4 vetoes,'
    """
    clauses = sum(len(i.clauses) for i in rubric.indicators)
    if lang == "zh":
        return (f"ok: {rubric.id}（{len(rubric.indicators)} 个指标，{clauses} 个条款，"
                f"{len(rubric.vetoes)} 项一票否决，sha256 {rubric.sha256}）")
    return (f"ok: {rubric.id} ({len(rubric.indicators)} indicators, {clauses} clauses, "
            f"{len(rubric.vetoes)} vetoes, sha256 {rubric.sha256})")
