"""The read model: decoded findings, corrections and facts kept beside the events.

A cache, never the truth: rebuildable from the events and proven equal to replay.
"""

from ledger.readmodel.queries import evidence
from ledger.readmodel.tables import (
    TABLES, VERSION, applied_seq, apply_rows, enable_details, ensure, on_chunk, rebuild,
)

__all__ = ["TABLES", "VERSION", "applied_seq", "apply_rows", "enable_details", "ensure", "evidence", "on_chunk",
           "rebuild"]
