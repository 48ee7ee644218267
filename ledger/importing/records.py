"""Interchange records (the import format) -> domain events, field by field.

This module checks each record's shape on its own: known type, known fields,
the right types, dates as ``YYYY-MM-DD``. Rules that need the ledger or the
rubric (is the town registered? does the clause exist?) live in
:mod:`ledger.importing.validation`.

>>> parse_record({"type": "town", "id": "t1", "name": "沙溪镇"})
TownRegistered(id='t1', name='沙溪镇', actor=None)
"""

from __future__ import annotations

import math
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from ledger.errors import ValidationError
from ledger.importing.names import check_name
from ledger.events import (
    AppealDecided,
    AppealFiled,
    PeriodClosed,
    FindingAmended,
    FindingRecorded,
    PaymentRecorded,
    RecordRetracted,
    ReportRecorded,
    TownRegistered,
)

MAX_QUANTITY = 1_000_000
MAX_TEXT_BYTES = 1 << 20  # contract v2: free text up to 1 MiB (of UTF-8) a field
MAX_PLACES = 20  # decimal places a rate may carry (exact, but bounded: 1e-999999999 is not a rate)

# type -> (required fields, optional fields); every record also has type, id, actor.
RECORD_FIELDS: dict[str, tuple[frozenset, frozenset]] = {
    "adopt": (frozenset({"period", "rubric"}), frozenset()),
    "town": (frozenset({"name"}), frozenset()),
    "finding": (frozenset({"town", "period", "clause", "occurred_on"}),
                frozenset({"quantity", "value", "project", "source", "note", "evidence"})),
    "retraction": (frozenset({"finding", "reason"}), frozenset()),
    "amendment": (frozenset({"finding", "reason"}), frozenset({"quantity", "value"})),
    "payment": (frozenset({"town", "period", "case", "approved_on"}), frozenset({"paid_on"})),
    "report": (frozenset({"town", "period", "report", "due_on"}), frozenset({"submitted_on"})),
    "appeal": (frozenset({"town", "period", "findings", "grounds"}), frozenset()),
    "appeal_decision": (frozenset({"appeal", "outcome", "reason", "decided_by"}),
                        frozenset({"retractions", "amendments"})),
    "close": (frozenset({"period"}), frozenset()),
}
OUTCOMES = ("upheld", "partly", "rejected")

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def record_types() -> dict[str, tuple[frozenset, frozenset]]:
    return RECORD_FIELDS


def fail(field: str | None, reason: str):
    where = f"field '{field}': " if field else ""
    raise ValidationError(f"{where}{reason}")


def text(rec: dict, field: str, required: bool = True, nonempty: bool = True) -> str | None:
    v = rec.get(field)
    if type(v) is str and v.isascii() and len(v) <= MAX_TEXT_BYTES and (not nonempty or v.strip()):
        return v  # the common case, checked cheaply (ASCII holds no lone surrogate)
    if v is None:
        if required:
            fail(field, "missing")
        return None
    if not isinstance(v, str):
        fail(field, f"must be text, not {_kind(v)}")
    _size(field, v)
    _utf8(field, v)
    if nonempty and not v.strip():
        fail(field, "must not be empty")
    return v


def _size(field: str, v: str) -> None:
    """Refuse text over 1 MiB of UTF-8 before anything bigger is built from it."""
    if len(v) > MAX_TEXT_BYTES // 4:  # below that, even 4 bytes a character fit
        size = len(v) if len(v) > MAX_TEXT_BYTES else len(v.encode("utf-8", "surrogatepass"))
        if size > MAX_TEXT_BYTES:
            fail(field, f"is {'over ' if len(v) > MAX_TEXT_BYTES else ''}{size:,} bytes; a text "
                        f"field holds at most 1 MiB ({MAX_TEXT_BYTES:,} bytes of UTF-8)")


def name(rec: dict, field: str) -> str:
    """A name (town, report, case) in its normal form; see :mod:`ledger.importing.names`.

    >>> name({"town": " 沙溪镇"}, "town")
    '沙溪镇'
    """
    v = text(rec, field)
    try:
        return check_name(v)
    except ValidationError as exc:
        fail(field, str(exc))


def is_utf8(v: str) -> bool:
    """False for text SQLite and hashing cannot store: lone surrogates (JSON "\\ud800")."""
    if v.isascii():
        return True
    try:
        v.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _utf8(field: str, v: str) -> None:
    if not is_utf8(v):
        fail(field, "is not valid UTF-8 text (it holds a lone surrogate)")


def day(rec: dict, field: str, required: bool = True) -> date | None:
    v = text(rec, field, required)
    if v is None:
        return None
    if not _DATE.fullmatch(v):
        fail(field, f"{v!r} is not a date YYYY-MM-DD")
    try:
        return date.fromisoformat(v)
    except ValueError:
        fail(field, f"{v!r} is not a valid date")


def quantity(rec: dict, field: str = "quantity") -> int | None:
    """A JSON integer >= 1 (contract v2): never true/false, 2.0, or text such as "3" or "３".

    The CSV reader turns a cell of ASCII digits into an integer (:func:`csv_whole`).
    """
    v = rec.get(field)
    if v is None:
        return None
    if type(v) is not int:
        shown = f"text {_shown(v)}" if isinstance(v, str) else _shown(v)
        fail(field, f"must be a whole number written as a JSON integer such as 3 (in a CSV file: "
                    f"the digits 0-9), not {shown}")
    if v < 1:
        fail(field, f"must be a whole number >= 1, not {_shown(v)}")
    if v > MAX_QUANTITY:
        fail(field, f"{_shown(v)} is more than {MAX_QUANTITY:,} units")
    return v


_CSV_WHOLE = re.compile(r"[0-9]{1,12}").fullmatch  # ASCII digits only: not "３", "٣", " 3"


def csv_whole(cell: str) -> int | str:
    """A CSV quantity cell: its integer when it is ASCII digits, else the text (refused later).

    >>> csv_whole("12"), csv_whole("３"), csv_whole("2.0")
    (12, '３', '2.0')
    """
    return int(cell) if _CSV_WHOLE(cell) else cell


def rate(rec: dict, field: str = "value") -> Decimal | None:
    v = rec.get(field)
    if v is None:
        return None
    if isinstance(v, bool):
        fail(field, f"must be a number, not {_kind(v)}")
    if isinstance(v, float):  # from a caller's json.loads: the shortest repr is what was typed
        v = Decimal(repr(v)) if _finite(v) else None
    elif isinstance(v, (int, str)):
        try:
            v = Decimal(str(v).strip()) if len(str(v)) < 40 else None
        except InvalidOperation:
            v = None
    if not isinstance(v, Decimal) or not v.is_finite():
        fail(field, f"must be a number from 0 to 100, not {_shown(rec.get(field))}")
    if not Decimal(0) <= v <= Decimal(100):
        fail(field, f"must be a number from 0 to 100, not {_shown(v)}")
    if _places(v) > MAX_PLACES:
        fail(field, f"has more than {MAX_PLACES} decimal places; a rate is stored exactly, "
                    f"so give at most {MAX_PLACES}")
    return v


def _places(v: Decimal) -> int:
    """Decimal places that matter (trailing zeros aside), without rounding."""
    if v == 0:
        return 0
    _, digits, exponent = v.as_tuple()
    zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -exponent - zeros)


def text_list(rec: dict, field: str = "evidence") -> tuple[str, ...]:
    v = rec.get(field)
    if v is None:
        return ()
    if isinstance(v, str):  # CSV: one cell, items split on ';'
        _size(field, v)
        return tuple(item.strip() for item in v.split(";") if item.strip())
    if not isinstance(v, list) or not all(isinstance(i, str) for i in v):
        fail(field, "must be a list of text items")
    for item in v:
        _size(field, item)
        _utf8(field, item)
    return tuple(v)


def parse_record(rec) -> object:
    """Check a record's shape and build its event; raises ValidationError.

    ``adopt`` records come back as the raw dict: turning them into an event needs
    the rubric file, which :mod:`ledger.importing.validation` loads.
    """
    if not isinstance(rec, dict):
        fail(None, f"a record must be an object with 'type' and 'id', not {_kind(rec)}")
    kind = rec.get("type")
    types = record_types()
    if not isinstance(kind, str) or kind not in types:
        if kind is None:
            fail("type", "missing")
        fail("type", f"unknown record type {_shown(kind)} (known: {', '.join(types)})")
    required, optional = types[kind]
    allowed = required | optional | {"type", "id", "actor"}
    for key in rec:
        if key not in allowed:
            fail(key, f"unknown field for a {kind} record (allowed: {', '.join(sorted(allowed))})")
    rid = text(rec, "id")
    actor = text(rec, "actor", required=False, nonempty=False)
    return BUILDERS[kind](rec, rid, actor)


def _finding(rec, rid, actor):
    source = text(rec, "source", required=False) or "city"
    if source not in ("city", "self"):
        fail("source", f"must be 'city' or 'self', not {source!r}")
    return FindingRecorded(
        id=rid, town=name(rec, "town"), period=text(rec, "period"),
        clause=text(rec, "clause").strip().upper(),  # clause ids are case-insensitive: c02.1
        occurred_on=day(rec, "occurred_on"), quantity=quantity(rec) or 1, value=rate(rec),
        project=text(rec, "project", required=False), source=source,
        note=text(rec, "note", required=False, nonempty=False), evidence=text_list(rec),
        actor=actor)


def _amendment(rec, rid, actor):
    q, v = quantity(rec), rate(rec)
    if q is None and v is None:
        fail("quantity", "an amendment must give a new quantity and/or value")
    # town and period are filled in from the finding by validation.
    return FindingAmended(id=rid, finding=text(rec, "finding"), town="", period="", quantity=q,
                          value=v, reason=text(rec, "reason"), actor=actor)


def _appeal(rec, rid, actor):
    findings = text_list(rec, "findings")
    if not findings:
        fail("findings", "an appeal names at least one finding id")
    return AppealFiled(id=rid, town=name(rec, "town"), period=text(rec, "period"),
                       findings=findings, grounds=text(rec, "grounds"), actor=actor)


def _decision(rec, rid, actor):
    """An appeal decision and the corrections it causes, as one tuple of events."""
    outcome = text(rec, "outcome")
    if outcome not in OUTCOMES:
        fail("outcome", f"must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    reason, by = text(rec, "reason"), text(rec, "decided_by")
    effects: list = []
    for target in text_list(rec, "retractions"):
        effects.append(RecordRetracted(id=f"{rid}/retract/{target}", target=target, town="",
                                       period="", reason=f"申诉决定 {rid}: {reason}", actor=by))
    amendments = rec.get("amendments") or []
    if not isinstance(amendments, list) or not all(isinstance(a, dict) for a in amendments):
        fail("amendments", "must be a list of objects {finding, quantity and/or value}")
    for a in amendments:
        unknown = set(a) - {"finding", "quantity", "value"}
        if unknown:
            fail("amendments", f"unknown key {sorted(unknown)[0]!r} (allowed: finding, quantity, value)")
        target = text(a, "finding")
        q, v = quantity(a), rate(a)
        if q is None and v is None:
            fail("amendments", f"the amendment of {target!r} gives no quantity or value")
        effects.append(FindingAmended(id=f"{rid}/amend/{target}", finding=target, town="",
                                      period="", quantity=q, value=v,
                                      reason=f"申诉决定 {rid}: {reason}", actor=by))
    if outcome == "rejected" and effects:
        fail("outcome", "a rejected appeal changes no finding: drop its retractions/amendments")
    if outcome != "rejected" and not effects:
        fail("outcome", f"an appeal {outcome} must carry the retractions or amendments it causes")
    decision = AppealDecided(id=rid, appeal=text(rec, "appeal"), town="", period="",
                             outcome=outcome, reason=reason, decided_by=by,
                             effects=tuple(e.id for e in effects), actor=actor)
    return (decision, *effects)


BUILDERS = {
    "appeal": _appeal,
    "appeal_decision": _decision,
    "close": lambda rec, rid, actor: PeriodClosed(id=rid, period=text(rec, "period"), actor=actor),
    "adopt": lambda rec, rid, actor: {**rec, "period": text(rec, "period"),
                                      "rubric": text(rec, "rubric")},
    "town": lambda rec, rid, actor: TownRegistered(id=rid, name=name(rec, "name"), actor=actor),
    "finding": _finding,
    "retraction": lambda rec, rid, actor: RecordRetracted(
        id=rid, target=text(rec, "finding"), town="", period="", reason=text(rec, "reason"),
        actor=actor),
    "amendment": _amendment,
    "payment": lambda rec, rid, actor: PaymentRecorded(
        id=rid, town=name(rec, "town"), period=text(rec, "period"), case=name(rec, "case"),
        approved_on=day(rec, "approved_on"), paid_on=day(rec, "paid_on", required=False),
        actor=actor),
    "report": lambda rec, rid, actor: ReportRecorded(
        id=rid, town=name(rec, "town"), period=text(rec, "period"), report=name(rec, "report"),
        due_on=day(rec, "due_on"), submitted_on=day(rec, "submitted_on", required=False),
        actor=actor),
}


def _finite(v) -> bool:
    return v.is_finite() if isinstance(v, Decimal) else math.isfinite(v)


def _kind(v) -> str:
    return {dict: "an object", list: "a list", bool: "true/false", type(None): "null",
            int: "a number", float: "a number", Decimal: "a number", str: "text"}.get(
        type(v), type(v).__name__)


def _shown(v) -> str:
    s = repr(v) if isinstance(v, (str, float)) else (
        str(v) if isinstance(v, (int, Decimal)) else _kind(v))
    return s if len(s) <= 40 else s[:37] + "..."
