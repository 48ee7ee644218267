"""The import's hot path (ledger.importing.fastpath) must build exactly what the general road builds,
and leave everything it is unsure of to the general road (which words the errors)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ledger
from ledger.errors import ValidationError
from ledger.store import StoreReader
from ledger.importing.validation import Validator

TOWN = "沙溪镇"


@pytest.fixture(scope="module")
def lg(tmp_path_factory):
    path = tmp_path_factory.mktemp("fast") / "l.db"
    with ledger.open(path) as lg:
        lg.append([{"type": "adopt", "id": "a", "period": "2017", "rubric": "taicang-2017"},
                   {"type": "town", "id": "t", "name": TOWN},
                   {"type": "finding", "id": "stored", "town": TOWN, "period": "2017",
                    "clause": "B06.1", "occurred_on": "2017-03-01"}])
        yield lg


def both_roads(lg, rec):
    """(hot path's events or None, general road's events or its error text)."""
    conn = lg.store.conn
    conn.execute("BEGIN")
    try:
        fast = Validator(StoreReader(conn))._plain_finding(rec)
        try:
            full = Validator(StoreReader(conn)).check_in_full(rec)
        except ValidationError as exc:
            full = str(exc)
    finally:
        conn.execute("ROLLBACK")
    return fast, full


texts = st.one_of(st.sampled_from(["", " ", "x", "现场核查", "\ud800", "a;b", TOWN, "镇0001",
                                   TOWN + " ", "\u3000" + TOWN, TOWN + "\u200b",
                                   "\u202e" + TOWN, "e\u0301"]),
                  st.text(max_size=6))
csv_numbers = st.sampled_from(["1", "2", " 3 ", "2.0", "2.5", "-1", "0", "+2", "1e2", "", "x",
                                "1000001", "007", "３", "٣"])
values = st.one_of(st.none(), st.booleans(), st.integers(-2, 3), st.just(10**7), texts, csv_numbers,
                   st.sampled_from([2.0, 1.0]),
                   st.lists(texts, max_size=2), st.just({"k": 1}))
valid = st.fixed_dictionaries(
    {"type": st.just("finding"),
     "id": st.one_of(st.from_regex(r"f-[0-9]{1,6}", fullmatch=True), st.just("stored")),
     "town": st.just(TOWN), "period": st.just("2017"),
     "clause": st.sampled_from(["B06.1", "A02.1", "C01.1", "B04.2", "D02.1", "V1", "A09.1",
                                "B10.5", "A05.3", "A08.1", "Z9.9"]),
     "occurred_on": st.sampled_from(["2017-01-01", "2017-06-30", "2017-12-31", "2017-03-31",
                                     "2017-02-30", "2016-12-31", "2018-01-01", "2017-6-1"])},
    optional={"quantity": st.integers(1, 5), "source": st.sampled_from(["city", "self"]),
              "note": texts, "evidence": st.lists(texts, max_size=2), "actor": texts})
FIELDS = ["id", "town", "period", "clause", "occurred_on", "quantity", "source", "note",
          "evidence", "actor", "value", "project", "extra"]


@st.composite
def finding(draw):
    """A mostly valid finding with up to two fields changed to odd values or dropped."""
    rec = draw(valid)
    for field, value in draw(st.dictionaries(st.sampled_from(FIELDS), values, max_size=2)).items():
        rec[field] = value
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=1)):
        rec.pop(field, None)
    return rec


@settings(max_examples=600)
@given(rec=finding())
@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_the_hot_path_builds_what_the_general_road_builds(lg, rec):
    fast, full = both_roads(lg, rec)
    if fast is not None:
        assert [fast] == full


def test_the_hot_path_takes_a_csv_row(lg):
    """What the CSV reader yields: cells as text (a quantity of ASCII digits as its integer),
    evidence items split on ';'."""
    rec = {"type": "finding", "id": "f-csv", "town": TOWN, "period": "2017", "clause": "A08.1",
           "occurred_on": "2017-05-02", "quantity": 2, "evidence": "记录1; 记录2;"}
    fast, full = both_roads(lg, rec)
    assert fast is not None and [fast] == full
    assert '"evidence":["记录1","记录2"]' in fast.payload and '"quantity":2' in fast.payload


def test_the_hot_path_takes_the_common_finding(lg):
    rec = {"type": "finding", "id": "f-1", "town": TOWN, "period": "2017", "clause": "B06.1",
           "occurred_on": "2017-05-02", "quantity": 3, "note": "现场核查", "evidence": ["记录1"],
           "actor": "张三", "source": "self"}
    fast, full = both_roads(lg, rec)
    assert fast is not None and [fast] == full


@pytest.mark.parametrize("change", [
    {"id": "stored"},                   # a re-import: the general road decides identical or not
    {"town": "别镇"},                    # not registered
    {"clause": "B04.2", "value": 90},   # a rate clause
    {"clause": "D02.1", "project": "p"},  # a per-project bonus
    {"quantity": "2.5"},                # CSV text that is no whole number
    {"quantity": "0"},
    {"quantity": "3"},                  # text, not a JSON integer (contract v2)
    {"quantity": 2.0},
    {"town": TOWN + " "},               # a name not in its normal form
    {"note": "x" * (1 << 20)},          # at the 1 MiB limit: the general road measures
    {"occurred_on": "2017-02-30"},
    {"actor": "\ud800"},
])
def test_the_hot_path_leaves_the_unusual_to_the_general_road(lg, change):
    rec = {"type": "finding", "id": "f-2", "town": TOWN, "period": "2017", "clause": "B06.1",
           "occurred_on": "2017-05-02", **change}
    fast, _ = both_roads(lg, rec)
    assert fast is None
