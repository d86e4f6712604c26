"""The ledger's own event format: one flat JSON object per event, and its reading into commands.

``netledger log --format jsonl`` prints it and ``netledger append`` and
``netledger import --format jsonl`` read it, so a log replays into an empty
ledger. Every record has the envelope at the top level (``position``,
``event_id``, ``type``, ``aggregate_id``, ``version``, ``effective``,
``recorded_at``, ``recorded_by``, ``source``, ``note``) followed by the event's
own fields.

On reading, ``position``, ``version``, ``recorded_at`` and ``recorded_by`` are
bookkeeping of the ledger that printed the record: they are checked for form
and otherwise ignored, because the receiving ledger records when and by whom
it learned each event. ``status`` (what ``log`` derives: retracted, amended,
superseded) is ignored too: the receiving ledger derives its own. A record becomes a command: the draft of its event
(``domain.commands``), validated once.

Two readers give the same drafts:

- ``draft_of`` reads one record (a dict), with a message naming the field for
  each problem;
- ``RecordBatch`` validates many JSON lines at once with one discriminated-union
  ``TypeAdapter.validate_json`` (pydantic's Rust parser and validators), and
  hands any batch with a problem to ``draft_of``, line by line, for its message.

>>> from uuid import UUID
>>> from datetime import datetime, timezone
>>> from domain.partnership import Partnership
>>> e = Partnership.Ended(originator_id=UUID(int=1), originator_version=2, event_id=UUID(int=2),
...     effective="2020-03", recorded_at=datetime(2026, 1, 1, tzinfo=timezone.utc), recorded_by="kim")
>>> to_record(7, e)["type"], to_record(7, e)["aggregate_id"]
('partnership.ended', '00000000-0000-0000-0000-000000000001')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar, Union
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field, StrictInt, StrictStr, TypeAdapter, ValidationError, create_model

from domain.errors import InputError
from domain.events import ENVELOPE, LedgerEvent, Meta, RetractedMixin, construct, constructed, input_error, utc_now
from domain.values import OrgKey, Party

if TYPE_CHECKING:
    #: Every event class by its ``type_name`` (built on first use: it imports every aggregate).
    EVENT_TYPES: dict[str, type[LedgerEvent]]

TEvent = TypeVar("TEvent", bound=LedgerEvent)

#: Top-level keys of a record, in the order they are printed.
HEADER = ("position", "event_id", "type", "aggregate_id", "version", *ENVELOPE[1:])
BOOKKEEPING = ("position", "version", "recorded_at", "recorded_by")
#: Keys ``netledger log`` adds that the ledger derives (``status``): accepted on append and ignored.
DERIVED = ("status",)

#: Where each event type's class is, so a record of one type imports only its own aggregate.
TYPE_NAMES: dict[str, str] = {
    "organisation.registered": "domain.organisation:Organisation.Registered",
    "organisation.renamed": "domain.organisation:Organisation.Renamed",
    "organisation.dissolved": "domain.organisation:Organisation.Dissolved",
    "organisation.retracted": "domain.organisation:Organisation.Retracted",
    "partnership.formed": "domain.partnership:Partnership.Formed",
    "partnership.ended": "domain.partnership:Partnership.Ended",
    "partnership.retracted": "domain.partnership:Partnership.Retracted",
    "agreement.signed": "domain.agreement:Agreement.Signed",
    "agreement.amended": "domain.agreement:Agreement.Amended",
    "agreement.terminated": "domain.agreement:Agreement.Terminated",
    "agreement.retracted": "domain.agreement:Agreement.Retracted",
    "support.awarded": "domain.support:Support.Awarded",
    "support.amended": "domain.support:Support.Amended",
    "support.disbursed": "domain.support:Support.Disbursed",
    "support.ended": "domain.support:Support.Ended",
    "support.withdrawn": "domain.support:Support.Withdrawn",
    "support.retracted": "domain.support:Support.Retracted",
}
#: The event types that create their aggregate (its id is their event id).
CREATIONS = frozenset({"partnership.formed", "agreement.signed", "support.awarded"})
#: Fields holding lists of parties (given as ``KEY[:ROLE]`` strings or ``{"key":..,"role":..}`` objects).
PARTY_FIELDS = ("parties", "funders", "recipients")


@cache
def event_type(type_name: str) -> type[LedgerEvent]:
    """The event class of *type_name*, importing only its module (``KeyError`` if unknown)."""
    module, _, qualname = TYPE_NAMES[type_name].partition(":")
    found: Any = import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    assert isinstance(found, type) and issubclass(found, LedgerEvent)
    return found


def __getattr__(name: str) -> Any:
    if name == "EVENT_TYPES":
        return {type_name: event_type(type_name) for type_name in TYPE_NAMES}
    raise AttributeError(name)


@cache
def payload_fields(cls: type[LedgerEvent]) -> tuple[str, ...]:
    """The event's own field names, in declaration order."""
    return tuple(f for f in cls.model_fields if f not in ("originator_id", "originator_version", *ENVELOPE))


@cache
def required_fields(cls: type[LedgerEvent]) -> tuple[str, ...]:
    """The event's own fields a record must give."""
    return tuple(f for f in payload_fields(cls) if cls.model_fields[f].is_required())


def to_record(position: int, event: LedgerEvent) -> dict[str, Any]:
    """The flat, JSON-ready record of one stored event."""
    envelope = event.model_dump(mode="json", include=set(ENVELOPE))
    record: dict[str, Any] = {
        "position": position,
        "event_id": envelope["event_id"],
        "type": event.type_name,
        "aggregate_id": str(event.originator_id),
        "version": event.originator_version,
    }
    record.update({k: envelope[k] for k in ENVELOPE[1:]})
    record.update(event.payload())
    return record


def party_list(parties: Iterable[Party | str | dict[str, Any]], field: str) -> list[Party]:
    """Accept ``Party`` objects, ``KEY[:ROLE]`` strings or ``{"key":..,"role":..}`` dicts."""
    result = []
    for i, p in enumerate(parties):
        try:
            if isinstance(p, Party):
                result.append(p)
            elif isinstance(p, str):
                result.append(Party.parse(p))
            else:
                result.append(Party.model_validate(p))
        except ValidationError as exc:
            raise input_error(exc).at(f"{field}[{i}]") from None
    return result


# -- drafts -------------------------------------------------------------------------------
#: The placeholder aggregate id of a retraction's draft (its aggregate is the retracted event's).
UNPLACED = UUID(int=0)


def originator_of(type_name: str, event_id: UUID, fields: dict[str, Any], aggregate_id: UUID | None) -> UUID:
    """The aggregate a new event of *type_name* belongs to.

    A creation's own id; an organisation's id from its key; a retraction's is found from
    the retracted event (``UNPLACED`` until then); any other event's is given (*aggregate_id*).
    """
    kind, _, verb = type_name.partition(".")
    if type_name in CREATIONS:
        return event_id
    if verb == "retracted":
        return UNPLACED
    if kind == "organisation":
        from domain.organisation import organisation_id

        key = fields.get("key")
        return organisation_id(key) if isinstance(key, str) else UNPLACED
    assert aggregate_id is not None
    return aggregate_id


def draft(cls: type[TEvent], meta: Meta | dict[str, Any], fields: dict[str, Any], originator_id: UUID) -> TEvent:
    """The validated draft of an event of *cls*: *meta*'s envelope, *fields*, version still unknown.

    *meta* is a ``Meta`` (validated on its own first, as a command's options are), or the envelope's
    values as a dict, then validated with the fields in one call (an importer's records).
    """
    given = meta.__dict__ if isinstance(meta, Meta) else meta
    values = {k: v for k, v in given.items() if v is not None}
    values.update((k, v) for k, v in fields.items() if v is not None)
    values["originator_id"] = originator_id
    values["originator_version"] = 1
    try:
        return cls.model_validate(values)
    except ValidationError as exc:
        raise input_error(exc) from None


def draft_of(record: dict[str, Any], meta_for: Callable[..., Meta]) -> LedgerEvent:
    """Check one record's form and give its draft; each problem names its field.

    *meta_for* builds and validates the envelope (``Ledger.meta_for``: it sets who records the event, and when).
    """
    if not isinstance(record, dict):
        raise InputError("", "a record must be a JSON object", "write one {...} object per line")
    type_name = record.get("type")
    if not isinstance(type_name, str) or type_name not in TYPE_NAMES:
        raise InputError("type", f"unknown event type {type_name!r}", f"use one of: {', '.join(sorted(TYPE_NAMES))}")
    cls = event_type(type_name)
    allowed = set(HEADER) | set(DERIVED) | set(payload_fields(cls))
    for key in record:
        if key not in allowed:
            raise InputError(key, f"unknown field for {type_name}", "remove it; see docs/events.md")
    if "event_id" not in record:
        raise InputError("event_id", "required field is missing", "give the event's UUID")
    for name in ("position", "version"):
        value = record.get(name)
        if value is not None and (type(value) is not int or value < 1):
            raise InputError(name, f"{value!r} is not a positive integer", "leave it out or copy it from the log")
    if record.get("recorded_by") is not None and not isinstance(record["recorded_by"], str):
        raise InputError("recorded_by", f"{record['recorded_by']!r} is not text", "leave it out")
    if record.get("recorded_at") is not None:
        try:
            _stamp().validate_python(record["recorded_at"])
        except ValidationError as exc:
            raise input_error(exc).at("recorded_at") from None
    event_id = record["event_id"]
    if not isinstance(event_id, (str, UUID)):
        raise InputError("event_id", f"{event_id!r} is not a UUID", "give the event's UUID as a string")
    meta = meta_for(
        event_id=event_id, effective=record.get("effective"), source=record.get("source"), note=record.get("note")
    )
    fields = {k: record[k] for k in payload_fields(cls) if k in record}
    for name in required_fields(cls):
        derived = name == "key" and type_name == "organisation.retracted"  # taken from the organisation
        if record.get(name) is None and not derived:
            raise InputError(name, "required field is missing", f"{type_name} needs it")
    target = _target(type_name, record.get("aggregate_id"), meta.event_id, fields)
    for side in PARTY_FIELDS:
        if isinstance(fields.get(side), list):
            fields[side] = party_list(fields[side], side)
    if type_name == "organisation.retracted":
        fields.pop("key", None)
        return _retraction_draft(cls, meta, fields)
    return draft(cls, meta, fields, originator_of(type_name, meta.event_id, fields, target))


def _target(type_name: str, target: Any, event_id: UUID, fields: dict[str, Any]) -> UUID | None:
    """The record's ``aggregate_id``, checked against what the event type implies."""
    kind, _, verb = type_name.partition(".")
    if kind == "organisation":
        named = fields.get("key")
        if target is not None and verb != "retracted":
            from domain.organisation import organisation_id

            if not isinstance(named, str) or str(target) != str(organisation_id(named)):
                raise InputError("aggregate_id", f"does not match key {named!r}", "leave aggregate_id out")
        return None
    if verb == "retracted":
        return None
    if type_name in CREATIONS:
        if target is not None and str(target) != str(event_id):
            raise InputError("aggregate_id", "must equal event_id for a new relation", "leave it out")
        return None
    if target is None:
        raise InputError("aggregate_id", f"required for {type_name}", f"give the id of the {kind}")
    if isinstance(target, UUID):
        return target
    try:
        return UUID(str(target).strip())
    except ValueError:
        field = f"{kind}_id"
        raise InputError(field, f"{target!r} is not a UUID", "copy the id from the log", code="input.uuid") from None


def _retraction_draft(cls: type[LedgerEvent], meta: Meta, fields: dict[str, Any]) -> LedgerEvent:
    """An organisation's retraction, checked; its key is taken from the organisation when it runs."""
    checked = draft(cls, meta, {**fields, "key": "placeholder"}, UNPLACED)
    values = dict(checked.__dict__)
    del values["key"]
    return cls.model_construct(**values)


# -- many records at once -------------------------------------------------------------------------
@cache
def _stamp() -> TypeAdapter[datetime]:
    return TypeAdapter(AwareDatetime)


_POSITIVE = Annotated[StrictInt, Field(ge=1)]


@cache
def record_model(cls: type[LedgerEvent]) -> type[BaseModel]:
    """The model of a record of *cls*: the event's fields and validators, plus the record's bookkeeping.

    ``recorded_at`` and ``recorded_by`` are checked for form only; the aggregate's id and version are not
    the event's own (``aggregate_id`` is checked after, ``originator_*`` may not be given).
    """
    extra: dict[str, Any] = {
        "type": (Literal[cls.type_name], ...),
        "position": (_POSITIVE | None, None),
        "version": (_POSITIVE | None, None),
        "aggregate_id": (StrictStr | None, None),
        "originator_id": (UUID | None, None),
        "originator_version": (int | None, None),
        "recorded_at": (AwareDatetime | None, None),
        "recorded_by": (StrictStr | None, None),
        "status": (StrictStr | None, None),  # derived by ``log``: ignored (``DERIVED``)
    }
    if cls.type_name == "organisation.retracted":
        extra["key"] = (OrgKey | None, None)
    model: type[BaseModel] = create_model(f"{cls.__name__}Record", __base__=cls, **extra)
    # ``RecordBatch._draft`` relies on it: the event's fields first, in their order, then the record's own.
    assert list(model.model_fields)[: len(cls.model_fields)] == list(cls.model_fields)
    return model


@cache
def _batch_adapter() -> TypeAdapter[list[Any]]:
    models = tuple(record_model(event_type(name)) for name in TYPE_NAMES)
    union = Annotated[Union[models], Field(discriminator="type")]  # type: ignore[valid-type]  # noqa: UP007
    return TypeAdapter(list[union])


class RecordBatch:
    """Many JSON lines validated in one call; lines with a problem go through ``draft_of`` instead.

    *meta_for* is ``Ledger.meta_for``; *recorded_at* and *recorded_by* are what every draft gets
    (one time stamp per batch, as one command would).
    """

    def __init__(self, meta_for: Callable[..., Meta], recorded_by: str) -> None:
        self.meta_for = meta_for
        self.recorded_by = recorded_by

    def drafts(self, lines: Sequence[bytes]) -> list[LedgerEvent] | None:
        """The drafts of *lines* (JSON objects, no blank line), or None if any needs a closer look."""
        if not lines:
            return []
        try:
            records = _batch_adapter().validate_json(b"[" + b",".join(lines) + b"]")
        except ValidationError:
            return None
        now = utc_now()
        drafts = []
        for record in records:
            made = self._draft(record, now)
            if made is None:
                return None
            drafts.append(made)
        return drafts

    def _draft(self, record: Any, now: datetime) -> LedgerEvent | None:
        values = dict(record.__dict__)  # the event's fields in order, then the record's own (see ``record_model``)
        if values["originator_id"] is not None or values["originator_version"] is not None:
            return None
        type_name = values.pop("type")
        target = values.pop("aggregate_id")
        del values["position"], values["version"], values["status"]
        cls = event_type(type_name)
        event_id = values["event_id"]
        kind, _, verb = type_name.partition(".")
        # As ``draft_of`` checks them: ids given beside what the type implies are compared as written.
        if type_name in CREATIONS:
            if target is not None and target != str(event_id):
                return None
            originator = event_id
        elif verb == "retracted":
            originator = UNPLACED
            if type_name == "organisation.retracted":
                del values["key"]
                values.update(recorded_at=now, recorded_by=self.recorded_by, originator_id=originator)
                values["originator_version"] = 1
                return construct(cls, values)  # no key: the organisation's is taken when it runs
        elif kind == "organisation":
            originator = originator_of(type_name, event_id, values, None)
            if target is not None and target != str(originator):
                return None
        elif target is None:
            return None
        else:
            try:
                originator = UUID(target.strip())
            except ValueError:
                return None
        values["recorded_at"] = now
        values["recorded_by"] = self.recorded_by
        values["originator_id"] = originator
        values["originator_version"] = 1
        return constructed(cls, values)


def draft_event_ids(d: LedgerEvent) -> tuple[UUID, ...]:
    """The ids the draft's command looks up: its own event id, and the event it retracts.

    >>> from domain.partnership import Partnership
    >>> d = Partnership.Retracted.model_construct(event_id=UUID(int=2), retracted_event_id=UUID(int=1))
    >>> [i.int for i in draft_event_ids(d)]
    [2, 1]
    """
    if isinstance(d, RetractedMixin):
        return d.event_id, d.retracted_event_id
    return (d.event_id,)
