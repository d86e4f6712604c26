"""The ledger's own event format: one flat JSON object per event.

``netledger log --format jsonl`` prints it and ``netledger append`` reads it,
so a log replays into an empty ledger. Every record has the envelope at the
top level (``position``, ``event_id``, ``type``, ``aggregate_id``, ``version``,
``effective``, ``recorded_at``, ``recorded_by``, ``source``, ``note``) followed
by the event's own fields.

On append, ``position``, ``version``, ``recorded_at`` and ``recorded_by`` are
bookkeeping of the ledger that printed the record: they are checked for form
and otherwise ignored, because the receiving ledger records when and by whom
it learned each event. ``status`` (what ``log`` derives: retracted, amended,
superseded) is ignored too: the receiving ledger derives its own.

>>> from uuid import UUID
>>> from datetime import datetime, timezone
>>> from domain.partnership import Partnership
>>> e = Partnership.Ended(originator_id=UUID(int=1), originator_version=2, event_id=UUID(int=2),
...     effective="2020-03", recorded_at=datetime(2026, 1, 1, tzinfo=timezone.utc), recorded_by="kim")
>>> to_record(7, e)["type"], to_record(7, e)["aggregate_id"]
('partnership.ended', '00000000-0000-0000-0000-000000000001')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import suppress
from functools import cache, partial
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import AwareDatetime, TypeAdapter, ValidationError

from domain.agreement import Agreement
from domain.errors import InputError, LedgerError, RuleViolation
from domain.events import ENVELOPE, Aggregate, LedgerEvent, input_error
from domain.organisation import Organisation, organisation_id
from domain.partnership import Partnership
from domain.support import Support

if TYPE_CHECKING:
    from domain.ledger import Ledger, Outcome, Session

#: Top-level keys of a record, in the order they are printed.
HEADER = ("position", "event_id", "type", "aggregate_id", "version", *ENVELOPE[1:])
BOOKKEEPING = ("position", "version", "recorded_at", "recorded_by")
#: Keys ``netledger log`` adds that the ledger derives (``status``): accepted on append and ignored.
DERIVED = ("status",)

AGGREGATES: tuple[type[Aggregate], ...] = (Organisation, Partnership, Agreement, Support)
EVENT_TYPES: dict[str, type[LedgerEvent]] = {
    value.type_name: value
    for aggregate in AGGREGATES
    for value in vars(aggregate).values()
    if isinstance(value, type) and issubclass(value, LedgerEvent)
}


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


_STAMP = TypeAdapter(AwareDatetime)


def parse_records(
    ledger: Ledger, records: Iterable[dict[str, Any] | tuple[int, dict[str, Any]]]
) -> list[Callable[[Session], Outcome]]:
    """Check each record's form and turn it into a command on a session.

    Errors name the record number (or the line number given with it).
    """
    commands = []
    for i, item in enumerate(records, start=1):
        number, record = item if isinstance(item, tuple) else (i, item)
        where = f"line {number}"
        try:
            commands.append(labelled(where, command_for(ledger, record)))
        except LedgerError as exc:
            raise exc.at(where) from None
    return commands


def labelled(where: str, command: Callable[[Session], Outcome]) -> Callable[[Session], Outcome]:
    """*command*, whose errors say where they come from (``line 3``, ``recipientOrganization[0]``)."""

    def run(session: Session) -> Outcome:
        try:
            return command(session)
        except LedgerError as exc:
            raise exc.at(where) from None

    return run


def command_for(ledger: Ledger, record: dict[str, Any]) -> Callable[[Session], Outcome]:
    from domain import ledger as L

    if not isinstance(record, dict):
        raise InputError("", "a record must be a JSON object", "write one {...} object per line")
    type_name = record.get("type")
    if not isinstance(type_name, str) or type_name not in EVENT_TYPES:
        raise InputError("type", f"unknown event type {type_name!r}", f"use one of: {', '.join(sorted(EVENT_TYPES))}")
    cls = EVENT_TYPES[type_name]
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
            _STAMP.validate_python(record["recorded_at"])
        except ValidationError as exc:
            raise input_error(exc).at("recorded_at") from None
    m = ledger.meta_for(
        event_id=record["event_id"] if isinstance(record["event_id"], (str, UUID)) else _bad_id(record["event_id"]),
        effective=record.get("effective"),
        source=record.get("source"),
        note=record.get("note"),
    )
    fields = {k: record[k] for k in payload_fields(cls) if k in record}
    for name in required_fields(cls):
        derived = name == "key" and type_name == "organisation.retracted"  # taken from the organisation
        if record.get(name) is None and not derived:
            raise InputError(name, "required field is missing", f"{type_name} needs it")
    target = record.get("aggregate_id")
    kind, _, verb = type_name.partition(".")

    if kind == "organisation" and target is not None:
        named = record.get("key")
        if verb != "retracted" and (not isinstance(named, str) or str(target) != str(organisation_id(named))):
            raise InputError("aggregate_id", f"does not match key {named!r}", "leave aggregate_id out")
    if cls is Organisation.Registered:
        return partial(L.cmd_register, m=m, fields=fields)
    if cls is Organisation.Renamed:
        return partial(L.cmd_rename, m=m, fields=fields)
    if cls is Organisation.Dissolved:
        return partial(L.cmd_dissolve, m=m, fields=fields)
    if verb == "retracted":
        fields.pop("key", None)
        return partial(_retract, type_name=type_name, m=m, fields=fields)
    if verb in ("formed", "signed", "awarded"):
        if target is not None and str(target) != str(m.event_id):
            raise InputError("aggregate_id", "must equal event_id for a new relation", "leave it out")
        creator = {"formed": L.cmd_form, "signed": L.cmd_sign, "awarded": L.cmd_award}[verb]
        for side in ("parties", "funders", "recipients"):
            if side in fields and isinstance(fields[side], list):
                fields[side] = L.party_list(fields[side], side)
        return partial(creator, m=m, fields=fields)
    if target is None:
        raise InputError("aggregate_id", f"required for {type_name}", f"give the id of the {kind}")
    if cls is Agreement.Amended:
        if isinstance(fields.get("parties"), list):
            fields["parties"] = L.party_list(fields["parties"], "parties")
        return partial(L.cmd_amend_agreement, m=m, agreement_id=target, fields=fields)
    if cls is Support.Amended:
        return partial(L.cmd_amend_support, m=m, support_id=target, fields=fields)
    if cls is Support.Disbursed:
        return partial(L.cmd_disburse, m=m, support_id=target, fields=fields)
    aggregate_cls = cls.aggregate_class
    closing = {"ended": "end", "terminated": "terminate", "withdrawn": "withdraw"}[verb]
    return partial(L.cmd_close, m=m, cls=aggregate_cls, aggregate_id=target, verb=closing)


def record_event_ids(record: dict[str, Any]) -> tuple[UUID, ...]:
    """The record's own event id, when it is a UUID in the usual form (the one its command looks up first).

    >>> record_event_ids({"event_id": "7ed4d57b-1e2f-4b89-814c-343c1027c4d1"})
    (UUID('7ed4d57b-1e2f-4b89-814c-343c1027c4d1'),)
    >>> record_event_ids({"event_id": "?"})
    ()
    """
    value = record.get("event_id")
    if isinstance(value, str) and len(value) == 36:
        with suppress(ValueError):
            return (UUID(value),)
    return ()


def _bad_id(value: object) -> str:
    raise InputError("event_id", f"{value!r} is not a UUID", "give the event's UUID as a string")


def _retract(session: Session, *, type_name: str, m: Any, fields: dict[str, Any]) -> Outcome:
    from domain.ledger import cmd_retract

    outcome = cmd_retract(session, m, fields)
    if outcome.event.type_name != type_name:
        raise RuleViolation(
            "type",
            f"the retracted event belongs to another aggregate ({outcome.event.type_name})",
            f"use type {outcome.event.type_name}",
        )
    return outcome
