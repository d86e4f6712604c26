"""The deep check: every stored event decodes, satisfies its model, and follows from the events before it.

``RuleReplay`` runs the log again, in order, through the ledger's own command handlers
(``domain.commands``: one definition of the rules), each event as its own draft, on
aggregates kept in memory as a bulk keeps them (lean: only what the rules read). An
event passes when its handler accepts it and records exactly it: the same class, the
same aggregate and version, the same content. So a row written behind the ledger's back
is found even when its hashes were computed correctly: one that does not decode, breaks
a rule (a partnership of an unregistered organisation, an end before its start, a
second award of one support), repeats an event id, sits on the wrong aggregate or skips
a version.

Memory grows with the number of aggregates (about 250 bytes each), not of events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from domain.commands import execute
from domain.errors import LedgerError
from domain.events import Aggregate, LedgerEvent, project
from domain.mapper import PydanticMapper
from domain.records import UNPLACED, originator_of
from domain.session import Session

if TYPE_CHECKING:
    from eventsourcing.persistence import StoredEvent

    from domain.storage import LedgerRecorder


class RuleReplay:
    """The session source of the replay: aggregates made by the events replayed so far, nothing else."""

    #: Aggregates made here keep only their rules' state.
    lean = True

    def __init__(self, recorder: LedgerRecorder, mapper: PydanticMapper | None = None) -> None:
        self.recorder = recorder
        self.mapper = mapper or PydanticMapper()
        self.aggregates: dict[int, Aggregate | None] = {}
        #: Every event id replayed, with its position and aggregate.
        self.seen: dict[UUID, tuple[int, UUID]] = {}

    # -- the Source protocol of ``domain.session`` ----------------------------------------------
    def load(self, aggregate_id: UUID) -> Aggregate | None:
        return None  # an aggregate no event replayed so far made does not exist yet

    def find(self, event_id: UUID) -> tuple[int, LedgerEvent] | None:
        return None  # an event id seen before is refused before its handler runs

    def locate(self, event_id: UUID) -> UUID | None:
        found = self.seen.get(event_id)
        return found[1] if found else None

    def with_history(self, aggregate: Aggregate) -> Aggregate:
        """The aggregate rebuilt from its stored events up to its version (to retract one of them)."""
        stored = self.recorder.select_events(aggregate.id, lte=aggregate.version)
        full = project(None, [self.mapper.decode(s) for s in stored])
        assert full is not None
        return full

    # -- the check ---------------------------------------------------------------------------
    def decode(self, stored: StoredEvent) -> LedgerEvent:
        """The event of a stored row (``DamagedError`` if it gives none)."""
        return self.mapper.decode(stored)

    def check(self, position: int, event: LedgerEvent) -> str | None:
        """None when *event* follows from the events replayed before it, else why it does not."""
        first = self.seen.get(event.event_id)
        if first is not None:
            return f"its event id {event.event_id} was recorded before, at position {first[0]}"
        fields = {"key": event.key} if hasattr(event, "key") else {}
        expected = originator_of(event.type_name, event.event_id, fields, event.originator_id)
        if expected not in (UNPLACED, event.originator_id):
            return f"it sits on aggregate {event.originator_id}, but its content names {expected}"
        session = Session(self, self.aggregates)
        try:
            outcome = execute(session, event)
        except LedgerError as exc:
            return f"the ledger's rules refuse it ({exc})"
        made = outcome.event
        if outcome.status != "recorded" or type(made) is not type(event):
            return "it does not follow from the events before it"
        if made.originator_id != event.originator_id or made.originator_version != event.originator_version:
            return (
                f"it is version {event.originator_version} of aggregate {event.originator_id}, but the events "
                f"before it make it version {made.originator_version} of {made.originator_id}"
            )
        if made.content() != event.content():
            return "its content differs from what its own command records"
        self.seen[event.event_id] = (position, event.originator_id)
        for aggregate_id in session.touched:  # keep lean what a retraction rebuilt whole
            aggregate = self.aggregates.get(aggregate_id)
            if aggregate is not None and not aggregate.lean:
                self.aggregates[aggregate_id] = aggregate.leaned()
        return None
