"""The trace an auditor reads: total -> indicator -> clause -> event, citing the rubric.

:func:`explain` is a pure function of a card, the folded state and the rubric
that scored it. Every clause node quotes its rubric sentence verbatim; every
event node says who recorded it, when, what it counted, and how it was
corrected; derived lines show the working-day arithmetic.
"""

from __future__ import annotations

from ledger.dates.workdays import DUE_MOVES_RULE, DUE_MOVES_TEXT
from ledger.projections.card import ClauseLine, ScoreCard
from ledger.projections.state import FactView, FindingView, TownState
from ledger.rubric import Rubric


def explain(card: ScoreCard, state: TownState, rubric: Rubric, clause: str | None = None) -> dict:
    """The card as a tree of plain data (what ``explain --json`` prints).

    ``clause`` narrows the tree to that clause's indicator and line.
    """
    if clause is not None and not rubric.has_clause(clause):
        from ledger.errors import UnknownClause
        from ledger.suggest import closest, did_you_mean
        hints = closest(clause, [c.id for c in rubric.clauses()])
        raise UnknownClause(f"unknown clause {clause!r} in rubric {rubric.id}"
                            f"{did_you_mean(hints)}", name=clause, suggestions=hints)
    owner = rubric.indicator_of(clause) if clause else None
    indicators = []
    for ind_score in card.indicators:
        if owner is not None and ind_score.id != owner.id:
            continue
        ind = next(i for i in rubric.indicators if i.id == ind_score.id)
        lines = [_clause_node(line, rubric, state) for line in ind_score.lines
                 if clause is None or line.clause == clause]
        clause_ids = {c.id for c in ind.clauses}
        retracted = [_finding_node(f) for f in state.findings.values()
                     if not f.live and f.event.clause in clause_ids
                     and f.event.occurred_on <= card.as_of and f.event.source == card.source
                     and (clause is None or f.event.clause == clause)]
        indicators.append({
            "id": ind.id, "name": ind.name, "requirement": ind.requirement,
            "points": ind.points, "bonus": ind.bonus, "raw": ind_score.raw,
            "score": ind_score.score, "bounded": ind_score.cut, "clauses": lines,
            "retracted": retracted})
    vetoes = [{**_finding_node(state.findings[fid]),
               "text": rubric.clause(state.findings[fid].event.clause).text_zh}
              for fid in card.vetoes if clause is None or state.findings[fid].event.clause == clause]
    return {
        "town": card.town, "period": card.period,
        "rubric": {"id": card.rubric_id, "sha256": card.rubric_sha256},
        "as_of": card.as_of.isoformat(), "known_at": card.known_at, "source": card.source,
        "base": card.base, "bonus": card.bonus, "total": card.total, "grade": card.grade,
        "vetoes": vetoes, "indicators": indicators, "unscored": list(card.unscored),
    }


def _clause_node(line: ClauseLine, rubric: Rubric, state: TownState) -> dict:
    c = rubric.clause(line.clause)
    events = []
    for eid in line.events:
        if eid in state.findings:
            node = _finding_node(state.findings[eid])
            node["counted"] = eid not in line.zeroed and eid not in line.repeated
            if eid in line.repeated:
                node["repeated"] = True  # a condition's further finding: evidence only
            events.append(node)
        elif eid in state.facts:
            events.append(_fact_node(state.facts[eid], line))
    return {"id": c.id, "text": c.text_zh, "text_en": c.text_en, "rule": c.rule.kind,
            "note": c.note, "amount": line.amount, "quantity": line.quantity,
            "capped": line.capped, "ceiling": line.ceiling, "condition": c.is_condition,
            "events": events}


def _finding_node(f: FindingView) -> dict:
    e = f.event
    return {
        "id": e.id, "type": "finding", "clause": e.clause, "source": e.source,
        "occurred_on": e.occurred_on.isoformat(), "recorded_at": f.recorded_at,
        "actor": e.actor, "quantity": f.quantity, "value": f.value, "project": e.project,
        "note": e.note, "evidence": list(e.evidence),
        "corrections": [{"id": c.id, "kind": c.kind, "recorded_at": c.recorded_at,
                         "reason": c.reason, "actor": c.actor, "quantity": c.quantity,
                         "value": c.value} for c in f.corrections],
    }


def _fact_node(fact: FactView, line: ClauseLine) -> dict:
    late = next(item for item in line.late if item.fact == fact.id)
    e = fact.event
    kind = type(e).__name__.removesuffix("Recorded").lower()
    return {
        "id": e.id, "type": kind, "subject": late.subject, "recorded_at": fact.recorded_at,
        "actor": e.actor, "start": late.start.isoformat(), "deadline": late.deadline.isoformat(),
        "done_on": late.done_on.isoformat() if late.done_on else None,
        "working_days": late.working_days, "units": late.units,
        **({"due_moved": {"to": late.moved_due.isoformat(), "rule": DUE_MOVES_RULE,
                          "text": DUE_MOVES_TEXT}} if late.moved_due else {}),
    }
