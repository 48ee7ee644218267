"""Reading import files (JSON Lines, CSV, XLSX) as a stream of numbered records.

Each reader yields ``("line N", record)`` pairs lazily, so an import of any
size runs in constant memory; a line that cannot be read raises
:class:`~ledger.errors.ValidationError` naming its line number. Text files are
read as UTF-8 (with or without a BOM), GB18030/GBK (what Chinese Excel saves as
"CSV") or UTF-16 with a BOM (:mod:`ledger.importing.encodings`); CSV and XLSX
headers and cells may be written as Chinese offices write them
(:mod:`ledger.importing.columns`). A file that yields no record is an error.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp(), "x.jsonl")
>>> _ = p.write_text('{"type": "town", "id": "t1", "name": "沙溪镇"}\\n', encoding="utf-8")
>>> list(read_records(p))
[('line 1', {'type': 'town', 'id': 't1', 'name': '沙溪镇'})]
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO, Iterator


from ledger.errors import LedgerError, ValidationError
from ledger.importing.records import MAX_TEXT_BYTES
from ledger.importing.columns import Unreadable, fields_of, office_cells
from ledger.importing.encodings import RESAVE, detect_encoding

Numbered = tuple[str, object]

# Text fields hold up to 1 MiB each (contract v2); a record's line may hold several
# (and JSON escapes take up to 6 bytes a character), but a line or CSV cell past this
# is refused as it is read, before a gigabyte is decoded and parsed.
MAX_LINE_BYTES = 16 * MAX_TEXT_BYTES
csv.field_size_limit(MAX_LINE_BYTES)  # the csv module's own limit is 128 KiB a cell


def read_records(path: str | Path, progress=None, encoding: str | None = None,
                 sheet: str | None = None, with_lines: bool = False) -> Iterator[Numbered]:
    """Records of a ``.jsonl``, ``.csv`` or ``.xlsx`` file, by its extension.

    ``progress(n_bytes)`` is called as the file is read (for a progress bar).
    ``encoding`` forces a text file's encoding (else it is detected); ``sheet``
    names an XLSX file's sheet (else the first). ``with_lines`` (JSON Lines only)
    yields ``(where, record, line)``: the text :func:`decode_line` reads again.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".csv", ".xlsx"):
        raise LedgerError(f"{path}: unknown import format {suffix or '(none)'!r}; "
                          f"use .jsonl (JSON Lines), .csv or .xlsx")
    if suffix == ".xlsx":
        from ledger.importing.sheets import xlsx_records
        return _not_empty(path, _office_rows(xlsx_records(path, sheet)))
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise LedgerError(f"cannot read {path}: {exc.strerror}") from None
    try:
        chosen = detect_encoding(fh, path, encoding)
    except LedgerError:
        fh.close()
        raise
    lines = _lines(fh, progress) if chosen == "utf-8" else _decoded(fh, chosen, progress)
    if with_lines and suffix != ".jsonl":
        fh.close()
        raise ValueError(f"{path}: only JSON Lines are read with their lines")  # a caller's bug
    records = _jsonl(lines, with_lines) if suffix == ".jsonl" else _csv(lines)
    return _not_empty(path, _closing(fh, records))


def _closing(fh: BinaryIO, records: Iterator[Numbered]) -> Iterator[Numbered]:
    with fh:
        yield from records


def _not_empty(path: Path, records: Iterator[Numbered]) -> Iterator[Numbered]:
    """The records, and an error if there were none: an import that silently does
    nothing (an empty file, a header alone, a file read wrongly) must not look done."""
    seen = False
    for item in records:
        seen = True
        yield item
    if not seen:
        raise ValidationError(f"{path}: holds no records (the file is empty or has only a "
                              f"header row); nothing was imported")


def _office_rows(rows: Iterator[Numbered]) -> Iterator[Numbered]:
    for where, rec in rows:
        yield where, office_cells(rec) if isinstance(rec, dict) else rec


def _lines(fh: BinaryIO, progress) -> Iterator[tuple[int, str | Unreadable]]:
    number = 0
    while raw := fh.readline(MAX_LINE_BYTES + 1):
        number += 1
        if progress:
            progress(len(raw))
        if len(raw) > MAX_LINE_BYTES:
            yield number, Unreadable(f"the line is longer than {MAX_LINE_BYTES:,} bytes (a text "
                                     f"field holds at most 1 MiB): refused unread")
            return
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield number, Unreadable(f"not valid UTF-8 (byte {exc.start + 1}); {RESAVE}")
            return
        if number == 1:
            line = line.removeprefix("\ufeff")
        yield number, line


def _decoded(fh: BinaryIO, encoding: str, progress) -> Iterator[tuple[int, str | Unreadable]]:
    """Lines of a file in another encoding (GB18030, UTF-16), split on LF as the UTF-8
    road splits them (a CR stays in the line, for the CSV reader to judge)."""
    import io
    text = io.TextIOWrapper(fh, encoding=encoding, newline="\n")
    number = 0
    try:
        for number, line in enumerate(text, start=1):
            if progress:
                progress(len(line.encode(encoding, "replace")))
            yield number, line.removeprefix("\ufeff") if number == 1 else line
    except UnicodeDecodeError:
        yield number + 1, Unreadable(f"not valid {encoding} text; {RESAVE}")
    finally:
        text.detach()


def _no_duplicates(pairs):
    obj = dict(pairs)
    if len(obj) != len(pairs):  # rare: find the culprit for the message
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"field {key!r} appears twice")
            seen.add(key)
    return obj


def _no_constant(name):
    raise ValueError(f"{name} is not a number")


# one decoder for every line (json.loads with options builds a new one each call)
_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=_no_constant,
                            object_pairs_hook=_no_duplicates)


def decode_line(line: str) -> object:
    """One JSON Lines line as the importer reads it: a record, or :class:`Unreadable`.

    >>> decode_line('{"a": 1, "a": 2}')
    Unreadable(reason="not a valid JSON record: field 'a' appears twice")
    """
    try:
        return _DECODER.decode(line)
    except RecursionError:
        return Unreadable("JSON nested too deeply")
    except (ValueError, ArithmeticError) as exc:  # bad JSON, duplicate keys, huge numbers
        return Unreadable(f"not a valid JSON record: {exc}")


def _jsonl(lines: Iterator[tuple[int, str]], with_lines: bool = False) -> Iterator[Numbered]:
    for number, line in lines:
        if isinstance(line, Unreadable):
            yield (f"line {number}", line, "") if with_lines else (f"line {number}", line)
            return
        if not line.strip():
            continue
        rec = decode_line(line)
        yield (f"line {number}", rec, line) if with_lines else (f"line {number}", rec)
        if isinstance(rec, Unreadable):
            return


def _csv(lines: Iterator[tuple[int, str]]) -> Iterator[Numbered]:
    starts: list[int] = []
    broken: list[tuple[int, Unreadable]] = []

    def text_lines():
        for number, line in lines:
            if isinstance(line, Unreadable):
                broken.append((number, line))
                return
            starts.append(number)
            yield line

    reader = csv.reader(text_lines(), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        if broken:
            yield f"line {broken[0][0]}", broken[0][1]
        return
    except csv.Error as exc:
        raise ValidationError(f"line 1: unreadable CSV header: {_csv_reason(exc)}") from None
    header = fields_of(header, "line 1")
    while True:
        first = len(starts) + 1
        try:
            row = next(reader)
        except StopIteration:
            if broken:
                yield f"line {broken[0][0]}", broken[0][1]
            return
        except csv.Error as exc:
            if broken:  # the stream stopped at an unreadable line inside this record
                yield f"line {broken[0][0]}", broken[0][1]
            else:
                yield f"line {first}", Unreadable(f"unreadable CSV: {_csv_reason(exc)}")
            return
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header) and not any(c.strip() for c in row[len(header):]):
            row = row[:len(header)]  # Excel's trailing empty cells
        if len(row) != len(header):  # a short row is a broken file, not Excel's habit
            yield f"line {first}", Unreadable(f"{len(row)} cells, but the header has {len(header)}")
            return
        yield f"line {first}", office_cells({k: v for k, v in zip(header, row) if v != ""})


def _csv_reason(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return (f"a cell is longer than {MAX_LINE_BYTES:,} characters (a text field holds at "
                f"most 1 MiB)")
    if "new-line character seen in unquoted field" in str(exc):
        return ("a bare carriage return (CR) inside an unquoted field: save the file with LF "
                "or CRLF line endings, or quote the field")
    return str(exc)
