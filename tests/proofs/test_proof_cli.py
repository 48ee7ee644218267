"""The proof commands as other tools run them: keygen, checkpoint, prove, check,
verify --checkpoint, publish --receipt, reproduce RECEIPT; errors are one line."""

from __future__ import annotations

import json

import pytest

from ledger.demo import build_demo
from ledger.proofs.files import KEYS

from support.scoring import assert_one_error_line, run_cli as _run_cli


def run_cli(*args, **kw):
    return _run_cli(*args, english=True, **kw)  # these tests read English words


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    build_demo(d / "demo.db")
    for args in (("keygen", "bureau.example/ledger"), ("keygen", "city.example/w", "--cosigner")):
        assert run_cli(*args, cwd=d).returncode == 0
    run = run_cli("--db", "demo.db", "checkpoint", "--sign", "bureau.example_ledger.key",
                  "-o", "cp.txt", cwd=d)
    assert run.returncode == 0, run.stderr_text
    return d


@pytest.mark.slow  # over a second (a real program or several CLI runs)
def test_keygen_writes_a_private_key_and_a_verifier_key(work):
    pub = (work / "bureau.example_ledger.pub").read_text().strip()
    name, key_id, material = pub.split("+", 2)
    assert name == "bureau.example/ledger" and len(key_id) == 8
    assert (work / "bureau.example_ledger.key").stat().st_mode & 0o777 == 0o600
    again = run_cli("keygen", "bureau.example/ledger", cwd=work)
    assert "never overwritten" in assert_one_error_line(again)


@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_checkpoint_verify_cosign_and_verify_against_the_ledger(work):
    text = (work / "cp.txt").read_text()
    lines = text.split("\n")
    assert lines[0] == "bureau.example/ledger" and lines[3].startswith(f"chain {lines[1]}:")
    run = run_cli("checkpoint", "--verify", "bureau.example_ledger.pub", "cp.txt", cwd=work)
    assert run.returncode == 0 and run.stdout_text.startswith("ok: checkpoint")
    run = run_cli("--db", "demo.db", "checkpoint", "--cosign", "city.example_w.key", "--log-key",
                  "bureau.example_ledger.pub", "cp.txt", "-o", "cp2.txt", cwd=work)
    assert run.returncode == 0, run.stderr_text
    run = run_cli("--db", "demo.db", "checkpoint", "--verify", "city.example_w.pub", "cp2.txt",
                  cwd=work)
    assert "signed by city.example/w; the ledger still holds that tree" in run.stdout_text
    wrong = run_cli("checkpoint", "--verify", "city.example_w.pub", "cp.txt", cwd=work)
    assert "no signature of the trusted key" in assert_one_error_line(wrong)
    log_key = run_cli("checkpoint", "--cosign", "bureau.example_ledger.key", "--log-key",
                      "bureau.example_ledger.pub", "cp.txt", cwd=work)
    assert "--cosigner" in assert_one_error_line(log_key)
    run = run_cli("--db", "demo.db", "verify", "--checkpoint", "cp.txt", "--key",
                  "bureau.example_ledger.pub", cwd=work)
    assert run.returncode == 0 and "holds the tree of checkpoint" in run.stdout_text
    (work / "bad.txt").write_text(text.replace("\n" + lines[1] + "\n", "\n7\n", 1))
    bad = run_cli("--db", "demo.db", "verify", "--checkpoint", "bad.txt", cwd=work)
    assert_one_error_line(bad)
    assert_one_error_line(run_cli("checkpoint", "--verify", "x.pub", cwd=work), code=2)


@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_prove_json_shapes_and_check_without_a_ledger(work):
    run = run_cli("--db", "demo.db", "prove", "--event", "t2-f009", "--checkpoint", "cp.txt",
                  "--key", "bureau.example_ledger.pub", "--json", cwd=work)
    assert run.returncode == 0, run.stderr_text
    incl = json.loads(run.stdout_text)
    assert tuple(incl) == KEYS["inclusion"] and incl["kind"] == "inclusion"
    assert incl["tree_size"] == int((work / "cp.txt").read_text().split("\n")[1])
    run = run_cli("--db", "demo.db", "prove", "--from-size", "5", "--to-size", "300", "--json",
                  cwd=work)
    cons = json.loads(run.stdout_text)
    assert tuple(cons) == KEYS["consistency"] and (cons["from_size"], cons["to_size"]) == (5, 300)
    (work / "incl.json").write_text(json.dumps(incl))
    (work / "cons.json").write_text(json.dumps(cons))
    run = run_cli("check", "incl.json", "--checkpoint", "cp.txt", "--key",
                  "bureau.example_ledger.pub", cwd=work)
    assert run.returncode == 0 and "the checkpoint of bureau.example/ledger signs" in run.stdout_text
    assert run_cli("check", "cons.json", cwd=work).returncode == 0
    incl["path"][0] = incl["path"][0][::-1]
    (work / "bad.json").write_text(json.dumps(incl))
    assert "does not verify" in assert_one_error_line(run_cli("check", "bad.json", cwd=work))
    (work / "bad.json").write_text(json.dumps(dict(cons, extra=1)))
    assert "exactly the keys" in assert_one_error_line(run_cli("check", "bad.json", cwd=work))
    too_far = run_cli("--db", "demo.db", "prove", "--from-size", "5", "--to-size", "99999",
                      cwd=work)
    assert "to-size" in assert_one_error_line(too_far)
    missing = run_cli("--db", "demo.db", "prove", "--event", "nope", cwd=work)
    assert "no event with id" in assert_one_error_line(missing)
    assert_one_error_line(run_cli("--db", "demo.db", "prove", cwd=work), code=2)


@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_publish_receipt_reproduce_and_check(work):
    run = run_cli("--db", "demo.db", "publish", "--town", "沙溪镇", "--period", "2017",
                  "--sign", "bureau.example_ledger.key", "--receipt", "r.json", cwd=work)
    assert run.returncode == 0, run.stderr_text
    run = run_cli("check", "r.json", "--key", "bureau.example_ledger.pub", cwd=work)
    assert run.returncode == 0 and run.stdout_text.startswith("ok: receipt of pub-")
    run = run_cli("--db", "demo.db", "reproduce", "r.json", cwd=work)
    assert run.returncode == 0 and "reproduced" in run.stdout_text
    receipt = json.loads((work / "r.json").read_text())
    receipt["sha256"] = "0" * 64
    (work / "r2.json").write_text(json.dumps(receipt))
    assert "not the one publication" in assert_one_error_line(
        run_cli("--db", "demo.db", "reproduce", "r2.json", cwd=work))
    assert "SHA-256" in assert_one_error_line(
        run_cli("check", "r2.json", "--key", "bureau.example_ledger.pub", cwd=work))


# -- keygen NAME: where the files go, and --sign/--key take what it printed (issue 15) ---------

@pytest.mark.slow  # over a second (a real program or several CLI runs)
def test_keygen_with_a_path_writes_there_and_prints_the_full_paths(work, tmp_path):
    import shutil

    from support.scoring import run_cli as run_zh
    shutil.copy(work / "demo.db", tmp_path / "demo.db")
    here = tmp_path / "here"
    here.mkdir()
    stem = tmp_path / "keys" / "k1"
    stem.parent.mkdir()
    made = run_zh("keygen", stem, cwd=here)
    assert made.returncode == 0, made.stderr_text
    assert sorted(p.name for p in stem.parent.iterdir()) == ["k1.key", "k1.pub"]
    assert list(here.iterdir()) == []                        # nothing beside the command
    lines = made.stdout_text.splitlines()
    assert lines[0].startswith(f"已写入私钥 {stem}.key（") and f"checkpoint --sign {stem}.key" in lines[0]
    assert lines[1].startswith(f"已写入公钥 {stem}.pub（") and f"--key {stem}.pub" in lines[1]
    assert lines[2] == "公钥内容：" + (stem.parent / "k1.pub").read_text().strip()
    assert lines[2].split("：")[1].startswith("k1+")            # the key is named k1
    assert (stem.parent / "k1.key").stat().st_mode & 0o777 == 0o600
    # --sign takes the printed path, or the NAME given to keygen
    for key in (f"{stem}.key", str(stem)):
        signed = run_zh("--db", tmp_path / "demo.db", "checkpoint", "--sign", key, "-o",
                        tmp_path / "cp.txt", cwd=here)
        assert signed.returncode == 0, (key, signed.stderr_text)
        (tmp_path / "cp.txt").unlink()
    run_zh("--db", tmp_path / "demo.db", "checkpoint", "--sign", stem, "-o", tmp_path / "cp.txt")
    for key in (f"{stem}.pub", str(stem)):
        ok = run_cli("checkpoint", "--verify", key, tmp_path / "cp.txt", cwd=here)
        assert ok.returncode == 0 and ok.stdout_text.startswith("ok: checkpoint of k1"), ok.stderr_text
    en = run_cli("keygen", tmp_path / "keys" / "k2", cwd=here)
    assert en.stdout_text.startswith(f"wrote private key {tmp_path}/keys/k2.key (keep it secret")


@pytest.mark.slow  # over a second (a real program or several CLI runs)
def test_keygen_with_a_key_name_and_what_a_missing_key_says(work, tmp_path):
    from support.scoring import run_cli as run_zh
    made = run_zh("keygen", "city.example/auditor", "--dir", tmp_path)
    assert made.returncode == 0, made.stderr_text
    assert f"{tmp_path}/city.example_auditor.key" in made.stdout_text
    assert (tmp_path / "city.example_auditor.pub").read_text().startswith("city.example/auditor+")
    # the key name finds keygen's file in the current directory too
    import shutil
    db = shutil.copy(work / "demo.db", tmp_path / "demo.db")
    signed = run_zh("--db", db, "checkpoint", "--sign", "bureau.example/ledger",
                    "-o", tmp_path / "cp.txt", cwd=work)
    assert signed.returncode == 0, signed.stderr_text
    missing = assert_one_error_line(run_zh("--db", db, "checkpoint", "--sign",
                                           tmp_path / "nokey", cwd=work))
    assert missing == (f"error: 无法读取私钥 {tmp_path}/nokey：文件不存在；keygen 会打印它写出的"
                       f"完整路径，请给出其中的 .key 文件")
    both = run_zh("keygen", tmp_path / "k3", "--dir", tmp_path)
    assert assert_one_error_line(both, 2).startswith("error: --dir 只能与密钥名一起用")
