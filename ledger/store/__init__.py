"""The store: the ``events`` table, its hash chain and the one mapper between
domain events and stored rows. It knows no rubric.

See ``docs/architecture.md``: nothing above this package sees SQL of the
``events`` table or a payload's encoding.
"""

from ledger.store.chain import COLUMNS, GENESIS_HASH, Head, event_hash, parse_digest
from ledger.store.rows import (
    UNSCOPED,
    NewEvent,
    StoredEvent,
    StoreReader,
    format_timestamp,
    parse_timestamp,
    same_content,
    event_rows,
    select_events,
    seqs_of,
)
from ledger.store.mapper import Mapper, mapper
from ledger.store.recorder import Reader, Recorder
from ledger.store.sqlite import APPLICATION_ID, CHUNK, GUARDS, INDEXES, SCHEMA_VERSION, EventStore

__all__ = [
    "COLUMNS", "GENESIS_HASH", "Head", "event_hash", "parse_digest", "UNSCOPED", "NewEvent",
    "StoredEvent", "StoreReader", "format_timestamp", "parse_timestamp", "same_content",
    "select_events", "event_rows", "seqs_of", "APPLICATION_ID", "CHUNK", "GUARDS", "Mapper", "mapper", "Reader", "Recorder", "INDEXES", "SCHEMA_VERSION", "EventStore",
]
