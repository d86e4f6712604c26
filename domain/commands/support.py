"""Handlers of support events: award, amend, disburse, end, withdraw, retract."""

from __future__ import annotations

from domain.commands import handles
from domain.commands.retraction import retract
from domain.session import Outcome, Session
from domain.support import Support

handles(Support.Retracted)(retract)


@handles(Support.Awarded)
def award_support(s: Session, d: Support.Awarded) -> Outcome:
    if done := s.replayed(d):
        return done
    sup = s.fresh(Support, d.originator_id, unrecorded=True)
    event = sup.award(
        d,
        kind=d.kind,
        funders=d.funders,
        recipients=d.recipients,
        programme=d.programme,
        amount=d.amount,
        currency=d.currency,
        planned_start=d.planned_start,
        planned_end=d.planned_end,
        title=d.title,
        description=d.description,
        reference=d.reference,
        organisations=s.organisations([*d.funders, *d.recipients]),
        programme_organisation=s.organisation(d.programme) if d.programme is not None else None,
    )
    return s.record(event)


@handles(Support.Amended)
def amend_support(s: Session, d: Support.Amended) -> Outcome:
    if done := s.replayed(d):
        return done
    event = s.get(Support, d.originator_id, "support_id").amend(
        d,
        amount=d.amount,
        currency=d.currency,
        planned_start=d.planned_start,
        planned_end=d.planned_end,
        title=d.title,
        description=d.description,
        giving360=d.giving360,
        data_quality=d.data_quality,
    )
    return s.record(event)


@handles(Support.Disbursed)
def disburse_support(s: Session, d: Support.Disbursed) -> Outcome:
    if done := s.replayed(d):
        return done
    return s.record(s.get(Support, d.originator_id, "support_id").disburse(d, amount=d.amount, currency=d.currency))


@handles(Support.Ended)
def end_support(s: Session, d: Support.Ended) -> Outcome:
    if done := s.replayed(d):
        return done
    return s.record(s.get(Support, d.originator_id, "support_id").end(d))


@handles(Support.Withdrawn)
def withdraw_support(s: Session, d: Support.Withdrawn) -> Outcome:
    if done := s.replayed(d):
        return done
    return s.record(s.get(Support, d.originator_id, "support_id").withdraw(d))
