"""Signed provenance: ``--sign-key`` signs each event's leaf, ``verify --keyring`` says who signed what.

Signatures are checked against an independent reference: the ``cryptography`` package's own
Ed25519 verification of the leaf hash recomputed here from the stored row
(``domain.integrity.chain.event_leaf``), not the ledger's verifier.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import uuid
from contextlib import closing
from pathlib import Path

from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from cli.main import cli
from domain.integrity import checkpoint as cp
from domain.integrity.chain import event_leaf

REGISTER = ("org", "register")


def register(runner, db: Path, key: str, *sign: str) -> None:
    runner.ok(db, *sign, *REGISTER, key, "--sector", "firm", "--name-en", key.upper())


def signature_rows(db: Path) -> list[tuple[int, bytes, bytes]]:
    with closing(sqlite3.connect(str(db))) as con:
        rows = con.execute("SELECT position, public_key, signature FROM event_signatures ORDER BY position")
        return [(p, bytes(k), bytes(s)) for p, k, s in rows.fetchall()]


def keys(folder: Path, *names: str) -> dict[str, tuple[Path, Path]]:
    return {name: cp.keygen(folder / f"{name}.key") for name in names}


def test_signed_writes_carry_valid_signatures_and_verify_reports_who_signed(integrity_cli, integrity_tools, tmp_path):
    ring = tmp_path / "ring"
    ring.mkdir()
    made = keys(ring, "alice", "bob")
    db = tmp_path / "l.db"
    integrity_cli.ok(db, "init")
    register(integrity_cli, db, "a", "--sign-key", str(made["alice"][0]))
    register(integrity_cli, db, "b", "--sign-key", str(made["bob"][0]))
    register(integrity_cli, db, "c")  # unsigned: valid where the ledger does not require signatures
    register(integrity_cli, db, "d", "--sign-key", str(made["alice"][0]))
    # The reference: cryptography's own verification of the leaf recomputed from the stored row.
    rows = signature_rows(db)
    assert [p for p, _, _ in rows] == [1, 2, 4]
    for position, public, signature in rows:
        oid, version, topic, state = integrity_tools.raw_event(db, position)
        Ed25519PublicKey.from_public_bytes(public).verify(signature, event_leaf(position, oid, version, topic, state))
    alice = cp.key_id(cp._read_key(made["alice"][1], private=False))
    bob = cp.key_id(cp._read_key(made["bob"][1], private=False))
    out = integrity_cli.ok(db, "verify", "--keyring", str(ring)).stdout
    assert "checked: hash chain, index, meta rows, signatures\n" in out
    assert f"signed by key {alice} (alice.key.pub): 2 events\n" in out
    assert f"signed by key {bob} (bob.key.pub): 1 events\n" in out
    assert "unsigned: 1 events\n" in out
    # Without a keyring the stored signatures are still checked.
    assert "signatures" in integrity_cli.ok(db, "verify").stdout


def test_a_key_missing_from_the_keyring_or_a_forged_signature_fails_verify(integrity_cli, integrity_tools, tmp_path):
    ring = tmp_path / "ring"
    ring.mkdir()
    made = keys(tmp_path, "alice", "mallory")
    (ring / "alice.key.pub").write_bytes(made["alice"][1].read_bytes())
    db = tmp_path / "l.db"
    integrity_cli.ok(db, "init")
    register(integrity_cli, db, "a", "--sign-key", str(made["alice"][0]))
    register(integrity_cli, db, "b", "--sign-key", str(made["mallory"][0]))
    line = integrity_tools.error_line(integrity_cli(db, "verify", "--keyring", str(ring)), 1, "signature position 2")
    assert "not in the keyring" in line
    # The triggers refuse an edit; someone with the file drops them and flips one bit.
    with closing(sqlite3.connect(str(db))) as con:
        try:
            con.execute("UPDATE event_signatures SET signature = zeroblob(64) WHERE position = 1")
            raise AssertionError("the append-only trigger let an edit through")
        except sqlite3.IntegrityError as exc:
            assert "append-only" in str(exc)
    with integrity_tools.tampering(db) as con:
        con.execute("DROP TRIGGER event_signatures_no_update")
        (signature,) = con.execute("SELECT signature FROM event_signatures WHERE position = 1").fetchone()
        flipped = bytes([signature[0] ^ 1]) + bytes(signature[1:])
        con.execute("UPDATE event_signatures SET signature = ? WHERE position = 1", (flipped,))
    integrity_tools.error_line(integrity_cli(db, "verify"), 1, "signature position 1", "does not match")


def test_a_ledger_that_requires_signatures_refuses_unsigned_writes_and_unsigned_events(
    integrity_cli, integrity_tools, tmp_path
):
    private, _ = cp.keygen(tmp_path / "alice.key")
    db = tmp_path / "l.db"
    integrity_cli.ok(db, "init", "--require-signatures")
    before = integrity_tools.raw_rows(db)
    line = integrity_tools.error_line(integrity_cli(db, *REGISTER, "a", "--sector", "firm", "--name-en", "A"), 1)
    assert "sign-key" in line and "requires every event signed" in line
    assert integrity_tools.raw_rows(db) == before
    register(integrity_cli, db, "a", "--sign-key", str(private))
    env_signed = CliRunner(env={"NETLEDGER_SIGN_KEY": str(private)}).invoke(
        cli, ["--db", str(db), *REGISTER, "b", "--sector", "firm", "--name-en", "B"]
    )
    assert env_signed.exit_code == 0, env_signed.stderr
    assert [p for p, _, _ in signature_rows(db)] == [1, 2]
    integrity_cli.ok(db, "verify")
    # An event appended behind the ledger's back, with correct chain and index rows but no signature.
    with integrity_tools.tampering(db) as con:
        head, last = con.execute("SELECT position, chain_hash FROM event_chain ORDER BY position DESC").fetchone()
        topic, state = con.execute("SELECT topic, state FROM stored_events WHERE rowid = 1").fetchone()
        new_id = str(uuid.uuid4())
        state = bytes(state).replace(json.loads(state)["event_id"].encode(), new_id.encode())
        oid = uuid.uuid4().hex
        leaf = event_leaf(head + 1, oid, 1, topic, state)
        con.execute("INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
                    "VALUES (?,?,1,?,?)", (head + 1, oid, topic, state))  # fmt: skip
        con.execute(
            "INSERT INTO event_chain VALUES (?,?,?,?)", (head + 1, head, leaf, hashlib.sha256(last + leaf).digest())
        )
        con.execute("INSERT INTO event_index VALUES (?,?,?,1)", (new_id, head + 1, oid))
    line = integrity_tools.error_line(integrity_cli(db, "verify"), 1, "signature position 3")
    assert "requires signatures" in line


def test_export_and_restore_keep_the_signatures_and_refuse_a_forged_one(integrity_cli, integrity_tools, tmp_path):
    ring = tmp_path / "ring"
    ring.mkdir()
    private, _ = cp.keygen(ring / "alice.key")
    os.chmod(private, stat.S_IRUSR | stat.S_IWUSR)
    db = tmp_path / "l.db"
    integrity_cli.ok(db, "init", "--require-signatures")
    register(integrity_cli, db, "a", "--sign-key", str(private))
    register(integrity_cli, db, "b", "--sign-key", str(private))
    integrity_cli.ok(db, "export", "--out", str(tmp_path / "x.jsonl"))
    restored = tmp_path / "restored.db"
    integrity_cli.ok(restored, "restore", str(tmp_path / "x.jsonl"))
    assert signature_rows(restored) == signature_rows(db)
    assert integrity_tools.meta(restored)["require_signatures"] == "yes"
    out = integrity_cli.ok(restored, "verify", "--keyring", str(ring)).stdout
    assert ": 2 events\n" in out
    lines = (tmp_path / "x.jsonl").read_text().splitlines()
    record = json.loads(lines[2])
    record["signature"] = ("0" if record["signature"][0] != "0" else "1") + record["signature"][1:]
    lines[2] = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    (tmp_path / "forged.jsonl").write_text("\n".join(lines) + "\n")
    line = integrity_tools.error_line(
        integrity_cli(tmp_path / "other.db", "restore", str(tmp_path / "forged.jsonl")), 1
    )
    assert "line 3" in line and "does not match" in line
    assert not (tmp_path / "other.db").exists()


def test_a_signing_key_others_can_read_is_refused(integrity_cli, integrity_tools, tmp_path):
    private, _ = cp.keygen(tmp_path / "alice.key")
    os.chmod(private, 0o644)
    db = tmp_path / "l.db"
    integrity_cli.ok(db, "init")
    result = integrity_cli(db, "--sign-key", str(private), *REGISTER, "a", "--sector", "firm", "--name-en", "A")
    integrity_tools.error_line(result, 2, "sign-key", "can be read by others")
    assert integrity_tools.raw_rows(db) == []


def test_an_import_signs_every_event_it_writes(integrity_cli, integrity_tools, tmp_path):
    private, _ = cp.keygen(tmp_path / "alice.key")
    db = tmp_path / "l.db"
    integrity_cli.ok(db, "init", "--require-signatures")
    records = [
        {"type": "organisation.registered", "event_id": str(uuid.uuid4()), "key": k, "sector": "firm", "name_en": k}
        for k in ("a", "b", "c")
    ]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    integrity_cli.ok(db, "--sign-key", str(private), "import", str(tmp_path / "in.jsonl"), "--format", "jsonl")
    rows = signature_rows(db)
    assert [p for p, _, _ in rows] == [1, 2, 3, 4]  # the three records and the import's import.recorded
    for position, public, signature in rows:
        oid, version, topic, state = integrity_tools.raw_event(db, position)
        Ed25519PublicKey.from_public_bytes(public).verify(signature, event_leaf(position, oid, version, topic, state))
    integrity_cli.ok(db, "verify")
