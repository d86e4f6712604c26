"""The network as one self-contained web page: zoom, search, filters, a side panel and a time slider.

``write_page`` writes a single HTML file that needs nothing else: the viewer's
script and style (``projections/webpage/viewer.js`` and ``viewer.css``) are
inlined, the data is embedded as JSON in a ``<script type="application/json">``
element, and a Content-Security-Policy forbids loading anything from anywhere,
so the page works offline and can be mailed as it is.

The positions are computed here, once, on the network of every tie ever
recorded (``projections.layout``, seeded): when the slider replays the network
year by year the organisations stay where they are and only the ties change.
The slider stops on the last day of every year from the first tie to the last
date the ledger mentions, plus the *as_of* day, where the page opens.

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
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx

from domain.errors import InputError
from domain.organisation import SECTORS
from projections.drawing import TIE_STYLES, sector_colour
from projections.engines import TIE_TYPES, When, check_tie_types, day_of, simple_graph, ties
from projections.layout import positions

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
    "start_on",
    "end_on",
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
        "date"}`` of each slider stop) and ``start`` (the stop of *as_of*),
        ``sectors`` and ``tie_types`` (name, colour, count; a tie type also its
        dash pattern), ``nodes`` (key, names, sector, ..., ``x`` and ``y`` in
        the unit square, y downwards) and ``ties`` (``id``, ``source``,
        ``target`` and the fields of ``TIE_FIELDS``), every tie ever recorded.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.MultiDiGraph(ledger="example")
    >>> g.add_node("a", sector="firm", name_en="A", name_ko="에이")
    >>> g.add_node("b", sector="university", name_en="B")
    >>> _ = g.add_edge("a", "b", key="t1", tie_type="partnership", start_on="2018-05-01", end_on=None)
    >>> d = page_data(g, as_of="2019-06-30")
    >>> [s["date"] for s in d["stops"]], d["stops"][d["start"]]["date"]
    (['2018-12-31', '2019-06-30', '2019-12-31'], '2019-06-30')
    >>> [n["key"] for n in d["nodes"]], [(t["id"], t["source"], t["target"]) for t in d["ties"]]
    (['a', 'b'], [('t1', 'a', 'b')])
    """
    day = day_of(as_of, "as_of")
    types = check_tie_types(tie_types)
    where = positions(simple_graph(graph, tie_types=types), layout, seed=seed)
    nodes = []
    sectors: dict[str, int] = {}
    for key in where:
        attrs = graph.nodes[key]
        sector = attrs.get("sector") or "unknown"
        sectors[sector] = sectors.get(sector, 0) + 1
        x, y = where[key]
        node = {"key": key, **{f: _plain(attrs.get(f)) for f in NODE_FIELDS}, "sector": sector}
        node.update(name_en=attrs.get("name_en") or attrs.get("name") or None, x=x, y=round(1 - y, 6))
        nodes.append(node)
    found = []
    counts: dict[str, int] = {}
    for u, v, k, attrs in ties(graph, tie_types=types):
        tie_type = attrs.get("tie_type") or "partnership"
        counts[tie_type] = counts.get(tie_type, 0) + 1
        found.append({"id": str(k), "source": u, "target": v, **{f: _plain(attrs.get(f)) for f in TIE_FIELDS}})
    found.sort(key=lambda t: (t["start_on"] or "", t["id"]))
    stops, start = _stops(found, day)
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


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def _stops(found: list[dict[str, Any]], day: str) -> tuple[list[dict[str, str]], int]:
    """The slider's stops: 31 December of every year the ties span, and *day*; and the index of *day*."""
    years = [int(d[:4]) for t in found for d in (t["start_on"], t["end_on"]) if d]
    first = min([*years, int(day[:4])])
    last = max([*years, int(day[:4])])
    stops = [{"label": str(y), "date": f"{y:04d}-12-31"} for y in range(first, last + 1)]
    if not any(s["date"] == day for s in stops):
        stops.append({"label": day, "date": day})
        stops.sort(key=lambda s: s["date"])
    return stops, next(i for i, s in enumerate(stops) if s["date"] == day)


def _asset(name: str) -> str:
    return (resources.files("projections") / "webpage" / name).read_text(encoding="utf-8")


def render(data: dict[str, Any]) -> str:
    """The page for *data* (from :func:`page_data`): one HTML document, everything inlined."""
    title = f"{data['ledger']}: the network as of {data['as_of']}"
    page = _asset("page.html")
    for placeholder, value in (
        ("{{TITLE}}", html.escape(title)),
        ("{{STYLE}}", _inline(_asset("viewer.css"), "style")),
        ("{{SCRIPT}}", _inline(_asset("viewer.js"), "script")),
        ("{{DATA}}", script_json(data)),
    ):
        page = page.replace(placeholder, value)
    return page


def _inline(text: str, element: str) -> str:
    if f"</{element}" in text.lower():
        raise ValueError(f"an inlined {element} must not contain '</{element}'")
    return text


def write_page(
    graph: nx.MultiDiGraph,
    path: str | Path,
    *,
    as_of: When,
    tie_types: Iterable[str] | None = None,
    layout: str = "spring",
    seed: int = 0,
) -> dict[str, Any]:
    """Write the page of *graph* to *path* (atomically: renamed into place once complete); returns its data."""
    target = page_path(path)
    data = page_data(graph, as_of=as_of, tie_types=tie_types, layout=layout, seed=seed)
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_text(render(data), encoding="utf-8")
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return data
