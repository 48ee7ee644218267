"""The hash chain: how each event's hash is made, and how a whole ledger is checked.

    hash = sha256(prev_hash + "\\n" + envelope + "\\n" + payload)
    envelope = JSON array [seq, id, type, schema_version, town, period,
                           occurred_on, refers_to, recorded_at, actor]

The first ``prev_hash`` is 64 zeros. Changing, removing or reordering any event
breaks every hash after it; cutting the tail, or forging the whole chain, is
only caught against a digest (``SEQ:HASH``) kept outside the ledger.

>>> str(parse_digest("3:" + "a" * 64))[:4]
'3:aa'
"""

from __future__ import annotations

import hashlib
import json
import re

from attrs import frozen

from ledger.errors import LedgerError, TamperError

GENESIS_HASH = "0" * 64
COLUMNS = ("seq", "id", "type", "schema_version", "town", "period", "occurred_on",
           "refers_to", "recorded_at", "actor", "payload", "prev_hash", "hash")


@frozen
class Head:
    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


_envelope_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def event_hash(prev_hash: str, seq: int, e, recorded_at: str) -> str:
    envelope = _envelope_json(
        [seq, e.id, e.type, e.schema_version, e.town, e.period, e.occurred_on, e.refers_to,
         recorded_at, e.actor])
    return hashlib.sha256(f"{prev_hash}\n{envelope}\n{e.payload}".encode()).hexdigest()



def verify_chain(conn, guards: dict[str, str], digest: str | None = None) -> int:
    """Re-hash the whole chain; raise :class:`TamperError` naming the first bad event.

    Checks the guard triggers are in place, ``seq`` runs 1, 2, 3… without gaps,
    each ``prev_hash`` is the previous ``hash`` and each ``hash`` is recomputed
    equal. With ``digest`` (``SEQ:HASH`` from :meth:`head` taken earlier) it also
    proves the ledger still holds that exact prefix. Returns the event count.
    """
    _verify_guards(conn, guards)
    want = parse_digest(digest) if digest is not None else None
    prev, expected_seq = GENESIS_HASH, 1
    sha256 = hashlib.sha256
    dumps = _envelope_json
    rows = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM events ORDER BY seq")
    for (seq, id_, type_, sv, town, period, occ, ref, rec, actor, payload, prev_hash,
         digest_) in rows:
        if seq != expected_seq:
            raise TamperError(f"event seq {expected_seq} is missing (next is {seq}, id {id_!r})",
                              expected_seq)
        if prev_hash != prev:
            raise TamperError(f"event seq {seq} (id {id_!r}): prev_hash does not match the "
                              f"previous event's hash", seq)
        envelope = dumps([seq, id_, type_, sv, town, period, occ, ref, rec, actor])
        if sha256(f"{prev}\n{envelope}\n{payload}".encode()).hexdigest() != digest_:
            raise TamperError(f"event seq {seq} (id {id_!r}): content does not match its hash",
                              seq)
        if want and seq == want.seq and digest_ != want.hash:
            raise TamperError(f"event seq {seq} (id {id_!r}) differs from digest {want}: "
                              f"the ledger was rewritten after the digest was taken", seq)
        prev, expected_seq = digest_, expected_seq + 1
    if want and want.seq >= expected_seq:
        raise TamperError(f"digest {want} names event seq {want.seq}, but the ledger ends at "
                          f"seq {expected_seq - 1}: events were removed", expected_seq)
    return expected_seq - 1


def _verify_guards(conn, guards: dict[str, str]) -> None:
    found = dict(conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"))
    for name, sql in guards.items():
        if found.get(name) != sql:
            raise TamperError(f"the append-only guard {name} is missing or altered")


def parse_digest(text: str) -> Head:
    m = re.fullmatch(r"([0-9]{1,18}):([0-9a-f]{64})", text) if isinstance(text, str) else None
    if m is None or int(m.group(1)) < 1:
        raise LedgerError(f"malformed digest {text!r}: expected SEQ:HASH as printed by `head`")
    return Head(int(m.group(1)), m.group(2))
