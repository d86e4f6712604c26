"""Closeness and harmonic centrality of an unweighted network by multi-source breadth-first search.

One breadth-first search per organisation is what closeness and harmonic centrality
cost; igraph runs each in C, yet on these networks it is only about 16 times
NetworkX's Python (measured: both walk the same adjacency, memory-bound). Searching
from 256 organisations at once, one bit each (Then et al., "The More the Merrier:
Efficient Multi-Source Graph Traversal", VLDB 2014), turns those walks into a few
numpy operations per level: every organisation holds the set of searches that have
reached it (``seen``) and that reached it at this level (``frontier``); a level ORs
each neighbour's frontier into the next one. At 2,000 to 5,000 organisations it is
about 4 times igraph (``benchmarks/engines.py``). It needs numpy (a dependency of
matplotlib), so ``projections.engines`` uses it from ``MSBFS_FROM`` organisations.

What each search gives is exact (integers): how many organisations it reaches and
the sum of their distances, and the harmonic sum of 1/distance.

>>> reach, total, harmonic = searches(4, [(0, 1), (1, 2)], range(4))
>>> reach.tolist(), total.tolist(), [round(h, 3) for h in harmonic.tolist()]
([3, 3, 3, 1], [3, 2, 3, 0], [1.5, 2.0, 1.5, 0.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

#: Words of 64 searches run together (256 searches: measured fastest with 8 at 5,000 organisations).
WORDS = 4


def searches(n: int, edges: Sequence[tuple[int, int]], sources: Sequence[int]) -> tuple[Any, Any, Any]:
    """For each of *sources* (vertices 0 .. n-1 of the undirected *edges*): how many vertices its search
    reaches (itself included), the sum of their distances, and the sum of 1/distance (numpy arrays)."""
    pairs = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    tail = np.concatenate([pairs[:, 0], pairs[:, 1]])
    head = np.concatenate([pairs[:, 1], pairs[:, 0]])
    order = np.argsort(head, kind="stable")
    tail, head = tail[order], head[order]
    # each vertex's neighbours are one run of ``tail``: OR-reduced per run, the vertices without any left out
    linked = np.bincount(head, minlength=n) > 0
    runs = np.searchsorted(head, np.arange(n))[linked]
    chosen = np.asarray(sources, dtype=np.int64)
    reach = np.zeros(len(chosen), dtype=np.int64)
    total = np.zeros(len(chosen), dtype=np.int64)
    harmonic = np.zeros(len(chosen), dtype=np.float64)
    width = 64 * WORDS
    for start in range(0, len(chosen), width):
        batch = chosen[start : start + width]
        bit = np.arange(len(batch))
        seen = np.zeros((n, WORDS), dtype=np.uint64)
        seen[batch, bit // 64] |= np.left_shift(np.uint64(1), (bit % 64).astype(np.uint64))
        frontier = seen.copy()
        counts = np.zeros(width, dtype=np.int64)
        counts[: len(batch)] = 1
        sums = np.zeros(width, dtype=np.int64)
        inverse = np.zeros(width, dtype=np.float64)
        level = 0
        while len(runs):
            level += 1
            reached = np.zeros((n, WORDS), dtype=np.uint64)
            reached[linked] = np.bitwise_or.reduceat(frontier[tail], runs, axis=0)
            reached &= ~seen
            if not reached.any():
                break
            seen |= reached
            frontier = reached
            # bit b of word w is search 64w + b: little-endian bytes, bits read least significant first
            octets = reached.astype("<u8", copy=False).view(np.uint8)
            found = np.unpackbits(octets, axis=1, bitorder="little").sum(axis=0, dtype=np.int64)
            counts += found
            sums += found * level
            inverse += found / level
        end = start + len(batch)
        reach[start:end] = counts[: len(batch)]
        total[start:end] = sums[: len(batch)]
        harmonic[start:end] = inverse[: len(batch)]
    return reach, total, harmonic
