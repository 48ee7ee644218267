"""Ranking towns: totals descending, then town name; equal totals share a rank.

>>> from decimal import Decimal as D
>>> [(r.rank, r.town) for r in _ranked([("b", D(90)), ("a", D(90)), ("c", D(80))])]
[(1, 'a'), (1, 'b'), (3, 'c')]
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Iterator

from attrs import frozen

from ledger.projections.card import ScoreCard


@frozen
class Standing:
    rank: int
    town: str
    total: Decimal
    grade: str
    vetoes: tuple[str, ...]
    card: ScoreCard | None = None

    def to_dict(self) -> dict:
        return {"rank": self.rank, "town": self.town, "total": self.total, "grade": self.grade,
                "vetoes": list(self.vetoes)}


@frozen
class Scoreboard:
    period: str
    as_of: date
    known_at: str
    towns: tuple[Standing, ...]

    def __iter__(self) -> Iterator[Standing]:
        """The standings, best first: ``for s in board: s.rank, s.town, s.total``."""
        return iter(self.towns)

    def __len__(self) -> int:
        return len(self.towns)

    def to_dict(self) -> dict:
        """Exactly what ``scoreboard --json`` prints."""
        return {"period": self.period, "as_of": self.as_of.isoformat(), "known_at": self.known_at,
                "towns": [s.to_dict() for s in self.towns]}


def _ranked(pairs):
    ordered = sorted(pairs, key=lambda p: (-p[1], p[0]))
    out, rank = [], 0
    for i, (town, total) in enumerate(ordered):
        if i == 0 or total != ordered[i - 1][1]:
            rank = i + 1
        out.append(Standing(rank, town, total, "", ()))
    return out


def rank(period: str, as_of: date, known_at: str, cards: list[ScoreCard]) -> Scoreboard:
    """Order cards by total (desc) then town name (code points); ties share a rank."""
    by_town = {c.town: c for c in cards}
    standings = tuple(
        Standing(s.rank, s.town, s.total, by_town[s.town].grade, by_town[s.town].vetoes,
                 by_town[s.town])
        for s in _ranked([(c.town, c.total) for c in cards]))
    return Scoreboard(period, as_of, known_at, standings)
