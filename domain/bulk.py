"""The bulk: many sessions in one transaction, rules checked against state kept in memory.

``Ledger.bulk`` (an import, ``append``, the demo) opens ONE transaction with the
recorder (``recorder.begin``) and hands its ``Transaction`` handle to a ``Bulk``.
The commands are the same handlers as for one command; only where their
sessions load aggregates from, and how the events are written, differ:

- **state**: every aggregate a session creates is *lean* (``Aggregate``: only what
  its rules read, about 250 bytes) and stays in the bulk's memory for later sessions,
  so nothing the bulk wrote is read back or validated again (up to ``BULK_CACHE``
  aggregates). An aggregate recorded before the
  bulk is read once, in the bulk's transaction. Retracting needs an aggregate's
  history: that one aggregate is rebuilt from storage (plus what the session
  recorded of it), then kept whole;
- **idempotency**: a batch asks which of its event ids are recorded in one query
  (``recorded_among``; earlier batches are written in the same transaction, so it
  sees them); the bulk holds the writers' lock, so an id absent then stays absent;
- **writing**: each session's events are serialised with pydantic's Rust serialiser
  (``domain.mapper.encode``: the same bytes as one command's), given positions after
  the last one, and written with one ``executemany`` (PostgreSQL: ``COPY``) per table:
  events, chain, index (``recorder.write``).

If a session fails, the aggregates it touched are forgotten (the next session
reads them again from what the bulk wrote), so a failed command leaves no trace.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from itertools import islice
from typing import TYPE_CHECKING, TypeVar
from uuid import UUID

from eventsourcing.persistence import PersistenceError

from domain.events import Aggregate, LedgerEvent, project
from domain.integrity.chain import ChainError
from domain.mapper import encode
from domain.session import Session, with_positions
from domain.storage import Row, Transaction, index_damaged

if TYPE_CHECKING:
    from domain.ledger import Ledger


T = TypeVar("T")

#: How many aggregates a bulk keeps at most (about 200 MiB of lean state) before dropping the half made first,
#: read again from storage if needed: memory stays bounded for any file (under 300 MiB), and an import of a
#: million synthetic events (about 580,000 aggregates) never reads back what it wrote.
BULK_CACHE = 600_000
#: How many events found recorded a bulk keeps (few are met again and again: a funder's registration).
BULK_FOUND = 2_000


class Bulk:
    """The state of one bulk: its transaction, the aggregates its sessions share, the next position."""

    #: Aggregates created in a bulk keep only their rules' state.
    lean = True

    def __init__(self, ledger: Ledger, txn: Transaction) -> None:
        self.ledger = ledger
        self.txn = txn
        self.recorder = ledger.recorder
        self.mapper = ledger.mapper
        self.aggregates: dict[UUID, Aggregate | None] = {}
        #: Event ids known to be unrecorded (checked in one query for the running session).
        self.unrecorded: set[UUID] = set()
        #: Events found recorded (append-only, so they stay as found until the bulk ends).
        self.found: dict[UUID, tuple[int, LedgerEvent]] = {}
        self.last = self.recorder.last_position(txn)
        #: The session running now (its unsaved events complete an aggregate's history).
        self.session: Session | None = None

    # -- running ---------------------------------------------------------------------
    def run(self, work: Callable[[Session], T], event_ids: Collection[UUID] = ()) -> T:
        """One session saved into the open transaction: no retry, the writers' lock is held."""
        aggregates = self.aggregates
        if len(aggregates) > BULK_CACHE:  # drop the half made first (read again from storage if needed)
            for stale in list(islice(aggregates, len(aggregates) - BULK_CACHE // 2)):
                del aggregates[stale]
        session = self.session = Session(self, aggregates)
        # Only this transaction writes while the lock is held, and what this session records is
        # found in its own ``new_events`` first: an id absent now stays absent to its look-ups.
        self.unrecorded = set(event_ids) - self.recorder.recorded_among(event_ids, self.txn) if event_ids else set()
        try:
            result = work(session)
        except BaseException:
            self.forget(session.touched)  # the work may have changed them, then failed
            raise
        finally:
            self.unrecorded = set()
            self.session = None
        events = list(session.new_events.values())
        try:
            first = self.write(events) if events else 0
        except BaseException:
            self.forget(session.touched)
            raise
        self.keep_lean(session.touched)
        return with_positions(result, lambda: {event.event_id: first + i for i, event in enumerate(events)})

    def keep_lean(self, aggregate_ids: Collection[UUID]) -> None:
        """Keep only the lean state of the aggregates read whole (recorded before the bulk, or retracted in it)."""
        aggregates = self.aggregates
        for aggregate_id in aggregate_ids:
            aggregate = aggregates.get(aggregate_id)
            if aggregate is not None and not aggregate.lean:
                aggregates[aggregate_id] = aggregate.leaned()

    def forget(self, aggregate_ids: Collection[UUID]) -> None:
        for aggregate_id in aggregate_ids:
            self.aggregates.pop(aggregate_id, None)

    def write(self, events: Sequence[LedgerEvent]) -> int:
        """Serialise *events* and write them after the last position, one statement per table; the first position."""
        first = self.last + 1
        rows = []
        for i, event in enumerate(events):
            topic, state = encode(event)
            rows.append(
                Row(first + i, event.originator_id.hex, event.originator_version, topic, state, str(event.event_id))
            )
        try:
            self.recorder.write(self.txn, rows)
        except ChainError as exc:
            raise exc.refusal() from None
        except PersistenceError as exc:
            raise self.ledger.write_failed(exc) from None
        except Exception as exc:  # the driver's own errors (sqlite3, psycopg)
            if type(exc).__module__.split(".")[0] not in ("sqlite3", "psycopg"):
                raise
            raise self.ledger.write_failed(exc) from None
        self.last = rows[-1].position
        return first

    # -- the session's source -----------------------------------------------------------
    def load(self, aggregate_id: UUID) -> Aggregate | None:
        """An aggregate recorded before the bulk (or forgotten), read in the bulk's transaction."""
        stored = self.recorder.select_stored(self.txn, aggregate_id)
        return project(None, (self.mapper.decode(s) for s in stored))

    def find(self, event_id: UUID) -> tuple[int, LedgerEvent] | None:
        if event_id in self.unrecorded:
            return None
        if event_id in self.found:  # e.g. a 360Giving funder's registration, met again on every grant
            return self.found[event_id]
        found = self.recorder.find_event(event_id, self.txn)
        if found is None:
            return None
        position, originator_id, version = found
        stored = self.recorder.select_stored(self.txn, originator_id)
        row = next((s for s in stored if s.originator_version == version), None)
        event = self.mapper.decode(row) if row is not None else None
        if event is None or event.event_id != event_id:  # an index row the ledger did not write
            raise index_damaged(event_id, position, "no such event" if event is None else f"event {event.event_id}")
        if len(self.found) >= BULK_FOUND:
            self.found.clear()
        self.found[event_id] = (position, event)
        return position, event

    def locate(self, event_id: UUID) -> UUID | None:
        if event_id in self.unrecorded:
            return None
        if event_id in self.found:
            return self.found[event_id][1].originator_id
        found = self.recorder.find_event(event_id, self.txn)
        return found[1] if found else None

    def with_history(self, aggregate: Aggregate) -> Aggregate:
        """*aggregate* rebuilt whole: what storage holds of it, then what the running session recorded."""
        stored = [self.mapper.decode(s) for s in self.recorder.select_stored(self.txn, aggregate.id)]
        pending = self.session.new_by_aggregate.get(aggregate.id, []) if self.session else []
        full = project(None, [*stored, *pending])
        assert full is not None and full.version == aggregate.version
        return full
