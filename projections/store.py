"""Loading the network for a query, on either recorded-time axis.

``load_network(ledger)`` is the one entry point queries use. This first
version folds the log from the start every time; the persisted projection
with catch-up replaces its inside without changing its signature.
"""

from __future__ import annotations

from datetime import datetime

import networkx as nx

from domain.ledger import Ledger
from projections.graph import NetworkFold


def load_network(ledger: Ledger, *, position: int | None = None, known_at: datetime | None = None) -> nx.MultiDiGraph:
    """The network as recorded up to *position*, or as known at *known_at* (default: everything).

    ``graph.graph["position"]`` is the last log position folded in.
    """
    fold = NetworkFold()
    for pos, event in ledger.events(upto=position):
        if known_at is not None and event.recorded_at > known_at:
            continue
        fold.apply(pos, event)
    fold.graph.graph["position"] = fold.position
    fold.graph.graph["ledger"] = ledger.name
    return fold.graph
