"""The network's shape (summary, what-if) on igraph equals NetworkX's own numbers, on both sides of the threshold."""

from __future__ import annotations

import networkx as nx
import pytest

from projections.engines import NETWORKX_BELOW, clustering_shape, path_shape


@pytest.mark.parametrize("n", [NETWORKX_BELOW["closeness"] - 1, NETWORKX_BELOW["closeness"] + 50])
def test_path_and_clustering_shape_equal_networkx(n: int) -> None:
    g = nx.relabel_nodes(nx.powerlaw_cluster_graph(n, 3, 0.4, seed=n), str)
    g.add_node("isolated")
    core = g.subgraph(max(nx.connected_components(g), key=len))
    average, diameter = path_shape(core)
    assert average == pytest.approx(nx.average_shortest_path_length(core), abs=1e-12)
    assert diameter == nx.diameter(core)
    clustering, transitivity = clustering_shape(g)
    assert clustering == pytest.approx(nx.average_clustering(g), abs=1e-12)
    assert transitivity == pytest.approx(nx.transitivity(g), abs=1e-12)


def test_a_single_organisation_and_a_graph_without_triangles() -> None:
    single = nx.Graph()
    single.add_node("a")
    assert path_shape(single) == (0.0, 0)
    star = nx.relabel_nodes(nx.star_graph(NETWORKX_BELOW["closeness"] + 5), str)
    assert clustering_shape(star) == (0.0, 0.0) == (nx.average_clustering(star), nx.transitivity(star))
