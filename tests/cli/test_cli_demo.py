"""Acceptance: ``netledger demo`` holds the Pohang seed network, dated and sourced.

The expectations are read from the shipped CSV files (``domain/data/pohang``),
not from the code that builds the demo.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from importlib import resources

import pytest
from click.testing import CliRunner

from cli.main import cli
from domain.demo import demo_event_id
from domain.ledger import Ledger
from domain.organisation import Organisation
from domain.support import Support


def seed(name: str) -> list[dict[str, str]]:
    with resources.files("domain.data").joinpath("pohang", name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


ORGANISATIONS = seed("organisations.csv")
RELATIONS = seed("relations.csv")
SEED_ARTICLE_KEYS = [o["key"] for o in ORGANISATIONS if o["in_seed_article"] == "yes"]


def test_the_seed_files_are_what_the_tests_expect():
    assert len(RELATIONS) == 24
    assert [r["event_id"] for r in RELATIONS] == [f"P{n:02d}" for n in range(1, 25)]
    assert len(SEED_ARTICLE_KEYS) == 14
    assert {r["date_precision"] for r in RELATIONS} == {"day", "month"}


def test_demo_prints_what_it_built(demo_master, tmp_path):
    path = tmp_path / "p.db"
    result = CliRunner().invoke(cli, ["--db", str(path), "demo"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert out.startswith(f"Pohang demo ledger: {path} (43 events)\n")
    assert "19 organisations (14 named by the 2019-08-22 seed article)" in out
    assert "24 relations, with sources" in out
    for row in RELATIONS:
        assert row["event_id"] in out
    assert "7200000000 KRW" in out and "83000000000 KRW" in out


def test_demo_holds_every_organisation_and_relation(demo_master):
    with Ledger(demo_master) as ledger:
        assert ledger.count() == len(ORGANISATIONS) + len(RELATIONS) == 43
        assert ledger.name == "pohang-demo"


@pytest.mark.parametrize("key", SEED_ARTICLE_KEYS)
def test_demo_registers_every_organisation_of_the_seed_article(key, demo_master):
    row = next(o for o in ORGANISATIONS if o["key"] == key)
    with Ledger(demo_master) as ledger:
        org = ledger.organisation(key)
        assert org is not None and org.exists and not org.is_dissolved
        reg = org.registered
        assert (reg.key, reg.name_ko, reg.name_en, reg.sector) == (key, row["name_ko"], row["name_en"], row["sector"])
        assert reg.source == row["source_url"]


def test_demo_registers_the_other_organisations_too(demo_master):
    with Ledger(demo_master) as ledger:
        for row in ORGANISATIONS:
            assert ledger.organisation(row["key"]) is not None, row["key"]


@pytest.mark.parametrize("row", RELATIONS, ids=[r["event_id"] for r in RELATIONS])
def test_demo_relation_is_dated_at_its_precision_and_sourced(row, demo_master):
    with Ledger(demo_master) as ledger:
        found = ledger.find(demo_event_id(row["event_id"]))
        assert found is not None, f"{row['event_id']} is not in the demo ledger"
        _, event = found
        assert str(event.effective) == row["date"]
        assert event.effective.precision == row["date_precision"]
        assert event.source == row["source_url"]
        aggregate = ledger.get(event.originator_id)
        named = {p.key for p in getattr(aggregate.history[0], "parties", None) or aggregate.history[0].funders}
        named |= {p.key for p in getattr(aggregate.history[0], "recipients", [])}
        assert {row["subject"], row["object"]} <= named


def test_every_demo_event_has_the_source_of_its_row(demo_master):
    sources = {str(demo_event_id(o["key"])): o["source_url"] for o in ORGANISATIONS}
    sources |= {str(demo_event_id(r["event_id"])): r["source_url"] for r in RELATIONS}
    with Ledger(demo_master) as ledger:
        events = [e for _, e in ledger.events()]
    assert len(events) == len(sources)
    for event in events:
        assert event.source, f"{event.type_name} {event.event_id} has no source"
        assert event.source == sources[str(event.event_id)]


@pytest.mark.parametrize(
    ("row_id", "amount", "kind"), [("P21", "7200000000", "grant"), ("P23", "83000000000", "investment")]
)
def test_demo_amounts_are_exact(row_id, amount, kind, demo_master, run):
    support_id = demo_event_id(row_id)
    with Ledger(demo_master) as ledger:
        support = ledger.get(support_id)
        assert isinstance(support, Support)
        award = support.awarded
        assert award.kind == kind
        assert award.amount == Decimal(amount) and str(award.amount) == amount
        assert award.currency == "KRW"
    # and the command line prints them exactly
    result = run("log", "--format", "jsonl", "--type", "support.awarded", db=demo_master)
    records = {r["event_id"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert records[str(support_id)]["amount"] == amount
    assert records[str(support_id)]["currency"] == "KRW"
    shown = json.loads(run("show", str(support_id), "--format", "json", db=demo_master).stdout)
    assert shown["state"]["amount"] == amount


def test_demo_relations_without_an_amount_carry_none(demo_master):
    with Ledger(demo_master) as ledger:
        for row in RELATIONS:
            if row["amount"]:
                continue
            _, event = ledger.find(demo_event_id(row["event_id"]))
            assert getattr(event, "amount", None) is None, row["event_id"]


def test_demo_p24_ends_the_battery_zone_designation(demo_master):
    with Ledger(demo_master) as ledger:
        designation = ledger.get(demo_event_id("P06"))
        assert isinstance(designation.closed, Support.Ended)
        assert str(designation.closed.event_id) == str(demo_event_id("P24"))
        assert str(designation.closed.effective) == "2023-08"


def test_demo_records_the_actor(demo_master):
    with Ledger(demo_master) as ledger:
        assert {e.recorded_by for _, e in ledger.events()} == {"demo-builder"}


def test_demo_takes_its_own_db_option(run, tmp_path, h):
    target = tmp_path / "own.db"
    global_db = tmp_path / "global.db"
    result = run("demo", "--db", str(target), db=global_db)
    h.assert_ok(result)
    assert str(target) in result.stdout
    assert h.snapshot(target).count == 43
    assert not global_db.exists()


def test_demo_defaults_to_netledger_db(tmp_path, h):
    result = CliRunner().invoke(cli, ["demo"], env={"NETLEDGER_DB": str(tmp_path / "env.db")})
    h.assert_ok(result)
    assert h.snapshot(tmp_path / "env.db").count == 43


def test_demo_is_the_same_every_time(demo_master, run, tmp_path, h):
    other = tmp_path / "again.db"
    h.assert_ok(run("demo", db=other))
    ids = [r[1]["event_id"] for r in h.snapshot(other).events]
    assert ids == [r[1]["event_id"] for r in h.snapshot(demo_master).events]


def test_demo_refuses_a_non_empty_ledger(demo_db, run, h):
    check = h.unchanged(demo_db)
    h.assert_error(run("demo", db=demo_db), 1, "db")
    check()


def test_demo_refuses_a_ledger_of_other_events(seeded, run, h):
    check = h.unchanged(seeded)
    h.assert_error(run("demo", "--db", str(seeded)), 1, "db")
    check()


def test_demo_into_an_empty_initialised_ledger(run, db, h):
    h.assert_ok(run("init"))
    h.assert_ok(run("demo"))
    with Ledger(db) as ledger:
        assert ledger.count() == 43
        assert isinstance(ledger.organisation("postech"), Organisation)


def test_demo_into_a_missing_folder_is_refused(run, tmp_path, h):
    h.assert_error(run("demo", db=tmp_path / "nowhere" / "d.db"), 2, "db")


def test_demo_shows_the_promotion_group_becoming_the_broker(tmp_path):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "p.db"), "demo"])
    assert result.exit_code == 0, result.stderr
    before = next(line for line in result.stdout.splitlines() if "as of 2019-08-01" in line)
    after = next(line for line in result.stdout.splitlines() if "as of 2019-12-31" in line)
    assert "nssz-promotion-group" not in before
    assert after.split(": ", 1)[1].startswith("nssz-promotion-group ")
