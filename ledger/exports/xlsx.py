"""XLSX export: a 总表 sheet (the scoreboard) and one sheet per town, laid out like the
rubric's own table (一级指标 / 二级指标 / 定性或量化要求 / 分值 / 扣分 / 得分 / 扣分依据).

Numbers are numbers (exact decimals become int/float only at the cell, format
``0.0#``); 扣分 is the indicator's effective deduction (分值 − 得分, after
"扣完为止"), so 分值 − 扣分 = 得分 on every row. Text cells go through
:func:`~ledger.exports.csvfile.safe_text` and are stored as strings, never formulas; a VT,
ESC, NUL or BEL in a name or note is written escaped (``\\x1b``), which openpyxl would
otherwise refuse.

>>> sheet_title("港区[一]/二", {"总表"})
'港区(一)_二'
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from ledger.events.codec import decimal_text
from ledger.exports.report import Report, number
from ledger.exports.csvfile import fact_text, safe_text
from ledger.text.escape import escaped
from ledger.text.fmt import beijing, width

BOARD_HEADERS = ["名次", "镇（区、街道）", "总分", "等次", "一票否决"]
CARD_HEADERS = ["一级指标", "二级指标", "定性或量化要求", "分值", "扣分", "得分", "扣分依据"]
NUMBER_FORMAT = "0.0#"
MAX_WIDTH = 60
LINE_HEIGHT = 16  # points per wrapped line of 11 pt text
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="DDE4EE")
TOP = Alignment(vertical="top", wrap_text=True)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def sheet_title(name: str, used: set[str]) -> str:
    """A legal, unused sheet title: no ``[]:*?/\\``, at most 31 characters."""
    base = re.sub(r"[\[\]]", lambda m: "(" if m.group() == "[" else ")", escaped(name))
    base = re.sub(r"[:*?/\\]", "_", base).strip("'") or "town"
    title, n = base[:31], 1
    while title.casefold() in {u.casefold() for u in used}:
        n += 1
        title = f"{base[:31 - len(str(n)) - 1]}~{n}"
    used.add(title)
    return title


def _text(ws, row: int, col: int, value, bold: bool = False):
    cell = ws.cell(row=row, column=col, value=safe_text(value))
    cell.data_type = "s"
    if bold:
        cell.font = Font(bold=True)
    return cell


def _num(ws, row: int, col: int, value):
    cell = ws.cell(row=row, column=col, value=number(value))
    cell.number_format = NUMBER_FORMAT
    return cell


HEAD_ROW = 2  # row 1 is the sheet's title (whose page it is), row 2 the table's header


def _header(ws, headers: list[str], title: str) -> None:
    top = _text(ws, 1, 1, title, bold=True)
    top.font, top.alignment = Font(bold=True, size=14), Alignment(horizontal="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    for col, h in enumerate(headers, start=1):
        c = _text(ws, HEAD_ROW, col, h, bold=True)
        c.fill, c.alignment, c.border = HEAD_FILL, CENTER, BORDER
    ws.freeze_panes = f"A{HEAD_ROW + 1}"
    ws.print_title_rows = f"1:{HEAD_ROW}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def basis_text(ind: dict) -> str:
    """The 扣分依据 of one indicator row: each clause's sentence, amount and events."""
    parts = []
    verb = "加" if ind["bonus"] else "扣"
    for line in ind["clauses"]:
        events = []
        for e in line["events"]:
            if e["type"] == "finding":
                extra = "；".join(x for x in [
                    "证据 " + "、".join(e["evidence"]) if e["evidence"] else "",
                    f"备注 {e['note']}" if e["note"] else "",
                    "条件条款只扣一次，此条为证据" if e.get("repeated") else
                    "" if e.get("counted", True) else "同一项目按最高分计"] if x)
                events.append(e["id"] + (f"（{extra}）" if extra else ""))
            else:
                events.append(f"{e['id']}（{fact_text(e)}）")
        capped = f"（封顶{line['ceiling']}）" if line.get("capped") else ""
        parts.append(f"{line['id']} {line['text']}：{verb}{decimal_text(line['amount'])}分"
                     f"{capped} ← " + "，".join(events))
    if ind["bounded"]:
        parts.append(f"合计{verb}{decimal_text(ind['raw'])}分，"
                     + ("封顶" if ind["bonus"] else "扣完为止"))
    for r in ind["retracted"]:
        parts.append(f"已撤销 {r['id']}（" + "；".join(
            f"{c['id']} {c['reason'] or ''}".strip() for c in r["corrections"]) + "）")
    return "\n".join(parts)


def _board_sheet(ws, report: Report, titles: dict[str, str]) -> None:
    _header(ws, BOARD_HEADERS, f"{report.board.period} 年度 评价结果总表")
    row = HEAD_ROW
    for row, s in enumerate(report.board.towns, start=HEAD_ROW + 1):
        ws.cell(row=row, column=1, value=s.rank)
        town = _text(ws, row, 2, s.town)
        town.hyperlink = Hyperlink(ref=town.coordinate, location=f"'{titles[s.town]}'!A1")
        _num(ws, row, 3, s.total)
        _text(ws, row, 4, s.grade)
        _text(ws, row, 5, veto_reason(report.trees.get(s.town), s.vetoes))
    ws.auto_filter.ref = f"A{HEAD_ROW}:E{row}"
    end = _meta(ws, 1, report, report.board.known_at, len(BOARD_HEADERS) + 2)
    _print_frame(ws, f"{report.board.period} 年度 评价结果总表")
    _signatures(ws, max(row, end) + 2)
    if report.board.towns:
        chart = BarChart()
        chart.type, chart.style = "bar", 10
        chart.title, chart.y_axis.title = "各镇总分", "总分"
        chart.legend = None
        chart.add_data(Reference(ws, min_col=3, min_row=HEAD_ROW, max_row=row),
                       titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=2, min_row=HEAD_ROW + 1, max_row=row))
        chart.x_axis.scaling.orientation = "maxMin"  # rank 1 on top
        chart.height, chart.width = 2 + 0.8 * len(report.board.towns), 16
        ws.add_chart(chart, f"B{max(row, end) + 6}")


def veto_reason(tree: dict | None, vetoes) -> str:
    """The 一票否决 cell: each veto's clause and sentence (and the finding's note),
    rather than an event id a reader cannot look up."""
    if not tree or not tree.get("vetoes"):
        return "、".join(vetoes)
    return "；".join(f"{v['clause']} {v['text']}" + (f"（{v['note']}）" if v["note"] else "")
                    for v in tree["vetoes"])


def _print_frame(ws, title: str) -> None:
    """Whose page it is, on every printed page: the title in the header, page numbers
    in the footer (Excel's &P/&N codes)."""
    ws.oddHeader.center.text = title.replace("&", "&&")
    ws.oddHeader.center.size = 12
    ws.oddFooter.center.text = "第 &P 页 / 共 &N 页"
    ws.oddFooter.right.text = "打印于 &D"


SIGNERS = ("填报人", "审核人", "复核人", "日期")


def _signatures(ws, row: int, col: int = 2) -> int:
    """The lines people sign on a print-out (填报人/审核人/复核人/日期), from column B
    (column A holds only table labels)."""
    for i, who in enumerate(SIGNERS):
        _text(ws, row, col + i, f"{who}：" + "＿" * 6, bold=True)
    return row + 1


def _meta(ws, row: int, report: Report, known_at: str, col: int) -> int:
    b, r = report.board, report.rubric
    for label, value in [("期间", b.period), ("截至", b.as_of.isoformat()),
                         ("账本时点（北京时间）", beijing(known_at)),
                         ("账本时点（UTC，复现用）", known_at), ("评分标准", f"{r.id}（{r.source.title}）"),
                         ("评分标准 SHA-256", r.sha256), ("来源", "自评" if report.source == "self" else "市局核查")]:
        _text(ws, row, col, label, bold=True)
        _text(ws, row, col + 1, value)
        row += 1
    return row


def _card_sheet(ws, report: Report, town: str) -> None:
    card, tree = next(c for c in report.cards if c.town == town), report.trees[town]
    _header(ws, CARD_HEADERS, f"{town} {card.period} 年度考核评分表")
    scored = {i["id"]: i for i in tree["indicators"]}
    row = HEAD_ROW + 1
    for group in report.rubric.groups:
        first = row
        for ind in group.indicators:
            node, score = scored[ind.id], card.indicator(ind.id)
            _text(ws, row, 2, ind.name)
            _text(ws, row, 3, ind.requirement)
            _num(ws, row, 4, ind.points)
            if not ind.bonus and score.points != score.score:
                _num(ws, row, 5, score.points - score.score)
            _num(ws, row, 6, score.score)
            _text(ws, row, 7, basis_text(node))
            row += 1
        _text(ws, first, 1, group.name)
        if row - 1 > first:
            ws.merge_cells(start_row=first, start_column=1, end_row=row - 1, end_column=1)
    last_indicator = row - 1
    base_points = sum((i.points for i in card.indicators if not i.bonus))
    summary = [("基本分", base_points, base_points - card.base, card.base),
               ("附加分", None, None, card.bonus), ("总分", None, None, card.total)]
    for label, points, cut, value in summary:
        _text(ws, row, 1, label, bold=True)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
        if points is not None:
            _num(ws, row, 4, points)
            _num(ws, row, 5, cut)
        _num(ws, row, 6, value).font = Font(bold=True)
        row += 1
    _text(ws, row, 1, "等次", bold=True)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
    _text(ws, row, 6, card.grade, bold=True)
    row += 1
    if tree["vetoes"]:
        _text(ws, row, 1, "一票否决", bold=True)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
        _text(ws, row, 7, "\n".join(f"{v['clause']} {v['text']} ← {v['id']}"
                                    + (f"（{v['note']}）" if v["note"] else "")
                                    for v in tree["vetoes"]))
        row += 1
    for r in ws.iter_rows(min_row=HEAD_ROW + 1, max_row=row - 1, max_col=len(CARD_HEADERS)):
        for c in r:
            c.border, c.alignment = BORDER, TOP
    for r in range(HEAD_ROW + 1, last_indicator + 1):
        ws.cell(row=r, column=1).alignment = CENTER
    if card.unscored:
        _text(ws, row, 1, "本标准无对应条款的发现", bold=True)
        _text(ws, row, 2, "、".join(card.unscored))
        row += 1
    end = _meta(ws, row + 1, report, card.known_at, 2)
    _print_frame(ws, f"{town} {card.period} 年度考核评分表（总分 {decimal_text(card.total)}，"
                     f"{card.grade}）")
    _signatures(ws, end + 1)
    if last_indicator > HEAD_ROW:
        chart = BarChart()
        chart.type, chart.style = "bar", 10
        chart.title = f"{town} 各指标扣分"
        chart.legend = None
        chart.add_data(Reference(ws, min_col=5, min_row=HEAD_ROW, max_row=last_indicator),
                       titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=2, min_row=HEAD_ROW + 1,
                                       max_row=last_indicator))
        chart.x_axis.scaling.orientation = "maxMin"
        chart.height, chart.width = 14, 16
        ws.add_chart(chart, f"I{HEAD_ROW}")
    if town in report.self_totals:
        _sources_chart(ws, end + 3, town, report.self_totals[town], card.total)


SOURCES = ("自评", "市局核查")


def _sources_chart(ws, row: int, town: str, self_total, city_total) -> None:
    """The town's self-evaluation beside the city's check (as the HTML's chart): a small
    table (镇 / 自评 / 市局核查) from column B and a bar chart of its two columns."""
    title = f"{town} 自评与市局核查总分"
    _text(ws, row, 2, title, bold=True)
    for col, head in enumerate(("镇（区、街道）",) + SOURCES, start=2):
        c = _text(ws, row + 1, col, head, bold=True)
        c.fill, c.alignment, c.border = HEAD_FILL, CENTER, BORDER
    _text(ws, row + 2, 2, town).border = BORDER
    for col, value in ((3, self_total), (4, city_total)):
        _num(ws, row + 2, col, value).border = BORDER
    chart = BarChart()
    chart.type, chart.style, chart.grouping = "col", 10, "clustered"
    chart.title, chart.y_axis.title = title, "总分"
    chart.add_data(Reference(ws, min_col=3, max_col=4, min_row=row + 1, max_row=row + 2),
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=2, min_row=row + 2, max_row=row + 2))
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = float(max(100, self_total, city_total))
    chart.height, chart.width = 7, 12
    ws.add_chart(chart, f"B{row + 4}")


def _fit(ws, wrap_cols: set[int]) -> None:
    """Column widths from the text (wide characters count 2, capped), row heights
    from the wrapped lines."""
    widths: dict[int, int] = {}
    for row in ws.iter_rows():
        for c in row:
            if c.value is None or c.coordinate in ws.merged_cells:
                continue
            text = str(c.value)
            longest = max(width(line) for line in text.split("\n"))
            widths[c.column] = max(widths.get(c.column, 0), longest)
    for col, w in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = min(max(w + 2, 6), MAX_WIDTH)
    for row in ws.iter_rows(min_row=HEAD_ROW + 1):
        lines = 1
        for c in row:
            if c.column in wrap_cols and isinstance(c.value, str):
                cols = ws.column_dimensions[get_column_letter(c.column)].width - 2
                lines = max(lines, sum(max(1, math.ceil(width(t) / cols))
                                       for t in c.value.split("\n")))
        if lines > 1:
            ws.row_dimensions[row[0].row].height = min(409, lines * LINE_HEIGHT)


def write_xlsx(report: Report, path: str | Path) -> Path:
    """Write the workbook: 总表 first, then the towns in scoreboard order."""
    wb = Workbook()
    used = {"总表"}
    titles = {s.town: sheet_title(s.town, used) for s in report.board.towns}
    board = wb.active
    board.title = "总表"
    _board_sheet(board, report, titles)
    _fit(board, set())
    for s in report.board.towns:
        ws = wb.create_sheet(titles[s.town])
        _card_sheet(ws, report, s.town)
        _fit(ws, {3, 7})
    path = Path(path)
    wb.save(path)
    return path
