"""The engine (igraph) gives NetworkX's scores, on small and medium graphs, for every metric and weight.

igraph is forced (``engine="igraph"``): ``auto`` may pick NetworkX on small graphs.

Normalised scores must agree to 1e-9; unnormalised ones (strength, harmonic,
and closeness with amount distances) to a relative 1e-9. Louvain is a
heuristic with a random order: its modularity must be within 1% of
NetworkX's Louvain (or better).
"""

from __future__ import annotations

import math
import random

import networkx as nx
import pytest

from projections import engines
from projections.centrality import centrality
from projections.engines import METRICS, WEIGHTS, prepare
from projections.structure import brokers, communities

#: Amounts (KRW) of the test supports: reduced by their gcd they are 2, 4, 5, 10 and 20, so path lengths are exact.
ROUND_AMOUNTS = [10_000_000, 20_000_000, 25_000_000, 50_000_000, 100_000_000]


def ledger_like(base: nx.Graph, seed: int, *, any_amount: bool = False) -> nx.MultiDiGraph:
    """*base* as the fold would hold it: 1-3 parallel ties per pair, some small islands.

    The first tie of most pairs is a support with an amount from ``ROUND_AMOUNTS``
    (*any_amount*: any whole amount up to 1e6).
    """
    rng = random.Random(seed)
    g = nx.MultiDiGraph()
    for node in base:
        g.add_node(str(node), sector=rng.choice(["firm", "university", "government"]))
    edges = [*base.edges(), ("x1", "x2"), ("x2", "x3"), ("y1", "y2")]
    g.add_node("alone", sector="firm")
    for u, v in edges:
        for n in range(rng.choice([1, 1, 2, 3])):
            amount = None
            if n == 0 and rng.random() < 0.8:
                amount = str(rng.randint(1, 10**6) if any_amount else rng.choice(ROUND_AMOUNTS))
            g.add_edge(
                str(u),
                str(v),
                tie_type="support",
                start_on="2019-01-01",
                end_on=None,
                amount=amount,
                currency="KRW" if amount else None,
            )
    return g


SMALL = ledger_like(nx.gnm_random_graph(40, 80, seed=1), seed=1)
MEDIUM = ledger_like(nx.powerlaw_cluster_graph(300, 3, 0.3, seed=2), seed=2)
#: NetworkX's effective size is pure Python without scipy: a smaller medium graph keeps the brokers test quick.
MEDIUM_BROKERS = ledger_like(nx.powerlaw_cluster_graph(120, 3, 0.3, seed=5), seed=5)


def assert_same(a: dict[str, float], b: dict[str, float], what: str) -> None:
    assert a.keys() == b.keys(), what
    worst = max(abs(a[k] - b[k]) / max(1.0, abs(b[k])) for k in a)
    assert worst <= 1e-9, f"{what}: differs by {worst:.3g}"


@pytest.mark.parametrize("graph", [SMALL, MEDIUM], ids=["small", "medium"])
@pytest.mark.parametrize("weight", WEIGHTS)
def test_every_metric_equals_networkx(graph: nx.MultiDiGraph, weight: str) -> None:
    for metric in METRICS:
        if metric in engines.UNWEIGHTED_METRICS and weight != "none":
            continue
        ours = centrality(graph, metric, weight=weight, engine="igraph")
        reference = centrality(graph, metric, weight=weight, engine="networkx")
        assert_same(ours, reference, f"{metric} / {weight}")


def test_without_exact_lengths_distance_metrics_still_equal_networkx() -> None:
    """Arbitrary amounts make L too large: lengths are float sums, and betweenness may then split
    routes that differ by rounding only (igraph treats lengths within 1e-10 as equal, NetworkX
    compares exactly). The metrics that add distances up are unaffected."""
    graph = ledger_like(nx.powerlaw_cluster_graph(150, 3, 0.3, seed=4), seed=4, any_amount=True)
    assert prepare(graph, weight="amount").simple.graph["length_scale"] is None
    for metric in ("closeness", "harmonic", "eigenvector", "pagerank", "strength"):
        ours = centrality(graph, metric, weight="amount", engine="igraph")
        assert_same(ours, centrality(graph, metric, weight="amount", engine="networkx"), metric)


@pytest.mark.parametrize("graph", [SMALL, MEDIUM_BROKERS], ids=["small", "medium"])
@pytest.mark.parametrize("weight", WEIGHTS)
def test_brokers_equal_networkx(graph: nx.MultiDiGraph, weight: str) -> None:
    ours = {r["key"]: r for r in brokers(graph, weight=weight, engine="igraph")}
    reference = {r["key"]: r for r in brokers(graph, weight=weight, engine="networkx")}
    for measure in ("constraint", "effective_size"):
        assert_same({k: r[measure] for k, r in ours.items()}, {k: r[measure] for k, r in reference.items()}, measure)


def test_engine_scores_equal_networkx_own_functions() -> None:
    """Against NetworkX called directly on the same simple graph (no code of ours on the reference side)."""
    simple = prepare(MEDIUM, weight="ties").simple
    assert_same(
        centrality(MEDIUM, "betweenness", weight="ties", engine="igraph"),
        nx.betweenness_centrality(simple, weight="length"),
        "b",
    )
    assert_same(
        centrality(MEDIUM, "closeness", weight="ties", engine="igraph"),
        nx.closeness_centrality(simple, distance="distance"),
        "c",
    )
    assert_same(
        centrality(MEDIUM, "harmonic", weight="ties", engine="igraph"),
        nx.harmonic_centrality(simple, distance="distance"),
        "h",
    )
    eigen = nx.eigenvector_centrality(simple, weight="weight", max_iter=100_000, tol=1e-13)
    assert_same(centrality(MEDIUM, "eigenvector", weight="ties", engine="igraph"), eigen, "e")


def test_metrics_split_across_processes_equal_networkx(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines, "PARALLEL_THRESHOLD", 10)
    monkeypatch.setenv("NETLEDGER_WORKERS", "3")
    graph = ledger_like(nx.powerlaw_cluster_graph(120, 2, 0.3, seed=3), seed=3)
    for weight in ("none", "ties"):
        for metric in ("betweenness", "closeness", "harmonic"):
            reference = centrality(graph, metric, weight=weight, engine="networkx")
            ours = centrality(graph, metric, weight=weight, engine="igraph")
            assert_same(ours, reference, f"{metric} / {weight}")


@pytest.mark.parametrize("workers", ["1", "3"])
def test_multi_source_searches_equal_networkx(monkeypatch: pytest.MonkeyPatch, workers: str) -> None:
    """Unweighted closeness and harmonic from ``MSBFS_FROM`` organisations (here 10) are bit-parallel
    searches (``projections.msbfs``), on one process or split: NetworkX's own functions are the reference,
    on a network of islands and an isolated organisation, with more organisations than one batch (256)."""
    monkeypatch.setattr(engines, "MSBFS_FROM", 10)
    monkeypatch.setattr(engines, "PARALLEL_THRESHOLD", 10)
    monkeypatch.setenv("NETLEDGER_WORKERS", workers)
    graph = ledger_like(nx.powerlaw_cluster_graph(600, 2, 0.3, seed=6), seed=6)
    simple = prepare(graph, weight="none").simple
    assert nx.number_connected_components(simple) == 4 and len(simple) > 2 * 256
    assert_same(centrality(graph, "closeness", engine="igraph"), nx.closeness_centrality(simple), "closeness")
    assert_same(centrality(graph, "harmonic", engine="igraph"), nx.harmonic_centrality(simple), "harmonic")
    # weighted, they stay on igraph's Dijkstra
    assert_same(
        centrality(graph, "closeness", weight="ties", engine="igraph"),
        nx.closeness_centrality(prepare(graph, weight="ties").simple, distance="distance"),
        "closeness / ties",
    )


def test_searches_count_what_networkx_measures() -> None:
    """Per source: organisations reached, the sum of distances and of 1/distance, against NetworkX's BFS."""
    from projections.msbfs import searches

    rng = random.Random(7)
    for n in (1, 2, 9, 70, 300):
        g = nx.gnm_random_graph(n, rng.randint(0, 2 * n), seed=rng.randint(0, 10**6))
        sources = sorted(rng.sample(range(n), k=min(n, 40)))
        reach, total, harmonic = searches(n, list(g.edges()), sources)
        for i, s in enumerate(sources):
            lengths = nx.single_source_shortest_path_length(g, s)
            assert reach[i] == len(lengths) and total[i] == sum(lengths.values())
            assert math.isclose(harmonic[i], sum(1 / d for d in lengths.values() if d), rel_tol=1e-12)


@pytest.mark.parametrize("weight", WEIGHTS)
def test_louvain_modularity_within_one_percent_of_networkx(weight: str) -> None:
    ours = communities(MEDIUM, weight=weight, seed=1, engine="igraph")
    theirs = communities(MEDIUM, weight=weight, seed=1, engine="networkx")
    assert ours["modularity"] >= 0.99 * theirs["modularity"], (ours["modularity"], theirs["modularity"])
    simple = prepare(MEDIUM, weight=weight).simple
    parts = [set(c["members"]) for c in ours["communities"]] + [{n} for n in simple if not simple.degree(n)]
    assert math.isclose(ours["modularity"], nx.community.modularity(simple, parts, weight="weight"), abs_tol=1e-12)
