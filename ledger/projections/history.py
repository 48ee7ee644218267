"""A town's score after every event that changed it, in recording order.

:func:`history` replays the town's events (and the period's rubric adoptions)
one by one, scoring after each, and keeps a row wherever the card changed. The
first row is the starting card; the deltas of the rows add up to the last card.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Iterable

from attrs import frozen

from ledger.events import (
    FindingAmended,
    FindingRecorded,
    PaymentRecorded,
    RecordRetracted,
    ReportRecorded,
    RubricAdopted,
)
from ledger.projections.card import ScoreCard
from ledger.projections.scoring import rescore, score_card
from ledger.projections.state import TownState, apply
from ledger.rubric import Rubric, WorkingDayDelay, load_rubric_text


@frozen
class Change:
    clause: str
    before: Decimal
    after: Decimal
    bonus: bool

    @property
    def effect(self) -> Decimal:
        """What the change does to the score before bounds (deductions negative)."""
        d = self.after - self.before
        return d if self.bonus else -d


@frozen
class HistoryRow:
    seq: int
    event: str
    type: str
    recorded_at: str
    changes: tuple[Change, ...]
    total_before: Decimal | None
    total: Decimal
    grade: str

    @property
    def delta(self) -> Decimal:
        return self.total - (self.total_before if self.total_before is not None else 0)

    def to_dict(self) -> dict:
        return {"seq": self.seq, "event": self.event, "type": self.type,
                "recorded_at": self.recorded_at,
                "changes": [{"clause": c.clause, "before": c.before, "after": c.after,
                             "effect": c.effect} for c in self.changes],
                "total_before": self.total_before, "total": self.total, "delta": self.delta,
                "grade": self.grade}


def history(items: Iterable[tuple[int, str, object]], *, town: str, as_of: date | None = None,
            source: str = "city", rubric: Rubric | None = None) -> list[HistoryRow]:
    """Rows for ``(seq, recorded_at, event)`` items in seq order (the town's events and
    the period's ``RubricAdopted``); ``rubric`` fixes the edition instead of following
    adoptions."""
    state, current, prev = TownState(), rubric, None
    rows: list[HistoryRow] = []
    for seq, recorded_at, event in items:
        if isinstance(event, RubricAdopted):
            if rubric is None:
                current = load_rubric_text(event.content, origin=f"ledger event {event.id}")
            touched = None
        else:
            apply(state, event, recorded_at)
            touched = _touched(event, state, current) if current is not None else None
        if current is None or touched == set():
            continue  # nothing this event can change
        if prev is None or touched is None:
            card = score_card(current, state, town=town, as_of=as_of or current.assessed_until,
                              known_at=recorded_at, source=source)
        else:  # only the indicators that own the touched clauses are scored again
            card = rescore(current, state, prev, touched, known_at=recorded_at)
        changes = _changes(prev, card)
        if prev is None or changes or card.total != prev.total or card.grade != prev.grade:
            rows.append(HistoryRow(seq, event.id, type(event).__name__, recorded_at, changes,
                                   prev.total if prev else None, card.total, card.grade))
        prev = card
    return rows


def _touched(event, state: TownState, rubric: Rubric) -> set[str]:
    """The clauses an event can change (after it was applied to ``state``)."""
    if isinstance(event, FindingRecorded):
        return {event.clause}
    if isinstance(event, (RecordRetracted, FindingAmended)):
        target = event.target if isinstance(event, RecordRetracted) else event.finding
        if target in state.findings:
            return {state.findings[target].event.clause}
        if target in state.facts:
            return _derived(rubric, state.facts[target].event)
        return set()
    if isinstance(event, (PaymentRecorded, ReportRecorded)):
        return _derived(rubric, event)
    return set()  # appeals, publications, closings: no score of their own


def _derived(rubric: Rubric, fact) -> set[str]:
    kind = "payment" if isinstance(fact, PaymentRecorded) else "report"
    return {c.id for c in rubric.clauses()
            if isinstance(c.rule, WorkingDayDelay) and c.rule.fact == kind}


def _changes(before: ScoreCard | None, after: ScoreCard) -> tuple[Change, ...]:
    if before is None:
        return ()
    old = {line.clause: line.amount for ind in before.indicators for line in ind.lines}
    bonus = {line.clause: ind.bonus for card in (before, after) for ind in card.indicators
             for line in ind.lines}
    new = {line.clause: line.amount for ind in after.indicators for line in ind.lines}
    out = []
    for clause in list(new) + [c for c in old if c not in new]:
        b, a = old.get(clause, Decimal(0)), new.get(clause, Decimal(0))
        if a != b:
            out.append(Change(clause, b, a, bonus[clause]))
    return tuple(out)
