"""audit-ledger: performance-evaluation findings as an immutable, event-sourced ledger.

Open a ledger file with :func:`ledger.open` (a :class:`Ledger`, a context manager), feed it
interchange records with ``lg.append([...])`` or ``lg.import_file(path)`` (JSON Lines, CSV,
XLSX; all or nothing), and read it back:

- ``lg.score(town, period, as_of=..., known_at=...)``: a :class:`~ledger.projections.card.ScoreCard`
  (``.total``, ``.grade``, ``.to_dict()`` as ``score --json``);
- ``lg.scoreboard(period)``: a :class:`~ledger.projections.scoreboard.Scoreboard`, iterable
  over its standings (``for s in board: s.rank, s.town, s.total``);
- ``lg.explain``, ``lg.history``, ``lg.diff``, ``lg.compare``: the traces behind a score;
- ``lg.towns()``, ``lg.periods()``: what is registered; ``lg.publish`` / ``lg.reproduce``;
- ``lg.verify()``, ``lg.head()``: the hash chain.

Errors: every bad input raises :class:`LedgerError` (nothing is written); subclasses carry
what code needs without parsing messages: :class:`ValidationError` (``.line``, ``.field``),
:class:`UnknownTown` / :class:`UnknownPeriod` / :class:`UnknownClause` (``.name``,
``.suggestions``), :class:`TamperError` (``.seq``), :class:`RubricError`,
:class:`SchemaError`, :class:`CalendarError`. Messages are English; the command line shows
them in Chinese (``ledger.text.messages``).

>>> import ledger
>>> ledger.LedgerError.__name__
'LedgerError'
>>> issubclass(ledger.UnknownTown, ledger.LedgerError)
True
"""

from ledger.errors import (
    CalendarError,
    LedgerError,
    RubricError,
    SchemaError,
    TamperError,
    UnknownClause,
    UnknownName,
    UnknownPeriod,
    UnknownTown,
    ValidationError,
)

__all__ = ["CalendarError", "Ledger", "LedgerError", "RubricError", "SchemaError",
           "TamperError", "UnknownClause", "UnknownName", "UnknownPeriod", "UnknownTown",
           "ValidationError", "open"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # ``Ledger`` and ``open`` load the application (and everything under it) on first use,
    # so a process that needs only a lower layer (the import's reading process, verify's
    # workers) starts without it
    if name in ("Ledger", "open"):
        from ledger import application
        return getattr(application, name)
    raise AttributeError(f"module 'ledger' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
