"""Tampering caught by proofs against an earlier signed checkpoint (issue 17).

The attacker holds the file and writes it with plain sqlite3: drops the guards,
rewrites events with the whole chain (and the Merkle tree) recomputed, cuts the tail,
or keeps a fork. `verify` alone cannot see a chain forged whole; a checkpoint signed
earlier and a consistency proof to today's tree can.
"""

from __future__ import annotations

import shutil
import json
import sqlite3

import pytest

import ledger
from ledger.errors import TamperError
from ledger.proofs import checkpoint as checkpoints, note, service
from ledger.proofs.files import ProofError, check_proof
from ledger.store.merkle import verify_consistency
from ledger.events import TownRegistered
from ledger.store import GUARDS, NewEvent, mapper, tree
from ledger.store.chain import COLUMNS, event_hash

KEY = note.generate("bureau.example/ledger")


def _notes(start: int, n: int, tag: str = "n"):
    return lambda reader: [mapper.to_stored(TownRegistered(id=f"{tag}-{i}", name=f"镇{tag}-{i}"))
                           for i in range(start, start + n)]


def _ledger(path, n: int = 40) -> str:
    """A ledger of ``n`` notes and a checkpoint signed at size ``n``; returns the note."""
    with ledger.open(path) as lg:
        lg.store.append(_notes(0, n))
        signed = service.sign_checkpoint(lg, KEY)
        lg.store.append(_notes(n, 10))
    return signed


class _Row:
    def __init__(self, row):
        for k, v in zip(COLUMNS, row):
            setattr(self, k, v)


def _forge(path, from_seq: int, edit=None, cut_after: int | None = None) -> None:
    """Rewrite the file as an attacker would: guards dropped, rows changed or cut, every
    hash from ``from_seq`` on recomputed, the tree rebuilt, the guards put back."""
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("BEGIN")
    for name in GUARDS:
        raw.execute(f"DROP TRIGGER {name}")
    if cut_after is not None:
        raw.execute("DELETE FROM events WHERE seq > ?", (cut_after,))
    rows = raw.execute(f"SELECT {', '.join(COLUMNS)} FROM events WHERE seq >= ? ORDER BY seq",
                       (from_seq,)).fetchall()
    prev = raw.execute("SELECT hash FROM events WHERE seq = ?", (from_seq - 1,)).fetchone()
    prev = prev[0] if prev else "0" * 64
    for row in rows:
        e = _Row(row)
        if edit and e.seq == from_seq:
            e.payload = edit(e.payload)
            e.town = json.loads(e.payload).get("name", e.town)
            raw.execute("UPDATE events SET town = ? WHERE seq = ?", (e.town, e.seq))
        digest = event_hash(prev, e.seq, e, e.recorded_at)
        raw.execute("UPDATE events SET payload = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                    (e.payload, prev, digest, e.seq))
        prev = digest
    tree.rebuild(raw)
    for table in ("rm_findings", "rm_corrections", "rm_facts", "rm_state"):
        raw.execute(f"DROP TABLE IF EXISTS {table}")  # derived: rebuilt from the forgery on open
    for sql in GUARDS.values():
        raw.execute(sql)
    raw.execute("COMMIT")
    raw.close()


def _cp(signed: str):
    return checkpoints.parse(signed, [KEY.verifier()]).checkpoint


def _consistency_from(lg, cp) -> dict:
    """What the (forged) ledger answers when asked to prove it extends ``cp``."""
    proof = service.consistency(lg, cp.size)
    proof["from_root"] = cp.root.hex()  # the verifier holds the signed root, not the ledger's
    return proof


def test_an_event_edited_with_the_whole_chain_recomputed(tmp_path):
    path = tmp_path / "a.db"
    cp = _cp(_ledger(path))
    # a town's name changed in its payload: the envelope (the town column) is hashed too,
    # so the careful attacker changes both; every check inside the file then agrees
    _forge(path, 7, edit=lambda p: p.replace('"name":"镇n-6"', '"name":"镇n-6改"'))
    with ledger.open(path) as lg:
        # the chain and the tree agree with each other, but the ledger recorded the
        # checkpoint it signed, and verify holds the rewritten tree against it…
        with pytest.raises(TamperError, match="signed checkpoint's tree size or root"):
            lg.verify()
        lg.store.verify()  # (the chain alone is consistent again)
        with pytest.raises(TamperError, match="rewritten"):
            service.check_against_ledger(lg, cp)  # …but not with the signed checkpoint
        proof = _consistency_from(lg, cp)
    with pytest.raises(ProofError, match="does not verify"):
        check_proof(proof)


def test_the_tail_cut(tmp_path):
    path = tmp_path / "a.db"
    cp = _cp(_ledger(path))
    _forge(path, 31, cut_after=30)
    with ledger.open(path) as lg:
        assert lg.verify() == 30
        with pytest.raises(TamperError, match="events were removed"):
            service.check_against_ledger(lg, cp)
        with pytest.raises(ledger.LedgerError, match="to-size"):
            service.consistency(lg, cp.size)
        lg.store.append(_notes(100, 30, tag="refill"))  # and grown again past the checkpoint
        assert lg.verify() == 60
        with pytest.raises(TamperError, match="rewritten"):
            service.check_against_ledger(lg, cp)
        proof = _consistency_from(lg, cp)
    with pytest.raises(ProofError, match="does not verify"):
        check_proof(proof)


def test_a_forked_ledger(tmp_path):
    original, fork = tmp_path / "a.db", tmp_path / "fork.db"
    with ledger.open(original) as lg:
        lg.store.append(_notes(0, 25))
    shutil.copy(original, fork)
    with ledger.open(original) as lg:
        lg.store.append(_notes(25, 15))
        cp = _cp(service.sign_checkpoint(lg, KEY))
    with ledger.open(fork) as lg:
        lg.store.append(_notes(25, 30, tag="other"))  # the same prefix, then another story
        assert lg.verify() == 55
        with pytest.raises(TamperError):
            service.check_against_ledger(lg, cp)
        proof = _consistency_from(lg, cp)
    with pytest.raises(ProofError, match="does not verify"):
        check_proof(proof)
    with ledger.open(original) as lg:  # the honest ledger proves it extends its checkpoint
        lg.store.append(_notes(40, 5))
        assert check_proof(service.consistency(lg, cp.size)).startswith("ok")
        service.check_against_ledger(lg, cp)


def test_honest_growth_passes(tmp_path):
    path = tmp_path / "a.db"
    cp = _cp(_ledger(path))
    with ledger.open(path) as lg:
        service.check_against_ledger(lg, cp)
        p = service.consistency(lg, cp.size)
    assert p["from_root"] == cp.root.hex()
    assert verify_consistency(p["from_size"], p["to_size"], cp.root,
                              bytes.fromhex(p["to_root"]), [bytes.fromhex(h) for h in p["path"]])


def test_checkpoints_signed_by_another_key_or_changed_are_refused(tmp_path):
    signed = _ledger(tmp_path / "a.db")
    other = note.generate(KEY.name)  # same name, another key: another key id
    forged = _cp(signed).sign(other)
    with pytest.raises(note.NoteError, match="no signature of the trusted key"):
        checkpoints.parse(forged, [KEY.verifier()])
    text, sig = signed.split("\n\n")
    lines = text.split("\n")
    bigger = "\n".join([lines[0], str(int(lines[1]) + 1)] + lines[2:]) + "\n\n" + sig
    with pytest.raises(note.NoteError, match="does not verify"):
        checkpoints.parse(bigger, [KEY.verifier()])
    root = bytearray(_cp(signed).root)
    root[0] ^= 1
    import base64
    changed = signed.replace(lines[2], base64.b64encode(bytes(root)).decode())
    assert changed != signed
    with pytest.raises(note.NoteError, match="does not verify"):
        checkpoints.parse(changed, [KEY.verifier()])
    # a second, unknown signature is ignored; a known key's bad signature is not
    cosigner = note.generate("city.example/witness", cosigner=True)
    cosigned = note.add_signature(signed, cosigner, now=1700000000)
    assert checkpoints.parse(cosigned, [KEY.verifier()]).signed_by == (KEY.name,)
    both = checkpoints.parse(cosigned, [KEY.verifier(), cosigner.verifier()])
    assert both.signed_by == (KEY.name, cosigner.name)
    bad = cosigned[:-6] + ("A" if cosigned[-6] != "A" else "B") + cosigned[-5:]
    with pytest.raises(note.NoteError):
        checkpoints.parse(bad, [KEY.verifier(), cosigner.verifier()])
