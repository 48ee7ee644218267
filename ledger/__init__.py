"""audit-ledger: performance-evaluation findings as an immutable, event-sourced ledger.

>>> import ledger
>>> ledger.LedgerError.__name__
'LedgerError'
"""

from ledger.application import Ledger, open
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
