"""Proof files (the ``--json`` of ``prove``) and their check, which needs no ledger.

    {"kind": "inclusion", "leaf_index", "tree_size", "leaf_hash", "path": [hex…], "root"}
    {"kind": "consistency", "from_size", "to_size", "path": [hex…], "from_root", "to_root"}

>>> check_proof({"kind": "consistency", "from_size": 1, "to_size": 1, "path": [],
...              "from_root": "ab" * 32, "to_root": "ab" * 32}).startswith("ok")
True
"""

from __future__ import annotations

import re

from ledger.errors import LedgerError
from ledger.proofs.checkpoint import Checkpoint
from ledger.store.merkle import verify_consistency, verify_inclusion

KEYS = {"inclusion": ("kind", "leaf_index", "tree_size", "leaf_hash", "path", "root"),
        "consistency": ("kind", "from_size", "to_size", "path", "from_root", "to_root")}
_HEX = re.compile(r"[0-9a-f]{64}")


class ProofError(LedgerError):
    """A proof that is malformed or does not verify (the message says which)."""


def _hash(value, what: str) -> bytes:
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        raise ProofError(f"{what}: expected 64 lowercase hex digits")
    return bytes.fromhex(value)


def _int(value, what: str) -> int:
    if type(value) is not int or value < 0:
        raise ProofError(f"{what}: expected a non-negative integer")
    return value


def parse_proof(data) -> dict:
    """Check the shape exactly (no key missing or extra) and decode the hashes."""
    kind = data.get("kind") if isinstance(data, dict) else None
    if kind not in KEYS:
        raise ProofError("not a proof: 'kind' must be 'inclusion' or 'consistency'")
    if sorted(data) != sorted(KEYS[kind]):
        raise ProofError(f"a {kind} proof has exactly the keys {', '.join(KEYS[kind])}")
    if not isinstance(data["path"], list):
        raise ProofError("path: expected a list of hashes")
    out = {"kind": kind, "path": [_hash(p, f"path[{i}]") for i, p in enumerate(data["path"])]}
    for k in KEYS[kind][1:]:
        if k != "path":
            out[k] = _int(data[k], k) if k.endswith(("size", "index")) else _hash(data[k], k)
    return out


def check_proof(data, checkpoint: Checkpoint | None = None) -> str:
    """Verify a proof (and that it is made against ``checkpoint``'s tree, if given)."""
    p = parse_proof(data)
    if p["kind"] == "inclusion":
        if not verify_inclusion(p["leaf_index"], p["tree_size"], p["leaf_hash"], p["path"],
                                p["root"]):
            raise ProofError(f"the inclusion proof of leaf {p['leaf_index']} in the tree of "
                             f"size {p['tree_size']} does not verify")
        size, root = p["tree_size"], p["root"]
        said = (f"ok: leaf {p['leaf_index']} (event seq {p['leaf_index'] + 1}) is in the tree "
                f"of size {size} with root {root.hex()}")
    else:
        if not verify_consistency(p["from_size"], p["to_size"], p["from_root"], p["to_root"],
                                  p["path"]):
            raise ProofError(f"the consistency proof from size {p['from_size']} to size "
                             f"{p['to_size']} does not verify")
        size, root = p["to_size"], p["to_root"]
        if checkpoint is not None and (checkpoint.size, checkpoint.root) == (
                p["from_size"], p["from_root"]):
            size, root = p["from_size"], p["from_root"]  # the earlier, signed tree
        said = (f"ok: the tree of size {p['from_size']} (root {p['from_root'].hex()}) is a "
                f"prefix of the tree of size {size} (root {root.hex()})")
    if checkpoint is not None:
        if (checkpoint.size, checkpoint.root) != (size, root):
            raise ProofError(f"the proof is about the tree of size {size}, but the checkpoint "
                             f"signs size {checkpoint.size} with another root")
        said += f"; the checkpoint of {checkpoint.origin} signs that tree"
    return said
