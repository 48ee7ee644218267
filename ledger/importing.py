"""Reading import files (JSON Lines and CSV) as a stream of numbered records.

Each reader yields ``("line N", record)`` pairs lazily, so an import of any
size runs in constant memory; a line that cannot be read raises
:class:`~ledger.errors.ValidationError` naming its line number.

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
from ledger.records import record_types

Numbered = tuple[str, object]


def read_records(path: str | Path, progress=None) -> Iterator[Numbered]:
    """Records of a ``.jsonl`` or ``.csv`` file, by its extension.

    ``progress(n_bytes)`` is called as the file is read (for a progress bar).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        raise LedgerError(f"{path}: unknown import format {suffix or '(none)'!r}; "
                          f"use .jsonl (JSON Lines) or .csv")
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise LedgerError(f"cannot read {path}: {exc.strerror}") from None
    reader = _jsonl if suffix == ".jsonl" else _csv
    return _closing(fh, reader(_lines(fh, progress)))


def _closing(fh: BinaryIO, records: Iterator[Numbered]) -> Iterator[Numbered]:
    with fh:
        yield from records


def _lines(fh: BinaryIO, progress) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(fh, start=1):
        if progress:
            progress(len(raw))
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError(f"line {number}: not valid UTF-8 (byte {exc.start + 1})") from None
        if number == 1:
            line = line.removeprefix("\ufeff")
        yield number, line


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


def _jsonl(lines: Iterator[tuple[int, str]]) -> Iterator[Numbered]:
    for number, line in lines:
        if not line.strip():
            continue
        try:
            rec = _DECODER.decode(line)
        except RecursionError:
            raise ValidationError(f"line {number}: JSON nested too deeply") from None
        except ValueError as exc:  # JSONDecodeError, huge integers, duplicate keys
            raise ValidationError(f"line {number}: not a valid JSON record: {exc}") from None
        yield f"line {number}", rec


def _csv(lines: Iterator[tuple[int, str]]) -> Iterator[Numbered]:
    starts: list[int] = []

    def text_lines():
        for number, line in lines:
            starts.append(number)
            yield line

    reader = csv.reader(text_lines(), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise ValidationError(f"line 1: unreadable CSV header: {exc}") from None
    header = [h.strip() for h in header]
    known = {"type", "id", "actor"}.union(*(r | o for r, o in record_types().values()))
    for name in header:
        if name not in known:
            raise ValidationError(f"line 1: unknown column {name!r}")
    if len(set(header)) != len(header):
        raise ValidationError("line 1: a column name appears twice")
    while True:
        first = len(starts) + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ValidationError(f"line {first}: unreadable CSV: {exc}") from None
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ValidationError(f"line {first}: {len(row)} cells, but the header has {len(header)}")
        yield f"line {first}", {k: v for k, v in zip(header, row) if v != ""}
