"""The network queries on tiny hand-built graphs, with answers worked out by hand.

Graphs are built directly as the fold builds them (a ``MultiDiGraph`` with
``tie_type``, ``start_on``/``end_on``, ``amount``/``currency`` on the ties and
``sector``/``name`` on the organisations): no ledger, no storage.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import networkx as nx
import pytest

from domain.errors import InputError, RuleViolation
from projections.centrality import centrality
from projections.engines import METRICS, prepare, simple_graph
from projections.history import diff, periods, trend
from projections.sectors import ei_index, mix
from projections.structure import brokers, communities, ego, path
from projections.summary import summary

PHI = (1 + math.sqrt(5)) / 2


def net(
    ties: Iterable[tuple[Any, ...]], sectors: dict[str, str] | None = None, *, position: int | None = None
) -> nx.MultiDiGraph:
    """Ties as ``(u, v)`` or ``(u, v, attrs)``; every tie a partnership from 2020-01-01 unless attrs say otherwise."""
    g = nx.MultiDiGraph()
    for key, sector in (sectors or {}).items():
        g.add_node(key, key=key, name=key.upper(), sector=sector)
    for n, tie in enumerate(ties):
        u, v = tie[0], tie[1]
        attrs = {"tie_type": "partnership", "kind": "partnership", "start": "2020", "start_on": "2020-01-01"}
        attrs |= {"end_on": None, "amount": None, "currency": None, "title": f"t{n}"}
        attrs |= tie[2] if len(tie) > 2 else {}
        for node in (u, v):
            if node not in g:
                g.add_node(node, key=node, name=node.upper(), sector="firm")
        g.add_edge(u, v, key=f"t{n}", **attrs)
    if position is not None:
        g.graph["position"] = position
    return g


def close(a: dict[str, float], b: dict[str, float], tol: float = 1e-12) -> bool:
    return a.keys() == b.keys() and all(math.isclose(a[k], b[k], rel_tol=tol, abs_tol=tol) for k in a)


P4 = [("a", "b"), ("b", "c"), ("c", "d")]


# -- the simple graph and its weights ----------------------------------------------------------


def test_parallel_ties_collapse_onto_one_undirected_pair() -> None:
    g = net([("a", "b"), ("b", "a", {"tie_type": "support", "amount": "100", "currency": "KRW"}), ("a", "c")])
    s = simple_graph(g, weight="ties")
    assert isinstance(s, nx.Graph) and not s.is_directed()
    assert s["a"]["b"] == {"ties": 2, "amount": 100.0, "weight": 2.0, "distance": 0.5, "length": 1.0}
    assert s["a"]["c"]["weight"] == 1.0
    assert simple_graph(g)["a"]["b"]["weight"] == 1.0  # weight none: every pair 1


def test_amount_weights_sum_amounts_and_drop_pairs_without_any() -> None:
    amounts = [("a", "b", {"amount": "100", "currency": "KRW"}), ("a", "b", {"amount": "50.5", "currency": "KRW"})]
    g = net([*amounts, ("b", "c")])
    s = simple_graph(g, weight="amount")
    assert s["a"]["b"]["weight"] == 150.5
    assert not s.has_edge("b", "c") and "c" in s  # no amount: no weight, the organisation stays
    assert s.graph["currency"] == "KRW"


def test_amounts_in_two_currencies_are_refused() -> None:
    g = net([("a", "b", {"amount": "1", "currency": "KRW"}), ("b", "c", {"amount": "1", "currency": "USD"})])
    with pytest.raises(RuleViolation, match=r"KRW and USD"):
        simple_graph(g, weight="amount")
    assert simple_graph(g, weight="ties").number_of_edges() == 2  # other weights ignore currencies


def test_lengths_are_exact_multiples_when_weights_are_whole() -> None:
    # weights 3, 6 and 2: L = 6, lengths 2, 1, 3 -- and 2 + 1 == 3 exactly
    g = net([*[("a", "b")] * 3, *[("b", "c")] * 6, *[("a", "c")] * 2])
    s = simple_graph(g, weight="ties")
    assert s.graph["length_scale"] == 6
    assert [s[u][v]["length"] for u, v in [("a", "b"), ("b", "c"), ("a", "c")]] == [2.0, 1.0, 3.0]
    assert s["a"]["b"]["distance"] == 1 / 3


def test_lengths_of_decimal_amounts_are_whole_numbers_too() -> None:
    # 0.5 and 1.5: scaled to 5 and 15, divided by their gcd: 1 and 3, L = 3: lengths 3 and 1 (distances 2 and 2/3)
    g = net([("a", "b", {"amount": "0.5", "currency": "KRW"}), ("b", "c", {"amount": "1.5", "currency": "KRW"})])
    s = simple_graph(g, weight="amount")
    assert (s.graph["length_scale"], s["a"]["b"]["length"], s["b"]["c"]["length"]) == (3, 3.0, 1.0)


def test_lengths_fall_back_to_distances_when_they_would_grow_too_long() -> None:
    primes = ["1000003", "1000033", "1000037"]  # L would be about 1e18
    g = net([(u, v, {"amount": a, "currency": "KRW"}) for (u, v), a in zip(P4, primes, strict=True)])
    s = simple_graph(g, weight="amount")
    assert s.graph["length_scale"] is None
    assert all(d["length"] == d["distance"] == 1 / d["weight"] for _, _, d in s.edges(data=True))


def test_as_of_and_tie_types_select_ties() -> None:
    g = net(
        [
            ("a", "b", {"start_on": "2019-01-01", "end_on": "2020-01-01"}),
            ("b", "c", {"tie_type": "support", "start_on": "2019-06-01"}),
        ]
    )
    assert sorted(simple_graph(g, as_of="2019-03").edges()) == [("a", "b")]
    assert sorted(simple_graph(g, as_of="2019-12-31").edges()) == [("a", "b"), ("b", "c")]
    assert sorted(simple_graph(g, as_of="2020").edges()) == [("b", "c")]  # ended on 2020-01-01
    assert sorted(simple_graph(g, tie_types=["support"]).edges()) == [("b", "c")]
    assert simple_graph(g, as_of="2018").number_of_nodes() == 3  # every organisation stays


def test_bad_options_are_input_errors() -> None:
    g = net(P4)
    with pytest.raises(InputError, match="weight"):
        simple_graph(g, weight="money")
    with pytest.raises(InputError, match="as_of"):
        simple_graph(g, as_of="2019-13")
    with pytest.raises(InputError, match="tie_types"):
        simple_graph(g, tie_types=["friendship"])


def test_conversions_are_cached_per_revision() -> None:
    g = net(P4, position=3)
    first = prepare(g, as_of="2020-06-01", weight="ties")
    assert prepare(g, as_of="2020-06-01", weight="ties") is first
    assert prepare(g, as_of="2020-06-02", weight="ties") is not first
    g.add_edge("a", "d", key="new", tie_type="partnership", start_on="2020-01-01", end_on=None)
    g.graph["position"] = 4
    assert prepare(g, as_of="2020-06-01", weight="ties") is not first
    view = nx.subgraph_view(g)  # a view has no known revision: never cached
    assert prepare(view) is not prepare(view)


# -- centrality ------------------------------------------------------------------------------------


def test_centrality_on_a_path_of_four() -> None:
    g = net(P4)
    assert close(centrality(g, "degree"), {"b": 2 / 3, "c": 2 / 3, "a": 1 / 3, "d": 1 / 3})
    # b lies on the shortest paths a-c and a-d: 2 of the 3 pairs it is not part of
    assert close(centrality(g, "betweenness"), {"b": 2 / 3, "c": 2 / 3, "a": 0.0, "d": 0.0})
    assert close(centrality(g, "closeness"), {"b": 3 / 4, "c": 3 / 4, "a": 3 / 6, "d": 3 / 6})
    assert close(centrality(g, "harmonic"), {"b": 2.5, "c": 2.5, "a": 1 + 1 / 2 + 1 / 3, "d": 1 + 1 / 2 + 1 / 3})
    # leading eigenvalue phi, eigenvector (1, phi, phi, 1) scaled to norm 1
    end = 1 / math.sqrt(2 + 2 * PHI**2)
    assert close(centrality(g, "eigenvector"), {"b": PHI * end, "c": PHI * end, "a": end, "d": end}, 1e-9)
    assert centrality(g, "strength") == {"b": 2.0, "c": 2.0, "a": 1.0, "d": 1.0}
    assert centrality(g, "kcore") == {"a": 1, "b": 1, "c": 1, "d": 1}


def test_pagerank_of_a_path_sums_to_one_and_is_symmetric() -> None:
    pr = centrality(net(P4), "pagerank")
    assert math.isclose(sum(pr.values()), 1.0)
    assert math.isclose(pr["a"], pr["d"]) and math.isclose(pr["b"], pr["c"]) and pr["b"] > pr["a"]
    # stationary equations of the walk: a = 0.15/4 + 0.85 * b/2 and b = 0.15/4 + 0.85 * (a + c/2)
    assert math.isclose(pr["a"], 0.15 / 4 + 0.85 * pr["b"] / 2)
    assert math.isclose(pr["b"], 0.15 / 4 + 0.85 * (pr["a"] + pr["c"] / 2))


def test_scores_are_plain_python() -> None:
    g = net(P4)
    for metric in METRICS:
        for engine in ("igraph", "networkx"):
            scores = centrality(g, metric, engine=engine)
            assert all(type(v) is (int if metric == "kcore" else float) for v in scores.values()), (metric, engine)


def test_strong_route_carries_betweenness_with_weights() -> None:
    # a-b and b-c have 3 ties each (distance 1/3), a-c one (distance 1): a to c goes through b
    g = net([*[("a", "b")] * 3, *[("b", "c")] * 3, ("a", "c")])
    assert centrality(g, "betweenness")["b"] == 0.0
    assert centrality(g, "betweenness", weight="ties")["b"] == 1.0
    assert centrality(g, "betweenness", weight="ties", engine="networkx")["b"] == 1.0


def test_equal_routes_share_betweenness_exactly() -> None:
    # 1/3 + 1/6 == 1/2: the route through b and the direct pair are equally short
    g = net([*[("a", "b")] * 3, *[("b", "c")] * 6, *[("a", "c")] * 2])
    for engine in ("igraph", "networkx"):
        assert centrality(g, "betweenness", weight="ties", engine=engine)["b"] == 0.5


def test_strength_with_amounts_is_the_summed_amount() -> None:
    g = net([("f", "a", {"amount": "70", "currency": "KRW"}), ("f", "b", {"amount": "30", "currency": "KRW"})])
    assert centrality(g, "strength", weight="amount") == {"f": 100.0, "a": 70.0, "b": 30.0}


def test_isolated_organisations_score_zero_and_count_in_n() -> None:
    g = net(P4)
    g.add_node("lonely", sector="firm")
    assert centrality(g, "degree")["b"] == 2 / 4
    assert centrality(g, "closeness")["lonely"] == 0.0
    assert centrality(g, "eigenvector")["lonely"] == 0.0
    # closeness is scaled by the share reached: b reaches 3 of 4 others at distances 1, 1, 2
    assert math.isclose(centrality(g, "closeness")["b"], 3 / 4 * 3 / 4)


def test_eigenvector_follows_networkx_on_equal_components_and_is_undefined_without_ties() -> None:
    two = net([("a", "b"), ("c", "d")])  # two components with the same leading eigenvalue
    assert close(centrality(two, "eigenvector"), dict.fromkeys("abcd", 0.5), 1e-9)
    assert close(centrality(two, "eigenvector", engine="networkx"), dict.fromkeys("abcd", 0.5), 1e-9)
    isolate = net([("a", "b")])
    isolate.add_node("z")  # an isolate in a network with ties: NetworkX's iteration drives it to 0
    expected = nx.eigenvector_centrality(nx.Graph(isolate.to_undirected()), max_iter=100_000, tol=1e-13)
    assert expected["z"] < 1e-9 and close(centrality(isolate, "eigenvector"), expected, 1e-9)
    none = net([])
    none.add_nodes_from(["x", "y"])
    # NetworkX's shifted power iteration would report 1/sqrt(2) each: a number for a score that has no meaning
    assert nx.eigenvector_centrality(nx.Graph(none)) == pytest.approx({"x": 1 / math.sqrt(2), "y": 1 / math.sqrt(2)})
    assert centrality(none, "eigenvector") == {"x": None, "y": None}
    assert centrality(none, "eigenvector", engine="networkx") == {"x": None, "y": None}


def test_ranking_filters_and_refusals() -> None:
    g = net(P4, {"a": "university", "b": "firm", "c": "firm", "d": "university"})
    assert centrality(g, "degree", sector="university") == {"a": 1 / 3, "d": 1 / 3}
    assert list(centrality(g, "betweenness", top=1)) == ["b"]  # ties broken by key
    with pytest.raises(InputError, match="metric"):
        centrality(g, "fame")
    with pytest.raises(InputError, match="weight: degree takes no weight"):
        centrality(g, "degree", weight="ties")
    with pytest.raises(InputError, match="sector"):
        centrality(g, "degree", sector="church")


# -- brokers and communities ------------------------------------------------------------------------


def test_constraint_and_effective_size_in_a_triangle_with_a_pendant() -> None:
    # u's contacts j and q are linked: p = 1/2 each, indirect 1/4: (1/2 + 1/4)^2 * 2 = 1.125
    g = net([("u", "j"), ("u", "q"), ("j", "q")])
    rows = {r["key"]: r for r in brokers(g)}
    assert math.isclose(rows["u"]["constraint"], 1.125)
    assert rows["u"]["effective_size"] == 1.0  # 2 contacts - 2 * 1 tie / 2
    assert rows["u"]["efficiency"] == 0.5


def test_weighted_effective_size_by_hand() -> None:
    # u-j 2 ties, u-q 1, j-q 1: p(u,q) m(j,q) + p(u,j) m(q,j) = 1/3 * 1/2 + 2/3 * 1 = 5/6
    g = net([("u", "j"), ("u", "j"), ("u", "q"), ("j", "q")])
    for engine in ("igraph", "networkx"):
        rows = {r["key"]: r for r in brokers(g, weight="ties", engine=engine)}
        assert math.isclose(rows["u"]["effective_size"], 2 - 5 / 6), engine


def test_brokers_come_first_and_isolates_are_left_out() -> None:
    g = net([("hub", "a"), ("hub", "b"), ("hub", "c"), ("a", "b")])
    g.add_node("alone", sector="firm")
    keys = [r["key"] for r in brokers(g)]
    assert keys[0] == "hub" and "alone" not in keys
    assert [r["key"] for r in brokers(g, top=1)] == ["hub"]


def test_communities_are_reproducible_and_add_up_to_modularity() -> None:
    cliques = nx.connected_caveman_graph(4, 5)
    g = net([(str(u), str(v)) for u, v in cliques.edges()])
    g.add_node("alone", sector="firm")
    first = communities(g, seed=7)
    assert first == communities(g, seed=7)
    assert [c["size"] for c in first["communities"]] == [5, 5, 5, 5] and first["isolated"] == 1
    parts = [set(c["members"]) for c in first["communities"]]
    expected = nx.community.modularity(simple_graph(g), [*parts, {"alone"}])
    assert math.isclose(first["modularity"], expected)
    assert math.isclose(sum(c["modularity"] for c in first["communities"]), first["modularity"])


def test_no_ties_no_communities() -> None:
    g = net([])
    g.add_nodes_from(["x", "y"])
    assert communities(g) == {"modularity": 0, "isolated": 2, "communities": []}


# -- paths and neighbourhoods ------------------------------------------------------------------------


def test_path_lists_every_tie_of_each_step() -> None:
    g = net([("a", "b"), ("b", "a", {"tie_type": "support", "kind": "grant"}), ("b", "c")])
    rows = path(g, "a", "c")
    assert [(r["step"], r["from"], r["to"], r["tie_type"], r["recorded"]) for r in rows] == [
        (1, "a", "b", "partnership", "a -> b"),
        (1, "a", "b", "support", "b -> a"),
        (2, "b", "c", "partnership", "b -> c"),
    ]
    assert path(g, "a", "a") == []


def test_weighted_path_prefers_strong_ties() -> None:
    g = net([("a", "c"), *[("a", "b")] * 3, *[("b", "c")] * 3])
    assert {r["to"] for r in path(g, "a", "c")} == {"c"}
    assert [r["to"] for r in path(g, "a", "c", weight="ties")][-1] == "c"
    assert {r["step"] for r in path(g, "a", "c", weight="ties")} == {1, 2}


def test_path_refusals() -> None:
    g = net([("a", "b"), ("c", "d", {"start_on": "2021-01-01"})])
    with pytest.raises(RuleViolation, match="source: no organisation 'zz'"):
        path(g, "zz", "a")
    with pytest.raises(RuleViolation, match="target: no path joins 'a' and 'c'"):
        path(g, "a", "c")
    with pytest.raises(RuleViolation, match="no path joins 'c' and 'd' as of 2020-06-30"):
        path(g, "c", "d", as_of="2020-06")  # a month means its last day


def test_ego_keeps_ties_among_the_neighbours() -> None:
    g = net([("me", "a"), ("me", "b"), ("a", "b"), ("b", "far"), ("far", "farther")])
    assert {(r["from"], r["to"]) for r in ego(g, "me")} == {("me", "a"), ("me", "b"), ("a", "b")}
    assert [r["hop"] for r in ego(g, "me", radius=2)] == [1, 1, 1, 2]
    assert ego(g, "me", radius=0) == []
    with pytest.raises(RuleViolation, match="key"):
        ego(g, "nobody")
    with pytest.raises(InputError, match="radius"):
        ego(g, "me", radius=-1)


# -- sectors -------------------------------------------------------------------------------------


def test_mix_matrix_and_ei_index_by_hand() -> None:
    sectors = {"u1": "university", "u2": "university", "f1": "firm", "g1": "government"}
    g = net([("u1", "u2"), ("u1", "f1"), ("u1", "f1"), ("f1", "g1")], sectors)
    m = mix(g)
    assert m["sectors"] == ["government", "university", "firm"]
    assert m["matrix"]["university"] == {"government": 0.0, "university": 1.0, "firm": 2.0}
    assert m["matrix"]["firm"] == {"government": 1.0, "university": 2.0, "firm": 0.0}
    assert (m["internal"], m["external"], m["ei"]) == (1.0, 3.0, 0.5)  # (3 - 1) / 4
    assert m["by_sector"]["university"] == {"organisations": 2, "internal": 1.0, "external": 2.0, "ei": 1 / 3}
    assert mix(g, weight="none")["ei"] == 1 / 3  # pairs: 2 across, 1 within
    assert ei_index(g) == 0.5


def test_ei_index_is_none_without_ties() -> None:
    g = net([], {"a": "firm"})
    assert ei_index(g) is None and mix(g)["by_sector"]["firm"]["ei"] is None


# -- summary -----------------------------------------------------------------------------------------


def test_summary_by_hand() -> None:
    sectors = {"a": "firm", "b": "firm", "c": "university", "d": "funder"}
    g = net([("a", "b"), ("b", "a", {"tie_type": "support", "kind": "grant"}), ("b", "c")], sectors)
    s = summary(g)
    assert s["organisations"] == 4 and s["with_ties"] == 3 and s["isolated"] == 1
    assert s["ties"] == 3 and s["ties_by_type"] == {"partnership": 2, "agreement": 0, "support": 1}
    assert s["ties_by_kind"] == {"grant": 1, "partnership": 2}
    assert s["pairs"] == 2 and s["density"] == 2 / 6
    assert (s["components"], s["largest_component"]) == (2, 3)
    assert summary(g, as_of="2019")["ties"] == 0


# -- history -------------------------------------------------------------------------------------------


def test_periods() -> None:
    assert periods(2020, 2020, step="quarter") == [
        ("2020-Q1", "2020-03-31"),
        ("2020-Q2", "2020-06-30"),
        ("2020-Q3", "2020-09-30"),
        ("2020-Q4", "2020-12-31"),
    ]
    with pytest.raises(InputError, match="end"):
        periods(2021, 2020)
    with pytest.raises(InputError, match="step"):
        periods(2020, 2021, step="month")


def test_trend_of_organisations_and_of_the_network() -> None:
    g = net([("a", "b", {"start_on": "2019-05-01"}), ("b", "c", {"start_on": "2020-05-01", "end_on": "2021-02-01"})])
    rows = trend(g, "betweenness", start=2019, end=2021, orgs=["b"])
    assert [r["b"] for r in rows] == [0.0, 1.0, 0.0]
    assert [r["density"] for r in trend(g, "density", start=2019, end=2021)] == [1 / 3, 2 / 3, 1 / 3]
    top = trend(g, "degree", start=2020, end=2020, top=1)
    assert top == [{"period": "2020", "as_of": "2020-12-31", "b": 1.0}]
    with pytest.raises(InputError, match="orgs"):
        trend(g, "ties", start=2019, end=2020, orgs=["a"])
    with pytest.raises(RuleViolation, match="orgs"):
        trend(g, "degree", start=2019, end=2020, orgs=["zz"])


def test_diff_lists_started_and_ended_ties_and_movers() -> None:
    g = net(
        [
            ("a", "b", {"start": "2019", "start_on": "2019-01-01", "end": "2020-06", "end_on": "2020-06-01"}),
            ("b", "c", {"start": "2020-03", "start_on": "2020-03-01"}),
            ("c", "d", {"start": "2021", "start_on": "2021-01-01"}),
        ]
    )
    d = diff(g, "2019-12-31", "2020-12-31", metric="degree")
    assert [t["tie"] for t in d["started"]] == ["t1"] and [t["tie"] for t in d["ended"]] == ["t0"]
    # b swapped a for c: no change; a and c moved by 1/3 each (ties broken by key)
    assert [(m["key"], m["before"], m["after"]) for m in d["movers"]] == [("a", 1 / 3, 0.0), ("c", 0.0, 1 / 3)]
    with pytest.raises(InputError, match="after"):
        diff(g, "2020", "2019")
