"""What-if, resilience, link prediction and the network's shape, held to NetworkX on three networks.

The Florentine families, Zachary's karate club and a 500-organisation generated
network (powerlaw-cluster) are entered as ledger networks (one partnership per
link); each answer equals NetworkX's own function on NetworkX's own graph, to 1e-9.
"""

from __future__ import annotations

import math
from typing import Any

import networkx as nx
import pytest

from projections.centrality import centrality
from projections.suggest import METHODS, backtest, suggest
from projections.summary import summary
from projections.whatif import resilience, whatif

DAY = "2020-06-30"


def generated() -> nx.Graph:
    g = nx.powerlaw_cluster_graph(500, 3, 0.2, seed=7)
    return nx.relabel_nodes(g, {n: f"org{n:03d}" for n in g})


NETWORKS: dict[str, nx.Graph] = {
    "florentine": nx.relabel_nodes(nx.florentine_families_graph(), str.lower),
    "karate": nx.relabel_nodes(nx.karate_club_graph(), lambda n: f"member{n:02d}"),
    "generated": generated(),
}


def ledger_network(g: nx.Graph, started: dict[tuple[str, str], str] | None = None) -> nx.MultiDiGraph:
    """*g* as the fold holds a ledger: one partnership per link (from 2020 unless *started* says otherwise)."""
    m = nx.MultiDiGraph(position=g.number_of_edges())
    m.add_nodes_from((n, {"key": n, "sector": "firm", "registered": True}) for n in g)
    for i, (u, v) in enumerate(sorted(g.edges())):
        start = (started or {}).get((u, v), "2020-01-01")
        m.add_edge(u, v, key=f"rel{i}:0", aggregate_id=f"rel{i}", tie_type="partnership", kind="partnership",
                   start_on=start, end_on=None)  # fmt: skip
    return m


def close(a: Any, b: Any, tol: float = 1e-9) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], tol) for k in a)
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


@pytest.fixture(params=list(NETWORKS), scope="module")
def pair(request: pytest.FixtureRequest) -> tuple[nx.Graph, nx.MultiDiGraph]:
    g = NETWORKS[request.param]
    return g, ledger_network(g)


# -- the network's shape -----------------------------------------------------------------------------


def test_clustering_equals_networkx(pair: tuple[nx.Graph, nx.MultiDiGraph]) -> None:
    g, m = pair
    assert close(centrality(m, "clustering", as_of=DAY), nx.clustering(g))


def test_summary_shape_equals_networkx(pair: tuple[nx.Graph, nx.MultiDiGraph]) -> None:
    g, m = pair
    s = summary(m, as_of=DAY)
    core = g.subgraph(max(nx.connected_components(g), key=len))
    assert close(s["average_clustering"], nx.average_clustering(g))
    assert close(s["transitivity"], nx.transitivity(g))
    assert s["diameter"] == nx.diameter(core)
    assert close(s["average_path_length"], nx.average_shortest_path_length(core))
    assert s["components"] == nx.number_connected_components(g)


# -- link prediction ------------------------------------------------------------------------------------

PREDICTORS = {
    "jaccard": nx.jaccard_coefficient,
    "adamic-adar": nx.adamic_adar_index,
    "resource-allocation": nx.resource_allocation_index,
    "preferential": nx.preferential_attachment,
    "common": lambda g, pairs: ((u, v, len(list(nx.common_neighbors(g, u, v)))) for u, v in pairs),
}


@pytest.mark.parametrize("method", METHODS)
def test_every_suggestion_method_equals_networkx(pair: tuple[nx.Graph, nx.MultiDiGraph], method: str) -> None:
    g, m = pair
    # a list: NetworkX's dispatcher consumes a generator given as ebunch, and the functions then find nothing
    pairs = list(nx.non_edges(g))
    expected = {tuple(sorted((u, v))): float(p) for u, v, p in PREDICTORS[method](g, pairs) if p > 0}
    found = suggest(m, method=method, as_of=DAY, top=None)
    assert close({(s["a"], s["b"]): s["score"] for s in found}, expected)
    # by score (equal to 1e-12: sums of the same terms in another order differ in the last bit), then keys
    assert [(s["a"], s["b"]) for s in found] == sorted(expected, key=lambda p: (-round(expected[p], 12), p))
    for s in found[:20]:
        assert s["shared"] == sorted(nx.common_neighbors(g, s["a"], s["b"]))


def test_suggestions_for_one_organisation_and_one_sector() -> None:
    g = NETWORKS["florentine"]
    m = ledger_network(g)
    m.nodes["strozzi"]["sector"] = "funder"
    found = suggest(m, org="medici", method="jaccard", as_of=DAY, top=None)
    untied = [("medici", x) for x in g if x != "medici" and not g.has_edge("medici", x)]
    expected = {v: p for _, v, p in nx.jaccard_coefficient(g, untied) if p > 0}
    assert {s["b"]: s["score"] for s in found} == pytest.approx(expected) and all(s["a"] == "medici" for s in found)
    assert [s["b"] for s in suggest(m, org="medici", sector="funder", as_of=DAY)] == ["strozzi"]


def test_a_backtest_counts_the_suggested_pairs_tied_later() -> None:
    g = nx.Graph([("a", "hub"), ("b", "hub"), ("c", "hub"), ("d", "c"), ("a", "b")])
    m = ledger_network(g, {("a", "b"): "2022-05-01"})  # a and b, who share the hub, are tied later
    found = backtest(m, trained="2021", checked="2023", method="common", k=2)
    assert (found["new_pairs"], found["hits"], found["precision_at_k"], found["recall_at_k"]) == (
        1,
        [["a", "b"]],
        0.5,
        1.0,
    )


# -- what-if and resilience ------------------------------------------------------------------------------


def test_whatif_removing_the_most_central_organisation_equals_networkx(pair: tuple[nx.Graph, nx.MultiDiGraph]) -> None:
    g, m = pair
    old = nx.betweenness_centrality(g)
    hub = max(sorted(g), key=lambda n: old[n])
    found = whatif(m, remove=[hub], as_of=DAY, top=None)
    h = g.copy()
    h.remove_node(hub)
    core_before = max(nx.connected_components(g), key=len)
    core_after = max(nx.connected_components(h), key=len)
    assert found["after"]["components"] == nx.number_connected_components(h)
    assert found["after"]["largest_component"] == len(core_after)
    assert close(found["after"]["average_path_length"], nx.average_shortest_path_length(h.subgraph(core_after)))
    assert found["cut_off"] == sorted(n for n in core_before if n != hub and n not in core_after)
    new = nx.betweenness_centrality(h)
    moved = {k: new[k] - old[k] for k in new if abs(new[k] - old[k]) > 1e-12}
    assert close({r["key"]: r["change"] for r in found["movers"]}, moved)


def test_whatif_removes_ties_and_adds_links() -> None:
    g = nx.Graph([("a", "b"), ("b", "c"), ("c", "d")])
    m = ledger_network(g)
    split = whatif(m, remove=["rel1:0"], as_of=DAY)  # the b-c partnership
    # two halves of two: the largest is the one with the first key, so c and d lost their way to it
    assert (split["removed"]["ties"], split["after"]["components"], split["cut_off"]) == (["rel1:0"], 2, ["c", "d"])
    joined = whatif(m, add=["a:d"], as_of=DAY)
    assert (joined["added"], joined["after"]["diameter"], joined["before"]["diameter"]) == ([["a", "d"]], 2, 3)


def test_resilience_equals_networkx(pair: tuple[nx.Graph, nx.MultiDiGraph]) -> None:
    g, m = pair
    found = resilience(m, as_of=DAY, attack="degree")
    assert found["articulation_points"] == sorted(nx.articulation_points(g))
    assert [(b["a"], b["b"]) for b in found["bridges"]] == sorted(tuple(sorted(e)) for e in nx.bridges(g))
    order = sorted(g, key=lambda n: (-g.degree(n), n))
    h = g.copy()
    expected = [max((len(c) for c in nx.connected_components(h)), default=0)]
    for n in order:
        h.remove_node(n)
        expected.append(max((len(c) for c in nx.connected_components(h)), default=0))
    assert [r["largest_component"] for r in found["curve"]] == expected
    assert [r["removed"] for r in found["curve"][1:]] == order
