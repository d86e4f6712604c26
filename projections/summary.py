"""The network at a glance: organisations by sector, ties by type, density and components."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import networkx as nx

from domain.sectors import SECTORS
from projections.engines import TIE_TYPES, When, check_tie_types, clustering_shape, path_shape, prepare


def summary(
    graph: nx.MultiDiGraph,
    *,
    as_of: When | None = None,
    tie_types: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Counts and shape of the network of the ties that count.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        The ledger's network (``projections.store.load_network``).
    as_of : str, date or PartialDate, optional
        The day (default: today; ``"2019"`` means 2019-12-31): only the organisations
        that exist then and the ties that count then.
    tie_types : iterable of str, optional
        Only ties of these types.

    Returns
    -------
    dict
        ``organisations`` (every organisation in the network on that day, with
        or without a tie), ``organisations_by_sector``, ``with_ties`` (organisations
        with at least one tie), ``ties`` (each recorded tie once; a relation
        of k parties makes k(k-1)/2 ties), ``ties_by_type``, ``ties_by_kind``,
        ``pairs`` (pairs of organisations joined by at least one tie),
        ``density`` (pairs / (n(n-1)/2)), ``components`` (connected
        components, an organisation without ties being one on its own),
        ``largest_component`` (organisations in the largest),
        ``isolated`` (organisations without ties), ``average_clustering``
        (``nx.average_clustering``: the mean of every organisation's
        clustering, isolated ones counting 0), ``transitivity``
        (``nx.transitivity``: 3 x triangles / connected triples), and, on the
        largest component (on the same size, the one with the first key),
        ``diameter`` (``nx.diameter``) and ``average_path_length``
        (``nx.average_shortest_path_length``): in steps. The last four are None
        on a network without organisations.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.MultiDiGraph()
    >>> for key, sector in [("a", "firm"), ("b", "firm"), ("c", "university"), ("d", "funder")]:
    ...     g.add_node(key, sector=sector)
    >>> for u, v, t in [("a", "b", "partnership"), ("b", "a", "agreement"), ("b", "c", "partnership")]:
    ...     _ = g.add_edge(u, v, tie_type=t, kind=t, start_on="2020-01-01", end_on=None)
    >>> s = summary(g)
    >>> s["organisations_by_sector"], s["ties_by_type"], s["pairs"]
    ({'university': 1, 'firm': 2, 'funder': 1}, {'partnership': 2, 'agreement': 1, 'support': 0}, 2)
    >>> s["density"], s["components"], s["largest_component"], s["isolated"]
    (0.3333333333333333, 2, 3, 1)
    >>> s["average_clustering"], s["transitivity"], s["diameter"], s["average_path_length"]
    (0.0, 0.0, 2, 1.3333333333333333)
    """
    prepared = prepare(graph, as_of=as_of, tie_types=tie_types)
    simple = prepared.simple
    types = check_tie_types(tie_types)
    by_type: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    for _, _, d in prepared.network.edges(data=True):
        if types is not None and d.get("tie_type") not in types:
            continue
        by_type[d.get("tie_type") or "unknown"] += 1
        by_kind[d.get("kind") or "unknown"] += 1
    sectors = Counter(d.get("sector") or "unknown" for _, d in simple.nodes(data=True))
    found = list(nx.connected_components(simple))
    components = [len(c) for c in found]
    largest = simple.subgraph(min(found, key=lambda c: (-len(c), min(c)))) if found else None
    clustering = clustering_shape(simple) if found else (None, None)
    lengths = path_shape(largest) if largest is not None else (None, None)
    return {
        "organisations": simple.number_of_nodes(),
        "organisations_by_sector": {s: sectors[s] for s in sorted(sectors, key=_sector_order)},
        "with_ties": sum(1 for n in simple if simple.degree(n)),
        "ties": sum(by_type.values()),
        "ties_by_type": {t: by_type[t] for t in (*TIE_TYPES, *sorted(set(by_type) - set(TIE_TYPES)))},
        "ties_by_kind": dict(sorted(by_kind.items())),
        "pairs": simple.number_of_edges(),
        "density": float(nx.density(simple)),
        "components": len(components),
        "largest_component": max(components, default=0),
        "isolated": sum(1 for n in simple if not simple.degree(n)),
        "average_clustering": clustering[0],
        "transitivity": clustering[1],
        "diameter": lengths[1],
        "average_path_length": lengths[0],
    }


def _sector_order(sector: str) -> tuple[int, str]:
    return (SECTORS.index(sector) if sector in SECTORS else len(SECTORS), sector)
