"""``netledger network``: read the network the ledger implies (centrality, brokers, communities, ...).

Each command parses its options, calls the library function of the same name
in ``projections`` and renders the rows. NetworkX and igraph are imported
inside the commands only: the write path never pays for them.

Every query takes the same options for *which* network: ``--as-of`` (the
world's date, default today), ``--known-at`` or ``--position`` (what the
ledger had recorded by then), ``--tie-type``; and ``--format``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click

from cli.context import currency_code, reads
from cli.output import emit, force_option, format_option, output_to, terminal
from cli.when import KNOWN_AT_HELP, POSITION_HELP, as_of_option, count, cut_of, day
from domain.errors import InputError, LedgerError
from domain.files import Output
from domain.ledger import Ledger

METRIC_HELP = "degree|strength|betweenness|eigenvector|pagerank|closeness|harmonic|kcore|clustering"
WEIGHT_HELP = "none|ties|amount"
LAYOUT_HELP = "spring|kamada-kawai|circular|shell"


# -- shared options ---------------------------------------------------------------------------


def query_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--as-of, --known-at, --position, --tie-type and --format, shared by every query."""
    return network_options(format_option()(f))


def network_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--as-of, --known-at, --position and --tie-type: which network (the pictures take no --format)."""
    for option in reversed(
        [
            as_of_option(
                "The network in the world on DATE: YYYY and YYYY-MM mean the last day of that year or month "
                "(default: today)."
            ),
            click.option("--known-at", "known_at", metavar="TIMESTAMP", help=KNOWN_AT_HELP),
            click.option("--position", metavar="N", help=POSITION_HELP),
            click.option(
                "--tie-type",
                "tie_types",
                multiple=True,
                metavar="TYPE",
                help="Only ties of this type: partnership, agreement or support (repeatable).",
            ),
        ]
    ):
        f = option(f)
    return f


def weight_option(default: str = "none") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--weight",
        default=default,
        show_default=True,
        metavar=WEIGHT_HELP,
        help="Pair weights: none (1), ties (number of ties) or amount (summed amounts, one answer per currency).",
    )


def currency_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--currency",
        metavar="CODE",
        help="With --weight amount: weigh amounts in this currency only (ties in others are left out, counted "
        "in a note). Default: one answer per currency when the ties carry several.",
    )(f)


def _currency(value: str | None) -> str | None:
    return currency_code(value, "--currency")


def per_currency(
    graph: Any, weight: str, currency: str | None, as_of: str | None, tie_types: Sequence[str] | None
) -> list[str | None]:
    """The currencies to answer for, one answer each: ``[None]`` (one answer) unless *weight* is ``amount``.

    With ``--currency`` that one (and a note on stderr counting the ties left out);
    without it, every currency the ties carry when there are several (on *as_of*, or
    on any day when it is None), so an amount query never adds up two currencies.
    """
    from projections.engines import currencies

    if weight != "amount":
        return [None]
    found = currencies(graph, as_of=as_of, tie_types=tie_types)
    if currency is None:
        return list(found) if len(found) > 1 else [None]
    left_out = {c: n for c, n in found.items() if c != currency}
    if left_out:
        counts = ", ".join(f"{n} in {c}" for c, n in left_out.items())
        ties = "tie" if sum(left_out.values()) == 1 else "ties"
        click.echo(
            f"note: amounts in {currency} only; {ties} with amounts in other currencies left out: {counts}", err=True
        )
    return [currency]


def _in(currency: str | None, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """*rows*, each led by its currency when the answer is per currency."""
    return list(rows) if currency is None else [{"currency": currency, **row} for row in rows]


def _columns(answers: Sequence[str | None], columns: Sequence[str]) -> list[str]:
    return ["currency", *columns] if answers != [None] else list(columns)


def top_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--all", "show_all", is_flag=True, help="Show every row (not with --top).")(f)
    return click.option("--top", metavar="N", help="Show the first N rows (default 10).")(f)


def sector_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--sector", metavar="SECTOR", help="Only show organisations of this sector.")(f)


class Query:
    """The parsed network options of one command: the day (--as-of) and the cut (--known-at, --position)."""

    def __init__(self, ledger: Ledger, as_of: str | None, known_at: str | None, position: str | None) -> None:
        self.day = day(as_of)
        self.cut = cut_of(known_at, position)
        self.ledger = ledger

    def graph(self) -> Any:
        """The ledger's temporal network as known at the cut (``projections.store.load_network``)."""
        from projections.store import load_network

        return load_network(self.ledger, position=self.cut.position, known_at=self.cut.known_at)


def _top(top: str | None, show_all: bool, default: int = 10) -> int | None:
    if top is not None and show_all:
        raise InputError("--top", "give --top or --all, not both", "drop one of the two")
    if show_all:
        return None
    number = count(top, "--top")
    return default if number is None else number


def _choice(value: str | None, allowed: Iterable[str], field: str) -> Any:
    from projections.engines import check_choice

    return value if value is None else check_choice(value, tuple(allowed), field)


def _tie_types(values: Sequence[str]) -> tuple[str, ...] | None:
    from projections.engines import TIE_TYPES

    return tuple(_choice(v, TIE_TYPES, "--tie-type") for v in values) or None


def _sector(value: str | None) -> str | None:
    from domain.sectors import SECTORS

    return _choice(value, SECTORS, "--sector")


def _weight(value: str) -> str:
    from projections.engines import WEIGHTS

    return _choice(value, WEIGHTS, "--weight")


def _metric_weight(metric: str, weight: str) -> str:
    from projections.engines import UNWEIGHTED_METRICS

    if metric in UNWEIGHTED_METRICS and weight != "none":
        raise InputError("--weight", f"{metric} takes no weight", "leave out --weight, or use --metric strength")
    return _weight(weight)


def _keys(graph: Any, keys: Iterable[str], field: str, on: str | None = None) -> list[str]:
    """The keys of the organisations *keys* name (a key, a name or an identifier: ``projections.directory``).

    Refuses one the ledger does not know, with the closest keys, or, with *on*, one that
    does not exist on that day.
    """
    from projections.directory import resolve_all
    from projections.engines import network_on, require_nodes

    found = resolve_all(graph, keys, field)
    if on is not None:
        require_nodes(network_on(graph, on), found, field, graph)
    return found


def show(rows: Iterable[dict[str, Any]], fmt: str, columns: Sequence[str]) -> None:
    """Emit *rows*; in a table, lists are joined and a column of floats is shown with 4 decimals
    (without decimals when all its values are whole numbers, in each currency of a per-currency answer)."""
    if fmt == "table":
        rows = list(rows)
        # per currency when the answer is per currency: KRW scores stay whole beside USD cents
        whole = {
            (money, c): all(
                v.is_integer()
                for r in rows
                if r.get("currency") == money and isinstance(v := r.get(c), float) and not isinstance(v, bool)
            )
            for money in {r.get("currency") for r in rows}
            for c in columns
        }
        rows = [{c: _cell(r.get(c), whole[(r.get("currency"), c)]) for c in columns} for r in rows]
    emit(rows, fmt, columns)


def _cell(value: Any, whole: bool) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return f"{value:.0f}" if whole else f"{value:.4f}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return value


# -- the group ------------------------------------------------------------------------------


@click.group()
def network() -> None:
    """Read the network: centrality, brokers, communities, paths, sector mix, trends.

    Ties are the ledger's relations as pairs (a relation of k parties makes a
    tie between every two of them); each query collapses them onto one
    undirected link per pair. See docs/planner.md for what each score means.
    """


@network.command()
@query_options
@reads
def summary(ledger: Ledger, as_of: str | None, known_at: str | None, position: str | None, **kw: Any) -> None:
    """Organisations by sector, ties by type, density, components."""
    from projections.summary import summary as compute

    q = Query(ledger, as_of, known_at, position)
    tie_types = _tie_types(kw["tie_types"])
    s = compute(q.graph(), as_of=q.day, tie_types=tie_types)
    rows = [{"section": "organisations", "name": "all", "value": s["organisations"]}]
    rows += [{"section": "organisations", "name": k, "value": v} for k, v in s["organisations_by_sector"].items()]
    rows.append({"section": "organisations", "name": "with ties", "value": s["with_ties"]})
    rows.append({"section": "ties", "name": "all", "value": s["ties"]})
    rows += [{"section": "ties", "name": k, "value": v} for k, v in s["ties_by_type"].items()]
    rows += [{"section": "ties by kind", "name": k, "value": v} for k, v in s["ties_by_kind"].items()]
    for name in ("pairs", "density", "components", "largest_component", "isolated"):
        rows.append({"section": "network", "name": name.replace("_", " "), "value": s[name]})
    for name in ("average_clustering", "transitivity", "diameter", "average_path_length"):
        rows.append({"section": "shape", "name": name.replace("_", " "), "value": s[name]})
    show(rows, kw["fmt"], ["section", "name", "value"])


@network.command()
@click.option("--metric", default="degree", show_default=True, metavar=METRIC_HELP, help="The centrality score.")
@weight_option()
@currency_option
@top_options
@sector_option
@query_options
@reads
def centrality(
    ledger: Ledger,
    metric: str,
    weight: str,
    currency: str | None,
    top: str | None,
    show_all: bool,
    sector: str | None,
    as_of: str | None,
    known_at: str | None,
    position: str | None,
    **kw: Any,
) -> None:
    """Rank organisations by a centrality score, highest first."""
    from projections.centrality import centrality as compute
    from projections.engines import METRICS

    q = Query(ledger, as_of, known_at, position)
    metric = _choice(metric, METRICS, "--metric")
    weight, tie_types = _metric_weight(metric, weight), _tie_types(kw["tie_types"])
    options = dict(weight=weight, tie_types=tie_types, sector=_sector(sector))
    limit = _top(top, show_all)
    graph = q.graph()
    network = _network_on(graph, q.day)
    answers = per_currency(graph, weight, _currency(currency), q.day, tie_types)
    rows = []
    for money in answers:
        scores = compute(graph, metric, as_of=q.day, top=limit, currency=money, **options)  # type: ignore[arg-type]
        rows += _in(
            money,
            (
                {"rank": i, **_who(network, key), "score": score, "metric": metric}
                for i, (key, score) in enumerate(scores.items(), start=1)
            ),
        )
    show(rows, kw["fmt"], _columns(answers, ["rank", "key", "name", "sector", "score"]))


def _network_on(graph: Any, when: str) -> Any:
    from projections.engines import network_on

    return network_on(graph, when)


def _who(graph: Any, key: str) -> dict[str, Any]:
    attrs = graph.nodes[key]
    return {"key": key, "name": attrs.get("name") or key, "sector": attrs.get("sector")}


@network.command()
@weight_option()
@currency_option
@top_options
@sector_option
@query_options
@reads
def brokers(
    ledger: Ledger,
    weight: str,
    currency: str | None,
    top: str | None,
    show_all: bool,
    sector: str | None,
    as_of: str | None,
    known_at: str | None,
    position: str | None,
    **kw: Any,
) -> None:
    """Burt's constraint and effective size: the brokers first (lowest constraint)."""
    from projections.structure import brokers as compute

    q = Query(ledger, as_of, known_at, position)
    weight, tie_types = _weight(weight), _tie_types(kw["tie_types"])
    options = dict(weight=weight, tie_types=tie_types, sector=_sector(sector))
    graph = q.graph()
    answers = per_currency(graph, weight, _currency(currency), q.day, tie_types)
    rows = []
    for money in answers:
        found = compute(graph, as_of=q.day, top=_top(top, show_all), currency=money, **options)  # type: ignore[arg-type]
        rows += _in(money, found)
    columns = ["key", "name", "sector", "degree", "constraint", "effective_size", "efficiency"]
    show(rows, kw["fmt"], _columns(answers, columns))


@network.command()
@weight_option()
@currency_option
@click.option("--seed", default="0", show_default=True, metavar="N", help="Seed of Louvain's random order.")
@click.option(
    "--resolution", default="1", show_default=True, metavar="X", help="Above 1: smaller communities; below: larger."
)
@query_options
@reads
def communities(
    ledger: Ledger,
    weight: str,
    currency: str | None,
    seed: str,
    resolution: str,
    as_of: str | None,
    known_at: str | None,
    position: str | None,
    **kw: Any,
) -> None:
    """Louvain communities (reproducible with --seed), their members and modularity."""
    from projections.structure import communities as compute

    q = Query(ledger, as_of, known_at, position)
    seed_number = count(seed, "--seed")
    try:
        res = float(resolution)
    except ValueError:
        res = math.nan
    if not res > 0 or math.isinf(res):
        raise InputError("--resolution", f"{resolution!r} is not a number above 0", "give a number such as 1")
    graph, tie_types = q.graph(), _tie_types(kw["tie_types"])
    answers = per_currency(graph, _weight(weight), _currency(currency), q.day, tie_types)
    rows, totals = [], []
    for money in answers:
        found = compute(
            graph,
            weight=_weight(weight),
            currency=money,
            as_of=q.day,
            tie_types=tie_types,
            seed=seed_number or 0,
            resolution=res,
        )
        rows += _in(money, found["communities"])
        totals.append((money, found))
    show(rows, kw["fmt"], _columns(answers, ["community", "size", "modularity", "sectors", "members"]))
    if kw["fmt"] == "table":
        for money, found in totals:
            click.echo(
                (f"{money}: " if money else "") + f"modularity {found['modularity']:.4f} (the sum of the rows); "
                f"{found['isolated']} organisations without ties are not listed"
            )


@network.command()
@click.argument("source")
@click.argument("target")
@weight_option()
@currency_option
@query_options
@reads
def path(
    ledger: Ledger,
    source: str,
    target: str,
    weight: str,
    currency: str | None,
    as_of: str | None,
    known_at: str | None,
    position: str | None,
    **kw: Any,
) -> None:
    """A shortest path from SOURCE to TARGET, with the ties that make each step."""
    from projections.structure import path as compute

    q = Query(ledger, as_of, known_at, position)
    graph = q.graph()
    [source] = _keys(graph, [source], "SOURCE", q.day)
    [target] = _keys(graph, [target], "TARGET", q.day)
    tie_types = _tie_types(kw["tie_types"])
    answers = per_currency(graph, _weight(weight), _currency(currency), q.day, tie_types)
    rows, refusals = [], []
    for money in answers:
        try:
            steps = compute(
                graph, source, target, weight=_weight(weight), currency=money, as_of=q.day, tie_types=tie_types
            )
        except LedgerError as refused:
            if len(answers) == 1:
                raise
            refusals.append(refused)  # no path in this currency: say so, answer in the others
            click.echo(f"note: {money}: no path joins {source!r} and {target!r} through ties in {money}", err=True)
            continue
        rows += _in(money, steps)
    if refusals and len(refusals) == len(answers):
        raise refusals[0]
    show(
        rows,
        kw["fmt"],
        _columns(answers, ["step", "from", "to", "tie_type", "kind", "title", "start", "end", "recorded"]),
    )


@network.command()
@click.argument("key")
@click.option("--radius", default="1", show_default=True, metavar="R", help="How many steps out.")
@query_options
@reads
def ego(
    ledger: Ledger,
    key: str,
    radius: str,
    as_of: str | None,
    known_at: str | None,
    position: str | None,
    **kw: Any,
) -> None:
    """The neighbourhood of organisation KEY: every tie within --radius steps."""
    from projections.structure import ego as compute

    q = Query(ledger, as_of, known_at, position)
    steps = count(radius, "--radius")
    graph = q.graph()
    [key] = _keys(graph, [key], "KEY", q.day)
    rows = compute(graph, key, radius=steps or 0, as_of=q.day, tie_types=_tie_types(kw["tie_types"]))
    show(rows, kw["fmt"], ["hop", "from", "to", "tie_type", "kind", "title", "start", "end"])


@network.command()
@weight_option("ties")
@currency_option
@query_options
@reads
def mix(
    ledger: Ledger,
    weight: str,
    currency: str | None,
    as_of: str | None,
    known_at: str | None,
    position: str | None,
    **kw: Any,
) -> None:
    """The sector-by-sector tie matrix and the E-I index ((E-I)/(E+I)), across the four sectors of the
    quadruple helix (university, firm, government, civil_society) and the others."""
    from projections.sectors import mix as compute

    q = Query(ledger, as_of, known_at, position)
    graph, tie_types = q.graph(), _tie_types(kw["tie_types"])
    answers = per_currency(graph, _weight(weight), _currency(currency), q.day, tie_types)
    rows: list[dict[str, Any]] = []
    sectors: list[str] = []
    for money in answers:
        m = compute(graph, weight=_weight(weight), currency=money, as_of=q.day, tie_types=tie_types)
        sectors = m["sectors"]
        for s in m["sectors"]:
            own = m["by_sector"][s]
            rows += _in(money, [{"sector": s, **m["matrix"][s], **{k: own[k] for k in ("internal", "external", "ei")}}])
        rows += _in(money, [{"sector": "all", "internal": m["internal"], "external": m["external"], "ei": m["ei"]}])
    show(rows, kw["fmt"], _columns(answers, ["sector", *sectors, "internal", "external", "ei"]))


@network.command()
@click.option("--metric", required=True, metavar="METRIC", help=f"{METRIC_HELP}, or a network measure.")
@click.option("--org", "orgs", multiple=True, metavar="KEY", help="Organisation to follow (repeatable; default top 5).")
@click.option("--from", "start", required=True, metavar="YEAR", help="First year.")
@click.option("--to", "end", required=True, metavar="YEAR", help="Last year.")
@click.option("--step", default="year", show_default=True, metavar="year|quarter", help="One row per year or quarter.")
@click.option(
    "--plot", metavar="FILE", help="Also draw a line chart to FILE (.png, .svg or .pdf), one line per organisation."
)
@force_option
@weight_option()
@currency_option
@query_options
@reads
def trend(
    ledger: Ledger,
    metric: str,
    orgs: tuple[str, ...],
    start: str,
    end: str,
    step: str,
    plot: str | None,
    force: bool,
    weight: str,
    currency: str | None,
    as_of: str | None,
    known_at: str | None,
    position: str | None,
    **kw: Any,
) -> None:
    """A metric on the last day of each year (or quarter), as a table.

    Network measures: ties, pairs, density, with_ties, components,
    largest_component, average_clustering, transitivity, diameter,
    average_path_length, ei. --as-of does not apply: each row is its own date.
    """
    from projections.engines import METRICS
    from projections.history import STEPS, TREND_METRICS
    from projections.history import trend as compute

    if as_of is not None:
        raise InputError("--as-of", "trend sets its own dates", "use --from, --to and --step")
    chart = _picture_path(plot, "--plot", force) if plot is not None else None
    q = Query(ledger, None, known_at, position)
    metric = _choice(metric, TREND_METRICS, "--metric")
    if orgs and metric not in METRICS:
        raise InputError("--org", f"{metric} is a measure of the whole network", "leave out --org")
    first, last = _year(start, "--from"), _year(end, "--to")
    graph = q.graph()
    orgs = tuple(_keys(graph, orgs, "--org"))
    tie_types = _tie_types(kw["tie_types"])
    answers = per_currency(graph, _weight(weight), _currency(currency), None, tie_types)
    rows = []
    for money in answers:
        found = compute(
            graph,
            metric,
            start=first,
            end=last,
            step=_choice(step, STEPS, "--step"),
            orgs=list(orgs) or None,
            weight=_weight(weight),
            currency=money,
            tie_types=tie_types,
        )
        rows += _in(money, found)
    columns = list(dict.fromkeys(c for row in rows for c in row)) if rows else ["period", "as_of"]
    show(rows, kw["fmt"], columns)
    if chart is not None:
        from projections.drawing import plot_trend, save

        title = f"{ledger.name}: {metric} by {step}, {first} to {last}"
        save(plot_trend(rows, metric, step=step, title=title), chart)
        click.echo(f"wrote {chart}", err=True)


@network.command()
@click.option(
    "--remove",
    "remove",
    multiple=True,
    metavar="KEY|TIE|RELATION",
    help="Remove an organisation, a tie (its key) or a relation (its id) (repeatable).",
)
@click.option("--add", "add", multiple=True, metavar="A:B", help="Add a link between two organisations (repeatable).")
@click.option("--metric", default="betweenness", show_default=True, metavar=METRIC_HELP, help="Score of the movers.")
@top_options
@query_options
@reads
def whatif(
    ledger: Ledger,
    remove: tuple[str, ...],
    add: tuple[str, ...],
    metric: str,
    top: str | None,
    show_all: bool,
    as_of: str | None,
    known_at: str | None,
    position: str | None,
    **kw: Any,
) -> None:
    """What if organisations or ties disappeared (or links were added): the network before and after.

    Compares components, the largest component, its average path length and
    diameter, lists who is cut off from the largest component, and the biggest
    movers by --metric (unweighted).
    """
    from projections.engines import METRICS
    from projections.whatif import RELATION_ID
    from projections.whatif import whatif as compute

    if not remove and not add:
        raise InputError("--remove", "nothing to change", "give --remove KEY or --add A:B")
    q = Query(ledger, as_of, known_at, position)
    options = dict(tie_types=_tie_types(kw["tie_types"]), metric=_choice(metric, METRICS, "--metric"))
    graph = q.graph()
    # organisations may be named by a name or an identifier too; tie keys and relation ids are ids
    removed = [r if RELATION_ID.match(r) else _keys(graph, [r], "--remove")[0] for r in remove]
    added = [":".join(_keys(graph, a.split(":", 1), "--add")) if ":" in a else a for a in add]
    with _named_as({"remove": "--remove", "add": "--add"}):
        found = compute(graph, remove=removed, add=added, as_of=q.day, top=_top(top, show_all), **options)
    if kw["fmt"] == "json":
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    rows: list[dict[str, Any]] = [
        {"change": "network", "what": name.replace("_", " "), "before": found["before"][name],
         "after": found["after"][name]}
        for name in found["before"]
    ]  # fmt: skip
    rows += [{"change": "cut off", "what": key} for key in found["cut_off"]]
    rows += [{"change": metric, "what": m["key"], "before": m["before"], "after": m["after"], "delta": m["change"]}
             for m in found["movers"]]  # fmt: skip
    show(rows, kw["fmt"], ["change", "what", "before", "after", "delta"])


@network.command()
@click.option(
    "--attack",
    default="degree",
    show_default=True,
    metavar="degree|betweenness",
    help="The order organisations are removed in: highest degree or betweenness first.",
)
@click.option("--plot", metavar="FILE", help="Also draw the largest component's curve to FILE (.png, .svg or .pdf).")
@query_options
@reads
def resilience(
    ledger: Ledger,
    attack: str,
    plot: str | None,
    as_of: str | None,
    known_at: str | None,
    position: str | None,
    **kw: Any,
) -> None:
    """Which organisations and links hold the network together, and how fast it falls apart.

    Lists the articulation points (organisations whose removal splits the network),
    the bridges (links whose removal does), and the size of the largest component
    as organisations are removed, the highest --attack score first.
    """
    from projections.whatif import ATTACKS
    from projections.whatif import resilience as compute

    chart = _picture_path(plot, "--plot") if plot is not None else None
    q = Query(ledger, as_of, known_at, position)
    found = compute(
        q.graph(), as_of=q.day, tie_types=_tie_types(kw["tie_types"]), attack=_choice(attack, ATTACKS, "--attack")
    )
    if kw["fmt"] == "json":
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
    else:
        rows: list[dict[str, Any]] = [
            {"part": "articulation point", "what": key} for key in found["articulation_points"]
        ]
        rows += [{"part": "bridge", "what": f"{b['a']} - {b['b']}", "ties": len(b["ties"])} for b in found["bridges"]]
        rows += [{"part": f"removing by {attack}", "step": r["step"], "what": r["removed"],
                  "largest": r["largest_component"], "share": r["share"]} for r in found["curve"]]  # fmt: skip
        show(rows, kw["fmt"], ["part", "step", "what", "ties", "largest", "share"])
    if chart is not None:
        from projections.drawing import plot_resilience, save

        title = f"{ledger.name}: the largest component as organisations are removed ({attack}), as of {q.day}"
        save(plot_resilience(found["curve"], attack, title=title), chart)
        click.echo(f"wrote {chart}", err=True)


@network.command()
@click.option("--org", metavar="KEY", help="Only partners for this organisation.")
@click.option(
    "--method",
    default="adamic-adar",
    show_default=True,
    metavar="adamic-adar|jaccard|common|resource-allocation|preferential",
    help="How a pair is scored (NetworkX's link prediction).",
)
@sector_option
@click.option(
    "--backtest",
    metavar="DATE",
    help="Instead: suggest on the network of DATE and count how many of the top --top were tied by --as-of.",
)
@top_options
@query_options
@reads
def suggest(
    ledger: Ledger,
    org: str | None,
    method: str,
    sector: str | None,
    backtest: str | None,
    top: str | None,
    show_all: bool,
    as_of: str | None,
    known_at: str | None,
    position: str | None,
    **kw: Any,
) -> None:
    """Partner recommendations: untied pairs that share partners, ranked, with why."""
    from projections.suggest import METHODS
    from projections.suggest import backtest as check
    from projections.suggest import suggest as compute

    q = Query(ledger, as_of, known_at, position)
    method = _choice(method, METHODS, "--method")
    graph = q.graph()
    if backtest is not None:
        if org is not None or sector is not None:
            raise InputError("--backtest", "a backtest scores the whole network", "leave out --org and --sector")
        found = check(graph, trained=day(backtest, "--backtest"), checked=q.day, method=method,
                      k=_top(top, False) or 10, tie_types=_tie_types(kw["tie_types"]))  # fmt: skip
        if kw["fmt"] == "json":
            click.echo(json.dumps(found, ensure_ascii=False, indent=2))
            return
        rows = [{"measure": k, "value": v if not isinstance(v, list) else len(v)} for k, v in found.items()]
        show(rows, kw["fmt"], ["measure", "value"])
        return
    if org is not None:
        [org] = _keys(graph, [org], "--org", q.day)
    rows = compute(graph, org=org, method=method, sector=_sector(sector), as_of=q.day,
                   tie_types=_tie_types(kw["tie_types"]), top=_top(top, show_all))  # fmt: skip
    show(rows, kw["fmt"], ["a", "b", "score", "why"])


@contextmanager
def _named_as(flags: dict[str, str]) -> Iterator[None]:
    """Errors the library raises about its arguments, named as the command's flags."""
    try:
        yield
    except LedgerError as exc:
        if exc.field in flags:
            raise type(exc)(flags[exc.field], exc.problem, exc.fix, code=exc.code, subject=exc.subject) from None
        raise


def _picture_path(value: str, field: str, force: bool = False) -> Output:
    """A picture file to write: a known suffix (png, svg, pdf), checked as an output (``domain.files``)."""
    from projections.drawing import picture_format

    picture_format(value, field)
    return output_to(value, field, force=force)


def _year(value: str, field: str) -> int:
    if not (len(value) == 4 and value.isdigit()):
        raise InputError(field, f"{value!r} is not a year", "give a year such as 2019")
    return int(value)


@network.command()
@click.argument("date1")
@click.argument("date2")
@click.option("--metric", default="betweenness", show_default=True, metavar=METRIC_HELP, help="Score of the movers.")
@weight_option()
@currency_option
@top_options
@query_options
@reads
def diff(
    ledger: Ledger,
    date1: str,
    date2: str,
    metric: str,
    weight: str,
    currency: str | None,
    top: str | None,
    show_all: bool,
    as_of: str | None,
    known_at: str | None,
    position: str | None,
    **kw: Any,
) -> None:
    """Ties started and ended between DATE1 and DATE2, and the biggest movers by --metric."""
    from projections.engines import METRICS
    from projections.history import diff as compute

    if as_of is not None:
        raise InputError("--as-of", "diff compares DATE1 with DATE2", "leave out --as-of")
    q = Query(ledger, None, known_at, position)
    before, after = day(date1, "DATE1"), day(date2, "DATE2")
    if before >= after:
        raise InputError("DATE2", f"{after} is not after {before}", "give the earlier date first")
    metric = _choice(metric, METRICS, "--metric")
    graph, tie_types, weight = q.graph(), _tie_types(kw["tie_types"]), _metric_weight(metric, weight)
    answers = per_currency(graph, weight, _currency(currency), None, tie_types)
    rows: list[dict[str, Any]] = []
    for i, money in enumerate(answers):
        d = compute(
            graph,
            before,
            after,
            metric=metric,
            weight=weight,
            currency=money,
            tie_types=tie_types,
            top=_top(top, show_all),
        )
        if i == 0:  # the ties started and ended are the same in every currency
            for change, date_key in (("started", "start"), ("ended", "end")):
                for t in d[change]:
                    rows.append({"change": change, "date": t[date_key], "org": t["from"], "other": t["to"], **_tie(t)})
        for m in d["movers"]:
            mover = {
                "change": metric,
                "org": m["key"],
                "before": m["before"],
                "after": m["after"],
                "delta": m["change"],
            }
            rows += _in(money, [mover])
    columns = ["change", "date", "org", "other", "tie_type", "kind", "title", "before", "after", "delta"]
    show(rows, kw["fmt"], _columns(answers, columns))


def _tie(t: dict[str, Any]) -> dict[str, Any]:
    return {k: t[k] for k in ("tie_type", "kind", "title", "tie")}


@network.command()
@click.option("--out", required=True, metavar="FILE", help="Write the picture here: .png, .svg or .pdf.")
@force_option
@click.option(
    "--label",
    default="en",
    show_default=True,
    metavar="en|ko|key",
    help="Name organisations in English, Korean or by key.",
)
@click.option("--size-by", default="degree", show_default=True, metavar="METRIC", help=f"Marker size: {METRIC_HELP}.")
@click.option("--layout", default="spring", show_default=True, metavar=LAYOUT_HELP, help="Where organisations go.")
@click.option(
    "--seed", default="0", show_default=True, metavar="N", help="Seed of the layout (same seed, same picture)."
)
@network_options
@reads
def draw(
    ledger: Ledger,
    out: str,
    force: bool,
    label: str,
    size_by: str,
    layout: str,
    seed: str,
    as_of: str | None,
    known_at: str | None,
    position: str | None,
    tie_types: tuple[str, ...],
) -> None:
    """Draw the network on a date: colour by sector, size by a metric, ties styled by type."""
    from projections.drawing import LABELS, save
    from projections.drawing import draw as compute
    from projections.engines import METRICS
    from projections.layout import LAYOUTS

    target = _picture_path(out, "--out", force)
    q = Query(ledger, as_of, known_at, position)
    options = dict(
        label=_choice(label, LABELS, "--label"),
        size_by=_choice(size_by, METRICS, "--size-by"),
        layout=_choice(layout, LAYOUTS, "--layout"),
        seed=count(seed, "--seed") or 0,
        tie_types=_tie_types(tie_types),
    )
    drawing = compute(q.graph(), as_of=q.day, **options)
    save(drawing.figure, target)
    click.echo(f"wrote {target}: {len(drawing.keys)} organisations, {drawing.tie_count} ties as of {q.day}")


@network.command()
@click.option("--out", required=True, metavar="FILE", help="Write the page here (.html).")
@force_option
@click.option("--layout", default="spring", show_default=True, metavar=LAYOUT_HELP, help="Where organisations go.")
@click.option("--seed", default="0", show_default=True, metavar="N", help="Seed of the layout (same seed, same page).")
@network_options
@reads
def html(
    ledger: Ledger,
    out: str,
    force: bool,
    layout: str,
    seed: str,
    as_of: str | None,
    known_at: str | None,
    position: str | None,
    tie_types: tuple[str, ...],
) -> None:
    """Write the network as one self-contained web page: zoom, search, filters, a time slider.

    The page opens on --as-of; its slider stops on every date on which the
    network changes. It loads nothing from the network.
    """
    from projections.layout import LAYOUTS
    from projections.webpage import page_path, write_page

    target = output_to(str(page_path(out, "--out")), "--out", force=force)
    q = Query(ledger, as_of, known_at, position)
    layout = _choice(layout, LAYOUTS, "--layout")
    number = count(seed, "--seed") or 0
    data = write_page(q.graph(), target, as_of=q.day, tie_types=_tie_types(tie_types), layout=layout, seed=number)
    stops = data["stops"]
    click.echo(
        f"wrote {target}: {len(data['nodes'])} organisations, {len(data['ties'])} ties, "
        f"dates {stops[0]['date']} to {stops[-1]['date']}, opens as of {q.day}"
    )


@network.command()
@reads
def rebuild(ledger: Ledger) -> None:
    """Fold the whole log into the network again; print the events and the seconds it took."""
    from projections import store

    started = time.perf_counter()
    rebuild_store = getattr(store, "rebuild", None)
    if rebuild_store is not None:  # the persisted projection: rebuilt from the log and saved
        report = rebuild_store(ledger)
        events, seconds = report["events"], report["seconds"]
        nodes, edges = report["nodes"], report["ties"]
    else:
        graph = store.load_network(ledger)
        events, seconds = ledger.count(), time.perf_counter() - started
        nodes, edges = graph.number_of_nodes(), graph.number_of_edges()
    click.echo(
        terminal(
            f"rebuilt the network of '{ledger.name}': {events} events in {seconds:.3f} s "
            f"({nodes} organisations, {edges} ties)"
        )
    )


COMMANDS = [network]
