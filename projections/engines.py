"""The network the queries score, and the fast engine (igraph) that scores it.

Every query in ``projections`` reads the ledger's network through
:func:`simple_graph`: the network on one day (``projections.timeaxes.as_of``:
the organisations that exist then, the ties that count, with the terms in force
then), of some tie types, collapsed onto an **undirected simple graph**, one
edge per pair of organisations that share at least one tie. Every organisation
of the network on that day stays a node, with or without ties. Each edge carries:

- ``ties``: how many ties join the pair (parallel ties, any direction);
- ``amount``: the summed amount in force of the pair's ties that carry one in
  the currency weighed (``currency=``, or the one currency of the ties), or None;
- ``weight``: what ``weight=`` selects -- ``"none"``: 1; ``"ties"``: the
  number of ties; ``"amount"``: the summed amount. With ``"amount"``, pairs
  whose ties carry no amount are left out (their weight would be 0). There is
  no exchange rate in the ledger, so amounts are weighed in one currency: the
  one ``currency=`` names (ties in the others are left out, and counted in
  ``simple.graph["left_out"]``: currency -> ties), else the one currency the
  ties carry; amounts in several currencies and no ``currency=`` are refused
  (``RuleViolation``; the command line asks :func:`currencies` and answers
  per currency);
- ``distance``: ``1 / weight``, for the distance-based metrics (closeness,
  harmonic): a strong tie is a short one;
- ``length``: the distance as a whole number, exactly proportional to it,
  when the weights allow: the weights (decimals) are scaled to whole numbers
  and divided by their greatest common divisor, and ``length = L / weight``
  with ``L`` the least common multiple of the results (for ``ties``: the
  lcm of the tie counts). Betweenness and shortest paths use it, so routes
  of equal length are recognised as equal (``1/3 + 1/6`` is not ``1/2`` in
  floating point); scaling every distance by one factor changes no shortest
  path. igraph's closeness and harmonic run on it too, rescaled (on tiny
  float distances igraph's sums drift by ~1e-9). When the weights are too
  varied for that (a path could exceed 1e9), ``length`` is ``distance``.

The heavy metrics (betweenness, closeness, harmonic, eigenvector, PageRank,
Louvain communities, Burt's constraint and effective size) run on igraph,
converted from the simple graph once per graph revision: conversions are
cached per ledger graph object, keyed on ``graph.graph["position"]`` (plus its
size), the as-of day, the tie types and the weight. NetworkX stays the model:
:func:`networkx_scores` computes every metric with NetworkX itself, and the
tests check that both agree (to 1e-9).

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> g.add_edge("a", "b", tie_type="partnership", start_on="2019-01-01", end_on=None)
0
>>> g.add_edge("b", "a", tie_type="support", start_on="2020-01-01", end_on=None, amount="5", currency="KRW")
0
>>> s = simple_graph(g, weight="ties")
>>> s["a"]["b"]["ties"], s["a"]["b"]["weight"], s["a"]["b"]["amount"]
(2, 2.0, 5.0)
>>> simple_graph(g, as_of="2019-06-30", weight="ties")["a"]["b"]["weight"]
1.0

``as_of`` is read as ``projections.timeaxes.query_day`` reads it (``"2019"`` is
2019-12-31); None means today.
"""

from __future__ import annotations

import math
import os
import random
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import networkx as nx

from domain.errors import InputError, RuleViolation
from projections import timeaxes
from projections.revisions import RevisionCache
from projections.timeaxes import When, query_day

P = ParamSpec("P")
R = TypeVar("R")

WEIGHTS: tuple[str, ...] = ("none", "ties", "amount")
TIE_TYPES: tuple[str, ...] = ("partnership", "agreement", "support")
#: Metrics that take no weight.
UNWEIGHTED_METRICS: tuple[str, ...] = ("degree", "kcore")
#: Metrics computed by the engine (igraph); the others are cheap in NetworkX.
ENGINE_METRICS: tuple[str, ...] = ("betweenness", "closeness", "harmonic", "eigenvector", "pagerank")
METRICS: tuple[str, ...] = ("degree", "strength", *ENGINE_METRICS, "kcore", "clustering")
#: ``auto`` picks, per metric and size, whichever of the other two answers sooner (see :func:`choose_engine`).
ENGINES: tuple[str, ...] = ("auto", "igraph", "networkx")
#: Below this many organisations, and while igraph is not loaded yet, ``auto`` computes the metric with
#: NetworkX: its time there is under the ~20 ms that loading igraph costs (``benchmarks/engines.py``
#: measures the crossing again: its "small networks" table; on a quiet 2-core machine NetworkX's betweenness
#: took 14 ms at 100 organisations and 55 ms at 200, against 19-22 ms for igraph, load included).
#: Brokers and communities always use igraph: NetworkX's constraint takes 25 ms on 20 organisations,
#: and Louvain's answer depends on the implementation.
NETWORKX_BELOW: dict[str, int] = {
    "betweenness": 150,
    "closeness": 300,
    "harmonic": 300,
    "eigenvector": 300,
    "pagerank": 100,
}

#: Longest path length (in whole-number lengths) for which exact lengths are used (see ``_set_lengths``).
_EXACT_LIMIT = 10**9
#: Conversions kept per ledger graph.
_CACHE_SIZE = 16
#: Betweenness, closeness and harmonic on at least this many organisations are split across processes.
#: Forking costs about 0.1 s of CPU: at 1,000 organisations (0.07 s of betweenness) one process is faster
#: end to end (``benchmarks/engines.py``: 0.50 s CPU / 0.68 s wall against 0.62 s / 1.22 s split, on a
#: busy 2-core machine); from a few thousand the halved search time pays for it.
PARALLEL_THRESHOLD = 2000
#: Unweighted closeness and harmonic on at least this many organisations run as multi-source searches
#: (``projections.msbfs``, about 4x igraph's): below, loading numpy (0.06 s) costs more than it saves.
MSBFS_FROM = 2000


# -- checking options -------------------------------------------------------------------------


def check_choice(value: str, allowed: Sequence[str], field: str) -> str:
    """*value* if it is one of *allowed*, else an ``InputError`` naming *field*."""
    if value not in allowed:
        raise InputError(field, f"unknown value {value!r}", "use one of " + ", ".join(allowed))
    return value


def require_nodes(network: nx.Graph, keys: Iterable[str], field: str, temporal: nx.MultiDiGraph | None = None) -> None:
    """Refuse (``RuleViolation``) a key that names no organisation of *network*.

    With *temporal* (the ledger's network, of which *network* is one day), a key the
    ledger knows but that does not exist on that day is refused as such.
    """
    for key in keys:
        if key in network:
            continue
        if temporal is not None and key in temporal:
            day = network.graph.get("as_of")
            raise RuleViolation(
                field, f"organisation {key!r} does not exist on {day}", "choose a date when it exists with --as-of"
            )
        raise RuleViolation(
            field, f"no organisation {key!r} in the ledger", "see 'netledger log --type organisation' for keys"
        )


def check_tie_types(tie_types: Iterable[str] | None) -> tuple[str, ...] | None:
    if not tie_types:
        return None
    return tuple(sorted({check_choice(t, TIE_TYPES, "tie_types") for t in tie_types}))


# -- the ties that count ----------------------------------------------------------------------


def ties(
    graph: nx.MultiDiGraph, *, as_of: When | None = None, tie_types: Iterable[str] | None = None
) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """The ties ``(source, target, key, attributes)`` that count on *as_of* (default today), of *tie_types*.

    The attributes are those in force on that day (see ``projections.timeaxes.as_of``).
    """
    types = check_tie_types(tie_types)
    for u, v, k, d in network_on(graph, as_of).edges(keys=True, data=True):
        if types is None or d.get("tie_type") in types:
            yield u, v, k, d


def network_on(graph: nx.MultiDiGraph, when: When | None = None) -> nx.MultiDiGraph:
    """The network on *when* (default today): ``projections.timeaxes.as_of``, cached per revision."""
    return timeaxes.as_of(graph, when)


def simple_graph(
    graph: nx.MultiDiGraph,
    *,
    as_of: When | None = None,
    tie_types: Iterable[str] | None = None,
    weight: str = "none",
    currency: str | None = None,
) -> nx.Graph:
    """The undirected simple graph of the ties that count (cached per graph revision; do not modify it).

    See the module docstring for the edge attributes. Every node of *graph*
    is kept, with its attributes.
    """
    return prepare(graph, as_of=as_of, tie_types=tie_types, weight=weight, currency=currency).simple


def _collapse(network: nx.MultiDiGraph, types: tuple[str, ...] | None, weight: str, currency: str | None) -> nx.Graph:
    """The undirected simple graph of a network on one day (``projections.timeaxes.as_of``)."""
    simple: nx.Graph = nx.Graph(weight=weight, as_of=network.graph.get("as_of"))
    simple.add_nodes_from(network.nodes(data=True))
    pairs: dict[tuple[str, str], list[Any]] = {}
    ties_in: dict[str, int] = {}
    for u, v, d in network.edges(data=True):
        if u == v or (types is not None and d.get("tie_type") not in types):
            continue
        pair = (u, v) if (v, u) not in pairs else (v, u)
        entry = pairs.setdefault(pair, [0, {}])
        entry[0] += 1
        if d.get("amount") is not None and d.get("currency"):
            money = d["currency"]
            entry[1][money] = entry[1].get(money, Decimal(0)) + Decimal(d["amount"])
            ties_in[money] = ties_in.get(money, 0) + 1
    chosen = currency if currency is not None else (next(iter(ties_in)) if len(ties_in) == 1 else None)
    if weight == "amount" and chosen is None and ties_in:
        raise RuleViolation(
            "currency",
            "the ties carry amounts in " + " and ".join(sorted(ties_in)) + ", which cannot be added up",
            "choose one currency (" + ", ".join(sorted(ties_in)) + "), or ask for each currency in turn",
            code="weight.several_currencies",
        )
    simple.graph["currency"] = chosen
    #: Ties whose amounts are in another currency than the one weighed (currency -> ties), for the note.
    simple.graph["left_out"] = {c: n for c, n in sorted(ties_in.items()) if c != chosen}
    exact: dict[tuple[str, str], Decimal] = {}
    for (u, v), (count, amounts) in pairs.items():
        amount = amounts.get(chosen) if chosen is not None else None
        if weight == "amount":
            if amount is None or amount <= 0:
                continue
            exact[(u, v)] = amount
        else:
            exact[(u, v)] = Decimal(count) if weight == "ties" else Decimal(1)
        simple.add_edge(
            u, v, ties=count, amount=float(amount) if amount is not None else None, weight=float(exact[(u, v)])
        )
    _set_lengths(simple, exact)
    return simple


def currencies(
    graph: nx.MultiDiGraph, *, as_of: When | None = None, tie_types: Iterable[str] | None = None
) -> dict[str, int]:
    """Currency -> how many ties carry an amount in it: on *as_of*, or on any day when it is None; sorted.

    A query weighed by amount answers for one currency at a time: there is no exchange rate in the ledger.

    >>> g = nx.MultiDiGraph()
    >>> _ = g.add_edge("a", "b", tie_type="support", start_on="2020-01-01", end_on=None, amount="5", currency="USD")
    >>> _ = g.add_edge("a", "c", tie_type="support", start_on="2021-01-01", end_on=None, amount="9", currency="KRW")
    >>> currencies(g), currencies(g, as_of="2020")
    ({'KRW': 1, 'USD': 1}, {'USD': 1})
    """
    types = check_tie_types(tie_types)
    network = graph if as_of is None else network_on(graph, as_of)
    found: dict[str, int] = {}
    for u, v, d in network.edges(data=True):
        if (
            u != v
            and d.get("amount") is not None
            and d.get("currency")
            and (types is None or d.get("tie_type") in types)
        ):
            found[d["currency"]] = found.get(d["currency"], 0) + 1
    return dict(sorted(found.items()))


def _set_lengths(simple: nx.Graph, exact: dict[tuple[str, str], Decimal]) -> None:
    """``distance`` = 1/weight; ``length`` = the same, as whole numbers when they stay small enough.

    The weights (decimals) are scaled to whole numbers and divided by their
    greatest common divisor; with L the least common multiple of the results,
    ``length = L / weight`` is a whole number for every pair. It is used when
    no path can be longer than ``_EXACT_LIMIT``: igraph compares path lengths
    with a relative tolerance of 1e-10, so whole numbers below 1e10 are
    compared exactly by igraph and NetworkX alike.
    """
    scale = _length_scale(exact.values(), simple.number_of_nodes())
    simple.graph["length_scale"] = scale[2] if scale is not None else None
    # length / distance, the same for every pair: L * divisor / factor
    simple.graph["length_per_distance"] = scale[2] * scale[1] / scale[0] if scale is not None else 1.0
    for (u, v), w in exact.items():
        d = simple[u][v]
        d["distance"] = 1.0 / d["weight"]
        if scale is None:
            d["length"] = d["distance"]
        else:
            factor, divisor, lcm = scale
            d["length"] = float(lcm // (int(w * factor) // divisor))


def _length_scale(weights: Iterable[Decimal], n: int) -> tuple[int, int, int] | None:
    """``(factor, divisor, L)``: ``w * factor // divisor`` is a whole number dividing L, for every weight w.

    None when a path could grow longer than ``_EXACT_LIMIT`` (or the weights have too many decimals).
    """
    values = set(weights)
    if not values:
        return (1, 1, 1)
    places = max(max(0, -int(w.as_tuple().exponent)) for w in values)
    if places > 18:
        return None
    wholes = [int(w.scaleb(places)) for w in values]
    divisor = math.gcd(*wholes)
    lcm = 1
    for whole in wholes:
        lcm = math.lcm(lcm, whole // divisor)
        if lcm * max(n - 1, 1) > _EXACT_LIMIT:
            return None
    return (10**places, divisor, lcm)


# -- revisions and the engine -----------------------------------------------------------------


@dataclass
class Engine:
    """The simple graph in igraph: vertex i is ``keys[i]``; edge lists follow ``graph.es``."""

    graph: Any
    keys: list[str]
    weight: list[float] | None
    distance: list[float] | None
    length: list[float] | None
    #: ``length / distance`` (1 when unweighted): scores computed on lengths are rescaled by it.
    length_per_distance: float = 1.0

    def scores(self, values: Iterable[Any]) -> dict[str, float | None]:
        return {k: float(v) for k, v in zip(self.keys, values, strict=True)}


@dataclass
class Prepared:
    """One revision of the network on one day, as the queries see it: simple graph, then (lazily) igraph.

    ``network`` is the network on that day (``projections.timeaxes.as_of``), every tie type.
    """

    network: nx.MultiDiGraph
    simple: nx.Graph
    weighted: bool
    _engine: Engine | None = field(default=None, repr=False)

    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = to_igraph(self.simple, weighted=self.weighted)
        return self._engine


_prepared: RevisionCache[Prepared] = RevisionCache(_CACHE_SIZE)


def prepare(
    graph: nx.MultiDiGraph,
    *,
    as_of: When | None = None,
    tie_types: Iterable[str] | None = None,
    weight: str = "none",
    currency: str | None = None,
) -> Prepared:
    """The network on *as_of* (default today) and its simple graph for these options, cached per revision.

    Only a ledger graph (one with ``graph.graph["position"]``, not a view) is
    cached: its revision is known. Anything else is converted afresh.
    """
    check_choice(weight, WEIGHTS, "weight")
    day = query_day(as_of)
    types = check_tie_types(tie_types)

    def compute() -> Prepared:
        network = network_on(graph, day)
        return Prepared(network, _collapse(network, types, weight, currency), weighted=weight != "none")

    return _prepared.get(graph, (day, types, weight, currency), compute)


def choose_engine(engine: str, metric: str, size: int) -> str:
    """The engine that computes *metric* on *size* organisations: *engine*, or for ``auto`` the quicker one.

    ``auto`` means NetworkX for a small network while igraph is not loaded
    (``NETWORKX_BELOW``), igraph otherwise. Both give the same scores (to 1e-9).

    >>> choose_engine("networkx", "betweenness", 10_000)
    'networkx'
    >>> choose_engine("auto", "betweenness", 10_000)
    'igraph'
    """
    check_choice(engine, ENGINES, "engine")
    if engine != "auto":
        return engine
    if metric in NETWORKX_BELOW and size < NETWORKX_BELOW[metric] and "igraph" not in sys.modules:
        return "networkx"
    return "igraph"


def _igraph() -> Any:
    """Import igraph: without matplotlib, and with OpenMP on one thread unless told otherwise.

    ``import igraph`` imports ``matplotlib.pyplot`` when it can, for its own
    drawing, which netledger never uses: 0.5 to 0.7 s of a query's start-up
    (measured). igraph is written to work without matplotlib, so while igraph
    loads, matplotlib is made to look absent (:func:`hidden`); a later
    ``import matplotlib`` (to draw) works as usual. If matplotlib is already
    loaded, nothing is hidden.

    With two threads on a machine whose other core is busy, OpenMP's waiting
    made one PageRank of 1,000 organisations take 0.002 to 0.6 s (measured);
    on one thread it takes 0.0013 s every time. The metrics worth spreading
    over cores are spread by ``_split``, with processes. ``OMP_NUM_THREADS``
    must be set before the library loads, so this only acts if igraph is not
    imported yet, and never overrides a value already set.
    """
    if "igraph" in sys.modules:
        return sys.modules["igraph"]
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with hidden("matplotlib"):
        import igraph  # type: ignore[import-untyped]
    return igraph


@contextmanager
def hidden(*packages: str) -> Iterator[None]:
    """While inside, ``import`` of *packages* not loaded yet fails with ImportError, as if they were absent.

    igraph uses two optional packages it can live without: ``import igraph``
    imports ``matplotlib.pyplot`` (for its drawing, 0.5 to 0.7 s), and every
    ``igraph.Graph(...)`` imports numpy (0.06 to 0.1 s) to accept arrays.
    netledger uses neither through igraph, so it hides them from it.
    """
    absent = [p for p in packages if p not in sys.modules]
    if not absent:
        yield
        return
    finder = _Hide(absent)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


def without_numpy(f: Callable[P, R]) -> Callable[P, R]:
    """Decorator: run *f* with numpy hidden (see :func:`hidden`), for the functions that call igraph."""

    @wraps(f)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with hidden("numpy"):
            return f(*args, **kwargs)

    return run


class _Hide:
    """A finder that makes ``import`` of some packages fail while it is on ``sys.meta_path``."""

    def __init__(self, packages: list[str]) -> None:
        self.packages = packages

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.partition(".")[0] in self.packages:
            raise ImportError(f"{name} is hidden while igraph loads (netledger does not use it through igraph)")
        return None


@without_numpy
def to_igraph(simple: nx.Graph, *, weighted: bool) -> Engine:
    """Convert an undirected simple graph (as made by :func:`simple_graph`) to igraph."""
    ig = _igraph()
    keys = list(simple)
    index = {k: i for i, k in enumerate(keys)}
    edges = []
    weight, distance, length = [], [], []
    for u, v, d in simple.edges(data=True):
        edges.append((index[u], index[v]))
        weight.append(d.get("weight", 1.0))
        distance.append(d.get("distance", 1.0))
        length.append(d.get("length", 1.0))
    g = ig.Graph(n=len(keys), edges=edges, directed=False)
    if not weighted:
        return Engine(g, keys, None, None, None)
    g.es["weight"] = weight
    return Engine(g, keys, weight, distance, length, simple.graph.get("length_per_distance", 1.0))


# -- the metrics on igraph --------------------------------------------------------------------


def igraph_scores(prepared: Prepared, metric: str) -> dict[str, float | None]:
    """Scores of an engine metric, computed by igraph, normalised as NetworkX does (see ``centrality``).

    Unweighted closeness and harmonic from ``MSBFS_FROM`` organisations are searched by
    ``projections.msbfs`` instead: numpy is loaded first, since igraph's calls run with it hidden.
    """
    if metric in ("closeness", "harmonic") and _searched(prepared.weighted, prepared.simple.number_of_nodes()):
        import numpy  # noqa: F401
    return _igraph_scores(prepared, metric)


def _searched(weighted: bool, n: int) -> bool:
    """Whether closeness and harmonic are computed by multi-source search (``projections.msbfs``)."""
    return not weighted and n >= MSBFS_FROM


@without_numpy
def _igraph_scores(prepared: Prepared, metric: str) -> dict[str, float | None]:
    e = prepared.engine()
    n = len(e.keys)
    if n == 0:
        return {}
    if metric == "betweenness":
        raw = _split(e, "betweenness")
        scale = 2.0 / ((n - 1) * (n - 2)) if n > 2 else 1.0
        return e.scores(x * scale for x in raw)
    if metric == "closeness":
        if n == 1:
            return e.scores([0.0])
        # on whole-number lengths igraph is exact (on tiny float distances its sums drift by ~1e-9)
        k = e.length_per_distance
        sizes = component_sizes(e)
        close = _split(e, "closeness")
        return e.scores(
            0.0 if size == 1 or c != c else k * c * (size - 1) / (n - 1) for c, size in zip(close, sizes, strict=True)
        )
    if metric == "harmonic":
        k = e.length_per_distance
        return e.scores(k * h for h in _split(e, "harmonic"))
    if metric == "eigenvector":
        if e.graph.ecount() == 0:
            return dict.fromkeys(e.keys)  # undefined without a tie (see ``projections.centrality``)
        return e.scores(_eigenvector(e))
    if metric == "pagerank":
        return e.scores(e.graph.pagerank(directed=False, damping=0.85, weights=e.weight))
    raise InputError("metric", f"{metric!r} is not computed by the engine", "use one of " + ", ".join(ENGINE_METRICS))


def component_sizes(e: Engine) -> list[int]:
    """For each vertex, the size of its connected component."""
    sizes = [0] * len(e.keys)
    for members in e.graph.connected_components():
        for v in members:
            sizes[v] = len(members)
    return sizes


def _split(e: Engine, metric: str) -> list[float]:
    """Betweenness (raw, each pair once), closeness or harmonic of every vertex, across processes when large.

    All three run one shortest-path search per vertex, so the vertices are
    dealt out to ``_workers()`` forked processes: for betweenness each
    process counts the paths from its share of sources and the counts are
    added up; for closeness and harmonic each scores its share of vertices.
    """
    n = len(e.keys)
    workers = _workers()
    if n < PARALLEL_THRESHOLD or workers < 2:
        return _from(e, metric, range(n))
    import multiprocessing

    global _shared
    _shared = e
    shares = [range(i, n, workers) for i in range(workers)]
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.starmap(_in_worker, [(metric, share) for share in shares])
    finally:
        _shared = None
    if metric == "betweenness":
        return [math.fsum(values) for values in zip(*parts, strict=True)]
    values = [0.0] * n
    for share, part in zip(shares, parts, strict=True):
        for v, x in zip(share, part, strict=True):
            values[v] = x
    return values


def _from(e: Engine, metric: str, vertices: range) -> list[float]:
    """*metric* for *vertices* (betweenness: of every vertex, over the paths from *vertices*)."""
    g = e.graph
    whole = len(vertices) == g.vcount()
    if metric == "betweenness":
        if whole:
            return list(g.betweenness(directed=False, weights=e.length))
        return list(g.betweenness(directed=False, weights=e.length, sources=vertices))
    if e.length is None and _searched(False, g.vcount()):
        from projections.msbfs import searches

        reach, total, harmonic = searches(g.vcount(), g.get_edgelist(), vertices)
        if metric == "harmonic":
            return [float(h) for h in harmonic]
        # igraph's normalised closeness: (reached - 1) / total distance, NaN for a search that reaches nobody
        return [(r - 1) / t if t else math.nan for r, t in zip(reach.tolist(), total.tolist(), strict=True)]
    chosen = None if whole else vertices
    if metric == "closeness":
        return list(g.closeness(vertices=chosen, weights=e.length, normalized=True))
    return list(g.harmonic_centrality(vertices=chosen, weights=e.length, normalized=False))


_shared: Engine | None = None


def _in_worker(metric: str, vertices: range) -> list[float]:
    assert _shared is not None
    return _from(_shared, metric, vertices)


def _workers() -> int:
    """Processes for the shortest-path metrics: ``NETLEDGER_WORKERS``, else the usable cores (Linux only)."""
    if sys.platform != "linux":
        return 1
    setting = os.environ.get("NETLEDGER_WORKERS", "")
    if setting.isdigit():
        return max(1, int(setting))
    return len(os.sched_getaffinity(0))


def _eigenvector(e: Engine) -> list[float]:
    """NetworkX's eigenvector centrality: the leading eigenvector of the whole graph, Euclidean norm 1.

    igraph scores each connected component on its own; NetworkX's power
    iteration (started from all ones) ends on the components whose leading
    eigenvalue is the largest, each weighted by the sum of its unit
    eigenvector, with zeros elsewhere (isolated organisations score 0). That
    is rebuilt here component by component. Called only on a network with ties:
    without any, eigenvector centrality is undefined (None, see ``igraph_scores``).
    """
    g = e.graph
    n = len(e.keys)
    parts: list[tuple[float, list[int], list[float]]] = []
    for found in g.connected_components():
        members = sorted(found)
        if len(members) == 1:
            parts.append((0.0, members, [1.0]))
            continue
        whole = len(members) == n  # one component: no copy of the graph
        sub = g if whole else g.induced_subgraph(members, implementation="create_from_scratch")
        weights = sub.es["weight"] if e.weight is not None else None
        vector, value = sub.eigenvector_centrality(weights=weights, return_eigenvalue=True)
        norm = math.sqrt(math.fsum(x * x for x in vector))
        parts.append((value, members, [x / norm for x in vector]))
    top = max(value for value, _, _ in parts)
    scores = [0.0] * n
    for value, members, vector in parts:
        if value >= top - 1e-9 * max(1.0, top):
            mass = math.fsum(vector)
            for v, x in zip(members, vector, strict=True):
                scores[v] = mass * x
    norm = math.sqrt(math.fsum(x * x for x in scores))
    return [x / norm for x in scores]


@without_numpy
def louvain(prepared: Prepared, *, seed: int = 0, resolution: float = 1.0, runs: int = 3) -> list[set[str]]:
    """Louvain communities (igraph's multilevel algorithm): the best modularity of *runs* runs.

    Louvain's result depends on the random order it visits organisations in;
    keeping the best of a few runs steadies it (on 1k-organisation test graphs
    one run ranged over +-2% of modularity; the best of 3 stayed within 1% of
    NetworkX's mean). The runs' seeds derive from *seed*: same seed, same answer.
    """
    ig = _igraph()
    e = prepared.engine()
    if not e.keys:
        return []
    seeds = random.Random(seed)
    best: tuple[float, list[int]] | None = None
    try:
        for _ in range(max(1, runs)):
            ig.set_random_number_generator(random.Random(seeds.getrandbits(64)))
            membership = e.graph.community_multilevel(weights=e.weight, resolution=resolution).membership
            q = e.graph.modularity(membership, weights=e.weight, resolution=resolution)
            if best is None or q > best[0]:
                best = (q, membership)
    finally:
        ig.set_random_number_generator(random)
    assert best is not None
    membership = best[1]
    found: dict[int, set[str]] = {}
    for key, c in zip(e.keys, membership, strict=True):
        found.setdefault(c, set()).add(key)
    return list(found.values())


@without_numpy
def burt(prepared: Prepared) -> tuple[dict[str, float | None], dict[str, float | None]]:
    """Burt's constraint and effective size of every organisation (None for one with no tie).

    Constraint is igraph's (the same formula as ``nx.constraint``). Effective
    size is ``degree - redundancy``, the redundancy summed over the triangles
    of each organisation (``nx.effective_size``'s formula without its dense
    matrix): in a triangle (u, j, q) it adds ``p(u,q) m(j,q) + p(u,j) m(q,j)``
    with ``p(u,q) = w(u,q) / strength(u)`` and ``m(j,q) = w(j,q) / max_k w(j,k)``.
    """
    e = prepared.engine()
    g = e.graph
    constraint = [None if c != c else float(c) for c in g.constraint(weights=e.weight)]
    n = len(e.keys)
    edges = [(a, b) if a < b else (b, a) for a, b in g.get_edgelist()]
    w = e.weight or [1.0] * len(edges)
    strength = [0.0] * n
    strongest = [0.0] * n
    for (a, b), x in zip(edges, w, strict=True):
        strength[a] += x
        strength[b] += x
        strongest[a] = max(strongest[a], x)
        strongest[b] = max(strongest[b], x)
    weight_of = dict(zip(edges, w, strict=True))
    redundancy = [0.0] * n
    for tri in g.list_triangles():
        a, b, c = sorted(tri)
        wab, wac, wbc = weight_of[(a, b)], weight_of[(a, c)], weight_of[(b, c)]
        for u, j, q, wuj, wuq, wjq in ((a, b, c, wab, wac, wbc), (b, a, c, wab, wbc, wac), (c, a, b, wac, wbc, wab)):
            redundancy[u] += (wuq * wjq / strongest[j] + wuj * wjq / strongest[q]) / strength[u]
    degree = g.degree()
    size: list[float | None] = [None if d == 0 else float(d - r) for d, r in zip(degree, redundancy, strict=True)]
    return dict(zip(e.keys, constraint, strict=True)), dict(zip(e.keys, size, strict=True))


# -- the same metrics with NetworkX (the reference) -------------------------------------------


def networkx_scores(prepared: Prepared, metric: str) -> dict[str, float | None]:
    """Scores of any centrality metric, computed with NetworkX itself (slow; the reference).

    Eigenvector and PageRank run with tolerance 1e-13 (NetworkX's defaults,
    1e-6, leave errors near 1e-7).
    """
    s = prepared.simple
    w = "weight" if prepared.weighted else None
    if s.number_of_nodes() == 0:
        return {}
    if metric == "eigenvector" and s.number_of_edges() == 0:
        return dict.fromkeys(s)  # undefined without a tie (see ``projections.centrality``)
    compute: dict[str, Callable[[], dict[Any, Any]]] = {
        "degree": lambda: nx.degree_centrality(s),
        "strength": lambda: dict(s.degree(weight="weight")),
        "betweenness": lambda: nx.betweenness_centrality(s, weight="length" if w else None),
        "closeness": lambda: nx.closeness_centrality(s, distance="distance" if w else None),
        "harmonic": lambda: nx.harmonic_centrality(s, distance="distance" if w else None),
        "eigenvector": lambda: nx.eigenvector_centrality(s, weight=w, max_iter=100_000, tol=1e-13),
        "pagerank": lambda: _networkx_pagerank(s, w),
        "kcore": lambda: nx.core_number(s),
        "clustering": lambda: dict(nx.clustering(s, weight=w)),  # type: ignore[arg-type]  # a dict, given all nodes
    }
    check_choice(metric, METRICS, "metric")
    return {k: float(v) for k, v in compute[metric]().items()}


def _networkx_pagerank(s: nx.Graph, weight: str | None) -> dict[Any, float]:
    try:
        import scipy  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:  # nx.pagerank needs scipy; its pure-Python power iteration is the same method
        from networkx.algorithms.link_analysis import pagerank_alg

        python_pagerank: Any = getattr(pagerank_alg, "_pagerank_python")  # noqa: B009  # private, stable since 2.x
        return python_pagerank(s, alpha=0.85, weight=weight, max_iter=100_000, tol=1e-13)
    return nx.pagerank(s, alpha=0.85, weight=weight, max_iter=100_000, tol=1e-13)


# -- the network's shape -----------------------------------------------------------------------


def path_shape(core: nx.Graph) -> tuple[float, int]:
    """``(average path length, diameter)`` of a connected graph, in steps: NetworkX's numbers.

    On a graph of ``NETWORKX_BELOW["closeness"]`` organisations or more (one search from every
    organisation, like closeness) igraph computes them: NetworkX took 31 s for a summary of 2,000
    organisations and 100,000 ties (``benchmarks/rebuild.py``).

    >>> path_shape(nx.path_graph(4))
    (1.6666666666666667, 3)
    """
    n = core.number_of_nodes()
    if n <= 1:
        return 0.0, 0
    if choose_engine("auto", "closeness", n) == "networkx":
        return float(nx.average_shortest_path_length(core)), int(nx.diameter(core))
    g = to_igraph(core, weighted=False).graph
    return float(g.average_path_length(directed=False)), int(g.diameter(directed=False))


def clustering_shape(simple: nx.Graph) -> tuple[float, float]:
    """``(average clustering, transitivity)`` as ``nx.average_clustering`` (isolated: 0) and ``nx.transitivity``.

    igraph computes them from ``NETWORKX_BELOW["closeness"]`` organisations.

    >>> clustering_shape(nx.complete_graph(4))
    (1.0, 1.0)
    """
    n = simple.number_of_nodes()
    if choose_engine("auto", "closeness", n) == "networkx" or n == 0:
        return float(nx.average_clustering(simple)), float(nx.transitivity(simple))
    g = to_igraph(simple, weighted=False).graph
    average = g.transitivity_avglocal_undirected(mode="zero")
    whole = g.transitivity_undirected(mode="zero")
    return float(average), float(whole if whole == whole else 0.0)
