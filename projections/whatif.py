"""What if an organisation or a tie disappeared, and which ones hold the network together.

Both questions are asked of the network on one day (``projections.timeaxes.as_of``),
collapsed as every measure collapses it (``projections.engines.simple_graph``: one
undirected link per pair of tied organisations).

- ``whatif`` removes organisations and ties (and may add hypothetical links), then
  compares the network before and after: components, the largest one, its average
  path length and diameter, who lost their way to the largest component, and the
  organisations whose centrality moved most.
- ``resilience`` lists the articulation points (``nx.articulation_points``: an
  organisation whose removal splits a component) and the bridges (``nx.bridges``: a
  link whose removal does), and the size of the largest component as organisations
  are removed one after another, the highest degree (or betweenness) first.

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> for u, v in [("a", "hub"), ("b", "hub"), ("c", "hub"), ("c", "d")]:
...     _ = g.add_edge(u, v, key=f"{u}{v}", tie_type="partnership", start_on="2020-01-01", end_on=None)
>>> w = whatif(g, remove=["hub"], as_of="2021")
>>> w["before"]["components"], w["after"]["components"], w["cut_off"]
(1, 3, ['a', 'b'])
>>> r = resilience(g, as_of="2021")
>>> r["articulation_points"], [(b["a"], b["b"]) for b in r["bridges"]]
(['c', 'hub'], [('a', 'hub'), ('b', 'hub'), ('c', 'd'), ('c', 'hub')])
>>> [(step["removed"], step["largest_component"]) for step in r["curve"]]
[(None, 5), ('hub', 2), ('c', 1), ('a', 1), ('b', 1), ('d', 0)]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx

from domain.errors import InputError, RuleViolation
from projections.centrality import scores_of, scores_on
from projections.engines import (
    ENGINES,
    Prepared,
    When,
    check_choice,
    check_tie_types,
    choose_engine,
    path_shape,
    prepare,
    require_nodes,
)

#: A relation id, or a tie key (relation id and party pair number): what ``remove`` takes besides keys.
RELATION_ID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}(:[0-9]+)?")

#: Orders in which ``resilience`` removes organisations.
ATTACKS: tuple[str, ...] = ("degree", "betweenness")


def shape(simple: nx.Graph) -> dict[str, Any]:
    """Components, the largest one's size, and its average path length and diameter (in steps).

    The largest component is the biggest, on the same size the one with the first key;
    ``average_path_length`` and ``diameter`` are None for a network without organisations.
    """
    found = list(nx.connected_components(simple))
    largest = min(found, key=lambda c: (-len(c), min(c))) if found else set()
    lengths = path_shape(simple.subgraph(largest)) if largest else (None, None)
    return {
        "organisations": simple.number_of_nodes(),
        "links": simple.number_of_edges(),
        "components": len(found),
        "largest_component": len(largest),
        "average_path_length": lengths[0],
        "diameter": lengths[1],
    }


def whatif(
    graph: nx.MultiDiGraph,
    *,
    remove: Sequence[str] = (),
    add: Sequence[str | tuple[str, str]] = (),
    as_of: When | None = None,
    tie_types: Iterable[str] | None = None,
    metric: str = "betweenness",
    top: int | None = 10,
    engine: str = "auto",
) -> dict[str, Any]:
    """The network on *as_of* before and after removing organisations and ties, and adding links.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        The ledger's network (``projections.store.load_network``).
    remove : sequence of str
        Organisation keys, tie keys (``"<relation id>:<n>"``, as the network on that day
        keys them) or relation ids (all of that relation's ties).
    add : sequence of ``"A:B"`` or ``(A, B)``
        Hypothetical links between two organisations of the network.
    as_of, tie_types :
        Which network, as in ``projections.centrality.centrality``.
    metric : str
        The centrality whose movers are listed (see ``projections.centrality``), unweighted,
        before and after, on the same engine.
    top : int, optional
        How many movers (None: every one whose score moved).

    Returns
    -------
    dict
        ``as_of``; ``removed``: ``{"organisations": [...], "ties": [...]}`` (tie keys);
        ``added``: ``[[a, b], ...]``; ``before`` and ``after``: ``shape`` of each network;
        ``cut_off``: the organisations (kept) that were in the largest component before
        and are not in it after, by key; ``movers``: ``{"key", "before", "after",
        "change"}`` by the size of the change, then key (removed organisations are not
        movers).
    """
    check_choice(engine, ENGINES, "engine")
    prepared = prepare(graph, as_of=as_of, tie_types=tie_types)
    network, before = prepared.network, prepared.simple
    types = check_tie_types(tie_types)
    organisations, ties = _removals(network, graph, remove, types)
    pairs = _additions(network, graph, add)
    after: nx.Graph = nx.Graph(before.subgraph(k for k in before if k not in organisations))
    for u, v, _ in ties:
        if after.has_edge(u, v) and not _still_tied(network, u, v, ties, types):
            after.remove_edge(u, v)
    after.add_edges_from(pairs)
    old_core = _largest(before)
    new_core = _largest(after)
    engine = choose_engine(engine, metric, len(before))  # one engine for both, so that only the change moves
    old_scores = scores_on(Prepared(network, before, weighted=False), metric, engine=engine)
    new_scores = scores_on(Prepared(network, after, weighted=False), metric, engine=engine)
    movers = []
    for key in after:
        was, now = old_scores.get(key), new_scores.get(key)
        if was is None or now is None or abs(now - was) <= 1e-12:
            continue
        movers.append({"key": key, "name": network.nodes[key].get("name") or key, "before": was, "after": now,
                       "change": now - was})  # fmt: skip
    movers.sort(key=lambda m: (-abs(m["change"]), m["key"]))
    return {
        "as_of": network.graph["as_of"],
        "removed": {"organisations": sorted(organisations), "ties": sorted(key for _, _, key in ties)},
        "added": [list(pair) for pair in pairs],
        "before": shape(before),
        "after": shape(after),
        "cut_off": sorted(k for k in old_core if k in after and k not in new_core),
        "movers": movers[:top] if top is not None else movers,
    }


def _removals(
    network: nx.MultiDiGraph, graph: nx.MultiDiGraph, remove: Sequence[str], types: tuple[str, ...] | None
) -> tuple[set[str], list[tuple[str, str, str]]]:
    """The organisations and the ties (u, v, key) that *remove* names on the network's day."""
    organisations: set[str] = set()
    ties: list[tuple[str, str, str]] = []
    by_key = {k: (u, v) for u, v, k in network.edges(keys=True)}
    for name in remove:
        if name in network:
            organisations.add(name)
        elif name in by_key:
            ties.append((*by_key[name], name))
        elif any(k.rpartition(":")[0] == name for k in by_key):
            ties += [(u, v, k) for k, (u, v) in by_key.items() if k.rpartition(":")[0] == name]
        elif name in graph:
            require_nodes(network, [name], "remove", graph)
        else:
            raise RuleViolation(
                "remove",
                f"nothing named {name!r} in the network on {network.graph['as_of']}",
                "give an organisation key, a tie key or a relation id (see 'netledger network ego')",
            )
    return organisations, ties


def _additions(
    network: nx.MultiDiGraph, graph: nx.MultiDiGraph, add: Sequence[str | tuple[str, str]]
) -> list[tuple[str, str]]:
    pairs = []
    for item in add:
        a, b = item.split(":", 1) if isinstance(item, str) else item
        a, b = a.strip(), b.strip()
        if not a or not b or a == b:
            raise InputError("add", f"{item!r} is not a pair of two organisations", "write A:B, e.g. postech:kosme")
        require_nodes(network, [a, b], "add", graph)
        pairs.append((a, b))
    return pairs


def _still_tied(
    network: nx.MultiDiGraph, u: str, v: str, removed: list[tuple[str, str, str]], types: tuple[str, ...] | None
) -> bool:
    """Whether *u* and *v* keep a tie of *types* once the *removed* ties are gone."""
    gone = {key for _, _, key in removed}
    for a, b in ((u, v), (v, u)):
        for key, attrs in (network.get_edge_data(a, b) or {}).items():
            if key not in gone and (types is None or attrs.get("tie_type") in types):
                return True
    return False


def _largest(simple: nx.Graph) -> set[str]:
    found = list(nx.connected_components(simple))
    return min(found, key=lambda c: (-len(c), min(c))) if found else set()


def resilience(
    graph: nx.MultiDiGraph,
    *,
    as_of: When | None = None,
    tie_types: Iterable[str] | None = None,
    attack: str = "degree",
    engine: str = "auto",
) -> dict[str, Any]:
    """Articulation points, bridges, and the largest component as organisations are removed.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        The ledger's network.
    as_of, tie_types :
        Which network, as in ``projections.centrality.centrality``.
    attack : {"degree", "betweenness"}
        The order of the removals: by the organisations' degree or betweenness on the
        whole network (computed once, before any removal), highest first, then key.

    Returns
    -------
    dict
        ``as_of``; ``articulation_points`` (sorted keys); ``bridges``: ``{"a", "b", "ties"}``
        (the pair in key order and the keys of the ties that make the link); ``curve``:
        one row per step, ``{"step", "removed", "largest_component", "share"}`` from step 0
        (nothing removed) until every organisation is removed; ``share`` is the largest
        component over the organisations of the whole network.
    """
    check_choice(attack, ATTACKS, "attack")
    prepared = prepare(graph, as_of=as_of, tie_types=tie_types)
    simple, network = prepared.simple, prepared.network
    types = check_tie_types(tie_types)
    bridges = []
    u: str
    v: str
    for u, v in nx.bridges(simple):
        a, b = sorted((u, v))
        keys: list[str] = sorted(
            str(k)
            for x, y in ((a, b), (b, a))
            for k, d in (network.get_edge_data(x, y) or {}).items()
            if types is None or d.get("tie_type") in types
        )
        bridges.append({"a": a, "b": b, "ties": keys})
    bridges.sort(key=lambda r: (r["a"], r["b"]))
    scores = scores_of(graph, attack, as_of=as_of, tie_types=tie_types, engine=engine)
    order = sorted(simple, key=lambda k: (-(scores.get(k) or 0), k))
    return {
        "as_of": network.graph["as_of"],
        "articulation_points": sorted(nx.articulation_points(simple)),
        "bridges": bridges,
        "curve": _curve(simple, order),
    }


def _curve(simple: nx.Graph, order: list[str]) -> list[dict[str, Any]]:
    """The largest component as *order* is removed, computed backwards: adding the organisations back.

    A union-find over the reversed order: each step joins one organisation to its
    neighbours already back, so the whole curve costs one pass over the links.
    """
    n = len(order)
    parent: dict[str, str] = {}
    size: dict[str, int] = {}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    largest_after: list[int] = []
    biggest = 0
    for key in reversed(order):
        largest_after.append(biggest)
        parent[key], size[key] = key, 1
        for other in simple[key]:
            if other in parent:
                a, b = root(key), root(other)
                if a != b:
                    if size[a] < size[b]:
                        a, b = b, a
                    parent[b] = a
                    size[a] += size[b]
        biggest = max(biggest, size[root(key)])
    largest_after.reverse()  # largest_after[i]: the largest component once order[:i + 1] is removed
    rows: list[dict[str, Any]] = [
        {"step": 0, "removed": None, "largest_component": biggest, "share": biggest / n if n else None}
    ]
    for i, key in enumerate(order):
        rows.append({"step": i + 1, "removed": key, "largest_component": largest_after[i],
                     "share": largest_after[i] / n})  # fmt: skip
    return rows
