"""The Mapper: the one place where domain events become stored rows and back.

Everything above the store hands the mapper attrs events and gets attrs events (or
their plain, upcast data) back; nothing else encodes or decodes a payload. Upcasters
registered with the codec therefore reach every reader: replay, the read model, the
views, validation and publishing.

>>> from ledger.events import TownRegistered
>>> new = mapper.to_stored(TownRegistered(id="t-1", name="沙溪镇"))
>>> new.type, new.town, new.payload
('TownRegistered', '沙溪镇', '{"id":"t-1","name":"沙溪镇"}')
"""

from __future__ import annotations

from typing import Callable

from ledger.errors import SchemaError, TamperError
from ledger.events import FindingRecorded
from ledger.events.codec import EventCodec, codec as default_codec
from ledger.events.compactjson import encoder
from ledger.store.rows import NewEvent, StoredEvent


class Mapper:
    """Domain events <-> stored rows, through one :class:`EventCodec` (upcasters included)."""

    def __init__(self, codec: EventCodec = default_codec):
        self.codec = codec

    def to_stored(self, event) -> NewEvent:
        """Wrap a domain event with its envelope and canonical payload for the store."""
        env = event.envelope()
        return NewEvent(id=event.id, type=type(event).__name__,
                        schema_version=event.schema_version, town=env["town"],
                        period=env["period"], occurred_on=env["occurred_on"],
                        refers_to=env["refers_to"], actor=event.actor,
                        payload=self.codec.encode(event))

    def to_event(self, stored: StoredEvent | NewEvent):
        """The domain event a stored row holds, upcast to its type's current version.

        A row that does not decode (a file edited by hand) raises :class:`TamperError`
        naming it, never a bare ``KeyError``.
        """
        try:
            return self.codec.decode(stored.type, stored.schema_version, stored.payload)
        except SchemaError:
            raise
        except Exception as exc:  # cattrs, json and attrs each have their own errors
            raise _undecodable(getattr(stored, "seq", None), stored.id, stored.type, exc) from None

    def to_data(self, type_name: str, schema_version: int, payload: str, *,
                seq: int | None = None, event_id: str | None = None) -> dict:
        """A stored payload as plain upcast data (for derived tables that need a few
        fields and not the whole event)."""
        try:
            data = self.codec.decode_data(type_name, schema_version, payload)
        except SchemaError:
            raise
        except Exception as exc:
            raise _undecodable(seq, event_id, type_name, exc) from None
        if type(data) is not dict:
            raise _undecodable(seq, event_id, type_name, TypeError("not a JSON object"))
        return data

    def plain_finding_encoder(self) -> tuple[int, Callable[[dict], str]]:
        """``(schema_version, encode)`` for the import's hot path: ``encode`` writes a
        finding's flat data (str, int and lists of str only) exactly as the codec would
        write the event (``tests/importing/test_fastpath.py`` proves it)."""
        return FindingRecorded.schema_version, _flat_encoder


def _undecodable(seq, event_id, type_name, exc: Exception) -> TamperError:
    where = f"event seq {seq} (id {event_id!r})" if seq is not None else f"event {event_id!r}"
    return TamperError(f"{where}: its payload does not decode as {type_name} "
                       f"({type(exc).__name__}: {exc}); the file was edited outside the "
                       f"ledger: run verify", seq)


# the codec's canonical encoder for flat data (see ledger.events.codec.canonical_json)
_flat_encoder = encoder(sort_keys=True)

mapper = Mapper()
