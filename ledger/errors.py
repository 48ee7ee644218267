"""The exceptions a caller can catch.

Every error caused by bad input is a :class:`LedgerError`; its message is the
one line the CLI prints after ``error:``.
"""

import re

_WHERE = re.compile(r"(?:(?:line|row|record) (\d+): )?(?:field '([^']+)': )?")


class LedgerError(Exception):
    """Bad input or a request the ledger cannot honour. Nothing was written."""


class RubricError(LedgerError):
    """A rubric file that does not load: names the file, the node and the key."""


class ValidationError(LedgerError):
    """A record that breaks the interchange contract (names line, field, reason).

    ``.line`` (the file's line or row, or the record's number) and ``.field`` are read
    from the message when not given, so code need not parse it:

    >>> e = ValidationError("line 7: field 'clause': unknown clause 'Z99'")
    >>> e.line, e.field
    (7, 'clause')
    """

    def __init__(self, message: str, line: int | None = None, field: str | None = None):
        super().__init__(message)
        found = _WHERE.match(message)
        self.line = line if line is not None else (int(found[1]) if found and found[1] else None)
        self.field = field if field is not None else (found[2] if found else None)


class UnknownName(LedgerError):
    """A town, period or clause that is not registered; ``.suggestions`` are the
    closest registered ones (possibly none)."""

    kind = "name"

    def __init__(self, message: str, name: str, suggestions: tuple[str, ...] = ()):
        super().__init__(message)
        self.name = name
        self.suggestions = tuple(suggestions)


class UnknownTown(UnknownName):
    """A town name no ``town`` record registered."""

    kind = "town"


class UnknownPeriod(UnknownName):
    """A period without an adopted rubric."""

    kind = "period"


class UnknownClause(UnknownName):
    """A clause id the rubric does not have."""

    kind = "clause"


class SchemaError(LedgerError):
    """A file that is not a ledger, or a ledger written by a newer version."""


class TamperError(LedgerError):
    """The hash chain or the append-only guard is broken; names the first bad event."""

    def __init__(self, message: str, seq: int | None = None):
        super().__init__(message)
        self.seq = seq


class CalendarError(LedgerError):
    """A date outside the years the official working-day calendar covers."""


class ReadOnlyLedger(LedgerError):
    """The ledger cannot be written here (read-only file or media): read commands still work."""
