"""``netledger import --format 360giving``: real files, all or nothing, idempotent."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from cli.main import cli
from domain.imports.giving360 import identifier_of, key_of
from domain.ledger import Ledger
from domain.organisation import Organisation
from domain.support import Support

DATA = Path(__file__).resolve().parents[1] / "data" / "360giving"
ALWF = DATA / "alwf-a003W000001B7PzQAK.json"
WOLFSON = DATA / "wolfson-2014-a002400000KeYdsAAF.invalid.json"


def run(db: Path, file: Path, *extra: str) -> Result:
    return CliRunner().invoke(cli, ["--db", str(db), "import", "--create", str(file), "--format", "360giving", *extra])


def grants(exact: bool = False) -> list[dict[str, Any]]:
    """The ALWF grants; floats (which json.dumps writes back as they were) unless *exact*."""
    text = ALWF.read_text(encoding="utf-8")
    return json.loads(text, parse_float=Decimal)["grants"] if exact else json.loads(text)["grants"]


def write(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"grants": items}), encoding="utf-8")
    return path


def supports(db: Path) -> list[Support.Awarded]:
    with Ledger(db) as ledger:
        return [e for _, e in ledger.events() if isinstance(e, Support.Awarded)]


def count(db: Path) -> int:
    with Ledger(db) as ledger:
        return ledger.count()


def test_identifier_and_key_rules() -> None:
    assert identifier_of("GB-CHC-1015890") == "GB-CHC:1015890"
    assert identifier_of("US-EIN-11-3372980") == "US-EIN:11-3372980"
    assert key_of("GB-CHC-1015890") == "gb-chc-1015890"
    assert key_of("360G-ALWF-ORG:A") != key_of("360G-ALWF-ORG:a")


def test_alwf_imports_completely_to_the_penny_and_verifies(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    result = run(db, ALWF)
    assert result.exit_code == 0, result.stderr
    assert "wrote 764 event(s)" in result.stderr
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for g in grants(exact=True):
        expected[g["currency"]] += Decimal(g["amountAwarded"])
    awarded = supports(db)
    assert len(awarded) == 475
    got: dict[str, Decimal] = defaultdict(Decimal)
    for e in awarded:
        assert e.currency is not None and e.amount is not None
        got[e.currency] += e.amount
    assert {c: v.quantize(Decimal("0.01")) for c, v in expected.items()} == got
    assert {e.reference for e in awarded} == {g["id"] for g in grants()}
    verify = CliRunner().invoke(cli, ["--db", str(db), "verify"])
    assert verify.exit_code == 0, verify.stderr


def test_importing_twice_writes_nothing_the_second_time(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    assert run(db, ALWF).exit_code == 0
    before = count(db)
    again = run(db, ALWF)
    assert again.exit_code == 0, again.stderr
    assert "wrote 0 event(s); 475 already recorded" in again.stderr
    assert "nothing new to write" in again.stderr
    assert count(db) == before


def test_overlapping_file_writes_only_the_new_grants(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    first = run(db, write(tmp_path / "first.json", grants()[:200]))
    assert first.exit_code == 0, first.stderr
    assert len(supports(db)) == 200
    full = run(db, ALWF)
    assert full.exit_code == 0, full.stderr
    assert "475 support.awarded" not in full.stderr
    assert "275 support.awarded" in full.stderr
    assert "200 already recorded" in full.stderr
    assert len(supports(db)) == 475


def test_wolfson_is_rejected_naming_its_award_dates(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    assert run(db, write(tmp_path / "one.json", grants()[:1])).exit_code == 0
    before = count(db)
    result = run(db, WOLFSON)
    assert result.exit_code == 1  # invalid records: the file is refused (2 is for an unreadable file)
    assert "grant 1 (360G-wolfson-19747): awardDate: '05/06/2014' is not an ISO 8601 date" in result.stderr
    assert "... and 359 more problem(s)" in result.stderr
    assert "nothing written" in result.stderr
    assert count(db) == before


def test_invalid_record_in_the_middle_leaves_the_ledger_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    assert run(db, write(tmp_path / "one.json", grants()[:1])).exit_code == 0
    before = count(db)
    items = grants()
    items[237]["amountAwarded"] = "lots"
    items[300]["currency"] = "XXQ"
    result = run(db, write(tmp_path / "bad.json", items))
    assert result.exit_code == 1
    assert f"grant 238 ({items[237]['id']}): amountAwarded: 'lots' is not a number" in result.stderr
    assert count(db) == before
    items[237]["amountAwarded"] = 10  # now only the value the ledger refuses is left
    result = run(db, write(tmp_path / "bad.json", items))
    assert result.exit_code == 1
    assert f"grant 301 ({items[300]['id']}): currency" in result.stderr
    assert count(db) == before


def test_a_rule_violation_rejects_the_file_with_exit_1(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    with Ledger(db, create=True) as ledger:  # the key a recipient would get, but without its identifier
        ledger.register_organisation("gb-edu-133843", sector="university", name_en="RNCM")
    result = run(db, ALWF)
    assert result.exit_code == 1, result.stderr
    assert "recipientOrganization[0].key" in result.stderr
    assert count(db) == 1


def test_preregistered_organisation_is_matched_not_duplicated(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    with Ledger(db, create=True) as ledger:
        ledger.register_organisation(
            "alwf", sector="funder", name_en="Andrew Lloyd Webber Foundation", identifiers=["GB-CHC:1015648"]
        )
    result = run(db, ALWF)
    assert result.exit_code == 0, result.stderr
    assert "1 organisation(s) matched" in result.stderr
    with Ledger(db) as ledger:
        keys = [e.key for _, e in ledger.events() if isinstance(e, Organisation.Registered)]
    assert "gb-chc-1015648" not in keys
    assert len(keys) == len(set(keys))
    assert all(p.key == "alwf" for e in supports(db) for p in e.funders)


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    Ledger(db, create=True).close()
    result = run(db, ALWF, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "would write 764 event(s) (289 organisation.registered, 475 support.awarded)" in result.stderr
    assert count(db) == 0


def test_jsonl_format_replays_a_log(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    assert run(db, write(tmp_path / "some.json", grants()[:5])).exit_code == 0
    log = CliRunner().invoke(cli, ["--db", str(db), "log", "--format", "jsonl"])
    (tmp_path / "log.jsonl").write_text(log.stdout, encoding="utf-8")
    other = tmp_path / "other.db"
    args = ["--db", str(other), "import", "--create", str(tmp_path / "log.jsonl"), "--format", "jsonl"]
    dry = CliRunner().invoke(cli, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.stderr
    assert not other.exists()  # a dry run into a new path leaves no file
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    assert count(other) == count(db) + 1  # the log, its import.recorded included, then this import's own
    assert "0 already recorded" in result.stderr
    again = CliRunner().invoke(cli, args)
    assert f"wrote 0 event(s); {count(db)} already recorded" in again.stderr
