"""The network's files mean what the analysis means: three independent readers get netledger's own scores.

The Pohang demo as of 2019-12-31 is exported as GraphML and GEXF (the default shape: one
undirected edge per tied pair) and read back by NetworkX, igraph (GraphML; it has no GEXF
reader) and graphology (the JavaScript library Gephi Lite uses, run with Node.js from
``tests/js``, installed by ``make test``). Each reader's betweenness and degree equal
netledger's own to 1e-9.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import igraph
import networkx as nx
import pytest

from projections.centrality import centrality
from projections.graphfiles import export_graph, write_gexf, write_graphml
from projections.timeaxes import as_of

DAY = "2019-12-31"
JS = Path(__file__).resolve().parent.parent / "js"


def close(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(abs(a[k] - b[k]) <= 1e-9 for k in a)


@pytest.fixture(scope="module")
def files(pohang: nx.MultiDiGraph, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("files")
    flat = export_graph(pohang, as_of=DAY)
    paths = {"graphml": folder / "pohang.graphml", "gexf": folder / "pohang.gexf"}
    with paths["graphml"].open("wb") as f:
        write_graphml(flat, f)
    with paths["gexf"].open("wb") as f:
        write_gexf(flat, f)
    return paths


@pytest.fixture(scope="module")
def ours(pohang: nx.MultiDiGraph) -> dict[str, dict[str, float]]:
    return {
        "betweenness": centrality(pohang, "betweenness", as_of=DAY),
        "degree": {k: float(v) for k, v in centrality(pohang, "strength", as_of=DAY).items()},
    }


def graphology(path: Path, fmt: str) -> dict[str, Any]:
    node = shutil.which("node")
    assert node, "Node.js is missing: make test installs it (scripts/install-system-packages)"
    assert (JS / "node_modules" / "graphology").exists(), "graphology is missing: run 'npm ci --prefix tests/js'"
    out = subprocess.run(
        [node, str(JS / "read_scores.mjs"), str(path), fmt], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_networkx_reads_netledgers_scores(files: dict[str, Path], ours: dict[str, Any], fmt: str) -> None:
    read = nx.read_graphml(files[fmt]) if fmt == "graphml" else nx.read_gexf(files[fmt])
    assert not read.is_directed() and not read.is_multigraph()
    assert close(nx.betweenness_centrality(read), ours["betweenness"])
    assert close({k: float(d) for k, d in read.degree()}, ours["degree"])


def test_igraph_reads_netledgers_scores(files: dict[str, Path], ours: dict[str, Any]) -> None:
    g = igraph.Graph.Read_GraphML(str(files["graphml"]))
    assert not g.is_directed()
    n = g.vcount()
    scores = {v["id"]: b * 2 / ((n - 1) * (n - 2)) for v, b in zip(g.vs, g.betweenness(directed=False), strict=True)}
    assert close(scores, ours["betweenness"])
    assert close({v["id"]: float(d) for v, d in zip(g.vs, g.degree(), strict=True)}, ours["degree"])


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_graphology_reads_netledgers_scores(files: dict[str, Path], ours: dict[str, Any], fmt: str) -> None:
    read = graphology(files[fmt], fmt)
    assert read["type"] == "undirected"
    assert close(read["betweenness"], ours["betweenness"])
    assert close({k: float(v) for k, v in read["degree"].items()}, ours["degree"])
    grant = next(e for e in read["edges"] if {e["source"], e["target"]} == {"msit", "gangso-rdz"})
    assert grant["attributes"]["amount_KRW"] == 7200000000  # a number, not a string
    assert read["nodes"]["nssz-promotion-group"]["registered"] is True  # a boolean


def test_values_are_typed_and_nothing_internal_leaks(files: dict[str, Path]) -> None:
    graphml = files["graphml"].read_text(encoding="utf-8")
    assert 'attr.name="amount_KRW" attr.type="long"' in graphml
    assert 'attr.name="registered" attr.type="boolean"' in graphml and ">true<" in graphml and ">True<" not in graphml
    gexf = files["gexf"].read_text(encoding="utf-8")
    assert 'xmlns="http://gexf.net/1.3" version="1.3"' in gexf
    for text in (graphml, gexf):
        assert "networkx_key" not in text and "since_on" not in text and "versions" not in text
    read = nx.read_graphml(files["graphml"])
    assert read.nodes["nssz-promotion-group"]["start"] == "2019-08-22" and read.nodes["postech"]["registered"] is True
    assert (
        read.edges["msit", "gangso-rdz"]["ties"] == 2 and read.edges["msit", "gangso-rdz"]["amount_KRW"] == 7200000000
    )


def test_one_edge_per_tie_with_gexf_inclusive_ends(pohang: nx.MultiDiGraph) -> None:
    out = io.BytesIO()
    write_gexf(export_graph(pohang, as_of="2023-07-31", shape="ties"), out)
    root = ET.fromstring(out.getvalue())
    ns = {"g": "http://gexf.net/1.3"}
    graph = root.find("g:graph", ns)
    assert graph is not None and (graph.get("mode"), graph.get("timeformat")) == ("dynamic", "date")
    edges = root.findall(".//g:edge", ns)
    assert len(edges) == as_of(pohang, "2023-07-31").number_of_edges()  # every tie that counts on the day
    battery = next(e for e in edges if (e.get("source"), e.get("target")) == ("mss", "battery-rfz"))
    # the designation ended in 2023-08: it counts until 2023-07-31, GEXF's inclusive end
    assert (battery.get("start"), battery.get("end")) == ("2019-07-01", "2023-07-31")
    read = nx.read_gexf(io.BytesIO(out.getvalue()))
    assert read.is_multigraph() and read.is_directed()


def test_the_directed_shape_holds_the_support_flows(pohang: nx.MultiDiGraph) -> None:
    flows = export_graph(pohang, as_of=DAY, shape="directed")
    assert flows.is_directed()
    supports = [(u, v) for u, v, d in as_of(pohang, DAY).edges(data=True) if d["tie_type"] == "support"]
    assert sorted(flows.edges()) == sorted(set(supports))  # one edge per funder and recipient
    assert flows.edges["msit", "gangso-rdz"]["ties"] == 2  # the zone's designation and its budget
    assert flows.edges["msit", "gangso-rdz"]["amount_KRW"] == 7200000000


def test_the_export_command_writes_the_analysis_graph(pohang_db: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cli.main import cli

    out = tmp_path / "n.graphml"
    result = CliRunner().invoke(cli, ["--db", str(pohang_db), "export", "--format", "graphml", "--as-of", DAY,
                                      "--weight", "ties", "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    read = nx.read_graphml(out)
    assert read.number_of_edges() == 20 and read.edges["msit", "gangso-rdz"]["weight"] == 2.0
    both = CliRunner().invoke(cli, ["--db", str(pohang_db), "export", "--format", "gexf", "--ties", "--directed"])
    assert both.exit_code == 2 and "--ties" in both.output
