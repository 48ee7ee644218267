"""Ranking towns: totals descending, then town name; equal totals share a rank.

With ``vetoed_last`` (the rubric's ``veto_rank = "last"``, contract v2) towns without a
live veto come first and vetoed towns after them, each group ordered the same way;
ranks run on across the groups.

>>> from decimal import Decimal as D
>>> [(r.rank, r.town) for r in _ranked([("b", D(90)), ("a", D(90)), ("c", D(80))])]
[(1, 'a'), (1, 'b'), (3, 'c')]
>>> [(r.rank, r.town) for r in _ranked([("v", D(99)), ("a", D(90)), ("w", D(99))], {"v", "w"})]
[(1, 'a'), (2, 'v'), (2, 'w')]
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Iterator

from typing import AbstractSet

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


def _ranked(pairs, vetoed: AbstractSet[str] = frozenset()):
    """``vetoed`` towns (empty: rank by total alone) go after all others."""
    ordered = sorted(pairs, key=lambda p: (p[0] in vetoed, -p[1], p[0]))
    out, rank = [], 0
    for i, (town, total) in enumerate(ordered):
        prev = ordered[i - 1] if i else None
        if prev is None or total != prev[1] or (town in vetoed) != (prev[0] in vetoed):
            rank = i + 1
        out.append(Standing(rank, town, total, "", ()))
    return out


def rank(period: str, as_of: date, known_at: str, cards: list[ScoreCard],
         vetoed_last: bool = False) -> Scoreboard:
    """Order cards by total (desc) then town name (code points); ties share a rank.

    ``vetoed_last``: towns with a live veto rank after all the others (contract v2).
    """
    by_town = {c.town: c for c in cards}
    vetoed = {c.town for c in cards if c.vetoes} if vetoed_last else set()
    standings = tuple(
        Standing(s.rank, s.town, s.total, by_town[s.town].grade, by_town[s.town].vetoes,
                 by_town[s.town])
        for s in _ranked([(c.town, c.total) for c in cards], vetoed))
    return Scoreboard(period, as_of, known_at, standings)
