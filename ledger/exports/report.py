"""What every export format shows: one :class:`Report` computed at one ``known_at``.

The formats (``html``, ``xlsx``, ``csv``) read it from here, never from the package that
dispatches to them, so the package imports its formats and no format imports it back.
"""

from __future__ import annotations

from decimal import Decimal

from attrs import frozen

from ledger.projections.card import ScoreCard
from ledger.projections.scoreboard import Scoreboard
from ledger.rubric import Rubric


@frozen
class Report:
    """Everything an export shows, computed at one ``known_at`` (plain values only)."""

    board: Scoreboard
    rubric: Rubric
    trees: dict     # town -> the explain tree (see ledger.projections.explain)
    series: dict    # town -> tuple of (month-end date, total), for the HTML chart
    self_totals: dict = {}  # town -> the self-evaluation's total (自评), for the charts
    source: str = "city"    # whose findings the cards count

    @property
    def cards(self) -> list[ScoreCard]:
        """The towns' cards in scoreboard order."""
        return [s.card for s in self.board.towns]



def number(d: Decimal | None) -> int | float | None:
    """A cell value for an exact decimal: an int when whole, else a float.

    >>> number(Decimal("96.0")), number(Decimal("0.3"))
    (96, 0.3)
    """
    if d is None:
        return None
    return int(d) if d == d.to_integral_value() else float(d)
