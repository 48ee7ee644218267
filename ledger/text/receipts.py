"""What a person keeps: the receipt of a publication, and lists of towns, periods,
rubrics and publications (Chinese by default, ``lang="en"``).

>>> print(render_list(["沙溪镇", "浏河镇"], "towns", "en"))
2 towns
  沙溪镇
  浏河镇
"""

from __future__ import annotations

import json
from decimal import Decimal

from ledger.text.cards import grade_text
from ledger.text.fmt import beijing, num, plural, table

T = {
    "zh": {"title": "公布回执", "town": "镇（区、街道）", "board": "全部镇（总表）", "period": "年度",
           "total": "总分", "grade": "等次", "as_of": "截至（as_of）", "known_at": "账本时点（known_at）",
           "head": "链头（chain head）", "id": "公布编号", "sha": "内容 sha256", "bj": "北京时间",
           "keep": "请保存本回执；复现：", "towns": "个镇（区、街道）", "periods": "个年度",
           "rubrics": "个评分标准", "publications": "次公布", "recorded": "公布时间（北京时间）",
           "rubric": "评分标准"},
    "en": {"title": "Publication receipt", "town": "town", "board": "all towns (scoreboard)",
           "period": "period", "total": "total", "grade": "grade", "as_of": "as_of",
           "known_at": "known_at", "head": "chain head", "id": "publication id",
           "sha": "content sha256", "bj": "Beijing time", "keep": "Keep this receipt; to reproduce:",
           "towns": "town", "periods": "period", "rubrics": "rubric",
           "publications": "publication", "recorded": "published (Beijing time)",
           "rubric": "rubric"},
}


def render_receipt(pub, db: str, lang: str = "zh") -> str:
    """The receipt of a :class:`~ledger.publishing.Publication`. Its first line is the
    publication id alone, so ``reproduce "$(head -1 receipt.txt)"`` works."""
    L = T[lang]
    content = json.loads(pub.content, parse_float=Decimal)
    card = "indicators" in content
    lines = [pub.id, f"== {L['title']} =="]
    lines.append(f"{L['town']}: {content['town'] if card else L['board']}")
    lines.append(f"{L['period']}: {content['period']}")
    if card:
        lines.append(f"{L['total']}: {num(content['total'])}  "
                     f"{L['grade']}: {grade_text(content['grade'], lang)}")
    else:
        lines += [f"  {s['rank']}. {s['town']}  {num(s['total'])}  {grade_text(s['grade'], lang)}"
                  for s in content["towns"]]
    lines.append(f"{L['as_of']}: {content['as_of']}")
    lines.append(f"{L['known_at']}: {beijing(pub.known_at)} ({L['bj']}) = {pub.known_at}")
    lines.append(f"{L['head']}: {pub.chain_head}")
    lines.append(f"{L['id']}: {pub.id}")
    lines.append(f"{L['sha']}: {pub.sha256}")
    lines.append(f"{L['keep']} python -m ledger --db {db} reproduce {pub.id}")
    return "\n".join(lines)


def render_list(items: list[str], what: str, lang: str = "zh") -> str:
    """A count and one item a line (``towns``, ``periods``, ``rubrics``)."""
    L = T[lang]
    count = f"{len(items)} {L[what]}" if lang == "zh" else plural(len(items), L[what], lang)
    return "\n".join([count] + [f"  {i}" for i in items])


def render_publications(rows: list[dict], lang: str = "zh") -> str:
    """The ledger's publications as a table."""
    L = T[lang]
    body = [[r["id"], r["town"] or L["board"], r["period"], r["as_of"], beijing(r["known_at"]),
             num(r["total"]) if r["total"] is not None else "",
             grade_text(r["grade"], lang) if r["grade"] else "", r["chain_head"].split(":")[0],
             beijing(r["recorded_at"])] for r in rows]
    count = f"{len(rows)} {L['publications']}" if lang == "zh" else \
        plural(len(rows), L["publications"], lang)
    return count + "\n" + table(
        [L["id"], L["town"], L["period"], "as_of", "known_at", L["total"], L["grade"],
         L["head"], L["recorded"]], body)
