"""The shape of the network around organisations: brokers, communities, paths, neighbourhoods.

All four read the undirected simple graph of the ties that count
(``projections.engines.simple_graph``); ``path`` and ``ego`` then list the
ledger's own ties (every parallel tie of a pair) that make each step.

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> for u, v in [("a", "b"), ("b", "c"), ("c", "d")]:
...     _ = g.add_edge(u, v, key=f"{u}{v}:0", tie_type="partnership", start_on="2019-01-01", end_on=None)
>>> [(step["step"], step["from"], step["to"]) for step in path(g, "a", "d")]
[(1, 'a', 'b'), (2, 'b', 'c'), (3, 'c', 'd')]
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from itertools import pairwise
from typing import Any

import networkx as nx

from domain.errors import InputError, RuleViolation
from domain.sectors import SECTORS
from projections.engines import (
    ENGINES,
    Prepared,
    When,
    burt,
    check_choice,
    check_tie_types,
    louvain,
    prepare,
    require_nodes,
)

TIE_COLUMNS = ("from", "to", "tie_type", "kind", "title", "start", "end", "amount", "currency", "tie")


def tie_row(u: str, v: str, key: str, attrs: dict[str, Any]) -> dict[str, Any]:
    """One ledger tie as a plain row: its two organisations (as recorded) and what it is."""
    return {
        "from": u,
        "to": v,
        "tie_type": attrs.get("tie_type"),
        "kind": attrs.get("kind"),
        "title": attrs.get("title"),
        "start": attrs.get("start"),
        "end": attrs.get("end"),
        "amount": attrs.get("amount"),
        "currency": attrs.get("currency"),
        "tie": key,
    }


def ties_between(network: nx.MultiDiGraph, a: str, b: str, types: tuple[str, ...] | None) -> list[dict[str, Any]]:
    """The ties of a network on one day joining *a* and *b* in either direction, as rows, by start then tie."""
    found = []
    for u, v in ((a, b), (b, a)):
        for key, attrs in (network.get_edge_data(u, v) or {}).items():
            if types is None or attrs.get("tie_type") in types:
                found.append(tie_row(u, v, str(key), attrs))
    return sorted(found, key=lambda r: (r["start"] or "", r["tie"]))


# -- brokers ------------------------------------------------------------------------------------


def brokers(
    graph: nx.MultiDiGraph,
    *,
    weight: str = "none",
    currency: str | None = None,
    as_of: When | None = None,
    tie_types: Iterable[str] | None = None,
    sector: str | None = None,
    top: int | None = None,
    engine: str = "auto",
) -> list[dict[str, Any]]:
    """Burt's structural holes: constraint and effective size, lowest constraint first.

    Constraint ``c(u) = sum_j (p(u,j) + sum_q p(u,q) p(q,j))^2`` over u's
    contacts j (``nx.constraint``), with ``p(u,j)`` the share of u's tie weight
    that goes to j. It is 1 for an organisation with one contact, higher (up
    to 1.125) when its few contacts are linked to each other, and falls
    towards 0 for a broker between many contacts who are not linked: low
    constraint, many structural holes. Effective size is the number of contacts minus their
    redundancy (``nx.effective_size``; with ``weight="none"`` it is
    ``degree - 2 * ties among the contacts / degree``); efficiency is
    effective size / degree. Organisations with no tie are left out (both
    measures are undefined for them).

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        The ledger's network.
    weight : {"none", "ties", "amount"}
        Pair weights (see ``projections.engines``).
    currency : str, optional
        With ``weight="amount"``: the currency weighed, ties in others left out.
    as_of, tie_types :
        Which ties count, as in ``projections.centrality.centrality``.
    sector : str, optional
        Only return organisations of this sector.
    top : int, optional
        Only return the first *top* rows.
    engine : {"auto", "igraph", "networkx"}
        Who computes constraint and effective size: ``auto`` is igraph
        (NetworkX's own takes 25 ms on 20 organisations, 1.6 s on 200).

    Returns
    -------
    list of dict
        Rows with ``key``, ``name``, ``sector``, ``degree``, ``constraint``,
        ``effective_size`` and ``efficiency`` (floats), by ascending
        constraint, then descending effective size, then key.

    Examples
    --------
    The centre of a star of three brokers between contacts that do not know
    each other (constraint 3 x (1/3)^2 = 1/3, effective size 3); each leaf
    depends on its one contact (constraint 1, effective size 1).

    >>> import networkx as nx
    >>> g = nx.MultiDiGraph()
    >>> for leaf in "abc":
    ...     _ = g.add_edge("hub", leaf, tie_type="partnership", start_on="2020-01-01", end_on=None)
    >>> rows = brokers(g)
    >>> [(r["key"], round(r["constraint"], 4), r["effective_size"]) for r in rows]
    [('hub', 0.3333, 3.0), ('a', 1.0, 1.0), ('b', 1.0, 1.0), ('c', 1.0, 1.0)]
    """
    check_choice(engine, ENGINES, "engine")
    if sector is not None:
        check_choice(sector, SECTORS, "sector")
    prepared = prepare(graph, as_of=as_of, tie_types=tie_types, weight=weight, currency=currency)
    simple = prepared.simple
    if engine != "networkx":
        constraint, size = burt(prepared)
    else:
        w = "weight" if prepared.weighted else None
        linked = [n for n in simple if simple.degree(n)]
        constraint = nx.constraint(simple, nodes=linked, weight=w) if linked else {}
        size = nx.effective_size(simple, nodes=linked, weight=w) if linked else {}
    rows = []
    for key in simple:
        degree = simple.degree(key)
        if not degree or (sector is not None and simple.nodes[key].get("sector") != sector):
            continue
        c, es = constraint.get(key), size.get(key)
        rows.append(
            {
                **_who(simple, key),
                "degree": degree,
                "constraint": float(c) if c is not None else None,
                "effective_size": float(es) if es is not None else None,
                "efficiency": float(es) / degree if es is not None else None,
            }
        )
    rows.sort(key=lambda r: (r["constraint"], -r["effective_size"], r["key"]))
    return rows[:top] if top is not None else rows


def _who(graph: nx.Graph, key: str) -> dict[str, Any]:
    attrs = graph.nodes[key]
    return {"key": key, "name": attrs.get("name") or key, "sector": attrs.get("sector")}


# -- communities ------------------------------------------------------------------------------


def communities(
    graph: nx.MultiDiGraph,
    *,
    weight: str = "none",
    currency: str | None = None,
    as_of: When | None = None,
    tie_types: Iterable[str] | None = None,
    seed: int = 0,
    resolution: float = 1.0,
    engine: str = "auto",
) -> dict[str, Any]:
    """Louvain communities and their modularity (reproducible: same *seed*, same answer).

    Modularity is Newman's, ``Q = sum_c [ L_c / m - resolution * (d_c / 2m)^2 ]``
    with ``L_c`` the weight inside community c, ``d_c`` its summed strength
    and ``m`` the total weight (``nx.community.modularity``); each
    community's row carries its own term, so the rows add up to ``Q``.
    Organisations with no tie are not listed (each would be a community of
    one adding 0); ``isolated`` counts them.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        The ledger's network.
    weight : {"none", "ties", "amount"}
        Pair weights (see ``projections.engines``).
    currency : str, optional
        With ``weight="amount"``: the currency weighed, ties in others left out.
    as_of, tie_types :
        Which ties count, as in ``projections.centrality.centrality``.
    seed : int
        Seed of Louvain's random order (the igraph engine keeps the best of
        3 seeded runs, see ``projections.engines.louvain``).
    resolution : float
        Above 1: smaller communities; below 1: larger ones.
    engine : {"auto", "igraph", "networkx"}
        ``igraph`` (multilevel; ``auto`` too, at every size, so that the same
        network always gets the same communities) or ``networkx``
        (``louvain_communities``): both are Louvain, with different random orders.

    Returns
    -------
    dict
        ``modularity`` (float), ``isolated`` (int) and ``communities``: rows
        with ``community`` (1 = the largest), ``size``, ``modularity``,
        ``sectors`` (sector -> count) and ``members`` (sorted keys).

    Examples
    --------
    Two triangles joined by one tie: m = 7, each side holds 3 ties and a
    summed degree of 7, so Q = 2 x (3/7 - (7/14)^2) = 5/14.

    >>> import networkx as nx
    >>> g = nx.MultiDiGraph()
    >>> for u, v in ["ab", "bc", "ca", "xy", "yz", "zx", "cx"]:
    ...     _ = g.add_edge(u, v, tie_type="partnership", start_on="2020-01-01", end_on=None)
    >>> found = communities(g)
    >>> [c["members"] for c in found["communities"]], round(found["modularity"], 6), round(5 / 14, 6)
    ([['a', 'b', 'c'], ['x', 'y', 'z']], 0.357143, 0.357143)
    """
    check_choice(engine, ENGINES, "engine")
    if resolution <= 0:
        raise InputError("resolution", f"{resolution} is not positive", "give a number above 0, e.g. 1")
    prepared = prepare(graph, as_of=as_of, tie_types=tie_types, weight=weight, currency=currency)
    simple = prepared.simple
    if engine != "networkx":
        found = louvain(prepared, seed=seed, resolution=resolution)
    else:
        found = nx.community.louvain_communities(simple, weight="weight", resolution=resolution, seed=seed)
    linked = [c for c in found if any(simple.degree(n) for n in c)]
    rows = _community_rows(simple, linked, resolution)
    return {
        "modularity": math.fsum(r["modularity"] for r in rows),
        "isolated": sum(1 for n in simple if not simple.degree(n)),
        "communities": rows,
    }


def _community_rows(simple: nx.Graph, found: list[set[str]], resolution: float) -> list[dict[str, Any]]:
    m = simple.size(weight="weight")
    ordered = sorted((sorted(c) for c in found), key=lambda c: (-len(c), c[0]))
    label = {key: i for i, members in enumerate(ordered) for key in members}
    inside = [0.0] * len(ordered)
    strength = [0.0] * len(ordered)
    w: float
    for u, v, w in simple.edges(data="weight"):
        strength[label[u]] += w
        strength[label[v]] += w
        if label[u] == label[v]:
            inside[label[u]] += w
    rows = []
    for i, members in enumerate(ordered):
        q = inside[i] / m - resolution * (strength[i] / (2 * m)) ** 2 if m else 0.0
        sectors = Counter(simple.nodes[k].get("sector") or "unknown" for k in members)
        rows.append(
            {
                "community": i + 1,
                "size": len(members),
                "modularity": q,
                "sectors": dict(sorted(sectors.items(), key=lambda kv: (-kv[1], kv[0]))),
                "members": members,
            }
        )
    return rows


# -- paths and neighbourhoods --------------------------------------------------------------------


def path(
    graph: nx.MultiDiGraph,
    source: str,
    target: str,
    *,
    weight: str = "none",
    currency: str | None = None,
    as_of: When | None = None,
    tie_types: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """A shortest path from *source* to *target*, with the ties that make each step.

    With ``weight="none"`` the path has the fewest steps; otherwise the
    smallest summed distance, distance = 1 / weight (strong pairs are short
    steps). Among equally short paths the one NetworkX finds first is given
    (it follows the ledger's recorded order, so it is stable).

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        The ledger's network.
    source, target : str
        Organisation keys (``RuleViolation`` for an unknown key, or when no
        path joins them).
    weight : {"none", "ties", "amount"}
        Pair weights.
    currency : str, optional
        With ``weight="amount"``: the currency weighed, ties in others left out.
    as_of, tie_types :
        Which ties count, as in ``projections.centrality.centrality``.

    Returns
    -------
    list of dict
        One row per tie per step: ``step`` (1, 2, ...), ``from`` and ``to``
        (the step's direction along the path), then the tie: ``tie_type``,
        ``kind``, ``title``, ``start``, ``end``, ``amount``, ``currency``,
        ``recorded`` (the tie's own direction, ``source -> target``) and
        ``tie`` (its key). Empty when *source* is *target*.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.MultiDiGraph()
    >>> _ = g.add_edge("fund", "hub", key="s:0", tie_type="support", kind="grant", start_on="2020-01-01", end_on=None)
    >>> _ = g.add_edge("hub", "lab", key="p:0", tie_type="partnership", start_on="2020-01-01", end_on=None)
    >>> [(r["step"], r["from"], r["to"], r["kind"]) for r in path(g, "lab", "fund")]
    [(1, 'lab', 'hub', None), (2, 'hub', 'fund', 'grant')]
    """
    prepared = prepare(graph, as_of=as_of, tie_types=tie_types, weight=weight, currency=currency)
    require_nodes(prepared.network, [source], "source", graph)
    require_nodes(prepared.network, [target], "target", graph)
    try:
        nodes = nx.shortest_path(prepared.simple, source, target, weight="length" if prepared.weighted else None)
    except nx.NetworkXNoPath:
        raise RuleViolation(
            "target",
            f"no path joins {source!r} and {target!r} as of {prepared.network.graph['as_of']}",
            "try a later --as-of, other --tie-type or another --weight",
        ) from None
    types = check_tie_types(tie_types)
    rows = []
    for step, (a, b) in enumerate(pairwise(nodes), start=1):
        for tie in ties_between(prepared.network, a, b, types):
            recorded = f"{tie['from']} -> {tie['to']}"
            rows.append({"step": step, **tie, "from": a, "to": b, "recorded": recorded})
    return rows


def ego(
    graph: nx.MultiDiGraph,
    key: str,
    *,
    radius: int = 1,
    as_of: When | None = None,
    tie_types: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """The neighbourhood of *key*: every tie among the organisations within *radius* steps.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        The ledger's network.
    key : str
        The organisation at the centre (``RuleViolation`` if unknown).
    radius : int
        How many steps out (1: its contacts and the ties among them).
    as_of, tie_types :
        Which ties count, as in ``projections.centrality.centrality``.

    Returns
    -------
    list of dict
        One row per tie (as recorded: ``from``, ``to``, ``tie_type``,
        ``kind``, ``title``, ``start``, ``end``, ``amount``, ``currency``,
        ``tie``), with ``hop``: the larger of its two organisations' distances
        from *key*. Sorted by hop, then the organisations, then start.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.MultiDiGraph()
    >>> for u, v in [("me", "a"), ("me", "b"), ("a", "b"), ("b", "far")]:
    ...     _ = g.add_edge(u, v, tie_type="partnership", start_on="2020-01-01", end_on=None)
    >>> [(r["hop"], r["from"], r["to"]) for r in ego(g, "me")]
    [(1, 'a', 'b'), (1, 'me', 'a'), (1, 'me', 'b')]
    >>> [(r["hop"], r["from"], r["to"]) for r in ego(g, "me", radius=2)][-1]
    (2, 'b', 'far')
    """
    if radius < 0:
        raise InputError("radius", f"{radius} is negative", "give 0 or more steps")
    prepared: Prepared = prepare(graph, as_of=as_of, tie_types=tie_types)
    require_nodes(prepared.network, [key], "key", graph)
    hops = nx.single_source_shortest_path_length(prepared.simple, key, cutoff=radius)
    types = check_tie_types(tie_types)
    rows = []
    for a, b in prepared.simple.subgraph(hops).edges():
        for tie in ties_between(prepared.network, a, b, types):
            rows.append({"hop": max(hops[a], hops[b]), **tie})
    rows.sort(key=lambda r: (r["hop"], r["from"], r["to"], r["start"] or "", r["tie"]))
    return rows
