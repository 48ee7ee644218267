"""Folding one town's events into what the ledger knew: live findings and facts.

:func:`fold` is a pure function of decoded events (already cut at ``known_at``),
in recording order. Retractions and amendments apply at every ``as_of`` once
known; valid time (``as_of``) is applied later, by the scoring.

>>> from datetime import date
>>> from ledger.events import FindingRecorded, RecordRetracted
>>> f = FindingRecorded(id="f1", town="沙溪镇", period="2017", clause="B06.1",
...                     occurred_on=date(2017, 3, 1))
>>> r = RecordRetracted(id="r1", target="f1", town="沙溪镇", period="2017", reason="dup")
>>> state = fold([(f, "2017-03-02T00:00:00.000000Z"), (r, "2017-03-05T00:00:00.000000Z")])
>>> state.findings["f1"].live, state.findings["f1"].retracted_by.id
(False, 'r1')
"""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable

from attrs import define, field

from ledger.events import (
    FindingAmended,
    FindingRecorded,
    PaymentRecorded,
    RecordRetracted,
    ReportRecorded,
)


@define
class Correction:
    """A retraction or amendment as the audit trail shows it."""

    id: str
    kind: str  # "retraction" | "amendment"
    recorded_at: str
    reason: str | None
    actor: str | None
    quantity: int | None = None
    value: Decimal | None = None


class _Retractable:
    """What findings and facts share: the id of their event, and whether it still counts."""

    __slots__ = ()

    @property
    def id(self) -> str:
        return self.event.id

    @property
    def live(self) -> bool:
        return self.retracted_by is None


@define
class FindingView(_Retractable):
    """A finding with the corrections known so far applied."""

    event: FindingRecorded
    recorded_at: str
    quantity: int
    value: Decimal | None
    order: int = 0  # position in recording order
    corrections: list[Correction] = field(factory=list)
    retracted_by: Correction | None = None


@define
class FactView(_Retractable):
    """A payment or report record; ``live`` is False once retracted."""

    event: PaymentRecorded | ReportRecorded
    recorded_at: str
    retracted_by: Correction | None = None


@define
class TownState:
    findings: dict[str, FindingView] = field(factory=dict)
    facts: dict[str, FactView] = field(factory=dict)
    by_clause: dict[str, list[FindingView]] = field(factory=dict)  # in recording order

    def live_findings(self, clauses: set[str] | None = None) -> list[FindingView]:
        """Live findings in recording order (only those on ``clauses``, if given)."""
        if clauses is None:
            return [f for f in self.findings.values() if f.live]
        picked = [f for c in clauses for f in self.by_clause.get(c, ()) if f.live]
        return sorted(picked, key=lambda f: f.order) if len(clauses) > 1 else picked

    def payments(self) -> list[FactView]:
        """The current record of each case: the latest live payment for it."""
        return self._latest(PaymentRecorded, lambda e: e.case)

    def reports(self) -> list[FactView]:
        """The current record of each report: the latest live one by its name."""
        return self._latest(ReportRecorded, lambda e: e.report)

    def _latest(self, kind, key) -> list[FactView]:
        current: dict[str, FactView] = {}
        for fact in self.facts.values():  # recording order: later replaces earlier
            if isinstance(fact.event, kind) and fact.live:
                current.pop(key(fact.event), None)  # keep recording order of current records
                current[key(fact.event)] = fact
        return list(current.values())


def fold(events: Iterable[tuple[object, str]]) -> TownState:
    """Fold ``(event, recorded_at)`` pairs, in recording order, into a :class:`TownState`."""
    state = TownState()
    for event, recorded_at in events:
        apply(state, event, recorded_at)
    return state


def apply(state: TownState, event, recorded_at: str) -> None:
    """Apply one event to ``state`` (events of other kinds are ignored)."""
    if isinstance(event, FindingRecorded):
        view = FindingView(event, recorded_at, event.quantity, event.value, len(state.findings))
        state.findings[event.id] = view
        state.by_clause.setdefault(event.clause, []).append(view)
    elif isinstance(event, (PaymentRecorded, ReportRecorded)):
        state.facts[event.id] = FactView(event, recorded_at)
    elif isinstance(event, RecordRetracted):
        target = state.findings.get(event.target) or state.facts.get(event.target)
        if target is not None:
            c = Correction(event.id, "retraction", recorded_at, event.reason, event.actor)
            target.retracted_by = c
            if isinstance(target, FindingView):
                target.corrections.append(c)
    elif isinstance(event, FindingAmended):
        target = state.findings.get(event.finding)
        if target is not None:
            c = Correction(event.id, "amendment", recorded_at, event.reason, event.actor,
                           event.quantity, event.value)
            target.corrections.append(c)
            if event.quantity is not None:
                target.quantity = event.quantity
            if event.value is not None:
                target.value = event.value
