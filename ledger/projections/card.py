"""The score card: values a projection returns, and their contract JSON.

>>> line = ClauseLine(clause="A01.2", amount=Decimal("0.5"), quantity=1, events=("f-0001",))
>>> line.to_dict()
{'id': 'A01.2', 'amount': Decimal('0.5'), 'events': ['f-0001']}
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from attrs import frozen

from ledger.events.codec import decimal_text


@frozen
class Lateness:
    """Why a payment or report counts as late: the dates and the working days."""

    fact: str           # the payment or report event id
    subject: str        # the case or report name
    start: date         # approved_on / due_on
    deadline: date      # last day still on time
    done_on: date | None  # paid_on / submitted_on (None: not yet, as of the card)
    working_days: int   # working days taken after start (payment) / late (report)
    units: int          # units this fact contributes (1 per late case, or days late)
    moved_due: date | None = None  # a due date on a rest day, moved to this working day


@frozen
class ClauseLine:
    """One clause's raw amount and the live events behind it."""

    clause: str
    amount: Decimal
    quantity: int
    events: tuple[str, ...]
    capped: bool = False            # the clause's own max_units cut it
    late: tuple[Lateness, ...] = ()  # derived lines: the facts that made it
    zeroed: tuple[str, ...] = ()     # D02: findings outranked by their project's higher level
    ceiling: int | None = None       # the clause's unit ceiling (max_units), if it has one
    repeated: tuple[str, ...] = ()   # condition clauses: further findings, evidence only

    def to_dict(self) -> dict:
        return {"id": self.clause, "amount": self.amount, "events": list(self.events)}


@frozen
class IndicatorScore:
    id: str
    name: str
    points: Decimal
    score: Decimal
    raw: Decimal        # sum of the clause amounts before the bound
    bonus: bool
    lines: tuple[ClauseLine, ...]

    @property
    def cut(self) -> bool:
        """True when the bound (0 floor or bonus cap) changed the sum ("扣完为止")."""
        return self.raw > self.points

    def to_dict(self) -> dict:
        return {"id": self.id, "points": self.points, "score": self.score,
                "clauses": [line.to_dict() for line in self.lines]}


@frozen
class ScoreCard:
    """A town's score for a period at ``as_of``, as the ledger knew it at ``known_at``."""

    town: str
    period: str
    rubric_id: str
    rubric_sha256: str
    as_of: date
    known_at: str
    source: str
    base: Decimal
    bonus: Decimal
    total: Decimal
    grade: str
    vetoes: tuple[str, ...]
    indicators: tuple[IndicatorScore, ...]
    unscored: tuple[str, ...] = ()

    def indicator(self, indicator_id: str) -> IndicatorScore:
        return next(i for i in self.indicators if i.id == indicator_id)

    def line(self, clause_id: str) -> ClauseLine | None:
        for ind in self.indicators:
            for line in ind.lines:
                if line.clause == clause_id:
                    return line
        return None

    def to_dict(self) -> dict:
        """Exactly what ``score --json`` prints (numbers as exact Decimals)."""
        return {
            "town": self.town, "period": self.period,
            "rubric": {"id": self.rubric_id, "sha256": self.rubric_sha256},
            "as_of": self.as_of.isoformat(), "known_at": self.known_at,
            "base": self.base, "bonus": self.bonus, "total": self.total,
            "grade": self.grade, "vetoes": list(self.vetoes),
            "indicators": [i.to_dict() for i in self.indicators],
            "unscored": list(self.unscored),
        }


def dumps(data, indent: int | None = None) -> str:
    """JSON with exact decimals as numbers (0.3, never 0.30000000000000004).

    >>> dumps({"total": Decimal("93.70")})
    '{"total": 93.7}'
    """
    marker = "\x00decimal:"

    def default(o):
        if isinstance(o, Decimal):
            return marker + decimal_text(o)
        if isinstance(o, date):
            return o.isoformat()
        raise TypeError(f"cannot encode {type(o).__name__}")

    text = json.dumps(_mark(data, marker), ensure_ascii=False, indent=indent, default=default)
    # Only our own markers carry the escaped NUL prefix, since _mark escapes user NULs.
    return _unmark(text, marker)


def _mark(o, marker):
    if isinstance(o, Decimal):
        return marker + decimal_text(o)
    if isinstance(o, dict):
        return {k: _mark(v, marker) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_mark(v, marker) for v in o]
    if isinstance(o, str) and o.startswith(marker):
        return "\x00" + o  # keep a user string that happens to look like a marker distinct
    return o


def _unmark(text: str, marker: str) -> str:
    import re
    pattern = re.compile(r'"\\u0000decimal:(-?[0-9.]+)"')
    return pattern.sub(lambda m: m.group(1), text)
