"""Inline SVG bar charts for the HTML report (no script, no network; text escaped).

:func:`board_chart` ranks the towns by total, coloured by grade; :func:`loss_chart`
shows one town's points lost (or, for bonus indicators, won) by indicator;
:func:`sources_chart` puts the town's self-evaluation beside the city's check.
Every bar carries a ``data-town``/``data-indicator`` attribute and a text label,
so a reader (or a test in a browser) finds what it shows.

>>> svg = board_chart([("沙溪镇", Decimal("96"), "优秀"), ("港区", Decimal("88"), "良好")])
>>> svg.count("<rect") == 2 and "沙溪镇" in svg
True
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from ledger.events.codec import decimal_text

GRADE_COLOURS = {"优秀": "#2e7d32", "良好": "#1f5fa8", "合格": "#ef8f00", "不合格": "#c62828"}


def _n(d) -> str:
    return decimal_text(Decimal(d))


def _bars(rows, title: str, attr: str, scale_max: Decimal, label_w: int = 96,
          colour=lambda row: "#1f5fa8") -> str:
    """Horizontal bars: ``rows`` = [(label, value, extra)], one bar a row."""
    w, bar_h, gap, top = 640, 16, 6, 22
    h = top + len(rows) * (bar_h + gap) + 8
    span = w - label_w - 60
    out = [f'<svg class="chart" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
           f'aria-label="{escape(title)}"><text x="0" y="12" font-weight="bold">'
           f'{escape(title)}</text>']
    for i, row in enumerate(rows):
        label, value = row[0], row[1]
        y = top + i * (bar_h + gap)
        length = 0 if not scale_max else float(value) / float(scale_max) * span
        out.append(f'<g {attr}="{escape(label)}"><text x="{label_w - 6}" y="{y + 12}" '
                   f'text-anchor="end">{escape(label)}</text>'
                   f'<rect x="{label_w}" y="{y}" width="{max(length, 0.5):.1f}" height="{bar_h}" '
                   f'fill="{colour(row)}"><title>{escape(label)}：{_n(value)}</title></rect>'
                   f'<text x="{label_w + length + 4:.1f}" y="{y + 12}">{_n(value)}'
                   f'{escape(row[2]) if len(row) > 2 and row[2] else ""}</text></g>')
    out.append("</svg>")
    return "".join(out)


def board_chart(standings) -> str:
    """Towns by total, best first, coloured by grade: ``[(town, total, grade)]``."""
    top = max([Decimal(100)] + [t for _, t, _ in standings])
    rows = [(town, total, f"  {grade}") for town, total, grade in standings]
    return _bars(rows, "各镇总分（颜色表示等次）", "data-town", top,
                 colour=lambda row: GRADE_COLOURS.get(row[2].strip(), "#1f5fa8"))


def loss_chart(town: str, indicators) -> str:
    """One town's points lost by indicator (only indicators that lost or won points):
    ``[(indicator id and name, amount, bonus)]``."""
    rows = [(f"{label}", amount, "  加分" if bonus else "") for label, amount, bonus in indicators
            if amount]
    if not rows:
        return f'<p class="muted">{escape(town)}：各指标均未扣分</p>'
    top = max(a for _, a, _ in rows)
    return _bars(rows, f"{town} 各指标扣分（加分另注）", "data-indicator", top, label_w=150,
                 colour=lambda row: "#2e7d32" if row[2] else "#c62828")


def sources_chart(town: str, self_total: Decimal, city_total: Decimal) -> str:
    """The town's self-evaluation (自评) beside the city's verification (市局核查)."""
    top = max(Decimal(100), self_total, city_total)
    return _bars([("自评", self_total), ("市局核查", city_total)], f"{town} 自评与市局核查总分",
                 "data-source", top, colour=lambda row: "#888" if row[0] == "自评" else "#1f5fa8")
