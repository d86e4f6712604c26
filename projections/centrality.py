"""Centrality of the organisations: who is central, by which measure.

Every metric is computed on the network on one day D (``as_of``, default
today; ``projections.timeaxes.as_of``), as the undirected simple graph of the
ties that count (``projections.engines.simple_graph``): parallel ties between
two organisations collapse onto one edge, whatever their direction. Only the
organisations that exist on D are scored (one registered later or dissolved
earlier gets no score at all); *n* is their number, with or without ties.

============  ===========================================================  ==========================
metric        score                                                        normalisation
============  ===========================================================  ==========================
degree        neighbours / (n - 1) (``nx.degree_centrality``)             fraction of the others;
                                                                           takes no weight
strength      summed weight of the organisation's pairs: with ``none``     none (raw count or sum)
              the number of neighbours, with ``ties`` the number of ties,
              with ``amount`` the summed amounts
betweenness   share of shortest paths between other pairs that pass       2 / ((n-1)(n-2)): the
              through it (``nx.betweenness_centrality``)                   fraction of pairs
closeness     (r-1) / (sum of distances to the r-1 it reaches), times     Wasserman-Faust: in [0, 1]
              (r-1)/(n-1) (``nx.closeness_centrality``)                     for unit distances
harmonic      sum of 1 / distance to every other organisation             none (0 .. n-1 for unit
              (``nx.harmonic_centrality``)                                 distances)
eigenvector   leading eigenvector of the weighted adjacency matrix        Euclidean norm 1; None
              (``nx.eigenvector_centrality``)                              for every organisation of
                                                                           a network without any tie
pagerank      PageRank, damping 0.85, each pair walked both ways,         the scores sum to 1
              weighted by ``weight`` (``nx.pagerank``)
kcore         the largest k such that it belongs to the k-core            none (an integer);
              (``nx.core_number``)                                         takes no weight
clustering    the share of pairs of its neighbours that are tied to       0..1 (0 with fewer than
              each other (``nx.clustering``; weighted: the geometric      two neighbours)
              mean of the weights, each divided by the largest)
============  ===========================================================  ==========================

Weights (``weight=``): ``none`` (every pair 1), ``ties`` (the number of ties
joining the pair) or ``amount`` (their summed amounts; pairs without any
amount drop out; mixed currencies are refused). Distance-based metrics
(betweenness, closeness, harmonic, and ``path``) use distance = 1 / weight:
a stronger pair is a shorter step.

The engine metrics (betweenness, closeness, harmonic, eigenvector, PageRank)
run on igraph, except on small networks, where NetworkX answers before igraph
is loaded (``projections.engines.choose_engine``); ``engine="networkx"`` or
``"igraph"`` forces one (NetworkX is the reference: same scores to 1e-9).

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> for u, v in [("a", "b"), ("b", "c")]:
...     _ = g.add_edge(u, v, tie_type="partnership", start_on="2019-01-01", end_on=None)
>>> centrality(g, "betweenness")
{'b': 1.0, 'a': 0.0, 'c': 0.0}
>>> centrality(g, "degree", top=1)
{'b': 1.0}
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx

from domain.errors import InputError
from domain.sectors import SECTORS
from projections.engines import (
    ENGINE_METRICS,
    ENGINES,
    METRICS,
    UNWEIGHTED_METRICS,
    Prepared,
    When,
    check_choice,
    choose_engine,
    igraph_scores,
    network_on,
    networkx_scores,
    prepare,
)


def centrality(
    graph: nx.MultiDiGraph,
    metric: str = "degree",
    *,
    weight: str = "none",
    currency: str | None = None,
    as_of: When | None = None,
    tie_types: Iterable[str] | None = None,
    sector: str | None = None,
    top: int | None = None,
    engine: str = "auto",
) -> dict[str, float]:
    """Score every organisation by *metric*, highest first.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        The ledger's network (``projections.store.load_network``).
    metric : str
        One of ``degree``, ``strength``, ``betweenness``, ``closeness``,
        ``harmonic``, ``eigenvector``, ``pagerank``, ``kcore``, ``clustering``
        (see the module docstring for each score and its normalisation).
    weight : {"none", "ties", "amount"}
        Pair weights; ``degree`` and ``kcore`` take none.
    currency : str, optional
        With ``weight="amount"``: the currency weighed, ties in others left out
        (needed when the ties carry several; see ``projections.engines``).
    as_of : str, date or PartialDate, optional
        The day (default: today); ``"2019"`` means 2019-12-31 (``projections.timeaxes.query_day``).
    tie_types : iterable of str, optional
        Only ties of these types (``partnership``, ``agreement``, ``support``);
        the scores are computed on that network.
    sector : str, optional
        Only return organisations of this sector (scored on the whole network).
    top : int, optional
        Only return the *top* highest scores.
    engine : {"auto", "igraph", "networkx"}
        Who computes the engine metrics; ``auto`` (the default) uses NetworkX
        on small networks, igraph on the others (``projections.engines.choose_engine``).

    Returns
    -------
    dict
        Organisation key -> score (``float``; ``int`` for ``kcore``), by
        descending score, then key.

    Examples
    --------
    A star: the centre lies on every path between the three leaves.

    >>> import networkx as nx
    >>> g = nx.MultiDiGraph()
    >>> for leaf in "abc":
    ...     _ = g.add_edge("hub", leaf, tie_type="support", start_on="2020-01-01", end_on=None)
    >>> centrality(g, "betweenness", top=2)
    {'hub': 1.0, 'a': 0.0}
    >>> centrality(g, "closeness")["a"]  # 3 / (1 + 2 + 2)
    0.6
    >>> centrality(g, "kcore")
    {'a': 1, 'b': 1, 'c': 1, 'hub': 1}
    """
    scores = scores_of(graph, metric, weight=weight, currency=currency, as_of=as_of, tie_types=tie_types, engine=engine)
    return ranked(network_on(graph, as_of), scores, sector=sector, top=top)


def scores_of(
    graph: nx.MultiDiGraph,
    metric: str,
    *,
    weight: str = "none",
    currency: str | None = None,
    as_of: When | None = None,
    tie_types: Iterable[str] | None = None,
    engine: str = "auto",
) -> dict[str, Any]:
    """Every organisation's score, in node order (no ranking, no filter)."""
    check_choice(metric, METRICS, "metric")
    check_choice(engine, ENGINES, "engine")
    if metric in UNWEIGHTED_METRICS and weight != "none":
        raise InputError("weight", f"{metric} takes no weight", "use weight 'none', or the metric 'strength'")
    return scores_on(
        prepare(graph, as_of=as_of, tie_types=tie_types, weight=weight, currency=currency), metric, engine=engine
    )


def scores_on(prepared: Prepared, metric: str, *, engine: str = "auto") -> dict[str, Any]:
    """Every organisation's score on a prepared network (``projections.engines.prepare``), in node order."""
    if metric == "kcore":
        return dict(nx.core_number(prepared.simple))
    if metric in ENGINE_METRICS and choose_engine(engine, metric, len(prepared.simple)) == "igraph":
        return igraph_scores(prepared, metric)
    return networkx_scores(prepared, metric)


def ranked(
    graph: nx.Graph, scores: dict[str, Any], *, sector: str | None = None, top: int | None = None
) -> dict[str, Any]:
    """*scores* by descending score then key (undefined scores, None, last), only for *sector*, at most *top*.

    *graph* is the network the scores were computed on (for the sectors).
    """
    if top is not None and top < 0:
        raise InputError("top", f"{top} is negative", "give a count of 0 or more")
    if sector is not None:
        check_choice(sector, SECTORS, "sector")
    keys = [k for k in scores if sector is None or graph.nodes[k].get("sector") == sector]
    keys.sort(key=lambda k: (scores[k] is None, -(scores[k] or 0), k))
    return {k: scores[k] for k in keys[:top]}
