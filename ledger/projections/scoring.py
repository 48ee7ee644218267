"""Scoring: evidence (or a folded town state) + a rubric + ``as_of`` -> a :class:`ScoreCard`.

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

from datetime import date
from decimal import Decimal

from ledger.errors import LedgerError
from ledger.projections.card import ClauseLine, IndicatorScore, Lateness, ScoreCard
from ledger.projections.evidence import ClauseEvidence, Evidence, evidence_from_state
from ledger.projections.state import TownState
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
from ledger.dates.workdays import (
    nth_working_day_after,
    working_day_on_or_after,
    working_days_between,
)

ZERO = Decimal(0)


def score_card(rubric: Rubric, state: TownState, *, town: str, as_of: date, known_at: str,
               source: str = "city") -> ScoreCard:
    """Score one town's folded state under ``rubric`` at the end of day ``as_of``."""
    check_as_of(rubric, as_of)
    evidence = evidence_from_state(state, rubric.has_clause, as_of, source)
    return score_evidence(rubric, evidence, town=town, as_of=as_of, known_at=known_at,
                          source=source)


def check_as_of(rubric: Rubric, as_of: date) -> None:
    """``as_of`` must lie in the period or its assessment window (the rubric's)."""
    if not rubric.valid_from <= as_of <= rubric.assessed_until:
        window = f", assessed until {rubric.assessed_until}" if rubric.window else ""
        raise LedgerError(f"as_of {as_of} is outside period {rubric.period} "
                          f"({rubric.valid_from} to {rubric.valid_to}{window}): give a date "
                          f"from {rubric.valid_from} to {rubric.assessed_until}")


def score_evidence(rubric: Rubric, evidence: Evidence, *, town: str, as_of: date, known_at: str,
                   source: str = "city") -> ScoreCard:
    """Score :class:`Evidence` (from a replay or from the read model) under ``rubric``."""
    check_as_of(rubric, as_of)
    indicators = tuple(_indicator(ind, evidence, as_of) for ind in rubric.indicators)
    vetoes = tuple(fid for v in rubric.vetoes
                   for fid in (evidence.clauses[v.id].ids if v.id in evidence.clauses else ()))
    return _assemble(rubric, indicators, vetoes, evidence.unscored, town=town, as_of=as_of,
                     known_at=known_at, source=source)


def rescore(rubric: Rubric, state: TownState, previous: ScoreCard, clauses: set[str], *,
            known_at: str) -> ScoreCard:
    """``previous`` after events touching only ``clauses``: the indicators that own them
    are scored again, the others kept (what history does after every event).

    Equal to :func:`score_card` on the same state (the tests compare the two).
    """
    if not all(rubric.has_clause(c) for c in clauses):
        return score_card(rubric, state, town=previous.town, as_of=previous.as_of,
                          known_at=known_at, source=previous.source)
    owners = {rubric.indicator_of(c).id for c in clauses if rubric.indicator_of(c)}
    touched = {c.id for ind in rubric.indicators if ind.id in owners for c in ind.clauses}
    touched |= {c for c in clauses if rubric.indicator_of(c) is None}  # veto items
    evidence = evidence_from_state(state, rubric.has_clause, previous.as_of, previous.source,
                                   clauses=touched)
    indicators = tuple(_indicator(ind, evidence, previous.as_of) if ind.id in owners else old
                       for ind, old in zip(rubric.indicators, previous.indicators))
    vetoes = previous.vetoes
    if any(rubric.indicator_of(c) is None for c in clauses):
        vetoes = tuple(fid for v in rubric.vetoes for fid in (
            evidence.clauses[v.id].ids if v.id in evidence.clauses else ()))
    return _assemble(rubric, indicators, vetoes, previous.unscored, town=previous.town,
                     as_of=previous.as_of, known_at=known_at, source=previous.source)


def _assemble(rubric: Rubric, indicators: tuple[IndicatorScore, ...], vetoes: tuple[str, ...],
              unscored: tuple[str, ...], *, town: str, as_of: date, known_at: str,
              source: str) -> ScoreCard:
    base = sum((i.score for i in indicators if not i.bonus), ZERO)
    bonus = sum((i.score for i in indicators if i.bonus), ZERO)
    total = base + bonus
    return ScoreCard(
        town=town, period=rubric.period, rubric_id=rubric.id, rubric_sha256=rubric.sha256,
        as_of=as_of, known_at=known_at, source=source, base=base, bonus=bonus, total=total,
        grade=rubric.grade_for(total, vetoed=bool(vetoes)), vetoes=vetoes,
        indicators=indicators, unscored=unscored)


def _indicator(ind: Indicator, evidence: Evidence, as_of: date) -> IndicatorScore:
    if any(isinstance(c.rule, Bonus) and c.rule.highest_per_project for c in ind.clauses):
        lines = _per_project(ind, evidence)
    else:
        lines = [line for c in ind.clauses
                 if (line := _line(c, ind, evidence.clauses.get(c.id), evidence, as_of))]
    raw = sum((line.amount for line in lines), ZERO)
    score = min(raw, ind.points) if ind.bonus else max(ZERO, ind.points - raw)
    return IndicatorScore(id=ind.id, name=ind.name, points=ind.points, score=score, raw=raw,
                          bonus=ind.bonus, lines=tuple(lines))


def _line(clause: Clause, ind: Indicator, found: ClauseEvidence | None, evidence: Evidence,
          as_of: date) -> ClauseLine | None:
    rule = clause.rule
    if isinstance(rule, WorkingDayDelay):
        return _derived(clause, rule, found, evidence, as_of)
    if found is None or isinstance(rule, Veto):
        return None
    ids, findings = found.ids, found.findings
    if isinstance(rule, Deadline) and as_of < rule.due:
        # a deadline finding counts from the deadline on, even one recorded under an edition
        # where its clause had no deadline (A05.4 in the first edition)
        return None
    if isinstance(rule, PerUnit):
        units = found.units
        used = min(units, rule.max_units) if rule.max_units is not None else units
        return ClauseLine(clause.id, rule.amount * used, used, ids, capped=used < units,
                          ceiling=rule.max_units)
    if isinstance(rule, (Fixed, Deadline)) and rule.condition:
        # one condition of the town's year: the first finding deducts, the rest are evidence
        return ClauseLine(clause.id, rule.amount, 1, ids, repeated=ids[1:])
    if isinstance(rule, (Fixed, Deadline, Bonus)):
        return ClauseLine(clause.id, rule.amount * len(findings), len(findings), ids)
    if isinstance(rule, ZeroScore):  # 不得分: the whole indicator, however many findings
        return ClauseLine(clause.id, ind.points, len(findings), ids)
    if isinstance(rule, RateShortfall):  # a measurement: the latest one counts
        # findings are FindingLite-shaped tuples, read by index (see FindingLite)
        measured = [f for f in findings if f[5] is not None]  # (what-if rubrics aside)
        if not measured:
            return None
        latest = max(measured, key=lambda f: (f.occurred_on, f.recorded_at))
        steps = rule.steps_short(latest.value)
        return ClauseLine(clause.id, rule.amount * steps, steps, (latest.id,))
    raise LedgerError(f"clause {clause.id}: rule kind {rule.kind} cannot be scored")


def _derived(clause: Clause, rule: WorkingDayDelay, found: ClauseEvidence | None,
             evidence: Evidence, as_of: date) -> ClauseLine | None:
    """C02.1 / A09.1: lateness from payment or report facts, plus direct findings."""
    late = []
    if rule.fact == "payment":
        for p in evidence.payments:
            deadline = nth_working_day_after(p.approved_on, rule.allowed_days)
            if as_of > deadline and (p.paid_on is None or p.paid_on > deadline):
                done = p.paid_on if p.paid_on is not None and p.paid_on <= as_of else None
                taken = working_days_between(p.approved_on, done or as_of)
                late.append(Lateness(p.id, p.case, p.approved_on, deadline, done, taken, 1))
    elif rule.fact == "report":
        for r in evidence.reports:
            due = r.due_on
            if rule.holiday_due == "next_working_day":  # 民法典 第二百零三条
                due = working_day_on_or_after(due)
            deadline = nth_working_day_after(due, rule.allowed_days)
            done = r.submitted_on if r.submitted_on is not None and r.submitted_on <= as_of else None
            days = working_days_between(deadline, done or as_of)
            if days > 0:
                late.append(Lateness(r.id, r.report, r.due_on, deadline, done, days,
                                     days if rule.per == "working_day" else 1,
                                     moved_due=due if due != r.due_on else None))
    direct = found.findings if found is not None else ()
    units = sum(item.units for item in late) + sum(f[4] for f in direct)  # f.quantity
    if not units:
        return None
    events = tuple(item.fact for item in late) + tuple(f[0] for f in direct)
    return ClauseLine(clause.id, rule.amount * units, units, events, late=tuple(late))


def _per_project(ind: Indicator, evidence: Evidence) -> list[ClauseLine]:
    """D02: each project counts once, at the highest amount among its findings."""
    best: dict[str, tuple[Decimal, int, str]] = {}  # project -> (amount, -rubric pos, clause)
    for pos, c in enumerate(ind.clauses):
        found = evidence.clauses.get(c.id)
        for f in found.findings if found else ():  # f[6]: the project
            cand = (c.rule.amount, -pos, c.id)
            if f[6] not in best or cand > best[f[6]]:
                best[f[6]] = cand
    lines = []
    for c in ind.clauses:
        found = evidence.clauses.get(c.id)
        if found is None:
            continue
        findings = found.findings
        winners = {p for p, (_, _, cid) in best.items() if cid == c.id}
        zeroed = tuple(f[0] for f in findings if f[6] not in winners)
        amount = c.rule.amount * len(winners)
        lines.append(ClauseLine(c.id, amount, len(winners), tuple(f[0] for f in findings),
                                zeroed=zeroed))
    return lines
