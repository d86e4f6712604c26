"""The network as one self-contained web page: zoom, search, filters, a side panel and a time slider.

``write_page`` writes a single HTML file that needs nothing else: the viewer's
script and style (``projections/webpage/viewer.js`` and ``viewer.css``) are
inlined, the data is embedded as JSON in a ``<script type="application/json">``
element, and a Content-Security-Policy forbids loading anything from anywhere,
so the page works offline and can be mailed as it is.

The page carries the whole temporal network (``projections.graph``): every
organisation with the days it exists and its names over time, and every tie as
*runs*, the intervals over which it counts with the same terms (its relation's
dates and amendments, cut to the days both its organisations exist). The slider
stops on every day on which something changes (``projections.timeaxes.change_days``)
and on the *as_of* day, where the page opens; on each stop the page shows
exactly the network ``projections.timeaxes.as_of`` gives for that day, and its
title and counts follow. The positions are computed once, on the network of
every tie ever recorded (``projections.layout``, seeded): organisations stay
where they are while the slider moves.

>>> script_json({"name": "</script><b>"})
'{"name":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"}'
>>> page_path("pohang.png")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
domain.errors.InputError: --out: cannot write 'pohang.png': a web page needs the suffix .html (give a file name ...)
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx

from domain.errors import InputError
from domain.files import Output
from domain.sectors import SECTORS
from projections.drawing import TIE_STYLES, sector_colour
from projections.engines import TIE_TYPES, When, check_tie_types
from projections.layout import positions
from projections.timeaxes import change_days, query_day, tie_end

PAGE_SUFFIXES: tuple[str, ...] = (".html", ".htm")
#: SVG dash patterns of the tie types' line styles.
DASHES: dict[str, str] = {"solid": "", "dashed": "9 5", "dotted": "2 4"}
#: Tie attributes the page shows (and carries), in this order.
TIE_FIELDS: tuple[str, ...] = (
    "tie_type",
    "kind",
    "title",
    "start",
    "end",
    "term_end",
    "amount",
    "currency",
    "programme",
    "roles",
    "aggregate_id",
)
NODE_FIELDS: tuple[str, ...] = ("name_en", "name_ko", "sector", "subtype", "country", "dissolved", "registered")


def page_path(path: str | Path, field: str = "--out") -> Path:
    """*path* if it names an HTML file, else an ``InputError`` naming *field*."""
    target = Path(path)
    if target.suffix.lower() not in PAGE_SUFFIXES:
        raise InputError(field, f"cannot write {str(path)!r}: a web page needs the suffix .html", _SUFFIX_FIX)
    return target


_SUFFIX_FIX = "give a file name ending in .html"


def script_json(value: Any) -> str:
    """*value* as compact JSON that is safe inside an HTML ``<script>`` element.

    ``<``, ``>`` and ``&`` are written as ``\\u003c``, ``\\u003e`` and
    ``\\u0026`` (so no ``</script>`` or ``<!--`` can appear), and the line
    separators U+2028 and U+2029 as escapes too; JSON.parse reads them back
    unchanged.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028")):
        text = text.replace(char, escape)
    return text.replace("\u2029", "\\u2029")


def page_data(
    graph: nx.MultiDiGraph,
    *,
    as_of: When,
    tie_types: Iterable[str] | None = None,
    layout: str = "spring",
    seed: int = 0,
) -> dict[str, Any]:
    """Everything the page shows, as plain JSON-ready data.

    Returns
    -------
    dict
        ``ledger``, ``position``, ``as_of`` (ISO day), ``stops`` (``{"label",
        "date"}`` of each slider stop: every day something changes, and *as_of*)
        and ``start`` (the stop of *as_of*), ``sectors`` and ``tie_types`` (name,
        colour, count; a tie type also its dash pattern), ``nodes`` (key, names,
        sector, ..., ``since`` and ``until``: the days it exists from and until,
        ``names``: ``[[from day, Korean, English], ...]`` when it was renamed on a
        date, ``x`` and ``y`` in the unit square, y downwards) and ``ties``: one
        entry per run of a tie (``id``, unique; ``key``, the tie's key in the
        network on those days; ``source``, ``target``, ``from`` and ``to``, the days
        it counts from and until, and the fields of ``TIE_FIELDS``).

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.MultiDiGraph(ledger="example")
    >>> g.add_node("a", sector="firm", name_en="A", name_ko="에이")
    >>> g.add_node("b", sector="university", name_en="B", since_on="2019-03-01")
    >>> _ = g.add_edge("a", "b", key="t1", tie_type="partnership", start_on="2018-05-01", end_on=None)
    >>> d = page_data(g, as_of="2019-06")
    >>> [s["date"] for s in d["stops"]], d["stops"][d["start"]]["date"]
    (['2018-05-01', '2019-03-01', '2019-06-30'], '2019-06-30')
    >>> [(t["id"], t["source"], t["target"], t["from"], t["to"]) for t in d["ties"]]
    [('t1', 'a', 'b', '2019-03-01', None)]
    """
    day = query_day(as_of)
    types = check_tie_types(tie_types)
    where = positions(_every_tie_ever(graph, types), layout, seed=seed)
    nodes = []
    sectors: dict[str, int] = {}
    for key in where:
        attrs = graph.nodes[key]
        sector = attrs.get("sector") or "unknown"
        sectors[sector] = sectors.get(sector, 0) + 1
        x, y = where[key]
        node = {"key": key, **{f: _plain(attrs.get(f)) for f in NODE_FIELDS}, "sector": sector}
        node.update(
            name_en=attrs.get("name_en") or attrs.get("name") or None,
            since=attrs.get("since_on"),
            until=attrs.get("until_on"),
            x=x,
            y=round(1 - y, 6),
        )
        if attrs.get("names"):
            node["names"] = [list(entry) for entry in attrs["names"]]
        nodes.append(node)
    found = []
    counts: dict[str, int] = {}
    for u, v, k, attrs in graph.edges(keys=True, data=True):
        tie_type = attrs.get("tie_type") or "partnership"
        if types is not None and tie_type not in types:
            continue
        runs = _runs(graph, u, v, k, attrs)
        if runs:
            counts[tie_type] = counts.get(tie_type, 0) + 1
        found.extend(runs)
    found.sort(key=lambda t: (t["from"], t["id"]))
    stops, start = _stops(graph, types, day)
    order = [s for s in (*SECTORS, *sorted(set(sectors) - set(SECTORS))) if s in sectors]
    shown_types = [t for t in (*TIE_TYPES, *sorted(set(counts) - set(TIE_TYPES))) if types is None or t in types]
    return {
        "ledger": graph.graph.get("ledger") or "network",
        "position": graph.graph.get("position"),
        "as_of": day,
        "stops": stops,
        "start": start,
        "sectors": [{"name": s, "colour": sector_colour(s), "count": sectors[s]} for s in order],
        "tie_types": [
            {
                "name": t,
                "colour": TIE_STYLES.get(t, TIE_STYLES["partnership"])["color"],
                "dash": DASHES[TIE_STYLES.get(t, TIE_STYLES["partnership"])["linestyle"]],
                "count": counts.get(t, 0),
            }
            for t in shown_types
        ],
        "nodes": nodes,
        "ties": found,
    }


def _every_tie_ever(graph: nx.MultiDiGraph, types: tuple[str, ...] | None) -> nx.Graph:
    """Every organisation, and a link for every pair that is ever tied (what the layout places)."""
    union: nx.Graph = nx.Graph()
    union.add_nodes_from(graph.nodes(data=True))
    for u, v, attrs in graph.edges(data=True):
        if u != v and (types is None or attrs.get("tie_type") in types):
            union.add_edge(u, v)
    return union


def _runs(graph: nx.MultiDiGraph, u: str, v: str, key: str, attrs: dict[str, Any]) -> list[dict[str, Any]]:
    """The runs of one tie: the intervals over which it counts with the same terms, cut to the days
    both its organisations exist (see ``projections.timeaxes.as_of``)."""
    nu, nv = graph.nodes[u], graph.nodes[v]
    since = max((d for d in (nu.get("since_on"), nv.get("since_on")) if d is not None), default=None)
    untils = [d for d in (nu.get("until_on"), nv.get("until_on")) if d is not None]
    versions = attrs.get("versions")
    if versions is None:
        versions = [(attrs.get("start_on"), attrs.get("end_on"), {})]
    end, end_on = tie_end(attrs, nu, nv)
    runs = []
    for i, (start, stop, terms) in enumerate(versions):
        if start is None:
            continue
        begin = max(start, since) if since is not None else start
        finish = min([d for d in (stop, *untils) if d is not None], default=None)
        if finish is not None and finish <= begin:
            continue
        shown = {**attrs, **terms, "end": end, "end_on": end_on}
        tie_key = key if "n" not in terms else f"{attrs['aggregate_id']}:{terms['n']}"
        run: dict[str, Any] = {
            "id": key if len(versions) == 1 else f"{key}#{i}",
            "key": tie_key,
            "source": u,
            "target": v,
        }
        run.update({"from": begin, "to": finish}, **{f: _plain(shown.get(f)) for f in TIE_FIELDS})
        runs.append(run)
    return runs


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def _stops(graph: nx.MultiDiGraph, types: tuple[str, ...] | None, day: str) -> tuple[list[dict[str, str]], int]:
    """The slider's stops: every day the network changes, and *day*; and the index of *day*."""
    dates = sorted({*change_days(graph, types), day})
    stops = [{"label": d, "date": d} for d in dates]
    return stops, dates.index(day)


_PLACEHOLDER = re.compile(r"\{\{(TITLE|STYLE|SCRIPT|DATA)\}\}")


def _asset(name: str) -> str:
    return (resources.files("projections") / "webpage" / name).read_text(encoding="utf-8")


def render(data: dict[str, Any]) -> str:
    """The page for *data* (from :func:`page_data`): one HTML document, everything inlined."""
    title = f"{data['ledger']}: the network as of {data['as_of']}"  # the page's script updates it with the slider
    values = {
        "TITLE": html.escape(title),
        "STYLE": _inline(_asset("viewer.css"), "style"),
        "SCRIPT": _inline(_asset("viewer.js"), "script"),
        "DATA": script_json(data),
    }
    # One pass over the template: a placeholder inside a value (a ledger named "{{DATA}}") is data.
    return _PLACEHOLDER.sub(lambda found: values[found.group(1)], _asset("page.html"))


def _inline(text: str, element: str) -> str:
    if f"</{element}" in text.lower():
        raise ValueError(f"an inlined {element} must not contain '</{element}'")
    return text


def write_page(
    graph: nx.MultiDiGraph,
    path: str | Path | Output,
    *,
    as_of: When,
    tie_types: Iterable[str] | None = None,
    layout: str = "spring",
    seed: int = 0,
) -> dict[str, Any]:
    """Write the page of *graph* to *path* (``domain.files.Output``: renamed into place once complete); its data."""
    target = path if isinstance(path, Output) else Output.of(page_path(path))
    page_path(target.path)
    data = page_data(graph, as_of=as_of, tie_types=tie_types, layout=layout, seed=seed)
    target.write(render(data))
    return data
