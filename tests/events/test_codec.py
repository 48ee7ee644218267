"""The codec: canonical JSON, exact round trips of every event type, schema versions.

The canonical payload is what the hash chain covers, so it must be deterministic:
the same event always encodes to the same text, whatever the representation of
its decimals, and decodes back to an equal event.
"""

from __future__ import annotations

import json
import types
import typing
from datetime import date, datetime, timezone
from decimal import Decimal

import attrs
import pytest
from attrs import evolve, field, frozen
from hypothesis import given, settings
from hypothesis import strategies as st

import ledger
from ledger import SchemaError
from ledger.events import codec as global_codec
from ledger.events.codec import EventCodec, canonical_json, decimal_text
from ledger.events.types import EVENT_TYPES, FindingRecorded, TownRegistered
from ledger.store import EventStore, NewEvent, same_content

NASTY = 'a "quoted" back\\slash, NUL \x00, tab \t, line\nbreak, \u2028, 沙溪镇, emoji 🎉👩‍👩‍👧'


# -- canonical JSON ---------------------------------------------------------------

def test_keys_are_sorted_at_every_level():
    """Object keys come out sorted, in nested objects too."""
    assert canonical_json({"b": 1, "a": {"d": [{"z": 1, "y": 2}], "c": None}}) == \
        '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}'


def test_output_is_compact():
    """No spaces after separators, no newlines."""
    text = canonical_json({"a": [1, 2, {"b": "c d"}], "e": True, "f": False})
    assert text == '{"a":[1,2,{"b":"c d"}],"e":true,"f":false}'


def test_non_ascii_is_kept_as_is():
    """Chinese text and emoji are written as UTF-8 characters, not \\u escapes."""
    assert canonical_json({"town": "沙溪镇", "mood": "🎉"}) == '{"mood":"🎉","town":"沙溪镇"}'


def test_special_characters_are_escaped_and_round_trip():
    """Quotes, backslashes, NUL and control characters are escaped; json reads them back."""
    text = canonical_json({"note": NASTY})
    assert "\x00" not in text and "\n" not in text
    assert '\\"quoted\\"' in text and "\\\\slash" in text and "\\u0000" in text
    assert json.loads(text) == {"note": NASTY}


@pytest.mark.parametrize("value, text", [
    (Decimal("0.10"), "0.1"),
    (Decimal("100.00"), "100"),
    (Decimal("100"), "100"),
    (Decimal("93.70"), "93.7"),
    (Decimal("0.05"), "0.05"),
    (Decimal("-0.00"), "0"),
    (Decimal("0E-7"), "0"),
    (Decimal("1E+2"), "100"),
    (Decimal("1.5E-7"), "0.00000015"),
    (Decimal("-2.50"), "-2.5"),
])
def test_decimals_are_written_as_their_shortest_exact_number(value, text):
    """An exact Decimal becomes the shortest plain JSON number with the same value."""
    assert decimal_text(value) == text
    assert canonical_json({"v": value}) == f'{{"v":{text}}}'
    assert json.loads(text, parse_float=Decimal) == value


@pytest.mark.parametrize("data", [0.1, 1.0, {"v": 0.5}, [1, 2.0], {"a": {"b": [0.25]}}])
def test_floats_are_refused(data):
    """Binary floats are refused anywhere in the data instead of being guessed at."""
    with pytest.raises(TypeError, match="float"):
        canonical_json(data)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_non_finite_decimals_are_refused(value):
    """NaN and infinities have no JSON number: refused."""
    with pytest.raises(ValueError):
        canonical_json({"v": value})


@pytest.mark.parametrize("value", [{1, 2}, b"bytes", date(2017, 3, 1), object()])
def test_other_types_are_refused(value):
    """Only plain JSON data (and Decimal) is accepted by canonical_json."""
    with pytest.raises(TypeError):
        canonical_json({"v": value})


def test_booleans_are_not_numbers():
    """True/False encode as JSON booleans, not as 1/0 (bool is an int subclass)."""
    assert canonical_json([True, False, 1, 0]) == "[true,false,1,0]"


JSON_TEXT = st.text(st.characters(blacklist_categories=("Cs",)))
JSON_DATA = st.recursive(
    st.none() | st.booleans() | st.integers() | JSON_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(JSON_TEXT, inner, max_size=4),
    max_leaves=20,
)


@given(JSON_DATA)
def test_canonical_json_matches_sorted_compact_utf8_json(data):
    """For plain data, canonical JSON is exactly json.dumps(sorted, compact, non-ASCII kept)
    and parses back to the same data."""
    text = canonical_json(data)
    assert text == json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert json.loads(text) == data


# -- every event type round-trips ------------------------------------------------------

def sample_value(tp, name: str):
    """A representative value of annotation ``tp``; fails for a type it does not know, so
    a new field type cannot slip past the round-trip test."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        return sample_value(inner, name)
    if typing.get_origin(tp) is tuple:
        return (f"{name}-1 {NASTY}", f"{name}-2.pdf")
    if tp is str:
        return f"{name}: {NASTY}"
    if tp is bool:
        return True
    if tp is int:
        return 7
    if tp is Decimal:
        return Decimal("93.70")
    if tp is date:
        return date(2017, 3, 1)
    raise AssertionError(f"no sample for field {name!r} of type {tp!r}: extend sample_value")


def sample_event(cls, fill_optional: bool):
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in attrs.fields(cls):
        if f.default is attrs.NOTHING or fill_optional:
            kwargs[f.name] = sample_value(hints[f.name], f.name)
    return cls(**kwargs)


@pytest.mark.parametrize("fill_optional", [True, False], ids=["all-fields", "required-only"])
@pytest.mark.parametrize("type_name", sorted(EVENT_TYPES))
def test_every_event_type_round_trips(type_name, fill_optional):
    """encode then decode gives an equal event for every registered type; re-encoding the
    decoded event gives the identical payload text."""
    cls = EVENT_TYPES[type_name]
    event = sample_event(cls, fill_optional)
    payload = global_codec.encode(event)
    decoded = global_codec.decode(type_name, cls.schema_version, payload)
    assert type(decoded) is cls
    assert decoded == event
    assert global_codec.encode(decoded) == payload
    data = json.loads(payload)
    assert list(data) == sorted(data)
    assert all(v is not None for v in data.values()), "None fields are left out"


def test_decimal_representation_does_not_change_the_payload():
    """Decimal('93.70') and Decimal('93.7') are the same value: same payload, same hash input."""
    a = FindingRecorded(id="f1", town="沙溪镇", period="2017", clause="B04.2",
                        occurred_on=date(2017, 3, 1), value=Decimal("93.70"))
    b = evolve(a, value=Decimal("93.7000"))
    assert global_codec.encode(a) == global_codec.encode(b)
    assert '"value":93.7' in global_codec.encode(a)


# -- property: findings with arbitrary text round-trip -------------------------------

ANY_TEXT = st.text(st.one_of(
    st.sampled_from(['"', "\\", "\x00", "\n", "\u2028", "\u200d", "沙", "🎉", "\U0001F468"]),
    st.characters(blacklist_categories=("Cs",)),  # every code point except lone surrogates
))
RATES = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)

FINDINGS = st.builds(
    FindingRecorded,
    id=ANY_TEXT, town=ANY_TEXT, period=ANY_TEXT, clause=ANY_TEXT, occurred_on=st.dates(),
    quantity=st.integers(min_value=1, max_value=1_000_000),
    value=st.none() | RATES,
    project=st.none() | ANY_TEXT, source=ANY_TEXT, note=st.none() | ANY_TEXT,
    evidence=st.lists(ANY_TEXT, max_size=4).map(tuple),
    actor=st.none() | ANY_TEXT,
)


@settings(max_examples=300)
@given(FINDINGS)
@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_finding_with_arbitrary_content_round_trips_deterministically(finding):
    """Any text, quantity and 2-place rate in [0, 100] survives encode/decode exactly, and the
    payload does not depend on how the decimal was written."""
    payload = global_codec.encode(finding)
    decoded = global_codec.decode("FindingRecorded", 1, payload)
    assert decoded == finding
    assert global_codec.encode(decoded) == payload
    assert global_codec.encode(finding) == payload
    if finding.value is not None:
        respelled = evolve(finding, value=finding.value.quantize(Decimal("0.0001")))
        assert global_codec.encode(respelled) == payload
        assert decoded.value == finding.value


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory):
    store = EventStore(tmp_path_factory.mktemp("codec") / "prop.db")
    yield store
    store.close()


@settings(max_examples=60)
@given(finding=FINDINGS, n=st.integers(min_value=0, max_value=10**9))
def test_finding_with_arbitrary_content_survives_the_store(shared_store, finding, n):
    """Stored in a real SQLite ledger (text in envelope columns too), the event reads back
    equal and the chain still verifies."""
    finding = evolve(finding, id=f"{shared_store.count()}-{n}-{finding.id}")
    env = finding.envelope()
    new = NewEvent(id=finding.id, type="FindingRecorded", schema_version=1, town=env["town"],
                   period=env["period"], occurred_on=env["occurred_on"], actor=finding.actor,
                   payload=global_codec.encode(finding))
    shared_store.append(lambda reader: [new])
    stored = shared_store.get(finding.id)
    assert same_content(stored, new)
    assert global_codec.decode(stored.type, stored.schema_version, stored.payload) == finding
    assert shared_store.verify() == shared_store.count()


# -- schema versions and upcasters ----------------------------------------------------

@frozen
class FindingRecordedV2:
    """FindingRecorded as a future version might have it: one more, mandatory field."""

    id: str
    town: str
    period: str
    clause: str
    occurred_on: date
    quantity: int = 1
    value: Decimal | None = None
    project: str | None = None
    source: str = "city"
    note: str | None = None
    evidence: tuple[str, ...] = ()
    actor: str | None = None
    severity: str = field(kw_only=True)
    schema_version = 2


@frozen
class FindingRecordedV3:
    """A version after that: severity plus a reviewer."""

    id: str
    town: str
    period: str
    clause: str
    occurred_on: date
    quantity: int = 1
    value: Decimal | None = None
    project: str | None = None
    source: str = "city"
    note: str | None = None
    evidence: tuple[str, ...] = ()
    actor: str | None = None
    severity: str = field(kw_only=True)
    reviewer: str = field(kw_only=True)
    schema_version = 3


T0 = datetime(2017, 3, 1, 8, 0, tzinfo=timezone.utc)
RECORDS = [
    {"type": "adopt", "id": "a1", "period": "2017", "rubric": "taicang-2017"},
    {"type": "town", "id": "t1", "name": "沙溪镇"},
    {"type": "finding", "id": "f1", "town": "沙溪镇", "period": "2017", "clause": "B06.1",
     "occurred_on": "2017-03-01", "quantity": 2, "note": "旧版本 \"v1\""},
]


@pytest.fixture
def stored_v1_finding(tmp_path):
    """The finding f1 as really stored (at schema version 1) by Ledger.append."""
    with ledger.open(tmp_path / "audit.db", clock=lambda: T0) as lg:
        lg.append(RECORDS)
        (stored,) = lg.store.events(type="FindingRecorded")
    assert stored.schema_version == 1
    return stored


def v2_codec(with_upcaster: bool = True) -> EventCodec:
    codec = EventCodec()
    codec.types["FindingRecorded"] = FindingRecordedV2
    if with_upcaster:
        codec.register_upcaster("FindingRecorded", 1, lambda data: {**data, "severity": "normal"})
    return codec


def test_v1_payload_from_a_ledger_is_upcast_to_v2(stored_v1_finding):
    """A payload stored at v1 decodes into the v2 class through the registered upcaster."""
    decoded = v2_codec().decode(stored_v1_finding.type, stored_v1_finding.schema_version,
                                stored_v1_finding.payload)
    assert type(decoded) is FindingRecordedV2
    assert decoded.severity == "normal"
    assert (decoded.id, decoded.town, decoded.clause, decoded.quantity, decoded.note) == \
        ("f1", "沙溪镇", "B06.1", 2, "旧版本 \"v1\"")
    assert decoded.occurred_on == date(2017, 3, 1)


def test_upcasters_chain_through_every_version(stored_v1_finding):
    """v1 -> v2 -> v3: each registered step runs once, in order."""
    calls = []
    codec = EventCodec()
    codec.types["FindingRecorded"] = FindingRecordedV3
    codec.register_upcaster("FindingRecorded", 1,
                            lambda d: calls.append(1) or {**d, "severity": "normal"})
    codec.register_upcaster("FindingRecorded", 2,
                            lambda d: calls.append(2) or {**d, "reviewer": "auto"})
    decoded = codec.decode("FindingRecorded", 1, stored_v1_finding.payload)
    assert calls == [1, 2]
    assert (decoded.severity, decoded.reviewer) == ("normal", "auto")


def test_current_version_payload_is_not_upcast():
    """A payload already at the class's version is structured directly, upcasters unused."""
    calls = []
    codec = EventCodec()
    codec.types["FindingRecorded"] = FindingRecordedV2
    codec.register_upcaster("FindingRecorded", 1, lambda d: calls.append(1) or d)
    event = FindingRecordedV2(id="f2", town="沙溪镇", period="2017", clause="B06.1",
                              occurred_on=date(2017, 3, 1), severity="high")
    assert codec.decode("FindingRecorded", 2, codec.encode(event)) == event
    assert calls == []


def test_a_fresh_codec_does_not_change_the_global_one(stored_v1_finding):
    """Registering on a new EventCodec leaves ledger.events.codec reading v1 as before."""
    v2_codec()
    assert global_codec.types["FindingRecorded"] is FindingRecorded
    decoded = global_codec.decode("FindingRecorded", 1, stored_v1_finding.payload)
    assert type(decoded) is FindingRecorded


def test_missing_upcaster_is_a_schema_error(stored_v1_finding):
    """A v1 payload with a v2 class and no v1 upcaster raises SchemaError, never a half object."""
    with pytest.raises(SchemaError, match=r"no upcaster for FindingRecorded v1"):
        v2_codec(with_upcaster=False).decode("FindingRecorded", 1, stored_v1_finding.payload)


def test_payload_newer_than_the_class_is_a_schema_error(stored_v1_finding):
    """A payload written at a version above what this code knows raises SchemaError ('newer')."""
    with pytest.raises(SchemaError, match="newer"):
        global_codec.decode("FindingRecorded", 2, stored_v1_finding.payload)
    with pytest.raises(SchemaError, match="newer"):
        v2_codec().decode("FindingRecorded", 3, stored_v1_finding.payload)


def test_unknown_event_type_is_a_schema_error():
    """A stored type this code has never heard of raises SchemaError naming it."""
    payload = global_codec.encode(TownRegistered(id="t1", name="沙溪镇"))
    with pytest.raises(SchemaError, match="FutureEvent"):
        global_codec.decode("FutureEvent", 1, payload)
