"""The appeal packet of a demo town: built, copied to a directory with no ledger,
verified by `check`; one byte changed anywhere makes `check` fail naming what failed."""

from __future__ import annotations

import hashlib
import io
import shutil
import zipfile
import pytest

import ledger
from ledger.demo import build_demo
from ledger.proofs import note
from ledger.proofs.files import ProofError
from ledger.proofs.packet import FILES, build_packet, check_packet, write_zip
from ledger.proofs.receipts import check_receipt, make_receipt

from support.scoring import assert_one_error_line, run_cli

TOWN, PERIOD = "沙溪镇", "2017"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("packet")
    db = build_demo(base / "demo.db")
    key = note.generate("bureau.example/ledger")
    (base / "bureau.pub").write_text(str(key.verifier()) + "\n")
    with ledger.open(db) as lg:
        pub = lg.publish(PERIOD, town=TOWN)
        build_packet(lg, TOWN, PERIOD, key, base / "appeal.zip")
        receipt = make_receipt(lg, pub.id)
    fresh = tmp_path_factory.mktemp("fresh")  # no ledger anywhere near it
    shutil.copy(base / "appeal.zip", fresh / "appeal.zip")
    shutil.copy(base / "bureau.pub", fresh / "bureau.pub")
    return fresh, key, receipt


def test_checked_offline_in_chinese_and_english(built):
    fresh, _, _ = built
    assert not list(fresh.glob("*.db"))
    run = run_cli("check", "appeal.zip", "--key", "bureau.pub", cwd=fresh)
    assert run.returncode == 0, run.stderr_text
    assert "通过：沙溪镇 2017" in run.stdout_text and "此后未改写任何记录" in run.stdout_text
    assert "ok: the published card of 沙溪镇 for 2017" in run.stdout_text
    assert "nothing was rewritten since" in run.stdout_text


def test_the_receipt_checks_alone(built):
    _, key, receipt = built
    proved = check_receipt(receipt, [key.verifier()])
    assert proved["publication"].town == TOWN
    assert any(r["type"] == "FindingRecorded" for r in proved["rows"].values())
    with pytest.raises(ProofError, match="checkpoint"):
        check_receipt(receipt, [note.generate("bureau.example/ledger").verifier()])
    altered = dict(receipt, card=receipt["card"].replace('"grade":"', '"grade":"X', 1))
    with pytest.raises(ProofError, match="not the card the publication froze"):
        check_receipt(altered, [key.verifier()])


def _spans(data: bytes) -> list[tuple[str, int, int]]:
    """(member, first byte, end) of each member's stored data in the zip."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        out = []
        for info in z.infolist():
            start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
            out.append((info.filename, start, start + info.compress_size))
    return out


def _positions(data: bytes) -> list[int]:
    spans = _spans(data)
    inside = set()
    for _, lo, hi in spans:
        inside.update(range(lo, hi))
        inside.difference_update(range(lo, hi, 401))  # a sample of each file's bytes…
        inside.difference_update((lo, hi - 1))
    return [i for i in range(len(data)) if i not in inside]  # …and every structural byte


@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_one_byte_changed_anywhere_fails_naming_what(built, tmp_path):
    fresh, key, _ = built
    data = (fresh / "appeal.zip").read_bytes()
    spans = _spans(data)
    trusted = [key.verifier()]
    target = tmp_path / "bad.zip"
    positions = _positions(data)
    assert len(positions) > 800
    for pos in positions:
        bad = bytearray(data)
        bad[pos] ^= 0x01
        target.write_bytes(bytes(bad))
        with pytest.raises(ProofError) as caught:
            check_packet(target, trusted)
        message = str(caught.value)
        member = next((name for name, lo, hi in spans if lo <= pos < hi), None)
        if member is not None:
            assert member in message, (pos, member, message)
        else:
            assert any(n in message for n in FILES + ("the zip",)), (pos, message)


def test_a_changed_byte_is_one_error_line_on_the_command_line(built, tmp_path):
    fresh, _, _ = built
    data = bytearray((fresh / "appeal.zip").read_bytes())
    name, lo, hi = next(s for s in _spans(bytes(data)) if s[0] == "rubric.toml")
    data[(lo + hi) // 2] ^= 0x20
    (tmp_path / "bad.zip").write_bytes(bytes(data))
    shutil.copy(fresh / "bureau.pub", tmp_path / "bureau.pub")
    run = run_cli("check", "bad.zip", "--key", "bureau.pub", cwd=tmp_path)
    assert "rubric.toml" in assert_one_error_line(run)


def test_a_packet_resigned_by_another_key_needs_the_bureaus_key(built, tmp_path):
    fresh, key, _ = built
    with zipfile.ZipFile(fresh / "appeal.zip") as z:
        files = {n: z.read(n) for n in FILES}
    thief = note.generate("bureau.example/ledger")
    files["key.pub"] = (str(thief.verifier()) + "\n").encode()
    text = note.split(files["MANIFEST.txt"].decode())[0]
    text = text.replace(hashlib.sha256((str(key.verifier()) + "\n").encode()).hexdigest(),
                        hashlib.sha256(files["key.pub"]).hexdigest())
    files["MANIFEST.txt"] = note.sign(text, thief).encode()
    write_zip(tmp_path / "forged.zip", files)
    with pytest.raises(ProofError, match="MANIFEST.txt"):
        check_packet(tmp_path / "forged.zip", [key.verifier()])
    with pytest.raises(ProofError, match="receipt.json"):  # its checkpoint is the bureau's
        check_packet(tmp_path / "forged.zip", [])
