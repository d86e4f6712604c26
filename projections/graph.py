"""The network as a pure fold of ledger events into a ``networkx.MultiDiGraph``.

Nodes are organisations (keyed by their key); edges are ties, keyed by
``"<aggregate id>:<n>"``. A partnership or agreement with k parties becomes a
tie between every pair of parties (k*(k-1)/2 ties, from the earlier-listed
party to the later one); a support becomes one tie from each funder to each
recipient.

Every event of an aggregate re-derives that aggregate's ties and attributes
from its non-retracted history, so a retraction removes exactly what the
retracted event contributed, and closing events (ended, terminated,
withdrawn, dissolved) set the ``end`` of the ties' intervals.

>>> from projections.graph import NetworkFold
>>> fold = NetworkFold()
>>> fold.graph.number_of_nodes()
0
"""

from __future__ import annotations

from itertools import combinations
from typing import Any
from uuid import UUID

import networkx as nx

from domain.agreement import Agreement
from domain.events import Aggregate, LedgerEvent
from domain.organisation import Organisation
from domain.partnership import Partnership
from domain.support import Support
from domain.values import PartialDate


class NetworkFold:
    """Fold events one at a time; ``graph`` is always the network as recorded so far.

    The fold keeps each aggregate (its own replay of its history) so it can
    re-derive that aggregate's nodes or ties when a later event changes them.
    It touches no storage: feed it ``(position, event)`` pairs.
    """

    def __init__(self) -> None:
        self.graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self.aggregates: dict[UUID, Aggregate] = {}
        self.position = 0
        self._edges: dict[UUID, list[tuple[str, str, str]]] = {}

    def apply(self, position: int, event: LedgerEvent) -> None:
        """Fold one event recorded at *position*."""
        aggregate = self.aggregates.get(event.originator_id)
        if aggregate is None:
            aggregate = event.aggregate_class(event.originator_id)
            self.aggregates[event.originator_id] = aggregate
        aggregate.apply(event)
        self.position = position
        if isinstance(aggregate, Organisation):
            self._organisation(aggregate)
        else:
            self._ties(aggregate)

    def apply_all(self, events: Any) -> NetworkFold:
        for position, event in events:
            self.apply(position, event)
        return self

    # -- nodes ------------------------------------------------------------------------
    def _organisation(self, org: Organisation) -> None:
        key = org.history[0].key  # type: ignore[attr-defined]
        if not org.exists:
            if key in self.graph and not self.graph.degree(key):
                self.graph.remove_node(key)
            elif key in self.graph:
                self.graph.nodes[key]["registered"] = False
            return
        reg = org.registered
        assert reg is not None
        self.graph.add_node(
            key,
            key=key,
            name=org.name,
            name_ko=org.name_ko,
            name_en=org.name_en,
            sector=reg.sector,
            subtype=reg.subtype,
            identifiers=list(reg.identifiers),
            country=reg.country,
            dissolved=str(org.dissolved) if org.dissolved else None,
            registered=True,
        )

    # -- ties -------------------------------------------------------------------------
    def _ties(self, aggregate: Aggregate) -> None:
        """Replace the ties of *aggregate* by the ones its current state implies."""
        self.graph.remove_edges_from(self._edges.pop(aggregate.id, []))  # type: ignore[arg-type]  # (u, v, key) triples
        added = []
        for number, (u, v, attrs) in enumerate(ties_of(aggregate)):
            for node in (u, v):
                if node not in self.graph:  # a party whose registration was retracted
                    self.graph.add_node(node, key=node, registered=False)
            key = f"{aggregate.id}:{number}"
            self.graph.add_edge(u, v, key=key, **attrs)
            added.append((u, v, key))
        if added:
            self._edges[aggregate.id] = added


def ties_of(aggregate: Aggregate) -> list[tuple[str, str, dict[str, Any]]]:
    """The ties an aggregate currently contributes: ``(source, target, attributes)``."""
    if not aggregate.exists:
        return []
    common: dict[str, Any] = {"aggregate_id": str(aggregate.id), "tie_type": aggregate.kind}
    if isinstance(aggregate, Partnership):
        end = aggregate.ended_event.effective if aggregate.ended_event else None
        return _pairs(
            aggregate.parties,
            {
                **common,
                "kind": "partnership",
                "title": _title(aggregate),
                **_interval(aggregate.start, end),
            },
        )
    if isinstance(aggregate, Agreement):
        assert aggregate.signed is not None
        end = aggregate.terminated.effective if aggregate.terminated else None
        return _pairs(
            aggregate.parties,
            {
                **common,
                "kind": aggregate.signed.kind,
                "title": aggregate.title,
                **_interval(aggregate.start, end),
                "term_end": _str(aggregate.term_end),
            },
        )
    if isinstance(aggregate, Support):
        award = aggregate.awarded
        assert award is not None
        end = aggregate.closed.effective if aggregate.closed else None
        attrs = {
            **common,
            "kind": award.kind,
            "title": aggregate.title,
            **_interval(award.effective, end),
            "amount": str(aggregate.amount) if aggregate.amount is not None else None,
            "currency": aggregate.currency,
            "programme": award.programme,
        }
        return [(f.key, r.key, {**attrs, "roles": [f.role, r.role]}) for f in award.funders for r in award.recipients]
    return []


def _interval(start: PartialDate | None, end: PartialDate | None) -> dict[str, Any]:
    """Start and end as written, and as ISO first days for fast as-of selection."""
    return {
        "start": _str(start),
        "end": _str(end),
        "start_on": start.first_day.isoformat() if start else None,
        "end_on": end.first_day.isoformat() if end else None,
    }


def _pairs(parties: list[Any], attrs: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(a.key, b.key, {**attrs, "roles": [a.role, b.role]}) for a, b in combinations(parties, 2)]


def _title(p: Partnership) -> str | None:
    return p.formed.title if p.formed else None


def _str(value: object) -> str | None:
    return str(value) if value is not None else None


def build(events: Any) -> nx.MultiDiGraph:
    """The network from ``(position, event)`` pairs, in one pass."""
    return NetworkFold().apply_all(events).graph
