"""The event envelope every ledger event shares, and the base aggregate.

An event is a frozen pydantic model. Its envelope says *which* fact it is
(``event_id``), *when it happened in the world* (``effective``, a date known to
the year, month or day), *when the ledger learned it* (``recorded_at``, UTC,
set by the ledger) and *who told it* (``recorded_by``), with an optional
``source`` and ``note``. Its remaining fields are the fact itself.

Aggregates are plain classes that keep their own history: replaying the
history (skipping retracted events) gives the current state, so a retraction
never edits anything. Public methods check every rule of their event, then
record it; ``apply`` only changes state.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar, TypeVar, cast
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from domain.dates import utc_now as utc_now  # re-exported: where events are made
from domain.errors import InputError, RuleViolation
from domain.values import DATE_FIX, KEY_ERROR, KEY_FIX, SURROGATE_PROBLEM, CleanShortText, CleanText, PartialDate

#: Fields of the envelope, in the order they are stored.
ENVELOPE = ("event_id", "effective", "recorded_at", "recorded_by", "source", "note")


class Envelope(BaseModel):
    """What every event says about itself, whatever fact it records."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    event_id: UUID
    effective: PartialDate | None = None
    recorded_at: AwareDatetime
    recorded_by: CleanShortText
    source: CleanText | None = None
    note: CleanText | None = None


class LedgerEvent(Envelope):
    """Base of every stored event (see the module docstring)."""

    #: Schema version of this event class; bump it and add ``upcast_vN_vN+1``.
    class_version: ClassVar[int] = 1
    #: Public name of the event type, e.g. ``partnership.formed``.
    type_name: ClassVar[str] = ""
    #: The aggregate class the event belongs to (set by ``Aggregate``).
    aggregate_class: ClassVar[type[Aggregate]]
    #: Whether the event must say when it happened in the world.
    requires_effective: ClassVar[bool] = True

    originator_id: UUID
    originator_version: int = Field(ge=1)

    @model_validator(mode="after")
    def _effective_given(self) -> LedgerEvent:
        if self.requires_effective and self.effective is None:
            raise ValueError("effective: a date is required for this event")
        return self

    def content(self) -> dict[str, Any]:
        """What the event says, without ledger bookkeeping (for idempotency checks)."""
        data = self.model_dump(
            mode="json",
            exclude={"originator_version", "recorded_at", "recorded_by"},
        )
        data["type"] = self.type_name
        return data

    def payload(self) -> dict[str, Any]:
        """The event's own fields (everything outside the envelope), JSON-ready."""
        return self.model_dump(mode="json", exclude={"originator_id", "originator_version", *ENVELOPE})


class Meta(Envelope):
    """The envelope of a new event, as a command gives it (``recorded_at`` and ``recorded_by`` set by the ledger)."""


class RetractedMixin(BaseModel):
    """Fields of every aggregate's ``Retracted`` event."""

    model_config = ConfigDict(defer_build=True)

    requires_effective: ClassVar[bool] = False

    retracted_event_id: UUID
    reason: CleanText


TEvent = TypeVar("TEvent", bound=LedgerEvent)

#: What a lean aggregate holds instead of its history and its retractions (see ``Aggregate``): never changed.
_NO_HISTORY: tuple[LedgerEvent, ...] = ()
_NONE_RETRACTED: dict[UUID, LedgerEvent] = {}
_LEAN_LIST: list[Any] = []


class Aggregate:
    """Base aggregate: an id, a version, its history, and the state its rules need.

    Subclasses define nested event classes (subclasses of ``LedgerEvent``),
    ``_reset()`` to blank their state and ``_apply(event)`` to fold one event in.
    Retractions are handled here once for all aggregates.

    A *lean* aggregate (``lean=True``, what a bulk keeps for every aggregate it
    touches) holds only the compact state its rules read (``exists``, dates,
    kinds, currencies, the ids of closing events): no history and no event
    objects, so a million of them fit in memory. Retracting needs the history:
    the bulk rebuilds that aggregate from storage first.

    Public methods take validated values (a command's draft), check every rule
    of their event, then ``_record`` it; applying an event only changes state,
    so replaying a history never re-runs a check.
    """

    __slots__ = ("exists", "history", "id", "lean", "retracted", "version")

    kind: ClassVar[str] = ""
    Retracted: ClassVar[type[LedgerEvent]]

    def __init__(self, aggregate_id: UUID, *, lean: bool = False) -> None:
        self.id = aggregate_id
        self.version = 0
        self.lean = lean
        self.history: list[LedgerEvent] | tuple[LedgerEvent, ...] = _NO_HISTORY if lean else []
        #: Lean aggregates share one empty dict: they never apply a retraction (see ``apply``).
        self.retracted: dict[UUID, LedgerEvent] = _NONE_RETRACTED if lean else {}
        self._reset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for value in vars(cls).values():
            if isinstance(value, type) and issubclass(value, LedgerEvent):
                value.aggregate_class = cls

    # -- state ---------------------------------------------------------------------
    def _reset(self) -> None:
        """Blank the state (``exists`` is False until the creating event is applied)."""
        self.exists = False

    def _list(self) -> list[Any]:
        """A new empty list for the state of a whole aggregate; for a lean one, the shared empty list it never fills."""
        return _LEAN_LIST if self.lean else []

    def _apply(self, event: LedgerEvent) -> None:
        raise NotImplementedError

    def apply(self, event: LedgerEvent) -> None:
        """Fold one stored or new event into the state (never validates)."""
        self.version = event.originator_version
        if self.lean:
            if isinstance(event, RetractedMixin):
                raise TypeError("a lean aggregate cannot replay a retraction: rebuild it from its history")
            self._apply(event)
            return
        assert isinstance(self.history, list)
        self.history.append(event)
        if isinstance(event, RetractedMixin):
            self.retracted[event.retracted_event_id] = event
            self._reset()
            for past in self.history:
                if past.event_id not in self.retracted and not isinstance(past, RetractedMixin):
                    self._apply(past)
        else:
            self._apply(event)

    def leaned(self) -> Aggregate:
        """The lean copy of this aggregate: the same state its rules read, no history."""
        if self.lean:
            return self
        lean = type(self)(self.id, lean=True)
        for past in self.history:
            if past.event_id not in self.retracted and not isinstance(past, RetractedMixin):
                lean._apply(past)
        lean.version = self.version
        return lean

    def event(self, event_id: UUID) -> LedgerEvent | None:
        for past in self.history:
            if past.event_id == event_id:
                return past
        return None

    # -- making events -------------------------------------------------------------
    def _new(self, cls: type[TEvent], meta: Envelope, **fields: Any) -> TEvent:
        """The next event of this aggregate from validated values (no validation runs again).

        Given the command's draft of this event (*meta* of class *cls*) with its own field values,
        at this aggregate's next version (a creation's draft names its aggregate and version 1),
        the draft is the event: nothing is built again.
        """
        version = self.version + 1
        if type(meta) is cls:  # a draft of this event: its fields are all there, in order
            given = meta.__dict__
            if (
                given["originator_version"] == version
                and given["originator_id"] == self.id
                and all(given[name] is value for name, value in fields.items())
            ):
                return meta
            values = dict(given)
            values.update(fields)
            values["originator_id"] = self.id
            values["originator_version"] = version
            return constructed(cls, values)
        values = dict(meta.__dict__)
        values.update(fields)
        values["originator_id"] = self.id
        values["originator_version"] = version
        return construct(cls, values)

    def _record(self, event: TEvent) -> TEvent:
        """Apply a new event; the session that called the command saves it."""
        self.apply(event)
        return event

    def retract(self, meta: Envelope, retracted_event_id: UUID, reason: str) -> LedgerEvent:
        """Record that an earlier event of this aggregate no longer counts."""
        target = self.event(retracted_event_id)
        if target is None:
            raise RuleViolation(
                "retracted_event_id",
                f"event {retracted_event_id} is not part of {self.kind} {self.id}",
                code="retract.not_in_aggregate",
            )
        if isinstance(target, RetractedMixin):
            raise RuleViolation(
                "retracted_event_id",
                f"event {retracted_event_id} is itself a retraction",
                "record the original fact again as a new event instead",
                code="retract.retraction",
            )
        if retracted_event_id in self.retracted:
            raise RuleViolation(
                "retracted_event_id",
                f"event {retracted_event_id} is already retracted",
                f"by event {self.retracted[retracted_event_id].event_id}",
                code="retract.already",
            )
        return self._record(
            self._new(
                self.Retracted, meta, **self._retraction_fields(), retracted_event_id=retracted_event_id, reason=reason
            )
        )

    def _retraction_fields(self) -> dict[str, Any]:
        """Fields a retraction of this aggregate carries besides its target and reason."""
        return {}


def construct(cls: type[TEvent], values: dict[str, Any]) -> TEvent:
    """An event of *cls* from values already validated, without validating them again.

    Given every field, it is what ``model_construct`` makes, without its per-field checks
    (a bulk makes two events per record); given fewer, it is ``model_construct``, which
    fills in the defaults. The fields are put in declaration order: the serialiser writes
    them in the order it finds them, and the stored bytes must not depend on who built the event.
    """
    fields = cls.model_fields
    if len(values) != len(fields) or not values.keys() <= fields.keys():
        return cast(TEvent, cls.model_construct(**values))
    return constructed(cls, {name: values[name] for name in fields})


def constructed(cls: type[TEvent], values: dict[str, Any]) -> TEvent:
    """``construct`` of values known to hold every field of *cls*, in declaration order."""
    event = cls.__new__(cls)
    object.__setattr__(event, "__dict__", values)
    object.__setattr__(event, "__pydantic_fields_set__", set(values))
    object.__setattr__(event, "__pydantic_extra__", None)
    object.__setattr__(event, "__pydantic_private__", None)
    return event


def project(aggregate: Aggregate | None, events: Iterable[LedgerEvent]) -> Aggregate | None:
    """Projector for eventsourcing's ``Repository.get``: fold events into an aggregate."""
    for event in events:
        if aggregate is None:
            aggregate = event.aggregate_class(event.originator_id)
        aggregate.apply(event)
    return aggregate


def check_order(start: PartialDate | None, end: PartialDate | None, field: str, what: str) -> None:
    """Refuse an *end* that certainly falls before *start*."""
    if start is not None and end is not None and end.certainly_before(start):
        raise RuleViolation(
            field,
            f"{end} is before the {what} {start}",
            f"give a date on or after {start}",
        )


def input_error(exc: ValidationError) -> InputError:
    """Turn pydantic's first complaint into a one-line ``InputError``.

    >>> from pydantic import TypeAdapter
    >>> try:
    ...     TypeAdapter(PartialDate).validate_python("22/08/2019")
    ... except ValidationError as e:
    ...     print(input_error(e))
    invalid date '22/08/2019': not in a supported form (use YYYY, YYYY-MM or YYYY-MM-DD)
    """
    first = exc.errors()[0]
    loc = ".".join(str(part) for part in first["loc"])
    kind = first["type"]
    msg = first["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    head, sep, rest = msg.partition(": ")
    if not loc and sep and re.fullmatch(r"[a-z_/.]+", head):  # model-level checks name their field first
        loc, msg = head, rest
    fix = ""
    if kind == KEY_ERROR:  # checked by pydantic-core, which cannot put the value in its message
        msg = f"invalid key {first.get('input')!r}: {KEY_FIX}"
    elif kind == "string_unicode":  # a Python text with no UTF-8 bytes: a lone surrogate
        msg = SURROGATE_PROBLEM
    elif kind == "extra_forbidden":
        msg = "unknown field"
        fix = "remove it; see the event catalogue in docs/ for the fields of each event"
    elif kind == "missing":
        msg = "required field is missing"
        fix = "give a value"
    elif msg.startswith("invalid date"):
        fix = DATE_FIX
    elif kind == "literal_error" or kind == "enum":
        fix = msg.replace("Input should be", "use")
        msg = f"unknown value {first.get('input')!r}"
    if len(msg) > 300:
        msg = msg[:300] + "..."
    count = exc.error_count()
    if count > 1:
        fix = (fix + "; " if fix else "") + f"{count - 1} more problem(s) in this record"
    return InputError(loc, msg, fix)
