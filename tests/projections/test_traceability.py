"""Explain, history, diff, publish/reproduce, appeals, self vs city, period close."""

import json
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

import ledger

from support.backends import backend_at, demo_into, execute_raw

SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_ff6bc83b88124ad4.txt"
RUBRIC = Path(__file__).resolve().parents[2] / "rubrics" / "taicang" / "2017.toml"
T = "沙溪镇"


class Clock:
    """Recording time under test control: each call moves one second on."""

    def __init__(self, start=datetime(2017, 2, 1, tzinfo=timezone.utc)):
        self.now = start

    def __call__(self):
        self.now += timedelta(seconds=1)
        return self.now


def f(fid, clause, day, **extra):
    return {"type": "finding", "id": fid, "town": T, "period": "2017", "clause": clause,
            "occurred_on": day, **extra}


@pytest.fixture
def lg(ledger_url):
    clock = Clock()
    with ledger.open(ledger_url, clock=clock) as lg:
        lg.clock_under_test = clock
        lg.append([{"type": "adopt", "id": "adopt", "period": "2017", "rubric": "taicang-2017"},
                   {"type": "town", "id": "t1", "name": T},
                   {"type": "town", "id": "t2", "name": "浏河镇"}])
        yield lg


def stamp(lg, event_id):
    return lg.store.get(event_id).recorded_at


def test_explain_quotes_the_seed_and_traces_every_event(lg):
    lg.append([f("h1", "B06.1", "2017-03-01", quantity=3, note="少一次公示",
                 evidence=["照片1", "台账p.3"], actor="核查组"),
               f("h2", "B06.1", "2017-04-01"),
               {"type": "payment", "id": "p1", "town": T, "period": "2017", "case": "临救-1",
                "approved_on": "2017-09-29", "paid_on": "2017-10-13"}])
    lg.append([{"type": "amendment", "id": "a1", "finding": "h1", "quantity": 2,
                "reason": "复核核减"}])
    tree = lg.explain(T, "2017")
    b06 = next(i for i in tree["indicators"] if i["id"] == "B06")
    line = b06["clauses"][0]
    seed = "".join(SEED.read_text(encoding="utf-8").split()) if SEED.exists() else None
    if seed is not None:
        assert line["text"] in seed and b06["requirement"].replace(" ", "") in seed
    assert line["text"] == "少一次公示每例扣0.1分"
    assert line["amount"] == Decimal("0.3") and line["quantity"] == 3
    h1 = line["events"][0]
    assert (h1["id"], h1["quantity"], h1["note"], h1["evidence"], h1["actor"]) == \
        ("h1", 2, "少一次公示", ["照片1", "台账p.3"], "核查组")
    assert h1["occurred_on"] == "2017-03-01" and h1["recorded_at"] == stamp(lg, "h1")
    assert h1["corrections"][0]["id"] == "a1" and h1["corrections"][0]["reason"] == "复核核减"
    c02 = next(i for i in lg.explain(T, "2017", clause="C02.1")["indicators"])
    fact = c02["clauses"][0]["events"][0]
    # approved Fri 09-29, National Day week: the 5th working day is 10-12, paid 10-13
    assert (fact["start"], fact["deadline"], fact["done_on"]) == \
        ("2017-09-29", "2017-10-12", "2017-10-13")
    where = str(lg.store.path or lg.store.url)  # a file, or a postgresql:// URL
    text = subprocess.run([sys.executable, "-m", "ledger", "--db", where, "explain",
                           "--town", T, "--period", "2017"], capture_output=True, text=True)
    assert text.returncode == 0 and "「少一次公示每例扣0.1分」" in text.stdout
    assert "复核核减" in text.stdout and "2017-10-12" in text.stdout


def test_explain_of_an_unknown_clause_is_an_error(lg):
    with pytest.raises(ledger.LedgerError, match="unknown clause 'Z9'"):
        lg.explain(T, "2017", clause="Z9")


def test_history_rows_add_up_to_the_final_card(lg):
    lg.append([f("h1", "B06.1", "2017-03-01", quantity=3)])
    lg.append([f("h2", "B07.1", "2017-05-01")])
    lg.append([f("h3", "A01.2", "2017-06-01", source="self")])  # self: changes nothing
    lg.append([{"type": "retraction", "id": "x1", "finding": "h2", "reason": "错误"}])
    rows = lg.history(T, "2017")
    assert [r.event for r in rows] == ["adopt", "h1", "h2", "x1"]
    assert rows[1].changes[0].clause == "B06.1" and rows[1].changes[0].effect == Decimal("-0.3")
    assert rows[3].delta == Decimal("0.5")
    assert rows[0].total + sum(r.delta for r in rows[1:]) == lg.score(T, "2017").total
    assert rows[-1].total == Decimal("99.7")


def test_diff_between_two_known_at_is_the_difference_of_the_cards(lg):
    lg.append([f("h1", "B06.1", "2017-03-01", quantity=3), f("h2", "B07.1", "2017-05-01")])
    early = stamp(lg, "h2")
    lg.append([{"type": "retraction", "id": "x1", "finding": "h2", "reason": "错误"},
               f("h4", "A01.2", "2017-06-01")])
    late = stamp(lg, "h4")
    d = lg.diff(T, "2017", {"known_at": early}, {"known_at": late})
    before, after = lg.score(T, "2017", known_at=early), lg.score(T, "2017", known_at=late)
    assert d["total"]["delta"] == after.total - before.total == Decimal("0")
    lines = {line["clause"]: line for line in d["lines"]}
    assert set(lines) == {"B07.1", "A01.2"}
    assert lines["B07.1"]["status"] == "vanished" and lines["B07.1"]["events"] == ["h2", "x1"]
    assert lines["A01.2"]["status"] == "appeared" and lines["A01.2"]["after"] == Decimal("0.5")
    for clause, line in lines.items():
        b, a = before.line(clause), after.line(clause)
        assert line["after"] - line["before"] == (a.amount if a else 0) - (b.amount if b else 0)


def test_diff_between_rubric_editions_names_the_rule_change(lg):
    lg.append([f("h1", "B06.1", "2017-03-01", quantity=3)])
    revised = Path(__file__).resolve().parents[1] / "support" / "fixtures" / "rubrics" / "taicang-2017-revised.toml"
    d = lg.diff(T, "2017", {"rubric": None}, {"rubric": str(revised)})
    (line,) = d["lines"]
    assert (line["clause"], line["before"], line["after"]) == ("B06.1", Decimal("0.3"), Decimal("0.6"))
    assert "amount=0.1" in line["rubric"]["before"] and "amount=0.2" in line["rubric"]["after"]


def test_scoreboard_diff_shows_rank_changes(lg):
    lg.append([f("h1", "B07.1", "2017-03-01")])
    early = stamp(lg, "h1")
    lg.append([{"type": "finding", "id": "l1", "town": "浏河镇", "period": "2017",
                "clause": "A01.1", "occurred_on": "2017-04-01"}])
    d = lg.diff(None, "2017", {"known_at": early}, {"known_at": stamp(lg, "l1")})
    rows = {r["town"]: r for r in d["towns"]}
    assert rows["浏河镇"]["rank_before"] == 1 and rows["浏河镇"]["rank_after"] == 2
    assert rows[T]["rank_before"] == 2 and rows[T]["rank_after"] == 1


def test_publish_then_more_events_then_reproduce_still_matches(lg, tmp_path):
    lg.append([f("h1", "B06.1", "2017-03-01", quantity=3)])
    pub = lg.publish("2017", town=T)
    board = lg.publish("2017")
    lg.append([f("h2", "A01.1", "2017-05-01"),
               {"type": "retraction", "id": "x1", "finding": "h1", "reason": "申诉后撤销"}])
    assert lg.score(T, "2017").total != Decimal("99.7")
    r = lg.reproduce(pub.id)
    assert r.matches and r.sha256 == pub.sha256
    assert json.loads(r.recomputed)["total"] == 99.7
    assert lg.reproduce(board.id).matches
    stored = lg.store.get(pub.id)
    assert stored.type == "ScorePublished" and pub.sha256 in stored.payload
    with pytest.raises(ledger.LedgerError, match="no publication"):
        lg.reproduce("pub-nope")


def test_reproduce_uses_the_rubric_in_the_ledger_not_the_file_on_disk(ledger_url, tmp_path):
    rubric = tmp_path / "taicang.toml"
    shutil.copy(RUBRIC, rubric)
    path = ledger_url
    with ledger.open(path, clock=Clock()) as lg:
        lg.append([{"type": "adopt", "id": "adopt", "period": "2017", "rubric": str(rubric)},
                   {"type": "town", "id": "t1", "name": T}, f("h1", "B06.1", "2017-03-01")])
        pub = lg.publish("2017", town=T)
    rubric.write_text(rubric.read_text(encoding="utf-8").replace(
        'id = "B06.1"', 'id = "B06.1"\nnote = "changed on disk"'), encoding="utf-8")
    rubric.unlink()  # gone altogether: the ledger holds the text
    result = subprocess.run([sys.executable, "-m", "ledger", "--db", str(path), "--lang", "en", "reproduce",
                             pub.id], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert pub.sha256 in result.stdout


def test_reproduce_fails_loudly_when_the_events_changed(ledger_url):
    path = ledger_url
    with ledger.open(path, clock=Clock()) as lg:
        lg.append([{"type": "adopt", "id": "adopt", "period": "2017", "rubric": "taicang-2017"},
                   {"type": "town", "id": "t1", "name": T}, f("h1", "B06.1", "2017-03-01")])
        pub = lg.publish("2017", town=T)
    # someone with the file (the database's superuser) rewrites a finding behind the
    # guards' back
    backend_at(path).tamper("UPDATE events SET payload = replace(payload, ?, ?) WHERE id = 'h1'",
                            params=('"quantity":1', '"quantity":5'))
    result = subprocess.run([sys.executable, "-m", "ledger", "--db", str(path), "--lang", "en", "reproduce",
                             pub.id], capture_output=True, text=True)
    assert result.returncode == 1 and result.stderr.startswith("error:")
    assert "does not reproduce" in result.stderr


def test_reproduce_reads_the_events_never_the_read_model(ledger_url):
    path = ledger_url
    with ledger.open(path, clock=Clock()) as lg:
        lg.append([{"type": "adopt", "id": "adopt", "period": "2017", "rubric": "taicang-2017"},
                   {"type": "town", "id": "t1", "name": T}, f("h1", "B06.1", "2017-03-01")])
        pub = lg.publish("2017", town=T)
    execute_raw(path, "UPDATE rm_findings SET quantity = 5 WHERE id = 'h1'")  # a forged cache
    with ledger.open(path) as lg:
        again = lg.reproduce(pub.id)
    assert again.matches and again.recomputed == pub.content


def test_an_upheld_appeal_carries_its_effect_and_shows_in_diff_and_history(lg):
    lg.append([f("h1", "B07.1", "2017-03-01"), f("h2", "B06.1", "2017-04-01", quantity=4)])
    before = stamp(lg, "h2")
    lg.append([{"type": "appeal", "id": "ap1", "town": T, "period": "2017",
                "findings": ["h1", "h2"], "grounds": "已整改，系重复记录"}])
    lg.append([{"type": "appeal_decision", "id": "d1", "appeal": "ap1", "outcome": "partly",
                "reason": "h1 属实撤销，h2 核减为1户", "decided_by": "市民政局",
                "retractions": ["h1"], "amendments": [{"finding": "h2", "quantity": 1}]}])
    decided = lg.store.get("d1")
    effects = [lg.store.get("d1/retract/h1"), lg.store.get("d1/amend/h2")]
    assert [e.seq for e in effects] == [decided.seq + 1, decided.seq + 2]  # one transaction
    assert all("申诉决定 d1" in e.payload for e in effects)
    assert lg.score(T, "2017").total == Decimal("99.9")
    d = lg.diff(T, "2017", {"known_at": before}, {"known_at": effects[-1].recorded_at})
    lines = {line["clause"]: line for line in d["lines"]}
    assert "d1/retract/h1" in lines["B07.1"]["events"]
    assert "d1/amend/h2" in lines["B06.1"]["events"]
    assert [r.event for r in lg.history(T, "2017")][-2:] == ["d1/retract/h1", "d1/amend/h2"]


@pytest.mark.parametrize("decision, message", [
    ({"outcome": "rejected", "retractions": ["h1"]}, "a rejected appeal changes no finding"),
    ({"outcome": "upheld"}, "must carry the retractions"),
    ({"outcome": "upheld", "retractions": ["h9"]}, "was not part of appeal"),
    ({"outcome": "maybe"}, "must be one of"),
])
def test_bad_appeal_decisions_are_refused(lg, decision, message):
    lg.append([f("h1", "B07.1", "2017-03-01"), f("h9", "B07.1", "2017-03-02"),
               {"type": "appeal", "id": "ap1", "town": T, "period": "2017", "findings": ["h1"],
                "grounds": "g"}])
    head = lg.head()
    with pytest.raises(ledger.LedgerError, match=message):
        lg.append([{"type": "appeal_decision", "id": "d1", "appeal": "ap1", "reason": "r",
                    "decided_by": "市民政局", **decision}])
    assert lg.head() == head


def test_compare_self_and_city_on_a_hand_made_case(lg):
    lg.append([f("c1", "B06.1", "2017-03-01", quantity=3),
               f("s1", "B06.1", "2017-03-01", quantity=1, source="self"),
               f("c2", "A01.2", "2017-04-01"),
               f("s2", "B08.3", "2017-12-01", source="self")])
    d = lg.compare(T, "2017")
    rows = {r["clause"]: r for r in d["clauses"]}
    assert set(rows) == {"B06.1", "A01.2", "B08.3"}
    assert (rows["B06.1"]["self"], rows["B06.1"]["city"]) == (Decimal("0.1"), Decimal("0.3"))
    assert (rows["A01.2"]["self"], rows["A01.2"]["city"]) == (Decimal(0), Decimal("0.5"))
    assert (rows["B08.3"]["self"], rows["B08.3"]["city"]) == (Decimal(2), Decimal(0))
    assert d["self_total"] == Decimal("97.9") and d["city_total"] == Decimal("99.2")


def test_writes_after_close_are_refused_except_through_an_appeal(lg):
    lg.append([f("h1", "B07.1", "2017-03-01")])
    lg.close_period("2017")
    head = lg.head()
    for rec in (f("h2", "B06.1", "2017-05-01"),
                {"type": "retraction", "id": "x1", "finding": "h1", "reason": "r"},
                {"type": "payment", "id": "p1", "town": T, "period": "2017", "case": "c",
                 "approved_on": "2017-05-02"}):
        with pytest.raises(ledger.LedgerError, match="closed by event 'close-2017'.*appeal"):
            lg.append([rec])
    assert lg.head() == head
    with pytest.raises(ledger.LedgerError, match="already closed"):
        lg.close_period("2017", event_id="close-again")
    lg.append([{"type": "appeal", "id": "ap1", "town": T, "period": "2017", "findings": ["h1"],
                "grounds": "g"},
               {"type": "appeal_decision", "id": "d1", "appeal": "ap1", "outcome": "upheld",
                "reason": "r", "decided_by": "市民政局", "retractions": ["h1"]}])
    assert lg.score(T, "2017").total == Decimal(100)


def test_history_rows_equal_the_card_at_each_known_at(ledger_url, tmp_path):
    """History rescores only what each event touches: every row must still equal a full
    card at that moment (demo ledger: retraction, amendment, facts, bonus, veto)."""
    path = demo_into(ledger_url, tmp_path)
    with ledger.open(path) as lg:
        for town in ("沙溪镇", "城厢镇", "璜泾镇"):
            rows = lg.history(town, "2017")
            assert len(rows) > 5
            for row in rows[1:]:  # the first row is the adoption, before the town existed
                card = lg.score(town, "2017", known_at=row.recorded_at, replay=True)
                assert (row.total, row.grade) == (card.total, card.grade), (town, row.event)
            assert rows[-1].total == lg.score(town, "2017").total
