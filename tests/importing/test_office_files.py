"""Files as Chinese offices save them (issue 15, items 1-3): encodings, Excel's dates and
cells, Chinese headers, .xlsx sheets, templates and the shipped examples.

Expected scores are computed by hand from the seed (太政民〔2017〕72号): B06.1 0.1 a time,
A01.2 0.5, B07.1 0.5 a household, C02.1 0.1 a late payment, A09.1 0.1 a working day late.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

import ledger
from ledger.importing.columns import COLUMN_ALIASES, excel_date
from ledger.importing.template import write_template

from support.scoring import REPO, TOWN, adopt, assert_one_error_line, run_cli, town, write_jsonl

D = Decimal
HEADER = "类型,编号,镇,年度,条款,发生日期,数量,备注,证据"
ROW = "问题,f-{n},沙溪镇,2017,B06.1,2017/3/1,2,三次张榜公示少一次,核查记录0301"


@pytest.fixture
def lg(tmp_path):
    with ledger.open(tmp_path / "office.db") as lg:
        lg.append([adopt(id="a-1"), town(TOWN, id="t-1")])
        yield lg


def stored(lg, event_id):
    return json.loads(lg.store.get(event_id).payload)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig", "utf-16",
                                      "utf-16-le-bom", "utf-16-be-bom"])
def test_each_office_encoding_imports_the_same_events(lg, tmp_path, encoding):
    text = f"{HEADER}\r\n{ROW.format(n=1)}\r\n{ROW.format(n=2)}\r\n"
    if encoding.endswith("-bom"):  # Excel's "Unicode text": a BOM, then UTF-16LE/BE
        codec = encoding[:-4]
        data = ("\ufeff" + text).encode(codec)
    else:
        data = text.encode(encoding)
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes(data)
    assert lg.import_file(path) == 2
    f = stored(lg, "f-1")
    assert (f["town"], f["clause"], f["occurred_on"], f["quantity"]) == (TOWN, "B06.1",
                                                                         "2017-03-01", 2)
    assert f["note"] == "三次张榜公示少一次" and f["evidence"] == ["核查记录0301"]
    assert lg.score(TOWN, "2017").total == D("99.6")  # 100 - 2 x 2 x 0.1


def test_forced_encoding_and_an_unknown_one(lg, tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes(f"{HEADER}\n{ROW.format(n=1)}\n".encode("gbk"))
    with pytest.raises(ledger.ValidationError, match="not valid UTF-8.*CSV UTF-8"):
        lg.import_file(path, encoding="utf-8")
    with pytest.raises(ledger.LedgerError, match="unknown encoding"):
        lg.import_file(path, encoding="klingon")
    assert lg.import_file(path, encoding="gbk") == 1


def test_utf8_with_a_bad_byte_before_any_chinese_is_refused_not_read_as_gbk(lg, tmp_path):
    """Found by the fuzz corpus: the bad bytes came first, so the file decoded as GB18030
    and imported mojibake; the UTF-8 text after them says what the file is."""
    path = tmp_path / "bad.csv"
    path.write_bytes(b"type,id,name,actor\r\ntown,\xc0\xaffz-0,\xe6\x96\xb0\xe9\x95\x87,x\r\n")
    head = lg.head()
    with pytest.raises(ledger.ValidationError, match="line 2: not valid UTF-8"):
        lg.import_file(path)
    assert lg.head() == head


@pytest.mark.parametrize("names", ["沙溪镇", "浏河镇", "璜泾镇,双凤镇", "城厢镇 浮桥镇 太仓港区"])
def test_a_short_gbk_file_is_still_read_as_gbk(tmp_path, names):
    path = tmp_path / "short.csv"
    rows = "".join(f"town,short-{i},{n}\n"
                   for i, n in enumerate(names.replace(",", " ").split()))
    path.write_bytes(f"type,id,name\n{rows}".encode("gbk"))
    with ledger.open(tmp_path / "short.db") as fresh:
        assert fresh.import_file(path) == len(names.replace(",", " ").split())


def test_utf16_without_bom_is_refused_with_how_to_resave(lg, tmp_path):
    path = tmp_path / "u16.csv"
    path.write_bytes(f"{HEADER}\n{ROW.format(n=1)}\n".encode("utf-16-le"))
    head = lg.head()
    with pytest.raises(ledger.LedgerError, match="UTF-16.*CSV UTF-8"):
        lg.import_file(path)
    assert lg.head() == head


def test_cli_refusal_is_chinese_and_says_how_to_resave(lg, tmp_path):
    path = tmp_path / "u16.csv"
    path.write_bytes(f"{HEADER}\n{ROW.format(n=1)}\n".encode("utf-16-le"))
    line = assert_one_error_line(run_cli("--db", tmp_path / "office.db", "import", path))
    assert "另存为" in line and "CSV UTF-8" in line, line


@pytest.mark.parametrize("content", [b"", "类型,编号,镇\r\n".encode("gbk"), b"\n \n\t\n",
                                     "\ufeff".encode("utf-8")])
@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_a_file_without_records_is_an_error(lg, tmp_path, content, suffix):
    if suffix == "jsonl" and b"," in content:
        content = b""
    path = tmp_path / f"empty.{suffix}"
    path.write_bytes(content)
    head = lg.head()
    with pytest.raises(ledger.LedgerError, match="holds no records"):
        lg.import_file(path)
    assert lg.head() == head
    proc = run_cli("--db", tmp_path / "office.db", "import", path)
    assert_one_error_line(proc, 1)


def test_reimporting_the_same_file_is_still_a_quiet_no_op(lg, tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(f"{HEADER}\n{ROW.format(n=1)}\n".encode("gbk"))
    assert lg.import_file(path) == 1
    assert lg.import_file(path) == 0  # records, all stored already: not an empty file


@pytest.mark.parametrize("typed,expected", [
    ("2017/3/1", "2017-03-01"), ("2017-3-1", "2017-03-01"), ("2017年3月1日", "2017-03-01"),
    ("2017.3.1", "2017-03-01"), ("2017/03/01 0:00", "2017-03-01"), ("42795", "2017-03-01"),
    ("42795.0", "2017-03-01"), ("2017-03-01", "2017-03-01"), ("2017/12/31", "2017-12-31"),
])
def test_excel_date_shapes(lg, tmp_path, typed, expected):
    assert excel_date(typed) == expected
    path = tmp_path / "d.csv"
    path.write_text(f"type,id,town,period,clause,occurred_on\nfinding,f-d,{TOWN},2017,B06.1,"
                    f"{typed}\n", encoding="utf-8")
    assert lg.import_file(path) == 1
    assert stored(lg, "f-d")["occurred_on"] == expected


@pytest.mark.parametrize("typed", ["2017/2/30", "3/1/2017", "20170301", "60", "2017年3月"])
def test_impossible_or_ambiguous_dates_are_named_as_typed(lg, tmp_path, typed):
    path = tmp_path / "d.csv"
    path.write_text(f"type,id,town,period,clause,occurred_on\nfinding,f-d,{TOWN},2017,B06.1,"
                    f"{typed}\n", encoding="utf-8")
    with pytest.raises(ledger.ValidationError) as exc:
        lg.import_file(path)
    assert exc.value.line == 2 and exc.value.field == "occurred_on"
    assert repr(typed) in str(exc.value)


def test_trailing_empty_cells_and_header_cells(lg, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(f"{HEADER},,\n{ROW.format(n=1)},,\n{ROW.format(n=2)},,,,\n", encoding="utf-8")
    assert lg.import_file(path) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\n{ROW.format(n=3)},extra\n", encoding="utf-8")
    with pytest.raises(ledger.ValidationError, match="line 2: 10 cells"):
        lg.import_file(bad)


def test_chinese_values_for_type_and_source(lg, tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("类型,编号,名称\n镇,t-2,浏河镇\n", encoding="utf-8")
    assert lg.import_file(path) == 1
    path.write_text("类型,编号,镇,年度,条款,发生日期,来源\n问题,f-s,浏河镇,2017,A01.2,2017/5/8,自评\n",
                    encoding="utf-8")
    assert lg.import_file(path) == 1
    assert stored(lg, "f-s")["source"] == "self"


def test_every_alias_names_a_real_field():
    fields = {"type", "id", "actor"}.union(
        *(r | o for r, o in ledger.importing.records.record_types().values()))
    assert set(COLUMN_ALIASES.values()) <= fields


def test_unknown_column_lists_the_valid_ones(lg, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("类型,编号,颜色\n镇,t-9,红\n", encoding="utf-8")
    with pytest.raises(ledger.ValidationError) as exc:
        lg.import_file(path)
    msg = str(exc.value)
    assert "'颜色'" in msg and "occurred_on" in msg and "发生日期" in msg, msg
    assert exc.value.line == 1 and exc.value.field == "颜色"


def _workbook(path: Path, rows, title="Sheet", extra_first=None) -> Path:
    book = Workbook()
    ws = book.active
    if extra_first:
        ws.title = "说明"
        ws.append([extra_first])
        ws = book.create_sheet(title)
    else:
        ws.title = title
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def test_xlsx_import_dates_numbers_and_sheets(lg, tmp_path):
    rows = [["类型", "编号", "镇", "年度", "条款", "发生日期", "数量", None],
            ["问题", "x-1", TOWN, 2017, "B06.1", date(2017, 3, 1), 3, None],
            ["问题", "x-2", TOWN, 2017, "B06.1", 42800, 1.0, None],      # a serial, typed as a number
            [None, None, None, None, None, None, None, None],             # an empty row
            ["问题", "x-3", TOWN, "2017", "B06.1", "2017年3月9日", None, None]]
    path = _workbook(tmp_path / "f.xlsx", rows, title="核查", extra_first="本表为核查记录")
    with pytest.raises(ledger.LedgerError, match="no sheet '缺失'.*说明, 核查"):
        lg.import_file(path, sheet="缺失")
    with pytest.raises(ledger.ValidationError, match="row 1: unknown column"):
        lg.import_file(path)  # the first sheet is the note
    assert lg.import_file(path, sheet="核查") == 3
    assert [stored(lg, i)["occurred_on"] for i in ("x-1", "x-2", "x-3")] == [
        "2017-03-01", "2017-03-06", "2017-03-09"]
    assert [stored(lg, i)["quantity"] for i in ("x-1", "x-2", "x-3")] == [3, 1, 1]
    assert lg.score(TOWN, "2017").total == D("99.5")


def test_xlsx_errors_name_the_row(lg, tmp_path):
    rows = [["type", "id", "town", "period", "clause", "occurred_on"],
            ["finding", "y-1", TOWN, 2017, "B06.1", date(2017, 3, 1)],
            ["finding", "y-2", TOWN, 2017, "Z99", date(2017, 3, 1)]]
    head = lg.head()
    with pytest.raises(ledger.ValidationError) as exc:
        lg.import_file(_workbook(tmp_path / "e.xlsx", rows))
    assert str(exc.value).startswith("row 3: field 'clause'") and exc.value.line == 3
    assert lg.head() == head


def test_not_a_workbook(lg, tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("type,id\n", encoding="utf-8")
    with pytest.raises(ledger.LedgerError, match="not an Excel .xlsx workbook"):
        lg.import_file(path)


# -- templates ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt,total", [("csv", "99.3"), ("xlsx", "99.3"), ("jsonl", "99.4")])
def test_template_round_trip(tmp_path, fmt, total):
    # B06.1 3 amended to 2 (0.2); A01.2 retracted; payment 09-29 paid 10-13, due 10-12 (0.1);
    # 1月报表 due 01-25, submitted 02-06: 4 working days late (0.4); f-0003 is self, not city.
    # JSONL alone carries the appeal decision amending B06.1 to 1 (0.1).
    out = tmp_path / f"tpl.{fmt}"
    proc = run_cli("template", "--format", fmt, "-o", out)
    assert proc.returncode == 0, proc.stderr_text
    assert out.is_file()
    with ledger.open(tmp_path / "t.db") as lg:
        assert lg.import_file(out) > 0
        assert lg.score(TOWN, "2017").total == D(total)
        types = {e.type for e in lg.store.events()}
    assert {"RubricAdopted", "TownRegistered", "FindingRecorded", "FindingAmended",
            "RecordRetracted", "PaymentRecorded", "ReportRecorded", "AppealFiled"} <= types


def test_xlsx_template_has_chinese_headers_and_a_clause_list(tmp_path):
    path = write_template(tmp_path / "t.xlsx", "xlsx")
    book = load_workbook(path)
    ws = book["导入"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["类型", "编号", "镇", "名称"] and "条款" in header
    ids = book["条款"]
    assert ids.sheet_state == "hidden"
    listed = [r[0] for r in ids.iter_rows(values_only=True)]
    assert "C02.1" in listed and "B06.1" in listed and len(listed) == len(set(listed))
    (check,) = ws.data_validations.dataValidation
    assert check.type == "list" and check.formula1.startswith("=条款!$A$1")
    col = ws.cell(1, header.index("条款") + 1).column_letter
    assert str(check.sqref).startswith(f"{col}2:")


def test_english_csv_template(tmp_path):
    path = write_template(tmp_path / "t.csv", "csv", lang="en")
    first = path.read_text(encoding="utf-8-sig").splitlines()[0]
    assert first.startswith("type,id,town,name,period")


# -- the shipped examples ----------------------------------------------------------------------

@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_examples_import_as_the_readme_walks_through(tmp_path):
    ex = REPO / "examples"
    assert (ex / "02-findings-excel-gbk.csv").read_bytes().decode("gbk")  # really GBK
    db = tmp_path / "ex.db"
    for name in ("01-towns-2017.jsonl", "02-findings-excel-gbk.csv", "03-payments-reports.xlsx"):
        proc = run_cli("--db", db, "import", ex / name)
        assert proc.returncode == 0, proc.stderr_text
    with ledger.open(db) as lg:
        # 沙溪镇: B06.1 x3 0.3, A01.2 0.5, B07.1 x2 1.0, payment due 10-12 paid 10-13 0.1
        # (the other, paid on its 3rd working day, is on time), report 4 days late 0.4
        assert lg.score("沙溪镇", "2017").total == D("97.7")
        assert lg.score("浏河镇", "2017").total == D("99.5")
