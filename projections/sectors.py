"""Who works with whom across sectors: the sector mixing matrix and Krackhardt's E-I index.

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> g.add_node("u", sector="university"); g.add_node("f", sector="firm"); g.add_node("g", sector="firm")
>>> for a, b in [("u", "f"), ("u", "g"), ("f", "g")]:
...     _ = g.add_edge(a, b, tie_type="partnership", start_on="2020-01-01", end_on=None)
>>> ei_index(g)  # 2 ties across sectors, 1 within: (2 - 1) / 3
0.3333333333333333
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx

from domain.sectors import SECTORS
from projections.engines import When, prepare

UNKNOWN = "unknown"


def _sector(graph: nx.Graph, key: str) -> str:
    return graph.nodes[key].get("sector") or UNKNOWN


def mix(
    graph: nx.MultiDiGraph,
    *,
    weight: str = "ties",
    currency: str | None = None,
    as_of: When | None = None,
    tie_types: Iterable[str] | None = None,
) -> dict[str, Any]:
    """The sector-by-sector tie matrix and the E-I index, overall and per sector.

    Each pair of organisations adds its weight to the cell of their two
    sectors: with ``weight="ties"`` (the default) the number of ties joining
    them, so the matrix counts ties; with ``"none"`` 1, so it counts pairs;
    with ``"amount"`` the summed amounts. The matrix is symmetric; the
    diagonal holds ties within a sector.

    The E-I index (Krackhardt and Stern) is ``(E - I) / (E + I)``, E the
    weight across sectors and I the weight within: -1 when every tie stays
    inside its sector, +1 when every tie crosses. A sector's own index
    counts the ties touching it. It is None where there is no tie.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        The ledger's network.
    weight : {"ties", "none", "amount"}
        What a pair adds to its cell.
    currency : str, optional
        With ``weight="amount"``: the currency weighed (see ``projections.engines``).
    as_of, tie_types :
        Which ties count, as in ``projections.centrality.centrality``.

    Returns
    -------
    dict
        ``sectors`` (the sectors that have organisations, in the ledger's
        vocabulary order, ``unknown`` last), ``matrix`` (sector -> sector ->
        weight), ``internal``, ``external`` and ``ei`` (overall), and
        ``by_sector`` (sector -> ``organisations``, ``internal``,
        ``external``, ``ei``).

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.MultiDiGraph()
    >>> g.add_node("u", sector="university"); g.add_node("f", sector="firm"); g.add_node("g", sector="firm")
    >>> for a, b in [("u", "f"), ("u", "f"), ("f", "g")]:
    ...     _ = g.add_edge(a, b, tie_type="partnership", start_on="2020-01-01", end_on=None)
    >>> m = mix(g)
    >>> m["matrix"]["university"], m["matrix"]["firm"]["firm"], m["ei"]
    ({'university': 0.0, 'firm': 2.0}, 1.0, 0.3333333333333333)
    >>> m["by_sector"]["firm"]["ei"]  # 2 across, 1 within
    0.3333333333333333
    """
    simple = prepare(graph, as_of=as_of, tie_types=tie_types, weight=weight, currency=currency).simple
    present = {_sector(simple, k) for k in simple}
    sectors = [s for s in (*SECTORS, UNKNOWN) if s in present]
    matrix = {s: dict.fromkeys(sectors, 0.0) for s in sectors}
    internal = external = 0.0
    inside = dict.fromkeys(sectors, 0.0)
    across = dict.fromkeys(sectors, 0.0)
    w: float
    for u, v, w in simple.edges(data="weight"):
        a, b = _sector(simple, u), _sector(simple, v)
        matrix[a][b] += w
        if a == b:
            internal += w
            inside[a] += w
        else:
            matrix[b][a] += w
            external += w
            across[a] += w
            across[b] += w
    members = {s: 0 for s in sectors}
    for k in simple:
        members[_sector(simple, k)] += 1
    return {
        "sectors": sectors,
        "matrix": matrix,
        "internal": internal,
        "external": external,
        "ei": _ei(external, internal),
        "by_sector": {
            s: {
                "organisations": members[s],
                "internal": inside[s],
                "external": across[s],
                "ei": _ei(across[s], inside[s]),
            }
            for s in sectors
        },
    }


def ei_index(
    graph: nx.MultiDiGraph,
    *,
    weight: str = "ties",
    currency: str | None = None,
    as_of: When | None = None,
    tie_types: Iterable[str] | None = None,
) -> float | None:
    """Krackhardt's E-I index of the whole network: ``(E - I) / (E + I)`` (see :func:`mix`)."""
    result: float | None = mix(graph, weight=weight, currency=currency, as_of=as_of, tie_types=tie_types)["ei"]
    return result


def _ei(external: float, internal: float) -> float | None:
    total = external + internal
    return (external - internal) / total if total else None
