"""The import rules of spec/interchange.md: every refusal names where and which field, and
an import is all-or-nothing (the head does not move).

Each bad record is tried three ways: as record 2 of ``Ledger.append`` (after a good
record 1), as line 2 of a JSON Lines file, and (where it fits) as line 3 of a CSV file.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import ledger

from support.scoring import (
    PERIOD,
    TOWN,
    Env,
    amendment,
    finding,
    payment,
    report,
    retraction,
    town,
    write_jsonl,
)

BASE = "f-base"          # a live B06.1 finding (quantity 2)
OCC = "f-occ"            # a live A01.2 finding (counts occurrences)
DEAD = "f-dead"          # a retracted B06.1 finding
DEAD_X = "x-dead"        # its retraction
TOWN_EVENT = "t-main"


@pytest.fixture
def base(tmp_path):
    e = Env(tmp_path / "audit.db", towns=())
    e.append([town(TOWN, id=TOWN_EVENT),
              finding("B06.1", "2017-03-01", id=BASE, quantity=2),
              finding("A01.2", "2017-03-01", id=OCC),
              finding("B06.1", "2017-03-02", id=DEAD),
              payment("K-base", "2017-03-01", "2017-03-02", id="p-base")])
    e.append([retraction(DEAD, id=DEAD_X)])
    yield e
    e.close()


def good():
    return finding("B03.1", "2017-04-01")


# (case name, bad record builder, field the message must name)
CASES = [
    ("unknown clause", lambda: finding("B06.9"), "clause"),
    ("clause not in the adopted edition", lambda: finding("B06.4"), "clause"),
    ("unregistered town", lambda: finding("B06.1", town="浮桥镇"), "town"),
    ("period without adopted rubric", lambda: finding("B06.1", "2018-03-01", period="2018"),
     "period"),
    ("payment for a period without adopted rubric",
     lambda: payment("K", "2018-02-01", period="2018"), "period"),
    # contract v2: findings and due dates may fall in the assessment window (to 2018-02-28)
    ("occurred_on after the window", lambda: finding("B06.1", "2018-03-01"), "occurred_on"),
    ("occurred_on before the period", lambda: finding("B06.1", "2016-12-31"), "occurred_on"),
    ("approved_on before the period", lambda: payment("K", "2016-12-30", "2017-01-05"),
     "approved_on"),
    ("approved_on after the period", lambda: payment("K", "2018-01-02"), "approved_on"),
    ("due_on after the window", lambda: report("年报", "2018-03-01"), "due_on"),
    ("due_on before the period", lambda: report("年报", "2016-12-20", "2017-01-05"), "due_on"),
    ("paid_on before approved_on", lambda: payment("K", "2017-05-10", "2017-05-09"), "paid_on"),
    ("submitted_on before due_on", lambda: report("月报", "2017-05-10", "2017-05-09"),
     "submitted_on"),
    ("A04.1 before its deadline 07-31", lambda: finding("A04.1", "2017-07-30"), "occurred_on"),
    ("B09.1 before its deadline 07-31", lambda: finding("B09.1", "2017-07-30"), "occurred_on"),
    ("A04.2 before its deadline 10-31", lambda: finding("A04.2", "2017-10-30"), "occurred_on"),
    ("A04.3 before its deadline 12-31", lambda: finding("A04.3", "2017-12-30"), "occurred_on"),
    ("B12.1 before its deadline 05-31", lambda: finding("B12.1", "2017-05-30"), "occurred_on"),
    ("quantity 0", lambda: finding("B06.1", quantity=0), "quantity"),
    ("quantity negative", lambda: finding("B06.1", quantity=-2), "quantity"),
    ("quantity non-integer", lambda: finding("B06.1", quantity=1.5), "quantity"),
    ("quantity text", lambda: finding("B06.1", quantity="two"), "quantity"),
    ("quantity boolean", lambda: finding("B06.1", quantity=True), "quantity"),
    ("quantity 2 on occurrence clause A01.2", lambda: finding("A01.2", quantity=2), "quantity"),
    ("quantity 2 on zero-score A02.1", lambda: finding("A02.1", quantity=2), "quantity"),
    ("quantity 2 on deadline A04.1", lambda: finding("A04.1", "2017-08-01", quantity=2),
     "quantity"),
    ("quantity 2 on bonus D01.1", lambda: finding("D01.1", quantity=2), "quantity"),
    ("quantity 2 on veto V1", lambda: finding("V1", quantity=2), "quantity"),
    ("value missing on B04.2", lambda: finding("B04.2"), "value"),
    ("value on B06.1", lambda: finding("B06.1", value=90), "value"),
    ("value 101", lambda: finding("B04.2", value=101), "value"),
    ("value negative", lambda: finding("B04.2", value=-0.5), "value"),
    ("value text", lambda: finding("B04.2", value="high"), "value"),
    ("project missing on D02.1", lambda: finding("D02.1"), "project"),
    ("project on B06.1", lambda: finding("B06.1", project="P"), "project"),
    ("project on D01.1", lambda: finding("D01.1", project="P"), "project"),
    ("unknown field", lambda: finding("B06.1", colour="red"), "colour"),
    ("unknown field on town", lambda: {"type": "town", "id": "t-x", "name": "x", "period": "2017"},
     "period"),
    ("unknown type", lambda: {"type": "memo", "id": "m-1", "text": "hi"}, "type"),
    ("missing type", lambda: {"id": "m-2", "name": "浏河镇"}, "type"),
    ("missing id", lambda: {"type": "town", "name": "浏河镇"}, "id"),
    ("missing clause", lambda: {k: v for k, v in finding("B06.1").items() if k != "clause"},
     "clause"),
    ("town registered twice", lambda: town(TOWN), "name"),
    ("retraction of an unknown id", lambda: retraction("f-nope"), "finding"),
    ("retraction of an already retracted finding", lambda: retraction(DEAD), "finding"),
    ("amendment of a retracted finding", lambda: amendment(DEAD, quantity=3), "finding"),
    ("amendment of an unknown id", lambda: amendment("f-nope", quantity=3), "finding"),
    ("amendment of a payment", lambda: amendment("p-base", quantity=2), "finding"),
    ("retraction of a retraction", lambda: retraction(DEAD_X), "finding"),
    ("retraction of a town event", lambda: retraction(TOWN_EVENT), "finding"),
    ("amendment quantity 2 on occurrence clause", lambda: amendment(OCC, quantity=2), "quantity"),
    ("amendment quantity 0", lambda: amendment(BASE, quantity=0), "quantity"),
    ("amendment value on B06.1", lambda: amendment(BASE, value=50), "value"),
    ("same id, different content", lambda: finding("B06.1", "2017-03-01", id=BASE, quantity=4),
     "id"),
    ("same id as the town, other type", lambda: finding("B06.1", id=TOWN_EVENT), "id"),
    ("invalid date 2017-02-30", lambda: finding("B06.1", "2017-02-30"), "occurred_on"),
    ("date not YYYY-MM-DD", lambda: finding("B06.1", "2017-3-1"), "occurred_on"),
    ("invalid paid_on", lambda: payment("K", "2017-02-01", "2017-02-29"), "paid_on"),
    ("source neither self nor city", lambda: finding("B06.1", source="town"), "source"),
    ("adopt for a period the rubric does not govern",
     lambda: {"type": "adopt", "id": "a-y", "period": "2018", "rubric": "taicang-2017"}, "period"),
    ("adopt of an unknown rubric", lambda: {"type": "adopt", "id": "a-x", "period": "2017",
                                            "rubric": "no-such-rubric"}, "rubric"),
]
IDS = [c[0] for c in CASES]


def names_field(msg: str, field: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(field)}(?![\w])", msg) is not None


@pytest.mark.parametrize("name, build, field", CASES, ids=IDS)
def test_append_refuses(base, name, build, field):
    head, count = base.head(), base.lg.store.count()
    with pytest.raises(ledger.LedgerError) as exc:
        base.lg.append([good(), build()])
    msg = str(exc.value)
    assert re.search(r"\brecord 2\b", msg), msg
    assert names_field(msg, field), msg
    assert "\n" not in msg
    assert base.head() == head          # nothing appended, not even the good record 1
    assert base.lg.store.count() == count


@pytest.mark.parametrize("name, build, field", CASES, ids=IDS)
def test_jsonl_import_refuses(base, tmp_path, name, build, field):
    head = base.head()
    path = write_jsonl(tmp_path / "in.jsonl", [good(), build()])
    with pytest.raises(ledger.LedgerError) as exc:
        base.lg.import_file(path)
    msg = str(exc.value)
    assert re.search(r"\bline 2\b", msg), msg
    assert names_field(msg, field), msg
    assert base.head() == head


def test_deadline_clauses_on_their_deadline_are_accepted(base):
    # the boundary: on the deadline itself the failure exists (07-31, 10-31, 12-31, 05-31)
    n = base.append([finding("A04.1", "2017-07-31"), finding("B09.1", "2017-07-31"),
                     finding("A04.2", "2017-10-31"), finding("A04.3", "2017-12-31"),
                     finding("B12.1", "2017-05-31")])
    assert n == 5


def test_period_bounds_are_inclusive(base):
    n = base.append([finding("B06.1", "2017-01-01"), finding("B06.1", "2017-12-31"),
                     payment("K", "2017-12-31", "2018-01-08"),      # paid_on may fall after
                     report("年报", "2017-12-31", "2018-01-10"),    # submitted_on too
                     payment("L", "2017-05-10", "2017-05-10")])      # paid the same day
    assert n == 5


def test_value_bounds_are_inclusive(base):
    assert base.append([finding("B04.2", "2017-03-01", value=0),
                        finding("B04.2", "2017-04-01", value=100)]) == 2


def test_quantity_as_json_integer_text_in_csv_accepted(base, tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text("type,id,town,period,clause,occurred_on,quantity\n"
                    f"finding,f-csv-q,{TOWN},{PERIOD},B06.1,2017-03-01,3\n", encoding="utf-8")
    assert base.import_file(path) == 1
    assert base.score().line("B06.1").quantity == 2 + 3


def test_retraction_must_come_after_its_finding(base):
    # in one batch, a retraction naming a finding that comes later in the batch is refused
    head = base.head()
    f = finding("B06.1", id="f-later")
    with pytest.raises(ledger.LedgerError) as exc:
        base.lg.append([retraction("f-later"), f])
    assert re.search(r"\brecord 1\b", str(exc.value)) and "finding" in str(exc.value)
    assert base.head() == head
    # in order it is fine
    assert base.append([f, retraction("f-later")]) == 2


def test_double_retraction_in_one_batch(base):
    head = base.head()
    with pytest.raises(ledger.LedgerError) as exc:
        base.lg.append([retraction(BASE), retraction(BASE)])
    assert re.search(r"\brecord 2\b", str(exc.value))
    assert "finding" in str(exc.value)
    assert base.head() == head


def test_town_twice_in_one_batch(base):
    head = base.head()
    with pytest.raises(ledger.LedgerError) as exc:
        base.lg.append([town("浏河镇"), town("浏河镇")])
    assert re.search(r"\brecord 2\b", str(exc.value)) and "name" in str(exc.value)
    assert base.head() == head


def test_reimport_identical_is_noop(base, tmp_path):
    recs = [town("浏河镇", id="t-liuhe"),
            finding("B06.1", "2017-05-01", id="f-re-1", town="浏河镇", quantity=3,
                    evidence=["a.pdf", "b.pdf"], note="第一次"),
            payment("K-9", "2017-09-29", "2017-10-13", id="p-re-1", town="浏河镇")]
    path = write_jsonl(tmp_path / "batch.jsonl", recs)
    assert base.import_file(path) == 3
    head = base.head()
    assert base.import_file(path) == 0            # identical re-import: no-op
    assert base.head() == head
    assert base.append(recs) == 0                 # same through the API
    assert base.head() == head
    # an identical record plus a new one: only the new one is appended
    assert base.append(recs + [finding("A01.2", id="f-re-2", town="浏河镇")]) == 1
    # 3 × 0.1 + 0.5 + late payment 0.1 = 0.9 -> 99.1
    assert base.score(town="浏河镇").total == Decimal("99.1")


def test_identical_duplicate_inside_one_batch_is_noop(base):
    f = finding("B06.1", id="f-twice")
    assert base.append([f, dict(f)]) == 1


def test_same_id_different_content_in_one_batch(base):
    head = base.head()
    with pytest.raises(ledger.LedgerError) as exc:
        base.lg.append([finding("B06.1", id="f-x1"), finding("B06.1", id="f-x1", quantity=2)])
    assert re.search(r"\brecord 2\b", str(exc.value)) and "id" in str(exc.value)
    assert base.head() == head


def test_malformed_json_line_names_its_line(base, tmp_path):
    head = base.head()
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(good(), ensure_ascii=False) + "\n"
                    + json.dumps(good(), ensure_ascii=False) + "\n"
                    + '{"type": "finding", "id": "f-broken", \n', encoding="utf-8")
    with pytest.raises(ledger.LedgerError) as exc:
        base.lg.import_file(path)
    assert re.search(r"\bline 3\b", str(exc.value)), str(exc.value)
    assert base.head() == head


def test_blank_lines_keep_physical_line_numbers(base, tmp_path):
    head = base.head()
    path = tmp_path / "gaps.jsonl"
    path.write_text(json.dumps(good(), ensure_ascii=False) + "\n\n\n"
                    + json.dumps(finding("B06.9"), ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(ledger.LedgerError) as exc:
        base.lg.import_file(path)
    assert re.search(r"\bline 4\b", str(exc.value)) and "clause" in str(exc.value)
    assert base.head() == head


def test_json_line_not_an_object(base, tmp_path):
    head = base.head()
    path = tmp_path / "arr.jsonl"
    path.write_text(json.dumps(good(), ensure_ascii=False) + "\n[1, 2]\n", encoding="utf-8")
    with pytest.raises(ledger.LedgerError) as exc:
        base.lg.import_file(path)
    assert re.search(r"\bline 2\b", str(exc.value))
    assert base.head() == head


# -------------------------------------------------------------------------------------------
# CSV
# -------------------------------------------------------------------------------------------
CSV_HEADER = ["type", "id", "town", "period", "clause", "occurred_on", "quantity", "evidence",
              "note"]


def write_csv(path: Path, rows) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_HEADER)
    for r in rows:
        w.writerow([r.get(k, "") for k in CSV_HEADER])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def test_csv_evidence_split_on_semicolon(base, tmp_path):
    path = write_csv(tmp_path / "ok.csv", [
        {"type": "finding", "id": "f-csv-1", "town": TOWN, "period": PERIOD, "clause": "B06.1",
         "occurred_on": "2017-05-01", "quantity": "3", "evidence": "照片1.jpg;记录2.pdf;x.doc",
         "note": "逗号, 引号\" 都可以"},
    ])
    assert base.import_file(path) == 1
    view = base.lg.town_state(TOWN, PERIOD).findings["f-csv-1"]
    assert tuple(view.event.evidence) == ("照片1.jpg", "记录2.pdf", "x.doc")
    assert view.event.note == "逗号, 引号\" 都可以"
    assert view.quantity == 3


def test_csv_error_names_line_3(base, tmp_path):
    head = base.head()
    path = write_csv(tmp_path / "bad.csv", [
        {"type": "finding", "id": "f-csv-2", "town": TOWN, "period": PERIOD, "clause": "B06.1",
         "occurred_on": "2017-05-01", "evidence": "a;b"},
        {"type": "finding", "id": "f-csv-3", "town": TOWN, "period": PERIOD, "clause": "B06.1",
         "occurred_on": "2017-05-01", "quantity": "0"},
        {"type": "finding", "id": "f-csv-4", "town": TOWN, "period": PERIOD, "clause": "B06.1",
         "occurred_on": "2017-05-02"},
    ])
    with pytest.raises(ledger.LedgerError) as exc:
        base.lg.import_file(path)
    msg = str(exc.value)
    assert re.search(r"\bline 3\b", msg), msg
    assert "quantity" in msg
    assert base.head() == head


def test_csv_error_after_multiline_cell_names_physical_line(base, tmp_path):
    # line 2 holds a quoted note spanning lines 2-3; the bad record starts on line 4
    head = base.head()
    path = write_csv(tmp_path / "multi.csv", [
        {"type": "finding", "id": "f-csv-5", "town": TOWN, "period": PERIOD, "clause": "B06.1",
         "occurred_on": "2017-05-01", "note": "第一行\n第二行"},
        {"type": "finding", "id": "f-csv-6", "town": TOWN, "period": PERIOD, "clause": "B06.9",
         "occurred_on": "2017-05-01"},
    ])
    with pytest.raises(ledger.LedgerError) as exc:
        base.lg.import_file(path)
    assert re.search(r"\bline 4\b", str(exc.value)), str(exc.value)
    assert "clause" in str(exc.value)
    assert base.head() == head


def test_csv_unknown_column(base, tmp_path):
    head = base.head()
    path = tmp_path / "col.csv"
    path.write_text("type,id,name,colour\ntown,t-c,浏河镇,red\n", encoding="utf-8")
    with pytest.raises(ledger.LedgerError) as exc:
        base.lg.import_file(path)
    assert "colour" in str(exc.value)
    assert base.head() == head


def test_unknown_file_extension(base, tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(ledger.LedgerError):
        base.lg.import_file(path)


def test_missing_file(base, tmp_path):
    with pytest.raises(ledger.LedgerError):
        base.lg.import_file(tmp_path / "nope.jsonl")


def test_reimport_with_corrections_is_noop(base, tmp_path):
    # a file holding a finding, its amendment and then its retraction: the second import must
    # be a no-op, not "already retracted" errors for the amendment and the retraction
    recs = [finding("B06.1", "2017-05-01", id="f-c1", quantity=2),
            amendment("f-c1", id="m-c1", quantity=3),
            retraction("f-c1", id="x-c1"),
            payment("K-c", "2017-09-29", id="p-c1"),
            retraction("p-c1", id="x-c2")]
    path = write_jsonl(tmp_path / "corr.jsonl", recs)
    assert base.import_file(path) == 5
    head = base.head()
    assert base.import_file(path) == 0
    assert base.head() == head


def test_api_float_rate_value(base):
    # regression: a Python float once got "must be a number from 0 to 100, not a number"
    try:
        base.lg.append([finding("B04.2", "2017-03-01", value=97.4)])
    except ledger.LedgerError as exc:
        assert "not a number" not in str(exc)
    else:
        # 97.4 -> 2 whole points short -> 0.2
        assert base.score().line("B04.2").amount == Decimal("0.2")


FULL_CSV = (
    "type,id,period,rubric,name,town,clause,occurred_on,quantity,value,project,evidence\n"
    "adopt,a-csv,2017,taicang-2017,,,,,,,,\n"
    "town,t-csv,,,浏河镇,,,,,,,\n"
    "finding,f-csv-a,2017,,,浏河镇,B06.1,2017-03-01,3,,,照片.jpg;记录.pdf\n"
    "finding,f-csv-b,2017,,,浏河镇,B04.2,2017-04-01,,97.4,,\n"
    "finding,f-csv-c,2017,,,浏河镇,D02.1,2017-05-01,,,项目甲,依据文件\n"
)


def test_csv_whole_ledger_from_scratch(tmp_path):
    # B06.1 × 3 (0.3) + B04.2 97.4% (2 whole points -> 0.2): base 99.5; D02.1 部级 +1.5;
    # total 101
    path = tmp_path / "all.csv"
    path.write_text(FULL_CSV, encoding="utf-8")
    e = Env(tmp_path / "fresh.db", rubric=None, towns=())
    try:
        assert e.import_file(path) == 5
        card = e.score(town="浏河镇")
        assert (card.base, card.bonus, card.total) == (Decimal("99.5"), Decimal("1.5"),
                                                       Decimal("101"))
        assert e.lg.town_state("浏河镇", "2017").findings["f-csv-a"].event.evidence == \
            ("照片.jpg", "记录.pdf")
        # the same records as JSON Lines are identical content: re-import is a no-op
        head = e.head()
        same = [{"type": "adopt", "id": "a-csv", "period": "2017", "rubric": "taicang-2017"},
                {"type": "town", "id": "t-csv", "name": "浏河镇"},
                finding("B06.1", "2017-03-01", id="f-csv-a", town="浏河镇", quantity=3,
                        evidence=["照片.jpg", "记录.pdf"]),
                finding("B04.2", "2017-04-01", id="f-csv-b", town="浏河镇", value=Decimal("97.4")),
                finding("D02.1", "2017-05-01", id="f-csv-c", town="浏河镇", project="项目甲", evidence=["依据文件"])]
        assert e.import_file(write_jsonl(tmp_path / "same.jsonl", same)) == 0
        assert e.head() == head
    finally:
        e.close()


def test_csv_excel_style_bom_and_crlf(base, tmp_path):
    # what a spreadsheet saves: UTF-8 BOM, CRLF line ends; the bad row is on line 3
    head = base.head()
    text = ("type,id,town,period,clause,occurred_on,quantity\r\n"
            f"finding,f-x1,{TOWN},2017,B06.1,2017-03-01,2\r\n"
            f"finding,f-x2,{TOWN},2017,A01.2,2017-03-01,2\r\n")
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    with pytest.raises(ledger.LedgerError) as exc:
        base.lg.import_file(path)
    assert re.search(r"\bline 3\b", str(exc.value)) and "quantity" in str(exc.value)
    assert base.head() == head
    # without the bad row it imports: B06.1 2 (base) + 2 = 4 units -> 0.4; A01.2 (base) 0.5;
    # total 100 - 0.4 - 0.5 = 99.1
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(text.split("\r\n")[:2]).encode("utf-8")
                     + b"\r\n")
    assert base.import_file(path) == 1
    assert base.score().total == Decimal("99.1")
