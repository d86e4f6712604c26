"""The handler of every aggregate's ``Retracted``: an earlier event no longer counts.

The retracted event names its aggregate; the draft's own class must be that
aggregate's ``Retracted`` (a record of type ``support.retracted`` cannot
retract a partnership's event). Retracting replays the aggregate's history
without the retracted event, so a lean aggregate (a bulk's) is first rebuilt
with its history.
"""

from __future__ import annotations

from uuid import UUID

from domain.errors import RuleViolation
from domain.events import LedgerEvent, RetractedMixin
from domain.session import Outcome, Session


def retract(s: Session, d: LedgerEvent) -> Outcome:
    assert isinstance(d, RetractedMixin)
    target = s.locate(d.retracted_event_id)
    if target is None:
        if done := s.replayed(d):
            return done
        raise no_such_event(d.retracted_event_id)
    aggregate = s.load(target)
    if aggregate is None:  # pragma: no cover - an indexed event always has its aggregate
        raise RuleViolation(
            "retracted_event_id", f"event {d.retracted_event_id} has no aggregate", code="retract.orphan"
        )
    aggregate = s.with_history(aggregate)
    own = aggregate.Retracted
    if type(d) is not own:
        raise RuleViolation(
            "type",
            f"the retracted event belongs to another aggregate ({own.type_name})",
            f"use type {own.type_name}",
            code="retract.other_type",
        )
    placed = d.model_copy(update={"originator_id": aggregate.id, **aggregate._retraction_fields()})
    if done := s.replayed(placed):
        return done
    return s.record(aggregate.retract(d, d.retracted_event_id, d.reason))


def no_such_event(event_id: UUID) -> RuleViolation:
    return RuleViolation(
        "retracted_event_id", f"no event with id {event_id} in this ledger", "check the id", code="retract.unknown"
    )
