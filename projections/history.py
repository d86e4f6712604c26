"""The network through time: a metric year by year (``trend``) and what changed between two dates (``diff``).

Both read the network as it stood on each date (``as_of``, effective time):
a tie counts on day D when it started on or before D and had not ended by D.

>>> periods(2019, 2020)
[('2019', '2019-12-31'), ('2020', '2020-12-31')]
>>> periods(2019, 2019, step="quarter")[:2]
[('2019-Q1', '2019-03-31'), ('2019-Q2', '2019-06-30')]
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx

from domain.errors import InputError
from projections.centrality import ranked, scores_of
from projections.engines import METRICS, When, check_choice, check_tie_types, network_on, require_nodes
from projections.sectors import ei_index
from projections.structure import tie_row
from projections.summary import summary
from projections.timeaxes import query_day

STEPS: tuple[str, ...] = ("year", "quarter")
#: Metrics of the whole network that ``trend`` follows (see ``projections.summary``; ``ei``: ``projections.sectors``).
NETWORK_METRICS: tuple[str, ...] = (
    "ties",
    "pairs",
    "density",
    "with_ties",
    "components",
    "largest_component",
    "average_clustering",
    "transitivity",
    "diameter",
    "average_path_length",
    "ei",
)
TREND_METRICS: tuple[str, ...] = (*METRICS, *NETWORK_METRICS)


def periods(start: int, end: int, *, step: str = "year") -> list[tuple[str, str]]:
    """``(label, ISO last day)`` of every year or quarter from *start* to *end* (years, inclusive)."""
    check_choice(step, STEPS, "step")
    for year, field in ((start, "start"), (end, "end")):
        if not 1 <= year <= 9999:
            raise InputError(field, f"year {year} is out of range", "give a year such as 2019")
    if start > end:
        raise InputError("end", f"{end} is before {start}", "give the earlier year first")
    found = []
    for year in range(start, end + 1):
        if step == "year":
            found.append((f"{year:04d}", f"{year:04d}-12-31"))  # zero-padded: 0999, as ISO dates are
            continue
        for quarter in range(1, 5):
            month = 3 * quarter
            last = calendar.monthrange(year, month)[1]
            found.append((f"{year:04d}-Q{quarter}", f"{year:04d}-{month:02d}-{last:02d}"))
    return found


def trend(
    graph: nx.MultiDiGraph,
    metric: str,
    *,
    start: int,
    end: int,
    step: str = "year",
    orgs: Sequence[str] | None = None,
    weight: str = "none",
    currency: str | None = None,
    tie_types: Iterable[str] | None = None,
    top: int = 5,
    engine: str = "auto",
) -> list[dict[str, Any]]:
    """*metric* on the last day of every year (or quarter) from *start* to *end*.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        The ledger's network.
    metric : str
        A centrality metric (see ``projections.centrality``), scored for
        *orgs*; or a metric of the whole network: ``ties``, ``pairs``,
        ``density``, ``with_ties``, ``components``, ``largest_component``,
        ``average_clustering``, ``transitivity``, ``diameter``,
        ``average_path_length`` (see ``projections.summary``) or ``ei``
        (``projections.sectors``).
    start, end : int
        First and last year.
    step : {"year", "quarter"}
        One row per year (on 31 December) or per quarter (on its last day).
    orgs : sequence of str, optional
        Organisations to follow (centrality metrics only); default: the *top*
        highest scores on the last date.
    weight : {"none", "ties", "amount"}
        Pair weights (see ``projections.engines``).
    currency : str, optional
        With ``weight="amount"``: the currency weighed, ties in others left out.
    tie_types : iterable of str, optional
        Only ties of these types.

    Returns
    -------
    list of dict
        One row per date: ``period``, ``as_of`` (ISO day), then one column
        per organisation (its score; None on a day it does not exist, or when
        the metric is undefined that day) or one column named after the network
        metric.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.MultiDiGraph()
    >>> _ = g.add_edge("a", "b", tie_type="partnership", start_on="2019-05-01", end_on=None)
    >>> _ = g.add_edge("b", "c", tie_type="partnership", start_on="2020-05-01", end_on="2021-02-01")
    >>> trend(g, "degree", start=2018, end=2021, orgs=["b"])
    [{'period': '2018', 'as_of': '2018-12-31', 'b': 0.0}, {'period': '2019', 'as_of': '2019-12-31', 'b': 0.5}, \
{'period': '2020', 'as_of': '2020-12-31', 'b': 1.0}, {'period': '2021', 'as_of': '2021-12-31', 'b': 0.5}]
    >>> [row["ties"] for row in trend(g, "ties", start=2019, end=2021)]
    [1, 2, 1]
    """
    check_choice(metric, TREND_METRICS, "metric")
    dates = periods(start, end, step=step)
    rows: list[dict[str, Any]] = [{"period": label, "as_of": day} for label, day in dates]
    if metric in NETWORK_METRICS:
        if orgs:
            raise InputError("orgs", f"{metric} is a measure of the whole network", "leave out the organisations")
        for row in rows:
            row[metric] = _network_metric(graph, metric, row["as_of"], weight, tie_types)
        return rows
    if orgs:
        require_nodes(graph, orgs, "orgs")
        follow = list(dict.fromkeys(orgs))
    else:
        last_day = rows[-1]["as_of"]
        last = scores_of(
            graph, metric, weight=weight, currency=currency, as_of=last_day, tie_types=tie_types, engine=engine
        )
        follow = list(ranked(network_on(graph, last_day), last, top=top))
    for row in rows:
        scores = scores_of(
            graph, metric, weight=weight, currency=currency, as_of=row["as_of"], tie_types=tie_types, engine=engine
        )
        row.update({key: scores.get(key) for key in follow})  # None: it does not exist on that day
    return rows


def _network_metric(
    graph: nx.MultiDiGraph, metric: str, day: str, weight: str, tie_types: Iterable[str] | None
) -> float | int | None:
    if metric == "ei":
        return ei_index(graph, as_of=day, tie_types=tie_types)
    value: float | int | None = summary(graph, as_of=day, tie_types=tie_types)[metric]
    return value


def diff(
    graph: nx.MultiDiGraph,
    before: When,
    after: When,
    *,
    metric: str = "betweenness",
    weight: str = "none",
    currency: str | None = None,
    tie_types: Iterable[str] | None = None,
    top: int | None = 10,
    engine: str = "auto",
) -> dict[str, list[dict[str, Any]]]:
    """What changed between two dates: ties started, ties ended, and the biggest movers by *metric*.

    The networks on the two days (``projections.timeaxes.as_of``; ``"2019"`` is
    2019-12-31) are compared: a tie *started* when it counts on *after* but not on
    *before* (its relation started, a party joined it, or one of its organisations
    came to exist), and *ended* when it counts on *before* but not on *after*. A tie
    that started and ended between the two days is in neither network.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        The ledger's network.
    before, after : str, date or PartialDate
        The two dates (*before* earlier than *after*).
    metric : str
        The centrality metric whose change is ranked (see
        ``projections.centrality``).
    weight, currency, tie_types :
        As in ``projections.centrality.centrality``.
    top : int, optional
        How many movers to list (None: every organisation whose score moved).

    Returns
    -------
    dict
        ``started`` and ``ended``: tie rows (see
        ``projections.structure.tie_row``), as on *after* and on *before*, by
        start (started) or end (ended), then organisations; ``movers``: rows with
        ``key``, ``name``, ``sector``, ``before``, ``after`` and ``change``,
        by the size of the change (largest first), then key. An organisation that
        exists on one of the days only has no score on the other (None) and no
        ``change`` (None); it is ranked by its one score.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.MultiDiGraph()
    >>> _ = g.add_edge("a", "b", key="ab", tie_type="partnership", start="2019", start_on="2019-01-01", end_on=None)
    >>> _ = g.add_edge("b", "c", key="bc", tie_type="partnership", start="2020-03", start_on="2020-03-01", end_on=None)
    >>> d = diff(g, "2019-06-30", "2020-12-31")
    >>> [t["tie"] for t in d["started"]], d["ended"]
    (['bc'], [])
    >>> [(m["key"], m["before"], m["after"]) for m in d["movers"]]
    [('b', 0.0, 1.0)]
    """
    day1, day2 = query_day(before, "before"), query_day(after, "after")
    if day1 >= day2:
        raise InputError("after", f"{day2} is not after {day1}", "give the earlier date first")
    types = check_tie_types(tie_types)
    then, now = _ties_by_identity(graph, day1, types), _ties_by_identity(graph, day2, types)
    started = [(row["start"] or "", row) for tie, row in now.items() if tie not in then]
    ended = [(row["end"] or "", row) for tie, row in then.items() if tie not in now]
    old = scores_of(graph, metric, weight=weight, currency=currency, as_of=day1, tie_types=types, engine=engine)
    new = scores_of(graph, metric, weight=weight, currency=currency, as_of=day2, tie_types=types, engine=engine)
    networks = (network_on(graph, day2), network_on(graph, day1))
    movers = []
    for key in [*new, *(k for k in old if k not in new)]:
        was, is_now = old.get(key), new.get(key)
        change = is_now - was if is_now is not None and was is not None else None
        if (change is not None and abs(change) > 1e-12) or (change is None and (was, is_now) != (None, None)):
            attrs = next(n.nodes[key] for n in networks if key in n)
            movers.append(
                {
                    "key": key,
                    "name": attrs.get("name") or key,
                    "sector": attrs.get("sector"),
                    "before": was,
                    "after": is_now,
                    "change": change,
                }
            )
    movers.sort(key=lambda r: (-abs(_size(r)), r["key"]))
    return {
        "started": [row for _, row in sorted(started, key=_tie_order)],
        "ended": [row for _, row in sorted(ended, key=_tie_order)],
        "movers": movers[:top] if top is not None else movers,
    }


def _size(mover: dict[str, Any]) -> float:
    """How far a mover moved: its change, or for one that exists on one day only, its one score."""
    if mover["change"] is not None:
        return float(mover["change"])
    return float(mover["after"] if mover["after"] is not None else mover["before"] or 0)


def _ties_by_identity(
    graph: nx.MultiDiGraph, day: str, types: tuple[str, ...] | None
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The ties counting on *day*, as rows, by what they are: relation and organisations (not their rank)."""
    found = {}
    for u, v, k, d in network_on(graph, day).edges(keys=True, data=True):
        if types is None or d.get("tie_type") in types:
            found[(d.get("aggregate_id") or k, u, v)] = tie_row(u, v, k, d)
    return found


def _tie_order(item: tuple[str, dict[str, Any]]) -> tuple[str, str, str, str]:
    day, row = item
    return (day, row["from"], row["to"], row["tie"])
