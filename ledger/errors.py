"""The exceptions a caller can catch.

Every error caused by bad input is a :class:`LedgerError`; its message is the
one line the CLI prints after ``error:``.
"""


class LedgerError(Exception):
    """Bad input or a request the ledger cannot honour. Nothing was written."""


class RubricError(LedgerError):
    """A rubric file that does not load: names the file, the node and the key."""


class ValidationError(LedgerError):
    """A record that breaks the interchange contract (names line, field, reason)."""


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
