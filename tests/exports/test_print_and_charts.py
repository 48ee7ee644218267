"""Printouts and files to sign (issue 15, items 9 and 10): whose page it is, totals rows,
signature lines, the veto's reason, and charts — checked in the files, in LibreOffice
(XLSX -> PDF, text read back with pdftotext) and in headless Chromium (the HTML's SVG)."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from decimal import Decimal

import openpyxl
import pytest

import ledger
from ledger.demo import build_demo
from ledger.exports import export

PERIOD, KNOWN = "2017", "2018-12-31"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("print")
    lg = ledger.open(build_demo(tmp / "demo.db"))
    for fmt in ("html", "xlsx"):
        export(lg, PERIOD, fmt, tmp / f"report.{fmt}", known_at=KNOWN)
    board = lg.scoreboard(PERIOD, known_at=KNOWN)
    yield lg, tmp, board
    lg.close()


def test_xlsx_pages_say_whose_they_are_and_have_signature_lines(files):
    _, tmp, board = files
    wb = openpyxl.load_workbook(tmp / "report.xlsx")
    assert "2017" in wb["总表"].oddHeader.center.text
    for s in board.towns:
        ws = wb[s.town]
        head = ws.oddHeader.center.text
        assert s.town in head and "2017" in head and s.grade in head, head
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
        texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
        for who in ("填报人", "审核人", "复核人", "日期"):
            assert any(t.startswith(who + "：") for t in texts), who
        assert ws["A1"].value == f"{s.town} 2017 年度考核评分表"
        labels = [ws.cell(row=r, column=1).value for r in range(3, ws.max_row + 1)]
        assert labels.index("基本分") < labels.index("附加分") < labels.index("总分") \
            < labels.index("等次")


def test_xlsx_board_shows_the_veto_reason_not_the_event_id(files):
    lg, tmp, board = files
    ws = openpyxl.load_workbook(tmp / "report.xlsx")["总表"]
    vetoed = [s for s in board.towns if s.vetoes]
    assert vetoed, "the demo has a vetoed town"
    for s in vetoed:
        row = next(r for r in range(3, ws.max_row + 1) if ws.cell(row=r, column=2).value == s.town)
        cell = ws.cell(row=row, column=5).value
        clause = lg.explain(s.town, PERIOD, known_at=KNOWN)["vetoes"][0]["clause"]
        assert cell.startswith(clause + " ") and s.vetoes[0] not in cell, cell


def test_xlsx_holds_a_scoreboard_chart_and_one_per_town(files):
    _, tmp, board = files
    with zipfile.ZipFile(tmp / "report.xlsx") as z:
        charts = [n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
        xml = {n: z.read(n).decode("utf-8") for n in charts}
    assert len(charts) == 1 + 2 * len(board.towns)  # the board; per town: losses, self vs city
    assert any("各镇总分" in x and "'总表'!$C$3" in x.replace("总表!", "'总表'!") for x in
               xml.values()), list(xml.values())[0][:500]
    for s in board.towns:
        assert any(f"{s.town} 各指标扣分" in x for x in xml.values()), s.town


def _cell(wb, ref: str):
    """The value at a chart reference such as ``'城厢镇'!$C$47``."""
    sheet, cell = ref.rsplit("!", 1)
    return wb[sheet.strip("'")][cell.replace("$", "")].value


def _title(chart) -> str:
    return "".join(r.t for p in chart.title.tx.rich.p for r in (p.r or []))


def test_xlsx_town_sheets_chart_self_beside_city(files):
    lg, tmp, board = files
    wb = openpyxl.load_workbook(tmp / "report.xlsx")
    differs = 0
    for s in board.towns:
        ws = wb[s.town]
        chart = next(c for c in ws._charts if _title(c) == f"{s.town} 自评与市局核查总分")
        assert chart.type == "col" and chart.grouping == "clustered"
        self_total = lg.score(s.town, PERIOD, known_at=KNOWN, source="self").total
        expected = [("自评", self_total), ("市局核查", s.total)]
        got = [(_cell(wb, x.tx.strRef.f), _cell(wb, x.val.numRef.f)) for x in chart.series]
        assert [(name, Decimal(str(v))) for name, v in got] == expected, s.town
        for x in chart.series:  # one category: the town, on the same sheet
            assert x.cat.numRef.f.startswith(f"'{s.town}'!") and _cell(wb, x.cat.numRef.f) == s.town
        differs += self_total != s.total
    assert differs, "the demo has a town whose self-evaluation differs from the city's check"


def test_xlsx_has_no_self_chart_when_it_shows_the_self_evaluations(files, tmp_path):
    lg, _, board = files
    out = export(lg, PERIOD, "xlsx", tmp_path / "self.xlsx", known_at=KNOWN, source="self")
    wb = openpyxl.load_workbook(out)
    for s in board.towns:
        assert [_title(c) for c in wb[s.town]._charts] == [f"{s.town} 各指标扣分"]


@pytest.mark.slow  # over a second (a real program or several CLI runs)
def test_xlsx_opens_in_libreoffice_and_its_pdf_names_every_town(files, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice (soffice) or pdftotext is not installed: apt-get install "
                    "libreoffice-calc-nogui poppler-utils (.ci/run does)")
    _, tmp, board = files
    done = subprocess.run([soffice, "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                           "--convert-to", "pdf", "--outdir", str(tmp_path),
                           str(tmp / "report.xlsx")], capture_output=True, text=True, timeout=600)
    pdf = tmp_path / "report.pdf"
    assert done.returncode == 0 and pdf.is_file(), done.stderr[-2000:]
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, timeout=120).stdout
    for s in board.towns:
        assert s.town in text, s.town
    assert "基本分" in text and "填报人" in text and "第 1 页" in text


def test_html_has_totals_rows_signatures_and_print_frame(files):
    _, tmp, board = files
    html = (tmp / "report.html").read_text(encoding="utf-8")
    assert html.count('<tr class="totals">') == len(board.towns)
    assert html.count("填报人：") == 1 + len(board.towns)
    assert "counter(page)" in html and "@top-center" in html
    for s in board.towns:
        assert f'<div class="runhead">{s.town} 2017 年度考核评分表</div>' in html


def _chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow  # over a second (a real program or several CLI runs)
def test_html_charts_render_in_a_headless_browser_with_town_labels(files, tmp_path):
    exe = _chromium()
    if exe is None:
        pytest.skip("no headless browser installed: apt-get install chromium")
    _, tmp, board = files
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run",
           f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
           (tmp / "report.html").resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    board_svg = re.search(r'<svg class="chart"[^>]*aria-label="各镇总分（颜色表示等次）".*?</svg>',
                          dom, re.S)
    assert board_svg, "the scoreboard chart is in the rendered page"
    labels = re.findall(r'<g data-town="([^"]+)"><text[^>]*>([^<]+)</text>', board_svg.group())
    assert [town for town, _ in labels] == [s.town for s in board.towns]
    assert all(town == label for town, label in labels)
    for s in board.towns:
        assert f'aria-label="{s.town} 各指标扣分（加分另注）"' in dom, s.town
        assert f'aria-label="{s.town} 自评与市局核查总分"' in dom, s.town
    shot = tmp_path / "shot.png"
    pic = subprocess.run(cmd[:-2] + [f"--screenshot={shot}", "--window-size=800,1200",
                                     (tmp / "report.html").resolve().as_uri()],
                         capture_output=True, text=True, timeout=180)
    assert pic.returncode == 0 and shot.stat().st_size > 10_000, pic.stderr[-1000:]


# -- export --town / --source / the CSV scoreboard (item 11) ----------------------------------

def test_export_one_town_keeps_its_rank(files, tmp_path):
    lg, _, board = files
    town = board.towns[-1]
    out = export(lg, PERIOD, "xlsx", tmp_path / "one.xlsx", known_at=KNOWN, town=town.town)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["总表", town.town]
    assert [c.value for c in wb["总表"][3][:3]] == [town.rank, town.town, float(town.total)
                                                    if town.total % 1 else int(town.total)]
    html = export(lg, PERIOD, "html", tmp_path / "one.html", known_at=KNOWN, town=town.town)
    text = html.read_text(encoding="utf-8")
    assert text.count('<section class="town"') == 1
    with pytest.raises(ledger.UnknownTown) as exc:
        export(lg, PERIOD, "csv", tmp_path / "x.csv", known_at=KNOWN, town="沙西镇")
    assert exc.value.suggestions == ("沙溪镇",)


def test_export_cli_town_source_and_chinese_error(files, tmp_path):
    from support.scoring import assert_one_error_line, run_cli
    lg, tmp, board = files
    db = tmp / "demo.db"
    out = tmp_path / "self.json"
    proc = run_cli("--db", db, "export", "--period", PERIOD, "--format", "json", "-o", out,
                   "--known-at", KNOWN, "--source", "self", "--town", "城厢镇")
    assert proc.returncode == 0, proc.stderr_text
    import json
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [c["town"] for c in data["cards"]] == ["城厢镇"]
    assert str(lg.score("城厢镇", PERIOD, known_at=KNOWN, source="self").total) == \
        str(data["cards"][0]["total"])
    bad = run_cli("--db", db, "export", "--period", PERIOD, "--format", "csv", "-o",
                  tmp_path / "x.csv", "--town", "沙西镇")
    assert assert_one_error_line(bad) == "error: 未登记的镇「沙西镇」，是否指「沙溪镇」？"


def test_csv_holds_the_scoreboard(files, tmp_path):
    import csv
    lg, _, board = files
    out = export(lg, PERIOD, "csv", tmp_path / "b.csv", known_at=KNOWN)
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    totals = [r for r in rows if r["kind"] == "total"]
    from decimal import Decimal
    assert [(int(r["rank"]), r["town"], Decimal(r["total"]), r["grade"]) for r in totals] == [
        (s.rank, s.town, s.total, s.grade) for s in board.towns]
    assert all(r["rank"] and r["total"] and r["grade"] for r in rows)


def test_line_chart_axis_label_clears_the_tick_values():
    from datetime import date
    from decimal import Decimal
    from ledger.exports.html import chart
    svg = chart([(date(2017, 1, 31), Decimal("100")), (date(2017, 2, 28), Decimal("98.5"))])
    label_x = float(re.search(r'<text x="([\d.]+)"[^>]*transform="rotate\(-90', svg).group(1))
    ticks = [(float(x), t) for x, t in re.findall(
        r'<text x="([\d.]+)" y="[\d.]+" text-anchor="end">(\d+)</text>', svg)]
    assert ticks, svg[:300]
    # 9 px text: the rotated label spans label_x ± 4.5; a tick value's digits ~5.5 px each,
    # right-aligned at x
    assert all(label_x + 4.5 < x - 5.5 * len(t) for x, t in ticks), (label_x, ticks)
    # the first month's value sits on the y axis: it starts right of the axis' numbers
    first = re.search(r'<text class="value" x="([\d.]+)" text-anchor="(\w+)"', svg)
    assert first.group(2) == "start" and float(first.group(1)) > max(x for x, _ in ticks)
