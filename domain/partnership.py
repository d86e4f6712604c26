"""Partnerships: two or more organisations working together, each in a role.

A partnership's id is the ``event_id`` of the event that formed it, so a log
replayed into another ledger keeps the same ids.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, field_validator

from domain.errors import RuleViolation
from domain.events import Aggregate, LedgerEvent, Meta, RetractedMixin, check_order
from domain.values import CleanShortText, PartialDate, Party


def distinct_parties(parties: list[Party], what: str = "parties") -> list[Party]:
    """Refuse a relation with fewer than two distinct organisations."""
    keys = [p.key for p in parties]
    if len(set(keys)) != len(keys):
        raise ValueError(f"an organisation appears twice among the {what}")
    if len(set(keys)) < 2:
        raise ValueError(f"a relation needs at least two distinct {what}, got {len(set(keys))}")
    return parties


class Partnership(Aggregate):
    """Organisations working together over a period."""

    kind = "partnership"

    class Formed(LedgerEvent):
        """The partnership starts on the effective date."""

        type_name: ClassVar[str] = "partnership.formed"

        parties: list[Party] = Field(max_length=1000)
        title: CleanShortText | None = None

        _check_parties = field_validator("parties")(distinct_parties)

    class Ended(LedgerEvent):
        """The partnership stops on the effective date."""

        type_name: ClassVar[str] = "partnership.ended"

    class Retracted(RetractedMixin, LedgerEvent):
        """An earlier event of this partnership no longer counts."""

        type_name: ClassVar[str] = "partnership.retracted"

    def _reset(self) -> None:
        self.formed: Partnership.Formed | None = None
        self.ended: PartialDate | None = None
        self.ended_event: Partnership.Ended | None = None

    def _apply(self, event: LedgerEvent) -> None:
        if isinstance(event, Partnership.Formed):
            self.formed = event
        elif isinstance(event, Partnership.Ended):
            self.ended_event = event
            self.ended = event.effective

    @property
    def exists(self) -> bool:
        return self.formed is not None

    @property
    def parties(self) -> list[Party]:
        return list(self.formed.parties) if self.formed else []

    @property
    def start(self) -> PartialDate | None:
        return self.formed.effective if self.formed else None

    def form(self, meta: Meta, **fields: Any) -> LedgerEvent:
        return self.trigger(Partnership.Formed, meta, **fields)

    def end(self, meta: Meta) -> LedgerEvent:
        event = self.build(Partnership.Ended, meta)
        require_open(self, self.ended_event, "ended")
        check_order(self.start, event.effective, "effective", "start")
        return self.record(event)


def require_open(aggregate: Aggregate, closing: LedgerEvent | None, verb: str) -> None:
    """Refuse to close a relation that does not exist or is already closed."""
    if not aggregate.exists:
        raise RuleViolation("id", f"{aggregate.kind} {aggregate.id} was retracted", "")
    if closing is not None:
        raise RuleViolation(
            "id",
            f"{aggregate.kind} {aggregate.id} is already {verb} (on {closing.effective})",
            f"retract event {closing.event_id} first if that was a mistake",
        )
