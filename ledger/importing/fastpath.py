"""The common finding, checked and encoded in one pass: the import's hot path.

Nearly every record of a large import is a plain finding: text fields, a date, a whole
quantity (a number, or a CSV cell's text), on a clause that takes no rate or project. :func:`plain_finding` checks such
a record against the same rules as :mod:`ledger.importing.records` and :mod:`ledger.importing.validation`
and builds its :class:`~ledger.store.NewEvent` directly, without the attrs event and
the generic codec in between. Anything else — another record type, a field it does not
expect, a value that would be refused, an id already seen — gives ``None``, and the
general road checks the record and words the error. Tests prove the two roads build
byte-identical events (``tests/importing/test_fastpath.py``).
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import NamedTuple

from ledger.importing import records
from ledger.errors import ValidationError
from ledger.importing.names import check_name
from ledger.importing.records import MAX_QUANTITY, MAX_TEXT_BYTES
from ledger.rubric import Deadline, Rubric
from ledger.store import NewEvent
from ledger.store.mapper import mapper

KEYS = frozenset({"type", "id", "actor", "town", "period", "clause", "occurred_on",
                  "quantity", "source", "note", "evidence"})
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}").fullmatch
_SURROGATE = re.compile("[\ud800-\udfff]").search
# the mapper's specialised encoder: the payload's format stays the mapper's knowledge
_VERSION, _encode = mapper.plain_finding_encoder()
FINDING_VERSION = _VERSION  # the schema version of the events this road builds
# Text this short is under 1 MiB of UTF-8 whatever it holds; longer: the general road measures.
_SHORT = MAX_TEXT_BYTES // 4


class Scope(NamedTuple):
    """What a period's rubric says about plain findings, as ISO text for quick compares."""

    valid_from: str
    valid_to: str
    clauses: dict[str, tuple[str | None, bool]]  # clause -> (deadline or None, counts units)


def scope_of(rubric: Rubric) -> Scope:
    """The clauses a plain finding may name: those taking neither a rate nor a project, nor
    requiring evidence; a finding may occur up to the end of the assessment window."""
    clauses = {c.id: (c.rule.due.isoformat() if isinstance(c.rule, Deadline) else None,
                      c.rule.counts_units and not c.is_condition)
               for c in rubric.clauses()
               if not c.needs_value and not c.needs_project and not c.evidence_required}
    return Scope(rubric.valid_from.isoformat(), rubric.assessed_until.isoformat(), clauses)


def is_text(v) -> bool:
    """Non-empty text SQLite and the hash can hold (no lone surrogate), surely under 1 MiB."""
    return type(v) is str and len(v) <= _SHORT and (v.isascii() or not _SURROGATE(v)) \
        and v.strip() != ""


def _optional_text(v) -> bool:
    return v is None or (type(v) is str and len(v) <= _SHORT
                         and (v.isascii() or not _SURROGATE(v)))


@lru_cache(maxsize=4096)
def _is_normal_name(v: str) -> bool:
    """A name already in its normal form and allowed (towns are few: asked once each)."""
    try:
        return check_name(v) == v
    except ValidationError:
        return False


def plain_finding(rec: dict, scope: Scope | None) -> NewEvent | None:
    """The event for a plain finding record that passes every rule, else ``None``.

    ``scope`` is the period's :class:`Scope` (None: the general road decides). The
    ledger-dependent rules (town registered, id unused, period open) are the caller's.
    """
    if scope is None or not rec.keys() <= KEYS:
        return None
    rid, town, period, clause, occ = (rec.get("id"), rec.get("town"), rec.get("period"),
                                      rec.get("clause"), rec.get("occurred_on"))
    if not (is_text(rid) and is_text(town) and is_text(period) and type(clause) is str
            and type(occ) is str and _DATE(occ) and _is_normal_name(town)):
        return None
    facts = scope.clauses.get(clause)
    if facts is None or not scope.valid_from <= occ <= scope.valid_to:
        return None
    due, counts_units = facts
    if due is not None and occ < due:
        return None
    try:
        date.fromisoformat(occ)  # 2017-02-30 has the shape but is no date
    except ValueError:
        return None
    quantity = rec.get("quantity")  # a JSON integer (the CSV reader makes digit cells one)
    if quantity is None:
        quantity = 1
    elif type(quantity) is not int or not 1 <= quantity <= MAX_QUANTITY \
            or (quantity != 1 and not counts_units):
        return None
    source = rec.get("source")
    if source is None:
        source = "city"
    elif source != "city" and source != "self":
        return None
    note, actor, evidence = rec.get("note"), rec.get("actor"), rec.get("evidence")
    if not (_optional_text(note) and _optional_text(actor)):
        return None
    if evidence is None:
        evidence = []
    elif type(evidence) is str:  # a CSV cell, items split on ';'
        if len(evidence) > _SHORT:
            return None
        evidence = list(records.text_list(rec))
        if not all(i.isascii() or not _SURROGATE(i) for i in evidence):
            return None
    elif type(evidence) is not list or not all(
            type(i) is str and len(i) <= _SHORT and (i.isascii() or not _SURROGATE(i))
            for i in evidence):
        return None
    data = {"clause": clause, "evidence": evidence, "id": rid, "occurred_on": occ,
            "period": period, "quantity": quantity, "source": source, "town": town}
    if note is not None:
        data["note"] = note
    if actor is not None:
        data["actor"] = actor
    return NewEvent(rid, "FindingRecorded", _VERSION, town, period, occ, None, actor,
                    _encode(data))
