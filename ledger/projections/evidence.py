"""What scoring needs from the events, already cut at ``known_at``, ``as_of`` and source.

Two roads lead here and must agree: :func:`evidence_from_state` replays decoded
events (the reference), and :mod:`ledger.readmodel` queries the read-model
tables (the fast road). Tests prove the two give the same :class:`Evidence`.

>>> from datetime import date
>>> from ledger.events import FindingRecorded
>>> from ledger.projections.state import fold
>>> f = FindingRecorded(id="f1", town="沙溪镇", period="2017", clause="B06.1",
...                     occurred_on=date(2017, 3, 1), quantity=2)
>>> ev = evidence_from_state(fold([(f, "2017-03-02T00:00:00.000000Z")]),
...                          {"B06.1"}.__contains__, date(2017, 12, 31), "city")
>>> ev.clauses["B06.1"].units, ev.clauses["B06.1"].ids
(2, ('f1',))
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import Callable, NamedTuple

from attrs import frozen

from ledger.events import PaymentRecorded, ReportRecorded
from ledger.projections.state import TownState


class FindingLite(NamedTuple):
    """A live finding as counted: corrections known at ``known_at`` applied.

    A plain tuple (``occurred_on`` as ISO text) because a card may build thousands; the
    read model hands most findings over as bare tuples of this layout, so code that sees
    any finding reads it by index (``f[0]`` id, ``f[4]`` quantity). Only findings with a
    value or a project, which the rate and per-project rules read by name, are sure to
    be FindingLite.
    """

    id: str
    clause: str
    occurred_on: str
    recorded_at: str
    quantity: int
    value: Decimal | None = None
    project: str | None = None


_ID, _QUANTITY = itemgetter(0), itemgetter(4)  # FindingLite fields, read in C


@frozen
class ClauseEvidence:
    """The live findings on one clause, in recording order."""

    clause: str
    findings: tuple[FindingLite, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(map(_ID, self.findings))

    @property
    def units(self) -> int:
        return sum(map(_QUANTITY, self.findings))


@frozen
class Evidence:
    clauses: dict[str, ClauseEvidence]
    unscored: tuple[str, ...]
    payments: tuple[PaymentRecorded, ...]  # the current record of each case
    reports: tuple[ReportRecorded, ...]    # the current record of each report


def group(findings: list[FindingLite], in_rubric: Callable[[str], bool], payments, reports) -> Evidence:
    """Group live findings (in recording order) by clause; others become ``unscored``."""
    by_clause: dict[str, list[FindingLite]] = {}
    for f in findings:
        lst = by_clause.get(f[1])
        if lst is None:
            lst = by_clause[f[1]] = []
        lst.append(f)
    unscored = [f[0] for c in list(by_clause) if not in_rubric(c) for f in by_clause.pop(c)]
    if unscored:  # keep recording order among the unscored
        order = {f[0]: i for i, f in enumerate(findings)}
        unscored.sort(key=order.__getitem__)
    return Evidence({c: ClauseEvidence(c, tuple(fs)) for c, fs in by_clause.items()},
                    tuple(unscored), tuple(payments), tuple(reports))


def evidence_from_state(state: TownState, in_rubric: Callable[[str], bool], as_of: date,
                        source: str, clauses: set[str] | None = None) -> Evidence:
    """The reference road: a folded :class:`TownState` cut at ``as_of`` and ``source``
    (only the findings on ``clauses``, if given)."""
    findings = [FindingLite(f.id, f.event.clause, f.event.occurred_on.isoformat(), f.recorded_at,
                            f.quantity, f.value, f.event.project)
                for f in state.live_findings(clauses)
                if f.event.occurred_on <= as_of and f.event.source == source]
    return group(findings, in_rubric, [p.event for p in state.payments()],
                 [r.event for r in state.reports()])
