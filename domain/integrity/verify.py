"""Recompute every hash from genesis and say where the log stops being what was written.

``verify_log`` walks the events and their chain rows in position order. The
first problem found is reported with its position and its kind:

- ``modified``: an event's bytes no longer give its leaf hash;
- ``missing``: a position has a chain row (or its neighbours do) but no event;
- ``inserted``: an event sits where the chain has none (or pushed the rest down);
- ``reordered``: the event at one position is the one the chain has at another;
- ``chain``: a chain row does not follow from its predecessor (a hash row edited);
- ``truncated`` / ``rewritten``: only visible against a checkpoint (fewer events
  than it counted; or the first N events no longer give its Merkle root, which is
  what a consistent rewrite of the hash rows by someone with write access leaves).

Beside the chain, everything else the ledger trusts:

- ``index``: ``event_index`` must be exactly what the events imply, one row per
  event with its id, position, aggregate and version (a row added, edited or
  removed misleads every look-up by id: idempotency, retractions, ``prove``);
- ``unreadable``: an event whose stored state is not JSON with an event id (and,
  with *deep*, one that does not decode with the current mapper and model);
- ``rule`` (*deep*): an event that does not follow from the events before it under
  the ledger's rules (``domain.integrity.rules``, the command handlers replayed);
- ``meta``: ``ledger_meta`` no longer gives its seal (``domain.integrity.meta``);
  against a checkpoint, the ledger's identity differs from the one it signed.

The first damage of the chain is reported first; else the first index, unreadable
or rule problem by position; else a meta problem. A clean log gives its size,
head chain hash and Merkle root.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import StoredEvent

from domain.errors import DamagedError
from domain.integrity import meta as sealing
from domain.integrity.chain import GENESIS, event_leaf, next_chain
from domain.integrity.merkle import consistency_proof, tree_root, verify_consistency

if TYPE_CHECKING:
    from domain.integrity.checkpoint import Checkpoint
    from domain.ledger import Ledger


@dataclass
class Problem:
    kind: str
    position: int | None
    detail: str

    def __str__(self) -> str:
        where = f"position {self.position}: " if self.position is not None else ""
        return f"{self.kind} {where}{self.detail}"


@dataclass
class Report:
    """What ``verify_log`` found."""

    ledger: str
    ledger_id: str
    size: int = 0
    head: bytes = GENESIS
    root: bytes = b""
    problem: Problem | None = None
    checked_against: list[str] = field(default_factory=list)
    #: What was checked besides the chain: ``index``, ``meta``, ``deep``, ``signatures``.
    checks: list[str] = field(default_factory=list)
    #: Who signed what (``domain.integrity.signatures.Provenance.lines``), when signatures were checked.
    provenance: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "ledger": self.ledger,
            "ledger_id": self.ledger_id,
            "size": self.size,
            "head": self.head.hex(),
            "root": self.root.hex(),
            "problem": None
            if self.problem is None
            else {"kind": self.problem.kind, "position": self.problem.position, "detail": self.problem.detail},
            "checked_against": self.checked_against,
            "checks": self.checks,
            "provenance": self.provenance,
        }


Content = tuple[Any, Any, Any, Any]  # originator id text, version, topic, state: as stored


def leaf_of(position: int, content: Content) -> bytes | None:
    """The leaf hash of stored content, or None when the row is not even well-typed."""
    originator_id, version, topic, state = content
    if not (isinstance(originator_id, str) and type(version) is int and isinstance(topic, str)):
        return None
    if not isinstance(state, bytes):
        return None
    return event_leaf(position, originator_id, version, topic, state)


def _is_hash(value: Any) -> bool:
    return isinstance(value, bytes) and len(value) == 32


_EVENT_ID_HEAD = b'{"event_id":"'


def stored_event_id(state: bytes) -> str | None:
    """The event id a stored state holds (its first field, as the mapper writes it), or None."""
    if state[:13] == _EVENT_ID_HEAD and state[49:50] == b'"':
        return state[13:49].decode("ascii", "replace")
    try:
        found = json.loads(state)
    except ValueError:
        return None
    value = found.get("event_id") if isinstance(found, dict) else None
    return value if isinstance(value, str) else None


class _Beside:
    """The checks beside the chain, fed one verified event at a time: the index walk and the deep replay."""

    def __init__(self, ledger: Ledger, upto: int, deep: bool) -> None:
        self.index = ledger.recorder.select_index(None, upto)
        self.row = next(self.index, None)
        self.problem: Problem | None = None
        self.replay = None
        if deep:
            from domain.integrity.rules import RuleReplay  # the command handlers: only for a deep check

            self.replay = RuleReplay(ledger.recorder, ledger.mapper)

    def _found(self, problem: Problem) -> None:
        if self.problem is None:
            self.problem = problem
            self.replay = None  # what follows a first problem proves nothing more

    def event(self, position: int, content: Content) -> None:
        originator_id, version, topic, state = content
        event_id = stored_event_id(state)
        if event_id is None:
            self._found(Problem("unreadable", position, "the stored state is not a JSON object with an event id"))
        self._index(position, event_id, originator_id, version)
        if self.replay is not None:
            try:
                event = self.replay.decode(StoredEvent(originator_id, version, topic, state))
            except DamagedError as exc:
                self._found(Problem("unreadable", position, exc.problem))
                return
            why = self.replay.check(position, event)
            if why is not None:
                self._found(Problem("rule", position, why))

    def _index(self, position: int, event_id: str | None, originator_id: str, version: int) -> None:
        row = self.row
        while row is not None and row[0] < position:  # a row for a position that has no event
            self._found(Problem("index", row[0], f"an index row names event {row[1]} at a position with no event"))
            row = next(self.index, None)
        if row is None or row[0] > position:
            self._found(Problem("index", position, "the event has no index row (it was not written by the ledger)"))
        else:
            if (str(row[1]), str(row[2]), row[3]) != (event_id, originator_id, version):
                self._found(
                    Problem("index", position, f"the index row (event {row[1]}) does not describe the event here")
                )
            row = next(self.index, None)
        self.row = row

    def end(self) -> Problem | None:
        if self.row is not None:
            self._found(Problem("index", self.row[0], f"an index row names event {self.row[1]} past the log's end"))
        return self.problem


def verify_log(
    ledger: Ledger,
    checkpoint: Checkpoint | None = None,
    *,
    deep: bool = False,
    beside: bool = True,
    keyring: dict[str, str] | None = None,
) -> Report:
    """Recompute every leaf and chain hash, check the index and the meta rows; compare with *checkpoint* if given.

    *deep*: also decode every event and replay the ledger's rules (``domain.integrity.rules``).
    *beside*: False checks the chain alone (what ``verify`` did before issue 14; for the benchmark).
    *keyring* (``key id -> file``, ``signatures.load_keyring``): every stored signature must be by one of
    these keys. Signatures are checked whenever there is a keyring, the ledger requires them, or any is
    stored (``domain.integrity.signatures``).
    The walk stops at the heads read when it starts, so events appended while it runs are
    neither reported as damage nor counted.
    """
    report = Report(ledger=ledger.name, ledger_id=ledger.meta.get("ledger_id", ""))
    recorder = ledger.recorder
    event_head, chain_head, index_head = recorder.heads()
    upto = max(event_head, chain_head, index_head if beside else 0)
    events = ((r[0], r[1:]) for r in recorder.select_raw_events(None, upto))
    chain = recorder.select_chain(None, upto)
    others = _Beside(ledger, upto, deep) if beside else None
    if beside:
        report.checks = ["index", "meta", *(["deep"] if deep else [])]
    e, c = next(events, None), next(chain, None)
    expected, prev_position, prev_chain = 1, None, GENESIS
    leaves: list[bytes] = []
    while e is not None or c is not None:
        pe = e[0] if e else None
        pc = c[0] if c else None
        here = min(p for p in (pe, pc) if p is not None)
        if here > expected:
            report.problem = Problem("missing", expected, "no event and no chain row at this position")
            break
        if pc is None or (pe is not None and pe < pc):
            report.problem = Problem("inserted", pe, "an event with no chain row (not written by the ledger)")
            break
        assert c is not None
        position, stored_prev, stored_leaf, stored_chain = c
        if pe is None or pe > pc:
            report.problem = Problem("missing", pc, "the chain records an event that is not in the log")
            break
        assert e is not None
        leaf = leaf_of(position, e[1])
        if leaf is None:
            report.problem = Problem("modified", position, "the event row is not well-formed (a cell was altered)")
            break
        if not (_is_hash(stored_leaf) and _is_hash(stored_chain)):
            report.problem = Problem("chain", position, "the chain row is not well-formed (a hash cell was altered)")
            break
        if leaf != stored_leaf:
            if next_chain(prev_chain, leaf) == stored_chain and stored_prev == prev_position:
                report.problem = Problem("chain", position, "the stored leaf hash was altered; the event is intact")
            else:
                report.problem = _classify(ledger, position, e[1], stored_leaf, upto)
            break
        if stored_prev != prev_position or stored_chain != next_chain(prev_chain, stored_leaf):
            report.problem = Problem("chain", position, "the chain row does not follow from its predecessor")
            break
        if others is not None:
            others.event(position, e[1])
        leaves.append(leaf)
        prev_position, prev_chain, expected = position, stored_chain, position + 1
        e, c = next(events, None), next(chain, None)
    report.size = len(leaves)
    report.head = prev_chain
    if report.problem is None and others is not None:
        meta = recorder.get_meta()
        report.problem = (
            others.end() or _meta_problem(meta) or _signature_problem(report, recorder, leaves, keyring, meta)
        )
    if report.problem is None:
        report.root = tree_root(leaves)
        if checkpoint is not None:
            report.problem = compare(report, checkpoint, leaves, recorder.get_meta())
    return report


def _signature_problem(
    report: Report, recorder: Any, leaves: list[bytes], keyring: dict[str, str] | None, meta: dict[str, str]
) -> Problem | None:
    from domain.integrity import signatures

    rows = recorder.select_signatures(None, len(leaves))
    first = next(rows, None)
    must = signatures.required(meta)
    if first is None and keyring is None and not must:
        return None  # an unsigned ledger that does not ask for signatures: nothing to check
    report.checks.append("signatures")
    found, provenance = signatures.check(itertools.chain([first] if first else [], rows), leaves, keyring, must)
    report.provenance = list(provenance.lines())
    return None if found is None else Problem("signature", found[0], found[1])


def _meta_problem(meta: dict[str, str]) -> Problem | None:
    why = sealing.broken(meta)
    return Problem("meta", None, why) if why else None


def compare(
    report: Report, checkpoint: Checkpoint, leaves: list[bytes], meta: dict[str, str] | None = None
) -> Problem | None:
    """Does the verified log extend the checkpointed one? (RFC 9162 consistency proof; and, for a checkpoint
    that signed the ledger's identity, the same identity: ``domain.integrity.meta``.)"""
    report.checked_against.append(f"checkpoint of size {checkpoint.size} ({checkpoint.time})")
    if checkpoint.ledger_id != report.ledger_id:
        return Problem(
            "checkpoint", None, f"the checkpoint is for ledger {checkpoint.ledger_id}, not {report.ledger_id}"
        )
    if checkpoint.meta and meta is not None and checkpoint.meta != sealing.identity(meta):
        return Problem(
            "meta",
            None,
            "the ledger's identity rows (ledger id, name, signature policy) are not the ones the checkpoint signed",
        )
    if len(leaves) < checkpoint.size:
        return Problem(
            "truncated",
            len(leaves) + 1,
            f"the log has {len(leaves)} events but the checkpoint counted {checkpoint.size}",
        )
    if checkpoint.size == 0:
        return None
    old_root = tree_root(leaves[: checkpoint.size])
    proof = consistency_proof(leaves, checkpoint.size)
    if old_root != checkpoint.root or not verify_consistency(
        checkpoint.size, len(leaves), proof, checkpoint.root, report.root
    ):
        return Problem(
            "rewritten",
            None,
            f"events 1..{checkpoint.size} no longer give the checkpoint's Merkle root: some event between "
            "them was changed and its hash rows rewritten to match (restore the log from a trusted export)",
        )
    return None


def _classify(ledger: Ledger, position: int, content: Content, stored_leaf: bytes, upto: int) -> Problem:
    """Name the damage behind the first leaf mismatch at *position* (its event is *content*)."""
    recorder = ledger.recorder
    following = recorder.event_at(position + 1)
    stored_next = recorder.leaf_at(position + 1)
    # Two events exchanged: this event belongs at some q, and q's event belongs here.
    candidates = [position + 1, position - 1]
    candidates += [q for q, _, _, _ in recorder.select_chain(None, upto) if q not in candidates]
    for q in candidates:
        if q == position or q < 1:
            continue
        other = following if q == position + 1 else recorder.event_at(q)
        if other is None:
            continue
        if leaf_of(position, other) == stored_leaf and leaf_of(q, content) == (
            stored_next if q == position + 1 else recorder.leaf_at(q)
        ):
            first, second = sorted((position, q))
            return Problem("reordered", first, f"the events at positions {first} and {second} were swapped")
    if following is not None and leaf_of(position, following) == stored_leaf:
        return Problem("inserted", position, "an extra event pushed the later events down by one")
    if stored_next is not None and leaf_of(position + 1, content) == stored_next:
        return Problem("missing", position, "the event here was removed and the later events moved up by one")
    if leaf_of(position + 1, content) == stored_leaf:
        return Problem("missing", position, "the event here and its chain row were removed, the rest renumbered")
    if position > 1 and leaf_of(position - 1, content) == stored_leaf:
        return Problem("inserted", position - 1, "an extra event and chain row were inserted, the rest renumbered")
    return Problem("modified", position, "the event's bytes no longer match its leaf hash")
