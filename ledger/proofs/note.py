"""C2SP signed notes with Ed25519 keys (signed-note) and Ed25519 cosignatures
(tlog-cosignature), over ``cryptography``.

A signer's verifier key is ``NAME+HEXKEYID+BASE64(type || pubkey)`` (type 0x01 for a
log's key, 0x04 for a cosigner's); its private key file is
``PRIVATE+KEY+NAME+HEXKEYID+BASE64(type || seed)``, as Go's sumdb ``note`` writes it.

>>> key = generate("example.com/log")
>>> signed = sign("hello\\n", key)
>>> open_note(signed, [key.verifier()]).text
'hello\\n'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
import time

from attrs import frozen
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.errors import LedgerError

ED25519, COSIGNATURE = 0x01, 0x04
DASH = "\u2014"
MAX_SIGNATURES = 16
_NAME = re.compile(r"[^\s+]+")


class NoteError(LedgerError):
    """A note, key or signature that does not check out (the message says which)."""


def key_id(name: str, kind: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + public).digest()[:4]


@frozen
class Verifier:
    name: str
    kind: int
    public: bytes

    @property
    def id(self) -> bytes:
        return key_id(self.name, self.kind, self.public)

    def __str__(self) -> str:
        return (f"{self.name}+{self.id.hex()}+"
                f"{base64.b64encode(bytes([self.kind]) + self.public).decode()}")


@frozen
class Signer:
    name: str
    kind: int
    seed: bytes

    def verifier(self) -> Verifier:
        pub = Ed25519PrivateKey.from_private_bytes(self.seed).public_key()
        return Verifier(self.name, self.kind, pub.public_bytes(Encoding.Raw, PublicFormat.Raw))

    def __str__(self) -> str:
        return (f"PRIVATE+KEY+{self.name}+{self.verifier().id.hex()}+"
                f"{base64.b64encode(bytes([self.kind]) + self.seed).decode()}")


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise NoteError(f"key name {name!r} must be non-empty, without spaces or '+'")
    return name


def generate(name: str, cosigner: bool = False) -> Signer:
    """A new Ed25519 key named ``name`` (a log's key, or a cosigner's)."""
    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    return Signer(_check_name(name), COSIGNATURE if cosigner else ED25519, seed)


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError(f"{what}: not valid base64") from None


def parse_verifier(text: str) -> Verifier:
    """Read a verifier key ``NAME+HEXKEYID+BASE64(type || pubkey)``."""
    parts = text.strip().split("+", 2)  # base64 may hold '+'; a name may not
    if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise NoteError(f"malformed verifier key {text.strip()[:60]!r}: expected "
                        f"NAME+HEXKEYID+BASE64KEY")
    raw = _b64(parts[2], "verifier key")
    if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE):
        raise NoteError("verifier key: not an Ed25519 (0x01) or cosignature (0x04) key")
    v = Verifier(_check_name(parts[0]), raw[0], raw[1:])
    if v.id.hex() != parts[1]:
        raise NoteError(f"verifier key {parts[0]}: key id {parts[1]} does not match the key")
    return v


def parse_signer(text: str) -> Signer:
    """Read a private key file's text."""
    parts = text.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise NoteError("not a private key file (expected PRIVATE+KEY+NAME+ID+KEY)")
    raw = _b64(parts[4], "private key")
    if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE):
        raise NoteError("private key: not an Ed25519 key")
    s = Signer(_check_name(parts[2]), raw[0], raw[1:])
    if s.verifier().id.hex() != parts[3]:
        raise NoteError(f"private key {parts[2]}: key id {parts[3]} does not match the key")
    return s


def _signature(text: str, key: Signer, now: int | None) -> bytes:
    private = Ed25519PrivateKey.from_private_bytes(key.seed)
    if key.kind == ED25519:
        return private.sign(text.encode())
    stamp = int(time.time()) if now is None else now
    message = f"cosignature/v1\ntime {stamp}\n{text}".encode()
    return struct.pack(">Q", stamp) + private.sign(message)


def sign(text: str, key: Signer, now: int | None = None) -> str:
    """The note ``text`` (ending in a newline) signed by ``key``."""
    _check_text(text)
    sig = base64.b64encode(key.verifier().id + _signature(text, key, now)).decode()
    return f"{text}\n{DASH} {key.name} {sig}\n"


def add_signature(note: str, key: Signer, now: int | None = None) -> str:
    """``note`` with one more signature line (a cosignature, for a cosigner's key)."""
    text, _ = split(note)
    sig = base64.b64encode(key.verifier().id + _signature(text, key, now)).decode()
    return f"{note}{DASH} {key.name} {sig}\n"


def _check_text(text: str) -> None:
    if not text.endswith("\n") or any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError("a note's text must end in a newline and hold no control characters")


def split(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """A signed note's text and its signature lines ``(key name, id || signature)``."""
    if not isinstance(note, str) or not note.endswith("\n"):
        raise NoteError("malformed note: it must end in a newline")
    _check_text(note)
    cut = note.rfind("\n\n")
    if cut < 0:
        raise NoteError("malformed note: no blank line before the signatures")
    text, lines = note[:cut + 1], note[cut + 2:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"a note with more than {MAX_SIGNATURES} signatures is refused")
    sigs = []
    for line in lines:
        m = re.fullmatch(DASH + r" ([^\s+]+) ([A-Za-z0-9+/=]+)", line)
        if m is None:
            raise NoteError(f"malformed signature line {line[:40]!r}")
        raw = _b64(m.group(2), f"signature of {m.group(1)}")
        if len(raw) < 5:
            raise NoteError(f"signature of {m.group(1)} is too short")
        sigs.append((m.group(1), raw))
    return text, sigs


@frozen
class Note:
    text: str
    verified_by: tuple[str, ...]  # names of the trusted keys whose signatures verified
    timestamps: tuple[int | None, ...] = ()


def open_note(note: str, keys: list[Verifier]) -> Note:
    """Verify ``note`` against trusted ``keys``: every signature by a known key must
    verify, and at least one must; signatures of unknown keys are ignored (C2SP)."""
    text, sigs = split(note)
    verified, stamps = [], []
    for name, raw in sigs:
        for k in keys:
            if k.name != name or k.id != raw[:4]:
                continue
            public = Ed25519PublicKey.from_public_bytes(k.public)
            body, stamp = raw[4:], None
            if k.kind == COSIGNATURE:
                if len(body) != 72:
                    raise NoteError(f"the cosignature of {name} has the wrong length")
                stamp = struct.unpack(">Q", body[:8])[0]
                message, body = f"cosignature/v1\ntime {stamp}\n{text}".encode(), body[8:]
            else:
                message = text.encode()
            try:
                public.verify(body, message)
            except InvalidSignature:
                raise NoteError(f"the signature of {name} does not verify: the note was "
                                f"altered or signed by another key") from None
            verified.append(name)
            stamps.append(stamp)
    if not verified:
        names = ", ".join(f"{k.name}+{k.id.hex()}" for k in keys)
        raise NoteError(f"the note carries no signature of the trusted key {names}")
    return Note(text, tuple(verified), tuple(stamps))
