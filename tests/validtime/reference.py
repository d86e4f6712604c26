"""A slow, obviously-correct reference evaluator of the valid-time model (the rules of ``docs/time.md``).

Written from the specification alone, for the tests: every function takes the list of
``(position, event)`` the ledger recorded (``Ledger.events()``) and recomputes its answer from
scratch, rule by rule, in the words of the spec. Nothing here is fast or cached, on purpose.

Readings of the rules where they leave a choice (docs/time.md states each):

- A query date is an ISO day string (``query_day``); ``start_on`` / ``end_on`` are ISO day strings too.
- The network on D holds only the ties that COUNT on D (section 5); nodes are the organisations that
  exist on D plus the unregistered parties of those ties (sections 3 and 6).
- "The earliest" of several dated closings / dissolutions compares first days; on a tie the
  first recorded wins. A tie's ``end`` on equal first days keeps the first of: the relation's
  closing, then a's dissolutions, then b's (the order the spec lists them in).
- An unregistered party (its registration retracted) that still has a dated dissolution: that
  dissolution does NOT count in a tie's ``end``. An unregistered party is only ``{key, registered: False}``
  and its ties count whatever its dissolutions say (section 5), so an ``end`` on or before D for a tie
  that counts on D would contradict itself. (Read literally, "the DATED dissolution dates of a and b"
  would include it.)
- A rename partly overwritten by later renames is ``amended by`` (section 7 gives that word for
  "amendments and renames" alike; ``renamed by`` is only for registrations).
- ``statuses`` gives every known event a status, ``""`` when it has none.
- Statuses of amendments compare field by field: a support amendment that sets amount and currency
  is only ``amended by`` (not superseded by) a later one that sets the amount alone.
- Amendments and renames of a relation / organisation whose creation was retracted still get their
  ``superseded by`` / ``amended by`` status (section 7 does not exempt them); they are never in force.
- ``show`` of an organisation: ``not yet registered`` wins over ``dissolved`` when both hold on D
  (a registration ``2020-06`` with a dissolution ``2020`` asked about ``2020-03``); a relation that
  starts after D is ``not yet ...`` even if a partial closing date falls before D.
- When two registrations of a key stand (the ledger never lets this happen), only the one in use
  (the last recorded) is in force.
"""

from __future__ import annotations

import calendar
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import networkx as nx

from domain.events import LedgerEvent
from domain.organisation import organisation_id
from domain.values import PartialDate, Party

Log = Sequence[tuple[int, LedgerEvent]]
Nodes = dict[str, dict[str, Any]]
Ties = dict[tuple[str, str, str], dict[str, Any]]

CREATIONS = {"partnership.formed": "partnership", "agreement.signed": "agreement", "support.awarded": "support"}
CLOSINGS = ("partnership.ended", "agreement.terminated", "support.ended", "support.withdrawn")
#: The fields each kind of change (amendment, rename) may set.
CHANGE_FIELDS: dict[str, tuple[str, ...]] = {
    "agreement.amended": ("title", "parties", "term_end"),
    "support.amended": ("amount", "currency", "planned_start", "planned_end", "title", "description"),
    "organisation.renamed": ("name_ko", "name_en"),
}


# -- 1. dates ----------------------------------------------------------------------------------
def query_day(when: str | date) -> str:
    """The ISO day a question "as of *when*" asks about: the LAST day of a year or a month."""
    if isinstance(when, datetime):
        raise TypeError("a query date is a date or a YYYY[-MM[-DD]] string, not a datetime")
    if isinstance(when, date):
        return when.isoformat()
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", when.strip())
    if not m:
        raise ValueError(f"not a query date: {when!r}")
    year = int(m.group(1))
    if m.group(3):
        return date(year, int(m.group(2)), int(m.group(3))).isoformat()
    if m.group(2):
        month = int(m.group(2))
        return date(year, month, calendar.monthrange(year, month)[1]).isoformat()
    return date(year, 12, 31).isoformat()


def day_of(event: LedgerEvent) -> str | None:
    """An event's day: the FIRST day of its effective date (None when undated)."""
    return event.effective.first_day.isoformat() if event.effective is not None else None


def first_day(value: PartialDate | None) -> str | None:
    return value.first_day.isoformat() if value is not None else None


def text(value: PartialDate | None) -> str | None:
    """A partial date as written."""
    return str(value) if value is not None else None


def in_effect(event: LedgerEvent, day: str) -> bool:
    """Undated (from the start) or its day <= D."""
    d = day_of(event)
    return d is None or d <= day


def change_order(position: int, event: LedgerEvent) -> tuple[int, str, int]:
    """The order of changes: by day, undated first, then recording order."""
    d = day_of(event)
    return (0, "", position) if d is None else (1, d, position)


def amount_text(value: Decimal) -> str:
    """A decimal as the ledger writes amounts: no exponent, no trailing zeros after the point."""
    if value == value.to_integral_value():
        return format(value.quantize(Decimal(1)), "f")
    return format(value.normalize(), "f")


# -- 2. knowledge cut and retractions ---------------------------------------------------------
def cut(
    events: Iterable[tuple[int, LedgerEvent]], position: int | None = None, known_at: datetime | None = None
) -> Log:
    """The events known at T: at positions 1..N and/or recorded at or before *known_at*.

    Retractions stay in (the statuses need them); ``standing`` applies them.
    """
    return [
        (p, e)
        for p, e in events
        if (position is None or p <= position) and (known_at is None or e.recorded_at <= known_at)
    ]


def is_retraction(event: LedgerEvent) -> bool:
    return event.type_name.endswith(".retracted")


def retractions(known: Log) -> dict[UUID, LedgerEvent]:
    """Target event id -> the known retraction of it."""
    return {e.retracted_event_id: e for _, e in known if is_retraction(e)}  # type: ignore[attr-defined]


def standing(known: Log) -> list[tuple[int, LedgerEvent]]:
    """The known events that count: retracted targets and the retractions themselves removed."""
    gone = retractions(known)
    return [(p, e) for p, e in known if not is_retraction(e) and e.event_id not in gone]


# -- the world the standing events describe ------------------------------------------------------
@dataclass
class Org:
    """One organisation aggregate: its registration in use, renames and dissolutions (standing)."""

    aggregate_id: UUID
    registration: LedgerEvent | None = None
    registration_position: int = 0
    renames: list[tuple[int, LedgerEvent]] = field(default_factory=list)
    dissolutions: list[tuple[int, LedgerEvent]] = field(default_factory=list)


@dataclass
class Relation:
    """One relation whose creation stands, with its standing amendments, closings and disbursements."""

    aggregate_id: UUID
    tie_type: str
    creation: LedgerEvent
    position: int
    amendments: list[tuple[int, LedgerEvent]] = field(default_factory=list)
    closings: list[tuple[int, LedgerEvent]] = field(default_factory=list)
    disbursements: list[tuple[int, LedgerEvent]] = field(default_factory=list)


@dataclass
class World:
    orgs: dict[UUID, Org]
    relations: dict[UUID, Relation]


def world(known: Log) -> World:
    """Sort the standing events into organisations and relations."""
    live = standing(known)
    orgs: dict[UUID, Org] = {}
    relations: dict[UUID, Relation] = {}
    for p, e in live:
        kind = e.type_name.split(".")[0]
        if kind == "organisation":
            org = orgs.setdefault(e.originator_id, Org(e.originator_id))
            if e.type_name == "organisation.registered":
                org.registration, org.registration_position = e, p  # the last recorded one is used
            elif e.type_name == "organisation.renamed":
                org.renames.append((p, e))
            elif e.type_name == "organisation.dissolved":
                org.dissolutions.append((p, e))
        elif e.type_name in CREATIONS:
            relations[e.originator_id] = Relation(e.originator_id, CREATIONS[e.type_name], e, p)
    for p, e in live:
        rel = relations.get(e.originator_id)
        if rel is None or e.type_name in CREATIONS:
            continue  # an organisation's event, or one of a relation whose creation does not stand
        if e.type_name.endswith(".amended"):
            rel.amendments.append((p, e))
        elif e.type_name in CLOSINGS:
            rel.closings.append((p, e))
        elif e.type_name == "support.disbursed":
            rel.disbursements.append((p, e))
    return World(orgs, relations)


# -- 3. organisations --------------------------------------------------------------------------
def org_of(w: World, key: str) -> Org | None:
    return w.orgs.get(organisation_id(key))


def registered(w: World, key: str) -> bool:
    org = org_of(w, key)
    return org is not None and org.registration is not None


def dated_dissolutions(org: Org | None) -> list[LedgerEvent]:
    """Dated dissolutions, earliest first (by first day, then recording order)."""
    if org is None:
        return []
    dated = [(day_of(e), p, e) for p, e in org.dissolutions if e.effective is not None]
    return [e for _, _, e in sorted(dated, key=lambda t: (t[0], t[1]))]


def exists(org: Org | None, day: str) -> bool:
    """Registered with day <= D (undated: always), and no dated dissolution with day <= D."""
    if org is None or org.registration is None:
        return False
    if not in_effect(org.registration, day):
        return False
    return not any(day_of(e) <= day for e in dated_dissolutions(org))  # type: ignore[operator]


def dissolved_label(org: Org) -> str | None:
    """The earliest dated dissolution as written, else "undated" when only undated ones, else None."""
    dated = dated_dissolutions(org)
    if dated:
        return text(dated[0].effective)
    return "undated" if org.dissolutions else None


def names_on(org: Org, day: str) -> tuple[str | None, str | None]:
    """name_ko, name_en on D: the registration's, then the renames in effect, in change order."""
    assert org.registration is not None
    ko, en = org.registration.name_ko, org.registration.name_en  # type: ignore[attr-defined]
    for _p, e in sorted(org.renames, key=lambda pe: change_order(*pe)):
        if in_effect(e, day):
            ko = e.name_ko or ko  # type: ignore[attr-defined]
            en = e.name_en or en  # type: ignore[attr-defined]
    return ko, en


def node_attrs(org: Org, day: str) -> dict[str, Any]:
    reg: Any = org.registration
    ko, en = names_on(org, day)
    return {
        "key": reg.key,
        "name": en or ko or "",
        "name_ko": ko,
        "name_en": en,
        "sector": reg.sector,
        "subtype": reg.subtype,
        "identifiers": list(reg.identifiers),
        "country": reg.country,
        "locality": reg.locality,
        "registered": True,
        "start": text(reg.effective),
        "dissolved": dissolved_label(org),
    }


# -- 4. relations ------------------------------------------------------------------------------
def terms_on(rel: Relation, day: str) -> dict[str, Any]:
    """The terms on D: the creation's, then every amendment in effect on D, in change order."""
    c: Any = rel.creation
    if rel.tie_type == "partnership":
        return {"title": c.title, "parties": list(c.parties)}
    if rel.tie_type == "agreement":
        terms = {"kind": c.kind, "title": c.title, "parties": list(c.parties), "term_end": c.term_end}
    else:
        terms = {
            "kind": c.kind,
            "funders": list(c.funders),
            "recipients": list(c.recipients),
            "programme": c.programme,
            "amount": c.amount,
            "currency": c.currency,
            "planned_start": c.planned_start,
            "planned_end": c.planned_end,
            "title": c.title,
            "description": c.description,
            "reference": c.reference,
        }
    for _p, a in sorted(rel.amendments, key=lambda pe: change_order(*pe)):
        if not in_effect(a, day):
            continue
        for name in CHANGE_FIELDS[a.type_name]:
            value = getattr(a, name)
            if value is None:
                continue
            if name == "amount":  # an amount without currency keeps the current currency
                terms["amount"] = value
                terms["currency"] = a.currency or terms["currency"]  # type: ignore[attr-defined]
            elif name != "currency":
                terms[name] = list(value) if name == "parties" else value
    return terms


def closing(rel: Relation) -> LedgerEvent | None:
    """The closing event that counts: the earliest by day (first recorded on a tie)."""
    dated = sorted(((day_of(e), p, e) for p, e in rel.closings), key=lambda t: (t[0], t[1]))
    return dated[0][2] if dated else None


def start_day(rel: Relation) -> str:
    return day_of(rel.creation)  # type: ignore[return-value]


def alive(rel: Relation, day: str) -> bool:
    """s <= D and no closing event with day <= D."""
    close = closing(rel)
    return start_day(rel) <= day and (close is None or day_of(close) > day)  # type: ignore[operator]


def disbursed_on(rel: Relation, day: str) -> str | None:
    """Exact sum of the disbursements with day <= D, or None when there is none."""
    paid = [e.amount for _p, e in rel.disbursements if in_effect(e, day)]  # type: ignore[attr-defined]
    return amount_text(sum(paid, Decimal(0))) if paid else None


def pairs_on(rel: Relation, terms: dict[str, Any]) -> list[tuple[Party, Party]]:
    """The ordered pairs of a relation on D; the n-th is the tie ``<id>:<n>``."""
    if rel.tie_type == "support":
        # no tie from an organisation to itself (a support flagged recipient_is_funder)
        return [(f, r) for f, r in itertools.product(terms["funders"], terms["recipients"]) if f.key != r.key]
    return list(itertools.combinations(terms["parties"], 2))


# -- 5. the network on D ----------------------------------------------------------------------
def present(w: World, key: str, day: str) -> bool:
    """A party can hold a counting tie on D: it exists on D, or it has no registration at all."""
    return exists(org_of(w, key), day) or not registered(w, key)


def tie_end(rel: Relation, w: World, a: str, b: str) -> PartialDate | None:
    """The earliest (by first day) of the closing date and the dated dissolutions of a and b (if registered)."""
    close = closing(rel)
    candidates = [close.effective] if close is not None else []
    for key in (a, b):
        if registered(w, key):
            candidates += [e.effective for e in dated_dissolutions(org_of(w, key))]
    best: PartialDate | None = None
    for c in candidates:
        assert c is not None
        if best is None or c.first_day < best.first_day:
            best = c
    return best


def tie_attrs(rel: Relation, w: World, terms: dict[str, Any], a: Party, b: Party, day: str) -> dict[str, Any]:
    c = rel.creation
    end = tie_end(rel, w, a.key, b.key)
    attrs: dict[str, Any] = {
        "aggregate_id": str(rel.aggregate_id),
        "tie_type": rel.tie_type,
        "kind": "partnership" if rel.tie_type == "partnership" else terms["kind"],
        "title": terms["title"],
        "start": text(c.effective),
        "start_on": first_day(c.effective),
        "end": text(end),
        "end_on": first_day(end),
        "roles": [a.role, b.role],
    }
    if rel.tie_type == "agreement":
        attrs["term_end"] = text(terms["term_end"])
    if rel.tie_type == "support":
        attrs["amount"] = None if terms["amount"] is None else str(terms["amount"])
        attrs["currency"] = terms["currency"]
        attrs["programme"] = terms["programme"]
        attrs["disbursed"] = disbursed_on(rel, day)
    return attrs


def network(known: Log, day: str) -> tuple[Nodes, Ties]:
    """The network on D as known at T: (nodes key -> attrs, ties (u, v, key) -> attrs)."""
    w = world(known)
    nodes: Nodes = {}
    for org in sorted(w.orgs.values(), key=lambda o: o.registration_position):
        if exists(org, day):
            nodes[node_attrs(org, day)["key"]] = node_attrs(org, day)
    ties: Ties = {}
    for rel in sorted(w.relations.values(), key=lambda r: r.position):
        if not alive(rel, day):
            continue
        terms = terms_on(rel, day)
        for n, (a, b) in enumerate(pairs_on(rel, terms)):
            if present(w, a.key, day) and present(w, b.key, day):
                ties[(a.key, b.key, f"{rel.aggregate_id}:{n}")] = tie_attrs(rel, w, terms, a, b, day)
                for k in (a.key, b.key):
                    if not registered(w, k):
                        nodes[k] = {"key": k, "registered": False}
    return nodes, ties


# -- 6. metrics --------------------------------------------------------------------------------
def simple_graph(nodes: Nodes, ties: Ties) -> nx.Graph:
    """The undirected simple graph: one link per pair with at least one counting tie (sorted, for determinism)."""
    g: nx.Graph = nx.Graph()
    g.add_nodes_from(sorted(nodes))
    g.add_edges_from(sorted({(min(u, v), max(u, v)) for u, v, _k in ties}))
    return g


def metrics(nodes: Nodes, ties: Ties, name: str) -> dict[str, float | None]:
    """degree / betweenness / closeness / eigenvector centrality of the network on D, as NetworkX has them."""
    g = simple_graph(nodes, ties)
    if name == "degree":
        return dict(nx.degree_centrality(g))
    if name == "betweenness":
        return dict(nx.betweenness_centrality(g))
    if name == "closeness":
        return dict(nx.closeness_centrality(g))
    if name == "eigenvector":
        if g.number_of_edges() == 0:
            return dict.fromkeys(g.nodes)
        return dict(nx.eigenvector_centrality(g))
    raise ValueError(f"unknown metric {name!r}")


# -- show --------------------------------------------------------------------------------------
def _known_key(known: Log, aggregate_id: UUID) -> str | None:
    """The key of an organisation aggregate, from any known event of it, or a party naming it."""
    for _p, e in known:
        if e.originator_id == aggregate_id and hasattr(e, "key"):
            return str(e.key)
    for _p, e in known:
        for party in getattr(e, "parties", None) or []:  # a support's parties: its funders and recipients
            if organisation_id(party.key) == aggregate_id:
                return str(party.key)
    return None


def _parse_target(target: UUID | str) -> tuple[UUID, str | None]:
    """An aggregate id, or an organisation key (then also the key)."""
    if isinstance(target, UUID):
        return target, None
    try:
        return UUID(target), None
    except ValueError:
        return organisation_id(target), target


def show_state(known: Log, target: UUID | str, day: str) -> dict[str, Any]:
    """The state on D, as known at T, of one aggregate (an organisation may be named by its key)."""
    aggregate_id, key = _parse_target(target)
    creation = next(((p, e) for p, e in known if e.event_id == aggregate_id and e.type_name in CREATIONS), None)
    if creation is None:
        return _show_organisation(known, aggregate_id, key, day)
    kind = CREATIONS[creation[1].type_name]
    state: dict[str, Any] = {"kind": kind, "id": str(aggregate_id)}
    rel = world(known).relations.get(aggregate_id)
    if rel is None:
        state["status"] = "retracted"
        return state
    close = closing(rel)
    if start_day(rel) > day:
        status = {"partnership": "not yet started", "agreement": "not yet signed", "support": "not yet awarded"}[kind]
    elif close is not None and day_of(close) <= day:  # type: ignore[operator]
        status = {
            "partnership.ended": "ended",
            "agreement.terminated": "terminated",
            "support.ended": "ended",
            "support.withdrawn": "withdrawn",
        }[close.type_name]
    else:
        status = "active"
    state["status"] = status
    terms = terms_on(rel, day)
    c: Any = rel.creation
    end = text(close.effective) if close is not None else None
    if kind == "partnership":
        state.update(title=terms["title"], parties=[str(p) for p in terms["parties"]], start=text(c.effective), end=end)
    elif kind == "agreement":
        state.update(
            agreement_kind=terms["kind"],
            title=terms["title"],
            parties=[str(p) for p in terms["parties"]],
            signed=text(c.effective),
            term_end=text(terms["term_end"]),
            end=end,
        )
    else:
        state.update(
            support_kind=terms["kind"],
            funders=[str(p) for p in terms["funders"]],
            recipients=[str(p) for p in terms["recipients"]],
            programme=terms["programme"],
            amount=None if terms["amount"] is None else str(terms["amount"]),
            currency=terms["currency"],
            planned_start=text(terms["planned_start"]),
            planned_end=text(terms["planned_end"]),
            title=terms["title"],
            description=terms["description"],
            reference=terms["reference"],
            awarded=text(c.effective),
            disbursed=disbursed_on(rel, day),
            end=end,
        )
    return state


def _show_organisation(known: Log, aggregate_id: UUID, key: str | None, day: str) -> dict[str, Any]:
    org = world(known).orgs.get(aggregate_id)
    reg: Any = org.registration if org is not None else None
    state: dict[str, Any] = {
        "kind": "organisation",
        "id": str(aggregate_id),
        "key": reg.key if reg is not None else key or _known_key(known, aggregate_id),
    }
    if org is None or reg is None:
        state["status"] = "unregistered"
        return state
    if not in_effect(reg, day):
        status = "not yet registered"
    elif any(day_of(e) <= day for e in dated_dissolutions(org)):  # type: ignore[operator]
        status = "dissolved"
    else:
        status = "active"
    ko, en = names_on(org, day)
    state.update(
        status=status,
        name_ko=ko,
        name_en=en,
        sector=reg.sector,
        subtype=reg.subtype,
        identifiers=list(reg.identifiers),
        country=reg.country,
        locality=reg.locality,
        registered=text(reg.effective),
        dissolved=dissolved_label(org),
    )
    return state


# -- 7. statuses -------------------------------------------------------------------------------
def fields_set(event: LedgerEvent) -> set[str]:
    return {name for name in CHANGE_FIELDS[event.type_name] if getattr(event, name) is not None}


def later_changes(live: Log, position: int, event: LedgerEvent, day: str | None) -> list[LedgerEvent]:
    """Standing changes of the same kind and aggregate, later in change order (in effect on D if given)."""
    mine = change_order(position, event)
    later = [
        (change_order(p, e), e)
        for p, e in live
        if e.originator_id == event.originator_id
        and e.type_name == event.type_name
        and change_order(p, e) > mine
        and (day is None or in_effect(e, day))
    ]
    return [e for _o, e in sorted(later, key=lambda t: t[0])]


def supersession(live: Log, position: int, event: LedgerEvent, day: str | None) -> tuple[str, list[LedgerEvent]]:
    """("superseded" | "amended" | "renamed" | "", the later changes that set one of the event's fields).

    A rename that later renames partly overwrite is "renamed by" them, as a registration is (docs/time.md).
    """
    own = fields_set(event)
    setters = [e for e in later_changes(live, position, event, day) if fields_set(e) & own]
    covered: set[str] = set().union(*(fields_set(e) for e in setters)) & own
    if not covered:
        return "", []
    partly = "renamed" if event.type_name == "organisation.renamed" else "amended"  # docs/time.md: the word
    return ("superseded" if covered == own else partly), setters


def _ids(events: Iterable[LedgerEvent]) -> str:
    return ", ".join(str(e.event_id) for e in events)


def statuses(known: Log, day: str | None = None) -> dict[int, str]:
    """Position -> the status of every known event ("" when none), optionally relative to D."""
    gone = retractions(known)
    live = standing(known)
    result: dict[int, str] = {}
    for p, e in known:
        status = ""
        if e.event_id in gone:
            status = f"retracted by {gone[e.event_id].event_id}"
        elif e.type_name in CHANGE_FIELDS:
            verdict, setters = supersession(live, p, e, day)
            if verdict:
                status = f"{verdict} by {_ids(setters)}"
        elif e.type_name in CREATIONS or e.type_name == "organisation.registered":
            change = (
                "organisation.renamed"
                if e.type_name == "organisation.registered"
                else f"{e.type_name.split('.')[0]}.amended"
            )
            changes = sorted(
                (change_order(q, c), c)
                for q, c in live
                if c.originator_id == e.originator_id and c.type_name == change and (day is None or in_effect(c, day))
            )
            if changes:
                verb = "renamed" if change == "organisation.renamed" else "amended"
                status = f"{verb} by {_ids(c for _o, c in changes)}"
        result[p] = status
    return result


# -- 8. events in force ------------------------------------------------------------------------
def in_force(known: Log, day: str) -> list[int]:
    """Positions of the standing events in force on D, in position order."""
    w = world(known)
    live = standing(known)
    result = []
    for p, e in live:
        t = e.type_name
        org = w.orgs.get(e.originator_id)
        rel = w.relations.get(e.originator_id)
        if t == "organisation.registered":
            ok = org is not None and org.registration is e and exists(org, day)
        elif t == "organisation.renamed":
            ok = exists(org, day) and in_effect(e, day) and supersession(live, p, e, day)[0] != "superseded"
        elif t == "organisation.dissolved":
            ok = e.effective is None and exists(org, day)
        elif t in CREATIONS:
            ok = rel is not None and alive(rel, day)
        elif t.endswith(".amended"):
            ok = (
                rel is not None
                and alive(rel, day)
                and in_effect(e, day)
                and supersession(live, p, e, day)[0] != "superseded"
            )
        elif t == "support.disbursed":
            ok = rel is not None and alive(rel, day) and in_effect(e, day)
        else:  # closing events (retractions are not standing)
            ok = False
        if ok:
            result.append(p)
    return result
