"""Graph files for Gephi: what the writers flatten, and what reading the files back gives.

Round trips on a small hand-made graph (every kind of value the projection holds) and on
the Pohang demo ledger through ``load_network``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from domain.demo import build_demo
from domain.ledger import Ledger
from projections.exports import amount_number, flatten_attributes, org_id, write_gexf, write_graphml
from projections.store import load_network


def small_graph() -> nx.MultiDiGraph:
    """Two organisations with two parallel ties and a third one, as ``load_network`` shapes them."""
    g: nx.MultiDiGraph = nx.MultiDiGraph(ledger="small", position=7)
    g.add_node(
        "msit",
        key="msit",
        name="Ministry of Science and ICT",
        name_ko="과학기술정보통신부",
        name_en="Ministry of Science and ICT",
        sector="government",
        subtype=None,
        identifiers=["KR-BRN:1358300001"],
        country="KR",
        dissolved=None,
        registered=True,
    )
    g.add_node(
        "postech",
        key="postech",
        name="포항공과대학교",
        name_ko="포항공과대학교",
        name_en=None,
        sector="university",
        identifiers=[],
        country="KR",
        dissolved="2030-01",
        registered=True,
    )
    g.add_node("ghost", key="ghost", registered=False)
    grant = {
        "aggregate_id": "s1",
        "tie_type": "support",
        "kind": "grant",
        "title": "연구 지원",
        "start": "2019-09-23",
        "end": "2021-07",
        "start_on": "2019-09-23",
        "end_on": "2021-07-01",
        "amount": "7200000000",
        "currency": "KRW",
        "programme": None,
        "roles": ["funder", "recipient"],
    }
    g.add_edge("msit", "postech", key="s1:0", **grant)
    g.add_edge(
        "msit",
        "postech",
        key="a1:0",
        aggregate_id="a1",
        tie_type="agreement",
        kind="mou",
        title="MOU",
        start="2019",
        end=None,
        start_on="2019-01-01",
        end_on=None,
        term_end="2024",
        roles=["party", None],
    )
    g.add_edge("postech", "ghost", key="p1:0", aggregate_id="p1", tie_type="partnership", start="2019-07", roles=[])
    return g


@pytest.fixture(scope="module")
def demo_graph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[nx.MultiDiGraph]:
    path = tmp_path_factory.mktemp("demo") / "p.db"
    ledger = Ledger(path, actor="tester", create=True)
    build_demo(ledger)
    yield load_network(ledger)
    ledger.close()


def graphml_round_trip(graph: nx.MultiDiGraph, tmp_path: Path) -> nx.MultiDiGraph:
    path = tmp_path / "g.graphml"
    write_graphml(graph, path)
    back = nx.read_graphml(path, force_multigraph=True)
    assert isinstance(back, nx.MultiDiGraph)
    return back


def gexf_round_trip(graph: nx.MultiDiGraph, tmp_path: Path) -> nx.MultiDiGraph:
    path = tmp_path / "g.gexf"
    write_gexf(graph, path)
    back = nx.read_gexf(path)
    # read_gexf gives a DiGraph when no two edges are parallel; the key is then the edge's "id"
    if not back.is_multigraph():
        multi: nx.MultiDiGraph = nx.MultiDiGraph(back.graph)
        multi.add_nodes_from(back.nodes(data=True))
        for u, v, attrs in back.edges(data=True):
            multi.add_edge(u, v, key=attrs["id"], **attrs)
        back = multi
    return back


# -- flattening -------------------------------------------------------------------------------
def test_flatten_drops_none_and_turns_lists_into_json_text() -> None:
    flat = flatten_attributes(small_graph())
    msit = flat.nodes["msit"]
    assert "subtype" not in msit and "dissolved" not in msit
    assert msit["identifiers"] == '["KR-BRN:1358300001"]'
    assert msit["registered"] is True
    assert msit["label"] == "Ministry of Science and ICT"
    assert flat.nodes["ghost"]["label"] == "ghost"  # no name: the key
    edge = flat.edges["msit", "postech", "s1:0"]
    assert edge["roles"] == '["funder", "recipient"]'
    assert "programme" not in edge
    assert flat.edges["msit", "postech", "a1:0"]["roles"] == '["party", null]'
    assert flat.graph == {"ledger": "small", "position": 7, "name": "small"}


def test_flatten_keeps_scalars_and_stringifies_other_values() -> None:
    g: nx.MultiDiGraph = nx.MultiDiGraph()
    g.add_node("a", n=3, x=0.5, ok=False, amount=Decimal("1.50"), nested={"k": [1, "가"]})
    assert flatten_attributes(g).nodes["a"] == {
        "n": 3,
        "x": 0.5,
        "ok": False,
        "amount": "1.50",
        "nested": '{"k": [1, "가"]}',
        "label": "a",
    }


def test_flatten_gives_each_attribute_one_type() -> None:
    g: nx.MultiDiGraph = nx.MultiDiGraph()
    g.add_node("a", dissolved=False, score=1)
    g.add_node("b", dissolved="2023-08", score=2.5)
    flat = flatten_attributes(g)
    assert [flat.nodes[n]["dissolved"] for n in "ab"] == ["false", "2023-08"]
    assert [flat.nodes[n]["score"] for n in "ab"] == [1.0, 2.5]


def test_flatten_leaves_the_input_alone_and_keeps_a_given_name_and_label() -> None:
    g = small_graph()
    g.graph["name"] = "Pohang network"
    g.nodes["msit"]["label"] = "MSIT"
    before = json.dumps(nx.node_link_data(g, edges="edges"), sort_keys=True, default=str)
    flat = flatten_attributes(g)
    assert flat.graph["name"] == "Pohang network" and flat.nodes["msit"]["label"] == "MSIT"
    assert json.dumps(nx.node_link_data(g, edges="edges"), sort_keys=True, default=str) == before


def test_flatten_accepts_a_simple_graph() -> None:
    g: nx.Graph = nx.Graph()
    g.add_edge("a", "b", roles=["x"])
    flat = flatten_attributes(g)
    assert flat.edges["a", "b", 0]["roles"] == '["x"]'


# -- GraphML ------------------------------------------------------------------------------------
def test_graphml_round_trip_of_a_small_graph(tmp_path: Path) -> None:
    g = small_graph()
    back = graphml_round_trip(g, tmp_path)
    assert back.number_of_nodes() == 3 and back.number_of_edges() == 3
    assert sorted(back.edges(keys=True)) == sorted(g.edges(keys=True))  # edge keys kept as edge ids
    assert back.graph["name"] == "small"
    msit = back.nodes["msit"]
    assert msit["name_ko"] == "과학기술정보통신부"
    assert msit["sector"] == "government"
    assert json.loads(msit["identifiers"]) == ["KR-BRN:1358300001"]
    assert msit["registered"] is True
    assert back.nodes["postech"]["dissolved"] == "2030-01"
    grant = back.edges["msit", "postech", "s1:0"]
    assert grant["amount"] == "7200000000" and grant["currency"] == "KRW"
    assert (grant["start"], grant["end"]) == ("2019-09-23", "2021-07")
    assert grant["title"] == "연구 지원"
    assert json.loads(grant["roles"]) == ["funder", "recipient"]
    mou = back.edges["msit", "postech", "a1:0"]
    assert mou["start"] == "2019" and "end" not in mou and mou["term_end"] == "2024"


def test_graphml_writes_to_a_binary_file_in_utf8() -> None:
    buffer = io.BytesIO()
    write_graphml(small_graph(), buffer)
    text = buffer.getvalue().decode("utf-8")
    assert "과학기술정보통신부" in text and 'id="s1:0"' in text


# -- GEXF ----------------------------------------------------------------------------------------
def test_gexf_round_trip_of_a_small_graph(tmp_path: Path) -> None:
    g = small_graph()
    back = gexf_round_trip(g, tmp_path)
    assert back.number_of_nodes() == 3 and back.number_of_edges() == 3
    assert sorted(back.edges(keys=True)) == sorted(g.edges(keys=True))
    assert back.graph.get("mode") == "dynamic"
    msit = back.nodes["msit"]
    assert msit["name_ko"] == "과학기술정보통신부" and msit["sector"] == "government"
    assert msit["label"] == "Ministry of Science and ICT"
    assert "key" not in msit and "networkx_key" not in msit  # the node id is the key
    grant = back.edges["msit", "postech", "s1:0"]
    assert grant["amount"] == "7200000000"
    # GEXF's interval: full ISO days for Gephi's timeline; the dates as written beside them
    assert (grant["start"], grant["end"]) == ("2019-09-23", "2021-07-01")
    assert (grant["start_text"], grant["end_text"]) == ("2019-09-23", "2021-07")
    partnership = back.edges["postech", "ghost", "p1:0"]
    assert partnership["start_text"] == "2019-07" and "start" not in partnership


def test_gexf_file_names_the_graph(tmp_path: Path) -> None:
    path = tmp_path / "g.gexf"
    write_gexf(small_graph(), path)
    text = path.read_text(encoding="utf-8")
    assert 'name="small"' in text and "포항공과대학교" in text


# -- the Pohang demo -------------------------------------------------------------------------------
def _grant_edge(graph: nx.MultiDiGraph) -> tuple[str, str, Any]:
    (edge,) = [(u, v, k) for u, v, k, kind in graph.edges(keys=True, data="kind") if kind == "grant"]
    return edge


def test_graphml_round_trip_of_the_demo(demo_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    back = graphml_round_trip(demo_graph, tmp_path)
    assert back.number_of_nodes() == demo_graph.number_of_nodes() == 19
    assert back.number_of_edges() == demo_graph.number_of_edges()
    assert sorted(back.edges(keys=True)) == sorted(demo_graph.edges(keys=True))
    assert back.graph["name"] == demo_graph.graph["ledger"] == "p"
    for node, attrs in demo_graph.nodes(data=True):
        assert back.nodes[node]["sector"] == attrs["sector"]
        assert back.nodes[node].get("name_ko") == attrs["name_ko"]
    assert back.nodes["pohang-city"]["name_ko"] == "포항시"
    u, v, k = _grant_edge(demo_graph)
    assert back.edges[u, v, k]["amount"] == "7200000000"
    assert back.edges[u, v, k]["start"] == "2019-09-23"
    for u, v, k, attrs in demo_graph.edges(keys=True, data=True):
        read = back.edges[u, v, k]
        for name, value in attrs.items():
            if value is None:
                assert name not in read
            elif isinstance(value, list):
                assert json.loads(read[name]) == value
            else:
                assert read[name] == value, (u, v, k, name)
    ended = [attrs for _, _, attrs in back.edges(data=True) if attrs.get("end") == "2023-08"]
    assert len(ended) == 1 and ended[0]["end_on"] == "2023-08-01"  # the battery zone designation


def test_gexf_round_trip_of_the_demo(demo_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    back = gexf_round_trip(demo_graph, tmp_path)
    assert back.number_of_nodes() == demo_graph.number_of_nodes()
    assert back.number_of_edges() == demo_graph.number_of_edges()
    assert sorted(back.edges(keys=True)) == sorted(demo_graph.edges(keys=True))
    assert back.graph["name"] == "p"
    for node, attrs in demo_graph.nodes(data=True):
        assert back.nodes[node]["sector"] == attrs["sector"]
        assert back.nodes[node].get("name_ko") == attrs["name_ko"]
        assert back.nodes[node]["label"] == attrs["name"]
    u, v, k = _grant_edge(demo_graph)
    grant = back.edges[u, v, k]
    assert grant["amount"] == "7200000000" and grant["currency"] == "KRW"
    assert grant["start"] == "2019-09-23" and grant["start_text"] == "2019-09-23"
    ended = [attrs for _, _, attrs in back.edges(data=True) if attrs.get("end_text") == "2023-08"]
    assert len(ended) == 1 and ended[0]["end"] == "2023-08-01"


# -- helpers of the 360Giving export -----------------------------------------------------------
@pytest.mark.parametrize(
    ("identifiers", "expected"),
    [
        (["KR-BRN:4028224197"], "KR-BRN-4028224197"),
        (["KR-BRN:402-82-24197"], "KR-BRN-4028224197"),
        (["WIKIDATA:Q482", "GB-COH:01234567"], "GB-COH-01234567"),
        (["XI-GRID:grid.49100.3c"], "XI-GRID-grid.49100.3c"),
        (["WIKIDATA:Q482"], "360G-x-org-k"),
        (["KR-BRN:---"], "360G-x-org-k"),
        ([], "360G-x-org-k"),
    ],
)
def test_org_id(identifiers: list[str], expected: str) -> None:
    assert org_id(identifiers, "k", publisher_prefix="360G-x") == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0", 0),
        ("83000000000", 83000000000),
        ("999999999999999999", 999999999999999999),
        ("25000.5", 25000.5),
        ("0.000001", 0.000001),
        ("123456789012345.123456", None),
    ],
)
def test_amount_number_is_exact_or_none(amount: str, expected: int | float | None) -> None:
    number = amount_number(Decimal(amount))
    assert number == expected and type(number) is type(expected)
    if number is not None:
        assert Decimal(json.dumps(number)) == Decimal(amount)
