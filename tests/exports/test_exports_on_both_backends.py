"""Every export and every reading command answers the same on PostgreSQL as on SQLite
(issue 16): the demo's events are copied (verified) from its SQLite file to a fresh
PostgreSQL schema, then each export (HTML, XLSX, CSV, JSON; ``--town``, ``--source``,
``--as-of``, ``--known-at``) and each command's output is compared byte for byte.

The XLSX is compared member by member of its zip, all but ``docProps/core.xml`` (openpyxl
stamps the time of writing there), and cell by cell. Both ledgers are built once for the
module and only read; ``publish`` + ``reproduce`` get their own copies.
"""

from __future__ import annotations

import json
import shutil
import uuid
import zipfile
from pathlib import Path

import openpyxl
import pytest

import ledger
from ledger.cli import main
from ledger.demo import TOWNS
from ledger.errors import LedgerError
from ledger.exports.views import create_views
from ledger.store.backends import copy_ledger
from ledger.text.messages import is_translated

from support.backends import demo_ledger_at, execute_raw, ledger_location
from support.scoring import assert_one_error_line, run_cli

PERIOD, KNOWN = "2017", "2018-12-31"


@pytest.fixture(scope="module")
def both(tmp_path_factory, pg_server):
    """(SQLite file, PostgreSQL URL) holding the demo's very events."""
    tmp = tmp_path_factory.mktemp("both")
    with demo_ledger_at("postgresql", tmp, pg_server) as url:
        yield str(tmp / "demo.db"), url


def run(capsys, *argv) -> str:
    """The CLI in this process; its stdout (the command must succeed)."""
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def xlsx_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def xlsx_cells(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()]
            for ws in wb.worksheets}


OPTIONS = {
    "default": [],
    "town": ["--town", "沙溪镇"],
    "self": ["--source", "self"],
    "as-of": ["--as-of", "2017-06-30", "--known-at", KNOWN],
    "known-at": ["--known-at", "2017-09-01"],
    "all": ["--town", "浏河镇", "--source", "self", "--as-of", "2017-10-31",
            "--known-at", "2018-01-05"],
}


@pytest.mark.parametrize("name", list(OPTIONS))
def test_every_export_is_the_same_file_on_both_backends(both, tmp_path, capsys, name):
    options = OPTIONS[name]
    for fmt in ("html", "xlsx", "csv", "json"):
        files = []
        for k, where in enumerate(both):
            out = tmp_path / f"{k}.{fmt}"
            assert run(capsys, "--db", where, "export", "--period", PERIOD, "--format", fmt,
                       "-o", str(out), *options).strip() == str(out)
            files.append(out)
        lite, pg = files
        if fmt == "xlsx":
            assert xlsx_parts(lite) == xlsx_parts(pg), name
            cells = xlsx_cells(lite)
            assert cells == xlsx_cells(pg), name
            assert len(cells) == (2 if "--town" in options else 9)  # 总表 + the towns' sheets
        else:
            assert lite.read_bytes() == pg.read_bytes(), (name, fmt)
    data = json.loads(files[-1].read_text(encoding="utf-8"))  # not two empty files alike
    towns = [c["town"] for c in data["cards"]]
    if "--town" in options:
        assert towns == [options[options.index("--town") + 1]]
    else:
        assert sorted(towns) == sorted(TOWNS)
    as_of = options[options.index("--as-of") + 1] if "--as-of" in options else "2018-02-28"
    assert {c["as_of"] for c in data["cards"]} == {data["scoreboard"]["as_of"]} == {as_of}


READS = {
    "head": ["head"],
    "towns": ["towns"],
    "towns-en": ["towns", "--lang", "en"],
    "periods": ["periods"],
    "periods-json": ["periods", "--json"],
    "publications": ["publications"],
    "scoreboard": ["scoreboard", "--period", PERIOD],
    "scoreboard-json": ["scoreboard", "--period", PERIOD, "--known-at", "2017-08-01", "--json"],
    "scoreboard-en": ["scoreboard", "--period", PERIOD, "--as-of", "2017-10-31", "--lang", "en"],
    "score": ["score", "--town", "沙溪镇", "--period", PERIOD, "--as-of", "2017-06-30"],
    "score-self-json": ["score", "--town", "港区", "--period", PERIOD, "--source", "self",
                        "--json"],
    "explain": ["explain", "--town", "沙溪镇", "--period", PERIOD],
    "explain-clause": ["explain", "--town", "沙溪镇", "--period", PERIOD, "--clause", "B06.1",
                       "--json"],
    "history": ["history", "--town", "浏河镇", "--period", PERIOD],
    "history-json": ["history", "--town", "浏河镇", "--period", PERIOD, "--known-at",
                     "2018-01-05", "--json"],
    "diff-town": ["diff", "--town", "沙溪镇", "--period", PERIOD, "--from-known-at",
                  "2017-06-30"],
    "diff-board-json": ["diff", "--period", PERIOD, "--from-known-at", "2017-06-30", "--json"],
    "diff-as-of": ["diff", "--period", PERIOD, "--from-as-of", "2017-06-30", "--lang", "en"],
    "compare": ["compare", "--town", "城厢镇", "--period", PERIOD],
    "compare-json": ["compare", "--town", "城厢镇", "--period", PERIOD, "--json"],
    "verify": ["verify"],
}


@pytest.mark.parametrize("name", list(READS))
def test_every_reading_command_prints_the_same_on_both_backends(both, capsys, name):
    lite, pg = (run(capsys, "--db", where, *READS[name]) for where in both)
    assert lite == pg and lite.strip(), name


@pytest.fixture
def copies(both, tmp_path, pg_server):
    """A copy of each ledger of ``both`` that a test may write to."""
    lite = tmp_path / "audit.db"
    shutil.copy(both[0], lite)
    with ledger_location("postgresql", tmp_path, pg_server) as url:
        copy_ledger(both[1], url)
        ledger.open(url).close()  # its read model caught up, as any command would
        yield str(lite), url


def test_publish_and_reproduce_agree_on_both_backends(copies, capsys):
    """The same card published on each backend is the same publication (its id is its
    content's hash), and each reproduces it from its own events."""
    argv = ["publish", "--town", "沙溪镇", "--period", PERIOD, "--json"]
    lite, pg = (run(capsys, "--db", where, *argv) for where in copies)
    assert lite == pg
    first = json.loads(lite)["id"]
    # the next publication's known_at is the first one's recording, which each server's
    # clock stamped: the same card then, but not the same id
    later = [json.loads(run(capsys, "--db", where, "publish", "--period", PERIOD, "--as-of",
                            "2017-06-30", "--json"))["id"] for where in copies]
    for where, pubs in zip(copies, ([first, later[0]], [first, later[1]])):
        for pub in pubs:
            said = run(capsys, "--db", where, "reproduce", pub, "--lang", "en")
            assert said.startswith(f"ok: {pub} reproduced"), said
    assert run(capsys, "--db", copies[0], "reproduce", first, "--json") == \
        run(capsys, "--db", copies[1], "reproduce", first, "--json")
    listed = [[p["id"] for p in json.loads(run(capsys, "--db", where, "publications", "--json"))]
              for where in copies]
    assert [ids[0] for ids in listed] == [first, first] and \
        [ids[1:] for ids in listed] == [[later[0]], [later[1]]]


def test_a_forged_read_model_is_caught_and_rebuilt_alike_on_both_backends(copies, capsys):
    for where in copies:  # the owner edits a derived row past the ledger
        execute_raw(where, "UPDATE rm_findings SET quantity = 9 WHERE id = 't2-f001'")
    errors = []
    for where in copies:
        capsys.readouterr()
        assert main(["--db", where, "--lang", "en", "verify"]) == 1
        errors.append(capsys.readouterr().err)
    assert errors[0] == errors[1] and len(errors[0].splitlines()) == 1
    assert "the read model does not match the events" in errors[0]
    lite, pg = (run(capsys, "--db", where, "--lang", "en", "rebuild") for where in copies)
    assert lite == pg and "t2-f001" in lite, lite
    lite, pg = (run(capsys, "--db", where, "verify") for where in copies)
    assert lite == pg


def test_a_closed_period_refuses_findings_alike_on_both_backends(copies, tmp_path, capsys):
    record = {"type": "finding", "id": "late-1", "town": "沙溪镇", "period": PERIOD,
              "clause": "B06.1", "occurred_on": "2017-11-02"}
    data = tmp_path / "late.jsonl"
    data.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    said, errors = [], []
    for where in copies:
        said.append(run(capsys, "--db", where, "close", "--period", PERIOD))
        assert main(["--db", where, "import", str(data)]) == 1
        errors.append(capsys.readouterr().err)
    assert said[0] == said[1] and errors[0] == errors[1] and errors[0].startswith("error:")
    assert len(errors[0].splitlines()) == 1


# -- what does not work on PostgreSQL says so in one line -------------------------------

def test_the_browsing_views_are_refused_on_postgresql_in_one_clear_line(both):
    with ledger.open(both[1]) as lg:
        with pytest.raises(LedgerError, match="views are for SQLite ledger files") as exc:
            create_views(lg)
        assert "python -m ledger copy postgresql://" in str(exc.value)
        assert is_translated(str(exc.value))
        assert not lg.store.conn.execute(
            "SELECT count(*) FROM pg_views WHERE schemaname = current_schema()").fetchone()[0]
    with pytest.raises(LedgerError, match="no views created"):
        create_views(both[1])


@pytest.fixture
def reader_without_rm_findings(both, pg_server):
    """A role that may read the ledger but not one read-model table (a grant forgotten)."""
    import psycopg
    from support.pg import with_user
    url, role = both[1], f"ledger_r_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as conn:
        schema = conn.execute("SELECT current_schema()").fetchone()[0]
        for sql in (f"CREATE ROLE {role} LOGIN", f"GRANT USAGE ON SCHEMA {schema} TO {role}",
                    f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}",
                    f"REVOKE SELECT ON {schema}.rm_findings FROM {role}"):
            conn.execute(sql)
    try:
        yield with_user(url, role)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


def test_a_database_error_in_the_middle_of_a_command_is_one_error_line(
        reader_without_rm_findings, tmp_path, capsys):
    url = reader_without_rm_findings
    proc = run_cli("--db", url, "scoreboard", "--period", PERIOD)
    line = assert_one_error_line(proc)
    assert line.startswith("error: 数据库中断了命令（permission denied for table rm_findings）")
    assert line.endswith("；未写入任何内容")
    out = tmp_path / "board.xlsx"
    assert main(["--db", url, "--lang", "en", "export", "--period", PERIOD, "--format", "xlsx",
                 "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the database broke off the command (permission denied")
    assert len(err.splitlines()) == 1 and not out.exists() and list(tmp_path.iterdir()) == []
