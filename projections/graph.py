"""The temporal network: a pure fold of ledger events into a ``networkx.MultiDiGraph``.

The graph holds every organisation and every tie the log knows of, each with its
validity on the effective axis; ``projections.timeaxes.as_of(graph, D)`` gives the
network on one day, and every query reads it that way. The rules are in docs/time.md.

**Nodes** are organisations, keyed by their key. A registered organisation carries
``key``, ``name``, ``name_ko``, ``name_en`` (the latest), ``sector``, ``subtype``,
``identifiers``, ``country``, ``locality``, ``registered`` (True), ``start`` (its
registration date as written), ``dissolved`` (the dated dissolution as written,
``"undated"``, or None) and, for the effective axis, ``since_on`` (the first day of
its registration; None: from the beginning) and ``until_on`` (the first day of its
dated dissolution), and ``names`` when a dated rename changes its names over time:
``[(from day or None, name_ko, name_en), ...]``. A party whose registration is
not in the ledger is a bare ``{"key": ..., "registered": False}``.

**Edges** are ties, from each party of a partnership or agreement to every later
listed one, and from each funder of a support to each recipient. A tie carries
``aggregate_id``, ``tie_type``, ``kind``, ``start`` and ``start_on`` (its relation's
creation date as written and its first day), ``end`` and ``end_on`` (the relation's
close), ``programme`` on support, and ``disbursements`` (``((day, amount), ...)``)
when money was paid. Its terms are ``title``, ``roles`` and ``term_end`` (agreements)
or ``amount`` and ``currency`` (support):

- a relation never amended gives ties keyed ``"<relation id>:<n>"`` with the terms
  as attributes, counting from ``start_on`` until ``end_on``;
- an amended relation gives one tie per pair of organisations that were ever party
  together, keyed by the relation id, with ``versions``: ``[(from day, to day or
  None, terms), ...]``, the terms (and ``n``, the pair's rank on those days) in
  force over each interval. Amendments apply from their own date, in date order,
  whatever order they were recorded in.

A retraction deletes the retracted event from its aggregate's compact history,
which is then derived again. The fold reads events as plain JSON payloads
(``projections.records``), writes NetworkX's adjacency dicts directly and touches
no storage.

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
from typing import TYPE_CHECKING, Any
from uuid import UUID

import networkx as nx

from domain.collector import paused_gc
from domain.dates import event_day
from projections.records import (
    AMEND,
    CLOSE,
    CREATE,
    DISBURSE,
    DISSOLVE,
    NOTE,
    OPS_BY_TOPIC,
    REGISTER,
    RENAME,
    EventOp,
    Record,
    Row,
    complete,
    op_for_topic,
    record_of,
)

if TYPE_CHECKING:
    from domain.events import LedgerEvent

#: Version of what the fold derives and of its saved state; a persisted projection of another version is rebuilt.
FOLD_VERSION = 2

# A compact event is a tuple: (event id, operation, position, ...). Named offsets below; the tuples stay
# plain because the saved state may hold plain data only (see ``projections.store``).
#   organisation  (id, REGISTER, pos, name_ko, name_en, sector, subtype, identifiers, country, locality, date)
#                 (id, RENAME, pos, date, name_ko, name_en)      (id, DISSOLVE, pos, date)
#   relation      (id, CREATE, pos, tie_type, date, kind, title, parties or funders, recipients or None,
#                  term_end, amount, currency, programme, relation id as text)
#                 (id, AMEND, pos, date, title, parties, term_end, amount, currency)
#                 (id, CLOSE, pos, date)     (id, DISBURSE, pos, date, amount)
Compact = tuple[Any, ...]
Party = tuple[str, str | None]
Tie = tuple[str, str, str, dict[str, Any]]

ID, OP, POS = 0, 1, 2
# organisation.registered
R_KO, R_EN, R_SECTOR, R_SUBTYPE, R_IDS, R_COUNTRY, R_LOCALITY, R_DATE = range(3, 11)
# renamed, dissolved, amended, closed, disbursed: the date comes first
DATE = 3
N_KO, N_EN = 4, 5
# relation created
C_TYPE, C_DATE, C_KIND, C_TITLE, C_PARTIES, C_RECIPIENTS, C_TERM, C_AMOUNT, C_CURRENCY, C_PROGRAMME, C_AGG = range(
    3, 14
)
# relation amended
A_TITLE, A_PARTIES, A_TERM, A_AMOUNT, A_CURRENCY = range(4, 9)
# disbursed
D_AMOUNT = 4

_DECODER = json.JSONDecoder()
_SUFFIXES = 64
_SUFFIX = tuple(f":{n}" for n in range(_SUFFIXES))  # edge keys "<relation id>:<n>", without formatting n


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
    # isoformat, not strftime: glibc's %Y writes the year 999 as "999", which sorts after "2026".
    return when.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def change_order(entry: Compact) -> tuple[str, int]:
    """The order in which changes (renames, amendments) apply: by date, undated first, then as recorded."""
    return (event_day(entry[DATE]) or "", entry[POS])


class NetworkFold:
    """Fold events one at a time; ``graph`` is always the temporal network as recorded so far.

    Feed it stored rows (``apply_rows``, the fast path), records
    (``apply_record``) or pydantic events (``apply``): all three fold the same
    payload. ``position`` is the last position folded, ``events`` counts the
    events folded, ``recorded_upto`` is the latest ``recorded_at`` among them.

    Instead of whole aggregates the fold keeps, per aggregate, the compact history
    of the events that shape the network (``orgs`` by organisation key, ``rels`` by
    the integer value of the relation's id). A new relation adds its ties directly;
    a close or a payment of a relation never amended updates its ties in place; any
    other change derives that one aggregate's ties (or node) again from its history,
    so the result never depends on the path taken.
    """

    def __init__(self) -> None:
        self.graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self.position = 0
        self.events = 0
        self.recorded_upto: datetime | None = None
        self.orgs: dict[str, list[Compact]] = {}
        self.rels: dict[int, list[Compact]] = {}
        self._strings: dict[str, str] = {}  # one copy of each key, role and date text
        self._parties: dict[Party, Party] = {}  # one copy of each (key, role)
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
            state = entry.current(dict(state))
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
                    entry.current(state)
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
        if op == NOTE:  # an import's record: nothing in the network
            return
        if op >= CREATE:
            uid = originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))
            self._relation(uid, op, entry.tie_type, state, position)
        else:
            self._organisation(op, state, position)
        self.position = position
        self.events += 1

    # -- interning: one string object per key, role and date ----------------------------------
    def _text(self, text: str | None) -> str | None:
        return None if text is None else self._strings.setdefault(text, text)

    def _party_list(self, parties: list[dict[str, Any]]) -> tuple[Party, ...]:
        cache = self._parties
        out = []
        for p in parties:
            pair = (p["key"], p.get("role"))
            found = cache.get(pair)
            if found is None:
                found = (self._strings.setdefault(pair[0], pair[0]), self._text(pair[1]))
                cache[found] = found
            out.append(found)
        return tuple(out)

    # -- organisations -------------------------------------------------------------------
    def _organisation(self, op: int, state: dict[str, Any], position: int) -> None:
        key: str = self._strings.setdefault(state["key"], state["key"])
        history = self.orgs.get(key)
        if history is None:
            history = self.orgs[key] = []
        text = self._text
        if op == REGISTER:
            history.append(
                (
                    state["event_id"],
                    REGISTER,
                    position,
                    state.get("name_ko"),
                    state.get("name_en"),
                    text(state["sector"]),
                    state.get("subtype"),
                    state.get("identifiers") or [],
                    text(state.get("country")),
                    state.get("locality"),
                    text(state.get("effective")),
                )
            )
        elif op == RENAME:
            history.append(
                (state["event_id"], RENAME, position, text(state.get("effective")), state["name_ko"], state["name_en"])
            )
        elif op == DISSOLVE:
            history.append((state["event_id"], DISSOLVE, position, text(state.get("effective"))))
        elif not _drop(history, state["retracted_event_id"]):
            return
        self._refresh_node(key, history)

    def _refresh_node(self, key: str, history: list[Compact]) -> None:
        attrs = node_attributes(key, history)
        old = self._node.get(key)
        if attrs is None:
            if old is None:
                return
            if not self._succ[key] and not self._pred[key]:
                self._remove_node(key)
                return
            old.clear()
            old.update(key=key, registered=False)  # still a party to ties, but no longer registered
        elif old is None:
            self._node[key] = attrs
            self._succ[key] = {}
            self._pred[key] = {}
        else:
            old.clear()
            old.update(attrs)

    def _placeholder(self, key: str) -> None:
        """A party whose registration is not (or no longer) in the ledger."""
        self._node[key] = {"key": key, "registered": False}
        self._succ[key] = {}
        self._pred[key] = {}

    def _remove_node(self, key: str) -> None:
        del self._node[key], self._succ[key], self._pred[key]

    # -- relations -----------------------------------------------------------------------
    def _relation(self, uid: UUID, op: int, tie_type: str, state: dict[str, Any], position: int) -> None:
        agg = uid.int
        history = self.rels.get(agg)
        if op == CREATE and history is None:  # the common case: a new relation adds its ties
            created = self._created(uid, tie_type, state, position)
            self.rels[agg] = [created]
            self._add_ties(_flat_ties(created, None, ()))
            return
        if history is None:
            history = self.rels[agg] = []
        text = self._text
        entry: Compact | None = None
        if op == CLOSE:
            entry = (state["event_id"], CLOSE, position, text(state["effective"]))
        elif op == DISBURSE:
            entry = (state["event_id"], DISBURSE, position, text(state["effective"]), state["amount"])
        if entry is not None:
            history.append(entry)
            if self._update_in_place(history):
                return
            history.pop()
        before = relation_ties(history)
        if entry is not None:
            history.append(entry)
        elif op == CREATE:
            history.append(self._created(uid, tie_type, state, position))
        elif op == AMEND:
            parties = state.get("parties")
            change = (
                state.get("title"),
                None if parties is None else self._party_list(parties),
                text(state.get("term_end")),
                state.get("amount"),
                text(state.get("currency")),
            )
            if change == (None, None, None, None, None):
                return  # changes nothing a tie shows (e.g. a support's planned dates)
            history.append((state["event_id"], AMEND, position, text(state.get("effective")), *change))
        elif not _drop(history, state["retracted_event_id"]):
            return  # the retracted event contributed nothing to the network
        self._replace_ties(before, relation_ties(history))

    def _update_in_place(self, history: list[Compact]) -> bool:
        """A close or a payment of a relation that was never amended: new ends or payments on the same ties."""
        created = None
        for ev in history:
            if ev[OP] == AMEND or (ev[OP] == CREATE and created is not None):
                return False
            if ev[OP] == CREATE:
                created = ev
        if created is None:
            return False
        end, end_on = closing(history)
        paid = disbursements(history)
        succ = self._succ
        agg = created[C_AGG]
        for n, (u, v) in enumerate(_pairs(created, created[C_PARTIES])):
            attrs = succ[u][v][agg + _SUFFIX[n] if n < _SUFFIXES else f"{agg}:{n}"]
            attrs["end"], attrs["end_on"] = end, end_on
            if paid:
                attrs["disbursements"] = paid
            else:
                attrs.pop("disbursements", None)
        return True

    def _created(self, uid: UUID, tie_type: str, state: dict[str, Any], position: int) -> Compact:
        event_id: str = state["event_id"]
        # the relation id as text: a relation's id is the event id of the event that created it
        agg_str = event_id if event_id.replace("-", "") == uid.hex else str(uid)
        text = self._text
        start = text(state["effective"])
        if tie_type == "support":
            return (
                event_id,
                CREATE,
                position,
                tie_type,
                start,
                text(state["kind"]),
                state["title"],
                self._party_list(state["funders"]),
                self._party_list(state["recipients"]),
                None,
                state["amount"],
                text(state["currency"]),
                text(state["programme"]),
                agg_str,
            )
        kind = text(state["kind"]) if tie_type == "agreement" else "partnership"
        return (
            event_id,
            CREATE,
            position,
            tie_type,
            start,
            kind,
            state["title"],
            self._party_list(state["parties"]),
            None,
            text(state["term_end"]) if tie_type == "agreement" else None,
            None,
            None,
            None,
            agg_str,
        )

    def _add_ties(self, ties: list[Tie]) -> None:
        nodes, succ, pred = self._node, self._succ, self._pred
        for u, v, key, attrs in ties:
            if u not in nodes:
                self._placeholder(u)
            if v not in nodes:
                self._placeholder(v)
            keydict = succ[u].get(v)
            if keydict is None:
                keydict = succ[u][v] = pred[v][u] = {}
            keydict[key] = attrs

    def _remove_ties(self, ties: list[Tie]) -> None:
        succ, pred = self._succ, self._pred
        for u, v, key, _ in ties:
            keydict = succ[u][v]
            del keydict[key]
            if not keydict:
                del succ[u][v], pred[v][u]
        for u, v, _, _ in ties:
            for key in (u, v):
                attrs = self._node.get(key)
                if attrs is not None and attrs["registered"] is False and not succ[key] and not pred[key]:
                    self._remove_node(key)

    def _replace_ties(self, old: list[Tie], new: list[Tie]) -> None:
        if [t[:3] for t in old] == [t[:3] for t in new]:
            succ = self._succ
            for u, v, key, attrs in new:  # the same ties, new attributes: update in place
                found = succ[u][v][key]
                found.clear()
                found.update(attrs)
        else:
            self._remove_ties(old)
            self._add_ties(new)

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
            self._parties,
        )

    @classmethod
    def from_state(cls, state: tuple[Any, ...]) -> NetworkFold:
        """The fold whose ``state()`` this was."""
        if not isinstance(state, tuple) or len(state) != 11 or state[0] != FOLD_VERSION:
            raise ValueError("not a saved state of this version of the network fold")
        fold = cls()
        (_, fold.position, fold.events, upto, node, succ, pred, fold.orgs, fold.rels, strings, parties) = state
        fold.recorded_upto = datetime.fromisoformat(upto) if upto else None
        vars(fold.graph).update(_node=node, _adj=succ, _succ=succ, _pred=pred)
        fold._strings, fold._parties = strings, parties
        fold._bind()
        return fold


def _first_day(dated: tuple[str, str]) -> str:
    return dated[0]


def _drop(history: list[Compact], event_id: str) -> bool:
    """Delete the event with this id from *history*; False if it is not there."""
    for i, ev in enumerate(history):
        if ev[ID] == event_id:
            del history[i]
            return True
    return False


# -- organisations: the node on the effective axis ---------------------------------------------


def node_attributes(key: str, history: list[Compact]) -> dict[str, Any] | None:
    """An organisation's (temporal) node attributes from its compact history; None if not registered."""
    registered: Compact | None = None
    renames: list[Compact] = []
    dated: list[tuple[str, str]] = []  # (first day, text) of dated dissolutions
    undated = False
    for ev in history:
        op = ev[OP]
        if op == REGISTER:
            registered = ev
        elif op == RENAME:
            renames.append(ev)
        elif ev[DATE] is None:  # DISSOLVE
            undated = True
        else:
            dated.append((event_day(ev[DATE]), ev[DATE]))  # type: ignore[arg-type]
    if registered is None:
        return None
    # the names in force from each date on: the registration's from the beginning, corrected by the undated
    # renames, then each dated rename from its day (changes of one day applied in the order recorded)
    names: list[tuple[str | None, str | None, str | None]] = [(None, registered[R_KO], registered[R_EN])]
    for ev in sorted(renames, key=change_order):
        day = event_day(ev[DATE])
        name_ko, name_en = ev[N_KO] or names[-1][1], ev[N_EN] or names[-1][2]
        if names[-1][0] == day:
            names[-1] = (day, name_ko, name_en)
        else:
            names.append((day, name_ko, name_en))
    _, name_ko, name_en = names[-1]
    dissolved = min(dated, key=_first_day) if dated else None  # on the same first day, the one recorded first
    attrs: dict[str, Any] = {
        "key": key,
        "name": name_en or name_ko or "",
        "name_ko": name_ko,
        "name_en": name_en,
        "sector": registered[R_SECTOR],
        "subtype": registered[R_SUBTYPE],
        "identifiers": list(registered[R_IDS]),
        "country": registered[R_COUNTRY],
        "locality": registered[R_LOCALITY],
        "registered": True,
        "start": registered[R_DATE],
        "dissolved": dissolved[1] if dissolved else ("undated" if undated else None),
        "since_on": event_day(registered[R_DATE]),
        "until_on": dissolved[0] if dissolved else None,
    }
    if len(names) > 1:
        attrs["names"] = names
    return attrs


# -- relations: the ties on the effective axis -------------------------------------------------


def closing(history: list[Compact]) -> tuple[str | None, str | None]:
    """The relation's end as written and its first day: its earliest closing event (None, None while open)."""
    found: list[tuple[str, str]] = [(event_day(ev[DATE]) or "", ev[DATE]) for ev in history if ev[OP] == CLOSE]
    if not found:
        return None, None
    day, text = min(found, key=_first_day)  # on the same first day, the one recorded first
    return text, day


def disbursements(history: list[Compact]) -> tuple[tuple[str, str], ...]:
    """``((first day, amount), ...)`` of the relation's payments, by date."""
    return tuple(sorted((event_day(ev[DATE]), ev[D_AMOUNT]) for ev in history if ev[OP] == DISBURSE))  # type: ignore[misc]


def relation_ties(history: list[Compact]) -> list[Tie]:
    """The ties ``(u, v, key, attributes)`` a relation's compact history implies."""
    created: Compact | None = None
    amendments = []
    for ev in history:
        if ev[OP] == CREATE:
            created = ev
        elif ev[OP] == AMEND:
            amendments.append(ev)
    if created is None:
        return []
    end = closing(history)
    paid = disbursements(history)
    if not amendments:
        return _flat_ties(created, end, paid)
    return _versioned_ties(created, sorted(amendments, key=change_order), end, paid)


def _pairs(created: Compact, parties: tuple[Party, ...] | None) -> list[tuple[str, str]]:
    return [(a[0], b[0]) for a, b in _party_pairs(created, parties)]


def _party_pairs(created: Compact, parties: tuple[Party, ...] | None) -> list[tuple[Party, Party]]:
    """The (source, target) parties of a relation's ties, for the party list *parties*."""
    if created[C_TYPE] == "support":  # no tie from an organisation to itself (a grant flagged recipient_is_funder)
        return [(f, r) for f in created[C_PARTIES] for r in created[C_RECIPIENTS] if f[0] != r[0]]
    if not parties:
        return []
    if len(parties) == 2:
        return [(parties[0], parties[1])]
    return list(combinations(parties, 2))


def _static(created: Compact, end: tuple[str | None, str | None] | None, paid: tuple[Any, ...]) -> dict[str, Any]:
    """What a relation's ties say whatever the day: which relation, its kind, its dates."""
    attrs: dict[str, Any] = {
        "aggregate_id": created[C_AGG],
        "tie_type": created[C_TYPE],
        "kind": created[C_KIND],
        "start": created[C_DATE],
        "start_on": event_day(created[C_DATE]),
        "end": end[0] if end else None,
        "end_on": end[1] if end else None,
    }
    if created[C_TYPE] == "support":
        attrs["programme"] = created[C_PROGRAMME]
    if paid:
        attrs["disbursements"] = paid
    return attrs


def _terms(tie_type: str, title: Any, roles: list[Any], term_end: Any, amount: Any, currency: Any) -> dict[str, Any]:
    terms: dict[str, Any] = {"title": title, "roles": roles}
    if tie_type == "agreement":
        terms["term_end"] = term_end
    elif tie_type == "support":
        terms["amount"], terms["currency"] = amount, currency
    return terms


def _flat_ties(created: Compact, end: tuple[str | None, str | None] | None, paid: tuple[Any, ...]) -> list[Tie]:
    """The ties of a relation never amended: one version each, the terms as attributes."""
    static = _static(created, end, paid)
    tie_type, agg = created[C_TYPE], created[C_AGG]
    ties = []
    for n, ((a, ra), (b, rb)) in enumerate(_party_pairs(created, created[C_PARTIES])):
        terms = _terms(tie_type, created[C_TITLE], [ra, rb], created[C_TERM], created[C_AMOUNT], created[C_CURRENCY])
        ties.append((a, b, agg + _SUFFIX[n] if n < _SUFFIXES else f"{agg}:{n}", {**static, **terms}))
    return ties


def _versioned_ties(
    created: Compact, amendments: list[Compact], end: tuple[str | None, str | None], paid: tuple[Any, ...]
) -> list[Tie]:
    """The ties of an amended relation: per pair, the terms in force over each interval.

    The intervals run from the relation's start to its close, cut at every amendment
    date after the start; an amendment dated on or before the start (or undated)
    applies from the start.
    """
    start_on = event_day(created[C_DATE])
    assert start_on is not None  # creations are always dated
    end_on = end[1]
    cuts = sorted({day for ev in amendments if (day := event_day(ev[DATE])) is not None and day > start_on})
    points = [day for day in (start_on, *cuts) if end_on is None or day < end_on]
    tie_type = created[C_TYPE]
    runs: dict[tuple[str, str], list[list[Any]]] = {}
    for i, since in enumerate(points):
        until = points[i + 1] if i + 1 < len(points) else end_on
        title, parties, term_end = created[C_TITLE], created[C_PARTIES], created[C_TERM]
        amount, currency = created[C_AMOUNT], created[C_CURRENCY]
        for ev in amendments:
            day = event_day(ev[DATE])
            if day is not None and day > since:
                break
            title = ev[A_TITLE] or title
            parties = ev[A_PARTIES] if ev[A_PARTIES] is not None else parties
            term_end = ev[A_TERM] or term_end
            if ev[A_AMOUNT] is not None:
                amount, currency = ev[A_AMOUNT], ev[A_CURRENCY] or currency
        for n, ((a, ra), (b, rb)) in enumerate(_party_pairs(created, parties)):
            terms = {"n": n, **_terms(tie_type, title, [ra, rb], term_end, amount, currency)}
            found = runs.setdefault((a, b), [])
            if found and found[-1][1] == since and found[-1][2] == terms:
                found[-1][1] = until  # the same terms go on
            else:
                found.append([since, until, terms])
    static = _static(created, end, paid)
    agg = created[C_AGG]
    return [(a, b, agg, {**static, "versions": [tuple(run) for run in found]}) for (a, b), found in runs.items()]


def build(events: Iterable[Record | tuple[int, LedgerEvent]]) -> nx.MultiDiGraph:
    """The temporal network from records or ``(position, event)`` pairs, in one pass."""
    return NetworkFold().apply_all(events).graph
