"""The hash chain: one leaf hash and one chain hash per stored event.

The leaf hash covers the event's canonical bytes: its position, aggregate id,
version, type (topic) and the stored payload bytes exactly as written. The
chain hash links each event to everything before it:
``chain[p] = SHA-256(chain[p-1] || leaf[p])``, starting from 32 zero bytes.

>>> leaf = event_leaf(1, "0d56fec259f15054bc90954fce6c5c59", 1, "domain.x:X", b"{}")
>>> len(leaf), len(next_chain(GENESIS, leaf))
(32, 32)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from uuid import UUID

from domain.errors import RuleViolation
from domain.integrity.merkle import leaf_hash

GENESIS = bytes(32)


class ChainError(Exception):
    """The chain does not end where the log ends: writing would fork or hide damage."""

    def refusal(self) -> RuleViolation:
        """The ledger's refusal to write onto such a chain."""
        return RuleViolation("db", f"refusing to write: {self}", "run a verify to see why", code="chain.broken")


def canonical_bytes(position: int, originator_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
    """What a leaf hash covers, as one byte string.

    The aggregate id is hashed as stored (32 lowercase hex digits); text given
    here is hashed exactly as it is, so an id altered in storage changes the leaf.
    """
    aggregate = originator_id.hex if isinstance(originator_id, UUID) else originator_id
    return f"netledger-event-v1\n{position}\n{aggregate}\n{version}\n{topic}\n".encode() + state


def event_leaf(position: int, originator_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
    """RFC 9162 leaf hash of one stored event."""
    return leaf_hash(canonical_bytes(position, originator_id, version, topic, state))


def next_chain(previous: bytes, leaf: bytes) -> bytes:
    return hashlib.sha256(previous + leaf).digest()


def chain_rows(
    rows: Iterable[tuple[int, UUID | str, int, str, bytes]], previous: tuple[int, bytes] | None
) -> Iterator[tuple[int, int | None, bytes, bytes]]:
    """``(position, prev_position, leaf, chain)`` for stored rows, continuing from *previous*."""
    prev_position, prev_chain = previous if previous else (None, GENESIS)
    for position, originator_id, version, topic, state in rows:
        leaf = event_leaf(position, originator_id, version, topic, state)
        chain = next_chain(prev_chain, leaf)
        yield position, prev_position, leaf, chain
        prev_position, prev_chain = position, chain


CREATE_CHAIN = [
    "CREATE TABLE IF NOT EXISTS event_chain ("
    "position INTEGER PRIMARY KEY, "
    "prev_position INTEGER UNIQUE, "
    "leaf_hash BLOB NOT NULL, "
    "chain_hash BLOB NOT NULL)",
    *(
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'netledger: {table} is append-only'); END"
        for table in ("stored_events", "event_index", "event_chain")
        for verb in ("UPDATE", "DELETE")
    ),
]
