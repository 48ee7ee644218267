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


def _board(stdout: str, heading: str) -> dict:
    board = {}
    for line in stdout.split(heading)[1].split("==")[0].splitlines():
        m = re.match(r"\s*(\d+)\s+(\S+)\s+([\d.]+)\s", line)
        if m:
            board[m.group(2)] = m.group(3)
    return board


@pytest.mark.slow  # over a second (a real program or several CLI runs)
def test_demo_in_a_fresh_dir_prints_the_cards_totals(tmp_path):
    result = run(tmp_path, "demo")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "demo.db").exists()
    board = _board(result.stdout, "== 2017 年度评价结果 ==")
    assert set(board) == set(TOWNS)
    for town, printed in board.items():
        card = json.loads(run(tmp_path, "--db", "demo.db", "score", "--town", town, "--period",
                              "2017", "--known-at", "2018-12-31", "--json").stdout)
        assert str(card["total"]) == printed or float(card["total"]) == float(printed), town
    assert "python -m ledger --db" in result.stdout


def test_demo_frames_its_output_in_chinese_and_in_english_on_request(tmp_path):
    zh = run(tmp_path, "demo")
    assert zh.returncode == 0, zh.stderr
    first = zh.stdout.splitlines()[0]
    assert re.fullmatch(r"演示账本：demo\.db（\d+ 条事件，哈希链已核对）", first), first
    assert "== 沙溪镇：评分卡（每项扣分及其依据） ==" in zh.stdout and "进一步查看：" in zh.stdout
    assert "名次" in zh.stdout and "二级指标" in zh.stdout
    for english in ("demo ledger", "scoreboard ==", "traced card", "Explore further",
                    "chain verified"):
        assert english not in zh.stdout, english
    en = run(tmp_path, "demo", "--lang", "en")
    assert en.returncode == 0, en.stderr
    assert re.fullmatch(r"demo ledger: demo\.db \(\d+ events, chain verified\)",
                        en.stdout.splitlines()[0])
    assert "== 沙溪镇: traced card ==" in en.stdout and "Explore further:" in en.stdout
    assert "rank" in en.stdout and "indicator" in en.stdout
    assert not re.search(r"演示|评价结果|评分卡|进一步|名次|二级指标", en.stdout)
    assert _board(en.stdout, "== 2017 scoreboard ==") == _board(zh.stdout, "== 2017 年度评价结果 ==")
    # the suggested commands keep the reader's language
    assert "scoreboard --period 2017 --lang en" in zh.stdout
    assert "verify --lang en" in en.stdout and "verify --lang en" not in zh.stdout


@pytest.mark.slow  # over a second (a real program or several CLI runs)
def test_rubric_check_in_chinese_and_in_english(tmp_path):
    from ledger.rubric import load_bundled
    from support.scoring import REPO, run_cli
    path = REPO / "ledger" / "rubric" / "bundled" / "taicang" / "2017.toml"
    sha = load_bundled("taicang-2017").sha256
    zh = run_cli("rubric", "check", path)
    assert zh.returncode == 0, zh.stderr_text
    assert zh.stdout_text == f"ok: taicang-2017（27 个指标，65 个条款，4 项一票否决，sha256 {sha}）\n"
    want_en = f"ok: taicang-2017 (27 indicators, 65 clauses, 4 vetoes, sha256 {sha})\n"
    assert run_cli("rubric", "check", path, "--lang", "en").stdout_text == want_en
    assert run_cli("rubric", "check", path, english=True).stdout_text == want_en  # LEDGER_LANG=en
    bad = tmp_path / "bad.toml"
    bad.write_text(path.read_text(encoding="utf-8").replace('id = "taicang-2017"', "id = 7", 1),
                   encoding="utf-8")
    from support.scoring import assert_one_error_line
    line = assert_one_error_line(run_cli("rubric", "check", bad))
    assert line == f"error: {bad}: header: id：应为文本，而不是整数 7", line
    en = assert_one_error_line(run_cli("rubric", "check", bad, "--lang", "en"))
    assert en == f"error: {bad}: header: id: expected a string, got integer 7", en


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
