"""The unit of work: the aggregates a command loads or creates, and the events it records.

A ``Session`` is handed to command handlers (``domain.commands``). It loads
aggregates through a ``Source``: for one command, the ledger's repository (each
aggregate rebuilt from its stored events); in a bulk, the bulk's own state,
kept in memory for every aggregate the bulk touched (``domain.bulk``). The
session keeps the new events in the order the commands recorded them; whoever
opened it saves them all in one transaction, or none.

It also answers idempotency: an event id already recorded with the same
content is ``already recorded`` (nothing is written), with other content it is
refused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol, TypeVar
from uuid import UUID

from domain.errors import InputError, RuleViolation
from domain.events import Aggregate, LedgerEvent
from domain.organisation import Organisation, organisation_id

if TYPE_CHECKING:
    from domain.values import Party

TAggregate = TypeVar("TAggregate", bound=Aggregate)

#: What ``Session.load`` finds for an aggregate not loaded yet (None: known not to exist).
_UNLOADED: Any = object()


class Outcome(NamedTuple):
    """What a command did: ``recorded`` a new event, or found it ``already recorded``.

    A named tuple: a bulk makes one per event.
    """

    status: Literal["recorded", "already recorded"]
    event: LedgerEvent
    position: int | None = None

    @property
    def aggregate_id(self) -> UUID:
        return self.event.originator_id


class Source(Protocol):
    """Where a session's aggregates and recorded events come from."""

    #: Whether aggregates created in this session keep only their rules' state (in a bulk).
    lean: bool

    def load(self, aggregate_id: UUID) -> Aggregate | None:
        """The aggregate as recorded (or as the bulk left it), or None."""

    def find(self, event_id: UUID) -> tuple[int, LedgerEvent] | None:
        """Position and event of a recorded event, or None."""

    def with_history(self, aggregate: Aggregate) -> Aggregate:
        """*aggregate* with its whole history (a lean one rebuilt from what was recorded)."""

    def locate(self, event_id: UUID) -> UUID | None:
        """The aggregate id of a recorded event, or None."""


class Session:
    """A unit of work: aggregates loaded or created, and the events they will save."""

    def __init__(self, source: Source, aggregates: dict[int, Aggregate | None] | None = None) -> None:
        self.source = source
        #: Aggregates loaded or created, by the integer of their id (in a bulk: the bulk's, shared by its
        #: sessions). Integer keys: a ``UUID`` hashes in Python, an ``int`` in C, and a bulk looks up
        #: several aggregates per event.
        self.aggregates: dict[int, Aggregate | None] = aggregates if aggregates is not None else {}
        #: The new events by the integer of their event id, in the order the commands recorded them.
        self.new_events: dict[int, LedgerEvent] = {}
        #: The same events by the integer of their aggregate's id, in order.
        self.new_by_aggregate: dict[int, list[LedgerEvent]] = {}
        #: The integers of the ids of the aggregates this session loaded or created (a bulk forgets them if
        #: the work fails).
        self.touched: set[int] = set()

    # -- loading -------------------------------------------------------------------
    def load(self, aggregate_id: UUID) -> Aggregate | None:
        aggregates = self.aggregates
        key = aggregate_id.int
        self.touched.add(key)
        found = aggregates.get(key, _UNLOADED)
        if found is _UNLOADED:
            found = aggregates[key] = self.source.load(aggregate_id)
        aggregate: Aggregate | None = found
        if aggregate is not None and not aggregate.version:  # made by ``fresh`` for a command that failed
            return None
        return aggregate

    def get(self, cls: type[TAggregate], aggregate_id: UUID, field: str = "id") -> TAggregate:
        """The existing aggregate of type *cls*, or a ``RuleViolation`` naming *field*."""
        aggregate = self.load(aggregate_id)
        if aggregate is None:
            raise RuleViolation(
                field,
                f"no {cls.kind} with id {aggregate_id}",
                "check the id",
                code="aggregate.unknown",
                subject=cls.kind,
            )
        if not isinstance(aggregate, cls):
            raise RuleViolation(
                field, f"{aggregate_id} is {_a(aggregate.kind)}, not {_a(cls.kind)}", code="aggregate.other_kind"
            )
        return aggregate

    def fresh(self, cls: type[TAggregate], aggregate_id: UUID, *, unrecorded: bool = False) -> TAggregate:
        """A new aggregate of *cls*, or the existing one (e.g. a retracted registration).

        *unrecorded*: the caller knows no event with this id was recorded, and the
        aggregate's id is its first event's id, so there is nothing to look up.
        """
        key = aggregate_id.int
        if unrecorded and key not in self.aggregates:
            self.aggregates[key] = None
        existing = self.load(aggregate_id)
        if existing is None:
            aggregate = cls(aggregate_id, lean=self.source.lean)
            self.aggregates[key] = aggregate
            return aggregate
        if not isinstance(existing, cls):
            raise RuleViolation(
                "event_id",
                f"{aggregate_id} already names {_a(existing.kind)}",
                "give a new event_id",
                code="event_id.taken",
            )
        return existing

    def organisations(self, parties: Sequence[Party]) -> list[Organisation | None]:
        """The aggregates of the parties' organisations, in order (None where none is registered)."""
        load = self.load
        return [org if isinstance(org := load(organisation_id(p.key)), Organisation) else None for p in parties]

    def organisation(self, key: str) -> Organisation | None:
        found = self.load(organisation_id(key))
        return found if isinstance(found, Organisation) else None

    def with_history(self, aggregate: TAggregate) -> TAggregate:
        """*aggregate* with its history (needed to retract one of its events)."""
        if not aggregate.lean:
            return aggregate
        full = self.source.with_history(aggregate)
        self.aggregates[aggregate.id.int] = full
        return full  # type: ignore[return-value]

    # -- idempotency ------------------------------------------------------------------
    def find_event(self, event_id: UUID) -> LedgerEvent | None:
        found = self._find(event_id)
        return found[1] if found else None

    def locate(self, event_id: UUID) -> UUID | None:
        """The aggregate id of the event with this id (this session's, or the ledger's), or None."""
        new = self.new_events.get(event_id.int)
        if new is not None:
            return new.originator_id
        return self.source.locate(event_id)

    def _find(self, event_id: UUID) -> tuple[int | None, LedgerEvent] | None:
        """Position (None if not saved yet) and event with this id: this session's, or the ledger's."""
        new = self.new_events.get(event_id.int)
        if new is not None:
            return None, new
        return self.source.find(event_id)

    def replayed(self, draft: LedgerEvent) -> Outcome | None:
        """``already recorded`` when the draft's event id is in the ledger with the same content.

        The same id with other content is refused: an event id names one fact.
        """
        found = self._find(draft.event_id)
        if found is None:
            return None
        position, existing = found
        same = (
            type(existing) is type(draft)
            and draft.originator_id == existing.originator_id
            and draft.content() == existing.content()
        )
        if not same:
            raise RuleViolation(
                "event_id",
                f"{draft.event_id} is already recorded with different content ({existing.type_name})",
                "give a new event_id, or retract the old event and record a correction",
                code="event_id.other_content",
            )
        return Outcome("already recorded", existing, position)

    def record(self, event: LedgerEvent) -> Outcome:
        self.new_events[event.event_id.int] = event
        self.new_by_aggregate.setdefault(event.originator_id.int, []).append(event)
        return Outcome("recorded", event)


T = TypeVar("T")


def with_positions(result: T, positions: dict[UUID, int] | Callable[[], dict[UUID, int]]) -> T:
    """*result* (an ``Outcome`` or a list of them) with the positions of the events it recorded.

    *positions* may be a function that makes them, called only if *result* holds an ``Outcome``.
    """
    if not isinstance(result, Outcome) and not (
        isinstance(result, list) and any(isinstance(o, Outcome) for o in result)
    ):
        return result
    if callable(positions):
        positions = positions()

    def fill(outcome: Outcome) -> Outcome:
        if outcome.status == "recorded" and outcome.event.event_id in positions:
            return Outcome(outcome.status, outcome.event, positions[outcome.event.event_id])
        return outcome

    if isinstance(result, Outcome):
        return fill(result)  # type: ignore[return-value]
    if isinstance(result, list):
        return [fill(o) if isinstance(o, Outcome) else o for o in result]  # type: ignore[return-value]
    return result


def as_uuid(value: UUID | str, field: str) -> UUID:
    """*value* as a UUID, or an ``InputError`` naming *field*.

    >>> as_uuid(" 00000000-0000-0000-0000-000000000001", "id")
    UUID('00000000-0000-0000-0000-000000000001')
    """
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value).strip())
    except ValueError:
        raise InputError(field, f"{value!r} is not a UUID", "copy the id from the log", code="input.uuid") from None


def _a(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"
