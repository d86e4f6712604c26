"""The notebook API: open a ledger, ask the network questions, get answers that become DataFrames.

``netledger.open(path)`` returns an ``OpenLedger``. Each method is one projection
(the same function the command of that name calls), read on a day (``as_of``: ``"2019"``
means 2019-12-31, the one date rule of docs/time.md) and at a knowledge cut
(``known_at`` or ``position``); organisations may be named by key, name or identifier.
Answers are ``projections.results`` values: the projection's own dict or list, with
``to_pandas()``.

>>> import tempfile, os
>>> from domain.ledger import Ledger
>>> path = os.path.join(tempfile.mkdtemp(), "l.db")
>>> with Ledger(path, create=True, actor="doc") as w:
...     for key in ("hub", "a", "b"):
...         _ = w.register_organisation(key=key, name_en=key.upper(), sector="firm")
...     _ = w.form_partnership(parties=["hub", "a"], effective="2020-01")
...     _ = w.form_partnership(parties=["hub", "b"], effective="2021-03")
>>> with open_ledger(path) as led:
...     led.centrality("betweenness", as_of="2021")
...     led.centrality("degree", as_of="2020")
...     [row["key"] for row in led.organisations()]
{'hub': 1.0, 'a': 0.0, 'b': 0.0}
{'a': 0.5, 'hub': 0.5, 'b': 0.0}
['a', 'b', 'hub']
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import networkx as nx

from domain.dates import moment, query_day
from domain.ledger import Ledger
from projections.engines import When
from projections.results import Report, Scores, Table


class OpenLedger:
    """A ledger opened for questions (``netledger.open``); close it, or use it in a ``with`` block.

    ``ledger`` is the ``domain.ledger.Ledger`` underneath, for writes and for everything
    the facade does not wrap.
    """

    def __init__(self, path: str | os.PathLike[str], *, actor: str | None = None) -> None:
        self.ledger = Ledger(path, actor=actor)

    def close(self) -> None:
        self.ledger.close()

    def __enter__(self) -> OpenLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<netledger {self.ledger.name!r} at {self.ledger.location}, {self.ledger.head()} events>"

    # -- the networks -----------------------------------------------------------
    def temporal(self, *, known_at: datetime | str | None = None, position: int | None = None) -> nx.MultiDiGraph:
        """Every organisation and tie with their validity (``projections.store.load_network``), as known at the cut."""
        from projections.store import load_network

        if known_at is not None and position is not None:
            from domain.errors import InputError

            raise InputError("known_at", "give known_at or position, not both", "drop one of the two")
        return load_network(self.ledger, position=position, known_at=moment(known_at))

    def network(
        self, as_of: When | None = None, *, known_at: datetime | str | None = None, position: int | None = None
    ) -> nx.MultiDiGraph:
        """The network on *as_of* (default today): the organisations that exist then and the ties in force."""
        from projections.engines import network_on

        return network_on(self.temporal(known_at=known_at, position=position), query_day(as_of))

    def simple(
        self,
        as_of: When | None = None,
        *,
        weight: str = "none",
        tie_types: Iterable[str] | None = None,
        known_at: datetime | str | None = None,
        position: int | None = None,
    ) -> nx.Graph:
        """The analysis graph on *as_of*: one undirected edge per tied pair, weighted as the metrics weigh."""
        from projections.engines import simple_graph

        graph = self.temporal(known_at=known_at, position=position)
        return simple_graph(graph, as_of=query_day(as_of), tie_types=tie_types, weight=weight)

    # -- questions --------------------------------------------------------------
    def _ask(self, kw: dict[str, Any]) -> tuple[nx.MultiDiGraph, dict[str, Any]]:
        """The temporal graph at the cut in *kw*, and *kw* without the cut, its day parsed."""
        graph = self.temporal(known_at=kw.pop("known_at", None), position=kw.pop("position", None))
        if "as_of" in kw:
            kw["as_of"] = query_day(kw["as_of"])
        return graph, kw

    def _keys(self, graph: nx.MultiDiGraph, texts: Sequence[str], field: str) -> list[str]:
        from projections.directory import resolve_all

        return resolve_all(graph, texts, field)

    def centrality(self, metric: str = "degree", **kw: Any) -> Scores:
        """``projections.centrality.centrality``: organisation -> score, highest first."""
        from projections.centrality import centrality

        graph, kw = self._ask(kw)
        return Scores(centrality(graph, metric, **kw), name=metric)

    def summary(self, **kw: Any) -> Report:
        """``projections.summary.summary``: counts and shape of the network."""
        from projections.summary import summary

        graph, kw = self._ask(kw)
        return Report(summary(graph, **kw))

    def brokers(self, **kw: Any) -> Table:
        """``projections.structure.brokers``: constraint and effective size, lowest constraint first."""
        from projections.structure import brokers

        graph, kw = self._ask(kw)
        return Table(brokers(graph, **kw))

    def communities(self, **kw: Any) -> Report:
        """``projections.structure.communities``: Louvain communities and modularity."""
        from projections.structure import communities

        graph, kw = self._ask(kw)
        return Report(communities(graph, **kw))

    def path(self, source: str, target: str, **kw: Any) -> Table:
        """``projections.structure.path``: a shortest path and the ties of each step."""
        from projections.structure import path

        graph, kw = self._ask(kw)
        a, b = self._keys(graph, [source, target], "key")
        return Table(path(graph, a, b, **kw))

    def ego(self, key: str, **kw: Any) -> Table:
        """``projections.structure.ego``: an organisation's ties within *radius* steps."""
        from projections.structure import ego

        graph, kw = self._ask(kw)
        return Table(ego(graph, self._keys(graph, [key], "key")[0], **kw))

    def mix(self, **kw: Any) -> Report:
        """``projections.sectors.mix``: the sector-by-sector matrix (part ``matrix``) and the E-I index."""
        from projections.sectors import mix

        graph, kw = self._ask(kw)
        return Report(mix(graph, **kw))

    def trend(self, metric: str, *, start: int, end: int, **kw: Any) -> Table:
        """``projections.history.trend``: *metric* on the last day of each year (or quarter)."""
        from projections.history import trend

        graph, kw = self._ask(kw)
        if kw.get("orgs"):
            kw["orgs"] = self._keys(graph, kw["orgs"], "orgs")
        return Table(trend(graph, metric, start=start, end=end, **kw))

    def diff(self, before: When, after: When, **kw: Any) -> Report:
        """``projections.history.diff``: ties started and ended between two days, and the movers."""
        from projections.history import diff

        graph, kw = self._ask(kw)
        return Report(diff(graph, query_day(before, "before"), query_day(after, "after"), **kw))

    def whatif(self, *, remove: Sequence[str] = (), add: Sequence[tuple[str, str]] = (), **kw: Any) -> Report:
        """``projections.whatif.whatif``: the network's shape and the movers without *remove*, with *add*."""
        from projections.whatif import RELATION_ID, whatif

        graph, kw = self._ask(kw)
        # organisations may be named by a name or an identifier too; tie keys and relation ids are ids
        removed = [text if RELATION_ID.match(text) else self._keys(graph, [text], "remove")[0] for text in remove]
        pairs: list[tuple[str, str]] = [(a, b) for a, b in (self._keys(graph, list(pair), "add") for pair in add)]
        return Report(whatif(graph, remove=removed, add=pairs, **kw))

    def resilience(self, **kw: Any) -> Report:
        """``projections.whatif.resilience``: articulation points, bridges, the largest-component curve."""
        from projections.whatif import resilience

        graph, kw = self._ask(kw)
        return Report(resilience(graph, **kw))

    def suggest(self, *, org: str | None = None, **kw: Any) -> Table:
        """``projections.suggest.suggest``: untied pairs ranked by a link-prediction method, with why."""
        from projections.suggest import suggest

        graph, kw = self._ask(kw)
        key = self._keys(graph, [org], "org")[0] if org else None
        return Table(suggest(graph, org=key, **kw))

    def organisations(self, **kw: Any) -> Table:
        """``projections.directory.organisations``: every registered organisation, by key."""
        from projections.directory import organisations

        graph, kw = self._ask(kw)
        return Table(organisations(graph, **kw))

    def search(self, text: str, *, top: int | None = 10, **kw: Any) -> Table:
        """``projections.directory.search``: organisations by key, name or identifier, best match first."""
        from projections.directory import search

        graph, _ = self._ask(kw)
        return Table(search(graph, text, top=top))

    def funding(self, by: Sequence[str] = ("funder",), **kw: Any) -> Table:
        """``projections.funding.funding``: awarded, amended, disbursed, withdrawn, outstanding; per currency.

        The amounts are exact ``Decimal`` values (a DataFrame keeps them as objects: sums stay exact).
        """
        from projections.funding import FIGURES, funding

        if kw.get("known_at") is not None:
            kw["known_at"] = moment(kw["known_at"])
        rows = funding(self.ledger, by=by, **kw)
        return Table({**r.keys, "count": r.count, **{f: getattr(r, f) for f in FIGURES if f != "count"}} for r in rows)

    def show(self, key_or_id: str, **kw: Any) -> Report:
        """``projections.describe.describe_on``: one aggregate's state on *as_of* as known at the cut, its history."""
        from projections.describe import describe_on

        if "as_of" in kw:
            kw["as_of"] = query_day(kw["as_of"])
        if kw.get("known_at") is not None:
            kw["known_at"] = moment(kw["known_at"])
        return Report(describe_on(self.ledger, key_or_id, **kw))


def open_ledger(path: str | os.PathLike[str], *, actor: str | None = None) -> OpenLedger:
    """Open the ledger at *path* (a SQLite file or a PostgreSQL URL) for questions."""
    return OpenLedger(path, actor=actor)
