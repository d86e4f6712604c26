"""The notebook API (``netledger.open``): the projections' and NetworkX's answers, and DataFrames that hold them."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd
import pytest
from click.testing import CliRunner

import netledger
from cli.main import cli
from domain.errors import InputError, RuleViolation
from projections.funding import FIGURES
from projections.results import Report, Scores, Table
from projections.structure import brokers


@pytest.fixture(scope="module")
def led(pohang_db: Path) -> Any:
    with netledger.open(pohang_db) as opened:
        yield opened


def cli_json(db: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["--db", str(db), *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_one_module_object_under_both_names() -> None:
    code = (
        "import netledger.domain.ledger as a, domain.ledger as b, netledger.cli.main as c, cli.main as d\n"
        "import netledger.projections.store as e, projections.store as f\n"
        "print(a is b, c is d, e is f, a.__spec__.name, a.Ledger is b.Ledger)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "True", "True", "domain.ledger", "True"]


def test_importing_netledger_loads_neither_pandas_nor_matplotlib() -> None:
    code = "import sys, netledger\nprint(sorted(m for m in ('pandas', 'matplotlib', 'igraph') if m in sys.modules))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_centrality_is_the_commands_and_networkxs(led: Any, pohang_db: Path) -> None:
    scores = led.centrality("betweenness", as_of="2019-12-31")
    assert isinstance(scores, Scores)
    shown = cli_json(pohang_db, "network", "centrality", "--metric", "betweenness", "--as-of", "2019-12-31", "--all")
    assert {r["key"]: r["score"] for r in shown} == pytest.approx(dict(scores), abs=1e-12)
    reference = nx.betweenness_centrality(led.simple("2019-12-31"))
    assert dict(scores) == pytest.approx(reference, abs=1e-12)
    frame = scores.to_pandas()
    assert list(frame.columns) == ["betweenness"] and frame.index.name == "key"
    assert frame["betweenness"].to_dict() == dict(scores)
    assert list(frame.index) == list(scores)  # the projection's order: highest first


def test_a_year_means_its_last_day_and_the_cut_is_the_ledgers(led: Any) -> None:
    assert led.network("2019").graph == led.network("2019-12-31").graph
    assert set(led.network("2019")) == set(led.network("2019-12-31"))
    first_ten = led.network("2030", position=10)
    everything = led.network("2030")
    assert set(first_ten) < set(everything)
    assert first_ten.graph["position"] == 10


def test_network_is_the_day_the_analysis_graph_is_its_pairs(led: Any) -> None:
    day = led.network("2019-08-01")
    simple = led.simple("2019-08-01")
    pairs = {frozenset((u, v)) for u, v, _ in day.edges(keys=True) if u != v}
    assert {frozenset(e) for e in simple.edges()} == pairs
    assert "nssz-promotion-group" in led.network("2019-12-31")
    assert "nssz-promotion-group" not in led.network("2019-08-01")


def test_tables_and_reports_become_frames(led: Any, pohang: nx.MultiDiGraph) -> None:
    rows = led.brokers(as_of="2019-12-31", top=5)
    assert isinstance(rows, Table) and list(rows) == brokers(pohang, as_of="2019-12-31", top=5)
    frame = rows.to_pandas()
    assert frame.shape == (5, len(rows.columns)) and list(frame["key"]) == [r["key"] for r in rows]

    summary = led.summary(as_of="2019-12-31")
    series = summary.to_pandas()
    assert series["organisations"] == summary["organisations"]
    assert series["ties_by_type.partnership"] == summary["ties_by_type"]["partnership"]

    mix = led.mix(as_of="2019-12-31")
    matrix = mix.to_pandas("matrix")
    for a, row in mix["matrix"].items():
        for b, value in row.items():
            assert matrix.loc[a, b] == value

    what = led.whatif(remove=["nssz-promotion-group"], as_of="2019-12-31")
    assert isinstance(what, Report) and "movers" in what.parts
    assert what.to_pandas("movers")["key"].tolist() == [m["key"] for m in what["movers"]]
    assert what.to_pandas("cut_off")["cut_off"].tolist() == what["cut_off"]
    with pytest.raises(KeyError, match="its tables: "):
        what.to_pandas("nothing")


def test_funding_is_the_reports_rows(led: Any, pohang_db: Path) -> None:
    rows = led.funding(by=("funder", "year"), as_of="2021")
    shown = cli_json(pohang_db, "report", "funding", "--by", "funder,year", "--as-of", "2021")
    exact = [{k: Decimal(v) if k in FIGURES[1:] else v for k, v in r.items()} for r in shown]
    assert list(rows) == exact and rows
    frame = rows.to_pandas()
    assert frame["awarded"].tolist() == [row["awarded"] for row in rows]


def test_organisations_may_be_named_by_name(led: Any) -> None:
    by_key = led.ego("postech", as_of="2019-12-31")
    by_name = led.ego("POSTECH", as_of="2019-12-31")
    assert list(by_key) == list(by_name) and by_key
    with pytest.raises(RuleViolation, match="did you mean postech"):
        led.ego("postec", as_of="2019-12-31")
    assert led.search("postec")[0]["key"] == "postech"


def test_every_question_answers_with_to_pandas(led: Any) -> None:
    answers = [
        led.centrality("degree", as_of="2019"),
        led.summary(as_of="2019"),
        led.brokers(as_of="2019"),
        led.communities(as_of="2019"),
        led.path("postech", "pohang-city", as_of="2019"),
        led.ego("rist", as_of="2019"),
        led.mix(as_of="2019"),
        led.trend("ties", start=2017, end=2020),
        led.diff("2018", "2020"),
        led.whatif(remove=["nssz-promotion-group"], as_of="2019"),
        led.resilience(as_of="2019"),
        led.suggest(as_of="2019"),
        led.organisations(),
        led.search("tech"),
        led.show("postech", as_of="2019"),
        led.funding(by=("funder", "year")),
    ]
    for answer in answers:
        frames = [answer.to_pandas(part) for part in answer.parts] if isinstance(answer, Report) else []
        frames.append(answer.to_pandas())
        assert all(isinstance(f, pd.DataFrame | pd.Series) for f in frames)
        assert sum(len(f) for f in frames) > 0, type(answer)


def test_bad_time_arguments_name_the_field(led: Any) -> None:
    with pytest.raises(InputError, match=r"^as_of: "):
        led.centrality("degree", as_of="2019-13")
    with pytest.raises(InputError, match=r"^known_at: invalid timestamp"):
        led.network("2019", known_at="yesterday")
    with pytest.raises(InputError, match="not both"):
        led.network("2019", known_at="2026-01-01", position=3)


def test_to_pandas_without_pandas_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now fails
    with pytest.raises(ImportError, match=r"pip install 'netledger\[pandas\]'"):
        Table([{"a": 1}]).to_pandas()
