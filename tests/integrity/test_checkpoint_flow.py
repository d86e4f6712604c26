"""The auditor's round on the demo ledger: keys, a published checkpoint, and a swapped-in old file.

keygen writes a private key only its owner can read and the public key beside
it, and never overwrites either. A checkpoint is taken, the ledger grows, and
``verify --checkpoint`` still passes; then the database file is replaced by an
older copy (taken before the checkpoint, with fewer events): the old copy is a
perfectly consistent log on its own, and only the checkpoint shows that it
lost its tail.
"""

from __future__ import annotations

import json
import stat

import pytest

from domain.integrity import checkpoint as cp


def test_keygen_writes_a_private_key_only_its_owner_can_read_and_the_public_key_beside_it(
    integrity_cli, integrity_tools, tmp_path
):
    key = tmp_path / "keys" / "signer.key"
    key.parent.mkdir()
    result = integrity_cli.ok("unused.db", "keygen", "--out", str(key))
    assert result.stdout == f"private key: {key} (keep it secret)\npublic key: {key}.pub (publish it)\n"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    public = key.parent / "signer.key.pub"
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    assert key.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert sorted(p.name for p in key.parent.iterdir()) == ["signer.key", "signer.key.pub"]
    assert not (tmp_path / "unused.db").exists()


def test_keygen_never_overwrites_a_key(integrity_cli, integrity_tools, tmp_path):
    key = tmp_path / "signer.key"
    integrity_cli.ok("unused.db", "keygen", "--out", str(key))
    before = (key.read_bytes(), (tmp_path / "signer.key.pub").read_bytes())
    integrity_tools.error_line(integrity_cli("unused.db", "keygen", "--out", str(key)), 2, "--out", "already exists")
    assert (key.read_bytes(), (tmp_path / "signer.key.pub").read_bytes()) == before
    # Only the public half is there: still refused, and no private key appears next to it.
    lone = tmp_path / "lone.key"
    (tmp_path / "lone.key.pub").write_text("someone else's public key")
    integrity_tools.error_line(integrity_cli("unused.db", "keygen", "--out", str(lone)), 2, "--out", "already exists")
    assert not lone.exists()
    assert (tmp_path / "lone.key.pub").read_text() == "someone else's public key"


@pytest.mark.parametrize(
    "command",
    [
        ["keygen", "--out", "missing-folder/signer.key"],
        ["checkpoint", "--key", "{key}", "--out", "missing-folder/ledger.checkpoint"],
        ["export", "--format", "jsonl", "--out", "missing-folder/export.jsonl"],
    ],
    ids=["keygen", "checkpoint", "export"],
)
def test_an_output_path_in_a_missing_folder_is_one_error_line(
    command, integrity_demo_db, integrity_signer, integrity_cli, integrity_tools
):
    args = [a.replace("{key}", str(integrity_signer.key)) for a in command]
    integrity_tools.error_line(integrity_cli(integrity_demo_db, *args), 2)


def test_checkpoint_to_stdout_is_a_signed_note_of_the_verified_ledger(
    integrity_demo_db, integrity_signer, integrity_cli, integrity_tools
):
    text = integrity_cli.ok(integrity_demo_db, "checkpoint", "--key", str(integrity_signer.key)).stdout
    checkpoint = cp.parse(text)
    cp.check_signature(checkpoint, integrity_signer.pub)
    assert (checkpoint.ledger, checkpoint.size) == ("pohang-demo", 43)
    assert checkpoint.ledger_id == integrity_tools.meta(integrity_demo_db)["ledger_id"]
    assert text.splitlines()[0] == "netledger checkpoint v2"
    assert text.splitlines()[-1].startswith("signature: ed25519 ")


def test_checkpoint_refuses_a_ledger_that_does_not_verify(
    integrity_demo_db, integrity_signer, integrity_cli, integrity_tools, tmp_path
):
    with integrity_tools.tampering(integrity_demo_db) as con:
        con.execute("DELETE FROM stored_events WHERE rowid = 12")
    out = tmp_path / "never.checkpoint"
    line = integrity_tools.error_line(
        integrity_cli(integrity_demo_db, "checkpoint", "--key", str(integrity_signer.key), "--out", str(out)), 1
    )
    assert "missing position 12" in line
    assert not out.exists()


def test_verify_with_a_checkpoint_needs_the_public_key(integrity_demo_db, integrity_signer, integrity_cli, tmp_path):
    checkpoint = tmp_path / "c.checkpoint"
    integrity_cli.ok(integrity_demo_db, "checkpoint", "--key", str(integrity_signer.key), "--out", str(checkpoint))
    result = integrity_cli(integrity_demo_db, "verify", "--checkpoint", str(checkpoint))
    assert result.exit_code == 2 and result.stderr.startswith("Error: --public-key: is required with --checkpoint")


def test_an_older_copy_of_the_database_is_caught_by_the_checkpoint(
    integrity_demo_db, integrity_cli, integrity_tools, tmp_path
):
    db = integrity_demo_db
    old = integrity_tools.copy_db(db, tmp_path / "old-copy.db")  # 43 events, taken before the checkpoint

    key = tmp_path / "auditor.key"
    integrity_cli.ok(db, "keygen", "--out", str(key))
    pub = tmp_path / "auditor.key.pub"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and pub.exists()

    integrity_cli.ok(db, "org", "register", "newco", "--sector", "firm", "--name-en", "NewCo")
    checkpoint = tmp_path / "ledger.checkpoint"
    result = integrity_cli.ok(db, "checkpoint", "--key", str(key), "--out", str(checkpoint))
    assert result.stderr == f"checkpoint of pohang-demo written to {checkpoint}\n"
    assert cp.load(checkpoint).size == 44

    integrity_cli.ok(db, "org", "register", "laterco", "--sector", "firm", "--name-en", "LaterCo")
    with_checkpoint = ["--checkpoint", str(checkpoint), "--public-key", str(pub)]
    out = integrity_cli.ok(db, "verify", *with_checkpoint).stdout.splitlines()
    assert out[0] == "ok: 45 events verified from genesis"
    assert out[-1].startswith("extends the checkpoint of size 44 (")

    # Someone puts the old file back in place of the ledger.
    integrity_tools.copy_db(old, db)
    integrity_cli.ok(db, "verify")  # consistent in itself
    line = integrity_tools.error_line(integrity_cli(db, "verify", *with_checkpoint), 1)
    assert line == (
        "Error: verify: truncated position 44: the log has 43 events but the checkpoint counted 44 "
        "(see docs/auditor.md for what each kind means)"
    )
    result = integrity_cli(db, "verify", "--format", "json", *with_checkpoint)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["problem"] == {
        "kind": "truncated",
        "position": 44,
        "detail": "the log has 43 events but the checkpoint counted 44",
    }
    assert report["size"] == 43 and report["checked_against"][0].startswith("checkpoint of size 44")
