"""Attacks on a real ledger file with plain sqlite3: each one makes ``verify`` fail naming
what it found, or leaves every printed score equal to a full replay (issue: trust).

The attacks on the read model that are not about a file run on PostgreSQL too, made
there the way its owner could (plain SQL on the derived tables)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import ledger
from ledger.errors import LedgerError, TamperError
from ledger.store import EventStore, GUARDS, NewEvent, chain
from ledger.store.postgres import is_postgres_url
from support.forge import forge_append, rewrite, sql
from support.scoring import Clock, adopt, finding, town

ROOT = Path(__file__).resolve().parents[2]
T = "沙溪镇"


@pytest.fixture
def path(tmp_path):
    """Two towns; 沙溪镇 has three findings, the last recorded in September."""
    return made(tmp_path / "audit.db")


@pytest.fixture
def anywhere(ledger_url):
    """The same ledger as ``path``, on each backend in turn."""
    return made(ledger_url)


def edit(where, statement: str) -> None:
    """Plain SQL on the ledger, as whoever holds the file or owns the database."""
    if not is_postgres_url(str(where)):
        return sql(where, statement)
    import psycopg
    with psycopg.connect(str(where), autocommit=True) as conn:
        conn.execute(statement)


def made(db):
    with ledger.open(db, clock=Clock("2017-03-02T00:00:00Z")) as lg:
        lg.append([adopt(id="adopt"), town(T, id="t1"), town("城厢镇", id="t2"),
                   finding("B06.1", "2017-03-01", id="f1", quantity=3),
                   finding("A01.2", "2017-03-01", id="f2")])
    with ledger.open(db, clock=Clock("2017-09-01T00:00:00Z")) as lg:
        lg.append([finding("A04.1", "2017-08-01", id="f3")])
    return db


# these tests read English words (messages are Chinese by default)
ENGLISH = {**os.environ, "LEDGER_LANG": "en"}


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ledger", *args], capture_output=True, env=ENGLISH,
                          text=True, cwd=ROOT, timeout=120)


def one_error(result) -> str:
    """The one ``error:`` line (after any ``note:`` lines saying how the file was read)."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [n for n in result.stderr.strip().splitlines() if not n.startswith("note:")]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    return lines[0]


def replayed_total(db) -> str:
    with ledger.open(db) as lg:
        return str(lg.score(T, "2017", replay=True).total)


# -- 1. the read model ------------------------------------------------------------------
@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_deleting_a_towns_read_model_rows_fails_verify_and_rebuild_says_what_it_found(anywhere):
    path = anywhere
    truth = replayed_total(path)
    edit(path, "DELETE FROM rm_findings WHERE town = '沙溪镇'")
    assert "read model does not match the events" in one_error(cli("--db", str(path), "verify"))
    with ledger.open(path) as lg:
        with pytest.raises(LedgerError, match="read model disagrees with the events"):
            lg.publish("2017", town=T)
        assert lg.head().seq == 6  # nothing was published
    rebuilt = cli("--db", str(path), "rebuild")
    assert rebuilt.returncode == 0 and "found: read-model table rm_findings" in rebuilt.stdout
    assert cli("--db", str(path), "verify").returncode == 0
    with ledger.open(path) as lg:
        assert str(lg.score(T, "2017").total) == truth


def test_a_trigger_added_to_the_read_model_is_reported_and_removed_by_rebuild(path):
    sql(path, "CREATE TRIGGER rm_hide AFTER INSERT ON rm_findings "
              "BEGIN DELETE FROM rm_findings WHERE seq = NEW.seq; END")
    assert "trigger 'rm_hide'" in one_error(cli("--db", str(path), "verify"))
    assert cli("--db", str(path), "rebuild").returncode == 0
    with ledger.open(path) as lg:
        lg.append([finding("B06.1", "2017-10-01", id="f4")])
        assert lg.verify() == 7
        assert lg.score(T, "2017").to_dict() == lg.score(T, "2017", replay=True).to_dict()


@pytest.mark.parametrize("extra", [
    "CREATE TABLE shadow (x)",
    "CREATE VIEW findings AS SELECT 1 AS id",
    "CREATE INDEX sneaky ON events(actor)",
    "CREATE TRIGGER events_spy AFTER INSERT ON events BEGIN SELECT 1; END",
])
def test_objects_the_ledger_did_not_create_fail_verify(path, extra):
    sql(path, extra)
    with ledger.open(path) as lg:
        with pytest.raises(TamperError, match="did not create|altered"):
            lg.verify()


def test_reproduce_and_the_cli_agree_with_replay_after_the_read_model_is_forged(anywhere):
    path = anywhere
    with ledger.open(path) as lg:
        pub = lg.publish("2017", town=T)
    edit(path, "UPDATE rm_findings SET quantity = 1 WHERE id = 'f1'")
    assert cli("--db", str(path), "reproduce", pub.id).returncode == 0
    assert "read model does not match the events" in one_error(cli("--db", str(path), "verify"))


# -- 2. recorded_at ----------------------------------------------------------------------
def forged_finding(path, fid, recorded_at):
    payload = json.dumps({"clause": "A01.1", "evidence": [], "id": fid, "occurred_on": "2017-03-01",
                          "period": "2017", "quantity": 1, "source": "city", "town": T},
                         ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    forge_append(path, id=fid, type="FindingRecorded", payload=payload, recorded_at=recorded_at,
                 town=T, period="2017", occurred_on="2017-03-01")


def test_a_forged_row_dated_in_the_past_fails_verify_even_with_a_digest(path):
    with ledger.open(path) as lg:
        digest = str(lg.head())
    forged_finding(path, "f-back", "2017-03-02T00:00:00.000009Z")
    message = one_error(cli("--db", str(path), "verify", "--digest", digest))
    assert "recorded_at 2017-03-02T00:00:00.000009Z is not after" in message


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59.999999Z", "not-a-time"])
def test_a_forged_future_or_malformed_time_fails_verify_and_later_imports_say_why(path, tmp_path,
                                                                                  when):
    forged_finding(path, "f-odd", when)
    assert "recorded_at" in one_error(cli("--db", str(path), "verify"))
    rec = tmp_path / "more.jsonl"
    rec.write_text(json.dumps(finding("B06.1", "2017-11-01", id="f9"), ensure_ascii=False) + "\n",
                   encoding="utf-8")
    message = one_error(cli("--db", str(path), "import", str(rec)))
    assert "nothing was written" in message
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM events WHERE id = 'f9'").fetchone() == (0,)
    conn.close()


# -- 3. rows that do not decode ------------------------------------------------------------
@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_a_chained_row_with_a_junk_payload_is_named_by_verify_and_never_a_traceback(path):
    forge_append(path, id="junk-1", type="FindingRecorded", payload='{"id":"junk-1"}',
                 recorded_at="2017-09-01T00:00:01.000000Z", town=T, period="2017")
    assert "junk-1" in one_error(cli("--db", str(path), "verify"))
    assert cli("--db", str(path), "head").returncode == 0
    assert "junk-1" in one_error(cli("--db", str(path), "score", "--town", T, "--period", "2017"))
    # the other town's card is untouched by the bad row
    assert cli("--db", str(path), "score", "--town", "城厢镇", "--period", "2017").returncode == 0


def test_a_blob_in_a_text_column_is_tampering_not_a_crash(path):
    sql(path, "DROP TRIGGER events_no_update",
        "UPDATE events SET actor = X'00626c6f62' WHERE id = 'f2'", GUARDS["events_no_update"])
    assert "wrong type" in one_error(cli("--db", str(path), "verify"))


# -- 4. hashes the ledger keeps about itself ----------------------------------------------
def test_a_rechained_rewrite_still_fails_on_the_publication_it_touched(path):
    with ledger.open(path) as lg:
        lg.publish("2017", town=T)
    rewrite(path, lambda row: None if row["id"] == "f2" else row)  # drop a finding, re-chain
    with ledger.open(path) as lg:
        with pytest.raises(TamperError, match="chain head it records .* is not the chain at that seq"):
            lg.verify()


def test_an_edited_adopted_rubric_fails_on_its_stored_sha256(path):
    def edit(row):
        if row["type"] == "RubricAdopted":
            data = json.loads(row["payload"])
            data["content"] = data["content"].replace("amount = 1", "amount = 0", 1)
            assert data["content"] != json.loads(row["payload"])["content"]
            row["payload"] = json.dumps(data, ensure_ascii=False, separators=(",", ":"),
                                        sort_keys=True)
        return row
    rewrite(path, edit)
    with ledger.open(path) as lg:
        with pytest.raises(TamperError, match="rubric's text does not match its stored sha256"):
            lg.verify()


def test_an_envelope_that_disagrees_with_its_payload_is_tampering(path):
    rewrite(path, lambda row: {**row, "town": "城厢镇"} if row["id"] == "f1" else row)
    with ledger.open(path) as lg:
        with pytest.raises(TamperError, match="envelope or payload"):
            lg.verify()


# -- 5. file names that read as URIs --------------------------------------------------------
@pytest.mark.parametrize("name", ["audit#2017.db", "audit?mode=rw.db", "audit%2017.db"])
def test_parallel_verify_checks_the_named_file_whatever_its_name(tmp_path, name):
    db = tmp_path / name
    store = EventStore(db)
    store.append(lambda r: (NewEvent(f"e{i}", "Note", 1, payload=f'{{"id":"e{i}"}}')
                            for i in range(400)))
    before = set(os.listdir(tmp_path))
    assert chain.verify_chain(store.conn, GUARDS, path=db, workers=2, parallel_min=100) == 400
    store.close()
    rewrite(db, lambda row: row)  # re-chained: still valid
    sql(db, "DROP TRIGGER events_no_update", "UPDATE events SET payload = '{}' WHERE seq = 250",
        GUARDS["events_no_update"])
    conn = sqlite3.connect(db)
    with pytest.raises(TamperError, match="seq 250"):
        chain.verify_chain(conn, GUARDS, path=db, workers=2, parallel_min=100)
    conn.close()
    assert set(os.listdir(tmp_path)) <= before | {name + "-wal", name + "-shm"}
