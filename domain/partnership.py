"""Partnerships: two or more organisations working together, each in a role.

A partnership's id is the ``event_id`` of the event that formed it, so a log
replayed into another ledger keeps the same ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar
from uuid import UUID

from pydantic import Field, field_validator

from domain.errors import RuleViolation
from domain.events import Aggregate, Envelope, LedgerEvent, RetractedMixin, check_order
from domain.organisation import Organisation, require_parties
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

    __slots__ = ("ended", "ended_event", "ended_id", "formed", "start")

    def _reset(self) -> None:
        super()._reset()
        self.formed: Partnership.Formed | None = None
        self.start: PartialDate | None = None
        self.ended: PartialDate | None = None
        self.ended_id: UUID | None = None
        self.ended_event: Partnership.Ended | None = None

    def _apply(self, event: LedgerEvent) -> None:
        if isinstance(event, Partnership.Formed):
            self.exists, self.start = True, event.effective
            if not self.lean:
                self.formed = event
        elif isinstance(event, Partnership.Ended):
            self.ended, self.ended_id = event.effective, event.event_id
            if not self.lean:
                self.ended_event = event

    @property
    def parties(self) -> list[Party]:
        return list(self.formed.parties) if self.formed else []

    def form(
        self,
        meta: Envelope,
        *,
        parties: list[Party],
        title: str | None,
        organisations: Sequence[Organisation | None],
    ) -> Partnership.Formed:
        """The partnership starts: every party is a registered organisation, active on that date."""
        require_parties(parties, organisations, "parties", meta.effective)
        return self._record(self._new(Partnership.Formed, meta, parties=parties, title=title))

    def end(self, meta: Envelope) -> Partnership.Ended:
        """The partnership stops, not before it started and only once."""
        require_open(self, self.ended, self.ended_id, "ended")
        check_order(self.start, meta.effective, "effective", "start")
        return self._record(self._new(Partnership.Ended, meta))


def require_open(aggregate: Aggregate, closed_on: PartialDate | None, closed_by: UUID | None, verb: str) -> None:
    """Refuse to close a relation that does not exist or is already closed."""
    if not aggregate.exists:
        raise RuleViolation("id", f"{aggregate.kind} {aggregate.id} was retracted", code="relation.retracted")
    if closed_by is not None:
        raise RuleViolation(
            "id",
            f"{aggregate.kind} {aggregate.id} is already {verb} (on {closed_on})",
            f"retract event {closed_by} first if that was a mistake",
            code="relation.closed",
        )
