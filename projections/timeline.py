"""The auditors' timeline: the log in recorded order, filtered, each event with its status.

Every event gets a **status** as known at the knowledge cut (docs/time.md):

- ``retracted by <id>``: a retraction of it was recorded;
- an amendment or rename whose every field is set again by later changes of the
  same aggregate (later by date, undated first, then as recorded) is
  ``superseded by <ids>``; when only some are, ``amended by <ids>`` (``renamed by``
  for organisations);
- a creation (registration, formation, signing, award) that was changed since is
  ``amended by <ids>`` / ``renamed by <ids>``;
- anything else has none.

With an as-of day D only the changes in effect on D (dated on or before D, or
undated) count. ``events_in_force`` lists the events that make up the state on
D: registrations of organisations that exist on D and their renames still in
force, undated dissolutions of organisations that exist, creations of relations
alive on D, their amendments in force and their payments made by D.

The statuses and the events in force are computed from *facts*, a few fields
per event read straight from the stored JSON (``facts_from_rows``), so that a
whole log costs one light pass before it is printed.

>>> from domain.dates import PartialDate
>>> overlaps(PartialDate.parse("2019"), PartialDate.parse("2019-08-22"), None)
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.agreement import Agreement
from domain.dates import PartialDate, event_day, query_day
from domain.events import LedgerEvent, RetractedMixin
from domain.ledger import Ledger
from domain.organisation import Organisation
from domain.partnership import Partnership
from domain.provenance import ImportRecord
from domain.records import HEADER, payload_fields, to_record
from domain.support import Support
from projections.records import UNREADABLE, first_damage, op_for_topic

#: What a fact says an event does.
CREATED, CHANGED, DISSOLVED, CLOSED = "created", "changed", "dissolved", "closed"
DISBURSED, RETRACTED = "disbursed", "retracted"
_KINDS: dict[type[LedgerEvent], str] = {
    Organisation.Registered: CREATED,
    Organisation.Renamed: CHANGED,
    Organisation.Dissolved: DISSOLVED,
    Organisation.Retracted: RETRACTED,
    Partnership.Formed: CREATED,
    Partnership.Ended: CLOSED,
    Partnership.Retracted: RETRACTED,
    Agreement.Signed: CREATED,
    Agreement.Amended: CHANGED,
    Agreement.Terminated: CLOSED,
    Agreement.Retracted: RETRACTED,
    Support.Awarded: CREATED,
    Support.Amended: CHANGED,
    Support.Disbursed: DISBURSED,
    Support.Ended: CLOSED,
    Support.Withdrawn: CLOSED,
    Support.Retracted: RETRACTED,
    ImportRecord.Recorded: CREATED,
}
#: The columns of ``log``: the ledger's record, and the status.
LOG_HEADER = (*HEADER, "status")


@dataclass(frozen=True, slots=True)
class Fact:
    """What the statuses need to know of one event."""

    position: int
    event_id: str
    aggregate: str
    kind: str
    organisation: bool
    #: The ISO day it takes effect (None: undated).
    day: str | None
    #: A change's fields (those it sets).
    fields: tuple[str, ...] = ()
    #: A retraction's target event id.
    target: str | None = None


def _fact(position: int, event_id: str, aggregate: str, cls: type[LedgerEvent], state: dict[str, Any]) -> Fact:
    kind = _KINDS[cls]
    fields: tuple[str, ...] = ()
    if kind == CHANGED:
        fields = tuple(f for f in payload_fields(cls) if f != "key" and state.get(f) is not None)
    target = state.get("retracted_event_id") if kind == RETRACTED else None
    effective = state.get("effective")
    return Fact(
        position,
        event_id,
        aggregate,
        kind,
        cls.aggregate_class is Organisation,
        event_day(str(effective)) if effective is not None else None,
        fields,
        None if target is None else str(target),
    )


def facts_of(events: Iterable[tuple[int, LedgerEvent]]) -> list[Fact]:
    """The facts of ``(position, event)`` pairs."""
    return [
        _fact(p, str(e.event_id), str(e.originator_id), type(e), e.model_dump(mode="json", exclude_none=True))
        for p, e in events
    ]


def facts_from_rows(ledger: Ledger, *, position: int | None = None, known_at: datetime | None = None) -> list[Fact]:
    """The facts of every event known at the cut, read from the stored JSON (no pydantic)."""
    found = []
    start = 0
    while True:
        rows = ledger.recorder.select_notifications(start, 10_000, stop=position, inclusive_of_start=False)
        for row in rows:
            try:
                state = json.loads(row.state)
                if known_at is not None and datetime.fromisoformat(state["recorded_at"]) > known_at:
                    continue
                cls = op_for_topic(row.topic).cls
                found.append(_fact(row.id, str(state["event_id"]), str(row.originator_id), cls, state))
            except UNREADABLE as exc:
                raise first_damage([row], exc) from None
        if len(rows) < 10_000:
            return found
        start = rows[-1].id


def _order(fact: Fact) -> tuple[str, int]:
    return (fact.day or "", fact.position)


def _in_effect(fact: Fact, day: str | None) -> bool:
    return day is None or fact.day is None or fact.day <= day


@dataclass
class _Aggregate:
    """The facts of one aggregate that still count (not retracted), by kind."""

    created: list[Fact] = field(default_factory=list)
    changes: list[Fact] = field(default_factory=list)
    ends: list[Fact] = field(default_factory=list)  # dissolutions or closing events


def _standing(facts: Iterable[Fact]) -> tuple[dict[str, str], dict[str, _Aggregate]]:
    """``target -> retraction id``, and the facts that still count, by aggregate (changes in change order)."""
    facts = list(facts)
    retracted = {f.target: f.event_id for f in facts if f.kind == RETRACTED and f.target is not None}
    aggregates: dict[str, _Aggregate] = {}
    for f in facts:
        if f.kind == RETRACTED or f.event_id in retracted:
            continue
        entry = aggregates.setdefault(f.aggregate, _Aggregate())
        if f.kind == CREATED:
            entry.created.append(f)
        elif f.kind == CHANGED:
            entry.changes.append(f)
        elif f.kind in (DISSOLVED, CLOSED):
            entry.ends.append(f)
    for entry in aggregates.values():
        entry.changes.sort(key=_order)
    return retracted, aggregates


def _later(change: Fact, entry: _Aggregate, day: str | None) -> tuple[list[Fact], set[str]]:
    """The later changes that set a field *change* sets, and which of its fields they set again."""
    covering, covered = [], set()
    for other in entry.changes:
        if _order(other) <= _order(change) or not _in_effect(other, day):
            continue
        again = set(other.fields) & set(change.fields)
        if again:
            covering.append(other)
            covered |= again
    return covering, covered


def statuses_of(facts: Iterable[Fact], day: str | None = None) -> dict[int, str]:
    """Position -> status of every event among *facts* (those known at a cut); see the module docstring."""
    facts = list(facts)
    retracted, aggregates = _standing(facts)
    found: dict[int, str] = {}
    for f in facts:
        if f.event_id in retracted:
            found[f.position] = f"retracted by {retracted[f.event_id]}"
            continue
        entry = aggregates.get(f.aggregate)
        if entry is None:
            continue
        verb = "renamed" if f.organisation else "amended"
        if f.kind == CHANGED:
            covering, covered = _later(f, entry, day)
            if covering:
                word = "superseded" if covered == set(f.fields) else verb
                found[f.position] = f"{word} by " + ", ".join(c.event_id for c in covering)
        elif f.kind == CREATED:
            changes = [c for c in entry.changes if _in_effect(c, day)]
            if changes:
                found[f.position] = f"{verb} by " + ", ".join(c.event_id for c in changes)
    return found


def _alive(entry: _Aggregate, day: str) -> bool:
    """An organisation exists / a relation is alive on *day*."""
    if not entry.created:
        return False
    start = entry.created[-1].day
    if start is not None and day < start:
        return False
    return not any(end.day is not None and end.day <= day for end in entry.ends)


def in_force(facts: Iterable[Fact], day: str) -> list[int]:
    """Positions of the events in force on ISO *day* among *facts* (those known at a cut), in order."""
    facts = list(facts)
    retracted, aggregates = _standing(facts)
    found = []
    for f in facts:
        if f.kind == RETRACTED or f.event_id in retracted or f.kind == CLOSED:
            continue
        entry = aggregates[f.aggregate]
        if not _alive(entry, day):
            continue
        if f.kind == CREATED:
            keep = f is entry.created[-1]
        elif f.kind == CHANGED:
            _, covered = _later(f, entry, day)
            keep = _in_effect(f, day) and covered != set(f.fields)
        elif f.kind == DISSOLVED:
            keep = f.day is None
        else:  # DISBURSED
            keep = _in_effect(f, day)
        if keep:
            found.append(f.position)
    return found


def statuses(
    ledger: Ledger,
    *,
    as_of: PartialDate | date | str | None = None,
    position: int | None = None,
    known_at: datetime | None = None,
) -> dict[int, str]:
    """Position -> status of every event known at the cut; with *as_of* (``"2019"``: 2019-12-31), as of that day."""
    day = query_day(as_of) if as_of is not None else None
    return statuses_of(facts_from_rows(ledger, position=position, known_at=known_at), day)


def events_in_force(
    ledger: Ledger,
    *,
    as_of: PartialDate | date | str | None = None,
    position: int | None = None,
    known_at: datetime | None = None,
) -> list[int]:
    """Positions of the events in force on *as_of* (default today; ``"2019"``: 2019-12-31), as known at the cut."""
    return in_force(facts_from_rows(ledger, position=position, known_at=known_at), query_day(as_of))


# -- filtering the log --------------------------------------------------------------------------


def overlaps(when: PartialDate | None, start: PartialDate | None, end: PartialDate | None) -> bool:
    """True when the date *when* may fall within ``start .. end`` (either may be open)."""
    if when is None:
        return start is None and end is None
    if start is not None and when.last_day < start.first_day:
        return False
    return not (end is not None and when.first_day > end.last_day)


def organisations_of(event: LedgerEvent) -> list[str]:
    """Keys of the organisations an event names directly."""
    keys: list[str] = []
    if isinstance(
        event, Organisation.Registered | Organisation.Renamed | Organisation.Dissolved | Organisation.Retracted
    ):
        keys.append(event.key)
    for side in ("parties", "funders", "recipients"):
        for party in getattr(event, side, None) or []:
            keys.append(party.key)
    programme = getattr(event, "programme", None)
    if programme:
        keys.append(programme)
    return keys


@dataclass(frozen=True)
class LogFilter:
    """Which events ``log`` keeps. Empty fields keep everything.

    ``position`` / ``known_at``: the knowledge cut; ``in_force``: only these positions
    (the events in force on an as-of day, see ``events_in_force``).
    """

    orgs: Sequence[str] = ()
    types: Sequence[str] = ()
    start: PartialDate | None = None
    end: PartialDate | None = None
    recorded_before: datetime | None = None
    position: int | None = None
    known_at: datetime | None = None
    in_force: frozenset[int] | None = None

    def type_matches(self, event: LedgerEvent) -> bool:
        return not self.types or any(event.type_name == t or event.type_name.startswith(t + ".") for t in self.types)

    def known(self, position: int, event: LedgerEvent) -> bool:
        """Whether the event is known at the cut."""
        if self.recorded_before is not None and event.recorded_at >= self.recorded_before:
            return False
        return self.known_at is None or event.recorded_at <= self.known_at


def select(events: Iterable[tuple[int, LedgerEvent]], where: LogFilter) -> Iterator[tuple[int, LedgerEvent]]:
    """Filter ``(position, event)`` pairs, following relations to the organisations they involve.

    An event concerns an organisation when it names it, or when it belongs to a
    relation (partnership, agreement, support) that named it earlier.
    """
    members: dict[UUID, set[str]] = {}
    wanted = set(where.orgs)
    for position, event in events:
        if where.position is not None and position > where.position:
            return
        if not where.known(position, event):
            continue
        if wanted:
            involved = members.setdefault(event.originator_id, set())
            involved.update(organisations_of(event))
            if not involved & wanted:
                continue
        if where.in_force is not None and position not in where.in_force:
            continue
        if not where.type_matches(event):
            continue
        if (where.start or where.end) and not overlaps(event.effective, where.start, where.end):
            continue
        yield position, event


def with_retractions(
    ledger: Ledger, selected: Iterable[tuple[int, LedgerEvent]], statuses: dict[int, str]
) -> Iterator[tuple[int, LedgerEvent]]:
    """*selected*, each retracted event followed at once by its retraction (shown there only).

    For filtered logs: a date or type filter would leave the retraction out (it is
    undated, and of another type), and whoever adds up the rows would count the
    retracted event as if it still held.
    """
    shown: set[int] = set()
    for position, event in selected:
        if position in shown:  # a retraction already shown next to its target
            continue
        shown.add(position)
        yield position, event
        status = statuses.get(position, "")
        if status.startswith("retracted by "):
            found = ledger.find(status.removeprefix("retracted by "))
            if found is not None and found[0] not in shown:
                shown.add(found[0])
                yield found


def summary(event: LedgerEvent) -> str:
    """One human line saying what the event records."""
    e: Any = event
    if isinstance(event, Organisation.Registered):
        names = " / ".join(n for n in (e.name_ko, e.name_en) if n)
        return f"{e.key}: {names} ({e.sector})"
    if isinstance(event, Organisation.Renamed):
        return f"{e.key} renamed to " + " / ".join(n for n in (e.name_ko, e.name_en) if n)
    if isinstance(event, RetractedMixin):
        return f"retracts {e.retracted_event_id}: {e.reason}"
    if hasattr(e, "funders"):
        money = f" {e.amount} {e.currency}" if e.amount is not None else ""
        funders = ", ".join(str(p) for p in e.funders)
        recipients = ", ".join(str(p) for p in e.recipients)
        return f"{e.kind}{money}: {funders} -> {recipients}"
    if hasattr(e, "parties") and e.parties:
        kind = f"{e.kind} " if hasattr(e, "kind") else ""
        title = f" '{e.title}'" if getattr(e, "title", None) else ""
        return f"{kind}{', '.join(str(p) for p in e.parties)}{title}"
    if hasattr(e, "amount") and e.amount is not None:
        return f"{e.amount} {e.currency or ''} of {e.originator_id}".replace("  ", " ")
    key = getattr(e, "key", None)
    return key or str(e.originator_id)


TABLE_COLUMNS = ("position", "effective", "type", "what", "status", "recorded_at", "recorded_by")


def table_row(position: int, event: LedgerEvent, status: str = "") -> dict[str, Any]:
    return {
        "position": position,
        "effective": str(event.effective) if event.effective else "",
        "type": event.type_name,
        "what": summary(event),
        "status": status,
        "recorded_at": event.recorded_at.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds"),
        "recorded_by": event.recorded_by,
    }


def log_record(position: int, event: LedgerEvent, status: str = "") -> dict[str, Any]:
    """The event's flat record (``domain.records.to_record``) and its status."""
    record = to_record(position, event)
    record["status"] = status
    return record


__all__ = [
    "LOG_HEADER",
    "Fact",
    "LogFilter",
    "events_in_force",
    "facts_from_rows",
    "facts_of",
    "in_force",
    "log_record",
    "overlaps",
    "select",
    "statuses",
    "statuses_of",
    "summary",
    "table_row",
    "to_record",
    "with_retractions",
]
