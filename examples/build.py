"""Rebuilds the example import files (run from the repository root: python examples/build.py).

The files are what a town office hands in: 01 registers the period and the towns (JSON Lines),
02 is a findings sheet saved by Chinese Excel as plain "CSV" (GBK, CRLF, Chinese headers, dates
typed 2017/3/1 or 2017年3月1日, trailing empty cells), 03 is a workbook of payments and reports
with real Excel dates.
"""

import json
from datetime import date
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
TOWNS = ["城厢镇", "沙溪镇", "浏河镇", "浮桥镇", "璜泾镇", "双凤镇", "娄东街道", "港区"]

setup = [{"type": "adopt", "id": "adopt-2017", "period": "2017", "rubric": "taicang-2017"}]
setup += [{"type": "town", "id": f"town-{i + 1}", "name": t} for i, t in enumerate(TOWNS)]
(HERE / "01-towns-2017.jsonl").write_text(
    "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in setup), encoding="utf-8")

rows = [
    "类型,编号,镇,年度,条款,发生日期,数量,备注,证据,,",
    "问题,sx-001,沙溪镇,2017,B06.1,2017/3/1,3,三次张榜公示少一次,核查记录0301;照片0301,,",
    "问题,sx-002,沙溪镇,2017,A01.2,2017年4月5日,,低保档案缺少入户调查表,核查记录0405,,",
    "问题,sx-003,沙溪镇,2017,B07.1,2017-6-12,2,两户未按时复核,,,",
    "问题,lh-001,浏河镇,2017,A01.2,2017/5/8,,台账不全,核查记录0508,,",
]
(HERE / "02-findings-excel-gbk.csv").write_bytes(("\r\n".join(rows) + "\r\n").encode("gbk"))

book = Workbook()
ws = book.active
ws.title = "发放与报表"
ws.append(["类型", "编号", "镇", "年度", "案件", "审批日期", "发放日期", "报表", "应报日期", "报送日期"])
ws.append(["发放", "sx-p01", "沙溪镇", 2017, "临救-2017-031", date(2017, 9, 29), date(2017, 10, 13)])
ws.append(["发放", "sx-p02", "沙溪镇", 2017, "临救-2017-032", date(2017, 3, 1), date(2017, 3, 6)])
ws.append(["报表", "sx-r01", "沙溪镇", 2017, None, None, None, "1月报表", date(2017, 1, 25),
           date(2017, 2, 6)])
for row in ws.iter_rows(min_row=2):
    for cell in row:
        if isinstance(cell.value, date):
            cell.number_format = "yyyy/m/d"
book.save(HERE / "03-payments-reports.xlsx")
