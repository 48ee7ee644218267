"""Readable text for score cards and scoreboards (Chinese by default, ``lang="en"``).

>>> LABELS["zh"]["total"], LABELS["en"]["total"]
('总分', 'total')
"""

from __future__ import annotations

from ledger.projections.card import ScoreCard
from ledger.projections.scoreboard import Scoreboard
from ledger.rubric import Rubric
from ledger.text.escape import escaped
from ledger.text.fmt import beijing, num, table

LABELS = {
    "zh": {"rank": "名次", "town": "镇（区、街道）", "total": "总分", "grade": "等次",
           "veto": "一票否决", "indicator": "二级指标", "points": "分值", "deducted": "扣分",
           "awarded": "加分", "score": "得分", "basis": "扣分依据", "base": "基本分",
           "bonus": "附加分", "as_of": "截至", "known_at": "账本时点", "rubric": "评分标准",
           "unscored": "本标准无对应条款的发现", "cut": "（扣完为止）", "cap": "（封顶）",
           "source_self": "自评", "source_city": "市局核查", "source": "来源",
           "capped_at": "（封顶{}）", "once": "（扣一次）",
           "bonus_cap": "加分 上限", "bj": "（北京时间）"},
    "en": {"rank": "rank", "town": "town", "total": "total", "grade": "grade", "veto": "veto",
           "indicator": "indicator", "points": "points", "deducted": "deducted",
           "awarded": "awarded", "score": "score", "basis": "basis", "base": "base",
           "bonus": "bonus", "as_of": "as of", "known_at": "known at", "rubric": "rubric",
           "unscored": "findings on clauses this rubric lacks", "cut": " (bounded)",
           "cap": " (capped)", "source_self": "self-evaluation", "source_city": "city verification",
           "source": "source", "capped_at": " (capped at {})", "once": " (once)",
           "bonus_cap": "bonus, cap", "bj": " (Beijing time)"},
}
GRADES_EN = {"优秀": "excellent", "良好": "good", "合格": "pass", "不合格": "fail"}


def grade_text(grade: str, lang: str) -> str:
    return GRADES_EN.get(grade, grade) if lang == "en" else grade


def render_board(board: Scoreboard, lang: str = "zh") -> str:
    """The ranked scoreboard as an aligned table."""
    L = LABELS[lang]
    rows = [[str(s.rank), s.town, num(s.total), grade_text(s.grade, lang),
             ", ".join(s.vetoes)] for s in board.towns]
    head = escaped(f"{board.period}  {L['as_of']} {board.as_of}  {L['known_at']} "
                   f"{beijing(board.known_at)}{L['bj']}")
    return head + "\n" + table([L["rank"], L["town"], L["total"], L["grade"], L["veto"]], rows)


def _qualifier(line, L: dict) -> str:
    """What bounded one clause line: its unit ceiling, or a condition counted once."""
    if line.capped:
        return L["capped_at"].format(line.ceiling)
    if line.repeated:
        return L["once"]
    return ""


def render_card(card: ScoreCard, rubric: Rubric | None = None, lang: str = "zh") -> str:
    """A town's card: one row per indicator, with the clauses and events behind each deduction."""
    L = LABELS[lang]
    rows = []
    for ind in card.indicators:
        name = ind.name
        if rubric is not None and lang == "en":
            name = next((i.name_en for i in rubric.indicators if i.id == ind.id and i.name_en),
                        ind.name)
        change = ""
        if ind.raw:
            change = f"+{num(ind.raw)}" if ind.bonus else f"-{num(ind.raw)}"
        if ind.cut:
            change += L["cap"] if ind.bonus else L["cut"]
        basis = "; ".join(f"{line.clause} {num(line.amount)}{_qualifier(line, L)} ← "
                          f"{', '.join(line.events)}" for line in ind.lines)
        points = f"{L['bonus_cap']} {num(ind.points)}" if ind.bonus else num(ind.points)
        rows.append([ind.id, name, points, change, num(ind.score), basis])
    src = L["source_self"] if card.source == "self" else L["source_city"]
    head = [f"{card.town}  {card.period}  {L['as_of']} {card.as_of}  {L['known_at']} "
            f"{beijing(card.known_at)}{L['bj']}",
            f"{L['rubric']} {card.rubric_id} (sha256 {card.rubric_sha256[:12]}…)  {L['source']} {src}"]
    head = [escaped(line) for line in head]
    foot = [f"{L['base']} {num(card.base)}  {L['bonus']} {num(card.bonus)}  "
            f"{L['total']} {num(card.total)}  {L['grade']} {grade_text(card.grade, lang)}"]
    if card.vetoes:
        foot.append(escaped(f"{L['veto']}: {', '.join(card.vetoes)}"))
    if card.unscored:
        foot.append(escaped(f"{L['unscored']}: {', '.join(card.unscored)}"))
    headers = ["", L["indicator"], L["points"], f"{L['deducted']}/{L['awarded']}", L["score"],
               L["basis"]]
    return "\n".join(head + [table(headers, rows)] + foot)
