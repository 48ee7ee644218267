"""Import templates: a file with the headers and one example row per record type.

The examples are a small, consistent 2017 ledger for 沙溪镇 under ``taicang-2017``,
so a template imports as it is into an empty ledger (a round trip the tests run);
an office replaces the rows with its own. ``close`` has no example row: a template
kept as it is must not close the period. The XLSX template writes Chinese headers,
lists the rubric's clause ids in a hidden sheet and offers them as a drop-down
(data validation) on the 条款 column.

>>> [r["type"] for r in EXAMPLES][:3]
['adopt', 'town', 'finding']
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from ledger.errors import LedgerError
from ledger.importing.columns import CHINESE_HEADER

RUBRIC = "taicang-2017"
EXAMPLES: list[dict] = [
    {"type": "adopt", "id": "adopt-2017", "period": "2017", "rubric": RUBRIC},
    {"type": "town", "id": "town-沙溪镇", "name": "沙溪镇"},
    {"type": "finding", "id": "f-0001", "town": "沙溪镇", "period": "2017", "clause": "B06.1",
     "occurred_on": "2017-03-01", "quantity": 3, "source": "city", "note": "三次张榜公示少一次",
     "evidence": ["核查记录0301", "照片0301"]},
    {"type": "finding", "id": "f-0002", "town": "沙溪镇", "period": "2017", "clause": "A01.2",
     "occurred_on": "2017-04-05", "note": "低保档案缺少入户调查表"},
    {"type": "amendment", "id": "am-0001", "finding": "f-0001", "quantity": 2,
     "reason": "复核后确认少公示两次"},
    {"type": "retraction", "id": "rt-0001", "finding": "f-0002", "reason": "档案已补齐，系误记"},
    {"type": "payment", "id": "p-0001", "town": "沙溪镇", "period": "2017", "case": "临救-2017-001",
     "approved_on": "2017-09-29", "paid_on": "2017-10-13"},
    {"type": "report", "id": "r-0001", "town": "沙溪镇", "period": "2017", "report": "1月报表",
     "due_on": "2017-01-25", "submitted_on": "2017-02-06"},
    {"type": "finding", "id": "f-0003", "town": "沙溪镇", "period": "2017", "clause": "B07.1",
     "occurred_on": "2017-06-01", "source": "self", "note": "自评：一户未按时复核"},
    {"type": "appeal", "id": "ap-0001", "town": "沙溪镇", "period": "2017", "findings": ["f-0001"],
     "grounds": "第三次公示已张贴，有照片为证"},
    {"type": "appeal_decision", "id": "ad-0001", "appeal": "ap-0001", "outcome": "partly",
     "reason": "照片可证一次公示", "decided_by": "市民政局",
     "amendments": [{"finding": "f-0001", "quantity": 1}]},
]
FIELDS = ["type", "id", "town", "name", "period", "rubric", "clause", "occurred_on", "quantity",
          "value", "project", "source", "note", "evidence", "finding", "reason", "case",
          "approved_on", "paid_on", "report", "due_on", "submitted_on", "findings", "grounds",
          "appeal", "outcome", "decided_by", "retractions", "amendments", "actor"]


def write_template(path: str | Path, fmt: str, lang: str = "zh") -> Path:
    """Write an import template as ``csv`` (UTF-8 with BOM), ``xlsx`` or ``jsonl``.

    CSV and XLSX headers are Chinese (``lang="zh"``) or the field names (``"en"``).
    """
    path = Path(path)
    if fmt == "jsonl":
        lines = [json.dumps(r, ensure_ascii=False) for r in EXAMPLES]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path
    fields = [f for f in FIELDS if f != "amendments"]  # a JSON-only field (a list of objects)
    header = [CHINESE_HEADER.get(f, f) if lang == "zh" else f for f in fields]
    rows = [[_cell(r.get(f)) for f in fields] for r in EXAMPLES if "amendments" not in r]
    if fmt == "csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerows([header, *rows])
        return path
    if fmt == "xlsx":
        return _xlsx(path, header, rows, fields)
    raise LedgerError(f"unknown template format {fmt!r} (csv, xlsx or jsonl)")


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, list):
        return ";".join(v)
    return str(v)


def _xlsx(path: Path, header: list[str], rows: list[list[str]], fields: list[str]) -> Path:
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation
    from ledger.rubric import resolve_rubric

    book = Workbook()
    ws = book.active
    ws.title = "导入"
    ws.append(header)
    for row in rows:
        ws.append([c if c != "" else None for c in row])
    ws.freeze_panes = "A2"
    for i, _ in enumerate(header, start=1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = 14
    ids = ws.parent.create_sheet("条款")
    clause_ids = [c.id for c in resolve_rubric(RUBRIC).clauses()]
    for i, cid in enumerate(clause_ids, start=1):
        ids.cell(i, 1, cid)
    ids.sheet_state = "hidden"
    letter = ws.cell(1, fields.index("clause") + 1).column_letter
    check = DataValidation(type="list", formula1=f"=条款!$A$1:$A${len(clause_ids)}",
                           allow_blank=True, showErrorMessage=True,
                           errorTitle="条款", error=f"请从 {RUBRIC} 的条款编号中选择")
    check.add(f"{letter}2:{letter}5000")
    ws.add_data_validation(check)
    book.save(path)
    return path
