"""Issue 13, items 9 and 10: no text reaches a terminal or a spreadsheet raw.

Ids, notes, actors and evidence are free text (and a town name in an old or forged ledger
may hold anything): in terminal output and ``error:`` lines every control or format
character shows escaped, a newline cannot forge a row; ``--json`` stays exact. The XLSX
export writes VT/ESC/NUL/BEL escaped instead of crashing; CSV quotes cells that start with a
space or a line break as it does formula characters."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

import ledger
from ledger.exports import export
from ledger.projections.scoreboard import rank
from ledger.projections.scoring import score_card
from ledger.projections.state import fold
from ledger.rubric import load_bundled
from ledger.text.cards import render_board, render_card
from ledger.text.escape import escaped

ROOT = Path(__file__).resolve().parents[2]
TOWN = "沙溪镇"
NASTY = "\x1b[2J\x1b]0;pwned\x07\u202e"  # clear screen, set title + BEL, bidi override
NOTE = "复核\x0b\x00\x1b[31m红\n1  假镇  100  优秀"  # VT, NUL, ESC and a forged row


def raw_controls(text: str) -> list[str]:
    """Characters a terminal would act on (newlines between lines aside)."""
    return [c for c in text if c != "\n" and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]


# these tests read English words (messages are Chinese by default)
ENGLISH = {**os.environ, "LEDGER_LANG": "en"}


def cli(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ledger", "--db", str(db), *args], cwd=ROOT,
                          capture_output=True, env=ENGLISH, text=True, timeout=120)


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("esc") / "esc.db"
    with ledger.open(path) as lg:
        lg.append([{"type": "adopt", "id": "a", "period": "2017", "rubric": "taicang-2017"},
                   {"type": "town", "id": "t1", "name": TOWN},
                   {"type": "finding", "id": "f" + NASTY, "town": TOWN, "period": "2017",
                    "clause": "B06.1", "occurred_on": "2017-03-01", "note": NOTE,
                    "actor": "张\x1b[8m三", "evidence": ["照片\x07.jpg", "\u2028x"]},
                   {"type": "finding", "id": "v" + NASTY, "town": TOWN, "period": "2017",
                    "clause": "V1", "occurred_on": "2017-05-01", "evidence": ["审计报告"]}])
    return path


@pytest.mark.parametrize("command", [
    ["score", "--town", TOWN, "--period", "2017"],
    ["scoreboard", "--period", "2017"],
    ["explain", "--town", TOWN, "--period", "2017"],
    ["explain", "--town", TOWN, "--period", "2017", "--lang", "en"],
    ["history", "--town", TOWN, "--period", "2017"],
    ["diff", "--town", TOWN, "--period", "2017", "--from-as-of", "2017-02-01"],
    ["compare", "--town", TOWN, "--period", "2017"],
])
def test_terminal_output_shows_control_characters_escaped(db, command):
    r = cli(db, *command)
    assert r.returncode == 0, r.stderr
    assert raw_controls(r.stdout) == [], r.stdout[:500]
    if command[0] == "explain":
        assert "\\x1b[2J" in r.stdout and "\\u202e" in r.stdout
        assert "\\x0b\\x00\\x1b[31m红\\n1  假镇" in r.stdout  # the forged row stays in its line
        assert not any(line.startswith("1  假镇") for line in r.stdout.splitlines())


def test_json_output_stays_exact(db):
    r = cli(db, "explain", "--town", TOWN, "--period", "2017", "--json")
    tree = json.loads(r.stdout)
    event = tree["indicators"][[i["id"] for i in tree["indicators"]].index("B06")]["clauses"][0]["events"][0]
    assert event["id"] == "f" + NASTY and event["note"] == NOTE
    assert event["evidence"] == ["照片\x07.jpg", "\u2028x"]


@pytest.mark.parametrize("args", [
    ["import", "x\x1b[2J\nerror: forged.jsonl"],               # the path is echoed as given
    ["score", "--town", "x\x1b[2J\nerror: forged", "--period", "2017"],
    ["--x\x1b[2J\u202e"],                                        # click's usage error
    ["export", "--period", "2017", "--format", "csv", "-o", "/nonexistent\x1b[2J/r.csv"],
])
def test_error_lines_are_one_line_with_the_input_escaped(db, args):
    r = cli(db, *args)
    assert r.returncode in (1, 2), r.stderr
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("error: "), r.stderr
    assert raw_controls(r.stderr) == [] and "\\x1b[2J" in r.stderr, r.stderr


def test_a_town_name_a_ledger_should_never_hold_cannot_forge_a_scoreboard_row():
    """A name from an old or forged ledger: the renderers escape it before layout."""
    rubric = load_bundled("taicang-2017")
    cards = [score_card(rubric, fold([]), town=name, as_of=date(2017, 12, 31),
                        known_at="2018-01-01T00:00:00.000000Z")
             for name in (TOWN, "假镇\n1  沙溪镇  100  优秀", "\u202e镇溪沙")]
    board = rank("2017", date(2017, 12, 31), "2018-01-01T00:00:00.000000Z", cards)
    text = render_board(board) + "\n" + render_card(cards[1], rubric)
    assert raw_controls(text) == []
    assert len(render_board(board).splitlines()) == 3 + 3  # head, labels, rule; a line a town
    assert "假镇\\n1  沙溪镇" in text and "\\u202e镇溪沙" in text


def test_escaped_is_total_and_idempotent():
    for text in ("", TOWN, NASTY, NOTE, "\ud800", "\ufffe", "a\\nb", "\U000e0001"):
        once = escaped(text)
        assert escaped(once) == once and raw_controls(once) == []
        assert "\ud800" not in once and "\ufffe" not in once


def test_xlsx_export_writes_vt_esc_nul_bel_escaped(db, tmp_path):
    """Before: openpyxl's IllegalCharacterError aborted the whole export."""
    with ledger.open(db) as lg:
        path = export(lg, "2017", "xlsx", tmp_path / "r.xlsx")
    cells = [str(c.value) for ws in load_workbook(path) for row in ws.iter_rows() for c in row
             if isinstance(c.value, str)]
    text = "\n".join(cells)
    assert "\\x0b\\x00\\x1b[31m红" in text and "照片\\x07.jpg" in text
    assert all(not raw_controls(c.replace("\t", "")) for c in cells)


def test_csv_quotes_cells_that_start_with_a_space_or_a_line_break(tmp_path):
    with ledger.open(tmp_path / "c.db") as lg:
        lg.append([{"type": "adopt", "id": "a", "period": "2017", "rubric": "taicang-2017"},
                   {"type": "town", "id": "t1", "name": TOWN},
                   {"type": "finding", "id": " =1+1", "town": TOWN, "period": "2017",
                    "clause": "B06.1", "occurred_on": "2017-03-01", "note": "\n=HYPERLINK(1)",
                    "evidence": ["\u3000@SUM(A1)"]}])
        path = export(lg, "2017", "csv", tmp_path / "r.csv")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    line = next(r for r in rows if r["clause"] == "B06.1")
    assert line["events"] == "' =1+1"
    assert line["notes"] == "'\\n=HYPERLINK(1)"
    assert line["evidence"] == "'\u3000@SUM(A1)"
