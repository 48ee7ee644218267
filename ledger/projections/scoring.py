"""Scoring: a folded town state + a rubric + ``as_of`` -> a :class:`ScoreCard`.

Arithmetic is exact (``Decimal``) and in one fixed order: raw clause amounts,
then each indicator's bound (never below 0, never above its points or cap),
then the sums, then the veto.

>>> from datetime import date
>>> from ledger.rubric import load_bundled
>>> from ledger.projections.state import fold
>>> from ledger.events import FindingRecorded
>>> f = FindingRecorded(id="f1", town="沙溪镇", period="2017", clause="A01.2",
...                     occurred_on=date(2017, 3, 1))
>>> card = score_card(load_bundled("taicang-2017"), fold([(f, "2017-03-02T00:00:00.000000Z")]),
...                   town="沙溪镇", as_of=date(2017, 12, 31), known_at="2018-01-01T00:00:00.000000Z")
>>> card.total, card.grade, card.indicator("A01").score
(Decimal('99.5'), '优秀', Decimal('1.5'))
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from ledger.errors import LedgerError
from ledger.projections.card import ClauseLine, IndicatorScore, Lateness, ScoreCard
from ledger.projections.state import FindingView, TownState
from ledger.rubric import (
    Bonus,
    Clause,
    Deadline,
    Fixed,
    Indicator,
    PerUnit,
    RateShortfall,
    Rubric,
    Veto,
    WorkingDayDelay,
    ZeroScore,
)
from ledger.workdays import nth_working_day_after, working_days_between

ZERO = Decimal(0)


def score_card(rubric: Rubric, state: TownState, *, town: str, as_of: date, known_at: str,
               source: str = "city") -> ScoreCard:
    """Score one town's folded state under ``rubric`` at the end of day ``as_of``."""
    if not rubric.valid_from <= as_of <= rubric.valid_to:
        raise LedgerError(f"as_of {as_of} is outside period {rubric.period} "
                          f"({rubric.valid_from} to {rubric.valid_to})")
    counted = [f for f in state.live_findings()
               if f.event.occurred_on <= as_of and f.event.source == source]
    by_clause: dict[str, list[FindingView]] = defaultdict(list)
    unscored = []
    for f in counted:
        if rubric.has_clause(f.event.clause):
            by_clause[f.event.clause].append(f)
        else:
            unscored.append(f.id)
    indicators = tuple(_indicator(ind, by_clause, state, as_of) for ind in rubric.indicators)
    base = sum((i.score for i in indicators if not i.bonus), ZERO)
    bonus = sum((i.score for i in indicators if i.bonus), ZERO)
    vetoes = tuple(f.id for v in rubric.vetoes for f in by_clause.get(v.id, ()))
    total = base + bonus
    return ScoreCard(
        town=town, period=rubric.period, rubric_id=rubric.id, rubric_sha256=rubric.sha256,
        as_of=as_of, known_at=known_at, source=source, base=base, bonus=bonus, total=total,
        grade=rubric.grade_for(total, vetoed=bool(vetoes)), vetoes=vetoes,
        indicators=indicators, unscored=tuple(unscored))


def _indicator(ind: Indicator, by_clause, state: TownState, as_of: date) -> IndicatorScore:
    if any(isinstance(c.rule, Bonus) and c.rule.highest_per_project for c in ind.clauses):
        lines = _per_project(ind, by_clause)
    else:
        lines = [line for c in ind.clauses
                 if (line := _line(c, ind, by_clause.get(c.id, []), state, as_of))]
    raw = sum((line.amount for line in lines), ZERO)
    score = min(raw, ind.points) if ind.bonus else max(ZERO, ind.points - raw)
    return IndicatorScore(id=ind.id, name=ind.name, points=ind.points, score=score, raw=raw,
                          bonus=ind.bonus, lines=tuple(lines))


def _line(clause: Clause, ind: Indicator, findings: list[FindingView], state: TownState,
          as_of: date) -> ClauseLine | None:
    rule = clause.rule
    ids = tuple(f.id for f in findings)
    if isinstance(rule, WorkingDayDelay):
        return _derived(clause, rule, findings, state, as_of)
    if not findings or isinstance(rule, Veto):
        return None
    if isinstance(rule, PerUnit):
        units = sum(f.quantity for f in findings)
        used = min(units, rule.max_units) if rule.max_units is not None else units
        return ClauseLine(clause.id, rule.amount * used, used, ids, capped=used < units)
    if isinstance(rule, (Fixed, Deadline, Bonus)):
        return ClauseLine(clause.id, rule.amount * len(findings), len(findings), ids)
    if isinstance(rule, ZeroScore):  # 不得分: the whole indicator, however many findings
        return ClauseLine(clause.id, ind.points, len(findings), ids)
    if isinstance(rule, RateShortfall):  # a measurement: the latest one counts
        latest = max(findings, key=lambda f: (f.event.occurred_on, f.recorded_at))
        steps = rule.steps_short(latest.value)
        return ClauseLine(clause.id, rule.amount * steps, steps, (latest.id,))
    raise LedgerError(f"clause {clause.id}: rule kind {rule.kind} cannot be scored")


def _derived(clause: Clause, rule: WorkingDayDelay, findings: list[FindingView],
             state: TownState, as_of: date) -> ClauseLine | None:
    """C02.1 / A09.1: lateness from payment or report facts, plus direct findings."""
    late = []
    if rule.fact == "payment":
        for fact in state.payments():
            p = fact.event
            deadline = nth_working_day_after(p.approved_on, rule.allowed_days)
            if as_of > deadline and (p.paid_on is None or p.paid_on > deadline):
                done = p.paid_on if p.paid_on is not None and p.paid_on <= as_of else None
                taken = working_days_between(p.approved_on, done or as_of)
                late.append(Lateness(p.id, p.case, p.approved_on, deadline, done, taken, 1))
    elif rule.fact == "report":
        for fact in state.reports():
            r = fact.event
            deadline = nth_working_day_after(r.due_on, rule.allowed_days)
            done = r.submitted_on if r.submitted_on is not None and r.submitted_on <= as_of else None
            days = working_days_between(deadline, done or as_of)
            if days > 0:
                late.append(Lateness(r.id, r.report, r.due_on, deadline, done, days,
                                     days if rule.per == "working_day" else 1))
    units = sum(item.units for item in late) + sum(f.quantity for f in findings)
    if not units:
        return None
    events = tuple(item.fact for item in late) + tuple(f.id for f in findings)
    return ClauseLine(clause.id, rule.amount * units, units, events, late=tuple(late))


def _per_project(ind: Indicator, by_clause) -> list[ClauseLine]:
    """D02: each project counts once, at the highest amount among its findings."""
    best: dict[str, tuple[Decimal, int, str]] = {}  # project -> (amount, -rubric pos, clause)
    for pos, c in enumerate(ind.clauses):
        for f in by_clause.get(c.id, []):
            cand = (c.rule.amount, -pos, c.id)
            if f.event.project not in best or cand > best[f.event.project]:
                best[f.event.project] = cand
    lines = []
    for c in ind.clauses:
        findings = by_clause.get(c.id, [])
        if not findings:
            continue
        winners = {p for p, (_, _, cid) in best.items() if cid == c.id}
        zeroed = tuple(f.id for f in findings if f.event.project not in winners)
        amount = c.rule.amount * len(winners)
        lines.append(ClauseLine(c.id, amount, len(winners), tuple(f.id for f in findings),
                                zeroed=zeroed))
    return lines
