"""Inclusion proofs and signed checkpoints, attacked.

The demo ledger gets one signed checkpoint and, through ``netledger prove``,
one inclusion proof per event; every proof passes ``netledger verify-proof``
without the database. Then each proof field is forged in turn (the event's
bytes, its position, the audit path, the size, the ledger id, another event's
content, malformed JSON and wrong types), and so is the checkpoint (another
signer, another ledger, a hand edit): each forgery is refused with exit 1
(a rule: the proof or checkpoint does not hold) or 2 (malformed input) and a
single ``Error:`` line, never a traceback and never a "proven".

immudb before 1.4.1 accepted forged proofs; these tests assume the prover is
the adversary.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from click.testing import CliRunner

from cli.main import cli
from domain.demo import build_demo
from domain.integrity import checkpoint as cp
from domain.ledger import Ledger
from tests.integrity.conftest import forgetting

SIZE = 43
AMOUNT_POSITION = 40  # support.awarded, 7200000000 KRW (P21)
TARGET = 30  # the proof most forgeries start from


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


@dataclass(frozen=True)
class Proven:
    """The demo ledger, its signed checkpoint and one proof file per position."""

    db: Path
    checkpoint: Path
    pub: Path
    proofs: dict[int, Path]
    records: dict[int, dict[str, Any]]

    def proof(self, position: int) -> dict[str, Any]:
        return json.loads(self.proofs[position].read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def proven(integrity_demo_master, _integrity_signer, tmp_path_factory) -> Proven:
    integrity_signer = forgetting(_integrity_signer)
    folder = tmp_path_factory.mktemp("proofs")
    db = folder / "demo.db"
    db.write_bytes(integrity_demo_master.read_bytes())
    checkpoint = folder / "demo.checkpoint"
    result = invoke("--db", str(db), "checkpoint", "--key", str(integrity_signer.key), "--out", str(checkpoint))
    assert result.exit_code == 0, result.stderr
    log = invoke("--db", str(db), "replay", "--position", str(SIZE))
    records = {r["position"]: r for r in map(json.loads, log.stdout.splitlines())}
    assert len(records) == SIZE
    proofs = {}
    for position, record in records.items():
        result = invoke("--db", str(db), "prove", record["event_id"], "--checkpoint", str(checkpoint))
        assert result.exit_code == 0, result.stderr
        proofs[position] = folder / f"proof-{position}.json"
        proofs[position].write_text(result.stdout, encoding="utf-8")
    return Proven(db, checkpoint, integrity_signer.pub, proofs, records)


def verify_proof(proof: Path, checkpoint: Path, pub: Path, db: str = "no-such-ledger.db") -> Any:
    """``netledger verify-proof``, with --db pointing nowhere: the database is not needed."""
    return invoke("--db", db, "verify-proof", str(proof), "--checkpoint", str(checkpoint), "--public-key", str(pub))


def test_every_event_of_the_demo_is_proven_without_the_database(proven, integrity_tools):
    checkpoint = cp.load(proven.checkpoint)
    for position, record in proven.records.items():
        proof = proven.proof(position)
        assert (proof["position"], proof["size"], proof["event_id"]) == (position, SIZE, record["event_id"])
        assert proof["ledger_id"] == checkpoint.ledger_id
        result = integrity_tools.assert_ok(verify_proof(proven.proofs[position], proven.checkpoint, proven.pub))
        kind = proof["topic"].split(":")[-1]
        assert result.stdout == (
            f"proven: event {record['event_id']} ({kind}) is at position {position} of ledger 'pohang-demo' "
            f"as checkpointed at size {SIZE} ({checkpoint.time})\n"
        )
    assert not Path("no-such-ledger.db").exists()


def test_a_proof_carries_the_stored_bytes_of_its_event(proven):
    proof = proven.proof(AMOUNT_POSITION)
    state = json.loads(base64.b64decode(proof["state"]))
    assert state["event_id"] == proven.records[AMOUNT_POSITION]["event_id"]
    assert state["amount"] == "7200000000"


# -- forged proofs ------------------------------------------------------------------------------

Forge = Callable[[dict[str, Any], Proven], Any]


def state_edit(old: bytes, new: bytes) -> Forge:
    def forge(proof: dict[str, Any], ctx: Proven) -> dict[str, Any]:
        state = base64.b64decode(proof["state"])
        assert old in state
        proof["state"] = base64.b64encode(state.replace(old, new, 1)).decode()
        return proof

    return forge


def flip_state_byte(index: int) -> Forge:
    def forge(proof: dict[str, Any], ctx: Proven) -> dict[str, Any]:
        state = bytearray(base64.b64decode(proof["state"]))
        state[index] ^= 0x01
        proof["state"] = base64.b64encode(bytes(state)).decode()
        return proof

    return forge


def put(key: str, value: Any) -> Forge:
    def forge(proof: dict[str, Any], ctx: Proven) -> dict[str, Any]:
        proof[key] = value(proof[key]) if callable(value) else value
        return proof

    return forge


def drop(key: str) -> Forge:
    def forge(proof: dict[str, Any], ctx: Proven) -> dict[str, Any]:
        del proof[key]
        return proof

    return forge


def path_edit(edit: Callable[[list[str]], list[Any]]) -> Forge:
    def forge(proof: dict[str, Any], ctx: Proven) -> dict[str, Any]:
        proof["audit_path"] = edit(list(proof["audit_path"]))
        return proof

    return forge


def flip_hex(h: str) -> str:
    return f"{int(h[0], 16) ^ 1:x}{h[1:]}"


def other_event(*keys: str, position: int = 31) -> Forge:
    """Copy *keys* from the proof of another event into this one."""

    def forge(proof: dict[str, Any], ctx: Proven) -> dict[str, Any]:
        other = ctx.proof(position)
        proof.update({k: other[k] for k in keys})
        return proof

    return forge


def shifted_topic(proof: dict[str, Any], ctx: Proven) -> dict[str, Any]:
    """Move the first state byte into the topic: the canonical bytes, and so the leaf, stay the same."""
    state = base64.b64decode(proof["state"])
    proof["topic"] = proof["topic"] + "\n" + state[:1].decode()
    proof["state"] = base64.b64encode(state[1:]).decode()
    return proof


FORGERIES = [
    # the event's bytes
    pytest.param(state_edit(b"bundles", b"bundlez"), 1, id="state-title-edited"),
    pytest.param(flip_state_byte(40), 1, id="state-byte-flipped-json-still-valid"),
    pytest.param(flip_state_byte(0), 2, id="state-byte-flipped-not-json"),
    pytest.param(put("state", "not base64!"), 2, id="state-not-base64"),
    pytest.param(other_event("state"), 1, id="state-of-another-event"),
    pytest.param(other_event("state", "event_id"), 1, id="state-and-id-of-another-event"),
    pytest.param(
        other_event("state", "event_id", "aggregate_id", "version", "topic"), 1, id="whole-other-event-same-position"
    ),
    pytest.param(other_event("audit_path"), 1, id="audit-path-of-another-event"),
    pytest.param(other_event("position", "audit_path"), 1, id="position-and-path-of-another-event"),
    pytest.param(shifted_topic, 2, id="bytes-shifted-between-topic-and-state"),
    pytest.param(put("topic", "domain.support:Support.Awarded"), 1, id="topic-changed"),
    pytest.param(put("version", 2), 1, id="version-changed"),
    pytest.param(put("aggregate_id", str(uuid4())), 1, id="aggregate-id-changed"),
    pytest.param(put("event_id", str(uuid4())), 1, id="event-id-changed"),
    # where it is
    pytest.param(put("position", lambda p: p + 1), 1, id="position-plus-one"),
    pytest.param(put("position", lambda p: p - 1), 1, id="position-minus-one"),
    pytest.param(put("position", 0), 1, id="position-zero"),
    pytest.param(put("position", -TARGET), 1, id="position-negative"),
    pytest.param(put("position", SIZE + 1), 1, id="position-after-the-checkpoint"),
    pytest.param(path_edit(lambda p: [flip_hex(p[0]), *p[1:]]), 1, id="path-first-hash-changed"),
    pytest.param(path_edit(lambda p: [*p[:-1], flip_hex(p[-1])]), 1, id="path-last-hash-changed"),
    pytest.param(path_edit(lambda p: p[:-1]), 1, id="path-element-dropped"),
    pytest.param(path_edit(lambda p: p[1:]), 1, id="path-first-element-dropped"),
    pytest.param(path_edit(lambda p: [*p, p[-1]]), 1, id="path-element-added"),
    pytest.param(path_edit(lambda p: [p[1], p[0], *p[2:]]), 1, id="path-elements-swapped"),
    pytest.param(path_edit(lambda p: [p[0][:-2], *p[1:]]), 1, id="path-hash-one-byte-short"),
    pytest.param(path_edit(lambda p: []), 1, id="path-empty"),
    # which log
    pytest.param(put("size", lambda s: s + 1), 1, id="size-plus-one"),
    pytest.param(put("size", lambda s: s - 1), 1, id="size-minus-one"),
    pytest.param(put("ledger_id", str(uuid4())), 1, id="ledger-id-changed"),
    pytest.param(drop("ledger_id"), 1, id="ledger-id-missing"),
    # malformed
    pytest.param(put("format", "netledger-inclusion-proof-v0"), 2, id="format-changed"),
    pytest.param(drop("audit_path"), 2, id="audit-path-missing"),
    pytest.param(drop("state"), 2, id="state-missing"),
    pytest.param(put("position", str(TARGET)), 2, id="position-a-string"),
    pytest.param(put("position", True), 2, id="position-a-boolean"),
    pytest.param(put("position", float(TARGET)), 2, id="position-a-float"),
    pytest.param(put("size", str(SIZE)), 2, id="size-a-string"),
    pytest.param(put("version", "1"), 2, id="version-a-string"),
    pytest.param(put("topic", 7), 2, id="topic-a-number"),
    pytest.param(put("audit_path", "00" * 32), 2, id="path-a-string"),
    pytest.param(put("audit_path", None), 2, id="path-null"),
    pytest.param(path_edit(lambda p: [*p[:-1], "zz" * 32]), 2, id="path-hash-not-hex"),
    pytest.param(path_edit(lambda p: [*p[:-1], 7]), 2, id="path-hash-a-number"),
    pytest.param(put("aggregate_id", "not-a-uuid"), 2, id="aggregate-id-not-a-uuid"),
    pytest.param(put("aggregate_id", 7), 2, id="aggregate-id-a-number"),
    pytest.param(put("aggregate_id", ["x"]), 2, id="aggregate-id-a-list"),
    pytest.param(put("state", 7), 2, id="state-a-number"),
]


@pytest.mark.parametrize(("forge", "code"), FORGERIES)
def test_a_forged_proof_is_refused(forge, code, proven, integrity_tools, tmp_path):
    forged = forge(proven.proof(TARGET), proven)
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged), encoding="utf-8")
    result = verify_proof(path, proven.checkpoint, proven.pub)
    assert "proven" not in result.stdout
    integrity_tools.error_line(result, code, "PROOF")


def test_the_amount_of_a_grant_cannot_be_changed_in_its_proof(proven, integrity_tools, tmp_path):
    forged = state_edit(b'"amount":"7200000000"', b'"amount":"9200000000"')(proven.proof(AMOUNT_POSITION), proven)
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged), encoding="utf-8")
    integrity_tools.error_line(verify_proof(path, proven.checkpoint, proven.pub), 1, "PROOF", "not at position 40")


@pytest.mark.parametrize(
    "content",
    [b"", b"not json", b"[1, 2]", b'"a string"', b"\xff\xfe\x00garbage", b"{"],
    ids=["empty", "not-json", "an-array", "a-string", "binary", "truncated"],
)
def test_a_proof_file_that_is_not_a_json_object_is_malformed(content, proven, integrity_tools, tmp_path):
    path = tmp_path / "proof.json"
    path.write_bytes(content)
    integrity_tools.error_line(verify_proof(path, proven.checkpoint, proven.pub), 2, "PROOF")


# -- forged checkpoints ------------------------------------------------------------------------


def edit_checkpoint(source: Path, target: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def other_ledger(_integrity_signer, tmp_path_factory) -> tuple[Path, Path]:
    integrity_signer = forgetting(_integrity_signer)
    """Another ledger with the same events (a second build of the demo) and its checkpoint, same signer."""
    folder = tmp_path_factory.mktemp("other-ledger")
    db = folder / "other.db"
    with Ledger(db, actor="other", create=True, name="pohang-demo") as ledger:
        build_demo(ledger)
    checkpoint = folder / "other.checkpoint"
    result = invoke("--db", str(db), "checkpoint", "--key", str(integrity_signer.key), "--out", str(checkpoint))
    assert result.exit_code == 0, result.stderr
    return db, checkpoint


def test_a_checkpoint_signed_by_another_key_is_refused(proven, integrity_other_signer, integrity_tools, tmp_path):
    foreign = tmp_path / "foreign.checkpoint"
    result = invoke("--db", str(proven.db), "checkpoint", "--key", str(integrity_other_signer.key))
    foreign.write_text(integrity_tools.assert_ok(result).stdout, encoding="utf-8")
    assert cp.load(foreign).root == cp.load(proven.checkpoint).root  # the same statement, another signer
    line = integrity_tools.error_line(verify_proof(proven.proofs[TARGET], foreign, proven.pub), 1, "--checkpoint")
    assert "signature does not verify" in line
    args = ["--checkpoint", str(foreign), "--public-key", str(proven.pub)]
    integrity_tools.error_line(invoke("--db", str(proven.db), "verify", *args), 1, "--checkpoint")


def test_a_checkpoint_of_another_ledger_is_refused(proven, other_ledger, integrity_tools, tmp_path):
    _other_db, other_checkpoint = other_ledger
    assert cp.load(other_checkpoint).ledger_id != cp.load(proven.checkpoint).ledger_id
    # A proof from this ledger against the other ledger's (validly signed) checkpoint.
    line = integrity_tools.error_line(verify_proof(proven.proofs[TARGET], other_checkpoint, proven.pub), 1, "PROOF")
    assert "another ledger" in line
    # verify of this ledger against the other ledger's checkpoint.
    args = ["--checkpoint", str(other_checkpoint), "--public-key", str(proven.pub)]
    line = integrity_tools.error_line(invoke("--db", str(proven.db), "verify", *args), 1)
    assert line.startswith("Error: verify: checkpoint the checkpoint is for ledger ")
    result = invoke("--db", str(proven.db), "verify", "--format", "json", *args)
    assert result.exit_code == 1 and json.loads(result.stdout)["problem"]["kind"] == "checkpoint"
    # prove against another ledger's checkpoint is refused too.
    event_id = proven.records[TARGET]["event_id"]
    integrity_tools.error_line(
        invoke("--db", str(proven.db), "prove", event_id, "--checkpoint", str(other_checkpoint)), 1, "--checkpoint"
    )


def _hand_edits(checkpoint: cp.Checkpoint) -> list[tuple[str, str, str]]:
    root, head = checkpoint.root.hex(), checkpoint.head.hex()
    return [
        ("size", f"size: {SIZE}\n", f"size: {SIZE - 1}\n"),
        ("size-larger", f"size: {SIZE}\n", f"size: {SIZE + 100}\n"),
        ("root", f"root: {root}", f"root: {flip_hex(root)}"),
        ("head", f"head: {head}", f"head: {flip_hex(head)}"),
        ("time", f"time: {checkpoint.time}", "time: 2030-01-01T00:00:00Z"),
        ("ledger", "ledger: pohang-demo", "ledger: pohang-demo2"),
        ("ledger-id", f"ledger-id: {checkpoint.ledger_id}", f"ledger-id: {uuid4()}"),
    ]


@pytest.mark.parametrize("field", ["size", "size-larger", "root", "head", "time", "ledger", "ledger-id"])
def test_a_checkpoint_edited_by_hand_fails_its_signature(field, proven, integrity_tools, tmp_path):
    edits = {name: (old, new) for name, old, new in _hand_edits(cp.load(proven.checkpoint))}
    edited = edit_checkpoint(proven.checkpoint, tmp_path / "edited.checkpoint", *edits[field])
    line = integrity_tools.error_line(verify_proof(proven.proofs[TARGET], edited, proven.pub), 1, "--checkpoint")
    assert "signature does not verify" in line
    args = ["--checkpoint", str(edited), "--public-key", str(proven.pub)]
    line = integrity_tools.error_line(invoke("--db", str(proven.db), "verify", *args), 1, "--checkpoint")
    assert "signature does not verify" in line


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("size: 43\n", "size:  43\n"),
        ("size: 43\n", "size: 043\n"),
        ("size: 43\n", "size: -1\n"),
        ("size: 43\n", ""),
        ("size: 43\n", "size: 43\nsize: 43\n"),
        ("size: 43\n", "size: 43\nextra: 1\n"),
        ("netledger checkpoint v2", "netledger checkpoint v3"),
        ("netledger checkpoint v2", "netledger checkpoint v1"),
        ("\nmeta: ", "\nmeta: 00"),
        ("\n\nsignature: ed25519 ", "\nsignature: ed25519 "),
        ("signature: ed25519 ", "signature: rsa "),
    ],
    ids=[
        "space",
        "leading-zero",
        "negative",
        "line-dropped",
        "line-twice",
        "extra-field",
        "header",
        "downgraded",
        "meta-length",
        "no-blank",
        "alg",
    ],
)
def test_a_checkpoint_that_is_not_in_canonical_form_is_malformed(old, new, proven, integrity_tools, tmp_path):
    edited = edit_checkpoint(proven.checkpoint, tmp_path / "edited.checkpoint", old, new)
    integrity_tools.error_line(verify_proof(proven.proofs[TARGET], edited, proven.pub), 2, "--checkpoint")


def test_a_root_in_upper_case_hex_is_malformed(proven, integrity_tools, tmp_path):
    root = cp.load(proven.checkpoint).root.hex()
    edited = edit_checkpoint(proven.checkpoint, tmp_path / "edited.checkpoint", root, root.upper())
    integrity_tools.error_line(verify_proof(proven.proofs[TARGET], edited, proven.pub), 2, "--checkpoint")


def test_a_public_key_that_is_not_a_key_is_refused(proven, integrity_tools, tmp_path):
    bogus = tmp_path / "bogus.pub"
    bogus.write_text("not a key", encoding="utf-8")
    integrity_tools.error_line(verify_proof(proven.proofs[TARGET], proven.checkpoint, bogus), 2, "--public-key")
    private_as_public = verify_proof(proven.proofs[TARGET], proven.checkpoint, proven.pub.with_suffix(""))
    integrity_tools.error_line(private_as_public, 2, "--public-key")


def test_a_proof_checked_against_a_newer_checkpoint_is_refused(
    proven, integrity_signer, integrity_tools, integrity_cli, tmp_path
):
    """A proof names the size it was made for: it is not silently re-read against another checkpoint."""
    db = integrity_tools.copy_db(proven.db, tmp_path / "grown.db")
    integrity_cli.ok(db, "org", "register", "late-org", "--sector", "firm", "--name-en", "Late")
    newer = integrity_tools.checkpoint_file(db, integrity_signer, tmp_path / "newer.checkpoint")
    line = integrity_tools.error_line(verify_proof(proven.proofs[TARGET], newer, proven.pub), 1, "PROOF")
    assert "another checkpoint" in line
    # A fresh proof against the newer checkpoint verifies.
    fresh = integrity_cli.ok(db, "prove", proven.records[TARGET]["event_id"], "--checkpoint", str(newer)).stdout
    (tmp_path / "fresh.json").write_text(fresh, encoding="utf-8")
    integrity_tools.assert_ok(verify_proof(tmp_path / "fresh.json", newer, proven.pub))


# -- prove refuses what it cannot prove -----------------------------------------------------------


def test_prove_refuses_an_unknown_a_malformed_and_a_later_event(
    proven, integrity_tools, integrity_cli, integrity_signer, tmp_path
):
    db = integrity_tools.copy_db(proven.db, tmp_path / "grown.db")
    integrity_tools.error_line(integrity_cli(db, "prove", str(uuid4()), "--checkpoint", str(proven.checkpoint)), 1)
    integrity_tools.error_line(integrity_cli(db, "prove", "not-a-uuid", "--checkpoint", str(proven.checkpoint)), 2)
    late = integrity_cli.ok(db, "org", "register", "late-org", "--sector", "firm", "--name-en", "Late")
    event_id = late.stderr.split()[2]
    line = integrity_tools.error_line(integrity_cli(db, "prove", event_id, "--checkpoint", str(proven.checkpoint)), 1)
    assert f"position {SIZE + 1}, after the checkpoint (size {SIZE})" in line


def test_prove_refuses_a_ledger_that_no_longer_verifies(proven, integrity_tools, integrity_cli, tmp_path):
    db = integrity_tools.copy_db(proven.db, tmp_path / "tampered.db")
    with integrity_tools.tampering(db) as con:
        con.execute(
            "UPDATE stored_events SET state = CAST(replace(state, 'bundles', 'bundlez') AS BLOB) WHERE rowid = 30"
        )
    event_id = proven.records[TARGET]["event_id"]
    line = integrity_tools.error_line(integrity_cli(db, "prove", event_id, "--checkpoint", str(proven.checkpoint)), 1)
    assert "modified position 30" in line
