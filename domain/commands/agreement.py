"""Handlers of agreement events: sign, amend, terminate, retract."""

from __future__ import annotations

from domain.agreement import Agreement
from domain.commands import handles
from domain.commands.retraction import retract
from domain.session import Outcome, Session

handles(Agreement.Retracted)(retract)


@handles(Agreement.Signed)
def sign_agreement(s: Session, d: Agreement.Signed) -> Outcome:
    if done := s.replayed(d):
        return done
    a = s.fresh(Agreement, d.originator_id, unrecorded=True)
    event = a.sign(
        d, kind=d.kind, title=d.title, parties=d.parties, term_end=d.term_end, organisations=s.organisations(d.parties)
    )
    return s.record(event)


@handles(Agreement.Amended)
def amend_agreement(s: Session, d: Agreement.Amended) -> Outcome:
    if done := s.replayed(d):
        return done
    a = s.get(Agreement, d.originator_id, "agreement_id")
    organisations = s.organisations(d.parties) if d.parties is not None else []
    return s.record(a.amend(d, title=d.title, parties=d.parties, term_end=d.term_end, organisations=organisations))


@handles(Agreement.Terminated)
def terminate_agreement(s: Session, d: Agreement.Terminated) -> Outcome:
    if done := s.replayed(d):
        return done
    return s.record(s.get(Agreement, d.originator_id, "agreement_id").terminate(d))
