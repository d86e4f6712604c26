"""What the network fold reads: one event as ``(position, aggregate id, topic, payload)``.

The fold never needs pydantic models. A stored row already holds everything:
its topic names the event class, its state is the event's JSON without the
originator fields (``domain.mapper``), validated when it was written. The fold
reads that JSON as plain Python (``json.loads``), after running the class's
upcasters on payloads of an older ``class_version``.

Each event class maps to one *operation* of the fold (``EventOp``):

========================  =============  ================================================
operation                 tie type       event classes
========================  =============  ================================================
``REGISTER``              organisation   ``organisation.registered``
``RENAME``                organisation   ``organisation.renamed``
``DISSOLVE``              organisation   ``organisation.dissolved``
``ORG_RETRACT``           organisation   ``organisation.retracted``
``CREATE``                relation       ``partnership.formed``, ``agreement.signed``, ``support.awarded``
``AMEND``                 relation       ``agreement.amended``, ``support.amended``
``CLOSE``                 relation       ``partnership.ended``, ``agreement.terminated``,
                                         ``support.ended``, ``support.withdrawn``
``RETRACT``               relation       ``partnership/agreement/support.retracted``
``DISBURSE``              relation       ``support.disbursed``
``NOTE``                  import         ``import.recorded`` (nothing in the network)
========================  =============  ================================================

>>> from domain.partnership import Partnership
>>> op = op_for_topic("domain.partnership:Partnership.Ended")
>>> op.op == CLOSE, op.tie_type, op.cls is Partnership.Ended
(True, 'partnership', True)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.errors import DamagedError
from domain.mapper import PydanticMapper, event_class, upcast

if TYPE_CHECKING:
    from domain.events import LedgerEvent

REGISTER, RENAME, DISSOLVE, ORG_RETRACT, CREATE, AMEND, CLOSE, RETRACT, DISBURSE = range(1, 10)
#: An event the network does not fold (an import's record): it only moves the position.
NOTE = 0
#: Operations on organisations are below ``CREATE``; relation operations from ``CREATE`` up.
ORG_OPS = frozenset({REGISTER, RENAME, DISSOLVE, ORG_RETRACT})

#: Each event class's stored topic -> (operation, aggregate kind, class version now), written out so
#: that the fold reads a ledger without importing the pydantic models (a query never loads them);
#: tests/unit/test_graph.py holds it equal to the event classes.
TOPICS: dict[str, tuple[int, str, int]] = {
    "domain.organisation:Organisation.Registered": (REGISTER, "organisation", 2),
    "domain.organisation:Organisation.Renamed": (RENAME, "organisation", 1),
    "domain.organisation:Organisation.Dissolved": (DISSOLVE, "organisation", 1),
    "domain.organisation:Organisation.Retracted": (ORG_RETRACT, "organisation", 1),
    "domain.partnership:Partnership.Formed": (CREATE, "partnership", 1),
    "domain.partnership:Partnership.Ended": (CLOSE, "partnership", 1),
    "domain.partnership:Partnership.Retracted": (RETRACT, "partnership", 1),
    "domain.agreement:Agreement.Signed": (CREATE, "agreement", 1),
    "domain.agreement:Agreement.Amended": (AMEND, "agreement", 1),
    "domain.agreement:Agreement.Terminated": (CLOSE, "agreement", 1),
    "domain.agreement:Agreement.Retracted": (RETRACT, "agreement", 1),
    "domain.support:Support.Awarded": (CREATE, "support", 2),
    "domain.support:Support.Amended": (AMEND, "support", 2),
    "domain.support:Support.Disbursed": (DISBURSE, "support", 1),
    "domain.support:Support.Ended": (CLOSE, "support", 1),
    "domain.support:Support.Withdrawn": (CLOSE, "support", 1),
    "domain.support:Support.Retracted": (RETRACT, "support", 1),
    "domain.provenance:ImportRecord.Recorded": (NOTE, "import", 1),
}


class UnknownEventError(LookupError):
    """A stored topic names no event class the fold knows how to fold."""


#: What a fold raises on a stored row it cannot read (then ``first_damage`` names the position).
UNREADABLE = (ValueError, LookupError, TypeError, AttributeError)


def first_damage(rows: Sequence[Row], exc: BaseException) -> DamagedError:
    """The ``DamagedError`` of the first of *rows* that is not a readable event (the strict mapper's
    verdict), or of the whole page when each reads but the fold still failed on them."""
    mapper = PydanticMapper()
    for row in rows:
        try:
            mapper.decode(row)  # type: ignore[arg-type]
        except DamagedError as damaged:
            return DamagedError(f"position {row.id}", damaged.problem, damaged.fix)
    where = f"positions {rows[0].id}-{rows[-1].id}" if rows else "db"
    reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
    return DamagedError(
        where, f"the network cannot be built from these events ({reason})", "run 'netledger verify --deep'"
    )


@dataclass(frozen=True)
class EventOp:
    """How the fold treats the events of one stored topic."""

    topic: str
    op: int
    #: ``organisation``, ``partnership``, ``agreement`` or ``support`` (the aggregate's kind).
    tie_type: str
    #: The class's ``class_version`` now: a stored payload of an older one is upcast first.
    version: int
    #: Whether stored payloads may need ``upcast`` (the class is past version 1): read once per row.
    upcasts: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "upcasts", self.version > 1)

    @cached_property
    def cls(self) -> type[LedgerEvent]:
        """The event class (imports the models: only to upcast an old payload, or for pydantic events)."""
        return event_class(self.topic)

    def current(self, state: dict[str, Any]) -> dict[str, Any]:
        """*state* brought to this class's version, in place: ``class_version`` removed, an older payload
        upcast (the only case that needs the models)."""
        if state.get("class_version", 1) == self.version:
            state.pop("class_version", None)
            return state
        return upcast(self.cls, state)


#: Topic -> operation (old topics are added as they are met).
OPS_BY_TOPIC: dict[str, EventOp] = {topic: EventOp(topic, *entry) for topic, entry in TOPICS.items()}


def op_for_topic(topic: str) -> EventOp:
    """The operation for a stored topic (an old topic resolves through eventsourcing's registry)."""
    entry = OPS_BY_TOPIC.get(topic)
    if entry is None:
        try:
            cls = event_class(topic)  # only modules of ``domain`` are ever imported to find out
        except ValueError as exc:
            raise UnknownEventError(f"stored topic {topic[:80]!r}: {exc}") from None
        current = OPS_BY_TOPIC.get(get_topic(cls))
        if current is None:
            raise UnknownEventError(f"the network fold does not know the event class of topic {topic!r}")
        OPS_BY_TOPIC[topic] = entry = current
    return entry


def op_for_class(cls: type[LedgerEvent]) -> EventOp:
    entry = OPS_BY_TOPIC.get(get_topic(cls))
    if entry is None:
        raise UnknownEventError(f"the network fold does not know the event class {cls.__qualname__}")
    return entry


class Row(Protocol):
    """A stored event as ``recorder.select_notifications`` returns it (eventsourcing ``Notification``)."""

    @property
    def id(self) -> int: ...
    @property
    def originator_id(self) -> UUID | str: ...
    @property
    def topic(self) -> str: ...
    @property
    def state(self) -> bytes: ...


class Record(NamedTuple):
    """One event as the fold reads it; build them by hand in tests, or with ``record_of``.

    ``state`` is the event's JSON payload as stored: the envelope (``event_id``,
    ``effective``, ``recorded_at``, ...) and the event's own fields.
    """

    position: int
    originator_id: UUID | str
    topic: str
    state: dict[str, Any]


_ORIGINATOR = {"originator_id", "originator_version"}


def record_of(position: int, event: LedgerEvent) -> Record:
    """The record of a pydantic event: the same payload its stored row holds (as ``domain.mapper`` writes it)."""
    state = event.model_dump(mode="json", exclude=_ORIGINATOR)
    if type(event).class_version > 1:
        state["class_version"] = type(event).class_version
    return Record(position, event.originator_id, get_topic(type(event)), state)


def complete(cls: type[LedgerEvent], state: dict[str, Any]) -> dict[str, Any]:
    """*state* with every field of *cls* present (missing ones None), as stored payloads always are.

    Hand-built records may leave optional fields out; the fold reads stored fields by subscript.
    """
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = _FIELDS[cls] = tuple(f for f in cls.model_fields if f not in _ORIGINATOR)
    if all(f in state for f in fields):
        return state
    return {**dict.fromkeys(fields), **state}


_FIELDS: dict[type[LedgerEvent], tuple[str, ...]] = {}


def decode(row: Row) -> Record:
    """A stored row as a record: JSON decoded, old class versions upcast."""
    entry = op_for_topic(row.topic)
    state = json.loads(row.state)
    if entry.upcasts:
        upcast(entry.cls, state)
    return Record(row.id, row.originator_id, row.topic, state)
