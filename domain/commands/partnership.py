"""Handlers of partnership events: form, end, retract."""

from __future__ import annotations

from domain.commands import handles
from domain.commands.retraction import retract
from domain.partnership import Partnership
from domain.session import Outcome, Session

handles(Partnership.Retracted)(retract)


@handles(Partnership.Formed)
def form_partnership(s: Session, d: Partnership.Formed) -> Outcome:
    if done := s.replayed(d):
        return done
    p = s.fresh(Partnership, d.originator_id, unrecorded=True)
    return s.record(p.form(d, parties=d.parties, title=d.title, organisations=s.organisations(d.parties)))


@handles(Partnership.Ended)
def end_partnership(s: Session, d: Partnership.Ended) -> Outcome:
    if done := s.replayed(d):
        return done
    return s.record(s.get(Partnership, d.originator_id, "partnership_id").end(d))
