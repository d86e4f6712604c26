"""Export every event with its hashes, and restore such an export into an empty ledger.

The export is JSON Lines: a header line, then one line per event with the
ledger's readable record (``domain.records.to_record``) plus the exact stored
bytes (``topic``, ``state``) and both hashes. ``restore`` checks every hash as
it reads and refuses the file at the first bad record, before writing
anything; the restored ledger keeps the original positions, ids, recorded
times and ledger id, so it has the same chain head.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.errors import InputError, RuleViolation
from domain.integrity.chain import GENESIS, event_leaf, next_chain
from domain.integrity.merkle import tree_root
from domain.integrity.proofs import require_clean
from domain.integrity.verify import verify_log
from domain.mapper import LedgerStoredEvent
from domain.records import to_record

if TYPE_CHECKING:
    from domain.ledger import Ledger

FORMAT = "netledger-export-v1"
HASHES = ("topic", "state", "leaf_hash", "chain_hash")


def export_lines(ledger: Ledger) -> Iterator[dict[str, Any]]:
    """The header, then one record per event with its stored bytes and hashes."""
    report = require_clean(verify_log(ledger))
    yield {
        "format": FORMAT,
        "ledger": ledger.name,
        "ledger_id": report.ledger_id,
        "size": report.size,
        "head": report.head.hex(),
        "root": report.root.hex(),
    }
    # Only the events verified above: later appends belong to a later export.
    rows = ledger.recorder.select_raw_events(None, report.size)
    chain = ledger.recorder.select_chain(None, report.size)
    for (position, event), raw, (_, _, leaf, chain_hash) in zip(
        ledger.events(upto=report.size), rows, chain, strict=True
    ):
        record = to_record(position, event)
        record.update(topic=raw[3], state=raw[4].decode("utf-8"), leaf_hash=leaf.hex(), chain_hash=chain_hash.hex())
        yield record


def read_export(
    lines: Iterable[tuple[int, dict[str, Any]]], mapper: Any
) -> tuple[dict[str, Any], list[LedgerStoredEvent]]:
    """Check a whole export (header, positions, hashes, readable fields); return what to store."""
    items = iter(lines)
    first = next(items, None)
    if first is None or first[1].get("format") != FORMAT:
        raise InputError("line 1", "is not a netledger export header", "give a file written by 'netledger export'")
    header = first[1]
    stored: list[LedgerStoredEvent] = []
    leaves: list[bytes] = []
    prev = GENESIS
    for number, record in items:
        where = f"line {number}"
        expected = len(stored) + 1
        try:
            position, aggregate_id, version = record["position"], UUID(record["aggregate_id"]), record["version"]
            topic, state = record["topic"], record["state"].encode("utf-8")
            leaf_hash, chain_hash = bytes.fromhex(record["leaf_hash"]), bytes.fromhex(record["chain_hash"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(where, f"malformed export record ({exc})", "do not edit exports") from None
        if position != expected:
            raise RuleViolation(where, f"position {position} where {expected} was expected", "the export was altered")
        leaf = event_leaf(position, aggregate_id, version, topic, state)
        if leaf != leaf_hash:
            raise RuleViolation(
                where, f"the event at position {position} does not match its leaf hash", "the export was altered"
            )
        prev = next_chain(prev, leaf)
        if prev != chain_hash:
            raise RuleViolation(
                where, f"the chain hash at position {position} does not follow", "the export was altered"
            )
        row = LedgerStoredEvent(aggregate_id, version, topic, state, event_id=str(record.get("event_id")))
        readable = to_record(position, mapper.to_domain_event(row))
        if readable != {k: v for k, v in record.items() if k not in HASHES}:
            raise RuleViolation(where, "the readable fields disagree with the stored bytes", "the export was altered")
        stored.append(row)
        leaves.append(leaf)
    root = tree_root(leaves)
    if len(stored) != header.get("size") or prev.hex() != header.get("head") or root.hex() != header.get("root"):
        raise RuleViolation(
            "header",
            f"the export holds {len(stored)} events ending in {prev.hex()[:16]}..., the header says "
            f"{header.get('size')} ending in {str(header.get('head'))[:16]}... (or its root differs)",
            "the export is truncated or altered",
        )
    return header, stored


def restore(ledger: Ledger, header: dict[str, Any], stored: list[LedgerStoredEvent]) -> dict[str, Any]:
    """Write checked events into an empty ledger in one transaction; check the head matches."""
    if ledger.count():
        raise RuleViolation("db", f"{ledger.location} already holds {ledger.count()} events", "restore into a new file")
    identity = {"ledger_id": str(header["ledger_id"]), "name": str(header.get("ledger") or ledger.name)}
    if any(ledger.meta.get(k) != v for k, v in identity.items()):
        ledger.recorder.replace_meta(identity)  # an empty ledger takes the exported ledger's identity
        ledger.meta = ledger.recorder.get_meta()
    if stored:
        ledger.recorder.insert_events(stored)
    report = require_clean(verify_log(ledger))
    if report.head.hex() != header["head"]:  # pragma: no cover - every hash was checked before writing
        raise RuleViolation("header", "the restored chain head differs from the export's", "")
    return {"events": report.size, "head": report.head.hex(), "ledger_id": report.ledger_id}


def dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))
