"""``netledger log`` (every format and filter) and ``netledger show``."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, timedelta, timezone
from uuid import UUID

import pytest

from domain.demo import demo_event_id, read_seed
from domain.ledger import Ledger
from domain.records import HEADER
from projections.timeline import LOG_HEADER, log_record, statuses

RELATIONS = read_seed("relations.csv")
#: What happened on 2019-08-22: the promotion group's registration, then the day's relations.
LAUNCH_DAY = ["nssz-promotion-group", *(f"P{n:02d}" for n in range(8, 21))]
ORGANISATIONS = read_seed("organisations.csv")
TABLE_HEADER = ["position", "effective", "type", "what", "status", "recorded_at", "recorded_by"]


def library_records(path) -> list[dict]:
    """What the library says ``log`` prints: each record with its status."""
    with Ledger(path) as ledger:
        status = statuses(ledger)
        return [log_record(p, e, status.get(p, "")) for p, e in ledger.events()]


def logged_ids(run, *args: str, db=None) -> list[str]:
    """Event ids that ``log --format jsonl ARGS`` prints, in order."""
    result = run("log", "--format", "jsonl", *args, db=db)
    assert result.exit_code == 0, result.stderr
    return [json.loads(line)["event_id"] for line in result.stdout.splitlines()]


def row_ids(*row_names: str) -> list[str]:
    return [str(demo_event_id(r)) for r in row_names]


# -- formats ---------------------------------------------------------------------------------


def test_log_table_is_the_default(run, demo_master, h):
    default = run("log", db=demo_master)
    h.assert_ok(default)
    assert run("log", "--format", "table", db=demo_master).stdout == default.stdout
    lines = default.stdout.splitlines()
    assert lines[0].split() == TABLE_HEADER
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert len(lines) == 2 + 43
    assert [int(line.split()[0]) for line in lines[2:]] == list(range(1, 44))
    assert "organisation.registered" in lines[2]
    assert "demo-builder" in lines[2]
    p21 = lines[2 + 39]  # P21 is the 40th event
    assert "2019-09-23" in p21 and "support.awarded" in p21 and "7200000000 KRW" in p21


def test_log_json(run, demo_master, h):
    result = run("log", "--format", "json", db=demo_master)
    h.assert_ok(result)
    data = json.loads(result.stdout)
    assert data == library_records(demo_master)
    assert [r["position"] for r in data] == list(range(1, 44))
    assert all(list(r)[: len(HEADER)] == list(HEADER) for r in data)
    assert all(r["status"] == "" for r in data)  # the demo amends nothing and retracts nothing


def test_log_jsonl(run, demo_master, h):
    result = run("log", "--format", "jsonl", db=demo_master)
    h.assert_ok(result)
    lines = result.stdout.splitlines()
    assert len(lines) == 43
    assert [json.loads(line) for line in lines] == library_records(demo_master)
    assert "포항시" in result.stdout  # Korean is printed as is, not \\u-escaped


def test_log_csv(run, demo_master, h):
    result = run("log", "--format", "csv", db=demo_master)
    h.assert_ok(result)
    reader = csv.DictReader(io.StringIO(result.stdout))
    assert reader.fieldnames == [*LOG_HEADER, "fields"]
    rows = list(reader)
    expected = library_records(demo_master)
    assert len(rows) == len(expected) == 43
    for row, record in zip(rows, expected, strict=True):
        assert row["position"] == str(record["position"])
        assert row["event_id"] == record["event_id"]
        assert row["type"] == record["type"]
        assert row["effective"] == (record["effective"] or "")
        assert row["source"] == record["source"]
        fields = json.loads(row["fields"])
        assert row["status"] == record["status"]
        assert fields == {k: v for k, v in record.items() if k not in LOG_HEADER}


@pytest.mark.parametrize(
    ("fmt", "expected"), [("json", "[]\n"), ("jsonl", ""), ("csv", ",".join(LOG_HEADER) + ",fields\n")]
)
def test_log_of_an_empty_ledger(fmt, expected, run, h):
    h.assert_ok(run("init"))
    result = run("log", "--format", fmt)
    h.assert_ok(result)
    assert result.stdout == expected


def test_log_table_of_an_empty_ledger_is_just_the_header(run, h):
    h.assert_ok(run("init"))
    result = run("log")
    h.assert_ok(result)
    assert result.stdout.splitlines()[0].split() == TABLE_HEADER
    assert len(result.stdout.splitlines()) == 2


def test_log_table_never_prints_none(run, world, h):
    """A support amendment that changes the amount only (the currency stays the award's)."""
    h.recorded(run("support", "amend", world["S"], "--amount", "2000", "--effective", "2019-06"))
    result = run("log", "--type", "support.amended")
    h.assert_ok(result)
    assert "None" not in result.stdout, result.stdout


def test_log_reads_without_writing(run, world, h):
    check = h.unchanged(run.db)
    for fmt in ("table", "json", "jsonl", "csv"):
        h.assert_ok(run("log", "--format", fmt))
    check()


# -- filters ---------------------------------------------------------------------------------


def rows_naming(key: str) -> list[str]:
    return [r["event_id"] for r in RELATIONS if key in (r["subject"], r["object"])]


@pytest.mark.parametrize("key", ["postech", "mss", "posco-venture-valley", "kibo", "pohang-convergence-district"])
def test_log_org_follows_relations(key, run, demo_master):
    expected = [str(demo_event_id(key)), *row_ids(*rows_naming(key))]
    assert logged_ids(run, "--org", key, db=demo_master) == expected


def test_log_org_includes_later_events_of_a_relation(run, demo_master):
    # P24 (support.ended) names no organisation itself; it ends the P06 designation of mss -> battery-rfz
    assert row_ids("P24")[0] in logged_ids(run, "--org", "battery-rfz", db=demo_master)


def test_log_several_orgs_is_a_union(run, demo_master):
    both = logged_ids(run, "--org", "postech", "--org", "rist", db=demo_master)
    expected = {str(demo_event_id("postech")), str(demo_event_id("rist"))} | set(
        row_ids(*rows_naming("postech"), *rows_naming("rist"))
    )
    assert set(both) == expected and len(both) == len(expected)


def test_log_unknown_org_is_refused_with_the_closest_keys(run, demo_master, h):
    h.assert_error(run("log", "--org", "nobody", db=demo_master), 1, "--org")
    assert "did you mean posco" in h.assert_error(run("log", "--org", "posko", db=demo_master), 1, "--org")


SUPPORT_ROWS = ["P01", "P06", "P17", "P18", "P19", "P21", "P23"]


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        (["support"], [*SUPPORT_ROWS, "P24"]),
        (["support.awarded"], SUPPORT_ROWS),
        (["support.ended"], ["P24"]),
        (["support.withdrawn"], []),
        (["partnership"], [r["event_id"] for r in RELATIONS if r["event_id"] not in [*SUPPORT_ROWS, "P24"]]),
        (["support.ended", "partnership.ended"], ["P24"]),
        (["agreement"], []),
    ],
    ids=["support", "support.awarded", "support.ended", "support.withdrawn", "partnership", "two-types", "agreement"],
)
def test_log_type_full_name_and_kind(types, expected, run, demo_master):
    args = [a for t in types for a in ("--type", t)]
    assert logged_ids(run, *args, db=demo_master) == row_ids(*expected)


def test_log_type_organisation(run, demo_master):
    assert logged_ids(run, "--type", "organisation", db=demo_master) == [
        str(demo_event_id(o["key"])) for o in ORGANISATIONS
    ]
    assert logged_ids(run, "--type", "organisation.registered", db=demo_master) == [
        str(demo_event_id(o["key"])) for o in ORGANISATIONS
    ]


@pytest.mark.parametrize(
    ("bounds", "expected"),
    [
        # the promotion group is registered on its launch day, then the day's relations
        (
            ["--from", "2019-08-22", "--to", "2019-08-22"],
            ["nssz-promotion-group", *(f"P{n:02d}" for n in range(8, 21))],
        ),
        (["--from", "2021"], ["P23", "P24"]),
        (["--from", "2023-08-31"], ["P24"]),  # a month-precision date may fall on its last day
        (["--from", "2023-09"], []),
        (["--to", "2019-06"], ["P01", "P02", "P03", "P04", "P05"]),
        (["--to", "2019-07-01"], ["P01", "P02", "P03", "P04", "P05", "P06", "P07"]),
        (["--from", "2019-07-15", "--to", "2019-07-20"], ["P06", "P07"]),
        (["--from", "2019-09", "--to", "2019-12"], ["P21", "P22"]),
        (["--from", "2019-10-01", "--to", "2019-10-01"], ["P22"]),
        (["--from", "2020", "--to", "2020"], []),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) and v and v[0].startswith("--") else None,
)
def test_log_effective_window_respects_precision(bounds, expected, run, demo_master):
    assert logged_ids(run, *bounds, db=demo_master) == row_ids(*expected)


def test_log_filters_combine(run, demo_master):
    ids = logged_ids(run, "--org", "postech", "--type", "partnership", "--from", "2019-09", db=demo_master)
    assert ids == row_ids("P22")


def test_log_recorded_before(run, db, h):
    h.assert_ok(run("init"))
    h.recorded(run("org", "register", "a", "--sector", "firm", "--name-en", "A"))
    h.recorded(run("org", "register", "b", "--sector", "firm", "--name-en", "B"))
    with Ledger(db) as ledger:
        (_, first), (_, second) = list(ledger.events())
    assert first.recorded_at < second.recorded_at
    cut = second.recorded_at
    for stamp in (
        cut.isoformat(),
        cut.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        cut.astimezone(UTC).replace(tzinfo=None).isoformat(),  # no zone: read as UTC
        cut.astimezone(timezone(timedelta(hours=9))).isoformat(),  # the same moment in Korea
    ):
        assert logged_ids(run, "--recorded-before", stamp) == [str(first.event_id)], stamp
    assert logged_ids(run, "--recorded-before", "2000-01-01T00:00:00") == []
    assert logged_ids(run, "--recorded-before", "2999-01-01") == [str(first.event_id), str(second.event_id)]


# -- show ------------------------------------------------------------------------------------


def test_show_organisation_by_key(run, demo_master, h):
    result = run("show", "postech", db=demo_master)
    h.assert_ok(result)
    lines = result.stdout.splitlines()
    state = show_state(result.stdout)
    assert state["kind"] == "organisation"
    assert state["key"] == "postech"
    assert state["sector"] == "university"
    assert state["status"] == "active"
    assert lines[lines.index("") + 1] == "history:"
    assert "organisation.registered" in result.stdout


def test_show_json_organisation_with_history(run, seeded, h):
    h.recorded(run("org", "rename", "a", "--name-en", "A Corp", "--effective", "2001"))
    result = run("show", "a", "--format", "json")
    h.assert_ok(result)
    data = json.loads(result.stdout)
    assert data["state"]["name_en"] == "A Corp"
    assert data["as_of"] == date.today().isoformat()
    assert [e["type"] for e in data["history"]] == ["organisation.registered", "organisation.renamed"]
    assert data["history"][0]["status"] == f"renamed by {data['history'][1]['event_id']}"
    before = json.loads(run("show", "a", "--as-of", "2000", "--format", "json").stdout)
    assert before["state"]["name_en"] == "A" and before["as_of"] == "2000-12-31"  # the rename holds from 2001
    with Ledger(seeded) as ledger:
        positions = [ledger.find(e["event_id"])[0] for e in data["history"]]
    assert [e["position"] for e in data["history"]] == positions


def test_show_by_aggregate_id(run, demo_master, h):
    p21 = str(demo_event_id("P21"))
    result = run("show", p21, "--format", "json", db=demo_master)
    h.assert_ok(result)
    state = json.loads(result.stdout)["state"]
    assert state["kind"] == "support" and state["id"] == p21
    assert state["support_kind"] == "grant"
    assert (state["amount"], state["currency"]) == ("7200000000", "KRW")
    assert state["awarded"] == "2019-09-23"


def test_show_by_the_id_of_a_later_event(run, demo_master, h):
    """P24 (support.ended) is an event of the P06 designation: show finds the designation."""
    result = run("show", str(demo_event_id("P24")), "--format", "json", db=demo_master)
    h.assert_ok(result)
    data = json.loads(result.stdout)
    assert data["state"]["id"] == str(demo_event_id("P06"))
    assert data["state"]["status"] == "ended"
    assert data["state"]["end"] == "2023-08"
    earlier = run("show", str(demo_event_id("P24")), "--as-of", "2023-07", "--format", "json", db=demo_master)
    before = json.loads(earlier.stdout)
    assert before["state"]["status"] == "active"
    assert [e["event_id"] for e in data["history"]] == row_ids("P06", "P24")


def show_state(stdout: str) -> dict[str, str]:
    lines = stdout.splitlines()
    return dict(line.split(None, 1) for line in lines[: lines.index("")])


def test_show_table_of_a_partnership(run, world, h):
    result = run("show", world["PE"])
    h.assert_ok(result)
    state = show_state(result.stdout)
    assert (state["kind"], state["id"], state["status"]) == ("partnership", world["PE"], "ended")
    assert state["parties"] == "a, c"
    assert state["end"] == "2020"
    assert "partnership.formed" in result.stdout and "partnership.ended" in result.stdout


def test_show_a_retracted_organisation(run, world, h):
    result = run("show", "x", "--format", "json")
    h.assert_ok(result)
    data = json.loads(result.stdout)
    assert data["state"]["status"] == "unregistered"
    assert [e["event_id"] for e in data["history"]] == [world["XREG"], world["XRET"]]
    assert data["history"][0]["status"] == f"retracted by {world['XRET']}"


def test_show_an_id_of_nothing_is_refused(run, demo_master, h):
    h.assert_error(run("show", str(UUID(int=7)), db=demo_master), 1, "KEY_OR_ID")
