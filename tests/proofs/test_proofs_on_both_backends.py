"""The Merkle tree, proofs, checkpoints and packets on both backends (issues 16 and 17):
the same tree rows for the same events, proofs `check` accepts, a signed checkpoint the
ledger still holds, an appeal packet from a PostgreSQL ledger, and a rewrite made with
the database's superuser caught by the consistency proof against an earlier checkpoint."""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest

import ledger
from ledger.errors import TamperError
from ledger.events import TownRegistered
from ledger.proofs import checkpoint as checkpoints, note, service
from ledger.proofs.files import ProofError, check_proof
from ledger.store import mapper, tree
from ledger.store.backends import copy_ledger
from ledger.store.chain import COLUMNS, event_hash
from ledger.store.merkle import leaf_hash, memory_source, range_hash

from support.scoring import assert_one_error_line, run_cli

KEY = note.generate("bureau.example/ledger")


def _notes(start: int, n: int, tag: str = "n"):
    return lambda reader: [mapper.to_stored(TownRegistered(id=f"{tag}-{i}", name=f"镇{tag}-{i}"))
                           for i in range(start, start + n)]


def _nodes(conn) -> list[tuple[int, int, bytes]]:
    return [(level, idx, bytes(h)) for level, idx, h in conn.execute(
        "SELECT level, idx, hash FROM merkle_nodes ORDER BY level, idx")]


def _leaves(conn) -> list[bytes]:
    return [leaf_hash(bytes.fromhex(h)) for (h,) in
            conn.execute("SELECT hash FROM events ORDER BY seq")]


def test_the_tree_follows_single_appends_and_chunked_batches(ledger_url, monkeypatch):
    from ledger.store import postgres, sqlite
    for store in (postgres, sqlite):  # chunks of 100 rows: one listener call (COPY) each
        monkeypatch.setattr(store, "CHUNK", 100)
    with ledger.open(ledger_url) as lg:
        for start, n in ((0, 1), (1, 6), (7, 1100), (1107, 3)):  # 1100 spans 12 chunks
            lg.store.append(_notes(start, n))
        conn = lg.store.conn
        size = lg.head().seq
        assert tree.applied_size(conn) == size == 1110
        mem = memory_source(_leaves(conn))
        for s in (1, 7, 1024, 1109, 1110):
            assert tree.root(conn, s) == range_hash(mem, 0, s)
        assert tree.verify_tree(conn) == size
        assert len(_nodes(conn)) == sum(size >> k for k in range(tree.LOWEST, size.bit_length()))


def test_inclusion_and_consistency_proofs_check_without_the_ledger(ledger_url):
    with ledger.open(ledger_url) as lg:
        lg.store.append(_notes(0, 40))
        signed = service.sign_checkpoint(lg, KEY)
        lg.store.append(_notes(40, 23))
        cp = checkpoints.parse(signed, [KEY.verifier()]).checkpoint
        incl = service.inclusion(lg, "n-17", cp.size)
        cons = service.consistency(lg, cp.size)
        service.check_against_ledger(lg, cp)
        assert lg.verify() == 64
    assert cp.size == 40 and cp.chain_head.startswith("40:")
    assert check_proof(json.loads(json.dumps(incl)), cp).endswith("signs that tree")
    assert check_proof(cons, cp).startswith("ok: the tree of size 40")
    incl["path"][1] = incl["path"][1][::-1]
    with pytest.raises(ProofError, match="does not verify"):
        check_proof(incl, cp)


def test_prove_and_checkpoint_on_the_command_line(ledger_url, tmp_path, monkeypatch, capsys):
    from ledger.cli import main
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEDGER_LANG", "en")
    with ledger.open(ledger_url) as lg:
        lg.store.append(_notes(0, 20))
    (tmp_path / "k.key").write_text(str(KEY) + "\n")
    (tmp_path / "k.pub").write_text(str(KEY.verifier()) + "\n")

    def run(*args) -> tuple[int, str, str]:
        code = main(["--db", ledger_url, *args])
        out, err = capsys.readouterr()
        return code, out, err

    assert run("checkpoint", "--sign", "k.key", "-o", "cp.txt")[0] == 0
    code, out, _ = run("checkpoint", "--verify", "k.pub", "cp.txt")
    assert code == 0 and "the ledger still holds that tree" in out
    code, out, _ = run("prove", "--event", "n-3", "--checkpoint", "cp.txt", "--key", "k.pub",
                       "--json")
    (tmp_path / "incl.json").write_text(out)
    code, out, err = run("check", "incl.json", "--checkpoint", "cp.txt", "--key", "k.pub")
    assert code == 0 and "signs that tree" in out, err
    code, out, _ = run("verify", "--checkpoint", "cp.txt", "--key", "k.pub")
    assert code == 0 and "holds the tree of checkpoint" in out
    code, out, err = run("prove", "--from-size", "3", "--to-size", "99")
    assert code == 1 and err.startswith("error:") and "to-size" in err and len(err.splitlines()) == 1


def test_copy_gives_the_same_tree_rows_on_both_backends_and_back(tmp_path, pg_url):
    first, back = tmp_path / "a.db", tmp_path / "back.db"
    with ledger.open(first) as lg:
        lg.store.append(_notes(0, 1000))
        lg.store.append(_notes(1000, 77))
    copy_ledger(str(first), pg_url)  # the target's tree is built as the events arrive
    with ledger.open(pg_url) as pg, ledger.open(first) as lite:
        assert _nodes(pg.store.conn) == _nodes(lite.store.conn) != []
        assert tree.applied_size(pg.store.conn) == 1077
        assert tree.root(pg.store.conn, 1077) == tree.root(lite.store.conn, 1077)
        pg.store.append(_notes(1077, 40))  # grown on PostgreSQL, then copied back
    copy_ledger(pg_url, str(back))
    with ledger.open(back) as lite, ledger.open(pg_url) as pg:
        assert _nodes(lite.store.conn) == _nodes(pg.store.conn)
        assert tree.verify_tree(lite.store.conn) == tree.verify_tree(pg.store.conn) == 1117
        assert lite.verify() == 1117


def test_the_tree_catches_up_with_a_writer_that_did_not_keep_it(pg_url):
    from ledger.store.postgres import PostgresEventStore
    with ledger.open(pg_url) as lg:
        lg.store.append(_notes(0, 5))
        bare = PostgresEventStore(pg_url)  # another tool: no tree listener
        bare.append(_notes(5, 40))
        bare.close()
        lg.store.append(_notes(45, 2))  # the listener catches up first, in the append
        assert tree.verify_tree(lg.store.conn) == 47
        assert lg.verify() == 47


def test_another_processs_appends_invalidate_the_frontier_this_one_keeps(pg_url, tmp_path):
    """Each append keeps the tree's right edge keyed by (size, head hash); a writer in another
    process moves the head, so the next append here reads the edge again, not its own."""
    records = tmp_path / "towns.jsonl"
    records.write_text("".join(json.dumps({"type": "town", "id": f"o-{i}", "name": f"外镇{i}"},
                                          ensure_ascii=False) + "\n" for i in range(21)))
    with ledger.open(pg_url) as lg:
        lg.store.append(_notes(0, 11))
        lg.store.append(_notes(11, 1))  # (size 12) is now this process's cached edge
        run = run_cli("--db", pg_url, "import", str(records), english=True)
        assert run.returncode == 0, run.stderr_text
        for i in range(12, 30):
            lg.store.append(_notes(i, 1))
        assert lg.head().seq == 51
        assert tree.verify_tree(lg.store.conn) == 51
        mem = memory_source(_leaves(lg.store.conn))
        assert tree.root(lg.store.conn, 51) == range_hash(mem, 0, 51)


def test_an_altered_missing_or_extra_node_fails_verify_on_postgresql(pg_url):
    import psycopg
    with ledger.open(pg_url) as lg:
        lg.store.append(_notes(0, 40))
        assert lg.verify() == 40
    with psycopg.connect(pg_url, autocommit=True) as raw:
        raw.execute("UPDATE merkle_nodes SET hash = '\\x00'::bytea || substr(hash, 2) "
                    "WHERE level = 4 AND idx = 1")
        with ledger.open(pg_url) as lg, pytest.raises(TamperError, match="node 4/1 does not match"):
            lg.verify()
        raw.execute("DELETE FROM merkle_nodes WHERE level = 4 AND idx = 1")
        with ledger.open(pg_url) as lg, pytest.raises(TamperError, match="lacks node 4/1"):
            lg.verify()
        raw.execute("INSERT INTO merkle_nodes VALUES (6, 0, decode(repeat('00', 32), 'hex'))")
        raw.execute("INSERT INTO merkle_nodes SELECT 4, 1, hash FROM merkle_nodes "
                    "WHERE level = 4 AND idx = 0")
        with ledger.open(pg_url) as lg, pytest.raises(TamperError, match="does not match"):
            lg.verify()
        raw.execute("CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$BEGIN RETURN NEW; END$$")
        raw.execute("CREATE TRIGGER quiet BEFORE INSERT ON merkle_nodes FOR EACH ROW "
                    "EXECUTE FUNCTION f()")
        with ledger.open(pg_url) as lg, pytest.raises(TamperError, match="'quiet'"):
            lg.verify()


@pytest.fixture
def app_url(pg_url):
    """init-db on a fresh database; the application role's URL (the role dropped after)."""
    import uuid
    import psycopg
    from ledger.store.backends import init_db
    from support.pg import with_user
    role = f"ledger_app_{uuid.uuid4().hex[:8]}"
    init_db(pg_url, role)
    yield with_user(pg_url, role)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"DROP OWNED BY {role}")
        conn.execute(f"DROP ROLE {role}")


def test_the_application_role_keeps_the_tree_and_may_not_rewrite_it(app_url):
    import psycopg
    app = app_url
    with ledger.open(app) as lg:
        lg.store.append(_notes(0, 33))
        signed = service.sign_checkpoint(lg, KEY)
        assert check_proof(service.inclusion(lg, "n-20"), None).startswith("ok")
        assert lg.verify() == 34
    assert checkpoints.parse(signed, [KEY.verifier()]).checkpoint.size == 33
    with psycopg.connect(app, autocommit=True) as raw:
        for sql in ("UPDATE merkle_nodes SET hash = hash", "DELETE FROM merkle_nodes",
                    "DELETE FROM merkle_state", "TRUNCATE merkle_nodes", "DROP TABLE merkle_state"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                raw.execute(sql)


def test_a_database_error_in_a_proof_is_one_error_line(pg_url, tmp_path):
    """A role that may read the events but not the tree's nodes: the server's refusal is
    one error line, never a psycopg traceback."""
    import uuid
    import psycopg
    from support.pg import with_user
    with ledger.open(pg_url) as lg:
        lg.store.append(_notes(0, 20))
    role = f"ledger_reader_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_url, autocommit=True) as raw:
        raw.execute(f"CREATE ROLE {role} LOGIN")
        raw.execute(f"GRANT SELECT ON events, ledger_head, merkle_state TO {role}")
    try:
        url = with_user(pg_url, role)
        run = run_cli("--db", url, "prove", "--event", "n-1", cwd=tmp_path, english=True)
        assert "merkle_nodes" in assert_one_error_line(run)
        run = run_cli("--db", url, "verify", cwd=tmp_path, english=True)
        # (verify first notes that the read model cannot be read: cards are replayed)
        assert run.returncode == 1 and "Traceback" not in run.stderr_text
        assert run.stderr_text.splitlines()[-1].startswith("error: cannot verify the Merkle tree")
    finally:
        with psycopg.connect(pg_url, autocommit=True) as raw:
            raw.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
            raw.execute(f"DROP ROLE {role}")


class _Row:
    def __init__(self, row):
        for k, v in zip(COLUMNS, row):
            setattr(self, k, v)


@contextmanager
def _as_superuser(url: str):
    """One transaction as the database's superuser with the guard triggers off; on the
    way out the Merkle tree is rebuilt to agree (it is plain rows too: a careful forger
    redoes it), the read model dropped (rebuilt from the forgery) and the triggers put back."""
    import psycopg
    with psycopg.connect(url, autocommit=True) as raw, raw.transaction():
        raw.execute("ALTER TABLE events DISABLE TRIGGER USER")
        raw.execute("ALTER TABLE ledger_head DISABLE TRIGGER USER")
        yield raw
        tree.rebuild(raw)
        for table in ("rm_findings", "rm_corrections", "rm_facts", "rm_state"):
            raw.execute(f"DROP TABLE IF EXISTS {table}")
        raw.execute("ALTER TABLE ledger_head ENABLE TRIGGER USER")
        raw.execute("ALTER TABLE events ENABLE TRIGGER USER")


def _forge_with_psql(url: str, seq: int, old: str, new: str) -> None:
    """As the database's superuser: the triggers off, event ``seq``'s town renamed in its
    payload and envelope, every later hash recomputed, the head and the Merkle tree made
    to agree, the read model dropped (rebuilt from the forgery), the triggers back on."""
    with _as_superuser(url) as raw:
        rows = raw.execute(f"SELECT {', '.join(COLUMNS)} FROM events WHERE seq >= %s "
                           f"ORDER BY seq", (seq,)).fetchall()
        prev = raw.execute("SELECT hash FROM events WHERE seq = %s", (seq - 1,)).fetchone()[0]
        for row in rows:
            e = _Row(row)
            if e.seq == seq:
                assert old in e.payload
                e.payload = e.payload.replace(old, new)
                e.town = json.loads(e.payload)["name"]
            digest = event_hash(prev, e.seq, e, e.recorded_at)
            raw.execute("UPDATE events SET town = %s, payload = %s, prev_hash = %s, hash = %s "
                        "WHERE seq = %s", (e.town, e.payload, prev, digest, e.seq))
            prev = digest
        raw.execute("UPDATE ledger_head SET hash = %s", (prev,))


def test_a_rewrite_by_the_superuser_is_caught_by_the_earlier_signed_checkpoint(pg_url):
    with ledger.open(pg_url) as lg:
        lg.store.append(_notes(0, 40))
        cp = checkpoints.parse(service.sign_checkpoint(lg, KEY), [KEY.verifier()]).checkpoint
        lg.store.append(_notes(40, 10))
    _forge_with_psql(pg_url, 7, '"name":"镇n-6"', '"name":"镇n-6改"')
    with ledger.open(pg_url) as lg:
        lg.store.verify()  # the chain alone is consistent again, the guards in place…
        assert tree.verify_tree(lg.store.conn) == 51  # …and the tree agrees with it
        with pytest.raises(TamperError, match="signed checkpoint's tree size or root"):
            lg.verify()  # the ledger recorded the checkpoint it signed
        with pytest.raises(TamperError, match="rewritten"):
            service.check_against_ledger(lg, cp)
        proof = service.consistency(lg, cp.size)
    proof["from_root"] = cp.root.hex()  # the verifier holds the signed root, not the ledger's
    with pytest.raises(ProofError, match="does not verify"):
        check_proof(proof, cp)


def test_an_appeal_packet_from_a_postgresql_ledger_checks_offline(tmp_path, pg_url):
    from ledger.demo import build_demo
    from ledger.proofs.packet import build_packet, check_packet
    copy_ledger(str(build_demo(tmp_path / "demo.db")), pg_url)
    with ledger.open(pg_url) as lg:
        lg.publish("2017", town="沙溪镇")
        build_packet(lg, "沙溪镇", "2017", KEY, tmp_path / "appeal.zip")
        assert lg.verify() == lg.head().seq
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "appeal.zip").write_bytes((tmp_path / "appeal.zip").read_bytes())
    (fresh / "bureau.pub").write_text(str(KEY.verifier()) + "\n")
    lines = check_packet(fresh / "appeal.zip", [KEY.verifier()])
    assert lines[0].startswith("通过：沙溪镇 2017") and "nothing was rewritten" in "\n".join(lines)
    run = run_cli("check", "appeal.zip", "--key", "bureau.pub", cwd=fresh)
    assert run.returncode == 0 and "此后未改写任何记录" in run.stdout_text, run.stderr_text


def _cut_with_psql(url: str, after: int) -> None:
    """As the database's superuser: every event after seq ``after`` deleted, the head and
    the Merkle tree made to agree, the read model dropped."""
    with _as_superuser(url) as raw:
        raw.execute("DELETE FROM events WHERE seq > %s", (after,))
        raw.execute("UPDATE ledger_head SET (seq, hash) = (SELECT seq, hash FROM events "
                    "WHERE seq = %s)", (after,))


def test_the_tail_cut_by_the_superuser_and_grown_again(pg_url):
    with ledger.open(pg_url) as lg:
        lg.store.append(_notes(0, 40))
        cp = checkpoints.parse(service.sign_checkpoint(lg, KEY), [KEY.verifier()]).checkpoint
        lg.store.append(_notes(40, 10))
    _cut_with_psql(pg_url, 30)
    with ledger.open(pg_url) as lg:
        assert lg.verify() == 30  # the checkpoint's own event went with the tail
        with pytest.raises(TamperError, match="events were removed"):
            service.check_against_ledger(lg, cp)
        with pytest.raises(ledger.LedgerError, match="to-size"):
            service.consistency(lg, cp.size)
        lg.store.append(_notes(100, 30, tag="refill"))  # grown again past the checkpoint
        assert lg.verify() == 60
        with pytest.raises(TamperError, match="rewritten"):
            service.check_against_ledger(lg, cp)
        proof = service.consistency(lg, cp.size)
    proof["from_root"] = cp.root.hex()
    with pytest.raises(ProofError, match="does not verify"):
        check_proof(proof)


def test_a_fork_copied_to_another_schema_is_caught(pg_url, pg_server, tmp_path):
    from support.backends import ledger_location
    with ledger.open(pg_url) as lg:
        lg.store.append(_notes(0, 25))
    with ledger_location("postgresql", tmp_path, pg_server) as fork_url:
        copy_ledger(pg_url, fork_url)  # the same prefix…
        with ledger.open(pg_url) as lg:
            lg.store.append(_notes(25, 15))
            cp = checkpoints.parse(service.sign_checkpoint(lg, KEY), [KEY.verifier()]).checkpoint
        with ledger.open(fork_url) as lg:
            lg.store.append(_notes(25, 30, tag="other"))  # …then another story
            assert lg.verify() == 55
            with pytest.raises(TamperError):
                service.check_against_ledger(lg, cp)
            proof = service.consistency(lg, cp.size)
    proof["from_root"] = cp.root.hex()
    with pytest.raises(ProofError, match="does not verify"):
        check_proof(proof)
    with ledger.open(pg_url) as lg:  # the honest ledger proves it extends its checkpoint
        lg.store.append(_notes(40, 5))
        assert check_proof(service.consistency(lg, cp.size), cp).startswith("ok")
        service.check_against_ledger(lg, cp)


WRITER = """
import sys, ledger
from ledger.events import TownRegistered
from ledger.store import mapper
url, name = sys.argv[1], sys.argv[2]
with ledger.open(url) as lg:
    print("ready", flush=True)
    sys.stdin.readline()  # all start at once
    for k in range(40):
        size = 3 if k % 4 == 3 else 1
        lg.store.append(lambda reader, k=k, size=size: [mapper.to_stored(
            TownRegistered(id=f"{name}-{k}-{j}", name=f"{name}镇{k}-{j}")) for j in range(size)])
"""


@pytest.mark.slow  # over a second: three writer processes at once
def test_writers_in_three_processes_at_once_leave_the_tree_of_the_chain(pg_url):
    """Appenders are serialised by the head's lock and each keeps its own frontier cache:
    the tree written under the lock is the tree of the chain whatever the interleaving."""
    import subprocess
    import sys
    with ledger.open(pg_url) as lg:
        lg.store.append(_notes(0, 3))
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, pg_url, f"w{i}"], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE) for i in range(3)]
    for p in procs:
        assert p.stdout.readline() == "ready\n"
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    with ledger.open(pg_url) as lg:
        n = lg.head().seq
        assert n == 3 + 3 * (30 + 10 * 3)
        writers = [e.id.split("-")[0] for e in lg.store.events(after_seq=3)]
        assert sum(a != b for a, b in zip(writers, writers[1:])) >= 3  # they interleaved
        assert tree.verify_tree(lg.store.conn) == n
        mem = memory_source(_leaves(lg.store.conn))
        assert tree.root(lg.store.conn, n) == range_hash(mem, 0, n)
        assert lg.verify() == n


def test_a_tree_claiming_too_much_is_built_again_by_the_owner_and_named_to_the_role(app_url):
    import psycopg
    from support.pg import with_user
    owner = with_user(app_url, "postgres")
    with ledger.open(app_url) as lg:
        lg.store.append(_notes(0, 9))
    with psycopg.connect(owner, autocommit=True) as raw:
        raw.execute("UPDATE merkle_state SET value = 50 WHERE key = 'size'")
    with ledger.open(app_url) as lg:
        with pytest.raises(TamperError, match="claims 50 events but the ledger has 9.*owner"):
            lg.store.append(_notes(9, 30))
        assert lg.head().seq == 9  # nothing was written
    with ledger.open(owner) as lg:
        lg.store.append(_notes(9, 30))
        assert lg.verify() == 39
