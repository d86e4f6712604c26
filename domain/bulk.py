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
- **idempotency**: a batch asks which of its event ids are recorded, and the aggregates
  of the events it retracts, in one query (``located_among``; earlier batches are written
  in the same transaction, so it sees them); the bulk holds the writers' lock, so an id
  absent then stays absent. On a ledger that was empty when the bulk began, only the ids
  that a filter of the ids written so far (``WrittenIds``) cannot rule out are asked;
- **writing**: each session's events are serialised with pydantic's Rust serialiser
  (``domain.mapper.encode``: the same bytes as one command's), given positions after
  the last one, and written with one ``executemany`` (PostgreSQL: ``COPY``) per table:
  events, chain, index (``recorder.write``).

If a session fails, the aggregates it touched are forgotten (the next session
reads them again from what the bulk wrote), so a failed command leaves no trace.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
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


class WrittenIds:
    """The event ids a bulk wrote, as a Bloom filter of their integers: an id not in it is certainly not written.

    Two bits per id, at two places taken from the id's hash (for an ``int``, a C function; for the random
    UUIDs of version 4 and 5, well mixed). 2 MiB: about 1% of the ids of a million-event import are wrongly
    "maybe written", and those are asked of the database.

    >>> written = WrittenIds()
    >>> written.update([UUID("7ed4d57b-1e2f-4b89-814c-343c1027c4d1").int])
    >>> UUID("7ed4d57b-1e2f-4b89-814c-343c1027c4d1").int in written, UUID(int=12345).int in written
    (True, False)
    """

    BITS = 1 << 24
    MASK = BITS - 1

    def __init__(self) -> None:
        self.bits = bytearray(self.BITS // 8)

    def update(self, keys: Iterable[int]) -> None:
        bits, mask = self.bits, self.MASK
        for key in keys:
            h = hash(key)
            low, high = h & mask, (h >> 37) & mask
            bits[low >> 3] |= 1 << (low & 7)
            bits[high >> 3] |= 1 << (high & 7)

    def __contains__(self, key: int) -> bool:
        h = hash(key)
        low, high = h & self.MASK, (h >> 37) & self.MASK
        bits = self.bits
        return bool(bits[low >> 3] >> (low & 7) & 1 and bits[high >> 3] >> (high & 7) & 1)


class Bulk:
    """The state of one bulk: its transaction, the aggregates its sessions share, the next position."""

    #: Aggregates created in a bulk keep only their rules' state.
    lean = True

    def __init__(self, ledger: Ledger, txn: Transaction) -> None:
        self.ledger = ledger
        self.txn = txn
        self.recorder = ledger.recorder
        self.mapper = ledger.mapper
        #: By the integer of the aggregate's id (see ``Session.aggregates``).
        self.aggregates: dict[int, Aggregate | None] = {}
        #: For the running session: the integers of the event ids it looks up that are not recorded, and the
        #: aggregate of each one that is (both found in one query, ``located_among``).
        self.unrecorded: set[int] = set()
        self.located: dict[int, UUID] = {}
        #: The integers of the ids of the aggregates the running session read whole (from storage).
        self.whole: set[int] = set()
        #: Events found recorded (append-only, so they stay as found until the bulk ends).
        self.found: dict[int, tuple[int, LedgerEvent]] = {}
        self.last = self.recorder.last_position(txn)
        #: On a ledger empty when the bulk began, every recorded event is one the bulk wrote: the ids it
        #: wrote, in a filter that tells most unrecorded ids apart without asking the database.
        self.written = WrittenIds() if self.last == 0 else None
        #: The session running now (its unsaved events complete an aggregate's history).
        self.session: Session | None = None

    # -- running ---------------------------------------------------------------------
    def run(self, work: Callable[[Session], T], event_ids: Collection[UUID] = ()) -> T:
        """One session saved into the open transaction: no retry, the writers' lock is held.

        *event_ids*: the ids the work will look up (its events' own, the events they retract);
        which of them are recorded, and where, is asked in one query.
        """
        aggregates = self.aggregates
        if len(aggregates) > BULK_CACHE:  # drop the half made first (read again from storage if needed)
            for stale in list(islice(aggregates, len(aggregates) - BULK_CACHE // 2)):
                del aggregates[stale]
        session = self.session = Session(self, aggregates)
        # Only this transaction writes while the lock is held, and what this session records is
        # found in its own ``new_events`` first: an id absent now stays absent to its look-ups.
        if event_ids:
            written = self.written
            asked = event_ids if written is None else [e for e in event_ids if e.int in written]
            located = self.recorder.located_among(asked, self.txn) if asked else {}
            self.located = {event_id.int: aggregate_id for event_id, aggregate_id in located.items()}
            self.unrecorded = {event_id.int for event_id in event_ids} - self.located.keys()
        try:
            result = work(session)
        except BaseException:
            self.forget(session.touched)  # the work may have changed them, then failed
            raise
        finally:
            self.unrecorded, self.located = set(), {}
            whole, self.whole = self.whole, set()
            self.session = None
        events = list(session.new_events.values())
        try:
            first = self.write(events) if events else 0
        except BaseException:
            self.forget(session.touched)
            raise
        if self.written is not None:
            self.written.update(session.new_events)  # the integers of their event ids
        self.keep_lean(whole)
        return with_positions(result, lambda: {event.event_id: first + i for i, event in enumerate(events)})

    def keep_lean(self, keys: Collection[int]) -> None:
        """Keep only the lean state of the aggregates read whole (recorded before the bulk, or retracted in it)."""
        aggregates = self.aggregates
        for key in keys:
            aggregate = aggregates.get(key)
            if aggregate is not None and not aggregate.lean:
                aggregates[key] = aggregate.leaned()

    def forget(self, keys: Collection[int]) -> None:
        for key in keys:
            self.aggregates.pop(key, None)

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
        aggregate = project(None, (self.mapper.decode(s) for s in stored))
        if aggregate is not None:
            self.whole.add(aggregate_id.int)
        return aggregate

    def find(self, event_id: UUID) -> tuple[int, LedgerEvent] | None:
        key = event_id.int
        if key in self.unrecorded:
            return None
        if key in self.found:  # e.g. a 360Giving funder's registration, met again on every grant
            return self.found[key]
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
        self.found[key] = (position, event)
        return position, event

    def locate(self, event_id: UUID) -> UUID | None:
        key = event_id.int
        if key in self.unrecorded:
            return None
        located = self.located.get(key)
        if located is not None:
            return located
        if key in self.found:
            return self.found[key][1].originator_id
        found = self.recorder.find_event(event_id, self.txn)
        return found[1] if found else None

    def with_history(self, aggregate: Aggregate) -> Aggregate:
        """*aggregate* rebuilt whole: what storage holds of it, then what the running session recorded."""
        stored = [self.mapper.decode(s) for s in self.recorder.select_stored(self.txn, aggregate.id)]
        key = aggregate.id.int
        pending = self.session.new_by_aggregate.get(key, []) if self.session else []
        full = project(None, [*stored, *pending])
        assert full is not None and full.version == aggregate.version
        self.whole.add(key)
        return full
