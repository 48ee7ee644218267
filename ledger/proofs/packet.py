"""The appeal packet: everything a town, an auditor or a court needs to check a published
card offline, in one zip.

    MANIFEST.txt      signed note: the packet's town, period and every file's SHA-256
    receipt.json      the publication's receipt (card, checkpoint, inclusion proofs of the
                      publication, the rubric's adoption and every event the card cites)
    card.json         the traced card (every deduction with its events and rubric sentences)
    card.html         the printable report of the period, as known at the publication
    rubric.toml       the rubric text the card was computed with (its hash: in the receipt)
    checkpoint.txt    today's signed checkpoint
    consistency.json  proof that today's tree extends the publication's checkpoint
    key.pub           the signer's verifier key (compare it with the one the bureau publishes)

The zip is written byte for byte the same way every time (stored, fixed dates and
order), so :func:`check_packet` also refuses a container changed outside its files.
"""

from __future__ import annotations

from types import SimpleNamespace

import hashlib
import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from ledger.errors import LedgerError
from ledger.events import canonical_json
from ledger.proofs import checkpoint as checkpoints, note as notes, service
from ledger.proofs.files import ProofError, check_proof
from ledger.proofs.receipts import check_receipt, make_receipt
from ledger.proofs.note import Signer, Verifier
from ledger.store.mapper import mapper

if TYPE_CHECKING:
    from ledger.application import Ledger

FILES = ("MANIFEST.txt", "receipt.json", "card.json", "card.html", "rubric.toml",
         "checkpoint.txt", "consistency.json", "key.pub")
HEADER = "audit-ledger appeal packet v1"


def _json(data) -> bytes:
    return (canonical_json(data) + "\n").encode()


def write_zip(path: str | Path, files: dict[str, bytes]) -> None:
    """Write ``files`` in FILES order as a reproducible zip (stored, 1980-01-01)."""
    Path(path).write_bytes(zip_bytes(files))


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name in FILES:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.create_system, info.external_attr = 3, 0o644 << 16
            z.writestr(info, files[name])
    return buf.getvalue()


def _publication(lg: "Ledger", town: str, period: str):
    found = [e for e in lg.store.events(type="ScorePublished", town=town, period=period)]
    if not found:
        raise LedgerError(f"{town} has no published card for {period}: publish it first")
    return found[-1]


def build_packet(lg: "Ledger", town: str, period: str, key: Signer, out: str | Path) -> Path:
    """Write the appeal packet of ``town``'s last published card for ``period``."""
    stored = _publication(lg, town, period)
    pub = mapper.to_event(stored)
    receipt = make_receipt(lg, stored.id, key)
    first = checkpoints.parse_text(notes.split(receipt["checkpoint"])[0])
    now_note = service.sign_checkpoint(lg, key)
    now = checkpoints.parse_text(notes.split(now_note)[0])
    consistency = service.consistency(lg, first.size, now.size)
    tree = lg.explain(town, period, as_of=pub.as_of, known_at=pub.known_at)
    adoption = next(r for r in receipt["events"] if r["row"]["type"] == "RubricAdopted")["row"]
    rubric_text = mapper.to_event(SimpleNamespace(**{**adoption, "type": "RubricAdopted"})).content
    from ledger.exports import export
    with tempfile.TemporaryDirectory() as tmp:
        html = export(lg, period, "html", Path(tmp) / "card.html", as_of=pub.as_of,
                      known_at=pub.known_at).read_bytes()
    files = {"receipt.json": _json(receipt), "card.json": _json(tree), "card.html": html,
             "rubric.toml": rubric_text.encode(), "checkpoint.txt": now_note.encode(),
             "consistency.json": _json(consistency),
             "key.pub": (str(key.verifier()) + "\n").encode()}
    lines = [HEADER, f"town {town}", f"period {period}", f"publication {stored.id}"]
    lines += [f"{hashlib.sha256(files[n]).hexdigest()} {n}" for n in FILES[1:]]
    files["MANIFEST.txt"] = notes.sign("\n".join(lines) + "\n", key).encode()
    write_zip(out, files)
    return Path(out)


def _fail(what_zh: str, what_en: str, why: str):
    raise ProofError(f"{what_en} ({what_zh}): {why}")


def check_packet(path: str | Path, keys: list[Verifier], lang: str = "both") -> list[str]:
    """Verify an appeal packet with no ledger; returns the lines saying what it proved
    (raises ProofError naming the part that failed)."""
    try:
        data = Path(path).read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = z.namelist()
            if sorted(names) != sorted(FILES) or len(names) != len(FILES):
                _fail("压缩包", "the zip", f"expected exactly the files {', '.join(FILES)}")
            files = {n: z.read(n) for n in FILES}
    except ProofError:
        raise
    except Exception as exc:  # noqa: BLE001  (any damage to the container, said in one line)
        _fail("压缩包", "the zip", f"unreadable or altered ({exc})")
    own = None
    try:
        own = notes.parse_verifier(files["key.pub"].decode())
    except (LedgerError, UnicodeDecodeError) as exc:
        _fail("公钥文件", "key.pub", str(exc))
    trusted = keys or [own]
    try:
        manifest = notes.open_note(files["MANIFEST.txt"].decode(), trusted)
    except (LedgerError, UnicodeDecodeError) as exc:
        _fail("清单", "MANIFEST.txt", str(exc))
    lines = manifest.text.rstrip("\n").split("\n")
    if len(lines) != 4 + len(FILES) - 1 or lines[0] != HEADER:
        _fail("清单", "MANIFEST.txt", "not an appeal packet manifest")
    town, period, pub_id = (lines[i].split(" ", 1)[1] for i in (1, 2, 3))
    for line, name in zip(lines[4:], FILES[1:]):
        if line != f"{hashlib.sha256(files[name]).hexdigest()} {name}":
            _fail(name, name, "altered: its SHA-256 is not the one the signed manifest lists")
    try:
        receipt = json.loads(files["receipt.json"])
        proved = check_receipt(receipt, trusted)
    except (ValueError, LedgerError) as exc:
        _fail("发布回执", "receipt.json", str(exc))
    pub, first = proved["publication"], proved["checkpoint"].checkpoint
    if (pub.town, pub.period, pub.id) != (town, period, pub_id):
        _fail("发布回执", "receipt.json", "the publication is not the manifest's")
    if hashlib.sha256(files["rubric.toml"]).hexdigest() != pub.rubric_sha256:
        _fail("评分细则", "rubric.toml", "its SHA-256 is not the published rubric's")
    try:
        now = checkpoints.parse(files["checkpoint.txt"].decode(), trusted).checkpoint
        cons = json.loads(files["consistency.json"])
        check_proof(cons, first)
        if (cons["to_size"], cons["to_root"]) != (now.size, now.root.hex()):
            raise ProofError("it does not reach today's checkpoint")
    except (ValueError, LedgerError, KeyError, UnicodeDecodeError) as exc:
        _fail("一致性证明", "consistency.json / checkpoint.txt", str(exc))
    if zip_bytes(files) != data:
        _fail("压缩包", "the zip", "its container was altered outside the files")
    n = len(proved["rows"])
    key_note = ("" if keys else f" — checked with the packet's own key {own}: compare it with the "
                f"key the bureau publishes / 使用包内公钥核验，请与主管部门公布的公钥比对")
    zh = [f"通过：{town} {period} 年度的发布成绩（{pub.id}）经签名检查点（{first.origin}，"
          f"第 {first.size} 条）证明已记入台账；",
          f"成绩单 SHA-256 {pub.sha256[:16]}… 与发布时一致，所引用的 {n} 条事件（含发布与细则采用）"
          f"均有包含性证明，评分细则哈希一致；",
          f"今日检查点（第 {now.size} 条）是发布时台账的延续，此后未改写任何记录。"]
    en = [f"ok: the published card of {town} for {period} ({pub.id}) was in the ledger at the "
          f"signed checkpoint of {first.origin} (size {first.size});",
          f"the card's SHA-256 {pub.sha256[:16]}… is the published one, the {n} events it rests "
          f"on (publication and rubric adoption included) are proven in that tree, and the "
          f"rubric's hash matches;",
          f"today's checkpoint (size {now.size}) extends the published ledger: nothing was "
          f"rewritten since."]
    out = (zh if lang in ("zh", "both") else []) + (en if lang in ("en", "both") else [])
    return out + ([key_note.lstrip(" —")] if key_note else [])
