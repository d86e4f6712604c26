"""The auditors' timeline: the log in recorded order, filtered, one line per event.

>>> from domain.values import PartialDate
>>> overlaps(PartialDate.parse("2019"), PartialDate.parse("2019-08-22"), None)
True
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.events import LedgerEvent, RetractedMixin
from domain.organisation import Organisation
from domain.records import to_record
from domain.values import PartialDate


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
    """Which events ``log`` keeps. Empty fields keep everything."""

    orgs: Sequence[str] = ()
    types: Sequence[str] = ()
    start: PartialDate | None = None
    end: PartialDate | None = None
    recorded_before: datetime | None = None

    def type_matches(self, event: LedgerEvent) -> bool:
        return not self.types or any(event.type_name == t or event.type_name.startswith(t + ".") for t in self.types)


def select(events: Iterable[tuple[int, LedgerEvent]], where: LogFilter) -> Iterator[tuple[int, LedgerEvent]]:
    """Filter ``(position, event)`` pairs, following relations to the organisations they involve.

    An event concerns an organisation when it names it, or when it belongs to a
    relation (partnership, agreement, support) that named it earlier.
    """
    members: dict[UUID, set[str]] = {}
    wanted = set(where.orgs)
    for position, event in events:
        if where.recorded_before is not None and event.recorded_at >= where.recorded_before:
            continue
        if wanted:
            involved = members.setdefault(event.originator_id, set())
            involved.update(organisations_of(event))
            if not involved & wanted:
                continue
        if not where.type_matches(event):
            continue
        if (where.start or where.end) and not overlaps(event.effective, where.start, where.end):
            continue
        yield position, event


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


TABLE_COLUMNS = ("position", "effective", "type", "what", "recorded_at", "recorded_by")


def table_row(position: int, event: LedgerEvent) -> dict[str, Any]:
    return {
        "position": position,
        "effective": str(event.effective) if event.effective else "",
        "type": event.type_name,
        "what": summary(event),
        "recorded_at": event.recorded_at.strftime("%Y-%m-%d %H:%M:%S"),
        "recorded_by": event.recorded_by,
    }


__all__ = ["LogFilter", "overlaps", "select", "summary", "table_row", "to_record"]
