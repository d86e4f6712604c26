"""Where each organisation goes on a picture: deterministic layouts of the network.

The same graph, layout and seed always give the same positions. Positions are
plain floats in the unit square (``0 <= x, y <= 1``), the longer side of the
drawing spanning it, so a picture and a web page can scale them as they like.

=============  =================================================================================
layout         placement
=============  =================================================================================
spring         force-directed (Fruchterman-Reingold, ``nx.spring_layout`` seeded with *seed*):
               tied organisations pull together, all others push apart; each connected piece
               is laid out on its own and the pieces are packed in rows, the largest first
kamada-kawai   Kamada-Kawai's energy (the squared gap between drawn and network distance,
               weighted by 1/distance²), minimised by igraph (``layout_kamada_kawai``) from a
               seeded random placement; pieces packed as for spring. ``benchmarks/layout.py``
               compares it with NetworkX's and the stress majorization used before: within 3%
               of the same stress, 40-50 times faster
circular       one circle, in key order (``nx.circular_layout``)
shell          one ring per sector, the smallest sectors inside (``nx.shell_layout``)
=============  =================================================================================

>>> import networkx as nx
>>> g = nx.Graph([("a", "b"), ("b", "c")])
>>> pos = positions(g, "spring", seed=1)
>>> sorted(pos), pos == positions(g, "spring", seed=1)
(['a', 'b', 'c'], True)
>>> all(0 <= x <= 1 and 0 <= y <= 1 for x, y in pos.values())
True
>>> positions(g, "circular")  # a triangle, its widest side spanning 0..1
{'a': (0.933013, 0.5), 'b': (0.066987, 1.0), 'c': (0.066987, 0.0)}
"""

from __future__ import annotations

import importlib.util
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import networkx as nx

from domain.errors import InputError
from projections.engines import check_choice, to_igraph

LAYOUTS: tuple[str, ...] = ("spring", "kamada-kawai", "circular", "shell")
#: Above this many organisations the O(n²) layouts are refused (spring needs SciPy from 500 on).
DENSE_LIMIT = 2000

Position = tuple[float, float]


def positions(graph: nx.Graph, layout: str = "spring", *, seed: int = 0) -> dict[str, Position]:
    """The position of every node of *graph* (undirected, simple) in the unit square.

    Parameters
    ----------
    graph : networkx.Graph
        The network to lay out, e.g. ``projections.engines.simple_graph(ledger_graph, as_of=...)``;
        node attribute ``sector`` is read by the ``shell`` layout.
    layout : {"spring", "kamada-kawai", "circular", "shell"}
        See the module docstring.
    seed : int
        Seed of the random start (spring, kamada-kawai).

    Returns
    -------
    dict
        Node -> ``(x, y)``, floats rounded to 6 decimals, in node-key order.
    """
    check_choice(layout, LAYOUTS, "layout")
    ordered: nx.Graph = nx.Graph()
    ordered.add_nodes_from(sorted(graph.nodes(data=True), key=lambda nd: str(nd[0])))
    ordered.add_edges_from(sorted((min(u, v), max(u, v)) for u, v in graph.edges()))
    n = ordered.number_of_nodes()
    if n == 0:
        return {}
    if n == 1:
        return {next(iter(ordered)): (0.5, 0.5)}
    if layout == "circular":
        return _unit_square(nx.circular_layout(ordered))
    if layout == "shell":
        return _unit_square(nx.shell_layout(ordered, nlist=_shells(ordered)))
    if layout == "kamada-kawai":
        _check_size(n, layout)
        return _packed(ordered, lambda part: _kamada_kawai(part, seed))
    if n >= 500:
        _check_spring(n)
    return _packed(ordered, lambda part: nx.spring_layout(part, seed=seed, k=1.6 / len(part) ** 0.5, iterations=200))


def _packed(graph: nx.Graph, lay_out: Callable[[nx.Graph], dict[Any, Any]]) -> dict[str, Position]:
    """Lay out each connected component on its own, then pack them in rows, the largest first.

    A force-directed layout of the whole graph pushes the unconnected pieces
    (and organisations without ties) to the far corners and squeezes the rest
    into the middle; packing keeps every piece at a readable size. Each piece
    gets a square whose side grows with the square root of its size.
    """
    pieces = sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: (-len(c), c[0]))
    sides = [max(1.0, 1.4 * len(piece) ** 0.5) for piece in pieces]
    width = max(max(sides), sum(s * s for s in sides) ** 0.5 * 1.1)
    placed: dict[Any, Position] = {}
    x = y = row = 0.0
    for piece, side in zip(pieces, sides, strict=True):
        if x > 0 and x + side > width + 1e-9:
            x, y, row = 0.0, y + row, 0.0
        local = {piece[0]: (0.5, 0.5)} if len(piece) == 1 else _unit_square(lay_out(graph.subgraph(piece)))
        for key, (px, py) in local.items():
            placed[key] = (x + side * (0.1 + 0.8 * px), -y - side * (0.9 - 0.8 * py))
        x, row = x + side, max(row, side)
    return _unit_square(placed)


def _check_size(n: int, layout: str) -> None:
    if n > DENSE_LIMIT:
        raise InputError(
            "--layout", f"{layout} is too slow for {n} organisations (at most {DENSE_LIMIT})", "use circular or shell"
        )


def _check_spring(n: int) -> None:
    _check_size(n, "spring")
    if importlib.util.find_spec("scipy") is None:
        raise InputError("--layout", f"spring needs SciPy for {n} organisations (500 or more)", "use circular or shell")


def _shells(graph: nx.Graph) -> list[list[Any]]:
    by_sector: dict[str, list[Any]] = defaultdict(list)
    for key, attrs in graph.nodes(data=True):
        by_sector[attrs.get("sector") or "unknown"].append(key)
    return [members for _, members in sorted(by_sector.items(), key=lambda item: (len(item[1]), item[0]))]


def _kamada_kawai(graph: nx.Graph, seed: int) -> dict[Any, Any]:
    """igraph's Kamada-Kawai (its defaults: 50 steps per organisation), from a seeded random start."""
    import numpy as np

    engine = to_igraph(graph, weighted=False)
    begin = np.random.default_rng(seed).random((len(engine.keys), 2)) * len(engine.keys) ** 0.5
    found = engine.graph.layout_kamada_kawai(seed=begin.tolist())
    return {k: tuple(found[i]) for i, k in enumerate(engine.keys)}


def _unit_square(raw: dict[Any, Any]) -> dict[str, Position]:
    """Scale and centre into [0, 1]², keeping the aspect ratio; y grows upwards as in the layouts."""
    xs = [float(x) for x, _ in raw.values()]
    ys = [float(y) for _, y in raw.values()]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return {
        str(k): (round(0.5 + (float(x) - cx) / span, 6), round(0.5 + (float(y) - cy) / span, 6))
        for k, (x, y) in raw.items()
    }
