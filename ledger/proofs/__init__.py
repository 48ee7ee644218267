"""Proofs a town can check without the ledger (issue 17).

The Merkle tree itself (RFC 9162 over hashlib) lives in the store
(:mod:`ledger.store.merkle`, stored by :mod:`ledger.store.tree`). Two layers live here.
Pure and needing no ledger: :mod:`note` (C2SP signed notes and cosignatures), :mod:`checkpoint` and :mod:`files`
(proof JSON and its check). Above the application: :mod:`service` (proofs and
checkpoints from a :class:`ledger.Ledger`), :mod:`receipts`, :mod:`packet`, and
:mod:`commands` (the click commands ``ledger.cli`` registers).
"""
