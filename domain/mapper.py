"""The one mapper between pydantic events and stored bytes, with upcasting.

Stored state is compact UTF-8 JSON (no spaces, Korean kept as is, fields in
declaration order), so the same event always encodes to the same bytes: a
later hash chain can hash them as written. An event class at
``class_version`` N > 1 stores ``"class_version": N``; reading an older
payload runs ``upcast_v1_v2``, ``upcast_v2_v3``, ... before validation
(eventsourcing 9.5.6 ships no pydantic mapper; see docs/architecture.md).

>>> from uuid import UUID
>>> from datetime import datetime, timezone
>>> from domain.partnership import Partnership
>>> e = Partnership.Ended(originator_id=UUID(int=1), originator_version=2, event_id=UUID(int=2),
...     effective="2020-03", recorded_at=datetime(2026, 1, 1, tzinfo=timezone.utc), recorded_by="kim")
>>> stored = PydanticMapper().to_stored_event(e)
>>> stored.state
b'{"event_id":"00000000-0000-0000-0000-000000000002","effective":"2020-03","recorded_at":"2026-01-01T00:00:00Z","recorded_by":"kim","source":null,"note":null}'
>>> PydanticMapper().to_domain_event(stored) == e
True
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from eventsourcing.persistence import (
    Mapper,
    StoredEvent,
    Transcoder,
)
from eventsourcing.utils import get_topic, resolve_topic

from domain.errors import DamagedError

if TYPE_CHECKING:  # the models are imported when the first event is read or written, not to open a ledger
    from domain.events import LedgerEvent


@dataclass(frozen=True)
class LedgerStoredEvent(StoredEvent):
    """A stored event that also carries its ``event_id`` for the recorder's index."""

    event_id: str = ""


class CompactJSON(Transcoder):
    """Compact, order-preserving, non-ASCII-keeping JSON."""

    def encode(self, obj: Any) -> bytes:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()

    def decode(self, data: bytes) -> Any:
        return json.loads(data)


class PydanticMapper(Mapper[UUID]):
    """Maps ``LedgerEvent`` models to ``StoredEvent`` rows and back."""

    def __init__(self, transcoder: Transcoder | None = None) -> None:
        super().__init__(transcoder or CompactJSON())

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        event = cast("LedgerEvent", domain_event)
        topic, state = encode(event)
        return LedgerStoredEvent(
            originator_id=event.originator_id,
            originator_version=event.originator_version,
            topic=topic,
            state=state,
            event_id=str(event.event_id),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return self.decode(stored_event)

    def decode(self, stored_event: StoredEvent) -> LedgerEvent:
        """The event of a stored row: its topic's class, its state upcast, then validated.

        A row that does not give an event (an unknown topic, bytes that are not JSON, a state
        the model refuses) is a ``DamagedError``: the ledger never writes one, so someone else did.
        """
        try:
            cls = event_class(stored_event.topic)
            state = self.transcoder.decode(stored_event.state)
            if not isinstance(state, dict):
                raise ValueError("the stored state is not a JSON object")
            upcast(cls, state)
            state["originator_id"] = stored_event.originator_id
            state["originator_version"] = stored_event.originator_version
            return cls.model_validate(state, context=_stored())
        except Exception as exc:  # anything: the row was not written by the ledger
            raise unreadable(stored_event, exc) from None


def _stored() -> dict[str, Any]:
    from domain.values import STORED

    return STORED


#: What the stored state leaves out: the row's own columns.
_NOT_STATE = {"originator_id", "originator_version"}


@cache
def topic_of(cls: type[LedgerEvent]) -> tuple[str, bytes]:
    """The stored topic of an event class, and what closes its state (``class_version`` from version 2)."""
    tail = f',"class_version":{cls.class_version}}}'.encode() if cls.class_version > 1 else b"}"
    return get_topic(cls), tail


def encode(event: LedgerEvent) -> tuple[str, bytes]:
    """Topic and stored state bytes of *event*: pydantic's Rust serialiser, compact, fields in order.

    The bytes equal ``CompactJSON().encode(model_dump(mode="json"))`` with ``class_version`` last
    (a property test holds them to it), so ledgers written before stay byte-identical.
    """
    topic, tail = topic_of(type(event))
    state = event.__pydantic_serializer__.to_json(event, exclude=_NOT_STATE)
    return topic, state[:-1] + tail if tail != b"}" else state


def event_class(topic: str) -> type[LedgerEvent]:
    """The event class a stored topic names; ``ValueError`` for anything else.

    Only modules of ``domain`` are imported to find out (a topic naming a module already
    loaded imports nothing): a stored topic naming any other module is refused before
    anything is imported.
    """
    if not isinstance(topic, str):
        raise ValueError("the topic is not text")
    module = topic.partition(":")[0]
    if not (module.startswith("domain.") or module in sys.modules):
        raise ValueError(f"the topic {topic[:80]!r} names no event class of the ledger")
    try:
        cls = resolve_topic(topic)
    except Exception as exc:
        raise ValueError(f"the topic {topic[:80]!r} names no event class ({type(exc).__name__})") from None
    from domain.events import LedgerEvent

    if not (isinstance(cls, type) and issubclass(cls, LedgerEvent) and cls.type_name):
        raise ValueError(f"the topic {topic[:80]!r} names no event class of the ledger")
    return cls


def unreadable(stored: StoredEvent, exc: Exception) -> DamagedError:
    """The error of a stored row that gives no event, with pydantic's or the decoder's first complaint."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        reason = f"{where}: {first['msg']}" if where else first["msg"]
    else:
        reason = str(exc) or type(exc).__name__
    reason = " ".join(reason.split())[:200]
    return DamagedError(
        "db",
        f"the stored event {stored_id_text(stored.originator_id)} v{stored.originator_version} cannot be read "
        f"({reason})",
        "run 'netledger verify' to see the damage; 'netledger log --skip-damaged' reads around it",
    )


def stored_id_text(originator_id: Any) -> str:
    return str(originator_id)[:40]


def event_id_of(stored: StoredEvent) -> str:
    """The ``event_id`` of a stored event (carried beside it by this mapper, else read from its state)."""
    if isinstance(stored, LedgerStoredEvent):
        return stored.event_id
    return str(json.loads(stored.state)["event_id"])  # written by another mapper


def upcast(cls: type[LedgerEvent], state: dict[str, Any]) -> dict[str, Any]:
    """Bring a stored payload from its version up to ``cls.class_version``, in place."""
    version = state.pop("class_version", 1)
    while version < cls.class_version:
        getattr(cls, f"upcast_v{version}_v{version + 1}")(state)
        version += 1
    return state
