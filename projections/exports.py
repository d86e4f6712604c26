"""Exports: the network for Gephi (GraphML, GEXF) and the grants as 360Giving data.

Graph files
-----------
``write_graphml`` and ``write_gexf`` write the graph ``load_network`` returns with
every attribute. NetworkX's writers accept only strings, numbers and booleans, so
``flatten_attributes`` first makes a copy where

- ``None`` values are dropped (an absent attribute means "not known");
- lists, tuples and dicts become JSON text, non-ASCII kept
  (``roles`` ``["funder", "recipient"]`` -> ``'["funder", "recipient"]'``);
- any other value (a ``Decimal``, a date, a UUID) becomes its ``str``;
- an attribute whose values have different types on different nodes (or edges)
  is written as text on all of them (a number as its JSON text), because both
  formats declare one type per attribute;
- each node gets a ``label`` (its ``name``, else its key) that Gephi shows, unless it has one;
- the graph is named after the ledger (``graph.graph["ledger"]``) unless it has a ``name``.

Edge keys are kept: GraphML writes them as edge ids, GEXF as edge ids and as the
``networkx_key`` attribute, so ``read_graphml(..., force_multigraph=True)`` and
``read_gexf`` give the same keys back.

GEXF reserves the edge attributes ``start`` and ``end`` for the time interval Gephi's
timeline uses, and needs full dates there. So in GEXF ``start`` and ``end`` are the ISO
first days (``start_on`` / ``end_on``), and the dates as written, with their precision
(``2019-07``), are kept as ``start_text`` / ``end_text``; a node's ``key`` attribute, which
is its id, is not repeated. In GraphML every attribute keeps its own name and value.

360Giving
---------
``grants_360giving`` builds a 360Giving Data Standard 1.4.3 package of the grants in
the ledger; ``skipped_360giving`` lists the supports it left out and why;
``export_360giving`` returns both from one pass. The rules are in
``export_360giving``'s docstring.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from os import PathLike
from typing import IO, Any, TypedDict
from uuid import UUID

import networkx as nx

from domain.ledger import Ledger
from domain.organisation import organisation_id
from domain.support import Support
from domain.values import PartialDate
from projections.terms import Positioned, RelationOn, known, organisation_on, relation_on
from projections.timeaxes import query_day

PathOrFile = str | PathLike[str] | IO[bytes]

#: Value types NetworkX's GraphML and GEXF writers accept as they are.
_SCALARS = (str, int, float, bool)


# -- graph files -----------------------------------------------------------------------------
def _flat(value: Any) -> str | int | float | bool | None:
    if value is None or isinstance(value, _SCALARS):
        return value
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _as_text(value: str | int | float | bool) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _one_type_per_attribute(items: list[dict[str, Any]]) -> None:
    """Where one attribute holds values of several types, turn them all into text (in place)."""
    types: dict[str, set[type]] = {}
    for attrs in items:
        for name, value in attrs.items():
            types.setdefault(name, set()).add(type(value))
    for name, seen in types.items():
        if len(seen) < 2:
            continue
        to_float = seen == {int, float}
        for attrs in items:
            if name in attrs:
                attrs[name] = float(attrs[name]) if to_float else _as_text(attrs[name])


def flatten_attributes(graph: nx.Graph) -> nx.MultiDiGraph:
    """A copy of *graph* whose attributes NetworkX's GraphML and GEXF writers accept.

    See the module docstring for the rules. The input graph is not changed.

    Parameters
    ----------
    graph : NetworkX graph
        Usually the ``nx.MultiDiGraph`` from ``projections.store.load_network``.

    Returns
    -------
    nx.MultiDiGraph
        Same nodes and edges (edge keys kept), attributes flattened, nodes labelled.

    Examples
    --------
    >>> g = nx.MultiDiGraph(ledger="pohang")
    >>> g.add_node("msit", name="MSIT", name_ko="과학기술정보통신부", identifiers=[], dissolved=None)
    >>> g.add_edge("msit", "gangso", key="s1:0", roles=["funder", "recipient"], amount="7200000000")
    's1:0'
    >>> flat = flatten_attributes(g)
    >>> flat.graph["name"], flat.nodes["msit"]
    ('pohang', {'name': 'MSIT', 'name_ko': '과학기술정보통신부', 'identifiers': '[]', 'label': 'MSIT'})
    >>> flat.edges["msit", "gangso", "s1:0"]["roles"]
    '["funder", "recipient"]'
    """
    out: nx.MultiDiGraph = nx.MultiDiGraph()
    out.graph.update((k, v) for k, v in ((k, _flat(v)) for k, v in graph.graph.items()) if v is not None)
    if "name" not in out.graph and isinstance(graph.graph.get("ledger"), str):
        out.graph["name"] = graph.graph["ledger"]
    for node, attrs in graph.nodes(data=True):
        flat = {k: f for k, v in attrs.items() if (f := _flat(v)) is not None}
        flat.setdefault("label", str(flat.get("name") or node))
        out.add_node(node, **flat)
    if isinstance(graph, nx.MultiGraph):
        for u, v, key, attrs in graph.edges(keys=True, data=True):
            out.add_edge(u, v, key=key, **{k: f for k, val in attrs.items() if (f := _flat(val)) is not None})
    else:
        for u, v, attrs in graph.edges(data=True):
            out.add_edge(u, v, **{k: f for k, val in attrs.items() if (f := _flat(val)) is not None})
    _one_type_per_attribute([attrs for _, attrs in out.nodes(data=True)])
    _one_type_per_attribute([attrs for _, _, attrs in out.edges(data=True)])
    return out


def write_graphml(graph: nx.Graph, path_or_file: PathOrFile) -> None:
    """Write *graph* as GraphML (UTF-8) with all its attributes, for Gephi and other tools.

    Attributes are flattened as ``flatten_attributes`` says; edge keys become edge ids.

    Parameters
    ----------
    graph : NetworkX graph
        Usually the ``nx.MultiDiGraph`` from ``projections.store.load_network``.
    path_or_file : str, path or binary file
        Where to write.

    Examples
    --------
    >>> import io
    >>> g = nx.MultiDiGraph(ledger="demo")
    >>> g.add_node("a", name="가", sector="university")
    >>> g.add_edge("a", "b", key="x:0", roles=["partner", None], start="2019-07", end=None)
    'x:0'
    >>> buffer = io.BytesIO()
    >>> write_graphml(g, buffer)
    >>> back = nx.read_graphml(io.BytesIO(buffer.getvalue()), force_multigraph=True)
    >>> back.nodes["a"]["name"], list(back.edges(keys=True, data="roles"))
    ('가', [('a', 'b', 'x:0', '["partner", null]')])
    """
    nx.write_graphml(flatten_attributes(graph), path_or_file, encoding="utf-8")


def write_gexf(graph: nx.Graph, path_or_file: PathOrFile) -> None:
    """Write *graph* as GEXF 1.2 (UTF-8) with all its attributes, for Gephi.

    Attributes are flattened as ``flatten_attributes`` says. An edge's GEXF interval
    (``start``/``end``, Gephi's timeline) is its ISO first days ``start_on``/``end_on``;
    the dates as written are kept as ``start_text``/``end_text``. Edge keys become
    edge ids and ``networkx_key``, so ``nx.read_gexf`` restores them (it returns a
    ``DiGraph`` with the key as edge ``id`` when no two edges are parallel). A node's
    ``key`` attribute is left out when it equals the node id.

    Parameters
    ----------
    graph : NetworkX graph
        Usually the ``nx.MultiDiGraph`` from ``projections.store.load_network``.
    path_or_file : str, path or binary file
        Where to write.

    Examples
    --------
    >>> import io
    >>> g = nx.MultiDiGraph(ledger="demo")
    >>> g.add_node("a", name="가", sector="university")
    >>> g.add_edge("a", "b", key="x:0", start="2019-07", start_on="2019-07-01", amount="100")
    'x:0'
    >>> buffer = io.BytesIO()
    >>> write_gexf(g, buffer)
    >>> back = nx.read_gexf(io.BytesIO(buffer.getvalue()))  # a DiGraph: no parallel edges here
    >>> edge = back.edges["a", "b"]
    >>> edge["id"], edge["start"], edge["start_text"], edge["amount"], back.nodes["a"]["label"]
    ('x:0', '2019-07-01', '2019-07', '100', '가')
    """
    flat = flatten_attributes(graph)
    for node, attrs in flat.nodes(data=True):
        if attrs.get("key") == node:
            del attrs["key"]  # the node id already is the key (NetworkX would write it as 'networkx_key')
    for _, _, key, attrs in flat.edges(keys=True, data=True):
        for side in ("start", "end"):
            if side in attrs:
                attrs[f"{side}_text"] = attrs.pop(side)
            day = attrs.get(f"{side}_on")
            if isinstance(day, str):
                attrs[side] = day
        attrs.setdefault("id", str(key))
    nx.write_gexf(flat, path_or_file, encoding="utf-8")


# -- 360Giving -------------------------------------------------------------------------------
class SkippedSupport(TypedDict):
    """A support left out of the 360Giving export, and why."""

    support_id: str
    kind: str | None
    title: str | None
    reason: str


#: Organisation identifier schemes shaped like org-id.guide list codes (``KR-BRN``, ``GB-CHC``, ``XI-GRID``).
_ORG_ID_SCHEME = re.compile(r"[A-Z]{2}-[A-Z0-9]+")
#: Per-list clean-up of the identifier part (org-id.guide writes KR-BRN as its 10 digits).
_ORG_ID_CLEAN = {"KR-BRN": lambda value: re.sub(r"[^0-9]", "", value)}


def org_id(identifiers: list[str] | tuple[str, ...], key: str, *, publisher_prefix: str = "360G-netledger") -> str:
    """The 360Giving organisation id of an organisation.

    The first identifier whose scheme has the shape of an org-id.guide list code
    (two letters, a hyphen, the list: ``KR-BRN``, ``GB-CHC``, ``XI-GRID``) in
    org-id.guide form, ``SCHEME-ID`` (KR-BRN keeps only the 10 digits, other lists
    lose their spaces); else ``<publisher_prefix>-org-<key>``.

    >>> org_id(["KR-BRN:402-82-24197"], "postech")
    'KR-BRN-4028224197'
    >>> org_id(["WIKIDATA:Q1", "GB-CHC:1234 56"], "x")
    'GB-CHC-123456'
    >>> org_id([], "pohang-city")
    '360G-netledger-org-pohang-city'
    """
    for identifier in identifiers:
        scheme, _, value = identifier.partition(":")
        if _ORG_ID_SCHEME.fullmatch(scheme):
            clean = _ORG_ID_CLEAN.get(scheme, lambda v: re.sub(r"\s+", "", v))(value)
            if clean:
                return f"{scheme}-{clean}"
    return f"{publisher_prefix}-org-{key}"


def amount_number(amount: Decimal) -> int | float | None:
    """The JSON number 360Giving's ``amountAwarded`` (type ``number``) gets for *amount*, or None.

    An integral amount becomes an ``int`` (exact at any size). Otherwise a ``float``,
    but only when the float prints back as exactly the same decimal (so the JSON text
    equals the ledger's amount); None when it does not, and the grant is skipped rather
    than published with a rounded amount.

    >>> amount_number(Decimal("7200000000")), amount_number(Decimal("1000.5"))
    (7200000000, 1000.5)
    >>> amount_number(Decimal("123456789012345.123456")) is None
    True
    """
    if amount == amount.to_integral_value():
        return int(amount)
    number = float(amount)
    return number if Decimal(repr(number)) == amount else None


def _organisation(events: list[Positioned], key: str, day: str, prefix: str) -> dict[str, Any] | None:
    """The 360Giving organisation of *key* (its names on *day*), or None when its registration does not count."""
    org = organisation_on(events, day)
    registered = org.registration
    if registered is None:
        return None
    entry: dict[str, Any] = {
        "id": org_id(registered.identifiers, key, publisher_prefix=prefix),
        "name": org.name_en or org.name_ko or key,
    }
    if org.name_en and org.name_ko:
        entry["alternateName"] = org.name_ko
    if registered.locality:
        entry["addressLocality"] = registered.locality
    if registered.country:
        entry["addressCountry"] = registered.country
    return entry


def _grant_id(reference: str | None, support_id: str, prefix: str, used: set[str]) -> str:
    if reference and reference.startswith(f"{prefix}-") and not re.search(r"\s", reference) and reference not in used:
        return reference
    return f"{prefix}-{support_id}"


def export_360giving(
    ledger: Ledger,
    *,
    publisher_prefix: str = "360G-netledger",
    as_of: date | str | PartialDate | None = None,
    position: int | None = None,
    known_at: datetime | None = None,
) -> tuple[dict[str, Any], list[SkippedSupport]]:
    """The ledger's grants as a 360Giving 1.4.3 package, and the supports left out.

    Every grant is exported as it stood on *as_of* (default today; ``"2019"`` is
    2019-12-31), as known at the cut (*position*, *known_at*; default everything
    recorded): its terms in force then (amendments apply from their own date), its
    payments made by then, and the names its organisations had then (docs/time.md).

    What is exported: one grant per support of kind ``grant`` that, on that day, has

    - an amount and a currency (a support without an amount is never published as a
      zero-amount grant; an amount recorded as 0 is published as 0);
    - an award date known to the day (``effective`` of ``support.awarded``): 360Giving's
      ``awardDate`` must be ``YYYY-MM-DD``, and inventing a day would publish a false fact;
    - exactly one recipient: the ledger records one amount for the whole support, and
      360Giving's grant is one award to one recipient, so a grant with several
      recipients cannot be split without inventing how the amount was shared;
    - funders and recipient registered (360Giving needs each one's name);
    - an amount that JSON can carry exactly (see ``amount_number``).

    Every other support is skipped, with the reason: other kinds (loans, guarantees,
    investment, in-kind help and designations are not grants), supports awarded after
    the day, supports withdrawn by then (the grant was cancelled), and supports whose
    award was retracted (the ledger no longer holds that it happened). A support that
    ended (ran its course) is still a grant. Partnerships and agreements are never
    exported and not listed as skipped.

    The grant:

    - ``id``: the support's ``reference`` when it already starts with
      ``<publisher_prefix>-`` (and no other grant uses it), else
      ``<publisher_prefix>-<support id>``;
    - ``title``: the title in force, else ``Grant from <funders> to <recipient>``;
      ``description``: the description in force, else the title;
    - ``currency``, ``amountAwarded`` (a JSON number, exact), ``awardDate``;
      ``amountDisbursed`` when money was paid out by the day;
    - ``plannedDates`` when a planned start or end is known, written with its own
      precision (360Giving's planned dates accept ``YYYY``, ``YYYY-MM`` and ``YYYY-MM-DD``);
    - ``fundingOrganization`` (every funder) and ``recipientOrganization`` (the one
      recipient): ``id`` from ``org_id``, ``name`` the English name else the Korean one,
      ``alternateName`` the Korean name when both are known, ``addressLocality`` and
      ``addressCountry`` (the ISO 3166 code) when registered;
    - ``grantProgramme`` when the support names a programme (``code`` its key, ``title`` its name).

    Parameters
    ----------
    ledger : Ledger
    publisher_prefix : str
        The publisher's 360Giving prefix (it starts with ``360G-``).
    as_of : date or date text, optional
        The day (``projections.timeaxes.query_day``).
    position, known_at : optional
        The knowledge cut: only the events recorded at or before them.

    Returns
    -------
    package : dict
        ``{"grants": [...]}``, JSON-ready. The package schema wants at least one grant:
        a ledger with none gives ``{"grants": []}``, which does not validate.
    skipped : list of SkippedSupport
        ``support_id``, ``kind``, ``title`` and ``reason`` of each support left out, in
        the order they were awarded.

    Raises
    ------
    ValueError
        If *publisher_prefix* does not start with ``360G-`` or contains spaces.
    """
    if not re.fullmatch(r"360G-\S+", publisher_prefix):
        raise ValueError(f"publisher_prefix {publisher_prefix!r} is not a 360Giving prefix (e.g. 360G-netledger)")
    day = query_day(as_of)
    events: dict[UUID, list[Positioned]] = {}
    supports: list[UUID] = []
    for p, e in ledger.events(upto=position):
        if known_at is not None and e.recorded_at > known_at:
            continue
        events.setdefault(e.originator_id, []).append((p, e))
        if isinstance(e, Support.Awarded):
            supports.append(e.originator_id)
    live = {uid: known(found)[0] for uid, found in events.items()}
    grants: list[dict[str, Any]] = []
    skipped: list[SkippedSupport] = []
    used: set[str] = set()
    for uid in supports:
        support = relation_on(live[uid], day)
        outcome = _grant(live, str(uid), support, day, publisher_prefix, used)
        if isinstance(outcome, str):
            award = next(e for _, e in events[uid] if isinstance(e, Support.Awarded))
            title = support.terms.get("title", award.title)
            skipped.append({"support_id": str(uid), "kind": award.kind, "title": title, "reason": outcome})
        else:
            used.add(outcome["id"])
            grants.append(outcome)
    return {"grants": grants}, skipped


def _grant(
    live: dict[UUID, list[Positioned]], support_id: str, support: RelationOn, day: str, prefix: str, used: set[str]
) -> dict[str, Any] | str:
    """The 360Giving grant of *support* (as it stood on *day*), or why there is none."""
    award = support.created
    if award is None:
        return "its award was retracted"
    assert isinstance(award, Support.Awarded)
    terms = support.terms
    if support.status.startswith("not yet"):
        return f"awarded on {award.effective}, after {day}"
    if award.kind != "grant":
        return f"kind {award.kind!r} is not a grant"
    if support.status == "withdrawn" and support.closed is not None:
        return f"withdrawn on {support.closed.effective}"
    amount, currency = terms["amount"], terms["currency"]
    if amount is None or currency is None:
        return "no amount: a grant is published only with its amount and currency"
    award_date = award.effective
    if award_date is None or award_date.precision != "day":
        return f"award date {award_date} is not known to the day (360Giving needs YYYY-MM-DD)"
    if len(award.recipients) != 1:
        return f"{len(award.recipients)} recipients share one amount: it cannot be split among them"
    number = amount_number(amount)
    if number is None:
        return f"amount {amount} cannot be written exactly as a JSON number"
    funders: list[dict[str, Any]] = []
    missing: list[str] = []
    for party in award.funders:
        funder = _organisation(live.get(organisation_id(party.key), []), party.key, day, prefix)
        if funder is None:
            missing.append(party.key)
        else:
            funders.append(funder)
    key = award.recipients[0].key
    recipient = _organisation(live.get(organisation_id(key), []), key, day, prefix)
    if recipient is None:
        missing.append(key)
    if missing or recipient is None:
        return f"not a registered organisation: {', '.join(missing)}"
    title = terms["title"] or f"Grant from {' and '.join(f['name'] for f in funders)} to {recipient['name']}"
    grant: dict[str, Any] = {
        "id": _grant_id(award.reference, support_id, prefix, used),
        "title": title,
        "description": terms["description"] or title,
        "currency": currency,
        "amountAwarded": number,
        "awardDate": award_date.first_day.isoformat(),
    }
    if support.disbursed is not None:
        disbursed = amount_number(support.disbursed)
        if disbursed is not None:
            grant["amountDisbursed"] = disbursed
    planned = {
        name: str(value)
        for name, value in (("startDate", terms["planned_start"]), ("endDate", terms["planned_end"]))
        if value is not None
    }
    if planned:
        grant["plannedDates"] = [planned]
    grant["fundingOrganization"] = funders
    grant["recipientOrganization"] = [recipient]
    if award.programme is not None:
        programme = organisation_on(live.get(organisation_id(award.programme), []), day)
        name = (programme.name_en or programme.name_ko) if programme.registration is not None else None
        grant["grantProgramme"] = [{"code": award.programme, "title": name or award.programme}]
    return grant


def grants_360giving(
    ledger: Ledger, *, publisher_prefix: str = "360G-netledger", as_of: date | str | PartialDate | None = None
) -> dict[str, Any]:
    """The ledger's grants as a 360Giving 1.4.3 package ``{"grants": [...]}``.

    Which supports become grants, and how, is described in ``export_360giving``;
    ``skipped_360giving`` lists the others with the reason.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = tempfile.TemporaryDirectory()
    >>> ledger = Ledger(pathlib.Path(folder.name) / "g.db", actor="doc", create=True)
    >>> _ = ledger.register_organisation("nrf", sector="funder", name_en="NRF", identifiers=["KR-BRN:3148212345"])
    >>> _ = ledger.register_organisation("postech", sector="university", name_ko="포스텍", country="KR")
    >>> sid = ledger.award_support(kind="grant", funders=["nrf"], recipients=["postech"],
    ...                            amount="50000000", currency="KRW", effective="2020-03-02").aggregate_id
    >>> grant = grants_360giving(ledger)["grants"][0]
    >>> grant["id"] == f"360G-netledger-{sid}", grant["title"], grant["amountAwarded"], grant["awardDate"]
    (True, 'Grant from NRF to 포스텍', 50000000, '2020-03-02')
    >>> grant["fundingOrganization"], grant["recipientOrganization"][0]["addressCountry"]
    ([{'id': 'KR-BRN-3148212345', 'name': 'NRF'}], 'KR')
    >>> ledger.close(); folder.cleanup()
    """
    return export_360giving(ledger, publisher_prefix=publisher_prefix, as_of=as_of)[0]


def skipped_360giving(
    ledger: Ledger, *, publisher_prefix: str = "360G-netledger", as_of: date | str | PartialDate | None = None
) -> list[SkippedSupport]:
    """The supports ``grants_360giving`` leaves out, each with ``support_id``, ``kind``, ``title`` and ``reason``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = tempfile.TemporaryDirectory()
    >>> ledger = Ledger(pathlib.Path(folder.name) / "s.db", actor="doc", create=True)
    >>> _ = ledger.register_organisation("kosme", sector="funder", name_en="KOSME")
    >>> _ = ledger.register_organisation("firm", sector="firm", name_en="A firm")
    >>> _ = ledger.award_support(kind="loan", funders=["kosme"], recipients=["firm"],
    ...                          amount="100000000", currency="KRW", effective="2019-08-22")
    >>> _ = ledger.award_support(kind="grant", funders=["kosme"], recipients=["firm"],
    ...                          amount="5000000", currency="KRW", effective="2019-08")
    >>> [s["reason"] for s in skipped_360giving(ledger)]
    ["kind 'loan' is not a grant", 'award date 2019-08 is not known to the day (360Giving needs YYYY-MM-DD)']
    >>> ledger.close(); folder.cleanup()
    """
    return export_360giving(ledger, publisher_prefix=publisher_prefix, as_of=as_of)[1]


__all__ = [
    "SkippedSupport",
    "amount_number",
    "export_360giving",
    "flatten_attributes",
    "grants_360giving",
    "org_id",
    "skipped_360giving",
    "write_gexf",
    "write_graphml",
]
