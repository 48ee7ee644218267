"""The standalone verifier printed in docs/proofs.md is run as written: it accepts the
ledger's proofs and refuses altered ones, and it is about a hundred lines."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import ledger
from ledger.proofs import note, service
from ledger.events import TownRegistered
from ledger.store import NewEvent, mapper

DOC = Path(__file__).resolve().parents[2] / "docs" / "proofs.md"


def _code() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1
    return blocks[0]


@pytest.fixture(scope="module")
def verifier():
    space: dict = {"__name__": "standalone"}
    exec(compile(_code(), str(DOC), "exec"), space)
    return space


@pytest.fixture(scope="module")
def proofs(tmp_path_factory):
    path = tmp_path_factory.mktemp("v") / "v.db"
    with ledger.open(path) as lg:
        lg.store.append(lambda r: [mapper.to_stored(TownRegistered(id=f"e-{i}", name=f"镇e-{i}"))
                                   for i in range(37)])
        made = [service.inclusion(lg, f"e-{i}") for i in (0, 1, 17, 36)]
        made += [service.inclusion(lg, "e-3", size=size) for size in (4, 5, 20)]
        made += [service.consistency(lg, a, b) for a, b in ((1, 37), (4, 37), (13, 29), (37, 37))]
        signed = service.sign_checkpoint(lg, note.generate("t.example/log"))
    return made, signed, path.parent


def test_about_a_hundred_lines():
    assert len(_code().splitlines()) <= 110


def test_accepts_every_honest_proof(verifier, proofs):
    for proof in proofs[0]:
        assert verifier["check"](proof), proof


def test_refuses_every_altered_proof(verifier, proofs):
    for proof in proofs[0]:
        for key in ("leaf_hash", "root", "from_root", "to_root"):
            if key in proof:
                bad = dict(proof, **{key: ("0" if proof[key][0] != "0" else "1") + proof[key][1:]})
                assert not verifier["check"](bad), (key, proof)
        for k in range(len(proof["path"])):
            bad = dict(proof, path=list(proof["path"]))
            bad["path"][k] = bad["path"][k][:-1] + ("0" if bad["path"][k][-1] != "0" else "1")
            assert not verifier["check"](bad)
        if proof["path"]:
            assert not verifier["check"](dict(proof, path=proof["path"][:-1]))


def test_runs_as_a_script_with_a_checkpoint(proofs, tmp_path):
    script = tmp_path / "verify.py"
    script.write_text(_code(), encoding="utf-8")
    made, signed, _ = proofs
    (tmp_path / "cp.txt").write_text(signed, encoding="utf-8")
    honest = made[3]  # e-36 in the tree of 37: the checkpoint's tree
    (tmp_path / "p.json").write_text(json.dumps(honest))
    run = subprocess.run([sys.executable, str(script), "p.json", "cp.txt"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert (run.returncode, run.stdout) == (0, "ok\n")
    other = made[4]  # a proof about the tree of size 4: the checkpoint does not sign it
    (tmp_path / "q.json").write_text(json.dumps(other))
    run = subprocess.run([sys.executable, str(script), "q.json", "cp.txt"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert (run.returncode, run.stdout) == (1, "FAILED\n")
