"""Provenance: an import that writes records ``import.recorded``; one that writes nothing records nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from click.testing import CliRunner, Result

from cli.main import cli
from domain.ledger import Ledger
from domain.provenance import ImportRecord

ALWF = Path(__file__).resolve().parents[1] / "data" / "360giving" / "alwf-a003W000001B7PzQAK.json"


def nl(db: Path, *args: str, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(cli, ["--db", str(db), *args], input=stdin)


def records(db: Path) -> list[tuple[int, ImportRecord.Recorded]]:
    with Ledger(db) as ledger:
        return [(p, e) for p, e in ledger.events() if isinstance(e, ImportRecord.Recorded)]


def test_a_360giving_import_records_its_file_and_every_event_points_at_it(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    result = nl(db, "import", "--create", str(ALWF), "--format", "360giving")
    assert result.exit_code == 0, result.stderr
    ((position, record),) = records(db)
    assert f"; import {record.event_id}" in result.stderr
    assert record.sha256 == hashlib.sha256(ALWF.read_bytes()).hexdigest()
    assert (record.file_name, record.format, record.publisher) == (ALWF.name, "360giving", "GB-CHC-1015648")
    assert record.written == {"organisation.registered": 289, "support.awarded": 475}
    assert (record.records, record.already, record.rejected) == (475, 0, 0)
    assert (record.first_position, record.last_position, position) == (1, 764, 765)
    with Ledger(db) as ledger:
        assert record.recorded_by == ledger.actor  # who ran the import
    log = nl(db, "log", "--import", str(record.event_id), "--format", "jsonl")
    assert log.exit_code == 0, log.stderr
    positions = [json.loads(line)["position"] for line in log.stdout.splitlines()]
    assert positions == list(range(1, 766))
    show = nl(db, "show", str(record.event_id), "--format", "json")
    assert json.loads(show.stdout)["state"]["sha256"] == record.sha256
    # Everything recorded: nothing at all is written, no record either.
    again = nl(db, "import", "--create", str(ALWF), "--format", "360giving")
    assert again.exit_code == 0 and "wrote 0 event(s)" in again.stderr
    assert len(records(db)) == 1
    assert nl(db, "verify").exit_code == 0


def test_a_second_import_points_at_its_own_events_only(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    first = b"key,name_en,sector\na,A,firm\n"
    second = b"key,name_en,sector\na,A,firm\nb,B,firm\nc,C,firm\n"
    args = ("import", "--create", "-", "--format", "csv", "--type", "organisation.registered")
    assert nl(db, *args, stdin=first).exit_code == 0
    assert nl(db, *args, stdin=second).exit_code == 0
    (_, one), (position, two) = records(db)
    assert (one.first_position, one.last_position) == (1, 1)
    assert (two.first_position, two.last_position, position) == (3, 4, 5)
    assert two.file_name is None and two.sha256 == hashlib.sha256(second).hexdigest()
    assert (two.records, two.already, two.written) == (3, 1, {"organisation.registered": 2})
    log = nl(db, "log", "--import", str(two.event_id), "--format", "jsonl")
    assert [json.loads(line)["key"] for line in log.stdout.splitlines()[:2]] == ["b", "c"]
    missing = nl(db, "log", "--import", "00000000-0000-0000-0000-000000000000")
    assert missing.exit_code == 1
    assert missing.stderr.startswith("Error: --import: no import.recorded event has the id")


def test_a_dry_run_and_a_refused_import_record_nothing(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    Ledger(db, create=True).close()
    dry = nl(db, "import", "--create", str(ALWF), "--format", "360giving", "--dry-run")
    assert dry.exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("key,name_en,sector\na,A,castle\n", encoding="utf-8")
    assert nl(db, "import", "--create", str(bad), "--format", "csv", "--type", "organisation.registered").exit_code == 1
    with Ledger(db) as ledger:
        assert ledger.count() == 0
