"""Domain events and their codec."""

from ledger.events.codec import EventCodec, canonical_json, codec, decimal_text
from ledger.events.types import (
    AppealDecided,
    AppealFiled,
    CheckpointSigned,
    PeriodClosed,
    ScorePublished,
    EVENT_TYPES,
    FindingAmended,
    FindingRecorded,
    PaymentRecorded,
    RecordRetracted,
    ReportRecorded,
    RubricAdopted,
    TownRegistered,
)

__all__ = [
    "AppealDecided", "AppealFiled", "CheckpointSigned", "PeriodClosed", "ScorePublished",
    "EVENT_TYPES", "EventCodec", "FindingAmended", "FindingRecorded", "PaymentRecorded",
    "RecordRetracted", "ReportRecorded", "RubricAdopted", "TownRegistered",
    "canonical_json", "codec", "decimal_text",
]
