"""The command line as other tools see it: `python -m ledger` run as a subprocess.

Contract (spec/interchange.md): `--json` prints the contract objects on stdout; errors
are one stderr line beginning `error:` with exit 1 (2 for a usage error); never a
traceback for bad input. The CLI records the real time, so these tests use known_at only
where the outcome does not depend on the wall clock.
"""

from __future__ import annotations

import json
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import ledger

from support.scoring import (
    BUNDLED_FILE,
    PERIOD,
    TOWN,
    adopt,
    assert_one_error_line,
    finding,
    payment,
    report,
    run_cli,
    sha256_of,
    town,
    write_jsonl,
)

D = Decimal
CARD_KEYS = {"town", "period", "rubric", "as_of", "known_at", "base", "bonus", "total", "grade",
             "vetoes", "indicators"}
BOARD_KEYS = {"period", "as_of", "known_at", "towns"}
STANDING_KEYS = {"rank", "town", "total", "grade", "vetoes"}
DIGEST = re.compile(r"\d+:[0-9a-f]{64}")
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")

# three towns; 甲 U+7532, 乙 U+4E59, 丙 U+4E19 (code-point order 丙 < 乙 < 甲)
JIA, YI, BING = "甲镇", "乙镇", "丙镇"


def jsonl(path, records):
    return write_jsonl(path, records)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """A ledger built through `import` (one subprocess), shared read-only by the tests."""
    d = tmp_path_factory.mktemp("cli")
    path = d / "audit.db"
    recs = [adopt(id="a-1"), town(TOWN, id="t-1"), town(JIA, id="t-2"), town(YI, id="t-3"),
            town(BING, id="t-4"),
            # 沙溪镇: B06.1 × 3 (0.3), A01.2 (0.5), late payment (0.1), report 4 working days
            # late (0.4), D02.3 project P (+0.5): base 100 - 1.3 = 98.7, bonus 0.5, total 99.2
            finding("B06.1", quantity=3, id="f-1"),
            finding("A01.2", id="f-2"),
            payment("K-1", "2017-09-29", "2017-10-13", id="p-1"),
            report("1月报表", "2017-01-25", "2017-02-06", id="r-1"),
            finding("D02.3", "2017-04-01", project="P", id="f-3", evidence=["依据文件"]),
            # 甲镇 and 乙镇 tie at 99 (A01.2 ×2 / B07.1 ×2), 丙镇 98 (A01.1), 丙镇 also vetoed
            finding("A01.2", town=JIA, id="f-4"), finding("A01.2", "2017-05-01", town=JIA,
                                                          id="f-5"),
            finding("B07.1", town=YI, quantity=2, id="f-6"),
            finding("A01.1", town=BING, id="f-7"), finding("V4", "2017-06-01", town=BING,
                                                           id="f-8")]
    src = jsonl(d / "seed.jsonl", recs)
    proc = run_cli("--db", path, "import", src)
    assert proc.returncode == 0, proc.stderr_text
    assert "Traceback" not in proc.stderr_text
    return path


def score_json(db, *extra):
    proc = run_cli("--db", db, "score", "--town", TOWN, "--period", PERIOD, "--json", *extra)
    assert proc.returncode == 0, proc.stderr_text
    assert "Traceback" not in proc.stderr_text
    return proc, json.loads(proc.stdout_text, parse_float=Decimal)


def test_score_json_contract_and_totals(db):
    proc, data = score_json(db)
    assert set(data) in (CARD_KEYS, CARD_KEYS | {"unscored"})
    assert data["town"] == TOWN and data["period"] == PERIOD
    assert data["rubric"] == {"id": "taicang-2017", "sha256": sha256_of(BUNDLED_FILE)}
    assert data["as_of"] == "2018-02-28"  # contract v2 default: the assessment window's end
    assert STAMP.fullmatch(data["known_at"])
    # hand: base 100 - 0.3 - 0.5 - 0.1 - 0.4 = 98.7; bonus 0.5; total 99.2; 优秀
    assert (data["base"], data["bonus"], data["total"]) == (D("98.7"), D("0.5"), D("99.2"))
    assert data["grade"] == "优秀" and data["vetoes"] == []
    ind = {i["id"]: i for i in data["indicators"]}
    assert len(ind) == 27
    assert ind["C02"]["clauses"] == [{"id": "C02.1", "amount": D("0.1"), "events": ["p-1"]}]
    assert ind["A09"]["clauses"] == [{"id": "A09.1", "amount": D("0.4"), "events": ["r-1"]}]
    assert ind["A09"]["score"] == D("2.6")
    assert '"total": 99.2' in proc.stdout_text
    # the API gives the same card
    with ledger.open(db) as lg:
        card = lg.score(TOWN, PERIOD)
        api = json.loads(json.dumps(card.to_dict(), default=str), parse_float=Decimal)
    assert (card.base, card.bonus, card.total, card.grade) == (
        data["base"], data["bonus"], data["total"], data["grade"])
    assert [(i["id"], D(str(i["score"]))) for i in api["indicators"]] == \
        [(i["id"], i["score"]) for i in data["indicators"]]


def test_score_json_as_of_and_known_at_date(db):
    # as_of 2017-06-30: only B06.1, A01.2, the report (4 days) and D02.3 -> 98.8 + 0.5 = 99.3.
    # known_at "2099-01-01" (a bare date, the end of that day in Shanghai).
    _, data = score_json(db, "--as-of", "2017-06-30", "--known-at", "2099-01-01")
    assert data["as_of"] == "2017-06-30"
    assert data["known_at"] == "2099-01-01T15:59:59.999999Z"
    assert data["total"] == D("99.3")


def test_score_json_source_self(db):
    _, data = score_json(db, "--source", "self")
    # no self findings; facts count in both: 100 - 0.1 - 0.4 = 99.5
    assert data["total"] == D("99.5") and data["bonus"] == D(0)


def test_scoreboard_json_ranks_ties_and_code_point_order(db):
    proc = run_cli("--db", db, "scoreboard", "--period", PERIOD, "--json")
    assert proc.returncode == 0, proc.stderr_text
    data = json.loads(proc.stdout_text, parse_float=Decimal)
    assert set(data) == BOARD_KEYS
    assert data["period"] == PERIOD and data["as_of"] == "2018-02-28"  # the window's end (v2)
    assert STAMP.fullmatch(data["known_at"])
    for s in data["towns"]:
        assert set(s) == STANDING_KEYS
    rows = [(s["rank"], s["town"], s["total"], s["grade"], s["vetoes"]) for s in data["towns"]]
    # contract v2: A01.2 is a condition, so 甲镇's two findings deduct 0.5 once -> 99.5, rank 1;
    # 沙溪镇 99.2 rank 2; 乙镇 (B07.1 × 2 = 1.0) 99 rank 3; 丙镇 98 (A01.1), vetoed by V4 -> last,
    # rank 4. (Under the first edition 甲镇 and 乙镇 tied at 99; ties: test_scoreboard_json_1_1_3.)
    assert rows == [
        (1, JIA, D("99.5"), "优秀", []),
        (2, TOWN, D("99.2"), "优秀", []),
        (3, YI, D(99), "优秀", []),
        (4, BING, D(98), "不合格", ["f-8"]),
    ]


def test_scoreboard_json_1_1_3(tmp_path):
    # three towns: two at 100 (no findings) and one at 99.9 -> ranks 1, 1, 3, ties in
    # code-point order (丙 U+4E19 < 乙 U+4E59)
    path = tmp_path / "b.db"
    src = jsonl(tmp_path / "b.jsonl", [adopt(id="a"), town(YI, id="t1"), town(BING, id="t2"),
                                       town(JIA, id="t3"), finding("B06.1", town=JIA, id="f")])
    assert run_cli("--db", path, "import", src).returncode == 0
    proc = run_cli("--db", path, "scoreboard", "--period", PERIOD, "--as-of", "2017-12-31",
                   "--json")
    assert proc.returncode == 0, proc.stderr_text
    data = json.loads(proc.stdout_text, parse_float=Decimal)
    assert [(s["rank"], s["town"], s["total"]) for s in data["towns"]] == [
        (1, BING, D(100)), (1, YI, D(100)), (3, JIA, D("99.9"))]


@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_head_and_verify(db):
    proc = run_cli("--db", db, "head")
    assert proc.returncode == 0, proc.stderr_text
    digest = proc.stdout_text.strip()
    assert DIGEST.fullmatch(digest), digest
    with ledger.open(db) as lg:
        assert str(lg.head()) == digest
    assert digest.startswith("15:")            # 1 adopt + 4 towns + 10 findings/facts
    ok = run_cli("--db", db, "verify")
    assert ok.returncode == 0, ok.stderr_text
    ok = run_cli("--db", db, "verify", "--digest", digest)
    assert ok.returncode == 0, ok.stderr_text
    bad = run_cli("--db", db, "verify", "--digest", "5:" + "0" * 64)
    assert_one_error_line(bad, 1)
    malformed = run_cli("--db", db, "verify", "--digest", "nonsense")
    assert_one_error_line(malformed, 1)


@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_import_error_one_line_and_nothing_appended(tmp_path):
    # English (--lang en) so the test reads the contract's words; tests/cli/test_messages.py
    # checks the Chinese default
    path = tmp_path / "e.db"
    good = jsonl(tmp_path / "good.jsonl", [adopt(id="a"), town(id="t")])
    assert run_cli("--db", path, "import", good).returncode == 0
    before = run_cli("--db", path, "head").stdout_text
    bad = jsonl(tmp_path / "bad.jsonl", [finding("B06.1", id="ok-1"),
                                          finding("A04.1", "2017-07-30", id="bad-1")])
    proc = run_cli("--db", path, "--lang", "en", "import", bad)
    line = assert_one_error_line(proc, 1)
    assert re.search(r"\bline 2\b", line) and "occurred_on" in line, line
    assert run_cli("--db", path, "head").stdout_text == before
    # malformed JSON, on line 1
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"type": "town", "id": \n', encoding="utf-8")
    line = assert_one_error_line(run_cli("--db", path, "--lang", "en", "import", broken), 1)
    assert re.search(r"\bline 1\b", line)
    # CSV with the error on line 3
    csvf = tmp_path / "bad.csv"
    csvf.write_text("type,id,town,period,clause,occurred_on,quantity\n"
                    f"finding,c-1,{TOWN},2017,B06.1,2017-03-01,2\n"
                    f"finding,c-2,{TOWN},2017,B06.1,2017-03-01,-1\n", encoding="utf-8")
    line = assert_one_error_line(run_cli("--db", path, "--lang", "en", "import", csvf), 1)
    assert re.search(r"\bline 3\b", line) and "quantity" in line, line
    assert run_cli("--db", path, "head").stdout_text == before
    # re-import of the identical file: a no-op, exit 0, head unchanged
    assert run_cli("--db", path, "import", good).returncode == 0
    assert run_cli("--db", path, "head").stdout_text == before


@pytest.mark.parametrize("args", [
    ["score", "--town", "浮桥镇", "--period", "2017"],              # unknown town
    ["score", "--town", TOWN, "--period", "2018"],                 # no rubric for 2018
    ["score", "--town", TOWN, "--period", "2017", "--as-of", "2017-02-30"],
    ["score", "--town", TOWN, "--period", "2017", "--as-of", "2018-03-01"],  # after the window
    ["score", "--town", TOWN, "--period", "2017", "--known-at", "yesterday"],
    ["score", "--town", TOWN, "--period", "2017", "--known-at", "2017-01-01"],  # nothing yet
    ["score", "--town", TOWN, "--period", "2017", "--rubric", "no-such-rubric"],
    ["scoreboard", "--period", "2017", "--as-of", "20171231"],
    ["import", "/nonexistent/dir/x.jsonl"],
    ["import", "README.md"],                                       # not .jsonl / .csv
])
def test_errors_are_one_line_exit_1(db, args):
    proc = run_cli("--db", db, *args)
    assert_one_error_line(proc, 1)
    assert proc.stdout_text == ""


@pytest.mark.parametrize("args", [
    ["score", "--period", "2017"],                                # missing --town
    ["score", "--town", TOWN, "--period", "2017", "--source", "town"],  # bad choice
    ["no-such-command"],
    ["scoreboard"],                                               # missing --period
    ["score", "--town", TOWN, "--period", "2017", "--bogus"],
])
def test_usage_errors_exit_2(db, args):
    assert_one_error_line(run_cli("--db", db, *args), 2)


def test_missing_db_is_usage_error(tmp_path):
    assert_one_error_line(run_cli("head"), 2)


def test_head_on_empty_ledger_is_error(tmp_path):
    assert_one_error_line(run_cli("--db", tmp_path / "empty.db", "head"), 1)


def test_not_a_ledger_file_is_error(tmp_path):
    f = tmp_path / "x.db"
    f.write_bytes(b"this is not sqlite at all" * 100)
    assert_one_error_line(run_cli("--db", f, "head"), 1)


def test_score_known_at_with_offset_and_rubric_path(db):
    # --known-at with an explicit offset far in the future: everything is known; the
    # revised edition doubles B06.1 (0.3 -> 0.6) and C02.1 (0.1 -> 0.2):
    # base 100 - 0.6 - 0.5 - 0.2 - 0.4 = 98.3; bonus 0.5; total 98.8
    from support.scoring import REVISED
    if not REVISED.is_file():
        pytest.skip("revised fixture rubric missing")
    _, data = score_json(db, "--known-at", "2099-01-01T08:00:00+08:00", "--rubric", REVISED)
    assert data["known_at"] == "2099-01-01T00:00:00.000000Z"
    assert data["rubric"]["id"] == "taicang-2017-revised"
    assert (data["base"], data["bonus"], data["total"]) == (D("98.3"), D("0.5"), D("98.8"))


def test_invalid_known_at_timestamp_exit_1(db):
    # regression: this once exited 0 and printed the bogus string as known_at
    proc = run_cli("--db", db, "score", "--town", TOWN, "--period", PERIOD, "--json",
                   "--known-at", "2099-13-45T99:99:99.000000Z")
    assert_one_error_line(proc, 1)
