"""CSV export: one row per clause line, UTF-8 with a BOM so Excel shows the Chinese.

Columns (``COLUMNS``): the town, the moment (``as_of``, ``known_at``, rubric), the
indicator and clause (with its verbatim rubric sentence), ``kind`` (``deduction``,
``award``, ``veto``, or ``total``: the town's scoreboard row, first, its ``amount`` the
total), the line's ``quantity`` and raw ``amount`` (before the
indicator's bound, so a town's deductions add up to its cards' raw sums), and the
events behind it: ids, evidence and notes, each joined with ``;``; and on every row the
town's standing (``rank``, ``total``, ``grade``), so the file holds the scoreboard.

Every text cell goes through :func:`safe_text`, so a note such as ``=cmd|' /C calc'!A0``
cannot run as a formula when the file is opened in a spreadsheet (nor one hidden behind a
leading space or line break), and control or format characters (ESC, NUL, a bidi override)
show escaped, as ``\\x1b`` (:mod:`ledger.text.escape`).

>>> safe_text("=1+1"), safe_text("沙溪镇")
("'=1+1", '沙溪镇')
"""

from __future__ import annotations

import csv
from pathlib import Path

from ledger.events.codec import decimal_text
from ledger.text.escape import escaped

# Leading characters a spreadsheet reads as the start of a formula (OWASP's list).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = ["town", "period", "as_of", "known_at", "rubric", "indicator", "indicator_name",
           "clause", "clause_text", "kind", "quantity", "amount", "events", "evidence", "notes",
           "rank", "total", "grade"]


def safe_text(value) -> str:
    """Text that a spreadsheet shows as text: one starting like a formula, or with a space
    or a line break, gets a ``'``; control and format characters are escaped (line breaks
    and tabs inside a cell kept).

    >>> safe_text("+1+1"), safe_text("-"), safe_text(None), safe_text(" =1"), safe_text("\\n=1")
    ("'+1+1", "'-", '', "' =1", "'\\\\n=1")
    >>> safe_text("a\\x1bb\\u202e")
    'a\\\\x1bb\\\\u202e'
    """
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) or text[:1].isspace():
        return "'" + escaped(text, keep="\t")
    return escaped(text, keep="\n\t")


def fact_text(node: dict) -> str:
    """A payment or report node of an explain tree in one line.

    >>> fact_text({"type": "payment", "subject": "临救2-90", "start": "2017-09-29",
    ...            "deadline": "2017-10-12", "done_on": "2017-10-13", "working_days": 6})
    '临救2-90: 批准 2017-09-29，期限 2017-10-12，发放 2017-10-13，用 6 个工作日'
    """
    done = node["done_on"] or "未办结"
    if node["type"] == "payment":
        return (f"{node['subject']}: 批准 {node['start']}，期限 {node['deadline']}，"
                f"发放 {done}，用 {node['working_days']} 个工作日")
    return (f"{node['subject']}: 应报 {node['start']}，期限 {node['deadline']}，"
            f"上报 {done}，迟 {node['working_days']} 个工作日")


def _joined(items) -> str:
    return ";".join(str(i) for i in items if i not in (None, ""))


def csv_rows(report) -> list[list[str]]:
    """The rows (without the header), in scoreboard order, then rubric order."""
    rows = []
    standings = {s.town: s for s in report.board.towns}
    for card in report.cards:
        tree = report.trees[card.town]
        head = [card.town, card.period, card.as_of.isoformat(), card.known_at, card.rubric_id]
        s = standings[card.town]
        board = [str(s.rank), decimal_text(card.total), card.grade]
        # the scoreboard: one "total" row a town, first (a town that lost nothing has it too)
        rows.append(head + ["", "总分", "", f"基本分 {decimal_text(card.base)}；附加分 "
                            f"{decimal_text(card.bonus)}", "total", "", decimal_text(card.total),
                            "", "", ""] + board)
        for ind in tree["indicators"]:
            kind = "award" if ind["bonus"] else "deduction"
            for line in ind["clauses"]:
                events = line["events"]
                rows.append(head + [
                    ind["id"], ind["name"], line["id"], line["text"], kind,
                    str(line["quantity"]), decimal_text(line["amount"]),
                    _joined(e["id"] for e in events),
                    _joined(ev for e in events for ev in e.get("evidence", ())),
                    _joined(e["note"] if e["type"] == "finding" else fact_text(e)
                            for e in events)] + board)
        for v in tree["vetoes"]:
            rows.append(head + ["", "一票否决", v["clause"], v["text"], "veto", str(v["quantity"]),
                                "0", v["id"], _joined(v["evidence"]), _joined([v["note"]])] + board)
    numeric = {COLUMNS.index(c) for c in ("quantity", "amount", "rank", "total")}
    return [[c if i in numeric else safe_text(c) for i, c in enumerate(r)] for r in rows]


def write_csv(report, path: str | Path) -> Path:
    """Write the CSV (``utf-8-sig``: Excel needs the BOM to read UTF-8; CRLF line ends)."""
    path = Path(path)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        w.writerows(csv_rows(report))
    return path
