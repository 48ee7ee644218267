"""Issue 13, item 8: one town, one name. Spellings that print alike register once; a name with
invisible characters is refused; a look-alike of a registered town is refused naming both."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ledger
from ledger.errors import LedgerError, ValidationError
from ledger.importing.names import check_name, normalise_name, skeleton
from ledger.importing.validation import Validator
from ledger.store import StoreReader

TOWN = "沙溪镇"
ADOPT = {"type": "adopt", "id": "a", "period": "2017", "rubric": "taicang-2017"}


@pytest.fixture()
def lg(ledger_url):
    with ledger.open(ledger_url) as lg:
        lg.append([ADOPT, {"type": "town", "id": "t1", "name": TOWN}])
        yield lg


def test_every_spelling_of_the_issue_is_the_registered_town_or_refused(lg):
    """The issue's five: zero-width space, trailing space, ideographic space, bidi override,
    NFD. Before: five towns that all print as 沙溪镇."""
    nfd = unicodedata.normalize("NFD", "Café镇")
    lg.append([{"type": "town", "id": "t-cafe", "name": "Café镇"}])
    for i, spelling in enumerate([TOWN + " ", TOWN + "\u3000", " " + TOWN, nfd]):
        with pytest.raises(LedgerError, match="already registered"):
            lg.append([{"type": "town", "id": f"t-x{i}", "name": spelling}])
    for i, spelling in enumerate([TOWN + "\u200b", "\u202e镇溪沙", TOWN + "\ue000", "沙\x1b溪镇",
                                  "沙溪镇\u0378", "沙溪\u2028镇"]):
        with pytest.raises(LedgerError, match="field 'name': .*holds U\\+"):
            lg.append([{"type": "town", "id": f"t-y{i}", "name": spelling}])
    assert lg.towns() == [TOWN, "Café镇"]


def test_a_look_alike_after_nfkc_and_case_folding_is_refused_naming_both(lg):
    lg.append([{"type": "town", "id": "t-port", "name": "Port A"}])
    with pytest.raises(LedgerError) as exc:
        lg.append([{"type": "town", "id": "t-port2", "name": "ＰＯＲＴ ａ"}])  # full width
    assert "'ＰＯＲＴ ａ'" in str(exc.value) and "'Port A'" in str(exc.value)
    with pytest.raises(LedgerError, match="looks like the registered town '沙溪镇'"):
        lg.append([{"type": "town", "id": "t-sp", "name": "沙溪 镇"}])
    # within one batch too
    with pytest.raises(LedgerError, match="looks like"):
        lg.append([{"type": "town", "id": "t-n1", "name": "New Town"},
                   {"type": "town", "id": "t-n2", "name": "NEW TOWN"}])
    assert "New Town" not in lg.towns()


def test_findings_and_facts_name_the_town_as_registered_and_lookups_normalise(lg):
    lg.append([{"type": "finding", "id": "f1", "town": f" {TOWN}\u3000", "period": "2017",
                "clause": "B06.1", "occurred_on": "2017-03-01"},
               {"type": "report", "id": "r1", "town": TOWN, "period": "2017",
                "report": " 月报01 ", "due_on": "2017-01-10"},
               {"type": "payment", "id": "p1", "town": TOWN, "period": "2017",
                "case": "临救-1\u3000", "approved_on": "2017-03-01", "paid_on": "2017-03-02"}])
    assert lg.store.get("f1").town == TOWN
    assert '"report":"月报01"' in lg.store.get("r1").payload
    assert '"case":"临救-1"' in lg.store.get("p1").payload
    # what a person types is normalised before the lookup
    assert lg.score(f"{TOWN} ", "2017").total == lg.score(TOWN, "2017").total
    assert lg.explain(f"\u3000{TOWN}", "2017")["town"] == TOWN
    with pytest.raises(LedgerError, match="field 'town'"):
        lg.append([{"type": "finding", "id": "f2", "town": TOWN + "\u200b", "period": "2017",
                    "clause": "B06.1", "occurred_on": "2017-03-01"}])
    with pytest.raises(LedgerError, match="field 'report'"):
        lg.append([{"type": "report", "id": "r2", "town": TOWN, "period": "2017",
                    "report": "月报\u202e01", "due_on": "2017-01-10"}])


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)  # SQLite's reader, raw
def test_the_hot_path_and_the_general_road_agree_on_names(lg):
    conn = lg.store.conn
    for town in (TOWN, TOWN + " ", "\u3000" + TOWN, TOWN + "\u200b", "\u202e" + TOWN):
        rec = {"type": "finding", "id": "f-h", "town": town, "period": "2017",
               "clause": "B06.1", "occurred_on": "2017-03-01"}
        conn.execute("BEGIN")
        try:
            fast = Validator(StoreReader(conn))._plain_finding(rec)
            try:
                full = Validator(StoreReader(conn)).check_in_full(rec)
            except ValidationError as exc:
                full = str(exc)
        finally:
            conn.execute("ROLLBACK")
        assert fast is None or [fast] == full, town
        assert (fast is not None) == (town == TOWN)
        assert isinstance(full, str) == ("\u200b" in town or "\u202e" in town), (town, full)


@settings(max_examples=300)
@given(st.text(max_size=12))
def test_the_name_rules_are_idempotent_and_shown_names_are_printable(text):
    norm = normalise_name(text)
    assert normalise_name(norm) == norm and norm == norm.strip()
    assert norm == unicodedata.normalize("NFC", norm)
    try:
        name = check_name(text)
    except ValidationError as exc:
        assert not any(unicodedata.category(c) in ("Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp")
                       for c in str(exc)), "the message shows the name escaped"
        return
    assert name == norm and check_name(name) == name and name
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Co", "Cn", "Cs") for c in name)
    assert skeleton(name) == skeleton(skeleton(name))
