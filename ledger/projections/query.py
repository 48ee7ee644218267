"""Where a projection stands, resolved once: period, valid day, ledger moment, source, rubric.

A :class:`Query` is built by the application from what a caller typed (dates, text,
``None`` for the defaults) and then flows down unchanged, so every card, trace and
diff computed for one question reads the same moment and the same rubric.

>>> from datetime import date
>>> from ledger.rubric import load_bundled
>>> q = Query("2017", date(2017, 6, 30), "2017-07-01T00:00:00.000000Z", load_bundled("taicang-2017"))
>>> q.source, q.at(as_of=date(2017, 3, 31)).as_of
('city', datetime.date(2017, 3, 31))
"""

from __future__ import annotations

from datetime import date

from attrs import evolve, frozen

from ledger.rubric import Rubric


@frozen
class Query:
    """``as_of``: the end of that day (valid time); ``known_at``: the ledger as it stood
    then (canonical UTC text, as stored in ``recorded_at``); ``rubric``: the edition that
    scores; ``source``: ``city`` (the bureau's verification) or ``self``."""

    period: str
    as_of: date
    known_at: str
    rubric: Rubric
    source: str = "city"

    def at(self, **changes) -> "Query":
        """The same question with some coordinates changed."""
        return evolve(self, **changes)
