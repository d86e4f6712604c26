"""Handlers of organisation events: register, rename, dissolve, retract."""

from __future__ import annotations

from domain.commands import handles
from domain.commands.retraction import retract
from domain.organisation import Organisation, require_registered
from domain.session import Outcome, Session

handles(Organisation.Retracted)(retract)


@handles(Organisation.Registered)
def register_organisation(s: Session, d: Organisation.Registered) -> Outcome:
    if done := s.replayed(d):
        return done
    org = s.fresh(Organisation, d.originator_id)
    event = org.register(
        d,
        key=d.key,
        sector=d.sector,
        name_ko=d.name_ko,
        name_en=d.name_en,
        subtype=d.subtype,
        identifiers=d.identifiers,
        country=d.country,
        locality=d.locality,
    )
    return s.record(event)


@handles(Organisation.Renamed)
def rename_organisation(s: Session, d: Organisation.Renamed) -> Outcome:
    if done := s.replayed(d):
        return done
    org = require_registered(d.key, s.organisation(d.key), "key")
    return s.record(org.rename(d, name_ko=d.name_ko, name_en=d.name_en))


@handles(Organisation.Dissolved)
def dissolve_organisation(s: Session, d: Organisation.Dissolved) -> Outcome:
    if done := s.replayed(d):
        return done
    org = require_registered(d.key, s.organisation(d.key), "key")
    return s.record(org.dissolve(d))
