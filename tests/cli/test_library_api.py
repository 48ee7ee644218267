"""The library as tool authors use it (issue 15, item 14): typed public API (mypy), an
overview in help(ledger), an iterable Scoreboard, errors with attributes, and a plain word
for lg.append({...})."""

from __future__ import annotations

import importlib.util
import pydoc
import subprocess
import sys

import pytest

import ledger

from support.scoring import REPO, TOWN, Env, finding, write_jsonl

PUBLIC = ["ledger/__init__.py", "ledger/application.py", "ledger/errors.py",
          "ledger/projections/scoreboard.py", "ledger/projections/card.py", "ledger/suggest.py"]

CLIENT = '''
import ledger
from decimal import Decimal

with ledger.open("x.db") as lg:
    n: int = lg.append([{"type": "town", "id": "t", "name": "x"}])
    card = lg.score("x", "2017")
    total: Decimal = card.total
    grade: str = card.grade
    for standing in lg.scoreboard("2017"):
        rank: int = standing.rank
    names: list[str] = lg.towns()
    try:
        lg.score("y", "2017")
    except ledger.UnknownTown as exc:
        hints: tuple[str, ...] = exc.suggestions
    except ledger.ValidationError as exc:
        line: int | None = exc.line
'''


@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_mypy_accepts_the_public_api_and_a_client(tmp_path):
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (pip install -e '.[test]' installs it)")
    client = tmp_path / "client.py"
    client.write_text(CLIENT, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "mypy", "--follow-imports=silent",
                           "--ignore-missing-imports", "--no-incremental",
                           "--cache-dir", str(tmp_path / "cache"), *PUBLIC, str(client)],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]
    assert (REPO / "ledger" / "py.typed").is_file()


def test_help_reads_as_an_overview():
    text = pydoc.render_doc(ledger, renderer=pydoc.plaintext)
    for word in ("ledger.open", "lg.append", "scoreboard", "UnknownTown", ".suggestions",
                 "ValidationError", ".line"):
        assert word in text, word


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path / "api.db")
    yield e
    e.close()


def test_scoreboard_is_iterable(env):
    env.append([finding("B06.1", id="f-1")])
    board = env.lg.scoreboard("2017")
    assert [s.town for s in board] == [s.town for s in board.towns] and len(board) >= 1
    assert TOWN in [s.town for s in board]


def test_import_errors_carry_line_and_field(env, tmp_path):
    path = write_jsonl(tmp_path / "bad.jsonl", [finding("B06.1", id="ok"),
                                                finding("Z99", id="bad")])
    with pytest.raises(ledger.ValidationError) as exc:
        env.lg.import_file(path)
    assert (exc.value.line, exc.value.field) == (2, "clause")
    with pytest.raises(ledger.ValidationError) as exc:
        env.lg.append([finding("B06.1", id="ok2"), {**finding("B06.1", id="q"), "quantity": 0}])
    assert (exc.value.line, exc.value.field) == (2, "quantity")


def test_append_of_one_dict_says_a_list_of_records(env):
    head = env.head()
    with pytest.raises(ledger.LedgerError, match="a list of records, not one record"):
        env.lg.append(finding("B06.1", id="single"))
    assert env.head() == head
