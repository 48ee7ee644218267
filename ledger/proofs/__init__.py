"""Proofs a town can check without the ledger (issue 17).

Two layers live here. At the bottom, pure and needing no ledger: :mod:`merkle` (RFC 9162
over hashlib; the store's ``tree`` module builds on it, as it builds on ``errors``),
:mod:`note` (C2SP signed notes and cosignatures), :mod:`checkpoint` and :mod:`files`
(proof JSON and its check). Above the application: :mod:`service` (proofs and
checkpoints from a :class:`ledger.Ledger`), :mod:`receipts`, :mod:`packet`, and
:mod:`commands` (the click commands ``ledger.cli`` registers).
"""
