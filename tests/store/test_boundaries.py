"""The layers hold: SQL of the ``events`` table lives in the store package alone, and
payloads are encoded and decoded only by the mapper and the codec."""

from __future__ import annotations

import re
from pathlib import Path

LEDGER = Path(__file__).resolve().parents[2] / "ledger"

EVENTS_SQL = re.compile(r"\b(FROM|INTO|JOIN|UPDATE|ON)\s+events\b", re.I)
# a payload decoded by hand (json.loads of a payload), or the codec used directly;
# json.loads of a proof or receipt file someone hands in is not payload decoding
PAYLOAD_CODING = re.compile(r"json_extract|json\.loads\([^)]*payload|codec\.(encode|decode)")


def sources(outside: tuple[str, ...]):
    for path in sorted(LEDGER.rglob("*.py")):
        rel = path.relative_to(LEDGER).as_posix()
        if not rel.startswith(outside):
            # comments may name what they avoid; code is what must not do it
            yield rel, "\n".join(line.split("#", 1)[0] for line in
                                 path.read_text(encoding="utf-8").splitlines())


def test_no_sql_on_the_events_table_outside_the_store():
    found = [(rel, m.group(0)) for rel, text in sources(("store/",))
             for m in EVENTS_SQL.finditer(text)]
    assert found == []


def test_no_payload_coding_outside_the_mapper_and_the_codec():
    found = [(rel, m.group(0)) for rel, text in sources(("store/", "events/codec.py"))
             for m in PAYLOAD_CODING.finditer(text)]
    assert found == []


def test_the_patterns_do_find_what_they_look_for():
    # the two checks above would pass on an empty tree: prove the patterns match real code
    store = (LEDGER / "store" / "sqlite.py").read_text(encoding="utf-8")
    mapper = (LEDGER / "store" / "mapper.py").read_text(encoding="utf-8")
    assert EVENTS_SQL.search(store) and PAYLOAD_CODING.search(mapper)


def test_the_sqlite_store_implements_every_method_of_the_recorder_protocol():
    from ledger.store import EventStore, Reader, Recorder, StoreReader

    for protocol, cls in ((Recorder, EventStore), (Reader, StoreReader)):
        wanted = {n for n in vars(protocol) if not n.startswith("_")} - {"listeners"}
        assert wanted and wanted <= set(dir(cls)), wanted - set(dir(cls))
