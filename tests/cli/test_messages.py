"""Messages a person can act on (issue 15, items 4, 5, 8): Chinese error lines by default,
did-you-mean for towns, periods and clauses, and a CLI that is forgiving about where
--db goes, a bare invocation and a closed pipe.

The corpus: every bad record of tests/importing/test_import_rules.py (CASES), provoked for
real through ``Ledger.append``, and the query errors of tests/cli/test_cli_contract.py;
each message must have a Chinese translation in ledger/text/messages.py.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import ledger
from ledger.text.messages import is_translated, translate

from importing.test_import_rules import CASES, DEAD, TOWN_EVENT, BASE, OCC, good
from support.scoring import (
    REPO, TOWN, Env, adopt, assert_one_error_line, finding, payment, retraction, run_cli, town,
    write_jsonl,
)

CJK = __import__("re").compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Real messages: each bad record appended after a good one, and bad queries."""
    e = Env(tmp_path_factory.mktemp("corpus") / "audit.db", towns=())
    e.append([town(TOWN, id=TOWN_EVENT), finding("B06.1", "2017-03-01", id=BASE, quantity=2),
              finding("A01.2", "2017-03-01", id=OCC), finding("B06.1", "2017-03-02", id=DEAD),
              payment("K-base", "2017-03-01", "2017-03-02", id="p-base")])
    e.append([retraction(DEAD, id="x-dead")])
    found = []
    for name, build, _field in CASES:
        with pytest.raises(ledger.LedgerError) as exc:
            e.lg.append([good(), build()])
        found.append((name, str(exc.value)))
    lg = e.lg
    queries = {
        "unknown town": lambda: lg.score("浮桥镇", "2017"),
        "no rubric for 2018": lambda: lg.score(TOWN, "2018"),
        "as_of not a date": lambda: lg.score(TOWN, "2017", as_of="2017-02-30"),
        "as_of outside": lambda: lg.score(TOWN, "2017", as_of="2019-01-01"),
        "as_of shape": lambda: lg.score(TOWN, "2017", as_of="20171231"),
        "known_at junk": lambda: lg.score(TOWN, "2017", known_at="yesterday"),
        "unknown rubric": lambda: lg.score(TOWN, "2017", rubric="no-such-rubric"),
        "unknown clause": lambda: lg.explain(TOWN, "2017", clause="Z9"),
        "bad source": lambda: lg.score(TOWN, "2017", source="town"),
        "bad digest": lambda: lg.verify("nonsense"),
        "no publication": lambda: lg.reproduce("pub-nope"),
        "missing file": lambda: lg.import_file(REPO / "nope.jsonl"),
        "unknown format": lambda: lg.import_file(REPO / "README.md"),
    }
    for name, call in queries.items():
        with pytest.raises(ledger.LedgerError) as exc:
            call()
        found.append((name, str(exc.value)))
    e.close()
    return found


def test_every_corpus_message_has_a_chinese_translation(corpus):
    missing = [(name, msg) for name, msg in corpus if not is_translated(msg)]
    assert not missing, "\n".join(f"{n}: {m}" for n, m in missing)
    for name, msg in corpus:
        zh = translate(msg)
        assert CJK.search(zh), (name, zh)
        assert "\n" not in zh
    assert len(corpus) >= len(CASES) + 10


def test_translation_keeps_where_and_which_field(corpus):
    by_name = dict(corpus)
    zh = translate(by_name["unknown clause"])
    assert zh == "评分标准 taicang-2017 中没有条款「Z9」"
    line = translate(by_name["quantity 0"])
    assert line.startswith("第 2 条记录：字段 quantity："), line
    assert translate("line 7: field 'occurred_on': '2017-13-01' is not a valid date") == \
        "第 7 行：字段 occurred_on：「2017-13-01」不是有效日期"


def test_unknown_message_is_kept_not_lost():
    assert translate("something new happened") == "（原文）something new happened"
    assert translate("something new", lang="en") == "something new"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    d = tmp_path_factory.mktemp("msg")
    path = d / "audit.db"
    src = write_jsonl(d / "seed.jsonl", [adopt(id="a-1"), town(TOWN, id="t-1"),
                                         town("浏河镇", id="t-2"), finding("B06.1", id="f-1")])
    assert run_cli("--db", path, "import", src).returncode == 0
    return path


def test_the_issue_example_in_chinese_by_default_and_english_on_request(db):
    line = assert_one_error_line(run_cli("--db", db, "score", "--town", "沙西镇", "--period", "2017"))
    assert line == "error: 未登记的镇「沙西镇」，是否指「沙溪镇」？"
    en = assert_one_error_line(run_cli("--db", db, "score", "--town", "沙西镇", "--period", "2017",
                                       "--lang", "en"))
    assert en.startswith("error: unknown town '沙西镇'") and en.endswith("did you mean '沙溪镇'?")


def test_unknown_town_period_and_clause_carry_suggestions(db):
    with ledger.open(db) as lg:
        with pytest.raises(ledger.UnknownTown) as t:
            lg.score("沙西镇", "2017")
        assert t.value.name == "沙西镇" and t.value.suggestions == ("沙溪镇",)
        with pytest.raises(ledger.UnknownPeriod) as p:
            lg.score(TOWN, "2071")
        assert p.value.suggestions == ("2017",)
        with pytest.raises(ledger.UnknownClause) as c:
            lg.explain(TOWN, "2017", clause="B06.9")
        assert "B06.1" in c.value.suggestions
        with pytest.raises(ledger.UnknownTown) as none:
            lg.score("完全不同的名字", "2017")
        assert none.value.suggestions == ()


def test_import_errors_suggest_too(db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("type,id,town,period,clause,occurred_on\n"
                   "finding,f-9,沙西镇,2017,B06.1,2017-03-01\n", encoding="utf-8")
    line = assert_one_error_line(run_cli("--db", db, "import", bad))
    assert line == ("error: 第 2 行：字段 town：未登记的镇「沙西镇」（请先导入 town 记录登记该镇），"
                    "是否指「沙溪镇」？"), line


def test_clause_ids_are_case_insensitive(db, tmp_path):
    src = write_jsonl(tmp_path / "lower.jsonl", [finding("b06.1", id="f-lower")])
    assert run_cli("--db", db, "import", src).returncode == 0
    with ledger.open(db) as lg:
        import json
        assert json.loads(lg.store.get("f-lower").payload)["clause"] == "B06.1"
        upper = lg.explain(TOWN, "2017", clause="B06.1")
        assert lg.explain(TOWN, "2017", clause="b06.1") == upper


def test_traditional_town_name_finds_its_simplified_registration(db):
    proc = run_cli("--db", db, "score", "--town", "瀏河鎮", "--period", "2017", "--json")
    assert proc.returncode == 0, proc.stderr_text
    assert '"town": "浏河镇"' in proc.stdout_text
    with ledger.open(db) as lg:
        assert lg.resolve_town("沙溪鎮") == "沙溪镇"
        assert lg.resolve_town("無此鎮") == "無此鎮"   # no registration: left as given


@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_db_after_the_subcommand(db):
    proc = run_cli("score", "--town", TOWN, "--period", "2017", "--db", db, "--json")
    assert proc.returncode == 0, proc.stderr_text
    assert run_cli("head", "--db", db).stdout_text == run_cli("--db", db, "head").stdout_text
    assert ":" in run_cli("head", "--db", db).stdout_text


def test_bare_invocation_prints_help_without_error():
    proc = run_cli()
    assert proc.returncode == 0 and proc.stderr_text == ""
    assert "Usage:" in proc.stdout_text and "import" in proc.stdout_text


def test_usage_errors_are_chinese_and_exit_2(db):
    line = assert_one_error_line(run_cli("--db", db, "score", "--period", "2017"), 2)
    assert line == "error: 缺少选项 --town（见 --help）"
    line = assert_one_error_line(run_cli("--db", db, "score", "--bogus"), 2)
    assert "没有选项 --bogus" in line


@pytest.mark.parametrize("reader", ["head -2", "true"])  # true: closed before a byte is read
def test_broken_pipe_exits_0_without_a_traceback(db, reader):
    cmd = (f"{sys.executable} -m ledger rubric show taicang-2017 | {reader}; "
           f"exit ${{PIPESTATUS[0]}}")
    proc = subprocess.run(["bash", "-c", cmd], capture_output=True, cwd=REPO, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert len(proc.stdout.splitlines()) == (2 if reader.startswith("head") else 0)
