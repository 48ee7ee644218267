"""Proofs a town can check without the ledger: the Merkle tree over the chain
(:mod:`merkle`), signed checkpoints (:mod:`checkpoint`), proof files
(:mod:`files`), receipts and appeal packets."""
