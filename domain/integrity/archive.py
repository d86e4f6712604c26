"""Export every event with its hashes, and restore such an export into an empty ledger.

The export is JSON Lines: a header line, then one line per event with the
ledger's readable record (``domain.records.to_record``) plus the exact stored
bytes (``topic``, ``state``) and both hashes, and for a signed event its
signature (``signed_by``: the raw public key, ``signature``; both hex; see
``domain.integrity.signatures``). A ledger that requires signatures says so in
the header (``require_signatures``). ``restore`` checks every hash as
it reads and refuses the file at the first bad record, before writing
anything; the restored ledger keeps the original positions, ids, recorded
times and ledger id, so it has the same chain head.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import UUID

from domain.errors import InputError, RuleViolation
from domain.integrity.chain import GENESIS, event_leaf, next_chain
from domain.integrity.merkle import tree_root
from domain.integrity.proofs import require_clean
from domain.integrity.signatures import REQUIRED, required, verify_one
from domain.integrity.verify import verify_log
from domain.mapper import LedgerStoredEvent
from domain.records import to_record
from domain.storage import Row, stored_id

if TYPE_CHECKING:
    from domain.ledger import Ledger

FORMAT = "netledger-export-v1"
HASHES = ("topic", "state", "leaf_hash", "chain_hash", "signed_by", "signature")


class Export(NamedTuple):
    """A checked export: its header, the events to store, and their signature rows."""

    header: dict[str, Any]
    stored: list[LedgerStoredEvent]
    signatures: list[tuple[int, bytes, bytes]]


def export_lines(ledger: Ledger) -> Iterator[dict[str, Any]]:
    """The header, then one record per event with its stored bytes and hashes."""
    report = require_clean(verify_log(ledger))
    header: dict[str, Any] = {
        "format": FORMAT,
        "ledger": ledger.name,
        "ledger_id": report.ledger_id,
        "size": report.size,
        "head": report.head.hex(),
        "root": report.root.hex(),
    }
    if required(ledger.meta):
        header["require_signatures"] = True
    yield header
    signed = {int(p): (bytes(k), bytes(s)) for p, k, s in ledger.recorder.select_signatures(None, report.size)}
    # Only the events verified above: later appends belong to a later export.
    rows = ledger.recorder.select_raw_events(None, report.size)
    chain = ledger.recorder.select_chain(None, report.size)
    for (position, event), raw, (_, _, leaf, chain_hash) in zip(
        ledger.events(upto=report.size), rows, chain, strict=True
    ):
        record = to_record(position, event)
        record.update(topic=raw[3], state=raw[4].decode("utf-8"), leaf_hash=leaf.hex(), chain_hash=chain_hash.hex())
        if position in signed:
            record.update(signed_by=signed[position][0].hex(), signature=signed[position][1].hex())
        yield record


def read_export(lines: Iterable[tuple[int, dict[str, Any]]], mapper: Any) -> Export:
    """Check a whole export (header, positions, hashes, signatures, readable fields); return what to store."""
    items = iter(lines)
    first = next(items, None)
    if first is None or first[1].get("format") != FORMAT:
        raise InputError("line 1", "is not a netledger export header", "give a file written by 'netledger export'")
    header = first[1]
    stored: list[LedgerStoredEvent] = []
    leaves: list[bytes] = []
    signatures: list[tuple[int, bytes, bytes]] = []
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
        signature = _signature(record, position, leaf, where, bool(header.get("require_signatures")))
        if signature is not None:
            signatures.append(signature)
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
    return Export(header, stored, signatures)


def _signature(
    record: dict[str, Any], position: int, leaf: bytes, where: str, must: bool
) -> tuple[int, bytes, bytes] | None:
    """The signature row of an exported event, checked against its leaf (None if it is not signed)."""
    if "signed_by" not in record and "signature" not in record:
        if must:
            raise RuleViolation(where, f"the event at position {position} is not signed", "the export was altered")
        return None
    try:
        public, signature = bytes.fromhex(record["signed_by"]), bytes.fromhex(record["signature"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(where, f"malformed signature ({exc})", "do not edit exports") from None
    problem = verify_one(public, signature, leaf)
    if problem is not None:
        raise RuleViolation(where, f"position {position}: {problem}", "the export was altered")
    return position, public, signature


def restore(
    ledger: Ledger,
    header: dict[str, Any],
    stored: list[LedgerStoredEvent],
    signatures: list[tuple[int, bytes, bytes]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    """Write checked events (and their signatures) into an empty ledger in one transaction; check the head."""
    if ledger.count():
        raise RuleViolation("db", f"{ledger.location} already holds {ledger.count()} events", "restore into a new file")
    identity = {"ledger_id": str(header["ledger_id"]), "name": str(header.get("ledger") or ledger.name)}
    if header.get("require_signatures"):
        identity[REQUIRED] = "yes"
    if any(ledger.meta.get(k) != v for k, v in identity.items()):
        ledger.recorder.replace_meta(identity)  # an empty ledger takes the exported ledger's identity
        ledger.meta = ledger.recorder.get_meta()
    if stored:
        rows = [
            Row(n, stored_id(s.originator_id), s.originator_version, s.topic, s.state, str(s.event_id))
            for n, s in enumerate(stored, start=1)
        ]
        with ledger.recorder.begin(commit=True) as txn:  # the events, chain, index and signatures: all or nothing
            ledger.recorder.write(txn, rows)
            ledger.recorder.write_signatures(txn, list(signatures))
    report = require_clean(verify_log(ledger))
    if report.head.hex() != header["head"]:  # pragma: no cover - every hash was checked before writing
        raise RuleViolation("header", "the restored chain head differs from the export's", "")
    return {"events": report.size, "head": report.head.hex(), "ledger_id": report.ledger_id}


def dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))
