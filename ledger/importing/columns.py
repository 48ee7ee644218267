"""Spreadsheet columns and cells as Chinese offices write them.

One alias table maps the Chinese column headers an office uses to the
contract's field names (an English name is always accepted as it is); a few
cell values (record types, sources) have Chinese aliases too; dates are read
in the shapes Excel writes them. Only tabular files (CSV, XLSX) pass through
here: JSON Lines and the Python API keep the contract's exact spelling.

>>> column("发生日期"), column("occurred_on")
('occurred_on', 'occurred_on')
>>> excel_date("2017/3/1"), excel_date("2017年3月1日"), excel_date("42795")
('2017-03-01', '2017-03-01', '2017-03-01')
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from attrs import frozen

from ledger.errors import ValidationError
from ledger.importing.records import csv_whole, record_types

# Chinese header -> field. The one documented table (docs/importing.md shows it).
COLUMN_ALIASES: dict[str, str] = {
    "类型": "type", "记录类型": "type",
    "编号": "id", "序号": "id",
    "记录人": "actor", "录入人": "actor",
    "镇": "town", "镇名": "town", "镇（区）": "town", "镇(区)": "town",
    "名称": "name", "镇名称": "name",
    "年度": "period", "考核年度": "period",
    "评分标准": "rubric",
    "条款": "clause", "条款编号": "clause",
    "发生日期": "occurred_on", "日期": "occurred_on",
    "数量": "quantity", "次数": "quantity",
    "数值": "value", "比率": "value",
    "项目": "project",
    "来源": "source",
    "备注": "note", "说明": "note",
    "证据": "evidence", "佐证材料": "evidence",
    "被更正记录": "finding", "问题编号": "finding",
    "原因": "reason", "理由": "reason",
    "案件": "case", "案件编号": "case",
    "审批日期": "approved_on", "发放日期": "paid_on",
    "报表": "report", "报表名称": "report",
    "应报日期": "due_on", "报送日期": "submitted_on",
    "申诉问题": "findings", "申诉理由": "grounds",
    "申诉编号": "appeal", "决定": "outcome", "决定人": "decided_by",
    "撤销问题": "retractions",
}

# the Chinese header a template writes for each field (the first alias listed above)
CHINESE_HEADER: dict[str, str] = {}
for _zh, _field in COLUMN_ALIASES.items():
    CHINESE_HEADER.setdefault(_field, _zh)

TYPE_ALIASES = {"采用": "adopt", "镇": "town", "问题": "finding", "撤销": "retraction",
                "更正": "amendment", "发放": "payment", "报表": "report", "申诉": "appeal",
                "申诉决定": "appeal_decision", "关账": "close"}
SOURCE_ALIASES = {"自评": "self", "市核查": "city", "市级": "city"}
DATE_FIELDS = frozenset({"occurred_on", "approved_on", "paid_on", "due_on", "submitted_on"})

_SLASHED = re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:\s+0?0:00(?::00)?)?")
_WRITTEN = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_SERIAL = re.compile(r"\d{2,6}(?:\.0*)?")
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 61 is 1900-03-01 (Excel's 1900-02-29 lies before)


def known_fields() -> set[str]:
    """Every field name a record of some type may carry."""
    return {"type", "id", "actor"}.union(*(r | o for r, o in record_types().values()))


def column(header: str) -> str | None:
    """The field a header names (English as is, or a Chinese alias); None if unknown."""
    name = header.strip()
    if name in known_fields():
        return name
    return COLUMN_ALIASES.get(name)


def valid_columns() -> str:
    """The valid headers, for an error message: English names, then the Chinese aliases."""
    return (", ".join(sorted(known_fields())) + "; 中文: " + ", ".join(COLUMN_ALIASES))


def excel_date(text: str) -> str:
    """``YYYY-MM-DD`` for a date Excel wrote as 2017/3/1, 2017-3-1, 2017年3月1日 or a
    serial number; anything else (or an impossible date) comes back as given, so the
    record's check names it exactly as typed."""
    s = text.strip()
    m = _SLASHED.fullmatch(s) or _WRITTEN.fullmatch(s)
    try:
        if m:
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        if _SERIAL.fullmatch(s) and 61 <= int(float(s)) <= 2958465:
            return (_EXCEL_EPOCH + timedelta(days=int(float(s)))).isoformat()
    except ValueError:
        pass
    return text


def office_cells(rec: dict[str, str]) -> dict[str, str]:
    """A tabular record with Excel's dates, whole-number cells and the Chinese value
    aliases read (a quantity cell of ASCII digits is a whole number; anything else stays
    text, which the record rules refuse)."""
    if isinstance(rec.get("quantity"), str):
        rec["quantity"] = csv_whole(rec["quantity"])
    for field in DATE_FIELDS.intersection(rec):
        rec[field] = excel_date(rec[field])
    kind = rec.get("type")
    if kind is not None and kind.strip() in TYPE_ALIASES:
        rec["type"] = TYPE_ALIASES[kind.strip()]
    source = rec.get("source")
    if source is not None and source.strip() in SOURCE_ALIASES:
        rec["source"] = SOURCE_ALIASES[source.strip()]
    return rec


@frozen
class Unreadable:
    """A line that could not be read as a record. It travels in order with the records,
    so the error reported is that of the first bad line even though the importer
    reads ahead; validation raises it when it gets there."""

    reason: str


def fields_of(header: list[str], where: str) -> list[str]:
    """The field each header cell names (Chinese aliases read); trailing empty header
    cells dropped; an unknown or repeated column is an error listing the valid ones."""
    names = [h.strip() for h in header]
    while names and not names[-1]:
        names.pop()
    fields = []
    for i, name in enumerate(names, start=1):
        if not name:
            raise ValidationError(f"{where}: column {i} has no name")
        field = column(name)
        if field is None:
            raise ValidationError(f"{where}: unknown column {name!r} "
                                  f"(valid columns: {valid_columns()})", field=name)
        fields.append(field)
    if len(set(fields)) != len(fields):
        raise ValidationError(f"{where}: a column name appears twice")
    return fields
