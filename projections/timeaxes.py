"""The two time axes, and the network on one date: every answer is a function of (D, T).

- **Effective time** D (``as_of``): when something was true in the world. An
  event takes effect on the *first* day of its date (``2019-07`` on 2019-07-01);
  a question about a period asks about its *last* day: ``query_day("2019")`` is
  2019-12-31, so "the network in 2019" includes everything that took effect
  during 2019. Something that starts on day s and ends on day e counts on D
  when ``s <= D < e``.
- **Recorded time** T (``known_at`` / ``position``): only the events the ledger
  had recorded by then, retractions included; see ``projections.store.load_network``.

``load_network`` returns the *temporal* network: every organisation and tie the
log (up to T) knows of, each with its validity on the effective axis (see
``projections.graph``). ``as_of(graph, D)`` is that network on day D: a plain
``networkx.MultiDiGraph`` with only the organisations that exist on D and the
ties that count on D, each carrying the attributes in force on D. Every query
reads the network through it. The rules are in docs/time.md.

>>> query_day("2019"), query_day("2019-02"), query_day("2019-07-15")  # domain.values.query_day
('2019-12-31', '2019-02-28', '2019-07-15')
>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> g.add_node("b", key="b", since_on="2020-03-01")  # exists from 2020-03-01
>>> g.add_edge("a", "b", start_on="2019-07-01", end_on="2023-08-01")
0
>>> [as_of(g, d).number_of_edges() for d in ("2019-06", "2020-02", "2020", "2023-08")]
[0, 0, 1, 0]
>>> sorted(as_of(g, "2020-02"))  # b does not exist yet
['a']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import networkx as nx

from domain.dates import PartialDate, query_day
from projections.revisions import RevisionCache

When = PartialDate | date | str

#: Attributes the temporal network keeps for itself; a network on a date never shows them.
NODE_INTERNALS = frozenset({"since_on", "until_on", "names"})
TIE_INTERNALS = frozenset({"versions", "disbursements"})
#: Networks on a date kept per temporal network (the newest ones).
_CACHE_SIZE = 8


# -- one organisation, one tie, on a day ---------------------------------------------------------


def exists_on(attrs: dict[str, Any], day: str) -> bool:
    """Whether the organisation with these (temporal) attributes exists on ISO *day*.

    An unregistered party (``registered`` False) has no dates of its own: it is there
    whenever one of its ties counts.
    """
    since = attrs.get("since_on")
    if since is not None and day < since:
        return False
    until = attrs.get("until_on")
    return until is None or day < until


def node_on(attrs: dict[str, Any], day: str) -> dict[str, Any]:
    """The attributes of an organisation on *day* (names in force then), without the temporal internals."""
    shown = {k: v for k, v in attrs.items() if k not in NODE_INTERNALS}
    names = attrs.get("names")
    if names:
        chosen = names[0]
        for entry in names:
            if entry[0] is not None and entry[0] > day:
                break
            chosen = entry
        _, name_ko, name_en = chosen
        shown.update(name=name_en or name_ko or "", name_ko=name_ko, name_en=name_en)
    return shown


def tie_on(attrs: dict[str, Any], day: str) -> tuple[int | None, dict[str, Any]] | None:
    """``(n, terms)`` of a tie counting on *day* (its own dates only), or None when it does not count.

    *n* numbers the tie among its relation's ties on that day (None for a tie with one
    version: its key already says it); *terms* are the attributes that vary over time.
    """
    versions = attrs.get("versions")
    if versions is None:
        start, end = attrs.get("start_on"), attrs.get("end_on")
        if start is None or day < start or (end is not None and day >= end):
            return None
        return None, {}
    for start, end, terms in versions:
        if start <= day and (end is None or day < end):
            return terms["n"], terms
    return None


def disbursed_by(disbursements: Iterable[tuple[str, str]], day: str) -> str | None:
    """The exact sum of the payments made by ISO *day*, as the ledger writes amounts (None if none).

    >>> disbursed_by([("2020-01-01", "1000"), ("2020-06-01", "0.5"), ("2021-01-01", "7")], "2020-12-31")
    '1000.5'
    """
    total = None
    for paid_on, amount in disbursements:
        if paid_on <= day:
            total = (total or Decimal(0)) + Decimal(amount)
    return None if total is None else amount_text(total)


def amount_text(value: Decimal) -> str:
    """A decimal as the ledger stores amounts: no exponent, no trailing zeros after the point.

    >>> amount_text(Decimal("1.50")), amount_text(Decimal("1E+3")), amount_text(Decimal("0.000"))
    ('1.5', '1000', '0')
    """
    value = value.normalize()
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value, "f")


def tie_end(attrs: dict[str, Any], u: dict[str, Any], v: dict[str, Any]) -> tuple[Any, Any]:
    """``(end, end_on)`` of a tie between organisations with (temporal) attributes *u* and *v*.

    Its relation's close, or the dated dissolution of either organisation, whichever comes
    first by first day (on the same day: the close, then *u*'s, then *v*'s).
    """
    best = (attrs.get("end_on"), attrs.get("end"))
    for node in (u, v):
        until = node.get("until_on")
        if until is not None and (best[0] is None or until < best[0]):
            best = (until, node["dissolved"])
    return best[1], best[0]


# -- the network on a day ------------------------------------------------------------------------

_networks: RevisionCache[nx.MultiDiGraph] = RevisionCache(_CACHE_SIZE)


def as_of(graph: nx.MultiDiGraph, when: When | None = None) -> nx.MultiDiGraph:
    """The network on *when* (default today): the organisations that exist then, the ties that count.

    A new ``MultiDiGraph`` (do not modify it: it is cached per revision of *graph*):

    - nodes: every registered organisation that exists on D, with its attributes on D
      (names in force then); an unregistered party only while one of its ties counts;
    - edges: every tie of a relation alive on D whose two organisations are in the
      network on D, keyed ``"<relation id>:<n>"`` (the n-th pair of the relation's
      parties on D), with the terms in force on D (title, parties and roles, term,
      amount and currency), ``disbursed`` (support: the payments made by D) and ``end``
      (the relation's close or the earlier dissolution of its two organisations).

    ``graph.graph`` is copied, with ``as_of`` set to the ISO day.
    """
    day = query_day(when)
    return _networks.get(graph, (day,), lambda: _network_on(graph, day))


def _network_on(graph: nx.MultiDiGraph, day: str) -> nx.MultiDiGraph:
    network: nx.MultiDiGraph = nx.MultiDiGraph()
    network.graph.update(graph.graph)
    network.graph["as_of"] = day
    inner = vars(network)
    out_nodes: dict[str, dict[str, Any]] = inner["_node"]
    out_succ: dict[str, dict[str, Any]] = inner["_succ"]
    out_pred: dict[str, dict[str, Any]] = inner["_pred"]
    temporal_nodes = graph._node  # type: ignore[attr-defined]  # NetworkX's own dict, read-only here
    for key, attrs in temporal_nodes.items():
        if attrs.get("registered") is not False and exists_on(attrs, day):
            out_nodes[key] = node_on(attrs, day)
            out_succ[key] = {}
            out_pred[key] = {}
    for u, neighbours in graph._succ.items():  # type: ignore[attr-defined]
        for v, keydict in neighbours.items():
            for k, attrs in keydict.items():
                found = tie_on(attrs, day)
                if found is None:
                    continue
                nu, nv = temporal_nodes[u], temporal_nodes[v]
                if not (_present(u, nu, day, out_nodes) and _present(v, nv, day, out_nodes)):
                    continue
                n, terms = found
                shown = {name: value for name, value in attrs.items() if name not in TIE_INTERNALS}
                if terms:
                    shown.update((name, value) for name, value in terms.items() if name != "n")
                shown["end"], shown["end_on"] = tie_end(attrs, nu, nv)
                if shown.get("tie_type") == "support":
                    shown["disbursed"] = disbursed_by(attrs.get("disbursements", ()), day)
                tie_key = k if n is None else f"{attrs['aggregate_id']}:{n}"
                _add_parties(out_nodes, out_succ, out_pred, u, v)
                keys = out_succ[u].get(v)
                if keys is None:
                    keys = out_succ[u][v] = out_pred[v][u] = {}
                keys[tie_key] = shown
    return network


def _present(key: str, attrs: dict[str, Any], day: str, network_nodes: dict[str, Any]) -> bool:
    """Whether *key* may carry a tie on *day*: it exists then, or it is an unregistered party."""
    return key in network_nodes or attrs.get("registered") is False


def _add_parties(nodes: dict[str, Any], succ: dict[str, Any], pred: dict[str, Any], *keys: str) -> None:
    """Add the unregistered parties among *keys* to the network on a day (registered ones are there)."""
    for key in keys:
        if key not in nodes:
            nodes[key] = {"key": key, "registered": False}
            succ[key] = {}
            pred[key] = {}


def tie_runs(
    graph: nx.MultiDiGraph, tie_types: Iterable[str] | None = None
) -> Iterator[tuple[str, str, str, str, str | None]]:
    """``(u, v, key, from, to)``: every interval over which a tie (of *tie_types*) has the same terms.

    The tie's own dates only (its relation's start, close and amendments); whether
    its organisations exist is decided on each day by ``as_of``.
    """
    kept = None if tie_types is None else set(tie_types)
    for u, v, k, attrs in graph.edges(keys=True, data=True):
        if kept is not None and attrs.get("tie_type") not in kept:
            continue
        versions = attrs.get("versions")
        if versions is None:
            start, end = attrs.get("start_on"), attrs.get("end_on")
            if start is not None and (end is None or start < end):
                yield u, v, k, start, end
        else:
            for start, end, _ in versions:
                yield u, v, k, start, end


def change_days(graph: nx.MultiDiGraph, tie_types: Iterable[str] | None = None) -> list[str]:
    """Every ISO day on which the network changes: a tie or an organisation starts or stops counting,
    a name or a term changes, a payment is made. Sorted, without repeats.

    >>> g = nx.MultiDiGraph()
    >>> g.add_node("a", since_on="2019-08-22")
    >>> g.add_edge("a", "b", start_on="2019-06-19", end_on="2023-08-01")
    0
    >>> change_days(g)
    ['2019-06-19', '2019-08-22', '2023-08-01']
    """
    days: set[str] = set()
    for _, attrs in graph.nodes(data=True):
        for name in ("since_on", "until_on"):
            if attrs.get(name) is not None:
                days.add(attrs[name])
        for entry in attrs.get("names") or ():
            if entry[0] is not None:
                days.add(entry[0])
    kept: set[str] | None = None if tie_types is None else set(tie_types)
    for _, _, _, start, end in tie_runs(graph, kept):
        days.add(start)
        if end is not None:
            days.add(end)
    for _, _, attrs in graph.edges(data=True):
        if kept is None or attrs.get("tie_type") in kept:
            days.update(paid_on for paid_on, _ in attrs.get("disbursements", ()))
    return sorted(days)
