"""Export and restore: an export restores to the same ledger, and a tampered export restores to nothing.

``netledger export --format jsonl`` writes a header line and one line per event
(the readable record, the exact stored bytes and both hashes). ``netledger
restore`` checks every line before writing anything: a tampered export is
refused at the first bad line, named, and leaves no file behind. An export is
not signed: one whose hashes were recomputed after an edit restores, and only
a checkpoint taken before shows the rewrite.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain.integrity import checkpoint as cp
from domain.integrity.archive import export_lines, read_export
from domain.integrity.chain import event_leaf
from domain.integrity.merkle import tree_root
from domain.ledger import Ledger
from domain.mapper import PydanticMapper

SIZE = 43
AMOUNT_POSITION = 40  # support.awarded of 7200000000 KRW


def dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


@pytest.fixture
def exported(integrity_demo_db, integrity_cli, tmp_path) -> Path:
    out = tmp_path / "export.jsonl"
    integrity_cli.ok(integrity_demo_db, "export", "--format", "jsonl", "--out", str(out))
    return out


@pytest.fixture
def demo_checkpoint(integrity_demo_db, integrity_signer, integrity_tools, tmp_path) -> list[str]:
    path = integrity_tools.checkpoint_file(integrity_demo_db, integrity_signer, tmp_path / "demo.checkpoint")
    return ["--checkpoint", str(path), "--public-key", str(integrity_signer.pub)]


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write_lines(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_export_is_a_header_and_one_line_per_event_with_its_bytes_and_hashes(
    integrity_demo_db, exported, integrity_cli, integrity_tools
):
    lines = read_lines(exported)
    header, records = lines[0], lines[1:]
    verified = json.loads(integrity_cli.ok(integrity_demo_db, "verify", "--format", "json").stdout)
    assert header == {
        "format": "netledger-export-v1",
        "ledger": "pohang-demo",
        "ledger_id": verified["ledger_id"],
        "size": SIZE,
        "head": verified["head"],
        "root": verified["root"],
    }
    assert [r["position"] for r in records] == list(range(1, SIZE + 1))
    for record in records:
        originator_id, version, topic, state = integrity_tools.raw_event(integrity_demo_db, record["position"])
        assert (record["topic"], record["state"].encode()) == (topic, state)
        assert record["leaf_hash"] == event_leaf(record["position"], originator_id, version, topic, state).hex()
    # stdout and --out give the same bytes
    assert integrity_cli.ok(integrity_demo_db, "export", "--format", "jsonl").stdout == exported.read_text("utf-8")


def test_restore_reproduces_the_ledger(integrity_demo_db, exported, demo_checkpoint, integrity_cli, integrity_tools):
    target = exported.parent / "restored.db"
    head = json.loads(exported.read_text("utf-8").splitlines()[0])["head"]
    result = integrity_cli.ok(target, "restore", str(exported))
    assert result.stdout == f"restored {SIZE} events into {target}; head {head}\n"
    # Same rows, byte for byte: positions, aggregate ids, versions, topics, states (event ids, recorded times).
    for table in ("stored_events", "event_chain", "event_index"):
        assert integrity_tools.raw_rows(target, table) == integrity_tools.raw_rows(integrity_demo_db, table), table
    original, restored = integrity_tools.meta(integrity_demo_db), integrity_tools.meta(target)
    assert (restored["name"], restored["ledger_id"]) == (original["name"], original["ledger_id"])
    assert integrity_cli.ok(target, "replay", "--position", str(SIZE)).stdout == (
        integrity_cli.ok(integrity_demo_db, "replay", "--position", str(SIZE)).stdout
    )
    # The restored ledger extends the original's checkpoint, and its export is the same file.
    integrity_cli.ok(target, "verify", *demo_checkpoint)
    assert integrity_cli.ok(target, "export", "--format", "jsonl").stdout == exported.read_text("utf-8")
    # ... and it is a ledger like any other: the triggers are there and it takes new events.
    assert integrity_tools.error_line(integrity_cli(target, "restore", str(exported)), 1, "already holds 43 events")
    integrity_cli.ok(target, "org", "register", "after-restore", "--sector", "firm", "--name-en", "After")
    integrity_cli.ok(target, "verify", *demo_checkpoint)


def test_restore_into_a_freshly_initialised_ledger_keeps_the_exported_ledger_id(
    exported, demo_checkpoint, integrity_cli, integrity_tools
):
    """``netledger init`` then ``restore``: the archive promises the original ledger id is kept."""
    target = exported.parent / "initialised.db"
    integrity_cli.ok(target, "init")
    integrity_cli.ok(target, "restore", str(exported))
    header = read_lines(exported)[0]
    assert integrity_tools.meta(target)["ledger_id"] == header["ledger_id"]
    integrity_cli.ok(target, "verify", *demo_checkpoint)


def test_restore_into_a_ledger_that_holds_events_is_refused(
    integrity_demo_db, exported, integrity_cli, integrity_tools
):
    before = integrity_tools.raw_rows(integrity_demo_db)
    line = integrity_tools.error_line(integrity_cli(integrity_demo_db, "restore", str(exported)), 1, "db")
    assert f"already holds {SIZE} events" in line
    assert integrity_tools.raw_rows(integrity_demo_db) == before


# -- tampered exports ---------------------------------------------------------------------------

Edit = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


def record_at(position: int, edit: Callable[[dict[str, Any]], None]) -> Edit:
    def apply(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        edit(lines[position])  # line 1 is the header, so lines[p] is the record of position p
        return lines

    return apply


def state_replace(old: str, new: str) -> Callable[[dict[str, Any]], None]:
    def edit(record: dict[str, Any]) -> None:
        assert old in record["state"]
        record["state"] = record["state"].replace(old, new, 1)

    return edit


def field(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(record: dict[str, Any]) -> None:
        record[name] = value

    return edit


def both(*edits: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def edit(record: dict[str, Any]) -> None:
        for e in edits:
            e(record)

    return edit


def header_field(name: str, value: Any) -> Edit:
    def apply(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        lines[0][name] = value
        return lines

    return apply


def without_line(number: int) -> Edit:
    return lambda lines: lines[: number - 1] + lines[number:]


def swap_lines(a: int, b: int) -> Edit:
    def apply(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        lines[a - 1], lines[b - 1] = lines[b - 1], lines[a - 1]
        return lines

    return apply


AMOUNT = '"amount":"7200000000"'
FORGED_AMOUNT = '"amount":"9200000000"'

TAMPERED = [
    pytest.param(
        record_at(AMOUNT_POSITION, state_replace(AMOUNT, FORGED_AMOUNT)),
        1,
        "line 41",
        "leaf hash",
        id="amount-in-state",
    ),
    pytest.param(
        record_at(AMOUNT_POSITION, both(state_replace(AMOUNT, FORGED_AMOUNT), field("amount", "9200000000"))),
        1,
        "line 41",
        "leaf hash",
        id="amount-in-state-and-readable-field",
    ),
    pytest.param(
        record_at(AMOUNT_POSITION, field("amount", "9200000000")), 1, "line 41", "readable", id="readable-amount-only"
    ),
    pytest.param(record_at(7, field("note", "edited")), 1, "line 8", "readable", id="readable-note-only"),
    pytest.param(record_at(7, field("recorded_by", "someone")), 1, "line 8", "readable", id="readable-recorded-by"),
    pytest.param(record_at(7, field("extra", 1)), 1, "line 8", "readable", id="extra-field"),
    pytest.param(record_at(7, field("position", 8)), 1, "line 8", "position", id="position-edited"),
    pytest.param(record_at(12, field("chain_hash", "00" * 32)), 1, "line 13", "chain hash", id="chain-hash-edited"),
    pytest.param(record_at(12, field("leaf_hash", "00" * 32)), 1, "line 13", "leaf hash", id="leaf-hash-edited"),
    pytest.param(without_line(11), 1, "line 11", "position 11 where 10", id="line-deleted"),
    pytest.param(without_line(2), 1, "line 2", "position 2 where 1", id="first-record-deleted"),
    pytest.param(without_line(SIZE + 1), 1, "header", "43", id="last-line-deleted"),
    pytest.param(swap_lines(21, 22), 1, "line 21", "position 21 where 20", id="lines-reordered"),
    pytest.param(lambda lines: [*lines, lines[-1]], 1, f"line {SIZE + 2}", "position", id="last-line-repeated"),
    pytest.param(header_field("size", SIZE - 1), 1, "header", "", id="header-size"),
    pytest.param(header_field("head", "00" * 32), 1, "header", "", id="header-head"),
    pytest.param(header_field("root", "00" * 32), 1, "header", "", id="header-root"),
    pytest.param(header_field("format", "netledger-export-v0"), 2, "line 1", "header", id="header-format"),
    pytest.param(without_line(1), 2, "line 1", "header", id="header-deleted"),
]


@pytest.mark.parametrize(("edit", "code", "where", "why"), TAMPERED)
def test_a_tampered_export_is_refused_at_its_first_bad_line_and_nothing_is_written(
    edit, code, where, why, exported, integrity_cli, integrity_tools
):
    tampered = write_lines(exported.parent / "tampered.jsonl", edit(read_lines(exported)))
    target = exported.parent / "restored.db"
    line = integrity_tools.error_line(integrity_cli(target, "restore", str(tampered)), code)
    assert line.startswith(f"Error: {where}: "), line
    assert why in line, line
    assert integrity_tools.leftovers(target) == []


def test_an_export_that_is_not_json_is_refused_naming_the_line(exported, integrity_cli, integrity_tools):
    lines = exported.read_text("utf-8").splitlines()
    lines[5] = lines[5][:-3]
    tampered = exported.parent / "broken.jsonl"
    tampered.write_text("\n".join(lines) + "\n", encoding="utf-8")
    target = exported.parent / "restored.db"
    integrity_tools.error_line(integrity_cli(target, "restore", str(tampered)), 2, "line 6")
    assert integrity_tools.leftovers(target) == []


def _rehash(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Recompute every leaf and chain hash, and the header's head, as a forger with the code would."""
    chain = bytes(32)
    leaves = []
    for record in lines[1:]:
        leaf = event_leaf(
            record["position"],
            UUID(record["aggregate_id"]),
            record["version"],
            record["topic"],
            record["state"].encode(),
        )
        chain = hashlib.sha256(chain + leaf).digest()
        leaves.append(leaf)
        record["leaf_hash"], record["chain_hash"] = leaf.hex(), chain.hex()
    lines[0]["head"] = chain.hex()
    lines[0]["root"] = tree_root(leaves).hex()
    return lines


def test_a_consistently_rehashed_export_restores_but_fails_against_the_checkpoint(
    exported, demo_checkpoint, integrity_cli, integrity_tools
):
    lines = read_lines(exported)
    record_at(AMOUNT_POSITION, both(state_replace(AMOUNT, FORGED_AMOUNT), field("amount", "9200000000")))(lines)
    forged = write_lines(exported.parent / "forged.jsonl", _rehash(lines))
    target = exported.parent / "forged.db"
    integrity_cli.ok(target, "restore", str(forged))
    integrity_cli.ok(target, "verify")  # whole in itself
    line = integrity_tools.error_line(integrity_cli(target, "verify", *demo_checkpoint), 1)
    assert line.startswith("Error: verify: rewritten events 1..43 no longer give the checkpoint's Merkle root")


def test_an_export_restored_under_another_ledger_id_fails_against_the_checkpoint(
    exported, demo_checkpoint, integrity_cli, integrity_tools
):
    """The header's ledger id is not covered by any hash: the checkpoint is what pins it."""
    lines = read_lines(exported)
    lines[0]["ledger_id"] = "00000000-0000-4000-8000-000000000000"
    relabelled = write_lines(exported.parent / "relabelled.jsonl", lines)
    target = exported.parent / "relabelled.db"
    integrity_cli.ok(target, "restore", str(relabelled))
    line = integrity_tools.error_line(integrity_cli(target, "verify", *demo_checkpoint), 1)
    assert line.startswith("Error: verify: checkpoint the checkpoint is for ledger ")
    assert cp.load(demo_checkpoint[1]).ledger_id in line


def test_restore_reads_the_export_from_stdin(exported, integrity_cli, integrity_tools):
    target = exported.parent / "from-stdin.db"
    integrity_cli.ok(target, "restore", "-", input=exported.read_bytes())
    assert len(integrity_tools.raw_rows(target)) == SIZE


def test_export_refuses_a_damaged_ledger_and_leaves_an_earlier_export_alone(
    integrity_demo_db, exported, integrity_cli, integrity_tools
):
    """``export --out backup.jsonl`` of a ledger that no longer verifies must not destroy the last good backup."""
    good = exported.read_bytes()
    with integrity_tools.tampering(integrity_demo_db) as con:
        con.execute("DELETE FROM stored_events WHERE rowid = 12")
    line = integrity_tools.error_line(
        integrity_cli(integrity_demo_db, "export", "--format", "jsonl", "--out", str(exported)), 1
    )
    assert "does not verify: missing position 12" in line
    assert exported.read_bytes() == good
    fresh = exported.parent / "fresh.jsonl"
    integrity_tools.error_line(integrity_cli(integrity_demo_db, "export", "--format", "jsonl", "--out", str(fresh)), 1)
    assert not fresh.exists()


def test_an_export_taken_while_the_ledger_is_written_restores(integrity_demo_db):
    """The office records an event while the export is being written: the file must still be a whole export."""
    with Ledger(integrity_demo_db) as ledger, Ledger(integrity_demo_db, actor="office") as office:
        records = export_lines(ledger)
        lines = [next(records)]  # the header, with the size and head of the verified log
        office.register_organisation("late-arrival", sector="firm", name_en="Late")
        lines.extend(records)
    header, stored, _signatures = read_export(enumerate(lines, start=1), PydanticMapper())
    assert len(stored) == header["size"]
