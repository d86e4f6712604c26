"""Benchmark: the Kamada-Kawai layout, hand-written stress majorization against igraph's and NetworkX's own.

Run it from the repository root::

    .venv/bin/python benchmarks/layout.py            # the demo, 100 and 300 organisations (about a minute)
    .venv/bin/python benchmarks/layout.py --large    # also 1,000 (about 8 minutes: the former layout is O(n^3))

Each network is laid out on its largest connected piece (``projections.layout``
lays out every piece on its own and packs them), each from a seeded random
start, by:

- ``former``: the hand-written stress majorization in NumPy that ``--layout
  kamada-kawai`` used before (kept in this file only, to be compared with);
- ``igraph``: ``projections.layout._kamada_kawai``, igraph's
  ``layout_kamada_kawai`` (C, its default 50 iterations per vertex), what
  ``--layout kamada-kawai`` runs now;
- ``networkx``: ``nx.kamada_kawai_layout`` (SciPy's L-BFGS; SciPy is not a
  netledger dependency: the row is left out without it).

Quality is the normalised stress: sum over pairs of (s * drawn - d)^2 / d^2,
divided by sum of d^2 / d^2 (the number of pairs), with d the network distance
and s the scale that makes it smallest: 0 is a drawing whose distances are the
network's exactly; lower is better. Each layout also runs a second time with
the same seed and the table says whether the positions are equal (a picture
must be reproducible). Times are the best of 3 runs in this one process;
compare the ratios, not the absolute seconds.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import networkx as nx
import numpy as np

from projections.engines import simple_graph
from projections.layout import _kamada_kawai

Layout = Callable[[nx.Graph, int], dict[Any, Any]]


def start(graph: nx.Graph, seed: int) -> np.ndarray:
    """A seeded random start, as ``projections.layout`` draws it (the NetworkX row starts from it too)."""
    return np.random.default_rng(seed).random((graph.number_of_nodes(), 2))


def distances(graph: nx.Graph) -> np.ndarray:
    keys = list(graph)
    index = {k: i for i, k in enumerate(keys)}
    d = np.zeros((len(keys), len(keys)))
    for source, lengths in nx.all_pairs_shortest_path_length(graph):
        for target, v in lengths.items():
            d[index[source], index[target]] = v
    return d


def stress(graph: nx.Graph, pos: dict[Any, Any], d: np.ndarray) -> float:
    """Normalised stress at the best scale (see the module docstring)."""
    p = np.array([pos[k] for k in graph], dtype=float)
    drawn = np.linalg.norm(p[:, None, :] - p[None, :, :], axis=2)
    upper = np.triu(np.ones_like(d, dtype=bool), 1)
    dd, xx = d[upper], drawn[upper]
    w = dd**-2.0
    s = float((w * dd * xx).sum() / (w * xx * xx).sum())
    return float((w * (s * xx - dd) ** 2).sum() / len(dd))


def former_stress(graph: nx.Graph, seed: int, *, iterations: int = 500, tolerance: float = 1e-6) -> dict[Any, Any]:
    """Kamada-Kawai's energy minimised by stress majorization (Gansner, Koren and North, 2004).

    ``projections.layout``'s Kamada-Kawai until igraph's replaced it, kept here to be compared with.
    """
    keys = list(graph)
    index = {k: i for i, k in enumerate(keys)}
    n = len(keys)
    dist = np.full((n, n), np.inf)
    for source, lengths in nx.all_pairs_shortest_path_length(graph):
        for target, d in lengths.items():
            dist[index[source], index[target]] = d
    finite = dist[np.isfinite(dist)]
    dist[~np.isfinite(dist)] = (finite.max() if finite.size else 0) + 1
    np.fill_diagonal(dist, 0)
    weights = np.zeros_like(dist)
    off = dist > 0
    weights[off] = dist[off] ** -2.0
    laplacian = -weights
    np.fill_diagonal(laplacian, weights.sum(axis=1))
    pinv = np.linalg.pinv(laplacian)
    pos = np.random.default_rng(seed).random((n, 2)) * dist.max()

    def stress(p: Any) -> float:
        gaps = np.linalg.norm(p[:, None, :] - p[None, :, :], axis=2) - dist
        return float((weights * gaps**2).sum() / 2)

    previous = stress(pos)
    for _ in range(iterations):
        drawn = np.linalg.norm(pos[:, None, :] - pos[None, :, :], axis=2)
        with np.errstate(divide="ignore", invalid="ignore"):
            b = np.where(drawn > 0, -weights * dist / drawn, 0.0)
        np.fill_diagonal(b, 0)
        np.fill_diagonal(b, -b.sum(axis=1))
        pos = pinv @ (b @ pos)
        current = stress(pos)
        if previous - current < tolerance * max(previous, 1e-12):
            break
        previous = current
    return {k: pos[i] for i, k in enumerate(keys)}


def networkx_kk(graph: nx.Graph, seed: int) -> dict[Any, Any]:
    begin = dict(zip(graph, start(graph, seed), strict=True))
    return dict(nx.kamada_kawai_layout(graph, pos=begin))


def networks(large: bool) -> list[tuple[str, nx.Graph]]:
    from domain.demo import build_demo
    from domain.ledger import Ledger
    from projections.store import load_network
    from tests.pictures.synthetic import network

    found = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pohang.db"
        with Ledger(path, actor="benchmark", create=True, name="pohang-demo") as ledger:
            build_demo(ledger)
            demo = load_network(ledger)
        found.append(("demo 2019-12-31", simple_graph(demo, as_of="2019-12-31")))
    for n in (100, 300, 1000) if large else (100, 300):
        found.append((f"generated {n}", simple_graph(network(n, seed=1), as_of="2025-12-31")))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also 1,000 organisations")
    args = parser.parse_args()
    methods: list[tuple[str, Layout]] = [("former", former_stress), ("igraph", _kamada_kawai)]
    try:
        import scipy  # noqa: F401

        methods.append(("networkx", networkx_kk))
    except ImportError:
        print("SciPy is not installed: no networkx row")
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores")
    header = f"{'network':<18} {'nodes':>5} {'method':<9} {'seconds':>8} {'vs former':>9} {'stress':>7} {'repeat':>7}"
    print(header)
    print("-" * len(header))
    for name, simple in networks(args.large):
        piece = simple.subgraph(max(sorted(nx.connected_components(simple), key=sorted), key=len)).copy()
        ordered = nx.Graph()
        ordered.add_nodes_from(sorted(piece))
        ordered.add_edges_from(sorted((min(u, v), max(u, v)) for u, v in piece.edges()))
        d = distances(ordered)
        base = 0.0
        for method, lay_out in methods:
            times = []
            for _ in range(3):
                t = time.perf_counter()
                pos = lay_out(ordered, 0)
                times.append(time.perf_counter() - t)
            again = lay_out(ordered, 0)
            same = all(np.allclose(pos[k], again[k], rtol=0, atol=0) for k in ordered)
            best = min(times)
            base = base or best
            print(
                f"{name:<18} {ordered.number_of_nodes():>5} {method:<9} {best:>8.3f} {best / base:>8.2f}x"
                f" {stress(ordered, pos, d):>7.4f} {'same' if same else 'DIFFERS':>7}"
            )
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
