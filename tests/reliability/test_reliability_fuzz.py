"""Hostile input: import files written by a fuzzer, imported through the API and the CLI.

The promise under test (the interchange contract): an import either succeeds whole and
stores every record exactly (exit 0), or fails with a ``LedgerError`` / exactly one
stderr line starting ``error:`` (exit 1) that names the bad line, and appends nothing
(count and head unchanged). Never a traceback, never a hang (every subprocess has a
timeout), never a partial append.

Three layers:

* ``files()``: a hypothesis strategy for JSONL or CSV files of *valid* records (findings,
  rate findings, towns, payments, reports; hostile free text in every text field:
  formula-injection strings, quotes, separators, newlines, NUL, BOMs, bidi controls,
  SQL) with at most one *mutation* at a known record: wrong JSON types, huge numbers
  (``1e400``, a 5001-digit integer), ``NaN``/``Infinity``, 100,000-deep nesting, invalid
  UTF-8 bytes, a BOM inside the file, duplicate keys, truncated lines, CSV header and
  quoting faults… With no mutation the import must succeed and every record must be
  stored as written; with one it must fail naming that record's line.
* ``junk_files()``: arbitrary JSON values and bytes per line; only the invariants hold.
* explicit cases run through the real CLI: a 10 MB line, the classic hostile values, names with
  invisible characters, quantities as text, text over 1 MiB (contract v2), and every other
  command given the inputs of issue 13 (extreme ``known_at``, rubric files that are devices,
  FIFOs or huge numbers, an export over the ledger, a demo over another ledger).

The bulk runs in process (``Ledger.import_file``), a sample through the CLI subprocess.
The bugs it found are fixed; each also has a regression test at the end.

Default: 150 structured + 40 junk files through the API, 10 through the CLI, the explicit
hostile files, a 1 MiB and a 10 MB note, the hostile command lines, derandomised (the same files every run). ``-m slow``: 2,000 random API files and 60 random CLI files.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import ledger
from ledger.errors import LedgerError, ValidationError
from ledger.importing.names import check_name, normalise_name
from ledger.importing.records import MAX_TEXT_BYTES
from support.workers import TOWNS, finding, setup_records

PY = sys.executable
ROOT = Path(__file__).resolve().parents[2]
CLI_TIMEOUT = 60
BASE = setup_records() + [finding(f"base-f{i}", i) for i in range(10)]

UNIT_CLAUSES = ("B06.1", "A03.1", "B10.2", "A05.1")
# quantity must be 1 (contract v2 made A05.4 a deadline at 12-31, so it is not drawn here)
ONCE_CLAUSES = ("A01.2", "A10.2", "B04.3")
RATE_CLAUSE = "B04.2"
HOSTILE = (
    "=cmd|' /C calc'!A0", '=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3",
    "@SUM(A1:A9)", "\t=1+1", '"', '""', 'say "hi"', "a,b", "a;b;;c", "a\nb", "a\r\nb", "a\rb",
    "a\x00b", "\ufeff", "\ufeffBOM", "\u2028\u2029", "\x85", "'; DROP TABLE events; --",
    "Robert'); DELETE FROM events;--", "🙂👍🏽", "沙溪镇", "\\", "\\u0000", "%s%n%x", "{0}{1}",
    "${jndi:ldap://x/a}", " ", "  leading", "trailing  ", "\u202eevil", "e\u0301", "\x1b[31m",
)
_chars = st.characters(exclude_categories=("Cs",))  # a str with a lone surrogate is not text
free_text = st.one_of(st.sampled_from(HOSTILE), st.text(_chars, max_size=30))
nonblank = free_text.filter(lambda s: bool(s.strip()))


def is_name(text: str) -> bool:
    """A name the contract accepts (it is stored in its normal form: see expected_fields)."""
    try:
        check_name(text)
        return True
    except ValidationError:
        return False


# names (towns, cases, reports) refuse control, format, private-use and unassigned characters
REFUSED_IN_NAMES = ["\u200b", "\u202e", "\x1b", "\x07", "\x00", "\ue000", "\u0378", "\u2028",
                    "\ufeff", "\n"]


class Raw:
    """A JSON token written as is (``NaN``, ``1e400``, 100,000 ``[``…)."""

    def __init__(self, text: str):
        self.text = text


def dumps_with_raw(rec, ensure_ascii: bool) -> str:
    raws = {}

    def swap(v):
        if isinstance(v, Raw):
            key = f"@@raw{len(raws)}@@"
            raws[key] = v.text
            return key
        if isinstance(v, Decimal):
            return swap(Raw(str(v)))
        if isinstance(v, dict):
            return {k: swap(x) for k, x in v.items()}
        if isinstance(v, list):
            return [swap(x) for x in v]
        return v

    text = json.dumps(swap(rec), ensure_ascii=ensure_ascii)
    for key, raw in raws.items():
        text = text.replace(json.dumps(key), raw)
    return text


# -- valid records -------------------------------------------------------------------

@st.composite
def valid_record(draw, i: int) -> dict:
    kind = draw(st.sampled_from(["finding"] * 5 + ["rate", "once", "town", "payment", "report"]))
    rid = draw(st.one_of(st.just(f"fz-{i}"), nonblank.map(lambda s: f"{s}#{i}")))
    day = date(2017, 1, 1) + timedelta(days=draw(st.integers(0, 364)))
    rec: dict = {"type": "finding", "id": rid}
    if kind == "town":
        rec.update(type="town", name=draw(nonblank.map(lambda s: f"新镇{i}{s}").filter(is_name)))
    elif kind in ("payment", "report"):
        subject = "case" if kind == "payment" else "report"
        start, end = ("approved_on", "paid_on") if kind == "payment" else ("due_on", "submitted_on")
        rec.update(type=kind, town=draw(st.sampled_from(TOWNS)), period="2017")
        rec[subject] = draw(nonblank.filter(is_name))
        rec[start] = day.isoformat()
        if draw(st.booleans()):
            rec[end] = (day + timedelta(days=draw(st.integers(0, 40)))).isoformat()
    else:
        rec.update(town=draw(st.sampled_from(TOWNS)), period="2017", occurred_on=day.isoformat())
        if kind == "rate":
            rec["clause"] = RATE_CLAUSE
            rec["value"] = draw(st.decimals(0, 100, places=draw(st.integers(0, 3))))
        elif kind == "once":
            rec["clause"] = draw(st.sampled_from(ONCE_CLAUSES))
            if draw(st.booleans()):
                rec["quantity"] = 1
        else:
            rec["clause"] = draw(st.sampled_from(UNIT_CLAUSES))
            if draw(st.booleans()):
                rec["quantity"] = draw(st.integers(1, 1_000_000))  # a JSON integer only
        if draw(st.booleans()):
            rec["note"] = draw(free_text)
        if draw(st.booleans()):
            rec["evidence"] = draw(st.lists(free_text, max_size=3))
        if draw(st.booleans()):
            rec["source"] = draw(st.sampled_from(["city", "self"]))
    if draw(st.integers(0, 4)) == 0:
        rec["actor"] = draw(free_text)
    return rec


def expected_fields(rec: dict, fmt: str) -> dict:
    """What the stored payload must hold for a valid record imported as ``fmt``."""
    def cell(v):  # CSV: an empty cell is an absent field
        return None if fmt == "csv" and v == "" else v

    out = {k: cell(v) for k, v in rec.items() if k not in ("type", "evidence", "quantity", "value")}
    for k in ("name", "town", "case", "report"):  # names are stored in their normal form
        if isinstance(out.get(k), str):
            out[k] = normalise_name(out[k])
    if rec["type"] == "finding":
        out["quantity"] = int(rec.get("quantity", 1))
        out["source"] = rec.get("source", "city")
        ev = rec.get("evidence", [])
        if fmt == "csv" or isinstance(ev, str):
            joined = ev if isinstance(ev, str) else ";".join(ev)
            ev = [x.strip() for x in joined.split(";") if x.strip()]
        out["evidence"] = list(ev)
        if "value" in rec:
            out["value"] = Decimal(str(rec["value"]))
    return {k: v for k, v in out.items() if v is not None}


def stored_matches(stored_payload: str, fields: dict) -> list[str]:
    data = json.loads(stored_payload, parse_float=Decimal)
    return [f"{k}: stored {data.get(k)!r}, written {v!r}" for k, v in fields.items()
            if data.get(k) != v]


# -- mutations: each makes its record invalid -------------------------------------------

WRONG_TYPES = [123, Raw("1.5"), True, False, [], ["x"], {}, {"a": 1}]
BAD_QUANTITY = [0, -1, 1_000_001, Raw("1.5"), "abc", "1.5", True, [], {}, Raw("1e400"),
                Raw("1" + "0" * 5000), Raw("NaN"), Raw("Infinity"), Raw("-Infinity"),
                Raw("-0"), Raw("1e999999"),
                # contract v2: a JSON integer, a CSV cell of ASCII digits; nothing else
                Raw("2.0"), Raw("2E0"), "３", "٣", " 7 ", "+2", "2.0"]
QUANTITY_TEXT = ["3", "12", "007"]  # text digits: refused in JSON (a CSV cell of them is fine)
# (2018-03-01: contract v2's assessment window admits findings and due dates to 2018-02-28)
BAD_DATES = ["2017-02-30", "2017-13-01", "17-03-01", "2016-12-31", "2018-03-01",
             "2017-03-01T00:00", ""]
# shapes a CSV or XLSX cell may take as Excel writes dates (issue 15), refused in JSON Lines,
# where the contract's YYYY-MM-DD is exact
EXCEL_ONLY_DATES = ["2017-3-1", " 2017-03-01", "２０１７-03-01", "٢٠١٧-٠٣-٠١"]
BAD_BYTES = [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe6\xb2", b"\x80abc", b"\xf8\x88\x80\x80\x80"]
NOT_OBJECTS = ["[]", '"finding"', "1", "null", "true", '[{"type":"town","id":"x","name":"y"}]']

# Each mutation: (name, formats it applies to, how). ``how`` gets (record, draw) and
# returns ("record", new_record) or ("line", text_or_bytes) or ("header", extra_column).
def _m_wrong_type(rec, draw):
    field = draw(st.sampled_from([f for f in ("town", "clause", "occurred_on", "period", "note",
                                              "source", "id", "name", "case", "report")
                                  if f in rec] or ["id"]))
    return "record", {**rec, field: draw(st.sampled_from(WRONG_TYPES))}


def _m_quantity(rec, draw):
    if rec["type"] != "finding":
        return "record", {**rec, "quantity": 2}          # unknown field for the type
    if rec["clause"] in ONCE_CLAUSES:
        return "record", {**rec, "quantity": draw(st.integers(2, 50))}
    return "record", {**rec, "quantity": draw(st.sampled_from(BAD_QUANTITY))}


def _m_quantity_text(rec, draw):
    if rec["type"] != "finding" or rec["clause"] in ONCE_CLAUSES:
        return "record", {**rec, "quantity": "1"}        # unknown field / text, not an integer
    return "record", {**rec, "quantity": draw(st.sampled_from(QUANTITY_TEXT))}


def _m_name(rec, draw):
    """A name holding a character names may not hold (after a registered town's name too)."""
    field = next((f for f in ("name", "case", "report", "town") if f in rec), None)
    bad = draw(st.sampled_from(REFUSED_IN_NAMES))
    if field is None:
        return "record", {**rec, "name": "x"}              # unknown field for the type
    inside = rec[field][:1] + bad + rec[field][1:]
    if bad.isspace():  # surrounding white space (U+2028, a newline) is stripped, not refused
        return "record", {**rec, field: inside}
    return "record", {**rec, field: draw(st.sampled_from([rec[field] + bad, bad + rec[field],
                                                           inside]))}


def _m_text_size(rec, draw):
    """A text field one byte over 1 MiB."""
    field = draw(st.sampled_from(["id", "note", "actor"] if rec["type"] == "finding" else ["id"]))
    return "record", {**rec, field: "x" * (MAX_TEXT_BYTES + 1)}


def _m_value(rec, draw):
    if rec.get("clause") == RATE_CLAUSE:
        if draw(st.booleans()):
            return "record", {k: v for k, v in rec.items() if k != "value"}
        return "record", {**rec, "value": draw(st.sampled_from(
            [Raw("-0.1"), Raw("100.01"), Raw("1e400"), Raw("NaN"), "abc", True, []]))}
    return "record", {**rec, "value": Raw("50")}     # value on a non-rate clause / type


def _m_date(rec, draw):
    field = next((f for f in ("occurred_on", "approved_on", "due_on") if f in rec), None)
    if field is None:
        return "record", {**rec, "name": ""}
    return "record", {**rec, field: draw(st.sampled_from(BAD_DATES))}


def _m_date_shape(rec, draw):
    field = next((f for f in ("occurred_on", "approved_on", "due_on") if f in rec), None)
    if field is None:
        return "record", {**rec, "name": ""}
    return "record", {**rec, field: draw(st.sampled_from(EXCEL_ONLY_DATES))}


def _m_unknown_field(rec, draw):
    return "record", {**rec, draw(st.sampled_from(["extra", "Town", "note ", "typ", "备注"])): "x"}


def _m_missing(rec, draw):
    required = {"finding": ["town", "clause", "occurred_on", "period"], "town": ["name"],
                "payment": ["case", "approved_on", "town"], "report": ["report", "due_on"]}
    field = draw(st.sampled_from(required[rec["type"]] + ["id", "type"]))
    return "record", {k: v for k, v in rec.items() if k != field}


def _m_bad_reference(rec, draw):
    if "town" in rec:
        # (" 沙溪镇" is 沙溪镇 now: names are compared in their normal form)
        return "record", {**rec, "town": draw(st.sampled_from(["不存在镇", "沙溪镇\u200b",
                                                               "\u202e沙溪镇", "沙溪鎮"]))}
    return "record", {**rec, "name": TOWNS[0]}   # a town registered twice


def _m_clause(rec, draw):
    if rec["type"] != "finding":
        return "record", {**rec, "type": draw(st.sampled_from(["Finding", "findings", "towns"]))}
    return "record", {**rec, "clause": draw(st.sampled_from(["Z99", "b06.9", "B06.1x", "B06", ""]))}


def _m_type(rec, draw):
    return "record", {**rec, "type": draw(st.sampled_from(["Finding", "", "adoption", "1"]))}


def _m_other_content(rec, draw):
    return "record", {**finding("base-f3", 99)}  # an id already in the ledger, other content


def _m_source_project(rec, draw):
    if rec["type"] != "finding":
        return "record", {**rec, "source": "city"}
    return "record", {**rec, draw(st.sampled_from(["source", "project"])): "City"}


def _m_not_object(rec, draw):
    return "line", draw(st.sampled_from(NOT_OBJECTS))


def _m_truncated(rec, draw):
    return "truncate", None


def _m_duplicate_key(rec, draw):
    return "dupkey", None


def _m_deep(rec, draw):
    return "line", draw(st.sampled_from(["[" * 100_000, '{"a":' * 100_000,
                                         '{"type":"finding","id":"deep","note":' + "[" * 100_000]))


def _m_bom_inside(rec, draw):
    return "bom", None


def _m_bad_bytes(rec, draw):
    return "bytes", draw(st.sampled_from(BAD_BYTES))


def _m_control_char(rec, draw):
    return "ctrl", draw(st.sampled_from(["\x00", "\x01", "\x1f"]))


def _m_csv_header(rec, draw):
    return "header", draw(st.sampled_from(["extra", "type"]))  # unknown / duplicate column


def _m_csv_unterminated(rec, draw):
    return "unterminated", None


def _m_csv_cells(rec, draw):
    return "cells", draw(st.sampled_from([1, -1]))  # one cell too many / too few


MUTATIONS = {
    "wrong_type": ("jsonl", _m_wrong_type), "quantity": ("both", _m_quantity),
    "value": ("both", _m_value), "date": ("both", _m_date), "date_shape": ("jsonl", _m_date_shape),
    "unknown_field": ("jsonl", _m_unknown_field), "missing": ("jsonl", _m_missing),
    "reference": ("both", _m_bad_reference), "clause": ("both", _m_clause),
    "type": ("both", _m_type), "other_content": ("both", _m_other_content),
    "source_project": ("both", _m_source_project), "not_object": ("jsonl", _m_not_object),
    "truncated": ("jsonl", _m_truncated), "duplicate_key": ("jsonl", _m_duplicate_key),
    "deep": ("jsonl", _m_deep), "bom_inside": ("jsonl", _m_bom_inside),
    "bad_bytes": ("both", _m_bad_bytes), "control_char": ("jsonl", _m_control_char),
    "csv_header": ("csv", _m_csv_header), "csv_unterminated": ("csv", _m_csv_unterminated),
    "csv_cells": ("csv", _m_csv_cells),
    "quantity_text": ("jsonl", _m_quantity_text), "name": ("both", _m_name),
    "text_size": ("both", _m_text_size),
}


class FuzzFile:
    def __init__(self, fmt, data: bytes, records, bad_lines, mutation):
        self.fmt, self.data, self.records = fmt, data, records
        self.bad_lines, self.mutation = bad_lines, mutation   # bad_lines: None when valid

    def __repr__(self):
        head = self.data[:300]
        return (f"FuzzFile({self.fmt}, mutation={self.mutation}, bad_lines={self.bad_lines}, "
                f"{len(self.data)} bytes, starts {head!r})")


def _csv_text(v) -> str:
    if isinstance(v, Raw):
        return v.text
    if isinstance(v, list):
        return ";".join(map(str, v))
    return str(v)


@st.composite
def files(draw, allow_mutation: bool = True) -> FuzzFile:
    fmt = draw(st.sampled_from(["jsonl", "csv"]))
    n = draw(st.integers(1, 12))
    records = [draw(valid_record(i)) for i in range(n)]
    if draw(st.integers(0, 5)) == 0 and n > 1:   # the same record twice: the second is a no-op
        records.append(dict(records[0]))
    mutation, at, kind, payload = None, None, None, None
    if allow_mutation and draw(st.integers(0, 3)) > 0:
        names = [m for m, (fmts, _) in MUTATIONS.items() if fmts in ("both", fmt)]
        mutation = draw(st.sampled_from(names))
        at = draw(st.integers(0, len(records) - 1))
        kind, payload = MUTATIONS[mutation][1](records[at], draw)
        if kind == "record":
            if fmt == "csv":  # a CSV cell can only hold text
                assume(all(isinstance(v, (str, int, Raw, list)) and not isinstance(v, bool)
                           for v in payload.values()))
                assume(all(isinstance(x, str) for v in payload.values() if isinstance(v, list)
                           for x in v))
                # an empty cell ("" or an empty list) is an absent field in CSV
                assume(all(_csv_text(v) != "" for v in payload.values()))
            records[at] = payload
    bom = draw(st.booleans())
    if fmt == "jsonl":
        ascii_ = draw(st.booleans())
        lines: list[bytes] = []
        for j, rec in enumerate(records):
            line = dumps_with_raw(rec, ascii_).encode("utf-8")
            if j == at and kind == "line":
                line = payload.encode("utf-8")
            elif j == at and kind == "truncate":
                line = line[:max(1, len(line) // 2)]
            elif j == at and kind == "dupkey":
                line = b'{"id":"dup",' + line[1:]
            elif j == at and kind == "bom":
                line = "\ufeff".encode() + line
                if j == 0:
                    bom = False
                    line = b"\n" + line   # a BOM on line 2, after an empty first line
            elif j == at and kind == "bytes":
                cut = line.index(b'"', 1) + 1
                line = line[:cut] + payload + line[cut:]
            elif j == at and kind == "ctrl":
                line = line.replace(b'"type"', ('"ty' + payload + 'pe"').encode(), 1)
            lines.append(line)
        data = b"\n".join(lines) + draw(st.sampled_from([b"\n", b"", b"\n\n"]))
        if at is not None:
            before = sum(line.count(b"\n") + 1 for line in lines[:at])
            bad = {before + lines[at].count(b"\n") + 1}
        else:
            bad = None
    else:
        header = list(dict.fromkeys(k for rec in records for k in rec))
        if kind == "header":
            header.append(payload)
        buf = io.StringIO()
        quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
        ending = draw(st.sampled_from(["\r\n", "\n"]))
        csv.writer(buf, quoting=quoting, lineterminator=ending).writerow(header)
        spans, chunks = [], [buf.getvalue().encode("utf-8")]
        line_no = 2
        for j, rec in enumerate(records):
            buf = io.StringIO()
            # written with "\r\n" so that a cell holding a bare CR is quoted too (RFC 4180),
            # then the row ends with "\n" (the parent's line ending is checked by the header)
            csv.writer(buf, quoting=quoting, lineterminator="\r\n").writerow(
                [_csv_text(rec[k]) if k in rec else "" for k in header])
            body, end = buf.getvalue()[:-2].encode("utf-8"), ending.encode()
            if j == at and kind == "bytes":
                body = body.replace(b",", b"," + payload, 1)
            elif j == at and kind == "unterminated":
                body += b',"unterminated'
            elif j == at and kind == "cells":
                body = body + b",extra" if payload == 1 else body[:body.rindex(b",")]
            row = body + end
            span = row.count(b"\n")
            spans.append(set(range(line_no, line_no + max(1, span))))
            line_no += span
            chunks.append(row)
        data = b"".join(chunks)
        if kind == "header":
            bad = {1}
        elif kind == "bytes":
            bad = spans[at]
        elif at is not None:
            bad = {min(spans[at])}
        else:
            bad = None
        if kind == "unterminated":  # it swallows the rest of the file: never valid
            records = records[:at + 1]
    if bom:
        data = "\ufeff".encode() + data
    return FuzzFile(fmt, data, records, bad, mutation)


@st.composite
def junk_files(draw) -> FuzzFile:
    """Lines of arbitrary JSON values, objects with contract field names, and bytes."""
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | free_text,
        lambda c: st.lists(c, max_size=3) | st.dictionaries(free_text, c, max_size=3),
        max_leaves=8)
    fields = st.sampled_from(["type", "id", "town", "period", "clause", "occurred_on", "quantity",
                              "value", "note", "evidence", "name", "finding", "reason", "case",
                              "approved_on", "paid_on", "appeal", "findings", "amendments",
                              "retractions", "outcome", "rubric", "source", "project"])
    types = st.one_of(st.sampled_from(["finding", "town", "payment", "report", "retraction",
                                       "amendment", "appeal", "appeal_decision", "close", "adopt"]),
                      json_values)
    objects = st.fixed_dictionaries({"type": types, "id": json_values},
                                    optional={"x": st.dictionaries(fields, json_values, max_size=6)})
    objects = objects.map(lambda o: {**o.get("x", {}), "type": o["type"], "id": o["id"]})
    line = st.one_of(objects.map(lambda o: json.dumps(o, ensure_ascii=False).encode()),
                     json_values.map(lambda v: json.dumps(v).encode()),
                     st.binary(max_size=60))
    lines = draw(st.lists(line, min_size=1, max_size=8))
    fmt = draw(st.sampled_from(["jsonl", "csv"]))
    if fmt == "csv":
        header = ",".join(draw(st.lists(fields, min_size=1, max_size=6, unique=True))).encode()
        lines = [header] + lines
    return FuzzFile(fmt, b"\n".join(lines), [], None, "junk")


# -- running an import ------------------------------------------------------------------

@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("fuzz-template")
    with ledger.open(d / "template.db") as lg:
        lg.append(BASE)
    return d / "template.db"


def fresh_copy(template: Path) -> tuple[Path, Path]:
    d = Path(tempfile.mkdtemp(prefix="fuzz-"))
    shutil.copy(template, d / "ledger.db")
    return d, d / "ledger.db"


def distinct_new(records) -> int:
    return len({r["id"] for r in records})


def check_api(template: Path, f: FuzzFile) -> str:
    d, db = fresh_copy(template)
    try:
        path = d / f"import.{f.fmt}"
        path.write_bytes(f.data)
        with ledger.open(db) as lg:
            before = (lg.store.count(), str(lg.head()))
            try:
                n = lg.import_file(path)
            except LedgerError as exc:
                assert (lg.store.count(), str(lg.head())) == before, "partial append"
                lg.verify(before[1])
                msg = str(exc)
                assert f.mutation is not None, f"a valid file was refused: {msg} ({f})"
                assert f.bad_lines is None or f.mutation == "junk" or any(
                    msg.startswith(f"line {k}:") for k in f.bad_lines), (msg, f)
                return "error"
            assert f.bad_lines is None, f"accepted a bad file: {f}"
            check_success(lg, f, n, before)
            return "ok"
    finally:
        shutil.rmtree(d, ignore_errors=True)


def check_success(lg, f: FuzzFile, n: int, before) -> None:
    if f.mutation != "junk":
        assert n == distinct_new(f.records), (n, f)
    assert lg.store.count() == before[0] + n
    assert lg.verify(before[1]) == before[0] + n
    for rec in f.records:
        stored = lg.store.get(rec["id"])
        assert stored is not None, rec["id"]
        problems = stored_matches(stored.payload, expected_fields(rec, f.fmt))
        assert not problems, (problems, rec, f.fmt)


def run_cli(db: Path, path: Path, timeout: float = CLI_TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "ledger", "--db", str(db), "--lang", "en", "import", str(path)],
                          capture_output=True, timeout=timeout, cwd=ROOT)


def check_cli(template: Path, f: FuzzFile) -> str:
    d, db = fresh_copy(template)
    try:
        path = d / f"import.{f.fmt}"
        path.write_bytes(f.data)
        with ledger.open(db) as lg:
            before = (lg.store.count(), str(lg.head()))
        r = run_cli(db, path)
        out, err = r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")
        assert r.returncode in (0, 1), (r.returncode, err[-3000:])
        with ledger.open(db) as lg:
            if r.returncode == 1:
                lines = err.splitlines()
                assert len(lines) == 1 and lines[0].startswith("error: "), err[-3000:]
                assert out == ""
                assert (lg.store.count(), str(lg.head())) == before, "partial append"
                lg.verify(before[1])
                assert f.mutation is not None, f"a valid file was refused: {lines[0]} ({f})"
                assert f.bad_lines is None or f.mutation == "junk" or any(
                    lines[0].startswith(f"error: line {k}:") for k in f.bad_lines), (lines[0], f)
                return "error"
            assert err == "", err
            assert f.bad_lines is None, f"accepted a bad file: {f}"
            n = int(out.split()[1])
            check_success(lg, f, n, before)
            return "ok"
    finally:
        shutil.rmtree(d, ignore_errors=True)


FUZZ: dict = {}  # the suite's hypothesis profile (tests/conftest.py) has what these need
OUTCOMES: dict[str, int] = {}


def _count(name: str, outcome: str) -> None:
    OUTCOMES[f"{name}:{outcome}"] = OUTCOMES.get(f"{name}:{outcome}", 0) + 1


@settings(max_examples=150, derandomize=True, **FUZZ)
@given(f=files())
@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_api_import_of_fuzzed_files_is_all_or_nothing(template, f):
    _count("api", check_api(template, f))


@settings(max_examples=40, derandomize=True, **FUZZ)
@given(f=junk_files())
def test_api_import_of_junk_is_a_clear_error_or_a_correct_import(template, f):
    _count("api-junk", check_api(template, f))


@settings(max_examples=10, derandomize=True, **FUZZ)
@given(f=st.one_of(files(), junk_files()))
@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_cli_import_of_fuzzed_files_is_exit_0_or_one_error_line(template, f):
    _count("cli", check_cli(template, f))


@pytest.mark.slow
@settings(max_examples=2000, **FUZZ)
@given(f=st.one_of(files(), files(), junk_files()))
def test_api_fuzz_many(template, f):
    _count("api-slow", check_api(template, f))


@pytest.mark.slow
@settings(max_examples=60, **FUZZ)
@given(f=st.one_of(files(), junk_files()))
def test_cli_fuzz_many(template, f):
    _count("cli-slow", check_cli(template, f))


@pytest.fixture(scope="module", autouse=True)
def fuzz_figures():
    """Prints how many files each fuzz test tried and how they ended (for the docs; ``-s``)."""
    yield
    if OUTCOMES:
        print(f"\n[fuzz] {dict(sorted(OUTCOMES.items()))}")


# -- explicit hostile files through the CLI --------------------------------------------

def _line(**fields) -> str:
    return dumps_with_raw({**finding("x-1", 1), **fields}, ensure_ascii=False)


HOSTILE_FILES = {
    # name: (suffix, bytes, expected "ok" or the line the error names)
    "quantity 1e400": ("jsonl", _line(quantity=Raw("1e400")), 1),
    "quantity 10**5000": ("jsonl", _line(quantity=Raw("1" + "0" * 5000)), 1),
    "quantity NaN": ("jsonl", _line(quantity=Raw("NaN")), 1),
    "quantity Infinity": ("jsonl", _line(quantity=Raw("Infinity")), 1),
    "quantity -Infinity": ("jsonl", _line(quantity=Raw("-Infinity")), 1),
    "value 1e400": ("jsonl", _line(clause="B04.2", quantity=1, value=Raw("1e400")), 1),
    "100,000 [": ("jsonl", "[" * 100_000, 1),
    "100,000 nested objects": ("jsonl", '{"a":' * 100_000, 1),
    "note nested 100,000 deep": ("jsonl", _line()[:-1] + ',"note":' + "[" * 100_000 + "]" * 100_000 + "}", 1),
    "10 MB junk line": ("jsonl", "x" * 10_000_000, 1),
    "10 MB of [ on line 2": ("jsonl", _line() + "\n" + "[" * 10_000_000, 2),
    "invalid UTF-8 on line 3": ("jsonl", (_line() + "\n" + _line(id="x-2") + "\n").encode()
                                + b'{"type":"town","id":"t\xff","name":"x"}\n', 3),
    "BOM first": ("jsonl", "\ufeff" + _line(), "ok"),
    "BOM on line 2": ("jsonl", _line() + "\n\ufeff" + _line(id="x-2"), 2),
    "UTF-16 file": ("jsonl", (_line() + "\n").encode("utf-16"), "ok"),  # a BOM: detected
    "UTF-16 without BOM": ("jsonl", (_line() + "\n").encode("utf-16-le"), "file"),
    "formula note": ("jsonl", _line(note="=cmd|' /C calc'!A0", evidence=["=1+1", "@SUM(A1)"]), "ok"),
    "CSV formula and quoting": ("csv", 'type,id,town,period,clause,occurred_on,note,evidence\r\n'
                                'finding,x-1,沙溪镇,2017,B06.1,2017-03-01,"=cmd|\' /C calc\'!A0",'
                                '"a ""quoted"", b;\n=2+2"\r\n', "ok"),
    "CSV BOM header": ("csv", "\ufefftype,id,name\ntown,t-new,新镇\n", "ok"),
    "CSV unterminated quote": ("csv", 'type,id,name\ntown,t-new,"新镇\ntown,t-2,x\n', 2),
    "CSV NUL in a note": ("csv", "type,id,town,period,clause,occurred_on,note\n"
                                 "finding,x-1,沙溪镇,2017,B06.1,2017-03-01,a\x00b\n", "ok"),
    "CSV NUL in a town name": ("csv", "type,id,name\ntown,t-new,a\x00b\n", 2),
    "town name with a zero-width space": ("jsonl", '{"type":"town","id":"t-new","name":"沙溪镇\\u200b"}', 1),
    "town name with a bidi override": ("jsonl", '{"type":"town","id":"t-new","name":"\\u202e镇溪沙"}', 1),
    "town name registered again, spaced": ("jsonl", '{"type":"town","id":"t-new","name":"沙溪镇 "}', 1),
    "town name confusable (full width)": ("jsonl", '{"type":"town","id":"t-new","name":"ＸＹ镇"}\n'
                                          '{"type":"town","id":"t-3","name":"xy镇"}', 2),
    "finding on a spaced town name": ("jsonl", _line(town="\u3000沙溪镇 "), "ok"),
    "quantity text 3": ("jsonl", _line(quantity="3"), 1),
    "quantity full-width 3": ("jsonl", _line(quantity="３"), 1),
    "quantity Arabic-Indic 3": ("jsonl", _line(quantity="٣"), 1),
    "quantity 2.0": ("jsonl", _line(quantity=Raw("2.0")), 1),
    "CSV quantity full-width": ("csv", "type,id,town,period,clause,occurred_on,quantity\n"
                                       "finding,x-1,沙溪镇,2017,B06.1,2017-03-01,３\n", 2),
    "CSV quantity digits": ("csv", "type,id,town,period,clause,occurred_on,quantity\n"
                                   "finding,x-1,沙溪镇,2017,B06.1,2017-03-01,3\n", "ok"),
    "note over 1 MiB": ("jsonl", _line(note="x" * (MAX_TEXT_BYTES + 1)), 1),
    "CSV unknown column": ("csv", "type,id,name,=cmd|' /C calc'!A0\ntown,t-new,x,y\n", 1),
    "CSV CR-only line ends": ("csv", "type,id,name\rtown,t-new,x\r", 1),
    "empty file": ("jsonl", "", "file"),        # no records: an error naming the file
    "only blank lines": ("jsonl", "\n \n\t\n", "file"),
}


# a CLI run is a new interpreter (~0.4 s): every fourth case in the default run, all under -m slow
@pytest.mark.parametrize("name", [pytest.param(n, marks=() if k % 4 == 0 else pytest.mark.slow)
                                  for k, n in enumerate(HOSTILE_FILES)])
def test_hostile_file_through_the_cli(template, tmp_path, name):
    suffix, content, expect = HOSTILE_FILES[name]
    d, db = fresh_copy(template)
    try:
        path = tmp_path / f"hostile.{suffix}"
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        with ledger.open(db) as lg:
            before = (lg.store.count(), str(lg.head()))
        r = run_cli(db, path)
        err = r.stderr.decode("utf-8", "replace")
        with ledger.open(db) as lg:
            lg.verify()
            if expect == "ok":
                assert r.returncode == 0 and err == "", err[-2000:]
                for rec_id in ("x-1", "t-new"):
                    if rec_id.encode() in (content if isinstance(content, bytes) else content.encode()):
                        assert lg.store.get(rec_id) is not None
            else:
                lines = err.splitlines()
                assert r.returncode == 1 and len(lines) == 1, err[-2000:]
                where = "error: " if expect == "file" else f"error: line {expect}:"
                assert lines[0].startswith(where), lines[0][:300]
                assert (lg.store.count(), str(lg.head())) == before
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_formula_strings_are_stored_verbatim_never_evaluated(template, tmp_path):
    """Formula-injection text is data: stored byte for byte, in JSONL and CSV alike."""
    d, db = fresh_copy(template)
    try:
        nasty = "=cmd|' /C calc'!A0"
        (tmp_path / "a.jsonl").write_text(_line(id="fj", note=nasty, evidence=[nasty, "+1"]) + "\n",
                                          encoding="utf-8")
        buf = io.StringIO()
        csv.writer(buf).writerows([["type", "id", "town", "period", "clause", "occurred_on", "note"],
                                   ["finding", "fc", "沙溪镇", "2017", "B06.1", "2017-03-01", nasty]])
        (tmp_path / "b.csv").write_text(buf.getvalue(), encoding="utf-8")
        for p in ("a.jsonl", "b.csv"):
            assert run_cli(db, tmp_path / p).returncode == 0
        with ledger.open(db) as lg:
            assert json.loads(lg.store.get("fj").payload)["note"] == nasty
            assert json.loads(lg.store.get("fj").payload)["evidence"] == [nasty, "+1"]
            assert json.loads(lg.store.get("fc").payload)["note"] == nasty
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.mark.slow  # over a second (a real program or several CLI runs)
def test_a_1_mib_note_is_imported_whole_and_a_10_mb_note_refused(template, tmp_path):
    """Contract v2: free text up to 1 MiB a field. A note of exactly 1 MiB (of UTF-8) is
    imported through the CLI and stored exactly; a 10 MB note is one clear error line
    (before: no limit; a 1 GB note took 70 s and 6 GB of memory before a DataError)."""
    d, db = fresh_copy(template)
    try:
        note = ("核查" * 200_000)[:349_525] + "x"  # 349,525 × 3 bytes + 1 = 1 MiB exactly
        assert len(note.encode("utf-8")) == MAX_TEXT_BYTES
        path = tmp_path / "big.jsonl"
        path.write_text(_line(id="big-1", note=note) + "\n", encoding="utf-8")
        r = run_cli(db, path)
        assert r.returncode == 0, r.stderr[-2000:]
        with ledger.open(db) as lg:
            assert json.loads(lg.store.get("big-1").payload)["note"] == note
            lg.verify()
            before = str(lg.head())
        path.write_text(_line(id="big-2", note="核查" * 1_700_000) + "\n", encoding="utf-8")
        assert path.stat().st_size > 10_000_000
        r = run_cli(db, path)
        err = r.stderr.decode("utf-8", "replace")
        assert r.returncode == 1 and err.startswith("error: line 1: field 'note'"), err[-500:]
        assert len(err.splitlines()) == 1
        with ledger.open(db) as lg:
            assert str(lg.head()) == before
    finally:
        shutil.rmtree(d, ignore_errors=True)


# -- bugs this suite found, fixed since: each kept as a regression test --------------------

def _cli_says_one_error_line(template, suffix: str, content: bytes, timeout: float = CLI_TIMEOUT):
    d, db = fresh_copy(template)
    try:
        path = d / f"bug.{suffix}"
        path.write_bytes(content)
        with ledger.open(db) as lg:
            before = str(lg.head())
        try:
            r = run_cli(db, path, timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the import hung for more than {timeout} s")
        err = r.stderr.decode("utf-8", "replace")
        lines = err.splitlines()
        assert r.returncode == 1 and len(lines) == 1 and lines[0].startswith("error: line 1:"), \
            err[-1500:]
        with ledger.open(db) as lg:
            assert str(lg.head()) == before
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("value", ['["finding"]', '{"a":1}', "null", "1.5", "true"])
def test_record_type_that_is_not_text_is_a_clear_error(template, value):
    """Found by this suite (a TypeError traceback for a list/object 'type'), since fixed."""
    _cli_says_one_error_line(template, "jsonl", ('{"type":%s,"id":"x"}\n' % value).encode())


@pytest.mark.parametrize("token", ["1e999999", "1e1000000", "1e999999999999999999"])
def test_quantity_with_a_huge_exponent(template, token):
    _cli_says_one_error_line(template, "jsonl", (_line(quantity=Raw(token)) + "\n").encode(),
                             timeout=6)


@pytest.mark.parametrize("field", ["quantity", "value", "note"])
def test_number_beyond_decimal_limits(template, field):
    _cli_says_one_error_line(template, "jsonl",
                             (_line(**{"clause": "B04.2", "quantity": 1, "value": 50,
                                       field: Raw("1e99999999999999999999")}) + "\n").encode())


def test_rubric_path_too_long(template):
    rec = {"type": "adopt", "id": "a-long", "period": "2017", "rubric": "x" * 300}
    _cli_says_one_error_line(template, "jsonl", (json.dumps(rec) + "\n").encode())


def test_id_with_a_lone_surrogate(template):
    _cli_says_one_error_line(template, "jsonl",
                             b'{"type":"town","id":"\\ud800","name":"new town"}\n')


def test_csv_cell_over_128_kib_is_imported(template, tmp_path):
    d, db = fresh_copy(template)
    try:
        path = tmp_path / "long.csv"
        path.write_text("type,id,town,period,clause,occurred_on,note\n"
                        f"finding,long-1,沙溪镇,2017,B06.1,2017-03-01,{'x' * 200_000}\n",
                        encoding="utf-8")
        r = run_cli(db, path)
        assert r.returncode == 0, r.stderr.decode()[-500:]
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("token", ["99.99999999999999999999999999999999", "1e-999999999999999999"])
def test_rate_value_is_stored_exactly_or_refused(template, tmp_path, token):
    d, db = fresh_copy(template)
    try:
        path = tmp_path / "rate.jsonl"
        path.write_text(_line(id="r-1", clause="B04.2", quantity=1, value=Raw(token)) + "\n",
                        encoding="utf-8")
        r = run_cli(db, path)
        if r.returncode == 0:
            with ledger.open(db) as lg:
                stored = json.loads(lg.store.get("r-1").payload, parse_float=Decimal)["value"]
            assert stored == Decimal(token), f"wrote {token}, stored {stored}"
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_tiny_rate_value_does_not_blow_up_the_event(template, tmp_path):
    d, db = fresh_copy(template)
    try:
        path = tmp_path / "tiny.jsonl"
        path.write_text(_line(id="t-1", clause="B04.2", quantity=1, value=Raw("1e-1000000")) + "\n",
                        encoding="utf-8")
        r = run_cli(db, path)
        if r.returncode == 0:
            with ledger.open(db) as lg:
                assert len(lg.store.get("t-1").payload) < 10_000
    finally:
        shutil.rmtree(d, ignore_errors=True)


# -- issue 13: every other command, given hostile arguments and files ----------------------

def _hostile_commands(tmp: Path, db: Path) -> dict:
    fifo = tmp / "fifo.toml"
    os.mkfifo(fifo)
    bundled = (ROOT / "ledger" / "rubric" / "bundled" / "taicang" / "2017.toml").read_text("utf-8")
    rubrics = {}
    for name, value in (("overflow", "0.5e999999999"), ("digits", "1" + "0" * 5001),
                        ("places", "0.125"), ("nan", "nan"), ("inf", "-inf")):
        rubrics[name] = tmp / f"{name}.toml"
        rubrics[name].write_text(bundled.replace("amount = 0.1", f"amount = {value}", 1), "utf-8")
    other = tmp / "other.db"
    with ledger.open(other) as lg:
        lg.append([{"type": "adopt", "id": "demo-adopt-2017", "period": "2017",
                    "rubric": "taicang-2017"}])
    town = ["--town", TOWNS[0], "--period", "2017"]
    cases = {
        "rubric check /dev/zero": ["rubric", "check", "/dev/zero"],
        "rubric check a FIFO": ["rubric", "check", str(fifo)],
        "score --rubric /dev/zero": ["--db", str(db), "score", *town, "--rubric", "/dev/zero"],
        "score --rubric a FIFO": ["--db", str(db), "score", *town, "--rubric", str(fifo)],
        "export -o the ledger": ["--db", str(db), "export", "--period", "2017", "--format", "csv",
                                 "-o", str(db)],
        "export -o another ledger": ["--db", str(db), "export", "--period", "2017", "--format",
                                     "xlsx", "-o", str(other)],
        "export -o /dev/null": ["--db", str(db), "export", "--period", "2017", "--format",
                                "json", "-o", "/dev/null"],
        "demo over another ledger": ["--db", str(other), "demo"],
        "score --town with ESC and newline": ["--db", str(db), "score", "--town",
                                              "沙溪镇\x1b[2J\nerror: x", "--period", "2017"],
        "score --town spaced": ["--db", str(db), "score", "--town", "\u3000" + TOWNS[0] + " ",
                                "--period", "2017"],
        "score --town zero-width": ["--db", str(db), "score", "--town", TOWNS[0] + "\u200b",
                                    "--period", "2017"],
        "score --period bidi": ["--db", str(db), "score", "--town", TOWNS[0], "--period",
                                "\u202e2017"],
    }
    for name, path in rubrics.items():
        cases[f"rubric check {name}"] = ["rubric", "check", str(path)]
        cases[f"score --rubric {name}"] = ["--db", str(db), "score", *town, "--rubric", str(path)]
    for known in ("9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00", "9999-12-31",
                  "0001-01-01", "+99999-01-01", "2017-02-30", "\x1b[2J"):
        for cmd in (["score", *town], ["scoreboard", "--period", "2017"],
                    ["explain", *town], ["history", *town], ["compare", *town],
                    ["export", "--period", "2017", "--format", "csv", "-o", str(tmp / "x.csv")]):
            cases[f"{cmd[0]} --known-at {known!r}"] = ["--db", str(db), *cmd, "--known-at", known]
        cases[f"diff --from-known-at {known!r}"] = ["--db", str(db), "diff", *town,
                                                    "--from-known-at", known]
    return cases


@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_every_command_given_issue_13s_inputs_says_one_error_line_or_succeeds(template, tmp_path):
    """No traceback, no hang, at most one ``error:`` line (escaped), the ledger untouched."""
    d, db = fresh_copy(template)
    try:
        with ledger.open(db) as lg:
            before = str(lg.head())
        failures = []
        for name, args in _hostile_commands(tmp_path, db).items():
            try:
                r = subprocess.run([PY, "-m", "ledger", *args], capture_output=True, cwd=tmp_path,
                                   timeout=CLI_TIMEOUT, env={**os.environ, "PYTHONPATH": str(ROOT)})
            except subprocess.TimeoutExpired:
                failures.append(f"{name}: hung")
                continue
            err = r.stderr.decode("utf-8", "replace")
            lines = err.splitlines()
            if "Traceback" in err or r.returncode not in (0, 1, 2) or (
                    r.returncode != 0 and (len(lines) != 1 or not lines[0].startswith("error: "))):
                failures.append(f"{name}: exit {r.returncode}: {err[-600:]}")
            elif any(c in err for c in "\x1b\u202e\u200b"):
                failures.append(f"{name}: raw control characters on stderr: {err!r}")
        assert failures == [], "\n".join(failures)
        with ledger.open(db) as lg:
            assert str(lg.head()) == before and lg.verify(before)
    finally:
        shutil.rmtree(d, ignore_errors=True)
