"""Readable text for the audit views: explain, history, diff, compare.

Each function takes the plain data the API returns (what ``--json`` prints) and
lays it out for a person; Chinese labels by default, ``lang="en"`` for English.
Every string in that data is shown escaped (:mod:`ledger.text.escape`) before layout.
"""

from __future__ import annotations

from ledger.text.cards import grade_text
from ledger.text.escape import escaped_data
from ledger.text.fmt import beijing, num, plural, table

T = {
    "zh": {"total": "总分", "grade": "等次", "deducted": "扣", "awarded": "加", "score": "得分",
           "points": "分值", "bounded": "（扣完为止）", "capped": "（封顶）", "recorded": "记录于",
           "occurred": "发生于", "by": "记录人", "qty": "数量", "note": "说明", "evidence": "证据",
           "retracted": "已撤销", "amended": "已更正", "reason": "理由", "not_counted": "（同一项目依最高分统计，此条不计分）",
           "veto": "一票否决", "approved": "批准", "due": "应报", "deadline": "期限",
           "paid": "发放", "submitted": "上报", "not_yet": "尚未", "wd": "个工作日",
           "late_units": "计", "event": "事件", "change": "变化", "unscored": "无对应条款",
           "capped_at": "（封顶{}，超出部分不扣分）",
           "repeated": "（条件条款每镇每期至多扣一次：此条仅作证据，不再扣分）",
           "moved": "顺延至",
           "as_of": "截至", "known_at": "账本时点", "bj": "（北京时间）", "clause": "条款",
           "status": "变化", "before": "之前", "after": "之后", "events": "相关事件",
           "town": "镇（区、街道）", "rank_before": "原名次", "rank_after": "现名次",
           "appeared": "新增", "vanished": "消失", "changed": "改变", "rubric": "评分标准",
           "self": "自评", "city": "市局核查", "self_events": "自评事件", "city_events": "核查事件",
           "direction": "扣/加", "minus": "扣", "plus": "加", "bonus_cap": "加分 上限",
           "seq": "序号"},
    "en": {"total": "total", "grade": "grade", "deducted": "-", "awarded": "+", "score": "score",
           "points": "points", "bounded": " (bounded)", "capped": " (capped)",
           "recorded": "recorded", "occurred": "occurred", "by": "by", "qty": "quantity",
           "note": "note", "evidence": "evidence", "retracted": "retracted",
           "amended": "amended", "reason": "reason", "not_counted": " (same project counted at its highest level: not scored)",
           "veto": "veto", "approved": "approved", "due": "due", "deadline": "deadline",
           "paid": "paid", "submitted": "submitted", "not_yet": "not yet", "wd": " working days",
           "late_units": "units", "event": "event", "change": "change", "unscored": "unscored",
           "capped_at": " (capped at {}: the excess deducts nothing)",
           "repeated": " (a condition deducts at most once per town and period: evidence only)",
           "moved": "moved to",
           "as_of": "as_of", "known_at": "known_at", "bj": " (Beijing time)", "clause": "clause",
           "status": "status", "before": "before", "after": "after", "events": "events",
           "town": "town", "rank_before": "rank ←", "rank_after": "rank →",
           "appeared": "appeared", "vanished": "vanished", "changed": "changed",
           "rubric": "rubric", "self": "self", "city": "city", "self_events": "self events",
           "city_events": "city events", "direction": "+/-", "minus": "deduct", "plus": "award",
           "bonus_cap": "bonus, cap", "seq": "seq"},
}


def render_explain(tree: dict, lang: str = "zh") -> str:
    """The trace from the total down to each event, quoting the rubric's sentences."""
    tree = escaped_data(tree)
    L = T[lang]
    out = [f"{tree['town']}  {tree['period']}  {L['total']} {num(tree['total'])}  "
           f"{L['grade']} {grade_text(tree['grade'], lang)}  ({L['as_of']} {tree['as_of']}, "
           f"{L['known_at']} {beijing(tree['known_at'])}{L['bj']}, "
           f"{tree['rubric']['id']})"]
    for v in tree["vetoes"]:
        out.append(f"  {L['veto']} {v['clause']} 「{v['text']}」 ← {v['id']} "
                   f"({L['occurred']} {v['occurred_on']}, {L['recorded']} "
                   f"{beijing(v['recorded_at'])})")
    for ind in tree["indicators"]:
        sign = L["awarded"] if ind["bonus"] else L["deducted"]
        bound = (L["capped"] if ind["bonus"] else L["bounded"]) if ind["bounded"] else ""
        points = (f"{L['bonus_cap']} {num(ind['points'])}" if ind["bonus"]
                  else f"{L['points']} {num(ind['points'])}")
        out.append(f"├─ {ind['id']} {ind['name']}  {points}  "
                   f"{sign}{num(ind['raw'])}{bound}  {L['score']} {num(ind['score'])}")
        for c in ind["clauses"]:
            capped = L["capped_at"].format(c["ceiling"]) if c.get("capped") else ""
            out.append(f"│  ├─ {c['id']} 「{c['text']}」 {sign}{num(c['amount'])}"
                       f" ({L['qty']} {c['quantity']}){capped}")
            for e in c["events"]:
                out += ["│  │  " + line for line in _event_lines(e, L, lang)]
        for e in ind["retracted"]:
            out += ["│  ✗ " + line for line in _event_lines(e, L)]
    if tree["unscored"]:
        out.append(f"{L['unscored']}: {', '.join(tree['unscored'])}")
    return "\n".join(out)


def _event_lines(e: dict, L: dict, lang: str = "zh") -> list[str]:
    if e["type"] in ("payment", "report"):
        start, done = (L["approved"], L["paid"]) if e["type"] == "payment" else (L["due"], L["submitted"])
        done_text = e["done_on"] or L["not_yet"]
        lines = [f"└─ {e['id']} {e['subject']}: {start} {e['start']} → {L['deadline']} "
                 f"{e['deadline']} → {done} {done_text}; "
                 f"{plural(e['working_days'], 'working day', lang)}, "
                 f"{L['late_units']} {e['units']}"]
        if e.get("due_moved"):
            m = e["due_moved"]
            lines.append(f"   {L['due']} {e['start']} {L['moved']} {m['to']}"
                         f"（{m['rule']}：{m['text']}）")
        return lines
    head = (f"└─ {e['id']} [{L.get(e['source'], e['source'])}] {L['occurred']} "
            f"{e['occurred_on']}, {L['recorded']} {beijing(e['recorded_at'])}, "
            f"{L['by']} {e['actor'] or '-'}, "
            f"{L['qty']} {e['quantity']}")
    if e.get("value") is not None:
        head += f", value {num(e['value'])}%"
    if e.get("project"):
        head += f", project {e['project']}"
    if e.get("repeated"):
        head += L["repeated"]
    elif e.get("counted") is False:
        head += L["not_counted"]
    lines = [head]
    if e.get("note"):
        lines.append(f"   {L['note']}: {e['note']}")
    if e.get("evidence"):
        lines.append(f"   {L['evidence']}: {'; '.join(e['evidence'])}")
    for c in e["corrections"]:
        what = L["retracted"] if c["kind"] == "retraction" else L["amended"]
        extra = "" if c["kind"] == "retraction" else \
            f" → {L['qty']} {c['quantity'] if c['quantity'] is not None else '-'}" + \
            (f", value {num(c['value'])}" if c["value"] is not None else "")
        lines.append(f"   {what} {c['id']} {L['recorded']} {beijing(c['recorded_at'])}{extra}; "
                     f"{L['reason']}: {c['reason'] or '-'}")
    return lines


def render_history(rows: list[dict], lang: str = "zh") -> str:
    rows = escaped_data(rows)
    L = T[lang]
    body = []
    for r in rows:
        change = " ".join(f"{'+' if c['effect'] > 0 else ''}{num(c['effect'])} {c['clause']}"
                          for c in r["changes"]) or ("—" if r["total_before"] is not None else "")
        body.append([str(r["seq"]), beijing(r["recorded_at"]), r["event"], change,
                     num(r["delta"]), num(r["total"]), grade_text(r["grade"], lang)])
    return table([L["seq"], L["recorded"] + L["bj"], L["event"], L["change"], "Δ", L["total"],
                  L["grade"]], body)


def render_diff(d: dict, lang: str = "zh") -> str:
    d = escaped_data(d)
    L = T[lang]
    if "towns" in d:  # scoreboards
        rows = [[t["town"], str(t["rank_before"] or "-"), str(t["rank_after"] or "-"),
                 num(t["before"]), num(t["after"])] for t in d["towns"]]
        return _sides(d, L) + "\n" + table(
            [L["town"], L["rank_before"], L["rank_after"], L["before"], L["after"]], rows)
    head = (f"{d['town']} {d['period']}: {L['total']} {num(d['total']['before'])} → "
            f"{num(d['total']['after'])} (Δ {num(d['total']['delta'])})")
    rows = [[line["clause"], L.get(line["status"], line["status"]), num(line["before"]),
             num(line["after"]),
             ", ".join(line["events"]) + (f"  {L['rubric']}: {line['rubric']['before']} → "
                                          f"{line['rubric']['after']}" if "rubric" in line else "")]
            for line in d["lines"]]
    return head + "\n" + _sides(d, L) + "\n" + table(
        [L["clause"], L["status"], L["before"], L["after"], L["events"]], rows)


def _sides(d: dict, L: dict) -> str:
    """The two moments a diff compares, in Beijing time."""
    a, b = d.get("from") or {}, d.get("to") or {}
    if not a and not b:
        return ""
    return (f"{L['before']}: {L['as_of']} {a.get('as_of', '')}, {L['known_at']} "
            f"{beijing(a.get('known_at'))}  →  {L['after']}: {L['as_of']} "
            f"{b.get('as_of', '')}, {L['known_at']} {beijing(b.get('known_at'))}"
            f"{L['bj']}")


def render_compare(d: dict, lang: str = "zh", bonus_clauses: frozenset = frozenset()) -> str:
    """Self vs city, clause by clause: which way each clause goes (扣 deducts, 加 awards;
    ``bonus_clauses`` are the rubric's bonus clause ids); rows where both are 0 are left out."""
    L = T[lang]
    d = escaped_data(d)
    head = (f"{d['town']} {d['period']}: {L['self']} {num(d['self_total'])} / {L['city']} "
            f"{num(d['city_total'])}  ({L['as_of']} {d['as_of']}, {L['known_at']} "
            f"{beijing(d['known_at'])}{L['bj']})")
    rows = [[r["clause"], L["plus"] if r["clause"] in bonus_clauses else L["minus"],
             num(r["self"]), num(r["city"]), ", ".join(r["self_events"]),
             ", ".join(r["city_events"])] for r in d["clauses"] if r["self"] or r["city"]]
    return head + "\n" + table([L["clause"], L["direction"], L["self"], L["city"],
                                L["self_events"], L["city_events"]], rows)
