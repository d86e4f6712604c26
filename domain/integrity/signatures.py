"""Signed provenance: each event's leaf hash signed with the writer's own Ed25519 key (optional per ledger).

A writer given a signing key (``--sign-key KEY`` or ``NETLEDGER_SIGN_KEY``; a key from
``keygen``, refused when others can read it) signs the leaf hash of every event it records
(``domain.integrity.chain``: position, aggregate, version, type and stored bytes). The
recorder stores the signature and the raw public key in ``event_signatures``, beside the
chain, in the same transaction as the event; the table is append-only like the chain.

``verify --keyring DIR`` checks every stored signature against its event's leaf and that
its key is one of the ``*.pub`` files in DIR, and reports how many events each key signed.
A ledger made with ``init --require-signatures`` refuses unsigned writes, and ``verify``
fails on any event without a valid signature. Elsewhere unsigned events stay valid:
signatures add evidence of who recorded what; the chain and checkpoints still do the rest.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domain.errors import InputError
from domain.integrity.checkpoint import _crypto, _read_key, key_id

#: The table of signatures and its append-only triggers (SQLite; PostgreSQL: ``domain.storage.postgres``).
CREATE_SIGNATURES = [
    "CREATE TABLE IF NOT EXISTS event_signatures ("
    "position INTEGER PRIMARY KEY, public_key BLOB NOT NULL, signature BLOB NOT NULL)",
    *(
        f"CREATE TRIGGER IF NOT EXISTS event_signatures_no_{verb.lower()} BEFORE {verb} ON event_signatures "
        "BEGIN SELECT RAISE(ABORT, 'netledger: event_signatures is append-only'); END"
        for verb in ("UPDATE", "DELETE")
    ),
]
#: The meta row of a ledger whose every event must be signed (``init --require-signatures``).
REQUIRED = "require_signatures"


def required(meta: dict[str, str]) -> bool:
    return meta.get(REQUIRED) == "yes"


@dataclass(frozen=True)
class Signer:
    """A writer's signing key, loaded once."""

    private: Any
    public: bytes
    key_id: str

    def rows(self, chain: Iterable[tuple[int, Any, bytes, bytes]]) -> list[tuple[int, bytes, bytes]]:
        """``(position, raw public key, signature)`` for chain rows ``(position, prev, leaf, chain)``."""
        return [(position, self.public, self.private.sign(leaf)) for position, _, leaf, _ in chain]


def load_signer(path: str | os.PathLike[str]) -> Signer:
    """The signing key at *path* (a PEM Ed25519 private key only its owner can read)."""
    _, serialization, _, _ = _crypto()
    try:
        private = _read_key(path, private=True)
    except InputError as exc:
        raise InputError("sign-key", exc.problem, exc.fix) from None
    public = private.public_key()  # type: ignore[attr-defined]
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return Signer(private, raw, key_id(public))


def load_keyring(folder: str | os.PathLike[str]) -> dict[str, str]:
    """``key id -> file name`` of every ``*.pub`` file in *folder*."""
    where = Path(folder)
    if not where.is_dir():
        raise InputError("keyring", f"{where} is not a folder", "give a folder of .pub files written by keygen")
    ring: dict[str, str] = {}
    for pub in sorted(where.glob("*.pub")):
        try:
            ring[key_id(_read_key(pub, private=False))] = pub.name
        except InputError as exc:
            raise InputError("keyring", exc.problem, exc.fix) from None
    if not ring:
        raise InputError("keyring", f"{where} holds no .pub file", "put the writers' public keys there")
    return ring


def verify_one(public: bytes, signature: bytes, leaf: bytes) -> str | None:
    """None when *signature* by the raw Ed25519 key *public* is valid over *leaf*, else why not."""
    invalid, _, _, public_cls = _crypto()
    if len(public) != 32 or len(signature) != 64:
        return "the signature row is not well-formed"
    key = public_cls.from_public_bytes(public)
    try:
        key.verify(signature, leaf)
    except invalid:
        return f"the signature by key {key_id(key)} does not match the event"
    return None


@dataclass
class Provenance:
    """What the signatures say: events per key."""

    unsigned: int = 0
    by_key: dict[str, int] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    def lines(self) -> Iterator[str]:
        for key, events in sorted(self.by_key.items()):
            where = f" ({self.files[key]})" if key in self.files else ""
            yield f"signed by key {key}{where}: {events} events"
        if self.unsigned:
            yield f"unsigned: {self.unsigned} events"


def check(
    rows: Iterable[tuple[Any, Any, Any]], leaves: list[bytes], ring: dict[str, str] | None, must: bool
) -> tuple[tuple[int, str] | None, Provenance]:
    """Check stored signature rows ``(position, public key, signature)`` against the verified *leaves*.

    Returns the first problem as ``(position, detail)`` (or None) and the provenance. With
    *ring*, every signing key must be in it; with *must*, every event must be signed.
    """
    invalid, _, _, public_cls = _crypto()
    provenance = Provenance(files=dict(ring or {}))
    expected = 1
    keys: dict[bytes, tuple[str, Any]] = {}
    for position, public, signature in rows:
        if type(position) is not int or not expected <= position <= len(leaves):
            return (int(position) if type(position) is int else 0, "a signature row names no event"), provenance
        if must and position > expected:
            return (expected, "the event is not signed, and this ledger requires signatures"), provenance
        provenance.unsigned += position - expected
        expected = position + 1
        public, signature = bytes(public), bytes(signature)
        if len(public) != 32 or len(signature) != 64:
            return (position, "the signature row is not well-formed"), provenance
        if public not in keys:
            key = public_cls.from_public_bytes(public)
            keys[public] = (key_id(key), key)
        kid, key = keys[public]
        try:
            key.verify(signature, leaves[position - 1])
        except invalid:
            return (position, f"the signature by key {kid} does not match the event"), provenance
        if ring is not None and kid not in ring:
            return (position, f"signed by key {kid}, which is not in the keyring"), provenance
        provenance.by_key[kid] = provenance.by_key.get(kid, 0) + 1
    if must and expected <= len(leaves):
        return (expected, "the event is not signed, and this ledger requires signatures"), provenance
    provenance.unsigned += len(leaves) - expected + 1
    return None, provenance
