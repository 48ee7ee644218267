"""Signed notes and verifier keys against the C2SP signed-note example, and cosignatures."""

from __future__ import annotations

import pytest

from ledger.proofs import note

# the C2SP signed-note specification's example key and note
VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
NOTE = ("This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6T"
        "fXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n")


def test_the_specifications_example_verifies():
    v = note.parse_verifier(VKEY)
    assert str(v) == VKEY
    assert note.open_note(NOTE, [v]).text == "This is an example message.\n"
    with pytest.raises(note.NoteError, match="does not verify"):
        note.open_note(NOTE.replace("example message", "example massage"), [v])


def test_keys_round_trip_and_ids_follow_the_spec():
    import hashlib
    k = note.generate("a.example/log")
    assert note.parse_signer(str(k)) == k
    v = k.verifier()
    assert note.parse_verifier(str(v)) == v
    assert v.id == hashlib.sha256(b"a.example/log\n\x01" + v.public).digest()[:4]
    c = note.generate("w.example/w", cosigner=True).verifier()
    assert c.id == hashlib.sha256(b"w.example/w\n\x04" + c.public).digest()[:4]
    with pytest.raises(note.NoteError, match="does not match the key"):
        note.parse_verifier(str(v).replace(v.id.hex(), "00000000"))
    with pytest.raises(note.NoteError):
        note.parse_verifier("no plus here")
    with pytest.raises(note.NoteError, match="without spaces"):
        note.generate("bad name")


def test_cosignature_message_is_the_specs():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    import base64
    log = note.generate("example.com/behind-the-sofa")
    w = note.generate("witness.example.com/w1", cosigner=True)
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    signed = note.add_signature(note.sign(text, log), w, now=1679315147)
    raw = base64.b64decode(signed.rstrip("\n").split(" ")[-1])
    assert raw[:4] == w.verifier().id and int.from_bytes(raw[4:12], "big") == 1679315147
    Ed25519PublicKey.from_public_bytes(w.verifier().public).verify(
        raw[12:], ("cosignature/v1\ntime 1679315147\n" + text).encode())
    assert note.open_note(signed, [w.verifier()]).timestamps == (1679315147,)


def test_malformed_notes_are_refused():
    v = note.parse_verifier(VKEY)
    for bad in ("", "no newline", "text\n", NOTE.replace("\u2014", "-"), NOTE + "\x07\n",
                NOTE.replace("Uw2Q", "!!!!")):
        with pytest.raises(note.NoteError):
            note.open_note(bad, [v])
