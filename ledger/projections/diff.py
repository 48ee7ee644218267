"""Differences between two cards or two scoreboards, and self vs city.

>>> from decimal import Decimal as D
>>> _status(None, D(1)), _status(D(1), None), _status(D(1), D(2))
('appeared', 'vanished', 'changed')
"""

from __future__ import annotations

from decimal import Decimal

from attrs import asdict

from ledger.projections.card import ClauseLine, ScoreCard
from ledger.projections.scoreboard import Scoreboard
from ledger.projections.state import TownState
from ledger.rubric import Rubric

ZERO = Decimal(0)


def _status(before, after) -> str:
    if before is None:
        return "appeared"
    if after is None:
        return "vanished"
    return "changed"


def _lines(card: ScoreCard) -> dict[str, ClauseLine]:
    return {line.clause: line for ind in card.indicators for line in ind.lines}


def diff_cards(before: ScoreCard, after: ScoreCard, *, state: TownState | None = None,
               rubrics: tuple[Rubric, Rubric] | None = None) -> dict:
    """Which clause lines appeared, vanished or changed between two cards, and why.

    ``events`` names the events that entered or left the line, plus (given the
    later ``state``) the corrections recorded between the two ``known_at``;
    ``rubric`` shows a clause whose rule differs between two editions.
    """
    old, new = _lines(before), _lines(after)
    order = list(new) + [c for c in old if c not in new]
    changed = []
    for clause in order:
        b, a = old.get(clause), new.get(clause)
        amount_b = b.amount if b else None
        amount_a = a.amount if a else None
        ev_b, ev_a = set(b.events) if b else set(), set(a.events) if a else set()
        rule_change = _rule_change(clause, rubrics)
        if amount_b == amount_a and ev_b == ev_a and not rule_change:
            continue
        events = sorted(ev_a ^ ev_b)
        if state is not None:
            events += _corrections_between(state, ev_a | ev_b, before.known_at, after.known_at)
        line = {"clause": clause, "status": _status(amount_b, amount_a),
                "before": amount_b if amount_b is not None else ZERO,
                "after": amount_a if amount_a is not None else ZERO, "events": events}
        if rule_change:
            line["rubric"] = rule_change
        changed.append(line)
    return {
        "town": after.town, "period": after.period,
        "from": _side(before), "to": _side(after),
        "total": {"before": before.total, "after": after.total, "delta": after.total - before.total},
        "lines": changed,
    }


def _side(card: ScoreCard) -> dict:
    return {"as_of": card.as_of.isoformat(), "known_at": card.known_at,
            "rubric": {"id": card.rubric_id, "sha256": card.rubric_sha256},
            "total": card.total, "grade": card.grade}


def _rule_change(clause: str, rubrics) -> dict | None:
    if rubrics is None or rubrics[0].sha256 == rubrics[1].sha256:
        return None
    rb, ra = rubrics
    b = rb.clause(clause).rule if rb.has_clause(clause) else None
    a = ra.clause(clause).rule if ra.has_clause(clause) else None
    if b == a:
        return None
    return {"before": _rule_text(b), "after": _rule_text(a)}


def _rule_text(rule) -> str | None:
    if rule is None:
        return None
    fields = asdict(rule)
    return rule.kind + "(" + ", ".join(f"{k}={v}" for k, v in fields.items()) + ")"


def _corrections_between(state: TownState, ids: set[str], start: str, end: str) -> list[str]:
    lo, hi = sorted((start, end))
    found: list[str] = []
    for fid in sorted(ids):
        target = state.findings.get(fid) or state.facts.get(fid)
        if target is None:
            continue
        corrections = list(getattr(target, "corrections", []))
        if target.retracted_by is not None and target.retracted_by not in corrections:
            corrections.append(target.retracted_by)
        found += [c.id for c in corrections if lo < c.recorded_at <= hi and c.id not in found]
    return found


def diff_boards(before: Scoreboard, after: Scoreboard) -> dict:
    """Rank and total changes of every town between two scoreboards."""
    old = {s.town: s for s in before.towns}
    new = {s.town: s for s in after.towns}
    towns = []
    for town in [s.town for s in after.towns] + [t for t in old if t not in new]:
        b, a = old.get(town), new.get(town)
        row = {"town": town,
               "rank_before": b.rank if b else None, "rank_after": a.rank if a else None,
               "before": b.total if b else None, "after": a.total if a else None}
        if (row["rank_before"], row["before"]) != (row["rank_after"], row["after"]):
            towns.append(row)
    return {"period": after.period,
            "from": {"as_of": before.as_of.isoformat(), "known_at": before.known_at},
            "to": {"as_of": after.as_of.isoformat(), "known_at": after.known_at},
            "towns": towns}


def compare_sources(self_card: ScoreCard, city_card: ScoreCard) -> dict:
    """Per clause, where the town's self-evaluation (自评) and the city's check differ."""
    s, c = _lines(self_card), _lines(city_card)
    order = list(c) + [k for k in s if k not in c]
    rows = []
    for clause in order:
        a, b = s.get(clause), c.get(clause)
        if (a.amount if a else None) != (b.amount if b else None):
            rows.append({"clause": clause, "self": a.amount if a else ZERO,
                         "city": b.amount if b else ZERO,
                         "self_events": list(a.events) if a else [],
                         "city_events": list(b.events) if b else []})
    return {"town": city_card.town, "period": city_card.period,
            "as_of": city_card.as_of.isoformat(), "known_at": city_card.known_at,
            "self_total": self_card.total, "city_total": city_card.total, "clauses": rows}
