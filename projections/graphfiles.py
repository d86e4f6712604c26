"""The network as a file for Gephi, igraph, NetworkX or graphology: GraphML or GEXF 1.3.

What is written is the network on one day (``projections.timeaxes.as_of``), in one
of three shapes (``export_graph``):

- ``analysis`` (the default): the graph every measure reads (``projections.engines``):
  **one undirected edge per pair** of organisations tied on that day, whatever the
  number and direction of their ties, so that a tool's betweenness or degree on the
  file equals netledger's. Each edge carries ``weight`` (as ``--weight`` says: 1, the
  number of ties, or the summed amount in one currency), ``ties`` (how many), the
  summed amounts per currency (``amount_KRW``, ...), and its ties: ``tie_ids``,
  ``tie_types``, ``tie_kinds``, ``tie_starts`` and ``tie_ends`` (``"; "``-joined, in the
  same order);
- ``ties``: one directed edge per tie (a multigraph), with every attribute it has on
  that day (``aggregate_id``, ``tie_type``, ``kind``, ``title``, ``roles``, ``start``,
  ``end``, ``term_end``, ``amount``, ``currency``, ``programme``, ``disbursed``);
- ``directed``: the support flows, one edge per funder and recipient, from the funder:
  ``ties``, amounts and payments per currency, ``tie_ids``.

Nodes are the organisations of that day with every recorded attribute (``key``,
``name``, ``name_en``, ``name_ko``, ``sector``, ``subtype``, ``identifiers`` (``"; "``-
joined), ``country``, ``locality``, ``start``, ``dissolved``, ``registered``) and a
``label`` (the name, else the key). Numbers are written as numbers, booleans as
``true``/``false``, an absent value not at all.

GEXF is written as version 1.3 with ``timeformat="date"``: every edge of the ``ties``
shape carries its interval, ``start`` its first day and ``end`` its **last** day
(GEXF's ends are inclusive: a tie ending on 2023-08-01 counts until 2023-07-31), and
every node the days it exists, so Gephi's timeline replays them.

>>> import io
>>> g = nx.MultiDiGraph()
>>> g.add_node("a", key="a", name="A", sector="firm", registered=True)
>>> g.add_node("b", key="b", name="B", sector="university", registered=True)
>>> for k in ("p:0", "s:0"):
...     _ = g.add_edge("a", "b", key=k, aggregate_id=k[0], tie_type="partnership", kind="partnership",
...                    start="2020", start_on="2020-01-01", end_on=None)
>>> flat = export_graph(g, as_of="2021")
>>> flat.number_of_edges(), flat.edges["a", "b"]["ties"], flat.edges["a", "b"]["tie_ids"]
(1, 2, 'p:0; s:0')
>>> out = io.BytesIO()
>>> write_graphml(flat, out)
>>> nx.read_graphml(io.BytesIO(out.getvalue())).edges["a", "b"]["weight"]
1.0
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import IO, Any

import networkx as nx

from domain.dates import event_day
from domain.errors import RuleViolation
from projections.engines import WEIGHTS, When, check_choice, check_tie_types, network_on

#: The shapes ``export_graph`` writes.
SHAPES: tuple[str, ...] = ("analysis", "ties", "directed")
#: Node attributes written, in this order.
NODE_FIELDS: tuple[str, ...] = ("key", "name", "name_en", "name_ko", "sector", "subtype", "identifiers", "country",
                                "locality", "start", "dissolved", "registered")  # fmt: skip
#: Tie attributes written by the ``ties`` shape, in this order.
TIE_FIELDS: tuple[str, ...] = ("aggregate_id", "tie_type", "kind", "title", "roles", "start", "end", "term_end",
                               "amount", "currency", "programme", "disbursed")  # fmt: skip
_GRAPHML = "http://graphml.graphdrawing.org/xmlns"
_GEXF = "http://gexf.net/1.3"


def export_graph(
    graph: nx.MultiDiGraph,
    *,
    as_of: When | None = None,
    tie_types: Iterable[str] | None = None,
    shape: str = "analysis",
    weight: str = "none",
    currency: str | None = None,
) -> nx.Graph:
    """The network on *as_of* (default today) as a flat graph of *shape*, ready for ``write_graphml``/``write_gexf``.

    See the module docstring for the shapes and their attributes. ``weight`` (``none``,
    ``ties`` or ``amount``) sets the ``weight`` of the ``analysis`` shape's edges; amount
    weights are the amounts in *currency* (pairs without one left out), or in the one
    currency the ties carry; ties in several currencies and no *currency* are refused
    (``RuleViolation``): a file has one weight per edge. The amounts per currency are
    written on every edge anyway (``amount_KRW``, ...).
    """
    check_choice(shape, SHAPES, "shape")
    check_choice(weight, WEIGHTS, "weight")
    types = check_tie_types(tie_types)
    network = network_on(graph, as_of)
    out: nx.Graph = nx.MultiDiGraph() if shape == "ties" else nx.DiGraph() if shape == "directed" else nx.Graph()
    out.graph.update(name=str(graph.graph.get("ledger") or "network"), as_of=network.graph["as_of"], shape=shape)
    for key, attrs in network.nodes(data=True):
        node = _plain({f: attrs.get(f) for f in NODE_FIELDS if f != "key"} | {"key": key})
        node["label"] = str(attrs.get("name") or key)
        out.add_node(key, **node)
    ties = [
        (u, v, k, d) for u, v, k, d in network.edges(keys=True, data=True) if types is None or d["tie_type"] in types
    ]
    if shape == "ties":
        for u, v, k, d in ties:
            out.add_edge(u, v, key=k, id=k, **_plain({f: d.get(f) for f in TIE_FIELDS}))
        return out
    if shape == "directed":
        ties = [t for t in ties if t[3]["tie_type"] == "support"]
    pairs: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = {}
    for u, v, k, d in ties:
        if u == v:
            continue
        pair = (u, v) if shape == "directed" or u < v else (v, u)
        pairs.setdefault(pair, []).append((k, d))
    currencies = {d["currency"] for found in pairs.values() for _, d in found if d.get("amount") is not None}
    chosen = currency if currency is not None else (next(iter(currencies)) if len(currencies) == 1 else None)
    if shape == "analysis" and weight == "amount" and chosen is None and currencies:
        raise RuleViolation(
            "currency",
            "the ties carry amounts in " + " and ".join(sorted(currencies)) + ", which cannot be added up",
            "choose the currency the weights are in (" + ", ".join(sorted(currencies)) + "); "
            "the amounts per currency are written anyway",
            code="weight.several_currencies",
        )
    for (u, v), found in pairs.items():
        edge = _pair(found, directed=shape == "directed")
        if shape == "analysis":
            amount = edge.get(f"amount_{chosen}")
            if weight == "amount":
                if amount is None:
                    continue  # as the analysis does: a pair without an amount (in that currency) weighs nothing
                edge["weight"] = float(amount)
            else:
                edge["weight"] = float(edge["ties"]) if weight == "ties" else 1.0
        out.add_edge(u, v, id=f"{u}--{v}", **edge)
    return out


def _pair(found: list[tuple[str, dict[str, Any]]], *, directed: bool) -> dict[str, Any]:
    """The attributes of one exported pair: its ties counted, their amounts per currency, and the ties."""
    found = sorted(found, key=lambda item: (item[1].get("start_on") or "", item[0]))
    amounts: dict[str, Decimal] = {}
    paid: dict[str, Decimal] = {}
    for _, d in found:
        if d.get("amount") is not None:
            amounts[d["currency"]] = amounts.get(d["currency"], Decimal(0)) + Decimal(d["amount"])
        if directed and d.get("disbursed") is not None:
            paid[d["currency"]] = paid.get(d["currency"], Decimal(0)) + Decimal(d["disbursed"])
    edge: dict[str, Any] = {"ties": len(found)}
    edge.update({f"amount_{c}": _number(a) for c, a in sorted(amounts.items())})
    edge.update({f"disbursed_{c}": _number(a) for c, a in sorted(paid.items())})
    edge["tie_ids"] = "; ".join(k for k, _ in found)
    edge["tie_types"] = "; ".join(d["tie_type"] for _, d in found)
    edge["tie_kinds"] = "; ".join(str(d.get("kind")) for _, d in found)
    edge["tie_starts"] = "; ".join(str(d.get("start")) for _, d in found)
    edge["tie_ends"] = "; ".join(str(d.get("end") or "") for _, d in found)
    return edge


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _plain(attrs: dict[str, Any]) -> dict[str, Any]:
    """Attributes a file can hold: absent values dropped, lists joined, amounts as numbers."""
    out: dict[str, Any] = {}
    for name, value in attrs.items():
        if value is None or (isinstance(value, list | tuple) and not value):
            continue
        if isinstance(value, list | tuple):
            value = "; ".join("" if v is None else str(v) for v in value)
        elif name in ("amount", "disbursed"):
            value = _number(Decimal(value))
        out[name] = value
    return out


def gexf_interval(start: Any, end: Any) -> dict[str, str]:
    """GEXF's ``start``/``end`` of something dated *start* .. *end* (as written): the first day it counts,
    and the **last** day it counts (GEXF's ends are inclusive; netledger's end is the first day it no longer does).

    >>> gexf_interval("2019-07", "2023-08")
    {'start': '2019-07-01', 'end': '2023-07-31'}
    >>> gexf_interval(None, "undated")
    {}
    """
    span = {}
    if isinstance(start, str) and start != "undated":
        span["start"] = event_day(start) or ""
    if isinstance(end, str) and end != "undated":
        span["end"] = (date.fromisoformat(event_day(end) or "") - timedelta(days=1)).isoformat()
    return span


# -- writing --------------------------------------------------------------------------------------


def _type(values: list[Any], gexf: bool) -> str:
    kinds = {type(v) for v in values}
    if kinds == {bool}:
        return "boolean"
    if kinds <= {int} and all(-(2**31) <= v < 2**31 for v in values):
        return "integer" if gexf else "int"
    if kinds <= {int}:
        return "long"
    if kinds <= {int, float}:
        return "double"
    return "string"


def _text(value: Any, kind: str) -> str:
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "double":
        return repr(float(value))
    return str(value)


def _attributes(items: list[dict[str, Any]], skip: set[str]) -> dict[str, list[Any]]:
    """Each attribute's name -> its values (``_type`` gives it one type: string when several meet)."""
    found: dict[str, list[Any]] = {}
    for attrs in items:
        for name, value in attrs.items():
            if name not in skip:
                found.setdefault(name, []).append(value)
    return found


def write_graphml(graph: nx.Graph, out: IO[bytes]) -> None:
    """Write *graph* (from ``export_graph``) as GraphML, UTF-8: typed keys, ``true``/``false``, edge ids."""
    ET.register_namespace("", _GRAPHML)
    root = ET.Element(f"{{{_GRAPHML}}}graphml")
    keys: dict[tuple[str, str], tuple[str, str]] = {}
    for domain, items in (("graph", [dict(graph.graph)]), ("node", [a for _, a in graph.nodes(data=True)]),
                          ("edge", [a for *_, a in graph.edges(data=True)])):  # fmt: skip
        for name, values in _attributes(items, {"id"}).items():
            kind = _type(values, gexf=False)
            key = f"d{len(keys)}"
            keys[(domain, name)] = (key, kind)
            ET.SubElement(
                root, f"{{{_GRAPHML}}}key", id=key, attrib={"for": domain, "attr.name": name, "attr.type": kind}
            )
    element = ET.SubElement(root, f"{{{_GRAPHML}}}graph", id=str(graph.graph.get("name", "network")),
                            edgedefault="directed" if graph.is_directed() else "undirected")  # fmt: skip
    _data(element, "graph", graph.graph, keys)
    for node, attrs in graph.nodes(data=True):
        _data(ET.SubElement(element, f"{{{_GRAPHML}}}node", id=str(node)), "node", attrs, keys)
    for u, v, attrs in graph.edges(data=True):
        edge = ET.SubElement(element, f"{{{_GRAPHML}}}edge", id=str(attrs["id"]), source=str(u), target=str(v))
        _data(edge, "edge", attrs, keys)
    ET.indent(root)
    out.write(ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n")


def _data(
    element: ET.Element, domain: str, attrs: dict[str, Any], keys: dict[tuple[str, str], tuple[str, str]]
) -> None:
    for name, value in attrs.items():
        found = keys.get((domain, name))
        if found is not None:
            ET.SubElement(element, f"{{{_GRAPHML}}}data", key=found[0]).text = _text(value, found[1])


def write_gexf(graph: nx.Graph, out: IO[bytes]) -> None:
    """Write *graph* (from ``export_graph``) as GEXF 1.3, UTF-8 (dates as intervals with inclusive ends)."""
    ET.register_namespace("", _GEXF)
    root = ET.Element(f"{{{_GEXF}}}gexf", version="1.3")
    meta = ET.SubElement(root, f"{{{_GEXF}}}meta", lastmodifieddate=str(graph.graph.get("as_of", date.today())))
    ET.SubElement(meta, f"{{{_GEXF}}}creator").text = "netledger"
    ET.SubElement(
        meta, f"{{{_GEXF}}}description"
    ).text = f"{graph.graph.get('name', 'network')}: the network as of {graph.graph.get('as_of')}"
    dynamic = graph.graph.get("shape") == "ties"  # every tie and organisation with its interval
    element = ET.SubElement(root, f"{{{_GEXF}}}graph", defaultedgetype="directed" if graph.is_directed() else
                            "undirected", mode="dynamic" if dynamic else "static")  # fmt: skip
    if dynamic:
        element.set("timeformat", "date")
    skip = {"id", "label", "weight"}
    types: dict[tuple[str, str], tuple[str, str]] = {}
    for domain, items in (("node", [a for _, a in graph.nodes(data=True)]),
                          ("edge", [a for *_, a in graph.edges(data=True)])):  # fmt: skip
        declared = ET.SubElement(element, f"{{{_GEXF}}}attributes", attrib={"class": domain})
        for name, values in _attributes(items, skip).items():
            kind = _type(values, gexf=True)
            key = str(len(types))
            types[(domain, name)] = (key, kind)
            ET.SubElement(declared, f"{{{_GEXF}}}attribute", id=key, title=name, type=kind)
    nodes = ET.SubElement(element, f"{{{_GEXF}}}nodes")
    for node, attrs in graph.nodes(data=True):
        item = ET.SubElement(nodes, f"{{{_GEXF}}}node", id=str(node), label=str(attrs.get("label", node)))
        if dynamic:
            item.attrib.update(gexf_interval(attrs.get("start"), attrs.get("dissolved")))
        _values(item, "node", attrs, types)
    edges = ET.SubElement(element, f"{{{_GEXF}}}edges")
    for u, v, attrs in graph.edges(data=True):
        item = ET.SubElement(edges, f"{{{_GEXF}}}edge", id=str(attrs["id"]), source=str(u), target=str(v))
        if "weight" in attrs:
            item.set("weight", repr(float(attrs["weight"])))
        if dynamic:
            item.attrib.update(gexf_interval(attrs.get("start"), attrs.get("end")))
        _values(item, "edge", attrs, types)
    ET.indent(root)
    out.write(ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n")


def _values(
    item: ET.Element, domain: str, attrs: dict[str, Any], types: dict[tuple[str, str], tuple[str, str]]
) -> None:
    values = ET.SubElement(item, f"{{{_GEXF}}}attvalues")
    for name, value in attrs.items():
        found = types.get((domain, name))
        if found is not None:
            ET.SubElement(values, f"{{{_GEXF}}}attvalue", attrib={"for": found[0], "value": _text(value, found[1])})
