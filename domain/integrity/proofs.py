"""Inclusion proofs: show one event is in a checkpointed log without handing over the rest.

A proof carries the event's stored bytes and the RFC 9162 audit path from its
leaf to the checkpoint's root. ``check_inclusion`` needs only the proof, the
checkpoint and the public key: no database.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.errors import InputError, RuleViolation
from domain.integrity.chain import event_leaf
from domain.integrity.checkpoint import Checkpoint
from domain.integrity.merkle import inclusion_proof, verify_inclusion
from domain.integrity.meta import identity
from domain.integrity.verify import Report, verify_log

if TYPE_CHECKING:
    from domain.ledger import Ledger

FORMAT = "netledger-inclusion-proof-v1"


def checkpoint_of(ledger: Ledger, previous: Sequence[Checkpoint] = ()) -> Checkpoint:
    """An unsigned checkpoint of the ledger as it is now.

    Refuses a ledger that does not pass the deep check (``verify --deep``), and one that is not a
    consistent extension of every *previous* checkpoint (the same ledger, every event they counted
    still there and unchanged, the same identity): a signer never signs over a rewrite.
    """
    report = require_clean(verify_log(ledger, deep=True))
    for old in previous:
        checked = verify_log(ledger, old, beside=False)
        if checked.problem is not None:
            raise RuleViolation(
                "checkpoint",
                f"refusing to sign: the ledger is not a consistent extension of the checkpoint of size {old.size} "
                f"signed {old.time}: {checked.problem}",
                "find out what changed before signing: netledger verify --checkpoint FILE --public-key PUB",
            )
    now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    meta = identity(ledger.recorder.get_meta())
    return Checkpoint(ledger.name, report.ledger_id, report.size, report.root, report.head, now, meta=meta)


def require_clean(report: Report) -> Report:
    if report.problem is not None:
        raise RuleViolation("ledger", f"does not verify: {report.problem}", "run 'netledger verify' and investigate")
    return report


def prove(ledger: Ledger, event_id: UUID | str, checkpoint: Checkpoint) -> dict[str, Any]:
    """The inclusion proof of one event in the log as of *checkpoint*."""
    found = ledger.find(event_id)
    if found is None:
        raise RuleViolation("EVENT_ID", f"no event with id {event_id}", "check the id with 'netledger log'")
    position = found[0]
    if position > checkpoint.size:
        raise RuleViolation(
            "EVENT_ID",
            f"recorded at position {position}, after the checkpoint (size {checkpoint.size})",
            "make a newer checkpoint",
        )
    if checkpoint.ledger_id != ledger.meta.get("ledger_id"):
        raise RuleViolation("--checkpoint", "the checkpoint is for another ledger", "give this ledger's checkpoint")
    require_clean(verify_log(ledger, checkpoint))
    leaves = [leaf for _, _, leaf, _ in ledger.recorder.select_chain(None, checkpoint.size)]
    content = ledger.recorder.event_at(position)
    assert content is not None
    originator_id, version, topic, state = content
    return {
        "format": FORMAT,
        "ledger": checkpoint.ledger,
        "ledger_id": checkpoint.ledger_id,
        "size": checkpoint.size,
        "position": position,
        "event_id": str(found[1].event_id),
        "aggregate_id": str(originator_id),
        "version": version,
        "topic": topic,
        "state": base64.b64encode(state).decode(),
        "audit_path": [h.hex() for h in inclusion_proof(leaves, position - 1)],
    }


def check_inclusion(proof: dict[str, Any], checkpoint: Checkpoint) -> dict[str, Any]:
    """Verify *proof* against a checkpoint whose signature was already checked; return the event."""
    try:
        if proof.get("format") != FORMAT:
            raise ValueError(f"format is {proof.get('format')!r}, expected {FORMAT}")
        position = proof["position"]
        size = proof["size"]
        if type(position) is not int or type(size) is not int:
            raise ValueError("position and size must be integers")
        state = base64.b64decode(proof["state"], validate=True)
        path = [bytes.fromhex(h) for h in proof["audit_path"]]
        aggregate_id = UUID(proof["aggregate_id"])
        version, topic = proof["version"], proof["topic"]
        if type(version) is not int or not isinstance(topic, str):
            raise ValueError("version must be an integer and topic a string")
        event = json.loads(state)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError("PROOF", f"malformed proof ({exc})", "give the file 'netledger prove' wrote") from None
    if proof.get("ledger_id") != checkpoint.ledger_id or size != checkpoint.size:
        raise RuleViolation(
            "PROOF", "the proof is for another ledger or another checkpoint", "prove against this checkpoint"
        )
    if not isinstance(event, dict) or str(event.get("event_id")) != str(proof.get("event_id")):
        raise RuleViolation("PROOF", "the proof's event id is not the one in its bytes", "the proof was altered")
    leaf = event_leaf(position, aggregate_id, version, topic, state)
    if not verify_inclusion(leaf, position - 1, size, path, checkpoint.root):
        raise RuleViolation(
            "PROOF", f"the event is not at position {position} of the checkpointed log", "the proof was altered"
        )
    return {"position": position, "aggregate_id": str(aggregate_id), "version": version, "topic": topic, **event}
