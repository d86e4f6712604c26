"""``netledger replay``: the events as the ledger had them, by position or by recording time.

``--position N`` is exactly the first N events; ``--known-at T`` the events
recorded at or before T. A report made at a checkpoint (its size is the
position) is reproduced byte for byte after the ledger has grown, and so are
the network queries given the same ``--position``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from domain.ledger import Ledger
from projections.store import NetworkStore

SIZE = 43


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.parametrize("n", [0, 1, 2, 17, 42, 43, 44, 1000])
def test_replay_position_prints_exactly_the_first_n_events(n, integrity_demo_master, integrity_cli):
    everything = integrity_cli.ok(integrity_demo_master, "log", "--format", "jsonl").stdout.splitlines(keepends=True)
    out = integrity_cli.ok(integrity_demo_master, "replay", "--position", str(n)).stdout
    expected = everything[: min(n, SIZE)]
    assert out == "".join(expected)
    assert [r["position"] for r in jsonl(out)] == list(range(1, min(n, SIZE) + 1))
    table = integrity_cli.ok(integrity_demo_master, "replay", "--position", str(n), "--format", "table").stdout
    rows = table.splitlines()[2:]  # a header line and a rule line come first
    assert [row.split()[0] for row in rows] == [str(p) for p in range(1, min(n, SIZE) + 1)]


@pytest.mark.parametrize(
    "args",
    [[], ["--position", "3", "--known-at", "2026-01-01"], ["--position", "-1"], ["--known-at", "yesterday"]],
    ids=["neither", "both", "negative-position", "bad-timestamp"],
)
def test_replay_needs_exactly_one_well_formed_moment(args, integrity_demo_master, integrity_cli):
    result = integrity_cli(integrity_demo_master, "replay", *args)
    assert result.exit_code == 2 and "Error:" in result.stderr and result.stdout == ""


@pytest.fixture
def batches(tmp_path, integrity_cli) -> tuple[Path, list[list[dict]]]:
    """A ledger written in three transactions; the records of each, as ``log`` prints them."""
    path = tmp_path / "batches.db"
    with Ledger(path, actor="recorder", create=True) as ledger:
        for b in range(3):
            for i in range(4):
                ledger.register_organisation(f"org{b}-{i}", sector="firm", name_en=f"Org {b}.{i}")
    records = jsonl(integrity_cli.ok(path, "log", "--format", "jsonl").stdout)
    return path, [records[0:4], records[4:8], records[8:12]]


def _stamp(record: dict) -> datetime:
    return datetime.fromisoformat(record["recorded_at"].replace("Z", "+00:00"))


def test_replay_known_at_prints_the_events_recorded_by_then(batches, integrity_cli):
    path, (first, second, third) = batches
    assert _stamp(first[-1]) < _stamp(second[0]) < _stamp(third[0])
    cases = {
        first[-1]["recorded_at"]: first,  # inclusive
        (_stamp(second[0]) - timedelta(microseconds=1)).isoformat(): first,
        second[-1]["recorded_at"]: first + second,
        (_stamp(first[0]) - timedelta(microseconds=1)).isoformat(): [],
        (_stamp(third[-1]) + timedelta(days=1)).isoformat(): first + second + third,
    }
    for stamp, expected in cases.items():
        out = integrity_cli.ok(path, "replay", "--known-at", stamp).stdout
        assert jsonl(out) == expected, stamp


def test_replay_known_at_reads_a_stamp_without_zone_as_utc(batches, integrity_cli):
    path, (first, _, _) = batches
    moment = _stamp(first[-1])
    naive = moment.astimezone(UTC).replace(tzinfo=None).isoformat()
    seoul = moment.astimezone(timezone(timedelta(hours=9))).isoformat()
    outputs = {
        integrity_cli.ok(path, "replay", "--known-at", s).stdout for s in (naive, seoul, first[-1]["recorded_at"])
    }
    assert len(outputs) == 1
    assert jsonl(outputs.pop()) == first


def test_a_report_at_a_checkpoint_is_reproduced_byte_for_byte_after_later_appends(
    integrity_demo_db, integrity_signer, integrity_cli, integrity_tools, tmp_path
):
    db = integrity_demo_db
    checkpoint = integrity_tools.checkpoint_file(db, integrity_signer, tmp_path / "published.checkpoint")
    size = str(SIZE)
    reports = [
        ["replay", "--position", size],
        ["replay", "--position", size, "--format", "table"],
        ["network", "summary", "--position", size, "--as-of", "2024-01-01"],
        ["network", "centrality", "--position", size, "--as-of", "2024-01-01"],
    ]
    before = [integrity_cli.ok(db, *report).stdout for report in reports]

    # The ledger moves on: new organisations, a new tie, a rename and a retraction of an old event.
    integrity_cli.ok(db, "org", "register", "newco", "--sector", "firm", "--name-en", "NewCo")
    integrity_cli.ok(db, "partnership", "form", "--party", "newco", "--party", "postech", "--effective", "2020")
    integrity_cli.ok(db, "org", "rename", "postech", "--name-en", "POSTECH (renamed)")
    first = jsonl(integrity_cli.ok(db, "replay", "--position", "25").stdout)[-1]
    integrity_cli.ok(db, "retract", first["event_id"], "--reason", "recorded by mistake")
    assert integrity_cli.ok(db, "replay", "--position", "1000").stdout.count("\n") == SIZE + 4

    after = [integrity_cli.ok(db, *report).stdout for report in reports]
    for report, old, new in zip(reports, before, after, strict=True):
        assert new == old, f"{' '.join(report)} changed after later appends"
    # ... and the published checkpoint still holds: those first events are the same events.
    integrity_cli.ok(db, "verify", "--checkpoint", str(checkpoint), "--public-key", str(integrity_signer.pub))


def test_a_network_report_at_a_checkpoint_position_is_not_changed_by_a_forged_cache_file(
    integrity_demo_db, integrity_cli, integrity_tools
):
    """The ``<ledger>.graph`` cache is not part of the audit trail: a forged one must not change a report."""
    report = ["network", "summary", "--position", str(SIZE), "--as-of", "2023-12-31"]
    integrity_cli.ok(integrity_demo_db, "network", "rebuild")
    honest = integrity_cli.ok(integrity_demo_db, *report).stdout

    # Someone with write access to the folder edits the cache and recomputes its (unkeyed) checksum.
    with Ledger(integrity_demo_db) as ledger:
        store = NetworkStore(ledger)
        fold = store.read()
        fold.graph.remove_node("pohang-city")
        store.write(fold)

    integrity_cli.ok(integrity_demo_db, "verify")  # the log itself is untouched
    assert integrity_cli.ok(integrity_demo_db, *report).stdout == honest
