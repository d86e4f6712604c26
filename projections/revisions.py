"""Values derived from a ledger's network, kept per revision of it (a query asks the same thing often).

A ledger graph (``projections.store.load_network``) carries ``graph.graph["position"]``,
the last log position folded in: with its size, that names its revision. Anything
derived from it (the network on a day, the simple graph and its igraph copy) is kept
for that revision, the newest few per graph; a graph without a position (built by
hand) or frozen gets a fresh value every time.

>>> import networkx as nx
>>> cache = RevisionCache(size=2)
>>> g = nx.MultiDiGraph(position=1)
>>> calls = []
>>> value = cache.get(g, ("2020",), lambda: calls.append(1) or "network of 2020")
>>> value = cache.get(g, ("2020",), lambda: calls.append(1) or "network of 2020")
>>> value, len(calls)
('network of 2020', 1)
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import networkx as nx

T = TypeVar("T")


class RevisionCache(Generic[T]):
    """Values keyed by (graph revision, *key*), the *size* newest per graph; graphs are held weakly."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: weakref.WeakKeyDictionary[nx.Graph, OrderedDict[tuple[Hashable, ...], T]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, graph: nx.Graph, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
        """The value for *key* on this revision of *graph*, computed by *compute* when not kept."""
        if "position" not in graph.graph or nx.is_frozen(graph):
            return compute()
        revision = (graph.graph["position"], graph.number_of_nodes(), graph.number_of_edges(), *key)
        entries = self._entries.setdefault(graph, OrderedDict())
        if revision in entries:
            entries.move_to_end(revision)
            return entries[revision]
        value = entries[revision] = compute()
        while len(entries) > self.size:
            entries.popitem(last=False)
        return value
