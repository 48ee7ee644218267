"""`python -m ledger demo`: deterministic, self-contained, and its printed totals are the cards'."""

import json
import re
import subprocess
import sys

import pytest

import ledger
from ledger.demo import TOWNS, build_demo, demo_records


def run(cwd, *args):
    return subprocess.run([sys.executable, "-m", "ledger", *args], cwd=cwd, capture_output=True,
                          text=True)


def test_demo_in_a_fresh_dir_prints_the_cards_totals(tmp_path):
    result = run(tmp_path, "demo")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "demo.db").exists()
    board = {}
    for line in result.stdout.split("== 2017 scoreboard ==")[1].split("==")[0].splitlines():
        m = re.match(r"\s*(\d+)\s+(\S+)\s+([\d.]+)\s", line)
        if m:
            board[m.group(2)] = m.group(3)
    assert set(board) == set(TOWNS)
    for town, printed in board.items():
        card = json.loads(run(tmp_path, "--db", "demo.db", "score", "--town", town, "--period",
                              "2017", "--known-at", "2018-12-31", "--json").stdout)
        assert str(card["total"]) == printed or float(card["total"]) == float(printed), town
    assert "沙溪镇: traced card" in result.stdout and "python -m ledger --db" in result.stdout


@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_demo_rebuilds_its_own_ledger_but_never_another_file(tmp_path):
    assert run(tmp_path, "demo").returncode == 0
    again = run(tmp_path, "demo")
    assert again.returncode == 0
    other = tmp_path / "mine.db"
    with ledger.open(other) as lg:
        lg.append([{"type": "adopt", "id": "a", "period": "2017", "rubric": "taicang-2017"}])
    before = other.read_bytes()
    refused = run(tmp_path, "--db", "mine.db", "--lang", "en", "demo")
    assert refused.returncode == 1 and refused.stderr.startswith("error:")
    assert "not a demo ledger" in refused.stderr
    assert other.read_bytes() == before
    text = tmp_path / "notes.db"
    text.write_text("not a database", encoding="utf-8")
    assert run(tmp_path, "--db", "notes.db", "demo").returncode == 1
    assert text.read_text(encoding="utf-8") == "not a database"


def test_demo_is_deterministic_and_covers_what_it_promises(tmp_path):
    assert demo_records() == demo_records()
    a, b = build_demo(tmp_path / "a.db"), build_demo(tmp_path / "b.db")
    with ledger.open(a) as la, ledger.open(b) as lb:
        assert [e.payload for e in la.store.events()] == [e.payload for e in lb.store.events()]
        types = {e.type for e in la.store.events()}
        assert {"RecordRetracted", "FindingAmended", "PaymentRecorded", "ReportRecorded"} <= types
        board = la.scoreboard("2017", known_at="2018-12-31")
        assert any(s.vetoes and s.grade == "不合格" for s in board.towns)
        chengxiang = la.score("城厢镇", "2017", known_at="2018-12-31")
        d02 = chengxiang.line("D02.3")
        assert d02.amount == 0 and d02.zeroed  # the same project counted at its higher level
        assert chengxiang.line("D02.2").amount == 1
