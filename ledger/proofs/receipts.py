"""Publications as verifiable receipts: the card, its SHA-256, the publication event, a
signed checkpoint covering it and inclusion proofs of every event the card cites.

A receipt is checked with no ledger: each event's hash is recomputed from its stored
row, its leaf proven in the checkpoint's tree, the checkpoint's signature verified
and the card's hash compared with the one the publication event froze.

    {"kind": "receipt", "publication": "pub-…", "card": "<canonical JSON>", "sha256": "…",
     "checkpoint": "<signed note>", "events": [{"row": {seq, id, …, hash}, "proof": {…}}]}
"""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace
from typing import TYPE_CHECKING

from ledger.errors import LedgerError
from ledger.proofs import checkpoint as checkpoints, service
from ledger.proofs.files import ProofError, check_proof
from ledger.store.merkle import leaf_hash
from ledger.proofs.note import Signer, Verifier
from ledger.store.chain import COLUMNS, event_hash
from ledger.store.mapper import mapper

if TYPE_CHECKING:
    from ledger.application import Ledger


def cited_events(card: dict) -> list[str]:
    """Ids of every event a card (or scoreboard) cites, in order of first citation.

    >>> cited_events({"indicators": [{"clauses": [{"events": ["f1", "f2"]}, {"events": ["f1"]}]}]})
    ['f1', 'f2']
    """
    found: dict[str, None] = {}

    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k == "events" and isinstance(v, list):
                    found.update(dict.fromkeys(x for x in v if isinstance(x, str)))
                else:
                    walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(card)
    return list(found)


def _row(lg: "Ledger", event_id: str) -> dict:
    e = lg.store.get(event_id)
    if e is None:
        raise LedgerError(f"no event with id {event_id!r} in the ledger")
    return {c: getattr(e, c) for c in COLUMNS}


def covering_checkpoint(lg: "Ledger", seq: int, key: Signer | None) -> str:
    """The first checkpoint the ledger signed covering ``seq``, or a new one by ``key``."""
    for cp in service.checkpoints_signed(lg):
        if cp.tree_size >= seq:
            return cp.note
    if key is None:
        raise LedgerError("no signed checkpoint covers the publication yet: give a key to sign one")
    return service.sign_checkpoint(lg, key)


def make_receipt(lg: "Ledger", publication_id: str, key: Signer | None = None) -> dict:
    """The receipt of publication ``publication_id`` (signing a checkpoint if none covers it)."""
    stored = lg.store.get(publication_id)
    if stored is None or stored.type != "ScorePublished":
        raise LedgerError(f"no publication with id {publication_id!r} in the ledger")
    pub = mapper.to_event(stored)
    note = covering_checkpoint(lg, stored.seq, key)
    size = checkpoints.parse_text(note.split("\n\n")[0] + "\n").size
    adoption = lg.store.latest("RubricAdopted", pub.period, pub.known_at)
    ids = [publication_id] + ([adoption.id] if adoption else []) + cited_events(json.loads(pub.content))
    events = [{"row": _row(lg, i), "proof": service.inclusion(lg, i, size)} for i in ids]
    return {"kind": "receipt", "publication": publication_id, "card": pub.content,
            "sha256": pub.sha256, "checkpoint": note, "events": events}


def check_event(item, cp) -> dict:
    """One ``{"row", "proof"}``: the row's hash recomputed, its leaf proven in ``cp``'s tree."""
    try:
        row = item["row"]
        if sorted(row) != sorted(COLUMNS):
            raise ProofError("an event row must have exactly the store's columns")
        e = SimpleNamespace(**row)
        digest = event_hash(e.prev_hash, e.seq, e, e.recorded_at)
    except (KeyError, TypeError, AttributeError, ValueError):
        raise ProofError("an event entry is malformed") from None
    if digest != e.hash:
        raise ProofError(f"event {e.id!r}: its content does not match its hash")
    proof = item["proof"]
    if not isinstance(proof, dict) or proof.get("kind") != "inclusion":
        raise ProofError(f"event {e.id!r}: no inclusion proof")
    if proof.get("leaf_index") != e.seq - 1 or proof.get("leaf_hash") != leaf_hash(
            bytes.fromhex(e.hash)).hex():
        raise ProofError(f"event {e.id!r}: the proof is not about this event")
    try:
        check_proof(proof, cp)
    except ProofError as exc:
        raise ProofError(f"event {e.id!r}: {exc}") from None
    return row


def check_receipt(receipt, keys: list[Verifier]) -> dict:
    """Verify a receipt offline; returns what it proved (raises ProofError naming what failed)."""
    if not isinstance(receipt, dict) or receipt.get("kind") != "receipt":
        raise ProofError("not a receipt")
    try:
        cp = checkpoints.parse(receipt["checkpoint"], keys)
    except LedgerError as exc:
        raise ProofError(f"the receipt's checkpoint: {exc}") from None
    rows = {}
    for item in receipt.get("events", []):
        row = check_event(item, cp.checkpoint)
        rows[row["id"]] = row
    pub_row = rows.get(receipt.get("publication"))
    if pub_row is None or pub_row["type"] != "ScorePublished":
        raise ProofError("the receipt holds no proven publication event")
    pub = mapper.to_event(SimpleNamespace(**pub_row))
    card = receipt.get("card")
    if not isinstance(card, str) or card != pub.content:
        raise ProofError("the receipt's card is not the card the publication froze")
    if hashlib.sha256(card.encode()).hexdigest() != pub.sha256 or receipt.get("sha256") != pub.sha256:
        raise ProofError("the card's SHA-256 is not the published one")
    missing = [i for i in cited_events(json.loads(card)) if i not in rows]
    if missing:
        raise ProofError(f"the receipt lacks the proof of cited event {missing[0]!r}")
    return {"publication": pub, "checkpoint": cp, "rows": rows}
