"""Tamper evidence: the hash chain, Merkle trees, signed checkpoints, proofs and verification."""
