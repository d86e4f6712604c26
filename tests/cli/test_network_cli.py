"""``netledger network ...`` through click's CliRunner, on the Pohang demo ledger."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from domain.ledger import Ledger

NSSZ = "nssz-promotion-group"

QUERIES = [
    ["summary"],
    ["centrality", "--metric", "betweenness"],
    ["brokers"],
    ["communities"],
    ["path", "kibo", "postech"],
    ["ego", "postech", "--radius", "2"],
    ["mix"],
    ["trend", "--metric", "degree", "--org", "postech", "--from", "2019", "--to", "2020"],
    ["diff", "2019-08-01", "2019-12-31"],
]


@pytest.fixture
def ok(run: Any, h: Any) -> Any:
    """``ok(*args, db=...)``: run ``netledger --db DB network ...`` and assert it succeeded."""

    def call(*args: str, db: Path) -> Any:
        result = run(*args, db=db)
        h.assert_ok(result)
        return result

    return call


def as_json(result: Any) -> Any:
    return json.loads(result.stdout)


@pytest.mark.parametrize("query", QUERIES, ids=[q[0] for q in QUERIES])
@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_every_query_in_every_format(ok: Any, demo_db: Path, query: list[str], fmt: str) -> None:
    as_of = [] if query[0] in ("trend", "diff") else ["--as-of", "2019-12-31"]
    result = ok("network", *query, *as_of, "--format", fmt, db=demo_db)
    if fmt == "json":
        assert isinstance(as_json(result), list) and as_json(result)
    elif fmt == "csv":
        assert len(list(csv.DictReader(io.StringIO(result.stdout)))) >= 1
    else:
        assert result.stdout.splitlines()[1].startswith("--")


def test_betweenness_ranks_the_promotion_group_first_at_the_end_of_2019(ok: Any, demo_db: Path) -> None:
    result = ok(
        "network", "centrality", "--metric", "betweenness", "--as-of", "2019-12-31", "--format", "json", db=demo_db
    )
    rows = as_json(result)
    assert rows[0]["key"] == NSSZ and rows[0]["rank"] == 1 and rows[0]["sector"] == "government"
    assert rows[0]["name"] == "National Strategic Special Zone Promotion Group"
    assert isinstance(rows[0]["score"], float) and len(rows) == 10
    table = ok("network", "centrality", "--metric", "betweenness", "--as-of", "2019-12-31", db=demo_db)
    assert table.stdout.splitlines()[2].split()[:2] == ["1", NSSZ]


def test_before_the_launch_the_network_has_no_promotion_group(run: Any, ok: Any, demo_db: Path) -> None:
    ego = run("network", "ego", NSSZ, "--as-of", "2019-08-01", db=demo_db)
    assert ego.exit_code == 1 and ego.stdout == ""
    assert ego.stderr == (
        f"Error: KEY: organisation '{NSSZ}' does not exist on 2019-08-01 (choose a date when it exists with --as-of)\n"
    )
    ranking = ok(
        "network", "centrality", "--metric", "degree", "--all", "--as-of", "2019-08-01", "--format", "json", db=demo_db
    )
    scores = {r["key"]: r["score"] for r in as_json(ranking)}
    assert len(scores) == 18 and NSSZ not in scores
    launched = ok("network", "ego", NSSZ, "--as-of", "2019-08-22", "--format", "json", db=demo_db)
    assert len(as_json(launched)) > 0


def test_path_from_kibo_to_postech_goes_through_the_promotion_group(ok: Any, demo_db: Path) -> None:
    rows = as_json(ok("network", "path", "kibo", "postech", "--format", "json", db=demo_db))
    assert [(r["step"], r["from"], r["to"]) for r in rows] == [(1, "kibo", NSSZ), (2, NSSZ, "postech")]


def test_filters_and_weights(ok: Any, demo_db: Path) -> None:
    only = as_json(ok("network", "centrality", "--sector", "programme", "--all", "--format", "json", db=demo_db))
    assert {r["sector"] for r in only} == {"programme"} and len(only) == 4
    money = ok("network", "centrality", "--metric", "strength", "--weight", "amount", "--format", "json", db=demo_db)
    assert as_json(money)[0] == {
        "rank": 1,
        "key": "posco",
        "name": "POSCO",
        "sector": "firm",
        "score": 83e9,
        "metric": "strength",
    }
    supports = ok("network", "summary", "--tie-type", "support", "--format", "json", db=demo_db)
    values = {(r["section"], r["name"]): r["value"] for r in as_json(supports)}
    assert (
        values[("ties", "partnership")] == 0 and values[("ties", "support")] == 6
    )  # 7 supports; the battery zone designation ended in 2023


def test_recorded_time_axes(ok: Any, demo_db: Path) -> None:
    # the first 19 events register the organisations: no tie yet
    early = ok("network", "summary", "--position", "19", "--format", "json", db=demo_db)
    assert {(r["section"], r["name"]): r["value"] for r in as_json(early)}[("ties", "all")] == 0
    long_ago = ok("network", "summary", "--known-at", "2000-01-01", "--format", "json", db=demo_db)
    assert {(r["section"], r["name"]): r["value"] for r in as_json(long_ago)}[("organisations", "all")] == 0


def test_communities_table_reports_the_modularity(ok: Any, demo_db: Path) -> None:
    result = ok("network", "communities", "--as-of", "2019-12-31", "--seed", "3", db=demo_db)
    assert result.stdout.splitlines()[-1].startswith("modularity 0.")
    rows = as_json(ok("network", "communities", "--as-of", "2019-12-31", "--format", "json", db=demo_db))
    assert sum(len(r["members"]) for r in rows) == 17


def test_trend_rows_and_network_measures(ok: Any, demo_db: Path) -> None:
    rows = as_json(
        ok("network", "trend", "--metric", "ties", "--from", "2019", "--to", "2023", "--format", "json", db=demo_db)
    )
    assert [r["ties"] for r in rows] == [22, 22, 23, 23, 22]  # the investment of 2021, the zone ending in 2023
    default = as_json(
        ok("network", "trend", "--metric", "pagerank", "--from", "2019", "--to", "2019", "--format", "json", db=demo_db)
    )
    assert list(default[0])[:3] == ["period", "as_of", NSSZ]  # the top 5 of the last date


def test_rebuild_prints_events_and_seconds(ok: Any, demo_db: Path) -> None:
    result = ok("network", "rebuild", db=demo_db)
    assert result.stdout.startswith("rebuilt the network of 'pohang-demo': 43 events in ")
    assert " s (19 organisations, 23 ties)" in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "field"),
    [
        (["centrality", "--as-of", "2019-02-30"], 2, "--as-of"),
        (["centrality", "--metric", "fame"], 2, "--metric"),
        (["centrality", "--sector", "church"], 2, "--sector"),
        (["centrality", "--weight", "money"], 2, "--weight"),
        (["centrality", "--weight", "ties"], 2, "--weight: degree takes no weight"),
        (["centrality", "--tie-type", "friendship"], 2, "--tie-type"),
        (["centrality", "--top", "3", "--all"], 2, "--top"),
        (["centrality", "--top", "x"], 2, "--top"),
        (["summary", "--known-at", "2020-01-01", "--position", "3"], 2, "--known-at"),
        (["summary", "--known-at", "yesterday"], 2, "--known-at"),
        (["summary", "--position", "-1"], 2, "--position"),
        (["path", "kibo", "nobody"], 1, "TARGET"),
        (["path", "kibo", "postech", "--as-of", "2019-08-01"], 1, "target"),  # no path before the launch
        (["ego", "nobody"], 1, "KEY"),
        (["ego", "postech", "--radius", "-2"], 2, "--radius"),
        (["trend", "--metric", "degree", "--from", "2019", "--to", "20x"], 2, "--to"),
        (["trend", "--metric", "ties", "--org", "postech", "--from", "2019", "--to", "2020"], 2, "--org"),
        (["trend", "--metric", "degree", "--org", "nobody", "--from", "2019", "--to", "2020"], 1, "--org"),
        (["trend", "--metric", "degree", "--from", "2019", "--to", "2020", "--step", "week"], 2, "--step"),
        (["diff", "2020", "2019"], 2, "DATE2"),
        (["diff", "2019", "2020-13"], 2, "DATE2"),
        (["communities", "--resolution", "0"], 2, "--resolution"),
        (["communities", "--resolution", "nan"], 2, "--resolution"),
        (["diff", "2019", "2020", "--metric", "kcore", "--weight", "ties"], 2, "--weight"),
        (["trend", "--metric", "degree", "--from", "2019", "--to", "2020", "--as-of", "2019"], 2, "--as-of"),
    ],
)
def test_bad_input_is_one_error_line(run: Any, demo_db: Path, h: Any, args: list[str], code: int, field: str) -> None:
    line = h.assert_error(run("network", *args, db=demo_db), code, field)
    assert line.endswith(")"), line  # every message says how to fix it


def test_amounts_in_two_currencies_answer_per_currency(ok: Any, run: Any, seeded: Path, h: Any) -> None:
    """Issue 13: no longer refused ("cannot be added up"); see tests/cli/test_currencies.py."""
    with Ledger(seeded) as ledger:
        ledger.award_support(
            kind="grant", funders=["c"], recipients=["a"], amount="10", currency="KRW", effective="2019"
        )
        ledger.award_support(
            kind="grant", funders=["c"], recipients=["b"], amount="10", currency="USD", effective="2019"
        )
    result = ok("network", "centrality", "--metric", "strength", "--weight", "amount", "--format", "json", db=seeded)
    rows = [(r["currency"], r["key"], r["score"]) for r in json.loads(result.stdout) if r["score"]]
    assert rows == [("KRW", "a", 10.0), ("KRW", "c", 10.0), ("USD", "b", 10.0), ("USD", "c", 10.0)]
    ok("network", "centrality", "--metric", "strength", "--weight", "ties", db=seeded)


def test_a_missing_ledger_is_refused(run: Any, h: Any, tmp_path: Path) -> None:
    h.assert_error(run("network", "summary", db=tmp_path / "none.db"), 2, "db")


def test_the_cli_does_not_import_networkx_or_igraph_at_start_up() -> None:
    code = "import sys, cli.main; print('networkx' in sys.modules, 'igraph' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path.cwd())
    assert out.stdout.split() == ["False", "False"]


def test_help_lists_every_metric() -> None:
    from cli.network import METRIC_HELP
    from projections.engines import METRICS

    assert METRIC_HELP.split("|") == [m for m in METRIC_HELP.split("|") if m in METRICS]
    assert sorted(METRIC_HELP.split("|")) == sorted(METRICS)


# -- docs/planner.md shows real output ------------------------------------------------------------

PLANNER = Path(__file__).resolve().parents[2] / "docs" / "planner.md"
PREFIX = "$ netledger --db pohang.db network "


def planner_examples() -> list[tuple[str, int, list[str]]]:
    """``(command after 'network', expected exit code, printed lines)`` of every network command in the guide."""
    examples: list[tuple[str, int, list[str]]] = []
    in_console = False
    for line in PLANNER.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_console = line.startswith("```console")
            continue
        if not in_console:
            continue
        if line.startswith(PREFIX):
            command, _, comment = line[len(PREFIX) :].partition("#")
            code = int(comment.split()[-1]) if comment.strip() else 0
            examples.append((command.strip(), code, []))
        elif line.startswith("$ "):
            examples.append(("", 0, []))  # another command (the demo): its output is not checked
        elif examples and examples[-1][0]:
            examples[-1][2].append(line)
    return [e for e in examples if e[0]]


def test_the_planner_guide_shows_every_network_command() -> None:
    from cli.network import network

    shown = {command.split()[0] for command, _, _ in planner_examples()}
    assert shown == set(network.commands)


@pytest.mark.parametrize("example", planner_examples(), ids=lambda e: e[0][:60])
def test_the_planner_guide_output_is_real(run: Any, demo_db: Path, example: tuple[str, int, list[str]]) -> None:
    import re
    import shlex

    command, code, expected = example
    result = run("network", *shlex.split(command), db=demo_db)
    assert result.exit_code == code, result.stderr
    printed = (result.stderr if code else result.stdout).splitlines()
    seconds = re.compile(r" in \d+\.\d+ s ")
    assert [seconds.sub(" in S s ", line) for line in printed] == [seconds.sub(" in S s ", line) for line in expected]
