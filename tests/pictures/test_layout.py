"""Layouts (``projections.layout``): seeded, in the unit square, and shaped as their method promises."""

from __future__ import annotations

import math

import networkx as nx
import pytest

from domain.errors import InputError
from projections.layout import LAYOUTS, positions


def gap(pos: dict[str, tuple[float, float]], a: str, b: str) -> float:
    return math.dist(pos[a], pos[b])


def test_kamada_kawai_draws_a_path_as_a_line_of_equal_steps() -> None:
    g = nx.path_graph([f"n{i}" for i in range(6)])
    pos = positions(g, "kamada-kawai", seed=3)
    steps = [gap(pos, f"n{i}", f"n{i + 1}") for i in range(5)]
    assert max(steps) == pytest.approx(min(steps), rel=0.02)
    assert gap(pos, "n0", "n5") == pytest.approx(sum(steps), rel=0.02)


def test_unconnected_pieces_keep_a_readable_size() -> None:
    g = nx.cycle_graph([f"c{i}" for i in range(12)])
    g.add_nodes_from(["alone1", "alone2"])
    pos = positions(g, "spring")
    cycle = [pos[f"c{i}"] for i in range(12)]
    extent = max(max(c[i] for c in cycle) - min(c[i] for c in cycle) for i in (0, 1))
    assert extent > 0.6  # the cycle is not squeezed into the middle by the isolated nodes (0.24 unpacked)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_same_seed_same_positions(layout: str) -> None:
    g = nx.les_miserables_graph()
    assert positions(g, layout, seed=5) == positions(g, layout, seed=5)
    assert all(0 <= c <= 1 for xy in positions(g, layout).values() for c in xy)


def test_an_unknown_layout_is_refused() -> None:
    with pytest.raises(InputError, match="layout: unknown value 'grid'"):
        positions(nx.Graph([("a", "b")]), "grid")


def normalised_stress(graph: nx.Graph, pos: dict[str, tuple[float, float]]) -> float:
    """Sum over pairs of (s * drawn - d)² / d², at the scale s that makes it smallest, per pair."""
    d = dict(nx.all_pairs_shortest_path_length(graph))
    pairs = [(a, b) for i, a in enumerate(graph) for b in list(graph)[i + 1 :]]
    drawn = {(a, b): math.dist(pos[a], pos[b]) for a, b in pairs}
    s = sum(drawn[p] / d[p[0]][p[1]] for p in pairs) / sum(drawn[p] ** 2 / d[p[0]][p[1]] ** 2 for p in pairs)
    return sum((s * drawn[p] - d[p[0]][p[1]]) ** 2 / d[p[0]][p[1]] ** 2 for p in pairs) / len(pairs)


def test_kamada_kawai_draws_a_grid_as_well_as_the_grid_itself() -> None:
    """igraph's Kamada-Kawai against the obvious drawing of a 4 x 6 grid (each node at its row and column)."""
    grid = nx.relabel_nodes(nx.grid_2d_graph(4, 6), lambda rc: f"r{rc[0]}c{rc[1]}")
    obvious = {f"r{r}c{c}": (float(c), float(r)) for r in range(4) for c in range(6)}
    pos = positions(grid, "kamada-kawai", seed=2)
    assert normalised_stress(grid, pos) <= normalised_stress(grid, obvious) * 1.05
    scattered = {k: (float(i % 5), float(i * 7 % 11)) for i, k in enumerate(sorted(grid))}
    assert normalised_stress(grid, scattered) > 3 * normalised_stress(grid, obvious)  # the measure can tell
