"""Reading an ``.xlsx`` workbook's sheet as numbered records (openpyxl, read-only).

The first row is the header (English field names or the Chinese aliases of
:mod:`ledger.importing.columns`); each later non-empty row is one record, named
``row N`` as Excel numbers it. Cells become the text a CSV cell would hold:
dates as ``YYYY-MM-DD``, whole numbers without ``.0``; empty cells are absent fields.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Iterator

from ledger.errors import LedgerError


def xlsx_records(path: Path, sheet: str | None = None) -> Iterator[tuple[str, object]]:
    """``("row N", record)`` pairs of the sheet (the first unless ``sheet`` names one)."""
    from openpyxl import load_workbook
    from ledger.importing.columns import Unreadable, fields_of

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise LedgerError(f"cannot read {path}: no such file") from None
    except Exception as exc:  # openpyxl raises zipfile, KeyError, XML errors for bad files
        raise LedgerError(f"{path}: not an Excel .xlsx workbook ({type(exc).__name__}); "
                          f"save it from Excel as .xlsx, or as CSV UTF-8") from None
    try:
        if sheet is None:
            ws = book.worksheets[0]
        elif sheet in book.sheetnames:
            ws = book[sheet]
        else:
            raise LedgerError(f"{path}: no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)})")
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return
        fields = fields_of([_cell(v) for v in header], "row 1")
        for number, row in enumerate(rows, start=2):
            cells = [_cell(v) for v in row]
            if not any(c.strip() for c in cells):
                continue
            if any(c.strip() for c in cells[len(fields):]):
                yield f"row {number}", Unreadable(
                    f"a value in a column without a header (column {len(fields) + 1} or later)")
                return
            yield f"row {number}", {k: v for k, v in zip(fields, cells) if v != ""}
    finally:
        book.close()


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == datetime.min.time() else v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
