"""Checkpoints remember: ``KEY.checkpoints`` and ``--previous`` keep a signer from signing over a rewrite.

Every checkpoint ``checkpoint --key KEY`` signs is appended to ``KEY.checkpoints``. The next
one is signed only if the ledger is a consistent extension of the last one that key signed for
the same ledger (RFC 9162 consistency, same identity) and of every ``--previous`` file. The
rewrite used here is the consistent one: an event edited and every hash after it recomputed,
which ``verify`` alone cannot see.
"""

from __future__ import annotations

from pathlib import Path

from domain.integrity import checkpoint as cp
from domain.integrity.chain import chain_rows


def rewrite_consistently(path: Path, tampering) -> None:
    """Edit event 30 and recompute every leaf and chain hash: a log consistent in itself."""
    with tampering(path) as con:
        con.execute(
            "UPDATE stored_events SET state = CAST(replace(state, 'bundles', 'bundlez') AS BLOB) WHERE rowid = 30"
        )
        events = con.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid"
        ).fetchall()
        for position, _, leaf, chain in chain_rows([(*e[:4], bytes(e[4])) for e in events], None):
            con.execute("UPDATE event_chain SET leaf_hash=?, chain_hash=? WHERE position=?", (leaf, chain, position))


def notes(signer) -> list[cp.Checkpoint]:
    text = cp.memory_path(signer.key).read_text(encoding="utf-8")
    return [cp.parse(n) for n in cp._notes(text)]


def test_each_signed_checkpoint_is_remembered_and_an_extension_is_signed(
    integrity_demo_db, integrity_signer, integrity_cli, integrity_tools, tmp_path
):
    first = integrity_tools.checkpoint_file(integrity_demo_db, integrity_signer, tmp_path / "c1")
    integrity_cli.ok(integrity_demo_db, "org", "register", "handong", "--sector", "university", "--name-en", "Handong")
    second = integrity_tools.checkpoint_file(integrity_demo_db, integrity_signer, tmp_path / "c2")
    remembered = notes(integrity_signer)
    assert [c.size for c in remembered] == [43, 44]
    assert [c.text() for c in remembered] == [first.read_text(), second.read_text()]
    assert cp.remembered(integrity_signer.key, remembered[0].ledger_id) == remembered[1]
    assert cp.remembered(integrity_signer.key, "another-ledger") is None


def test_a_consistent_rewrite_is_not_signed_against_the_remembered_checkpoint(
    integrity_demo_db, integrity_signer, integrity_cli, integrity_tools, tmp_path
):
    integrity_tools.checkpoint_file(integrity_demo_db, integrity_signer, tmp_path / "c1")
    rewrite_consistently(integrity_demo_db, integrity_tools.tampering)
    assert integrity_cli.ok(integrity_demo_db, "verify").stdout.startswith("ok: 43 events")  # blind alone
    memory = cp.memory_path(integrity_signer.key).read_text()
    result = integrity_cli(integrity_demo_db, "checkpoint", "--key", str(integrity_signer.key), "--out", "c2")
    line = integrity_tools.error_line(result, 1, "refusing to sign", "size 43", "rewritten")
    assert "verify --checkpoint" in line
    assert not (tmp_path / "c2").exists()
    assert cp.memory_path(integrity_signer.key).read_text() == memory  # nothing remembered either


def test_previous_names_a_checkpoint_signed_by_another_key(
    integrity_demo_db, integrity_signer, integrity_other_signer, integrity_cli, integrity_tools, tmp_path
):
    """The key that signs now never saw the first checkpoint: --previous hands it over."""
    old = integrity_tools.checkpoint_file(integrity_demo_db, integrity_other_signer, tmp_path / "old")
    rewrite_consistently(integrity_demo_db, integrity_tools.tampering)
    key = str(integrity_signer.key)
    integrity_tools.error_line(
        integrity_cli(integrity_demo_db, "checkpoint", "--key", key, "--previous", str(old)), 1, "refusing to sign"
    )
    assert not cp.memory_path(integrity_signer.key).exists()
    # Without --previous this key has nothing to compare with, and signs (what --previous is for).
    assert integrity_cli.ok(integrity_demo_db, "checkpoint", "--key", key).stdout.startswith("netledger checkpoint")


def test_a_checkpoint_of_another_ledger_does_not_bind_this_one(
    integrity_demo_db, integrity_signer, integrity_cli, integrity_tools, tmp_path
):
    other = tmp_path / "other.db"
    integrity_cli.ok(other, "init", "--name", "other")
    integrity_tools.checkpoint_file(other, integrity_signer, tmp_path / "other.checkpoint")
    integrity_tools.checkpoint_file(integrity_demo_db, integrity_signer, tmp_path / "demo.checkpoint")
    assert [c.ledger for c in notes(integrity_signer)] == ["other", "pohang-demo"]


def test_an_edited_memory_file_is_refused(
    integrity_demo_db, integrity_signer, integrity_cli, integrity_tools, tmp_path
):
    """Forgetting a checkpoint by editing the file (here: its size) is found by the signature."""
    integrity_tools.checkpoint_file(integrity_demo_db, integrity_signer, tmp_path / "c1")
    memory = cp.memory_path(integrity_signer.key)
    memory.write_text(memory.read_text().replace("size: 43", "size: 40"))
    result = integrity_cli(integrity_demo_db, "checkpoint", "--key", str(integrity_signer.key), "--out", "c2")
    integrity_tools.error_line(result, 1, "checkpoints", "not signed by this key")
    assert not (tmp_path / "c2").exists()
