"""The network as a pure fold of ledger events into a ``networkx.MultiDiGraph``.

Nodes are organisations, keyed by their key, with ``key``, ``name``,
``name_ko``, ``name_en``, ``sector``, ``subtype``, ``identifiers``,
``country``, ``dissolved`` and ``registered``. Edges are ties, keyed by
``"<aggregate id>:<n>"``:

- a partnership or agreement with k parties becomes a tie between every pair
  of parties (k*(k-1)/2 ties, from the earlier-listed party to the later one);
- a support becomes one tie from each funder to each recipient.

A tie carries ``aggregate_id``, ``tie_type``, ``kind``, ``title``, ``start``
and ``end`` (as written, with their precision), ``start_on`` and ``end_on``
(ISO first days, for as-of selection), ``roles`` (the two parties' roles),
``term_end`` on agreements and ``amount`` (a decimal string), ``currency`` and
``programme`` on support. Closing events (ended, terminated, withdrawn) set
``end``; a tie still open when one of its organisations is dissolved (with a
date) ends on the dissolution date. A retraction removes exactly what the
retracted event contributed.

The fold reads events as plain JSON payloads (``projections.records``), keeps
only what ties need (a compact history per aggregate, see ``NetworkFold``) and
writes NetworkX's adjacency dicts directly. It touches no storage.

>>> from projections.graph import NetworkFold
>>> fold = NetworkFold()
>>> fold.graph.number_of_nodes(), fold.position
(0, 0)
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import combinations
from typing import Any
from uuid import UUID

import networkx as nx

from domain.agreement import Agreement
from domain.collector import paused_gc
from domain.events import Aggregate, LedgerEvent
from domain.mapper import upcast
from domain.organisation import Organisation
from domain.partnership import Partnership
from domain.support import Support
from domain.values import PartialDate
from projections.records import (
    AMEND,
    CLOSE,
    CREATE,
    DISSOLVE,
    NOOP,
    OPS_BY_TOPIC,
    REGISTER,
    RENAME,
    EventOp,
    Record,
    Row,
    complete,
    first_day,
    op_for_topic,
    record_of,
)

#: Version of what the fold derives and of its saved state; a persisted projection of another version is rebuilt.
FOLD_VERSION = 1

# A compact event is a tuple whose first two items are the event id and the operation:
#   organisation: (id, REGISTER, name_ko, name_en, sector, subtype, identifiers, country)
#                 (id, RENAME, name_ko, name_en)          (id, DISSOLVE, date or None)
#   relation:     (id, CREATE, tie_type, start, kind, title, parties or funders, recipients or None,
#                  term_end, amount, currency, programme, aggregate id as text)
#                 (id, AMEND, title, parties, term_end, amount, currency)      (id, CLOSE, date)
# Retractions are not kept: they delete the retracted event from its aggregate's history.
Compact = tuple[Any, ...]
Party = tuple[str, str | None]
Tie = tuple[str, str, dict[str, Any]]

_DECODER = json.JSONDecoder()
_SUFFIXES = 64
_SUFFIX = tuple(f":{n}" for n in range(_SUFFIXES))  # edge keys "<aggregate id>:<n>", without formatting n


def utc_key(when: datetime) -> str:
    """A timestamp as fixed-width UTC text, so that text order is time order (naive means UTC).

    Pydantic writes ``recorded_at`` in this form (``2026-11-26T15:12:08.028414Z``)
    whenever the microseconds are not zero.

    >>> from datetime import timedelta, timezone
    >>> utc_key(datetime(2026, 1, 2, 9, 0, tzinfo=timezone(timedelta(hours=9))))
    '2026-01-02T00:00:00.000000Z'
    """
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class NetworkFold:
    """Fold events one at a time; ``graph`` is always the network as recorded so far.

    Feed it stored rows (``apply_rows``, the fast path), records
    (``apply_record``) or pydantic events (``apply``): all three fold the same
    payload. ``position`` is the last position folded, ``events`` counts the
    events folded, ``recorded_upto`` is the latest ``recorded_at`` among them.

    Instead of whole aggregates the fold keeps, per aggregate, the compact history
    of the events that shape the graph (``orgs`` by organisation key, ``rels`` by
    the integer value of the relation's aggregate id). A new relation adds its ties
    directly; a closing event updates their ends in place; any other change
    re-derives that one aggregate's ties (or node) from its history, so a retraction
    (which deletes the retracted event from the history) removes exactly what that
    event contributed.
    """

    def __init__(self) -> None:
        self.graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self.position = 0
        self.events = 0
        self.recorded_upto: datetime | None = None
        self.orgs: dict[str, list[Compact]] = {}
        self.rels: dict[int, list[Compact]] = {}
        self._strings: dict[str, str] = {}  # one copy of each key, role and date text
        self._days: dict[str, str] = {}  # date text -> ISO first day
        self._parties: dict[Party, Party] = {}  # one copy of each (key, role)
        self._dissolved: dict[str, str] = {}  # key -> date, for registered organisations dissolved with a date
        self._bind()

    def _bind(self) -> None:
        # NetworkX's own adjacency dicts (``MultiDiGraph.add_edge`` writes the same ones).
        inner = vars(self.graph)
        self._node: dict[str, dict[str, Any]] = inner["_node"]
        self._succ: dict[str, dict[str, dict[str, dict[str, Any]]]] = inner["_succ"]
        self._pred: dict[str, dict[str, dict[str, dict[str, Any]]]] = inner["_pred"]

    # -- feeding -------------------------------------------------------------------------
    def apply(self, position: int, event: LedgerEvent) -> None:
        """Fold one pydantic event recorded at *position*."""
        self.apply_record(record_of(position, event))

    def apply_record(self, record: Record) -> None:
        """Fold one record (its ``state`` is left unchanged)."""
        entry = op_for_topic(record.topic)
        state = record.state
        if entry.upcasts:
            state = upcast(entry.cls, dict(state))
        state = complete(entry.cls, state)
        self._fold(record.position, record.originator_id, entry, state)
        stamp = state.get("recorded_at")
        if stamp is not None:
            stamp = stamp if isinstance(stamp, datetime) else datetime.fromisoformat(stamp)
            if self.recorded_upto is None or stamp > self.recorded_upto:
                self.recorded_upto = stamp
        nx._clear_cache(self.graph)

    def apply_all(self, items: Iterable[Record | tuple[int, LedgerEvent]]) -> NetworkFold:
        """Fold records or ``(position, event)`` pairs, in order."""
        with paused_gc():
            for item in items:
                if isinstance(item, Record):
                    self.apply_record(item)
                else:
                    self.apply(*item)
        return self

    def apply_rows(self, rows: Iterable[Row], *, known_at: datetime | None = None) -> int:
        """Fold stored rows (``recorder.select_notifications``); the fast path of a rebuild.

        With *known_at*, rows recorded after it are skipped. Returns how many rows were folded.
        """
        decode = _DECODER.raw_decode
        by_topic = OPS_BY_TOPIC
        fold = self._fold
        known = utc_key(known_at) if known_at is not None else None
        upto = utc_key(self.recorded_upto) if self.recorded_upto is not None else ""
        folded = 0
        with paused_gc():
            for row in rows:
                entry = by_topic.get(row.topic) or op_for_topic(row.topic)
                state = decode(str(row.state, "utf-8"))[0]  # bytes, or a buffer from another database driver
                stamp = state["recorded_at"]
                if len(stamp) != 27 or stamp[26] != "Z":  # not the usual fixed-width UTC form
                    stamp = utc_key(datetime.fromisoformat(stamp))
                if known is not None and stamp > known:
                    continue
                if entry.upcasts:
                    upcast(entry.cls, state)
                fold(row.id, row.originator_id, entry, state)
                if stamp > upto:
                    upto = stamp
                folded += 1
        if upto:
            self.recorded_upto = datetime.fromisoformat(upto)
        nx._clear_cache(self.graph)
        return folded

    def _fold(self, position: int, originator_id: UUID | str, entry: EventOp, state: dict[str, Any]) -> None:
        op = entry.op
        if op >= CREATE:
            uid = originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))
            self._relation(uid, op, entry.tie_type, state)
        elif op != NOOP:
            self._organisation(op, state)
        self.position = position
        self.events += 1

    # -- interning: one string object per key, role and date ----------------------------------
    def _text(self, text: str) -> str:
        return self._strings.setdefault(text, text)

    def _date(self, text: str | None) -> str | None:
        if text is None:
            return None
        found = self._strings.get(text)
        if found is None:
            self._strings[text] = found = text
            self._days[text] = first_day(text)
        return found

    def _day(self, text: str | None) -> str | None:
        if text is None:
            return None
        day = self._days.get(text)
        return day if day is not None else first_day(text)

    def _party_list(self, parties: list[dict[str, Any]]) -> tuple[Party, ...]:
        cache = self._parties
        out = []
        for p in parties:
            pair = (p["key"], p.get("role"))
            found = cache.get(pair)
            if found is None:
                role = pair[1]
                found = (self._text(pair[0]), None if role is None else self._text(role))
                cache[found] = found
            out.append(found)
        return tuple(out)

    # -- organisations -------------------------------------------------------------------
    def _organisation(self, op: int, state: dict[str, Any]) -> None:
        key = self._text(state["key"])
        history = self.orgs.get(key)
        if history is None:
            history = self.orgs[key] = []
        if op == REGISTER:
            history.append(
                (
                    state["event_id"],
                    REGISTER,
                    state.get("name_ko"),
                    state.get("name_en"),
                    self._text(state["sector"]),
                    state.get("subtype"),
                    state.get("identifiers") or [],
                    state.get("country"),
                )
            )
        elif op == RENAME:
            history.append((state["event_id"], RENAME, state.get("name_ko"), state.get("name_en")))
        elif op == DISSOLVE:
            history.append((state["event_id"], DISSOLVE, self._date(state.get("effective"))))
        elif not _drop(history, state["retracted_event_id"]):
            return
        self._refresh_node(key, history)

    def _refresh_node(self, key: str, history: list[Compact]) -> None:
        nodes = self._node
        attrs = node_attributes(key, history)
        old = nodes.get(key)
        before = self._dissolved.get(key)
        after = attrs["dissolved"] if attrs is not None else None
        if after:
            self._dissolved[key] = after
        else:
            self._dissolved.pop(key, None)
        if attrs is None:
            if old is None:
                return
            if not self._succ[key] and not self._pred[key]:
                self._remove_node(key)
                return
            old.clear()
            old.update(key=key, registered=False)  # still a party to ties, but no longer registered
        elif old is None:
            nodes[key] = attrs
            self._succ[key] = {}
            self._pred[key] = {}
        else:
            old.clear()
            old.update(attrs)
        if after != before:
            self._reclose(key)

    def _placeholder(self, key: str) -> None:
        """A party whose registration is not (or no longer) in the ledger."""
        self._node[key] = {"key": key, "registered": False}
        self._succ[key] = {}
        self._pred[key] = {}

    def _remove_node(self, key: str) -> None:
        del self._node[key], self._succ[key], self._pred[key]

    def _reclose(self, key: str) -> None:
        """Re-derive the end of every tie of *key* that its own aggregate leaves open."""
        own_ends: dict[str, str | None] = {}
        for outgoing, neighbours in ((True, self._succ[key]), (False, self._pred[key])):
            for other, keydict in neighbours.items():
                for attrs in keydict.values():
                    agg = attrs["aggregate_id"]
                    if agg not in own_ends:
                        own_ends[agg] = own_end(self.rels.get(UUID(agg).int, []))
                    if own_ends[agg] is None:
                        u, v = (key, other) if outgoing else (other, key)
                        end = self._dissolution_end(u, v)
                        attrs["end"] = end
                        attrs["end_on"] = self._day(end)

    def _dissolution_end(self, u: str, v: str) -> str | None:
        """The earlier dissolution date of the two organisations, if either is dissolved with a date."""
        du = self._dissolved.get(u)
        dv = self._dissolved.get(v)
        if du is None or du == dv:
            return dv
        if dv is None:
            return du
        return min((self._day(du), du), (self._day(dv), dv))[1]

    # -- relations -----------------------------------------------------------------------
    def _relation(self, uid: UUID, op: int, tie_type: str, state: dict[str, Any]) -> None:
        agg = uid.int
        history = self.rels.get(agg)
        if op == CREATE and history is None:  # the common case: a new relation adds its ties
            created = self._created(uid, tie_type, state)
            self.rels[agg] = [created]
            ties = self._build(created, created[5], created[6], created[8], created[9], created[10], None)
            self._add_ties(created[12], ties)
            return
        if history is None:
            history = self.rels[agg] = []
        if op == CLOSE:
            end = self._date(state.get("effective"))
            history.append((state["event_id"], CLOSE, end))
            if end is not None:  # the closing date is the end of every tie it has now: update in place
                agg_str, pairs = self._pairs(history)
                end_on = self._day(end)
                succ = self._succ
                for n, (u, v) in enumerate(pairs):
                    attrs = succ[u][v][f"{agg_str}:{n}"]
                    attrs["end"] = end
                    attrs["end_on"] = end_on
                return
            history.pop()
        old = self._pairs(history)
        if op == CREATE:
            history.append(self._created(uid, tie_type, state))
        elif op == CLOSE:
            history.append((state["event_id"], CLOSE, None))
        elif op == AMEND:
            parties = state.get("parties")
            change = (
                state.get("title"),
                None if parties is None else self._party_list(parties),
                self._date(state.get("term_end")),
                state.get("amount"),
                state.get("currency"),
            )
            if change == (None, None, None, None, None):
                return  # changes nothing a tie shows (e.g. a support's planned dates)
            history.append((state["event_id"], AMEND, *change))
        elif not _drop(history, state["retracted_event_id"]):
            return  # the retracted event contributed nothing to the graph
        self._replace_ties(old, self._ties(history))

    def _created(self, uid: UUID, tie_type: str, state: dict[str, Any]) -> Compact:
        event_id: str = state["event_id"]
        # the aggregate id as text: a relation's id is the event id of the event that created it
        agg_str = event_id if event_id.replace("-", "") == uid.hex else str(uid)
        start = self._date(state["effective"])
        if tie_type == "support":
            return (
                event_id,
                CREATE,
                tie_type,
                start,
                self._text(state["kind"]),
                state["title"],
                self._party_list(state["funders"]),
                self._party_list(state["recipients"]),
                None,
                state["amount"],
                state["currency"],
                state["programme"],
                agg_str,
            )
        kind = self._text(state["kind"]) if tie_type == "agreement" else "partnership"
        return (
            event_id,
            CREATE,
            tie_type,
            start,
            kind,
            state["title"],
            self._party_list(state["parties"]),
            None,
            self._date(state["term_end"]) if tie_type == "agreement" else None,
            None,
            None,
            None,
            agg_str,
        )

    def _pairs(self, history: list[Compact]) -> tuple[str | None, list[tuple[str, str]]]:
        """The aggregate id and the (source, target) of the ties a relation's history implies now."""
        created: Compact | None = None
        parties = None
        for ev in history:
            if ev[1] == CREATE:
                created = ev
                parties = ev[6]
            elif ev[1] == AMEND and ev[3] is not None:
                parties = ev[3]
        if created is None:
            return None, []
        if created[2] == "support":
            return created[12], [(f[0], r[0]) for f in created[6] for r in created[7]]
        return created[12], [(a[0], b[0]) for a, b in combinations(parties or (), 2)]

    def _ties(self, history: list[Compact]) -> tuple[str | None, list[Tie]]:
        """The aggregate id and the ties a relation's history implies now."""
        created: Compact | None = None
        title = parties = term_end = amount = currency = end = None
        for ev in history:
            op = ev[1]
            if op == CREATE:
                created = ev
                title, parties, term_end, amount, currency = ev[5], ev[6], ev[8], ev[9], ev[10]
            elif op == AMEND:
                title = ev[2] or title
                parties = ev[3] if ev[3] is not None else parties
                term_end = ev[4] or term_end
                if ev[5] is not None:
                    amount = ev[5]
                    currency = ev[6] or currency
            else:  # CLOSE
                end = ev[2]
        if created is None:
            return None, []
        return created[12], self._build(created, title, parties, term_end, amount, currency, end)

    def _build(
        self,
        created: Compact,
        title: str | None,
        parties: tuple[Party, ...] | None,
        term_end: str | None,
        amount: str | None,
        currency: str | None,
        end: str | None,
    ) -> list[Tie]:
        tie_type, start, kind, agg = created[2], created[3], created[4], created[12]
        start_on = self._day(start)
        end_on = self._day(end)
        if tie_type == "support":
            pairs: Iterable[tuple[Party, Party]] = [(f, r) for f in created[6] for r in created[7]]
        elif parties is None:
            return []
        elif len(parties) == 2:
            pairs = (parties,)  # the one pair of a two-party relation
        else:
            pairs = combinations(parties, 2)
        dissolved = self._dissolved
        ties = []
        e: str | None
        e_on: str | None
        for (a, ra), (b, rb) in pairs:
            if end is not None:
                e, e_on = end, end_on
            elif dissolved and (a in dissolved or b in dissolved):
                e = self._dissolution_end(a, b)
                e_on = self._day(e)
            else:
                e = e_on = None
            attrs = {
                "aggregate_id": agg,
                "tie_type": tie_type,
                "kind": kind,
                "title": title,
                "start": start,
                "end": e,
                "start_on": start_on,
                "end_on": e_on,
            }
            if tie_type == "agreement":
                attrs["term_end"] = term_end
            elif tie_type == "support":
                attrs.update(amount=amount, currency=currency, programme=created[11])
            attrs["roles"] = [ra, rb]
            ties.append((a, b, attrs))
        return ties

    def _add_ties(self, agg: str | None, ties: list[Tie]) -> None:
        if agg is None:  # no creating event, no ties
            return
        nodes, succ, pred = self._node, self._succ, self._pred
        for n, (u, v, attrs) in enumerate(ties):
            if u not in nodes:
                self._placeholder(u)
            if v not in nodes:
                self._placeholder(v)
            keydict = succ[u].get(v)
            if keydict is None:
                keydict = succ[u][v] = pred[v][u] = {}
            keydict[agg + _SUFFIX[n] if n < _SUFFIXES else f"{agg}:{n}"] = attrs

    def _remove_ties(self, agg: str | None, pairs: list[tuple[str, str]]) -> None:
        succ, pred = self._succ, self._pred
        for n, (u, v) in enumerate(pairs):
            keydict = succ[u][v]
            del keydict[f"{agg}:{n}"]
            if not keydict:
                del succ[u][v], pred[v][u]
        for u, v in pairs:
            for key in (u, v):
                attrs = self._node.get(key)
                if attrs is not None and attrs["registered"] is False and not succ[key] and not pred[key]:
                    self._remove_node(key)

    def _replace_ties(self, old: tuple[str | None, list[tuple[str, str]]], new: tuple[str | None, list[Tie]]) -> None:
        (old_agg, old_pairs), (agg, ties) = old, new
        if old_agg == agg and old_pairs == [(u, v) for u, v, _ in ties]:
            succ = self._succ
            for n, (u, v, attrs) in enumerate(ties):
                succ[u][v][f"{agg}:{n}"].update(attrs)  # the same ties, new attributes: update in place
        else:
            self._remove_ties(old_agg, old_pairs)
            self._add_ties(agg, ties)

    # -- persistence (plain data only: dicts, lists, tuples, strings, ints, None) -----------------
    def state(self) -> tuple[Any, ...]:
        """Everything the fold holds, as plain data (see ``projections.store``)."""
        return (
            FOLD_VERSION,
            self.position,
            self.events,
            self.recorded_upto.isoformat() if self.recorded_upto else None,
            self._node,
            self._succ,
            self._pred,
            self.orgs,
            self.rels,
            self._strings,
            self._days,
            self._parties,
            self._dissolved,
        )

    @classmethod
    def from_state(cls, state: tuple[Any, ...]) -> NetworkFold:
        """The fold whose ``state()`` this was."""
        if not isinstance(state, tuple) or len(state) != 13 or state[0] != FOLD_VERSION:
            raise ValueError("not a saved state of this version of the network fold")
        fold = cls()
        (_, fold.position, fold.events, upto, node, succ, pred, fold.orgs, fold.rels, *caches) = state
        fold.recorded_upto = datetime.fromisoformat(upto) if upto else None
        vars(fold.graph).update(_node=node, _adj=succ, _succ=succ, _pred=pred)
        fold._strings, fold._days, fold._parties, fold._dissolved = caches
        fold._bind()
        return fold


def _drop(history: list[Compact], event_id: str) -> bool:
    """Delete the event with this id from *history*; False if it is not there."""
    for i, ev in enumerate(history):
        if ev[0] == event_id:
            del history[i]
            return True
    return False


def node_attributes(key: str, history: list[Compact]) -> dict[str, Any] | None:
    """An organisation's node attributes from its compact history (None if not registered)."""
    registered: Compact | None = None
    name_ko = name_en = None
    dissolved: str | bool | None = False
    for ev in history:
        op = ev[1]
        if op == REGISTER:
            registered = ev
            name_ko, name_en = ev[2], ev[3]
        elif op == RENAME:
            name_ko = ev[2] or name_ko
            name_en = ev[3] or name_en
        else:  # DISSOLVE
            dissolved = ev[2]
    if registered is None:
        return None
    return {
        "key": key,
        "name": name_en or name_ko or "",
        "name_ko": name_ko,
        "name_en": name_en,
        "sector": registered[4],
        "subtype": registered[5],
        "identifiers": list(registered[6]),
        "country": registered[7],
        "dissolved": dissolved or None,
        "registered": True,
    }


def own_end(history: list[Compact]) -> str | None:
    """The end a relation's own closing event gives it (None while open)."""
    end = None
    for ev in history:
        if ev[1] == CLOSE:
            end = ev[2]
    return end


def build(events: Iterable[Record | tuple[int, LedgerEvent]]) -> nx.MultiDiGraph:
    """The network from records or ``(position, event)`` pairs, in one pass."""
    return NetworkFold().apply_all(events).graph


# -- the reference: the same network from whole domain aggregates (slow, obviously right) -------------
def ties_of(aggregate: Aggregate) -> list[tuple[str, str, dict[str, Any]]]:
    """The ties an aggregate contributes on its own: ``(source, target, attributes)``.

    Ends come from the aggregate's own closing events only; ``network_of`` adds
    the dissolution rule.
    """
    if not aggregate.exists:
        return []
    common: dict[str, Any] = {"aggregate_id": str(aggregate.id), "tie_type": aggregate.kind}
    if isinstance(aggregate, Partnership):
        end = aggregate.ended_event.effective if aggregate.ended_event else None
        return _pairs(
            aggregate.parties,
            {
                **common,
                "kind": "partnership",
                "title": aggregate.formed.title if aggregate.formed else None,
                **_interval(aggregate.start, end),
            },
        )
    if isinstance(aggregate, Agreement):
        assert aggregate.signed is not None
        end = aggregate.terminated.effective if aggregate.terminated else None
        return _pairs(
            aggregate.parties,
            {
                **common,
                "kind": aggregate.signed.kind,
                "title": aggregate.title,
                **_interval(aggregate.start, end),
                "term_end": _str(aggregate.term_end),
            },
        )
    if isinstance(aggregate, Support):
        award = aggregate.awarded
        assert award is not None
        end = aggregate.closed.effective if aggregate.closed else None
        attrs = {
            **common,
            "kind": award.kind,
            "title": aggregate.title,
            **_interval(award.effective, end),
            "amount": str(aggregate.amount) if aggregate.amount is not None else None,
            "currency": aggregate.currency,
            "programme": award.programme,
        }
        return [(f.key, r.key, {**attrs, "roles": [f.role, r.role]}) for f in award.funders for r in award.recipients]
    return []


def network_of(aggregates: Iterable[Aggregate]) -> nx.MultiDiGraph:
    """The network implied by whole domain aggregates: the specification the fold must meet.

    Slow (it needs every aggregate with its full history); tests compare the fold with it.
    """
    graph: nx.MultiDiGraph = nx.MultiDiGraph()
    relations = []
    for aggregate in aggregates:
        if isinstance(aggregate, Organisation):
            if aggregate.exists:
                reg = aggregate.registered
                assert reg is not None
                graph.add_node(
                    reg.key,
                    key=reg.key,
                    name=aggregate.name,
                    name_ko=aggregate.name_ko,
                    name_en=aggregate.name_en,
                    sector=reg.sector,
                    subtype=reg.subtype,
                    identifiers=list(reg.identifiers),
                    country=reg.country,
                    dissolved=str(aggregate.dissolved) if aggregate.dissolved else None,
                    registered=True,
                )
        else:
            relations.append(aggregate)
    for aggregate in relations:
        for n, (u, v, attrs) in enumerate(ties_of(aggregate)):
            for node in (u, v):
                if node not in graph:
                    graph.add_node(node, key=node, registered=False)
            if attrs["end"] is None:
                dated = [d for d in (graph.nodes[u].get("dissolved"), graph.nodes[v].get("dissolved")) if d]
                if dated:
                    end = min(dated, key=lambda d: (PartialDate.parse(d).first_day, d))
                    attrs.update(end=end, end_on=PartialDate.parse(end).first_day.isoformat())
            graph.add_edge(u, v, key=f"{aggregate.id}:{n}", **attrs)
    return graph


def _interval(start: PartialDate | None, end: PartialDate | None) -> dict[str, Any]:
    """Start and end as written, and as ISO first days for fast as-of selection."""
    return {
        "start": _str(start),
        "end": _str(end),
        "start_on": start.first_day.isoformat() if start else None,
        "end_on": end.first_day.isoformat() if end else None,
    }


def _pairs(parties: list[Any], attrs: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(a.key, b.key, {**attrs, "roles": [a.role, b.role]}) for a, b in combinations(parties, 2)]


def _str(value: object) -> str | None:
    return str(value) if value is not None else None
