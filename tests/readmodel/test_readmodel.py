"""The read model is a cache: always equal to a full replay, rebuildable from the events.

Every test runs on both backends: a SQLite file, then a PostgreSQL database.
"""

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ledger
from ledger import readmodel
from ledger.store.backends import copy_ledger, open_store
from ledger.store.postgres import is_postgres_url
from support.backends import BACKENDS, ledger_location

TOWNS = ["沙溪镇", "浏河镇"]
CLAUSES = ["A01.2", "B06.1", "B07.1", "A03.1", "B04.2", "D02.1", "D02.3", "D01.1", "V1", "A04.1"]


class Clock:
    def __init__(self):
        self.now = datetime(2018, 1, 1, tzinfo=timezone.utc)

    def __call__(self):
        self.now += timedelta(hours=1)
        return self.now


def setup(lg):
    lg.append([{"type": "adopt", "id": "a", "period": "2017", "rubric": "taicang-2017"}]
              + [{"type": "town", "id": f"t{i}", "name": t} for i, t in enumerate(TOWNS)])


def finding(i, town, clause, day, qty, rate, source):
    rec = {"type": "finding", "id": f"f{i}", "town": town, "period": "2017", "clause": clause,
           "occurred_on": day.isoformat(), "source": source}
    if clause == "A04.1" and day < date(2017, 7, 31):
        rec["occurred_on"] = "2017-08-01"
    if clause in ("B06.1", "A03.1"):
        rec["quantity"] = qty
    if clause == "B04.2":
        rec["value"] = str(rate)
    if clause.startswith("D02"):
        rec["project"] = f"p{qty % 2}"
    if clause.startswith("D0"):  # contract v2: bonuses need their evidence
        rec["evidence"] = ["依据文件"]
    return rec


steps = st.lists(st.tuples(
    st.sampled_from(["finding", "finding", "finding", "retract", "amend", "payment", "report"]),
    st.sampled_from(TOWNS), st.sampled_from(CLAUSES),
    st.dates(date(2017, 1, 1), date(2017, 12, 31)), st.integers(1, 4),
    st.decimals(min_value=90, max_value=100, places=1), st.sampled_from(["city", "city", "self"]),
    st.integers(0, 12)), min_size=1, max_size=30)


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=25)
@given(steps=steps, cut=st.integers(0, 40), as_of=st.dates(date(2017, 1, 1), date(2018, 2, 28)))
@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_read_model_card_equals_full_replay(request, tmp_path_factory, backend, steps, cut, as_of):
    server = request.getfixturevalue("pg_server") if backend == "postgresql" else None
    with ledger_location(backend, tmp_path_factory.mktemp("rm"), server) as where, \
            ledger.open(where, clock=Clock()) as lg:
        setup(lg)
        made, batch = [], []
        for i, (kind, town, clause, day, qty, rate, source, delay) in enumerate(steps):
            if kind == "finding":
                rec = finding(i, town, clause, day, qty, rate, source)
                made.append(rec)
            elif kind in ("retract", "amend") and made:
                target = made.pop(qty % len(made))
                if kind == "retract":
                    rec = {"type": "retraction", "id": f"x{i}", "finding": target["id"], "reason": "r"}
                elif target["clause"] == "B04.2":
                    rec = {"type": "amendment", "id": f"x{i}", "finding": target["id"],
                           "value": str(rate), "reason": "r"}
                elif target["clause"] in ("B06.1", "A03.1"):
                    rec = {"type": "amendment", "id": f"x{i}", "finding": target["id"],
                           "quantity": qty, "reason": "r"}
                    made.append(target)
                else:
                    continue
            elif kind == "payment":
                rec = {"type": "payment", "id": f"p{i}", "town": town, "period": "2017",
                       "case": f"c{qty}", "approved_on": day.isoformat(),
                       "paid_on": (day + timedelta(days=delay)).isoformat()}
            elif kind == "report":
                rec = {"type": "report", "id": f"r{i}", "town": town, "period": "2017",
                       "report": f"r{qty}", "due_on": day.isoformat(),
                       "submitted_on": (day + timedelta(days=delay)).isoformat()}
            else:
                continue
            batch.append(rec)
            if len(batch) == 3:  # a few transactions, so known_at can cut between them
                lg.append(batch)
                batch = []
        lg.append(batch)
        assert lg.read_model_problem is None  # the cards below read the read model
        stamps = [e.recorded_at for e in lg.store.events()][len(TOWNS):]
        known = stamps[min(cut, len(stamps) - 1)]
        for town in TOWNS:
            for source in ("city", "self"):
                fast = lg.score(town, "2017", as_of=as_of, known_at=known, source=source)
                slow = lg.score(town, "2017", as_of=as_of, known_at=known, source=source,
                                replay=True)
                assert fast == slow
                assert fast.to_dict() == slow.to_dict()


def tables(conn):
    return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3").fetchall()
            for t in ("rm_findings", "rm_corrections", "rm_facts")}


def test_rebuild_gives_the_same_tables(tmp_path, ledger_url):
    from ledger.demo import build_demo
    path = build_demo(tmp_path / "demo.db")
    if is_postgres_url(ledger_url):
        copy_ledger(str(path), ledger_url)  # the demo's very events, on PostgreSQL
        path = ledger_url
    with ledger.open(path) as lg:
        before = tables(lg.store.conn)
        assert before["rm_findings"] and before["rm_corrections"] and before["rm_facts"]
        assert readmodel.rebuild(lg.store) == lg.head().seq
        assert tables(lg.store.conn) == before
        lg.verify()


def test_events_appended_without_the_read_model_are_caught_up(tmp_path, ledger_url):
    path = ledger_url
    with ledger.open(path) as lg:
        setup(lg)
        lg.append([finding(1, "沙溪镇", "B06.1", date(2017, 3, 1), 2, 100, "city")])
    # another tool appends through the bare store, which knows no read model
    store = open_store(path)
    with ledger.open(tmp_path / "scratch.db") as scratch:
        setup(scratch)
        scratch.append([finding(2, "沙溪镇", "B06.1", date(2017, 4, 1), 3, 100, "city")])
        foreign = next(e for e in scratch.store.events() if e.id == "f2")
    from ledger.store import NewEvent
    store.append(lambda reader: [NewEvent(foreign.id, foreign.type, foreign.schema_version,
                                          foreign.town, foreign.period, foreign.occurred_on,
                                          foreign.refers_to, foreign.actor, foreign.payload)])
    store.close()
    with ledger.open(path) as lg:
        card = lg.score("沙溪镇", "2017")
        assert card.line("B06.1").events == ("f1", "f2")
        assert str(card.line("B06.1").amount) == "0.5"
        assert card == lg.score("沙溪镇", "2017", replay=True)


def test_an_older_read_model_layout_is_rebuilt(ledger_url):
    path = ledger_url
    with ledger.open(path) as lg:
        setup(lg)
        lg.append([finding(1, "沙溪镇", "B06.1", date(2017, 3, 1), 2, 100, "city")])
        lg.store.conn.execute("UPDATE rm_state SET value = 1 WHERE key = 'version'")
        lg.store.conn.execute("DELETE FROM rm_findings")  # a stale cache must not be trusted
    with ledger.open(path) as lg:
        assert str(lg.score("沙溪镇", "2017").line("B06.1").amount) == "0.2"
