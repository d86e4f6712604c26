"""Handler of ``import.recorded``."""

from __future__ import annotations

from domain.commands import handles
from domain.provenance import ImportRecord
from domain.session import Outcome, Session


@handles(ImportRecord.Recorded)
def record_import(s: Session, d: ImportRecord.Recorded) -> Outcome:
    if done := s.replayed(d):
        return done
    return s.record(s.fresh(ImportRecord, d.originator_id, unrecorded=True).record(d))
