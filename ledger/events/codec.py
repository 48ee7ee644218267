"""The one codec: events <-> canonical JSON, with schema versions and upcasters.

Canonical JSON is what gets hashed: keys sorted, UTF-8 (no ``\\u`` escapes for
non-ASCII), no spaces, dates as ISO strings, exact decimals as JSON numbers
(``0.1``, never ``0.1000000000000000055``), ``None`` fields left out.

>>> from ledger.events.types import TownRegistered
>>> text = codec.encode(TownRegistered(id="t-1", name="沙溪镇"))
>>> text
'{"id":"t-1","name":"沙溪镇"}'
>>> codec.decode("TownRegistered", 1, text)
TownRegistered(id='t-1', name='沙溪镇', actor=None)
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Callable

import cattrs

from ledger.events.compactjson import encoder
from ledger.errors import SchemaError
from ledger.events.types import EVENT_TYPES


def decimal_text(d: Decimal) -> str:
    """An exact decimal as the shortest JSON number text: ``Decimal('93.70')`` -> ``93.7``.

    >>> decimal_text(Decimal("100.0")), decimal_text(Decimal("-0.00"))
    ('100', '0')
    """
    if not d.is_finite():
        raise ValueError(f"not a finite number: {d}")
    if d == 0:
        return "0"
    # format(..., "f") is exact; normalize() would round to the context's 28 digits.
    text = format(d, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


_fast = encoder(sort_keys=True)


def canonical_json(obj) -> str:
    """Encode plain data (dict, list, str, int, Decimal, bool, None) canonically.

    >>> canonical_json({"b": Decimal("0.10"), "a": ["镇", 1, None]})
    '{"a":["镇",1,null],"b":0.1}'
    """
    # The C encoder writes exactly what _encode writes for str/int/bool/None, so a flat
    # event without numbers that need care (Decimal; floats are refused) takes it.
    if type(obj) is dict and _flat(obj):
        return _fast(obj)
    return _encode(obj)


def _flat(obj: dict) -> bool:
    """Only str, int, bool, None values, or lists of str (the C encoder's exact ground)."""
    for v in obj.values():
        t = type(v)
        if t is str or t is int or v is None or t is bool:
            continue
        if (t is list or t is tuple) and all(type(x) is str for x in v):
            continue
        return False
    return True


def _encode(o) -> str:
    if isinstance(o, str):
        return encode_basestring(o)
    if o is None:
        return "null"
    if o is True:
        return "true"
    if o is False:
        return "false"
    if isinstance(o, int):
        return str(o)
    if isinstance(o, Decimal):
        return decimal_text(o)
    if isinstance(o, dict):
        return "{" + ",".join(encode_basestring(k) + ":" + _encode(o[k]) for k in sorted(o)) + "}"
    if isinstance(o, (list, tuple)):
        return "[" + ",".join(_encode(v) for v in o) + "]"
    # Floats carry binary noise; an exact ledger refuses them rather than guess.
    raise TypeError(f"cannot encode {type(o).__name__} canonically")


_loads = json.JSONDecoder(parse_float=Decimal).decode


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(omit_if_default=False)
    conv.register_unstructure_hook(date, date.isoformat)
    conv.register_structure_hook(date, lambda v, _: date.fromisoformat(v))
    conv.register_unstructure_hook(Decimal, lambda d: d)
    conv.register_structure_hook(Decimal, lambda v, _: v if isinstance(v, Decimal) else Decimal(str(v)))
    return conv


Upcaster = Callable[[dict], dict]


class EventCodec:
    """Encodes events to canonical payloads and decodes stored payloads back.

    A stored payload written at an older ``schema_version`` is passed through the
    registered upcasters (``v1 -> v2 -> …``) before it is structured, so events
    written today still load after a field is added.
    """

    def __init__(self, types: dict[str, type] | None = None):
        self.types = dict(types or EVENT_TYPES)
        self.converter = _make_converter()
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def register(self, cls: type) -> None:
        """Add an event type (its class name is its stored ``type``)."""
        self.types[cls.__name__] = cls

    def register_upcaster(self, type_name: str, from_version: int, fn: Upcaster) -> None:
        """``fn`` turns a payload dict of ``from_version`` into one of ``from_version + 1``."""
        self._upcasters[(type_name, from_version)] = fn

    def to_data(self, event) -> dict:
        data = self.converter.unstructure(event)
        return {k: v for k, v in data.items() if v is not None}

    def encode(self, event) -> str:
        return canonical_json(self.to_data(event))

    def upcast(self, type_name: str, schema_version: int, data: dict) -> dict:
        """A stored payload's data brought up to the type's current version."""
        cls = self.types.get(type_name)
        if cls is None:
            raise SchemaError(f"unknown event type {type_name!r}: written by a newer version?")
        version = schema_version
        while version < cls.schema_version:
            up = self._upcasters.get((type_name, version))
            if up is None:
                raise SchemaError(f"no upcaster for {type_name} v{version} -> v{version + 1}")
            data = up(data)
            version += 1
        if version > cls.schema_version:
            raise SchemaError(
                f"{type_name} v{schema_version} was written by a newer version (this reads v{cls.schema_version})")
        return data

    def decode_data(self, type_name: str, schema_version: int, payload: str) -> dict:
        """A stored payload as plain data (exact decimals), upcast to the current version."""
        return self.upcast(type_name, schema_version, _loads(payload))

    def decode(self, type_name: str, schema_version: int, payload: str):
        data = self.decode_data(type_name, schema_version, payload)
        return self.converter.structure(data, self.types[type_name])


codec = EventCodec()
