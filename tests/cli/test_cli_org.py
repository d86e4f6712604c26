"""``netledger init`` and ``netledger org register|rename|dissolve``, plus the global options."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from cli.main import cli
from domain.ledger import Ledger

# -- init -----------------------------------------------------------------------------


def test_init_creates_an_empty_ledger(run, db, h):
    result = run("init")
    h.assert_ok(result)
    assert result.stdout == f"created ledger 'l' at {db}\n"
    with Ledger(db) as ledger:
        assert ledger.count() == 0
        assert ledger.name == "l"
        assert list(ledger.events()) == []


def test_init_with_a_name(run, db, h):
    h.assert_ok(run("init", "--name", "pohang"))
    with Ledger(db) as ledger:
        assert ledger.name == "pohang"


def test_init_on_an_existing_ledger_changes_nothing(run, seeded, h):
    before = h.snapshot(seeded)
    result = run("init", "--name", "other")
    h.assert_ok(result)
    assert result.stdout == f"ledger 'l' already exists at {seeded} ({before.count} events)\n"
    assert h.snapshot(seeded) == before
    with Ledger(seeded) as ledger:
        assert ledger.name == "l"  # --name does not rename an existing ledger


def test_init_takes_the_ledger_path_from_netledger_db(tmp_path, h):
    path = tmp_path / "from-env.db"
    result = CliRunner().invoke(cli, ["init"], env={"NETLEDGER_DB": str(path)})
    h.assert_ok(result)
    assert path.exists()
    assert not (tmp_path / "netledger.db").exists()


def test_init_in_a_missing_folder_is_refused(run, tmp_path, h):
    path = tmp_path / "no-such-folder" / "l.db"
    h.assert_error(run("init", db=path), 2, "db")
    assert not path.parent.exists()


def test_init_on_a_file_that_is_not_a_database_is_refused(run, tmp_path, h):
    path = tmp_path / "notes.db"
    path.write_bytes(b"hello, I am not SQLite\n")
    h.assert_error(run("init", db=path), 2, "db")
    assert path.read_bytes() == b"hello, I am not SQLite\n"


def test_init_on_another_applications_database_is_refused(run, tmp_path, h):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    h.assert_error(run("init", db=path), 2, "db")
    with sqlite3.connect(path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert tables == {"t"}


def test_init_on_a_directory_is_refused(run, tmp_path, h):
    h.assert_error(run("init", db=tmp_path), 2, "db")


# -- org register -----------------------------------------------------------------------


def test_org_register_records_every_field(run, db, h):
    h.assert_ok(run("init"))
    result = run(
        "org",
        "register",
        "postech",
        "--name-ko",
        "포항공과대학교",
        "--name-en",
        "POSTECH",
        "--sector",
        "university",
        "--subtype",
        "private university",
        "--id",
        "kr-brn:5038210565",
        "--id",
        "ROR:04xysgw12",
        "--country",
        "kr",
        "--locality",
        "Pohang",
        "--effective",
        "1986-12",
        "--source",
        "https://example.org/postech",
        "--note",
        "founded by POSCO",
    )
    line = h.recorded(result)
    assert result.stdout == ""
    assert line["type"] == "organisation.registered"
    with Ledger(db) as ledger:
        assert ledger.count() == 1
        assert int(line["position"]) == 1
        org = ledger.organisation("postech")
        assert org is not None and org.exists and not org.is_dissolved
        reg = org.registered
        assert str(reg.event_id) == line["event_id"]
        assert (reg.key, reg.name_ko, reg.name_en, reg.sector, reg.subtype) == (
            "postech",
            "포항공과대학교",
            "POSTECH",
            "university",
            "private university",
        )
        assert reg.identifiers == ["KR-BRN:5038210565", "ROR:04xysgw12"]
        assert (reg.country, reg.locality) == ("KR", "Pohang")
        assert str(reg.effective) == "1986-12" and reg.effective.precision == "month"
        assert reg.source == "https://example.org/postech"
        assert reg.note == "founded by POSCO"
        assert ledger.find(line["event_id"])[0] == 1


def test_org_register_refuses_a_missing_ledger_and_creates_nothing(run, db, h):
    assert not db.exists()
    result = run("org", "register", "rist", "--sector", "research_institute", "--name-ko", "포항산업과학연구원")
    h.assert_error(result, 2, f"db: no ledger at {db} (run 'netledger init' first")
    assert not db.exists()  # a mistyped --db never makes a new, empty ledger
    h.assert_ok(run("init"))
    h.recorded(run("org", "register", "rist", "--sector", "research_institute", "--name-ko", "포항산업과학연구원"))
    with Ledger(db) as ledger:
        assert ledger.organisation("rist").name == "포항산업과학연구원"


def test_org_register_positions_follow_the_log(run, db, h):
    h.assert_ok(run("init"))
    first = h.recorded(run("org", "register", "a", "--sector", "firm", "--name-en", "A"))
    second = h.recorded(run("org", "register", "b", "--sector", "firm", "--name-en", "B"))
    assert (first["position"], second["position"]) == ("1", "2")
    with Ledger(db) as ledger:
        assert [str(e.event_id) for _, e in ledger.events()] == [first["event_id"], second["event_id"]]


# -- org rename ---------------------------------------------------------------------------


def test_org_rename_keeps_the_old_name_in_history(run, seeded, h):
    line = h.recorded(run("org", "rename", "a", "--name-en", "A Corp", "--effective", "2001-04-01", "--note", "n"))
    assert line["type"] == "organisation.renamed"
    with Ledger(seeded) as ledger:
        org = ledger.organisation("a")
        assert org.name_en == "A Corp"
        assert [n.name_en for n in org.names] == ["A", "A Corp"]
        renamed = org.history[-1]
        assert str(renamed.event_id) == line["event_id"]
        assert str(renamed.effective) == "2001-04-01" and renamed.effective.precision == "day"
        assert ledger.find(line["event_id"])[0] == int(line["position"]) == ledger.count()


def test_org_rename_only_the_korean_name(run, seeded, h):
    h.recorded(run("org", "rename", "b", "--name-ko", "비대학교"))
    with Ledger(seeded) as ledger:
        org = ledger.organisation("b")
        assert (org.name_ko, org.name_en) == ("비대학교", "B")


# -- org dissolve -------------------------------------------------------------------------


def test_org_dissolve(run, seeded, h):
    line = h.recorded(run("org", "dissolve", "a", "--effective", "2020-06", "--source", "gazette"))
    assert line["type"] == "organisation.dissolved"
    with Ledger(seeded) as ledger:
        org = ledger.organisation("a")
        assert org.is_dissolved
        assert str(org.dissolved) == "2020-06"
        assert org.history[-1].source == "gazette"
    # a dissolved organisation joins no new relation
    check = h.unchanged(seeded)
    h.assert_error(run("partnership", "form", "--party", "a", "--party", "b", "--effective", "2021"), 1, "parties[0]")
    check()


def test_org_dissolve_without_a_date(run, seeded, h):
    h.recorded(run("org", "dissolve", "c"))
    with Ledger(seeded) as ledger:
        assert ledger.organisation("c").is_dissolved


# -- global options ---------------------------------------------------------------------


def test_db_from_netledger_db(tmp_path, h):
    path = tmp_path / "env.db"
    runner = CliRunner()
    for made in (path, tmp_path / "opt.db"):
        h.assert_ok(runner.invoke(cli, ["--db", str(made), "init"]))
    result = runner.invoke(
        cli, ["org", "register", "a", "--sector", "firm", "--name-en", "A"], env={"NETLEDGER_DB": str(path)}
    )
    h.recorded(result)
    with Ledger(path) as ledger:
        assert ledger.organisation("a") is not None
    # --db wins over the environment
    other = tmp_path / "opt.db"
    result = runner.invoke(
        cli,
        ["--db", str(other), "org", "register", "b", "--sector", "firm", "--name-en", "B"],
        env={"NETLEDGER_DB": str(path)},
    )
    h.recorded(result)
    assert h.snapshot(path).count == 1
    assert h.snapshot(other).count == 1


def test_version_and_help(h):
    runner = CliRunner()
    h.assert_ok(runner.invoke(cli, ["--version"]))
    result = runner.invoke(cli, ["--help"])
    h.assert_ok(result)
    for command in ("init", "org", "partnership", "agreement", "support", "retract", "append", "log", "show", "demo"):
        assert command in result.stdout


def test_unknown_command_is_a_usage_error(run, seeded, h):
    check = h.unchanged(seeded)
    h.assert_error(run("frobnicate"), 2, "frobnicate", usage=True)
    check()


def test_paths_are_relative_to_the_working_directory(tmp_path, h):
    result = CliRunner().invoke(cli, ["--db", "rel.db", "init"])
    h.assert_ok(result)
    assert Path(tmp_path / "rel.db").exists()
