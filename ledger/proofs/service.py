"""Proofs and checkpoints made from a ledger (over the :class:`ledger.Ledger` API).

>>> import ledger, tempfile, os
>>> from ledger.proofs import note
>>> key = note.generate("example.org/log")
>>> with ledger.open(os.path.join(tempfile.mkdtemp(), "p.db")) as lg:
...     lg.append([{"type": "town", "id": "t1", "name": "沙溪镇"}])
...     signed = sign_checkpoint(lg, key)
...     proof = inclusion(lg, "t1")
1
>>> proof["kind"], proof["leaf_index"], proof["tree_size"]  # the checkpoint is event 2
('inclusion', 0, 2)
"""

from __future__ import annotations

import functools
import hashlib
from typing import TYPE_CHECKING

from ledger.errors import LedgerError, TamperError
from ledger.events import CheckpointSigned
from ledger.proofs import checkpoint as checkpoints
from ledger.proofs.checkpoint import Checkpoint
from ledger.store.merkle import consistency_path, inclusion_path, leaf_hash
from ledger.proofs.note import Signer
from ledger.store import format_timestamp, tree, tree_pg
from ledger.store.postgres import redact
from ledger.store.mapper import mapper

if TYPE_CHECKING:
    from ledger.application import Ledger


def database_errors(fn):
    """On PostgreSQL a server's error (a lost connection, a missing privilege) inside
    ``fn(lg, …)`` becomes one LedgerError line, never a traceback."""
    @functools.wraps(fn)
    def wrapper(lg: "Ledger", *args, **kwargs):
        if lg.store.dialect == "sqlite":
            return fn(lg, *args, **kwargs)
        with tree_pg.database_errors(f"cannot make the proof from {redact(lg.store.url)}"):
            return fn(lg, *args, **kwargs)
    return wrapper


def _conn(lg: "Ledger"):
    conn = lg.store.conn
    if not tree.prepare(conn) and (not tree.usable(conn)
                                   or tree.applied_size(conn) < tree.head_size(conn)):
        if lg.store.dialect == "sqlite":
            raise LedgerError("the ledger's Merkle tree is behind and the file is read-only: "
                              "open it once with write access")
        raise LedgerError("the ledger's Merkle tree is missing or behind and cannot be "
                          "written here (a replica, or a role without the tree's tables): "
                          "open the ledger once on the primary as the database's owner "
                          "(any command, such as head)")
    return conn


def _head_size(lg: "Ledger") -> int:
    head = lg.head()
    if head is None:
        raise LedgerError("the ledger is empty: nothing to prove yet")
    return head.seq


@database_errors
def sign_checkpoint(lg: "Ledger", key: Signer, origin: str | None = None,
                    actor: str | None = None) -> str:
    """Sign the ledger's tree head and append it as a CheckpointSigned event; returns the
    signed note. Made under the write lock, so the head cannot move meanwhile.

    A signature is forever, so nothing derived is trusted: the chain and the stored tree
    are verified first, and the ledger must still hold every checkpoint it signed before
    (C2SP: a log never signs a checkpoint inconsistent with an earlier one).
    """
    from ledger.importing.validation import to_new_event
    made: list[str] = []
    lg.verify()
    for earlier in checkpoints_signed(lg):
        cp = checkpoints.parse_text(earlier.note.split("\n\n")[0] + "\n")
        check_against_ledger(lg, cp)

    def prepare(reader):
        conn = lg.store.conn
        tree.catch_up(conn)
        head = lg.store.head()
        if head is None:
            raise LedgerError("the ledger is empty: nothing to sign yet")
        cp = Checkpoint(origin or key.name, head.seq, tree.root(conn, head.seq), str(head),
                        format_timestamp(_now(lg)))
        signed = cp.sign(key)
        made.append(signed)
        yield to_new_event(CheckpointSigned(
            id=f"checkpoint-{hashlib.sha256(signed.encode()).hexdigest()[:16]}",
            origin=cp.origin, tree_size=cp.size, root_hash=cp.root.hex(),
            chain_head=cp.chain_head, note=signed, key=str(key.verifier()), actor=actor))

    lg.store.append(prepare)
    return made[0]


def _now(lg: "Ledger"):
    """The ledger's clock: the injected one, else on PostgreSQL the server's (one clock for
    every writer, as ``recorded_at``)."""
    if lg.clock is not None:
        return lg.clock()
    return lg.store.conn.execute("SELECT clock_timestamp()").fetchone()[0]


@database_errors
def check_against_ledger(lg: "Ledger", cp: Checkpoint) -> None:
    """Raise TamperError unless the ledger still holds the tree ``cp`` signed."""
    size = _head_size(lg)
    if cp.size > size:
        raise TamperError(f"the checkpoint covers {cp.size} events but the ledger ends at "
                          f"seq {size}: events were removed", size + 1)
    stored = lg.store.get_seq(cp.size)
    if stored is None or f"{cp.size}:{stored.hash}" != cp.chain_head:
        raise TamperError(f"event seq {cp.size} differs from the checkpoint's chain "
                          f"{cp.chain_head[:24]}…: the ledger was rewritten", cp.size)
    if tree.root(_conn(lg), cp.size) != cp.root:
        raise TamperError(f"the ledger's Merkle root at size {cp.size} differs from the "
                          f"checkpoint's: the ledger was rewritten", cp.size)


@database_errors
def inclusion(lg: "Ledger", event_id: str, size: int | None = None) -> dict:
    """The inclusion proof of event ``event_id`` in the tree of ``size`` (default: head)."""
    conn = _conn(lg)
    e = lg.store.get(event_id)
    if e is None:
        raise LedgerError(f"no event with id {event_id!r} in the ledger")
    size = _head_size(lg) if size is None else size
    if not e.seq <= size <= _head_size(lg):
        raise LedgerError(f"event {event_id!r} (seq {e.seq}) is not in a tree of size {size}")
    src = tree.source(conn)
    return {"kind": "inclusion", "leaf_index": e.seq - 1, "tree_size": size,
            "leaf_hash": leaf_hash(bytes.fromhex(e.hash)).hex(),
            "path": [p.hex() for p in inclusion_path(src, e.seq - 1, size)],
            "root": tree.root(conn, size).hex()}


@database_errors
def consistency(lg: "Ledger", from_size: int, to_size: int | None = None) -> dict:
    """The consistency proof from the tree of ``from_size`` to ``to_size`` (default: head)."""
    conn = _conn(lg)
    head = _head_size(lg)
    to_size = head if to_size is None else to_size
    if not 0 < from_size <= to_size <= head:
        raise LedgerError(f"need 0 < from-size <= to-size <= {head} (the ledger's size), "
                          f"not {from_size} and {to_size}")
    src = tree.source(conn)
    return {"kind": "consistency", "from_size": from_size, "to_size": to_size,
            "path": [p.hex() for p in consistency_path(src, from_size, to_size)],
            "from_root": tree.root(conn, from_size).hex(),
            "to_root": tree.root(conn, to_size).hex()}


@database_errors
def checkpoints_signed(lg: "Ledger") -> list[CheckpointSigned]:
    """The checkpoints the ledger recorded signing, oldest first."""
    return [mapper.to_event(e)
            for e in lg.store.events(type="CheckpointSigned", unscoped=True)]


def read_checkpoint(text: str, keys) -> checkpoints.Verified:
    return checkpoints.parse(text, keys)
