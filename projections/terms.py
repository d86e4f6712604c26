"""One aggregate on one day: what was in force then, from its events (the rules of docs/time.md).

The network fold (``projections.graph``) applies the same rules to compact
tuples, for a whole ledger at once; these functions take the pydantic events of
one organisation or relation, for ``show`` and the 360Giving export.

- ``known`` keeps the events recorded by a knowledge cut and drops the
  retracted ones (and the retractions);
- changes (renames, amendments) apply from their own date, by date, undated
  first, then in the order recorded (``change_key``);
- an organisation exists from its registration's date (undated: always) until
  its earliest dated dissolution; a relation is alive from its creation's date
  until its earliest closing date.

>>> from datetime import UTC, datetime
>>> from uuid import uuid4
>>> from domain.organisation import Organisation
>>> stamp = datetime(2026, 1, 1, tzinfo=UTC)
>>> def event(cls, version, **fields):
...     return cls(originator_id=uuid4(), originator_version=version, event_id=uuid4(), recorded_at=stamp,
...                recorded_by="doc", key="lab", **fields)
>>> history = [(1, event(Organisation.Registered, 1, sector="university", name_en="Lab", effective="2019-03")),
...            (2, event(Organisation.Renamed, 2, name_en="New Lab", effective="2021"))]
>>> [(o.status, o.name_en) for o in (organisation_on(history, d) for d in ("2019-02-28", "2020-12-31", "2021-01-01"))]
[('not yet registered', 'Lab'), ('active', 'Lab'), ('active', 'New Lab')]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.agreement import Agreement
from domain.events import LedgerEvent, RetractedMixin
from domain.organisation import Organisation
from domain.partnership import Partnership
from domain.records import payload_fields
from domain.support import Support
from domain.values import Party
from projections.timeaxes import amount_text

Positioned = tuple[int, LedgerEvent]

CREATIONS = (Organisation.Registered, Partnership.Formed, Agreement.Signed, Support.Awarded)
CHANGES = (Organisation.Renamed, Agreement.Amended, Support.Amended)
CLOSINGS = (Partnership.Ended, Agreement.Terminated, Support.Ended, Support.Withdrawn)


def day_of(event: LedgerEvent) -> str | None:
    """The ISO day *event* takes effect: the first day of its date (None when undated)."""
    return event.effective.first_day.isoformat() if event.effective is not None else None


def change_key(item: Positioned) -> tuple[str, int]:
    """Changes apply by date (undated first, as from the beginning), then in the order recorded."""
    position, event = item
    return (day_of(event) or "", position)


def known(
    events: Iterable[Positioned], *, position: int | None = None, known_at: datetime | None = None
) -> tuple[list[Positioned], dict[str, str]]:
    """The events known at the cut that still count, and ``retracted event id -> retraction id``.

    Known: recorded at or before *known_at*, at or before *position*. Of those, a
    retraction removes its target; the retractions themselves are left out.
    """
    cut = [
        (p, e)
        for p, e in events
        if (position is None or p <= position) and (known_at is None or e.recorded_at <= known_at)
    ]
    retracted = {
        str(e.retracted_event_id): str(e.event_id)  # type: ignore[attr-defined]
        for _, e in cut
        if isinstance(e, RetractedMixin)
    }
    live = [(p, e) for p, e in cut if not isinstance(e, RetractedMixin) and str(e.event_id) not in retracted]
    return live, retracted


def _in_effect(event: LedgerEvent, day: str) -> bool:
    when = day_of(event)
    return when is None or when <= day


def _earliest(events: Iterable[LedgerEvent]) -> LedgerEvent | None:
    """The event with the earliest date (by first day; on the same day the first given), or None."""
    dated = [e for e in events if e.effective is not None]
    return min(dated, key=_day_key, default=None)


def _day_key(event: LedgerEvent) -> str:
    return day_of(event) or ""


# -- organisations ---------------------------------------------------------------------------


@dataclass
class OrganisationOn:
    """An organisation on one day."""

    key: str | None
    registration: Organisation.Registered | None
    status: str
    name_ko: str | None = None
    name_en: str | None = None
    dissolved: str | None = None

    @property
    def exists(self) -> bool:
        return self.status == "active"


def organisation_on(events: Iterable[Positioned], day: str) -> OrganisationOn:
    """The organisation on ISO *day*, from its events that count (see ``known``).

    ``status``: ``active`` (it exists on *day*), ``not yet registered``, ``dissolved`` or
    ``unregistered`` (no registration counts).
    """
    events = list(events)
    registrations = [e for _, e in events if isinstance(e, Organisation.Registered)]
    keyed = next((e for _, e in events if hasattr(e, "key")), None)
    key = getattr(keyed, "key", None)
    if not registrations:
        return OrganisationOn(key, None, "unregistered")
    registration = registrations[-1]
    dissolutions = [e for _, e in events if isinstance(e, Organisation.Dissolved)]
    first = _earliest(dissolutions)
    dissolved = str(first.effective) if first is not None else ("undated" if dissolutions else None)
    name_ko, name_en = registration.name_ko, registration.name_en
    for _, rename in sorted(((p, e) for p, e in events if isinstance(e, Organisation.Renamed)), key=change_key):
        if _in_effect(rename, day):
            name_ko = rename.name_ko or name_ko
            name_en = rename.name_en or name_en
    since = day_of(registration)
    if since is not None and day < since:
        status = "not yet registered"
    elif first is not None and day_of(first) <= day:  # type: ignore[operator]
        status = "dissolved"
    else:
        status = "active"
    return OrganisationOn(registration.key, registration, status, name_ko, name_en, dissolved)


# -- relations -------------------------------------------------------------------------------


@dataclass
class RelationOn:
    """A partnership, agreement or support on one day: its terms then, and whether it is alive."""

    created: LedgerEvent | None
    status: str
    terms: dict[str, Any] = field(default_factory=dict)
    closed: LedgerEvent | None = None
    disbursed: Decimal | None = None

    @property
    def alive(self) -> bool:
        return self.status == "active"


#: The terms a creating event sets, by relation kind (the fields amendments may change among them).
TERMS: dict[type[LedgerEvent], tuple[str, ...]] = {
    Partnership.Formed: ("title", "parties"),
    Agreement.Signed: ("kind", "title", "parties", "term_end"),
    # what an award fixes, then what ``support.amended`` may change (its fields, in their order)
    Support.Awarded: ("kind", "funders", "recipients", "programme", "reference", *Support.Amended.payload_fields()),
}
#: How a relation's status reads before it starts, and after each closing event.
NOT_YET = {
    Partnership.Formed: "not yet started",
    Agreement.Signed: "not yet signed",
    Support.Awarded: "not yet awarded",
}
CLOSED = {
    Partnership.Ended: "ended",
    Agreement.Terminated: "terminated",
    Support.Ended: "ended",
    Support.Withdrawn: "withdrawn",
}


def changed_fields(event: LedgerEvent) -> tuple[str, ...]:
    """The fields a rename or an amendment sets (those it gives; an organisation's key is not one)."""
    return tuple(name for name in payload_fields(type(event)) if name != "key" and getattr(event, name) is not None)


def relation_on(events: Iterable[Positioned], day: str) -> RelationOn:
    """The relation on ISO *day*, from its events that count (see ``known``).

    ``status``: ``active`` (alive on *day*), ``not yet started`` / ``signed`` /
    ``awarded``, ``ended`` / ``terminated`` / ``withdrawn`` (by its earliest closing
    event, once in effect), or ``retracted`` (its creation does not count).
    """
    events = list(events)
    created = next((e for _, e in events if isinstance(e, CREATIONS)), None)
    if created is None:
        return RelationOn(None, "retracted")
    terms = {name: getattr(created, name) for name in TERMS[type(created)]}
    for _, change in sorted(((p, e) for p, e in events if isinstance(e, CHANGES)), key=change_key):
        if _in_effect(change, day):
            terms.update((name, getattr(change, name)) for name in changed_fields(change))
    closed = _earliest(e for _, e in events if isinstance(e, CLOSINGS))
    paid = [e for _, e in events if isinstance(e, Support.Disbursed) and _in_effect(e, day)]
    disbursed = sum((e.amount for e in paid), Decimal(0)) if paid else None
    start = day_of(created)
    if start is not None and day < start:
        status = NOT_YET[type(created)]
    elif closed is not None and day_of(closed) <= day:  # type: ignore[operator]
        status = CLOSED[type(closed)]
    else:
        status = "active"
    return RelationOn(created, status, terms, closed, disbursed)


def parties_text(parties: Iterable[Party]) -> list[str]:
    """``["postech:partner", "rist"]``: parties as the CLI writes them."""
    return [str(p) for p in parties]


def money_text(value: Decimal | None) -> str | None:
    """An amount as the ledger writes it (see ``projections.timeaxes.amount_text``), or None."""
    return None if value is None else amount_text(value)
