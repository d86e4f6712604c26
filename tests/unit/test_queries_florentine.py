"""Cross-check: the Florentine families entered through the Ledger score as NetworkX scores them.

One organisation per family, one partnership per marriage tie of
``nx.florentine_families_graph()``; every centrality metric read back through
``load_network`` and ``centrality`` equals NetworkX's own function on
NetworkX's own graph, to 1e-9.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from domain.ledger import Ledger
from projections.centrality import centrality
from projections.engines import METRICS
from projections.store import load_network
from projections.structure import brokers

FLORENCE = nx.florentine_families_graph()


def key(family: str) -> str:
    return family.lower()


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[nx.MultiDiGraph]:
    path = tmp_path_factory.mktemp("florence") / "florence.db"
    with Ledger(path, actor="tester", create=True) as ledger:
        for family in FLORENCE:
            ledger.register_organisation(key(family), sector="firm", name_en=family)
        for a, b in FLORENCE.edges():
            ledger.form_partnership([key(a), key(b)], title="marriage", effective="1430")
        yield load_network(ledger)


def _pagerank(g: nx.Graph) -> dict[Any, float]:
    from projections.engines import _networkx_pagerank  # nx.pagerank, or its pure-Python twin without scipy

    return _networkx_pagerank(g, None)


NETWORKX: dict[str, Callable[[nx.Graph], dict[Any, Any]]] = {
    "degree": nx.degree_centrality,
    "strength": lambda g: dict(g.degree()),
    "betweenness": nx.betweenness_centrality,
    "closeness": nx.closeness_centrality,
    "harmonic": nx.harmonic_centrality,
    # NetworkX's default tolerance (1e-6) leaves errors near 1e-7: tighten it to compare at 1e-9
    "eigenvector": lambda g: nx.eigenvector_centrality(g, max_iter=10_000, tol=1e-13),
    "pagerank": _pagerank,
    "kcore": nx.core_number,
    "clustering": nx.clustering,
}


def test_the_ledger_holds_the_florentine_graph(network: nx.MultiDiGraph) -> None:
    assert network.number_of_nodes() == FLORENCE.number_of_nodes() == 15
    assert network.number_of_edges() == FLORENCE.number_of_edges() == 20


@pytest.mark.parametrize(
    ("metric", "weight"),
    # One tie per pair: both weightings give the same graph. Degree and k-core take no weight.
    [(m, w) for m in METRICS for w in ("none", "ties") if w == "none" or m not in ("degree", "kcore")],
)
def test_every_metric_equals_networkx(network: nx.MultiDiGraph, metric: str, weight: str) -> None:
    ours = centrality(network, metric, weight=weight, as_of="1500")
    theirs = {key(f): v for f, v in NETWORKX[metric](FLORENCE).items()}
    assert ours.keys() == theirs.keys()
    worst = max(abs(ours[k] - theirs[k]) for k in ours)
    assert worst <= 1e-9, f"{metric}: {worst:.3g}"


def test_medici_lead_betweenness(network: nx.MultiDiGraph) -> None:
    assert next(iter(centrality(network, "betweenness"))) == "medici"


def test_brokers_equal_networkx(network: nx.MultiDiGraph) -> None:
    rows = {r["key"]: r for r in brokers(network)}
    constraint = nx.constraint(FLORENCE)
    size = nx.effective_size(FLORENCE)
    for family in FLORENCE:
        assert abs(rows[key(family)]["constraint"] - constraint[family]) <= 1e-9
        assert abs(rows[key(family)]["effective_size"] - size[family]) <= 1e-9


def test_as_of_before_the_marriages_leaves_no_ties(network: nx.MultiDiGraph, tmp_path: Path) -> None:
    assert set(centrality(network, "degree", as_of="1429").values()) == {0.0}
