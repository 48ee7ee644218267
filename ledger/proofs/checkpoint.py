"""Checkpoints in the C2SP tlog-checkpoint format: the tree head, signed as a note.

    taicang.gov.cn/audit-ledger          <- origin
    1234                                 <- tree size (= seq of the last event)
    CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=   <- base64 Merkle root
    chain 1234:9f86d0…                   <- extension: the chain's digest SEQ:HASH
    time 2026-12-01T10:00:00.000000Z     <- extension: when it was signed (UTC)

    — taicang.gov.cn/audit-ledger <base64 key id || Ed25519 signature>

>>> from ledger.proofs import note
>>> key = note.generate("example.org/log")
>>> cp = Checkpoint("example.org/log", 3, bytes(32), "3:" + "a" * 64, "2026-01-01T00:00:00.000000Z")
>>> parse(cp.sign(key), [key.verifier()]).checkpoint == cp
True
"""

from __future__ import annotations

import base64
import re

from attrs import frozen

from ledger.proofs import note as notes
from ledger.proofs.note import NoteError, Signer, Verifier


@frozen
class Checkpoint:
    origin: str
    size: int
    root: bytes
    chain_head: str  # SEQ:HASH of event ``size``
    time: str        # UTC, the ledger's timestamp format

    def text(self) -> str:
        return (f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"
                f"chain {self.chain_head}\ntime {self.time}\n")

    def sign(self, key: Signer) -> str:
        return notes.sign(self.text(), key)


@frozen
class Verified:
    checkpoint: Checkpoint
    note: str
    signed_by: tuple[str, ...]


def parse_text(text: str) -> Checkpoint:
    """A checkpoint's note text (signatures not checked: see :func:`parse`)."""
    lines = text.split("\n")
    if len(lines) != 6 or lines[-1] != "":
        raise NoteError("malformed checkpoint: expected origin, size, root, chain and time lines")
    origin, size, root, chain, when = lines[:5]
    if not origin or not re.fullmatch(r"0|[1-9][0-9]{0,17}", size):
        raise NoteError("malformed checkpoint: bad origin or tree size line")
    try:
        raw = base64.b64decode(root, validate=True)
    except ValueError:
        raw = b""
    if len(raw) != 32 or base64.b64encode(raw).decode() != root:
        raise NoteError("malformed checkpoint: the root hash line is not 32 bytes of base64")
    m = re.fullmatch(r"chain (([0-9]{1,18}):[0-9a-f]{64})", chain)
    if m is None or int(m.group(2)) != int(size):
        raise NoteError("malformed checkpoint: the chain line must be 'chain SIZE:HASH'")
    t = re.fullmatch(r"time ([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{15}Z)", when)
    if t is None:
        raise NoteError("malformed checkpoint: the time line must be 'time YYYY-MM-DDTHH:MM:SS.ffffffZ'")
    return Checkpoint(origin, int(size), raw, m.group(1), t.group(1))


def parse(note: str, keys: list[Verifier]) -> Verified:
    """Verify the note's signatures with trusted ``keys`` and read the checkpoint."""
    opened = notes.open_note(note, keys)
    return Verified(parse_text(opened.text), note, opened.verified_by)


def read_keys(texts: list[str]) -> list[Verifier]:
    return [notes.parse_verifier(t) for t in texts]
