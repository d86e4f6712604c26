"""Partner recommendations: which organisations are not tied but should talk (link prediction).

Every pair of organisations of the network on one day that share no tie is scored
by one of NetworkX's link-prediction methods, on the simple graph every measure
reads (``projections.engines.simple_graph``):

====================  ===========================================================  ==================================
method                score of the pair (u, v)                                     NetworkX
====================  ===========================================================  ==================================
``common``            the number of partners they share                            ``nx.common_neighbors``
``jaccard``           shared partners / partners of either                         ``nx.jaccard_coefficient``
``adamic-adar``       sum over shared partners w of 1 / log(degree of w)           ``nx.adamic_adar_index``
``resource-allocation``  sum over shared partners w of 1 / degree of w             ``nx.resource_allocation_index``
``preferential``      degree of u x degree of v                                    ``nx.preferential_attachment``
====================  ===========================================================  ==================================

Pairs scoring 0 are not suggested. Suggestions are ranked by score (highest first;
scores equal to 12 decimals count as equal), then by the pair's keys, each pair
written in key order.

``backtest`` asks how well a method would have done: it suggests on the network of
an earlier day and counts how many of its top k pairs were tied by a later day.

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> for u, v in [("a", "hub"), ("b", "hub"), ("c", "hub"), ("c", "b")]:
...     _ = g.add_edge(u, v, tie_type="partnership", start_on="2020-01-01", end_on=None)
>>> [(s["a"], s["b"], s["score"], s["why"]) for s in suggest(g, method="common", as_of="2021")]
[('a', 'b', 1.0, '1 shared partner: hub'), ('a', 'c', 1.0, '1 shared partner: hub')]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import networkx as nx

from domain.errors import InputError
from domain.sectors import SECTORS
from projections.engines import When, check_choice, prepare, require_nodes

METHODS: tuple[str, ...] = ("adamic-adar", "jaccard", "common", "resource-allocation", "preferential")


def suggest(
    graph: nx.MultiDiGraph,
    *,
    org: str | None = None,
    method: str = "adamic-adar",
    sector: str | None = None,
    as_of: When | None = None,
    tie_types: Iterable[str] | None = None,
    top: int | None = 10,
) -> list[dict[str, Any]]:
    """Ranked pairs of untied organisations of the network on *as_of*, with why.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        The ledger's network (``projections.store.load_network``).
    org : str, optional
        Only partners for this organisation (pairs ``(org, x)``).
    method : str
        One of ``METHODS`` (see the module docstring).
    sector : str, optional
        Only suggest partners of this sector: with *org*, the partner's sector; without,
        pairs with at least one organisation of it.
    as_of, tie_types :
        Which network, as in ``projections.centrality.centrality``.
    top : int, optional
        How many suggestions (None: all).

    Returns
    -------
    list of dict
        ``a``, ``b`` (the pair, in key order; with *org*, ``a`` is *org*), ``score``,
        ``shared`` (the partners they share, by key) and ``why`` (``"3 shared partners:
        x, y, z"``), by score then pair.
    """
    check_choice(method, METHODS, "method")
    if sector is not None:
        check_choice(sector, SECTORS, "sector")
    if top is not None and top < 0:
        raise InputError("top", f"{top} is negative", "give a count of 0 or more")
    prepared = prepare(graph, as_of=as_of, tie_types=tie_types)
    simple = prepared.simple
    if org is not None:
        require_nodes(prepared.network, [org], "org", graph)
    found = []
    for u, v, score in _scores(simple, method, _candidates(simple, org, sector, method)):
        if score <= 0:
            continue
        shared = sorted(nx.common_neighbors(simple, u, v))
        a, b = (u, v) if org is not None else sorted((u, v))
        why = _why(simple, u, v, shared)
        found.append({"a": a, "b": b, "score": float(score), "shared": shared, "why": why})
    # equal scores (to 1e-12: the same terms summed in another order may differ in the last bit) go by key
    found.sort(key=_rank)
    return found[:top] if top is not None else found


def _rank(suggestion: dict[str, Any]) -> tuple[float, str, str]:
    return (-round(float(suggestion["score"]), 12), suggestion["a"], suggestion["b"])


def _why(simple: nx.Graph, u: str, v: str, shared: list[str]) -> str:
    if not shared:
        return f"no shared partner; {simple.degree(u)} and {simple.degree(v)} partners"
    return f"{len(shared)} shared partner{'s' if len(shared) != 1 else ''}: {', '.join(shared)}"


def _candidates(simple: nx.Graph, org: str | None, sector: str | None, method: str) -> list[tuple[str, str]]:
    """The untied pairs to score: every pair of the network, or *org* with every other; of *sector*.

    Every method but ``preferential`` scores 0 unless the two share a partner, so only
    pairs two steps apart are scored for them (the same result as scoring every pair).
    """

    def of_sector(key: str) -> bool:
        return sector is None or simple.nodes[key].get("sector") == sector

    if org is not None:
        return [(org, x) for x in sorted(simple) if x != org and not simple.has_edge(org, x) and of_sector(x)]
    if method == "preferential":
        return [(u, v) for u, v in nx.non_edges(simple) if of_sector(u) or of_sector(v)]
    pairs = set()
    for w in simple:
        partners = sorted(simple[w])
        for i, u in enumerate(partners):
            for v in partners[i + 1 :]:
                if not simple.has_edge(u, v) and (of_sector(u) or of_sector(v)):
                    pairs.add((u, v))
    return sorted(pairs)


def _scores(simple: nx.Graph, method: str, pairs: list[tuple[str, str]]) -> Iterator[tuple[str, str, float]]:
    if method == "common":
        return ((u, v, float(len(list(nx.common_neighbors(simple, u, v))))) for u, v in pairs)
    if method == "jaccard":
        return nx.jaccard_coefficient(simple, pairs)
    if method == "adamic-adar":
        return nx.adamic_adar_index(simple, pairs)
    if method == "resource-allocation":
        return nx.resource_allocation_index(simple, pairs)
    return ((u, v, float(p)) for u, v, p in nx.preferential_attachment(simple, pairs))


def backtest(
    graph: nx.MultiDiGraph,
    *,
    trained: When,
    checked: When | None = None,
    method: str = "adamic-adar",
    k: int = 10,
    tie_types: Iterable[str] | None = None,
) -> dict[str, Any]:
    """How many of a method's top *k* suggestions on the network of *trained* were tied by *checked*.

    Returns
    -------
    dict
        ``trained`` and ``checked`` (ISO days), ``method``, ``k``, ``new_pairs`` (pairs of
        organisations of the trained network tied on *checked* and not on *trained*),
        ``hits`` (the suggested pairs among them, in rank order), ``precision_at_k``
        (hits / k) and ``recall_at_k`` (hits / new pairs; None without new pairs).
    """
    if k < 1:
        raise InputError("k", f"{k} is too small", "give a count of 1 or more")
    before = prepare(graph, as_of=trained, tie_types=tie_types)
    after = prepare(graph, as_of=checked, tie_types=tie_types)
    day1, day2 = before.network.graph["as_of"], after.network.graph["as_of"]
    if day1 >= day2:
        raise InputError("trained", f"{day1} is not before {day2}", "train on an earlier day than you check")
    known = before.simple
    new = {
        tuple(sorted((u, v))) for u, v in after.simple.edges() if u in known and v in known and not known.has_edge(u, v)
    }
    ranked = suggest(graph, method=method, as_of=day1, tie_types=tie_types, top=k)
    hits = [[s["a"], s["b"]] for s in ranked if tuple(sorted((s["a"], s["b"]))) in new]
    return {
        "trained": day1,
        "checked": day2,
        "method": method,
        "k": k,
        "new_pairs": len(new),
        "hits": hits,
        "precision_at_k": len(hits) / k,
        "recall_at_k": len(hits) / len(new) if new else None,
    }
