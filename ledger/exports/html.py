"""HTML export: one self-contained page to read on screen or print on A4.

No network, no script, no external font: inline CSS and an inline SVG chart per
town. The scoreboard's totals carry ``class="total" data-town="…"`` so a test (or
a scraper) can read them; each town's card starts a new printed page and table
headers repeat on every page. All text is escaped.

>>> svg = chart([(date(2017, 1, 31), Decimal("99.5")), (date(2017, 2, 28), Decimal("98"))])
>>> svg.startswith("<svg") and "<polyline" in svg and "1月" in svg
True
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from html import escape

from ledger.events.codec import decimal_text
from ledger.exports.report import Report
from ledger.exports.charts import board_chart, loss_chart, sources_chart
from ledger.exports.csvfile import fact_text
from ledger.text.fmt import beijing

CSS = """
@page { size: A4; margin: 15mm }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
       "SimSun", sans-serif; font-size: 10.5pt; color: #111; margin: 0 auto; max-width: 190mm; }
h1 { font-size: 16pt; margin: 0 0 4pt } h2 { font-size: 14pt; margin: 0 0 4pt }
.meta { color: #444; font-size: 9pt; margin: 0 0 8pt }
table { border-collapse: collapse; width: 100%; margin: 0 0 8pt }
th, td { border: 1px solid #888; padding: 2pt 4pt; vertical-align: top; text-align: left }
th { background: #dde4ee; }
thead { display: table-header-group } tr { page-break-inside: avoid; break-inside: avoid }
td.n, th.n { text-align: right; white-space: nowrap }
td.group { width: 3.5em; font-weight: bold } td.cont { border-top: hidden }
tr.first td { border-top: 1.5px solid #444 } td.name { width: 6.5em }
.veto { color: #a00; font-weight: bold }
section.town { page-break-before: always; break-before: page }
.line { margin: 0 0 3pt } .cid { font-family: monospace; font-weight: bold }
q.rubric { quotes: "「" "」"; }
ul.events { margin: 1pt 0 0 1.2em; padding: 0; font-size: 9pt } ul.events li { margin: 0 }
code { font-size: 9pt } .muted { color: #666 } .retracted { color: #666; font-size: 9pt }
figure { margin: 0 0 8pt } figcaption { font-size: 9pt; color: #444 }
svg text { font-size: 9px; fill: #333 }
a { color: inherit; text-decoration: none }
tr.totals td { border-top: 2px solid #444; background: #f3f5f8 }
table.sign { border: none; margin-top: 14pt } table.sign td { border: none; width: 6em }
table.sign td:nth-child(even) { border-bottom: 1px solid #333; width: 9em }
.runhead { display: none }
@media print { .runhead { display: block; position: running(runhead) } }
@page { @top-center { content: element(runhead) }
        @bottom-center { content: "第 " counter(page) " 页 / 共 " counter(pages) " 页"; font-size: 9pt } }
@media print { a { color: inherit } }
"""


def _n(d) -> str:
    return "" if d is None else decimal_text(Decimal(d))


def chart(series, start: date | None = None, months: int = 12,
          base_total: Decimal = Decimal(100)) -> str:
    """An inline SVG line chart of month-end totals (x: the period's months, y: 总分).

    ``series`` is ``[(day, total), …]``; ``start`` is the period's first day
    (default: January of the first day's year).
    """
    start = start or date(series[0][0].year, 1, 1)
    slot = lambda d: (d.year - start.year) * 12 + d.month - start.month  # noqa: E731
    w, h, left, right, top, bottom = 640, 220, 58, 16, 14, 34  # room for the axis label
    values = [t for _, t in series]
    lo = max(0, math.floor(min(values)) - 1)
    hi = max(math.ceil(max(values)), int(base_total))
    step = max(1, math.ceil((hi - lo) / 5))
    hi = lo + step * math.ceil((hi - lo) / step)
    x = lambda i: left + i * (w - left - right) / (months - 1)  # noqa: E731
    y = lambda v: top + (hi - float(v)) * (h - top - bottom) / (hi - lo)  # noqa: E731
    out = [f'<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
           f'aria-label="月末总分">']
    for t in range(lo, hi + 1, step):
        out.append(f'<line x1="{left}" y1="{y(t):.1f}" x2="{w - right}" y2="{y(t):.1f}" '
                   f'stroke="#ddd"/><text x="{left - 6}" y="{y(t) + 3:.1f}" '
                   f'text-anchor="end">{t}</text>')
    for i in range(months):
        out.append(f'<text x="{x(i):.1f}" y="{h - bottom + 14}" text-anchor="middle">'
                   f'{(start.month + i - 1) % 12 + 1}月</text>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" stroke="#555"/>'
               f'<line x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}" '
               f'stroke="#555"/>')
    out.append(f'<text x="{(left + w - right) / 2:.0f}" y="{h - 4}" text-anchor="middle">月末'
               f'</text><text x="10" y="{(top + h - bottom) / 2:.0f}" text-anchor="middle" '
               f'transform="rotate(-90 10 {(top + h - bottom) / 2:.0f})">总分</text>')
    pts = [(x(slot(d)), y(t), d, t) for d, t in series]
    out.append('<polyline fill="none" stroke="#1f5fa8" stroke-width="2" points="'
               + " ".join(f"{px:.1f},{py:.1f}" for px, py, _, _ in pts) + '"/>')
    for k, (px, py, d, t) in enumerate(pts):
        # a value on the y axis starts right of it, clear of the axis' own numbers
        at = (f'x="{px + 4:.1f}" text-anchor="start"' if px <= left + 1
              else f'x="{px:.1f}" text-anchor="middle"')
        out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="#1f5fa8">'
                   f'<title>{d.isoformat()}：{_n(t)}</title></circle>'
                   f'<text class="value" {at} y="{py - 6:.1f}">{_n(t)}</text>')
    out.append("</svg>")
    return "".join(out)


def _event(e: dict) -> str:
    if e["type"] != "finding":
        return f"<li><code>{escape(e['id'])}</code> {escape(fact_text(e))}</li>"
    bits = [f"<code>{escape(e['id'])}</code>", escape(e["occurred_on"])]
    if e["quantity"] != 1:
        bits.append(f"数量 {e['quantity']}")
    if e["value"] is not None:
        bits.append(f"测得 {escape(_n(e['value']))}")
    if e["project"]:
        bits.append(f"项目 {escape(e['project'])}")
    if e["evidence"]:
        bits.append("证据：" + "、".join(escape(v) for v in e["evidence"]))
    if e["note"]:
        bits.append("备注：" + escape(e["note"]))
    if e.get("repeated"):
        bits.append('<span class="muted">（条件条款每镇每期至多扣一次，本条仅作证据）</span>')
    elif not e.get("counted", True):
        bits.append('<span class="muted">（同一项目已按最高分计，本条不计）</span>')
    bits.append(f'<span class="muted">记录 {escape(e["recorded_at"])} '
                f'{escape(e["actor"] or "")}</span>')
    for c in e["corrections"]:
        what = "撤销" if c["kind"] == "retraction" else "更正"
        bits.append(f'<span class="muted">{what} <code>{escape(c["id"])}</code> '
                    f'{escape(c["reason"] or "")}（{escape(c["recorded_at"])}）</span>')
    return "<li>" + " ".join(bits) + "</li>"


def _basis(ind: dict) -> str:
    verb = "加" if ind["bonus"] else "扣"
    out = []
    for line in ind["clauses"]:
        out.append(f'<div class="line"><span class="cid">{escape(line["id"])}</span> '
                   f'<q class="rubric">{escape(line["text"])}</q> '
                   f'{verb} {_n(line["amount"])} 分（计 {line["quantity"]}'
                   f'{"，封顶" + str(line["ceiling"]) if line.get("capped") else ""}）'
                   f'<ul class="events">{"".join(_event(e) for e in line["events"])}</ul></div>')
    if ind["bounded"]:
        out.append(f'<div class="muted">合计{verb} {_n(ind["raw"])} 分，'
                   f'{"封顶" if ind["bonus"] else "扣完为止"}</div>')
    for r in ind["retracted"]:
        why = "；".join(escape(f"{c['id']} {c['reason'] or ''}") for c in r["corrections"])
        out.append(f'<div class="retracted">已撤销 <s>{escape(r["id"])} '
                   f'{escape(r["note"] or "")}</s>（{why}）</div>')
    return "".join(out)


def _board(report: Report, anchors: dict) -> str:
    rows = []
    for s in report.board.towns:
        veto = "、".join(escape(v) for v in s.vetoes)
        rows.append(f'<tr><td class="n">{s.rank}</td><td><a href="#{anchors[s.town]}">'
                    f'{escape(s.town)}</a></td><td class="total n" data-town="{escape(s.town)}">'
                    f'{_n(s.total)}</td><td>{escape(s.grade)}</td>'
                    f'<td class="veto">{veto}</td></tr>')
    return ('<table class="board"><thead><tr><th class="n">名次</th><th>镇（区、街道）</th>'
            '<th class="n">总分</th><th>等次</th><th>一票否决</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table>")


def _chart(report: Report, card) -> str:
    r = report.rubric
    end = r.assessed_until  # the period and its assessment window
    months = (end.year - r.valid_from.year) * 12 + end.month - r.valid_from.month + 1
    series = report.series.get(card.town) or [(card.as_of, card.total)]
    return chart(series, r.valid_from, max(months, 2), r.base_total)


def _card(report: Report, town: str, anchor: str) -> str:
    card = next(c for c in report.cards if c.town == town)
    tree = report.trees[town]
    nodes = {i["id"]: i for i in tree["indicators"]}
    rows = []
    for g in report.rubric.groups:
        for k, ind in enumerate(g.indicators):
            node, sc = nodes[ind.id], card.indicator(ind.id)
            # no rowspan: a spanning cell would keep the whole group on one printed page
            group = (f'<td class="group">{escape(g.name)}</td>' if k == 0
                     else '<td class="group cont"></td>')
            cut = "" if ind.bonus or sc.points == sc.score else _n(sc.points - sc.score)
            first = ' class="first"' if k == 0 else ""
            rows.append(f'<tr{first} data-indicator="{escape(ind.id)}">{group}'
                        f'<td class="name">{escape(ind.name)}'
                        f'</td><td class="n">{_n(ind.points)}</td><td class="n">{cut}</td>'
                        f'<td class="n">{_n(sc.score)}</td><td>{_basis(node)}</td></tr>')
    vetoes = "".join(f'<p class="veto">一票否决：{escape(v["clause"])} 「{escape(v["text"])}」 ← '
                     f'<code>{escape(v["id"])}</code> {escape(v["note"] or "")}</p>'
                     for v in tree["vetoes"])
    unscored = (f'<p class="muted">本标准无对应条款的发现：{escape("、".join(card.unscored))}</p>'
                if card.unscored else "")
    losses = [(f"{i['id']} {i['name']}", i["raw"], i["bonus"]) for i in tree["indicators"]]
    self_total = report.self_totals.get(town)
    sources = "" if self_total is None else sources_chart(town, self_total, card.total)
    return (f'<section class="town" id="{anchor}" data-town="{escape(town)}">'
            f'<div class="runhead">{escape(town)} {escape(card.period)} 年度考核评分表</div>'
            f'<h2>{escape(town)} · {escape(card.period)} 年度</h2><p class="meta">基本分 {_n(card.base)}　附加分 '
            f'{_n(card.bonus)}　总分 <b class="card-total">{_n(card.total)}</b>　等次 '
            f'{escape(card.grade)}　截至 {card.as_of}　账本时点 {beijing(card.known_at)}（北京时间）</p>'
            f'{vetoes}<figure>{_chart(report, card)}'
            f'<figcaption>{escape(town)} 各月末总分（账本时点 {beijing(card.known_at)} 北京时间）'
            f'</figcaption></figure>'
            '<table class="card"><thead><tr><th>一级指标</th><th>二级指标</th>'
            '<th class="n">分值</th><th class="n">扣分</th><th class="n">得分</th>'
            '<th>扣分依据</th></tr></thead><tbody>'
            + "".join(rows) + _totals_row(card) + f"</tbody></table>{unscored}"
            f'<figure class="bars">{loss_chart(town, losses)}{sources}</figure>'
            + SIGNATURES + "</section>")


SOURCE = {"city": "市局核查", "self": "自评"}
SIGNATURES = ('<table class="sign"><tr><td>填报人：</td><td></td><td>审核人：</td><td></td>'
              '<td>复核人：</td><td></td><td>日期：</td><td></td></tr></table>')


def _totals_row(card) -> str:
    """The seed's 自评总得分 row: 基本分 / 附加分 / 总分 / 等次 under the table."""
    return (f'<tr class="totals"><td colspan="2"><b>合计</b></td><td colspan="4">基本分 '
            f'{_n(card.base)}　附加分 {_n(card.bonus)}　总分 <b>{_n(card.total)}</b>　等次 '
            f'<b>{escape(card.grade)}</b></td></tr>')


def render_html(report: Report) -> str:
    """The whole page: title, scoreboard, then one card section per town."""
    b, r = report.board, report.rubric
    anchors = {s.town: f"town-{i}" for i, s in enumerate(b.towns, start=1)}
    title = f"{r.source.title} — {b.period} 评价结果"
    return ("<!DOCTYPE html>\n"
            f'<html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<style>{CSS}</style></head><body>"
            f"<h1>{escape(title)}</h1><p class=\"meta\">{escape(r.source.document_number)}　"
            f"截至 {b.as_of}　账本时点 {beijing(b.known_at)}（北京时间；UTC "
            f"<code>{escape(b.known_at)}</code>）　评分标准 {escape(r.id)} "
            f"(SHA-256 <code>{escape(r.sha256)}</code>)　来源 {SOURCE[report.source]}</p>"
            f"<h2>总表</h2>{_board(report, anchors)}"
            f'<figure class="bars">{board_chart([(s.town, s.total, s.grade) for s in b.towns])}'
            f"</figure>{SIGNATURES}"
            + "".join(_card(report, s.town, anchors[s.town]) for s in b.towns)
            + "</body></html>\n")
