"""The two time axes: the network as it stood in the world (as of), and as the ledger knew it.

- **Effective time** (``as_of``): a tie counts on day D when it started on or
  before D and had not ended by D. A partial date counts from its first day:
  a tie that started in ``2019-07`` counts from 2019-07-01, one that ended in
  ``2023-08`` stops counting on 2023-08-01.
- **Recorded time** (``known_at`` / ``position``): only events the ledger had
  recorded by then; see ``projections.store.load_network``.

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> g.add_edge("a", "b", start_on="2019-07-01", end_on="2023-08-01")
0
>>> as_of(g, "2019-06").number_of_edges(), as_of(g, "2020").number_of_edges(), as_of(g, "2023-08").number_of_edges()
(0, 1, 0)
"""

from __future__ import annotations

from datetime import date
from typing import Any

import networkx as nx

from domain.values import PartialDate


def first_day(when: PartialDate | date | str) -> str:
    """The ISO first day of a date given as ``PartialDate``, ``date`` or text."""
    if isinstance(when, date):
        return when.isoformat()
    return PartialDate.parse(when).first_day.isoformat()


def active_on(attrs: dict[str, Any], day: str) -> bool:
    """True when a tie with these attributes counts on ISO *day*."""
    start = attrs.get("start_on")
    end = attrs.get("end_on")
    return start is not None and start <= day and (end is None or day < end)


def as_of(graph: nx.MultiDiGraph, when: PartialDate | date | str) -> nx.MultiDiGraph:
    """A read-only view of *graph* with only the ties that counted on *when* (all nodes kept)."""
    day = first_day(when)

    def keep(u: str, v: str, k: str) -> bool:
        return active_on(graph.edges[u, v, k], day)

    return nx.subgraph_view(graph, filter_edge=keep)  # type: ignore[arg-type]  # multigraph keys are str here
