"""``netledger migrate``: a ledger from before the hash chain (schema 1) is hashed once, on request.

A schema-1 ledger is made from a normal one: the append-only triggers and the
``event_chain`` table are dropped, ``schema_version`` is set back to 1 and the rows
a schema-1 ledger never had (the meta seal, ``created_schema``) are deleted. A
schema-2 ledger keeps its chain but loses those rows.
Such a ledger can be read but not written or verified until it is migrated;
migrating hashes every event as it is (it cannot know what happened before),
records when in ``ledger_meta``, and restores the triggers.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import datetime
from pathlib import Path

import pytest

SIZE = 43


def make_schema_1(path: Path, tampering) -> None:
    with tampering(path) as con:
        con.execute("DROP TABLE event_chain")
        con.execute("UPDATE ledger_meta SET value = '1' WHERE key = 'schema_version'")
        con.execute("DELETE FROM ledger_meta WHERE key IN ('meta_seal', 'created_schema')")


def make_schema_2(path: Path, tampering) -> None:
    with tampering(path, drop_triggers=False) as con:
        con.execute("UPDATE ledger_meta SET value = '2' WHERE key = 'schema_version'")
        con.execute("DELETE FROM ledger_meta WHERE key IN ('meta_seal', 'created_schema')")


@pytest.fixture
def schema_1(integrity_demo_db, integrity_tools) -> Path:
    make_schema_1(integrity_demo_db, integrity_tools.tampering)
    return integrity_demo_db


def tables(path: Path) -> set[str]:
    with closing(sqlite3.connect(str(path))) as con:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")}


@pytest.mark.parametrize(
    "command",
    [
        ["org", "register", "newco", "--sector", "firm", "--name-en", "NewCo"],
        ["append", "-"],
        ["verify"],
        ["checkpoint", "--key", "{key}"],
        ["export", "--format", "jsonl"],
    ],
    ids=["org-register", "append", "verify", "checkpoint", "export"],
)
def test_a_schema_1_ledger_refuses_writes_and_audits_until_migrated(
    command, schema_1, integrity_signer, integrity_cli, integrity_tools
):
    args = [a.replace("{key}", str(integrity_signer.key)) for a in command]
    record = '{"type": "organisation.registered", "event_id": "%s", "key": "x", "sector": "firm", "name_en": "X"}'
    before = integrity_tools.raw_rows(schema_1)
    result = integrity_cli(schema_1, *args, input=record % "6a1d2c3e-0000-4000-8000-000000000001")
    line = integrity_tools.error_line(result, 1, "netledger migrate")
    assert "predates the hash chain (schema 1)" in line
    assert integrity_tools.raw_rows(schema_1) == before


def test_a_schema_1_ledger_can_still_be_read(schema_1, integrity_cli):
    assert len(integrity_cli.ok(schema_1, "replay", "--position", "5").stdout.splitlines()) == 5
    assert len(integrity_cli.ok(schema_1, "log", "--format", "jsonl").stdout.splitlines()) == SIZE


def test_migrate_hashes_every_event_once_and_records_when(
    integrity_demo_master, schema_1, integrity_signer, integrity_cli, integrity_tools, tmp_path
):
    original_chain = integrity_tools.raw_rows(integrity_demo_master, "event_chain")
    # A checkpoint published before the chain was dropped.
    checkpoint = integrity_tools.checkpoint_file(
        integrity_demo_master, integrity_signer, tmp_path / "before.checkpoint"
    )
    assert "event_chain" not in tables(schema_1)

    result = integrity_cli.ok(schema_1, "migrate")
    meta = integrity_tools.meta(schema_1)
    assert result.stdout == f"migrated: hashed {SIZE} events at {meta['chain_migrated_at']}; schema 3\n"
    assert datetime.fromisoformat(meta["chain_migrated_at"]).tzinfo is not None
    assert (meta["schema_version"], meta["chain_migrated_events"]) == ("3", str(SIZE))
    assert meta["sealed_at"] == meta["chain_migrated_at"] and "meta_seal" in meta

    # The same hashes the ledger wrote as it went; verify is clean, also against the old checkpoint.
    assert integrity_tools.raw_rows(schema_1, "event_chain") == original_chain
    out = integrity_cli.ok(
        schema_1, "verify", "--checkpoint", str(checkpoint), "--public-key", str(integrity_signer.pub)
    )
    assert out.stdout.startswith(f"ok: {SIZE} events verified from genesis\n")

    # The triggers are back ...
    assert set(integrity_tools.TRIGGERS) <= tables(schema_1)
    with closing(sqlite3.connect(str(schema_1))) as con, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("DELETE FROM event_chain WHERE position = 1")
    # ... and writes work again, chained on.
    integrity_cli.ok(schema_1, "org", "register", "newco", "--sector", "firm", "--name-en", "NewCo")
    assert integrity_cli.ok(schema_1, "verify").stdout.startswith(f"ok: {SIZE + 1} events verified")

    # Once is enough.
    assert integrity_cli.ok(schema_1, "migrate").stdout == "nothing to do: schema 3 already\n"
    assert integrity_tools.meta(schema_1)["chain_migrated_at"] == meta["chain_migrated_at"]


def test_migrate_of_a_current_ledger_does_nothing(integrity_demo_db, integrity_cli, integrity_tools):
    before = integrity_tools.meta(integrity_demo_db)
    assert integrity_cli.ok(integrity_demo_db, "migrate").stdout == "nothing to do: schema 3 already\n"
    assert integrity_tools.meta(integrity_demo_db) == before
    assert "chain_migrated_at" not in before


def test_migrate_of_an_empty_schema_1_ledger(integrity_cli, integrity_tools, tmp_path):
    db = tmp_path / "empty.db"
    integrity_cli.ok(db, "init")
    make_schema_1(db, integrity_tools.tampering)
    assert integrity_cli.ok(db, "migrate").stdout.startswith("migrated: hashed 0 events at ")
    integrity_cli.ok(db, "org", "register", "first", "--sector", "firm", "--name-en", "First")
    assert integrity_cli.ok(db, "verify").stdout.startswith("ok: 1 events verified")


def test_migrate_hashes_what_is_there_so_earlier_damage_is_only_seen_against_a_checkpoint(
    integrity_demo_master, schema_1, integrity_signer, integrity_cli, integrity_tools, tmp_path
):
    """What was changed before the migration is hashed as it is: the chain starts from that moment."""
    checkpoint = integrity_tools.checkpoint_file(
        integrity_demo_master, integrity_signer, tmp_path / "before.checkpoint"
    )
    with integrity_tools.tampering(schema_1) as con:
        con.execute(
            "UPDATE stored_events SET state = CAST(replace(state, 'bundles', 'bundlez') AS BLOB) WHERE rowid = 30"
        )
    integrity_cli.ok(schema_1, "migrate")
    integrity_cli.ok(schema_1, "verify")
    args = ["--checkpoint", str(checkpoint), "--public-key", str(integrity_signer.pub)]
    line = integrity_tools.error_line(integrity_cli(schema_1, "verify", *args), 1)
    assert line.startswith("Error: verify: rewritten ")


def test_migrate_refuses_a_schema_1_label_on_a_ledger_that_has_a_chain(
    integrity_demo_db, integrity_cli, integrity_tools
):
    """schema_version edited back to 1 while event_chain is still there: one error line, not a traceback."""
    with integrity_tools.tampering(integrity_demo_db, drop_triggers=False) as con:
        con.execute("UPDATE ledger_meta SET value = '1' WHERE key = 'schema_version'")
    before = integrity_tools.raw_rows(integrity_demo_db, "event_chain")
    result = integrity_cli(integrity_demo_db, "migrate")
    assert not integrity_tools.crashed(result), f"migrate crashed: {result.exception!r}"
    integrity_tools.error_line(result, result.exit_code)
    assert result.exit_code in (1, 2)
    assert integrity_tools.raw_rows(integrity_demo_db, "event_chain") == before


def test_a_schema_2_ledger_gets_its_meta_rows_sealed(integrity_demo_db, integrity_cli, integrity_tools):
    make_schema_2(integrity_demo_db, integrity_tools.tampering)
    line = integrity_tools.error_line(integrity_cli(integrity_demo_db, "verify"), 1, "netledger migrate")
    assert "predates the sealed meta rows (schema 2)" in line
    chain = integrity_tools.raw_rows(integrity_demo_db, "event_chain")
    out = integrity_cli.ok(integrity_demo_db, "migrate").stdout
    meta = integrity_tools.meta(integrity_demo_db)
    assert out == f"migrated: sealed the meta rows at {meta['sealed_at']}; schema 3\n"
    assert integrity_tools.raw_rows(integrity_demo_db, "event_chain") == chain  # the chain is not touched
    assert integrity_cli.ok(integrity_demo_db, "verify").stdout.startswith(f"ok: {SIZE} events verified")


@pytest.mark.parametrize("kept", ["seal", "created_schema"])
def test_a_sealed_ledger_set_back_to_an_earlier_schema_is_refused(
    kept, integrity_demo_db, integrity_cli, integrity_tools
):
    """The laundering of issue 14: set the schema back so that migrate re-hashes an edited event."""
    with integrity_tools.tampering(integrity_demo_db) as con:
        con.execute(
            "UPDATE stored_events SET state = CAST(replace(state, 'bundles', 'bundlez') AS BLOB) WHERE rowid = 30"
        )
        con.execute("DROP TABLE event_chain")
        con.execute("UPDATE ledger_meta SET value = '1' WHERE key = 'schema_version'")
        gone = "created_schema" if kept == "seal" else "meta_seal"
        con.execute("DELETE FROM ledger_meta WHERE key = ?", (gone,))
    before = integrity_tools.meta(integrity_demo_db)
    line = integrity_tools.error_line(integrity_cli(integrity_demo_db, "migrate"), 1, "the ledger says schema 1 but")
    assert "restore the ledger from a trusted export" in line
    assert integrity_tools.meta(integrity_demo_db) == before
