"""The mapper is the one road between stored rows and domain events: an upcaster
registered with the codec reaches replay, the read model, explain and the views."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import ledger
from ledger import readmodel
from ledger.events import FindingRecorded, codec
from ledger.exports.views import create_views
from support.scoring import Clock, adopt, finding, town

ROOT = Path(__file__).resolve().parents[2]


def v1_to_v2(data: dict) -> dict:
    """A made-up v2 of FindingRecorded: clause B06.1 was renumbered B06.3, and the note
    gained a prefix. Old rows are read as v2 by every reader, or by none."""
    data = dict(data)
    if data["clause"] == "B06.1":
        data["clause"] = "B06.3"
    data["note"] = "v1: " + data.get("note", "")
    return data


def test_an_upcaster_reaches_replay_the_read_model_explain_and_the_views(tmp_path, monkeypatch):
    path = tmp_path / "audit.db"
    with ledger.open(path, clock=Clock()) as lg:
        lg.append([adopt(id="a"), town(id="t"),
                   finding("B06.1", id="f1", quantity=2, note="公示少一次")])
        before = lg.score("沙溪镇", "2017")
    assert before.line("B06.1") is not None

    monkeypatch.setattr(FindingRecorded, "schema_version", 2)
    monkeypatch.setitem(codec._upcasters, ("FindingRecorded", 1), v1_to_v2)
    with ledger.open(path) as lg:
        readmodel.rebuild(lg.store)  # derived data is rebuilt through the mapper
        fast, replayed = lg.score("沙溪镇", "2017"), lg.score("沙溪镇", "2017", replay=True)
        assert fast.to_dict() == replayed.to_dict()
        assert fast.line("B06.1") is None and fast.line("B06.3").events == ("f1",)
        # B06.3 deducts 0.1 per place, like B06.1 per case: the amount is the same, the
        # clause is the upcast one
        tree = lg.explain("沙溪镇", "2017", clause="B06.3")
        assert "f1" in str(tree) and "v1: 公示少一次" in str(tree)
        event = next(lg.events(type="FindingRecorded"))
        assert (event.clause, event.note) == ("B06.3", "v1: 公示少一次")
        create_views(lg)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT clause, note FROM findings WHERE id = 'f1'").fetchall() == \
        [("B06.3", "v1: 公示少一次")]
    conn.close()


APPEND_ONE = """
import sys, ledger
with ledger.open(sys.argv[1]) as lg:
    lg.append([{"type": "finding", "id": sys.argv[2], "town": "沙溪镇", "period": "2017",
                "clause": "B06.1", "occurred_on": "2017-04-01"}])
"""


def test_publish_after_another_process_appended_keeps_the_read_model(tmp_path):
    path = tmp_path / "audit.db"
    with ledger.open(path) as lg:
        lg.append([adopt(id="a"), town(id="t"), finding("B06.1", id="f1")])
        first = lg.publish("2017", town="沙溪镇")
        subprocess.run([sys.executable, "-c", APPEND_ONE, str(path), "f2"], check=True,
                       cwd=ROOT)
        second = lg.publish("2017", town="沙溪镇")
        assert first.id != second.id
        # the read model caught up with the other process's event and is still in use
        assert lg._fresh_read_model()
        assert readmodel.applied_seq(lg.store.conn) == lg.head().seq
        assert lg.score("沙溪镇", "2017").to_dict() == \
            lg.score("沙溪镇", "2017", replay=True).to_dict()
        assert lg.reproduce(first.id).matches and lg.reproduce(second.id).matches
